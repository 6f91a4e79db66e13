/**
 * The SQL dialect of the demo engine: a tokenizer and a parser for the few
 * statements the engine runs (SELECT of constants and parameters, a
 * key/value table, `generate_series`, an endless generator, INSERT, UPDATE,
 * DELETE, transactions, SET/RESET/SHOW, COPY, LISTEN/NOTIFY).
 *
 * What it is not: PostgreSQL's grammar. Anything else is a syntax error.
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import { SqlState } from "../../protocol/SqlState.ts"
import { pgError, type PgError } from "../PgError.ts"
import type { CopyFormat } from "../Results.ts"
import { Oid } from "../Values.ts"

type Token =
  | { readonly kind: "word"; readonly text: string; readonly quoted: boolean; readonly at: number }
  | { readonly kind: "number"; readonly text: string; readonly at: number }
  | { readonly kind: "string"; readonly text: string; readonly at: number }
  | { readonly kind: "param"; readonly index: number; readonly at: number }
  | { readonly kind: "symbol"; readonly text: string; readonly at: number }

/**
 * A value in an expression: a literal, a parameter, or a division (enough
 * to raise division_by_zero).
 *
 * @since 0.1.0
 * @category models
 */
export type Term =
  | { readonly kind: "literal"; readonly value: unknown; readonly type: number }
  | { readonly kind: "param"; readonly index: number }
  | { readonly kind: "divide"; readonly left: Term; readonly right: Term }
  | { readonly kind: "cast"; readonly term: Term; readonly type: number; readonly typeName: string }

/** @since 0.1.0 @category models */
export type SelectItem =
  | { readonly kind: "term"; readonly term: Term; readonly name: string }
  | { readonly kind: "column"; readonly column: "key" | "value" | "n" | "payload" | "generate_series"; readonly name: string }
  | { readonly kind: "count"; readonly name: string }
  | { readonly kind: "star" }
  | { readonly kind: "function"; readonly name: string; readonly function: "pg_sleep" | "pg_notify" | "demo_notice"; readonly args: ReadonlyArray<Term> }

/** @since 0.1.0 @category models */
export type Source =
  | { readonly kind: "none" }
  | { readonly kind: "kv" }
  | { readonly kind: "series"; readonly from: Term; readonly to: Term }
  | { readonly kind: "endless" }

/**
 * A parsed statement.
 *
 * @since 0.1.0
 * @category models
 */
export type Plan =
  | { readonly _tag: "Select"; readonly items: ReadonlyArray<SelectItem>; readonly source: Source; readonly key: Term | undefined; readonly limit: Term | undefined }
  | { readonly _tag: "Insert"; readonly rows: ReadonlyArray<readonly [Term, Term]> }
  | { readonly _tag: "Update"; readonly value: Term; readonly key: Term | undefined }
  | { readonly _tag: "Delete"; readonly key: Term | undefined }
  | { readonly _tag: "Begin"; readonly tag: string }
  | { readonly _tag: "Commit" }
  | { readonly _tag: "Rollback" }
  | { readonly _tag: "Set"; readonly name: string; readonly value: string | undefined }
  | { readonly _tag: "Reset"; readonly name: string }
  | { readonly _tag: "Show"; readonly name: string }
  | { readonly _tag: "CopyFrom"; readonly format: CopyFormat }
  | { readonly _tag: "CopyTo"; readonly format: CopyFormat }
  | { readonly _tag: "Listen"; readonly channel: string }
  | { readonly _tag: "Unlisten"; readonly channel: string }
  | { readonly _tag: "Notify"; readonly channel: string; readonly payload: string }
  | { readonly _tag: "Empty" }

const isWordStart = (c: string): boolean => /[A-Za-z_\u0080-\uffff]/.test(c)
const isWordPart = (c: string): boolean => /[A-Za-z0-9_$\u0080-\uffff]/.test(c)

class SyntaxError_ {
  readonly at: number
  readonly message: string
  constructor(message: string, at: number) {
    this.message = message
    this.at = at
  }
}

const tokenize = (sql: string): Array<Token> => {
  const tokens: Array<Token> = []
  let i = 0
  while (i < sql.length) {
    const c = sql[i]!
    if (/\s/.test(c)) {
      i++
    } else if (c === "-" && sql[i + 1] === "-") {
      while (i < sql.length && sql[i] !== "\n") i++
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2)
      i = end === -1 ? sql.length : end + 2
    } else if (c === "'" || ((c === "E" || c === "e") && sql[i + 1] === "'")) {
      const escapes = c !== "'"
      const at = i
      i += escapes ? 2 : 1
      let text = ""
      for (;;) {
        if (i >= sql.length) throw new SyntaxError_("unterminated quoted string", at)
        const d = sql[i]!
        if (escapes && d === "\\" && i + 1 < sql.length) {
          const e = sql[i + 1]!
          text += e === "n" ? "\n" : e === "t" ? "\t" : e === "r" ? "\r" : e
          i += 2
        } else if (d === "'") {
          if (sql[i + 1] === "'") {
            text += "'"
            i += 2
          } else {
            i++
            break
          }
        } else {
          text += d
          i++
        }
      }
      tokens.push({ kind: "string", text, at })
    } else if (c === "\"") {
      const at = i
      const end = sql.indexOf("\"", i + 1)
      if (end === -1) throw new SyntaxError_("unterminated quoted identifier", at)
      tokens.push({ kind: "word", text: sql.slice(i + 1, end), quoted: true, at })
      i = end + 1
    } else if (c === "$" && /[0-9]/.test(sql[i + 1] ?? "")) {
      const at = i
      let j = i + 1
      while (j < sql.length && /[0-9]/.test(sql[j]!)) j++
      tokens.push({ kind: "param", index: Number(sql.slice(i + 1, j)), at })
      i = j
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(sql[i + 1] ?? ""))) {
      const at = i
      let j = i
      while (j < sql.length && /[0-9.eE]/.test(sql[j]!)) j++
      tokens.push({ kind: "number", text: sql.slice(i, j), at })
      i = j
    } else if (isWordStart(c)) {
      const at = i
      let j = i
      while (j < sql.length && isWordPart(sql[j]!)) j++
      tokens.push({ kind: "word", text: sql.slice(i, j).toLowerCase(), quoted: false, at })
      i = j
    } else if (c === ":" && sql[i + 1] === ":") {
      tokens.push({ kind: "symbol", text: "::", at: i })
      i += 2
    } else if ("(),;*=/.-+".includes(c)) {
      tokens.push({ kind: "symbol", text: c, at: i })
      i++
    } else {
      throw new SyntaxError_(`syntax error at or near "${c}"`, i)
    }
  }
  return tokens
}

const typeNames: Readonly<Record<string, number>> = {
  int2: Oid.int2,
  smallint: Oid.int2,
  int4: Oid.int4,
  int: Oid.int4,
  integer: Oid.int4,
  int8: Oid.int8,
  bigint: Oid.int8,
  text: Oid.text,
  varchar: Oid.varchar,
  bool: Oid.bool,
  boolean: Oid.bool,
  float4: Oid.float4,
  real: Oid.float4,
  float8: Oid.float8,
  bytea: Oid.bytea,
  json: Oid.json,
  jsonb: Oid.jsonb,
  uuid: Oid.uuid,
  date: Oid.date,
  timestamp: Oid.timestamp,
  timestamptz: Oid.timestamptz,
  numeric: Oid.numeric,
  oid: Oid.oid,
  name: Oid.name
}

class Parser {
  private i = 0
  private readonly tokens: ReadonlyArray<Token>
  private readonly sql: string
  constructor(tokens: ReadonlyArray<Token>, sql: string) {
    this.tokens = tokens
    this.sql = sql
  }

  peek(offset = 0): Token | undefined {
    return this.tokens[this.i + offset]
  }

  fail(message?: string): never {
    const token = this.peek()
    throw new SyntaxError_(
      message ?? (token === undefined ? "syntax error at end of input" : `syntax error at or near "${this.textOf(token)}"`),
      token?.at ?? this.sql.length
    )
  }

  textOf(token: Token): string {
    switch (token.kind) {
      case "param":
        return `$${token.index}`
      default:
        return token.text
    }
  }

  isWord(text: string, offset = 0): boolean {
    const token = this.peek(offset)
    return token?.kind === "word" && !token.quoted && token.text === text
  }

  isSymbol(text: string): boolean {
    const token = this.peek()
    return token?.kind === "symbol" && token.text === text
  }

  acceptWord(text: string): boolean {
    if (!this.isWord(text)) return false
    this.i++
    return true
  }

  acceptSymbol(text: string): boolean {
    if (!this.isSymbol(text)) return false
    this.i++
    return true
  }

  word(text: string): void {
    if (!this.acceptWord(text)) this.fail()
  }

  symbol(text: string): void {
    if (!this.acceptSymbol(text)) this.fail()
  }

  identifier(): string {
    const token = this.peek()
    if (token?.kind !== "word") return this.fail()
    this.i++
    return token.text
  }

  /** A setting name: `a`, `a.b`. */
  name(): string {
    let name = this.identifier()
    while (this.acceptSymbol(".")) name += "." + this.identifier()
    return name
  }

  end(): void {
    this.acceptSymbol(";")
    if (this.peek() !== undefined) this.fail()
  }

  primary(): Term {
    const token = this.peek()
    if (token === undefined) return this.fail()
    if (token.kind === "symbol" && token.text === "(") {
      this.i++
      const term = this.term()
      this.symbol(")")
      return term
    }
    if (token.kind === "symbol" && token.text === "-" && this.peek(1)?.kind === "number") {
      this.i++
      const number = this.primary()
      if (number.kind === "literal" && typeof number.value === "number") return { ...number, value: -number.value }
      if (number.kind === "literal" && typeof number.value === "bigint") return { ...number, value: -number.value }
      return number
    }
    this.i++
    switch (token.kind) {
      case "number": {
        if (/^\d+$/.test(token.text)) {
          const n = BigInt(token.text)
          return n <= 2147483647n
            ? { kind: "literal", value: Number(n), type: Oid.int4 }
            : { kind: "literal", value: n, type: Oid.int8 }
        }
        return { kind: "literal", value: token.text, type: Oid.numeric }
      }
      case "string":
        return { kind: "literal", value: token.text, type: Oid.text }
      case "param":
        if (token.index < 1) this.fail(`there is no parameter $${token.index}`)
        return { kind: "param", index: token.index }
      case "word":
        if (!token.quoted && (token.text === "true" || token.text === "false")) {
          return { kind: "literal", value: token.text === "true", type: Oid.bool }
        }
        if (!token.quoted && token.text === "null") return { kind: "literal", value: null, type: Oid.text }
        this.i--
        return this.fail()
      case "symbol":
        this.i--
        return this.fail()
    }
  }

  castable(): Term {
    let term = this.primary()
    while (this.acceptSymbol("::")) {
      let typeName = this.identifier()
      if (typeName === "double" && this.acceptWord("precision")) typeName = "float8"
      const type = typeNames[typeName]
      if (type === undefined) this.fail(`type "${typeName}" does not exist`)
      term = { kind: "cast", term, type, typeName }
    }
    return term
  }

  term(): Term {
    let left = this.castable()
    while (this.acceptSymbol("/")) left = { kind: "divide", left, right: this.castable() }
    return left
  }

  alias(fallback: string): string {
    if (this.acceptWord("as")) return this.identifier()
    const token = this.peek()
    if (token?.kind === "word" && !["from", "where", "limit", "order"].includes(token.text)) {
      this.i++
      return token.text
    }
    return fallback
  }

  selectItem(): SelectItem {
    if (this.acceptSymbol("*")) return { kind: "star" }
    const token = this.peek()
    const next = this.peek(1)
    if (token?.kind === "word" && !token.quoted && next?.kind === "symbol") {
      if (next.text === "(" && ["count", "pg_sleep", "pg_notify", "demo_notice"].includes(token.text)) {
        this.i += 2
        if (token.text === "count") {
          this.symbol("*")
          this.symbol(")")
          return { kind: "count", name: this.alias("count") }
        }
        const args: Array<Term> = []
        if (!this.isSymbol(")")) {
          do args.push(this.term())
          while (this.acceptSymbol(","))
        }
        this.symbol(")")
        const fn = token.text as "pg_sleep" | "pg_notify" | "demo_notice"
        return { kind: "function", function: fn, args, name: this.alias(fn) }
      }
    }
    if (token?.kind === "word" && ["key", "value", "n", "payload", "generate_series"].includes(token.text)) {
      this.i++
      const column = token.text as "key" | "value" | "n" | "payload" | "generate_series"
      return { kind: "column", column, name: this.alias(column) }
    }
    const term = this.term()
    return { kind: "term", term, name: this.alias(term.kind === "cast" ? term.typeName : "?column?") }
  }

  select(): Plan {
    const items: Array<SelectItem> = []
    do items.push(this.selectItem())
    while (this.acceptSymbol(","))
    let source: Source = { kind: "none" }
    let key: Term | undefined
    let limit: Term | undefined
    if (this.acceptWord("from")) {
      if (this.acceptWord("kv")) source = { kind: "kv" }
      else if (this.acceptWord("endless")) source = { kind: "endless" }
      else if (this.acceptWord("generate_series")) {
        this.symbol("(")
        const from = this.term()
        this.symbol(",")
        const to = this.term()
        this.symbol(")")
        source = { kind: "series", from, to }
      } else this.fail()
      this.acceptWord("as") && this.identifier()
      if (this.acceptWord("where")) {
        this.word("key")
        this.symbol("=")
        key = this.term()
      }
      if (this.acceptWord("order")) {
        this.word("by")
        this.identifier()
      }
    }
    if (this.acceptWord("limit")) limit = this.term()
    this.end()
    return { _tag: "Select", items, source, key, limit }
  }

  insert(): Plan {
    this.word("into")
    this.word("kv")
    if (this.acceptSymbol("(")) {
      this.word("key")
      this.symbol(",")
      this.word("value")
      this.symbol(")")
    }
    this.word("values")
    const rows: Array<readonly [Term, Term]> = []
    do {
      this.symbol("(")
      const key = this.term()
      this.symbol(",")
      const value = this.term()
      this.symbol(")")
      rows.push([key, value])
    } while (this.acceptSymbol(","))
    this.end()
    return { _tag: "Insert", rows }
  }

  whereKey(): Term | undefined {
    if (!this.acceptWord("where")) return undefined
    this.word("key")
    this.symbol("=")
    return this.term()
  }

  copy(): Plan {
    this.word("kv")
    if (this.acceptSymbol("(")) {
      do this.identifier()
      while (this.acceptSymbol(","))
      this.symbol(")")
    }
    const from = this.acceptWord("from")
    if (!from) this.word("to")
    this.word(from ? "stdin" : "stdout")
    let format: CopyFormat = "text"
    this.acceptWord("with")
    if (this.acceptWord("csv")) format = "csv"
    else if (this.acceptWord("binary")) format = "binary"
    else if (this.acceptSymbol("(")) {
      this.word("format")
      const name = this.identifier()
      if (name !== "text" && name !== "csv" && name !== "binary") this.fail(`COPY format "${name}" not recognized`)
      format = name
      this.symbol(")")
    }
    this.end()
    return from ? { _tag: "CopyFrom", format } : { _tag: "CopyTo", format }
  }

  setValue(): string | undefined {
    if (this.acceptWord("default")) return undefined
    const parts: Array<string> = []
    do {
      const token = this.peek()
      if (token === undefined) this.fail()
      this.i++
      if (token.kind === "param") this.fail()
      const sign = token.kind === "symbol" && token.text === "-" ? "-" : ""
      if (sign !== "") {
        const next = this.peek()
        if (next === undefined || next.kind === "param") this.fail()
        this.i++
        parts.push(sign + next.text)
      } else {
        parts.push((token as Exclude<Token, { kind: "param" }>).text)
      }
    } while (this.acceptSymbol(","))
    return parts.join(", ")
  }

  statement(): Plan {
    const first = this.peek()
    if (first === undefined) return { _tag: "Empty" }
    if (this.acceptWord("select")) return this.select()
    if (this.acceptWord("insert")) return this.insert()
    if (this.acceptWord("update")) {
      this.word("kv")
      this.word("set")
      this.word("value")
      this.symbol("=")
      const value = this.term()
      const key = this.whereKey()
      this.end()
      return { _tag: "Update", value, key }
    }
    if (this.acceptWord("delete")) {
      this.word("from")
      this.word("kv")
      const key = this.whereKey()
      this.end()
      return { _tag: "Delete", key }
    }
    if (this.acceptWord("begin")) {
      this.acceptWord("transaction") || this.acceptWord("work")
      this.end()
      return { _tag: "Begin", tag: "BEGIN" }
    }
    if (this.acceptWord("start")) {
      this.word("transaction")
      this.end()
      return { _tag: "Begin", tag: "START TRANSACTION" }
    }
    if (this.acceptWord("commit") || this.acceptWord("end")) {
      this.acceptWord("transaction") || this.acceptWord("work")
      this.end()
      return { _tag: "Commit" }
    }
    if (this.acceptWord("rollback") || this.acceptWord("abort")) {
      this.acceptWord("transaction") || this.acceptWord("work")
      this.end()
      return { _tag: "Rollback" }
    }
    if (this.acceptWord("set")) {
      this.acceptWord("session") || this.acceptWord("local")
      const name = this.name()
      if (!this.acceptWord("to")) this.symbol("=")
      const value = this.setValue()
      this.end()
      return { _tag: "Set", name, value }
    }
    if (this.acceptWord("reset")) {
      const name = this.name()
      this.end()
      return { _tag: "Reset", name }
    }
    if (this.acceptWord("show")) {
      const name = this.name()
      this.end()
      return { _tag: "Show", name }
    }
    if (this.acceptWord("copy")) return this.copy()
    if (this.acceptWord("listen")) {
      const channel = this.identifier()
      this.end()
      return { _tag: "Listen", channel }
    }
    if (this.acceptWord("unlisten")) {
      const channel = this.acceptSymbol("*") ? "*" : this.identifier()
      this.end()
      return { _tag: "Unlisten", channel }
    }
    if (this.acceptWord("notify")) {
      const channel = this.identifier()
      let payload = ""
      if (this.acceptSymbol(",")) {
        const token = this.peek()
        if (token?.kind !== "string") this.fail()
        this.i++
        payload = token.text
      }
      this.end()
      return { _tag: "Notify", channel, payload }
    }
    return this.fail()
  }
}

/**
 * The highest `$n` a statement uses.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parameterCount = (sql: string): number => {
  let max = 0
  try {
    for (const token of tokenize(sql)) if (token.kind === "param" && token.index > max) max = token.index
  } catch {
    return 0
  }
  return max
}

/**
 * Parses one statement; the error carries the 1-based position, as
 * PostgreSQL's syntax errors do.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (sql: string): Result.Result<Plan, PgError> => {
  try {
    return Result.succeed(new Parser(tokenize(sql), sql).statement())
  } catch (thrown) {
    return Result.fail(
      thrown instanceof SyntaxError_
        ? pgError(SqlState.syntaxError, thrown.message, { position: thrown.at + 1 })
        : pgError(SqlState.internalError, `the demo parser failed: ${String(thrown)}`)
    )
  }
}
