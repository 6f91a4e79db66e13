/**
 * SQL text as PostgreSQL's lexer cuts it into tokens: enough to find
 * statement boundaries (`server/Statements.ts`) and the literals a query's
 * text carries (`sanitizeSql`, used for span attributes), without parsing.
 *
 * What it knows, as `scan.l` does: quoted strings (`'...'` with doubled
 * quotes; `E'...'` with backslash escapes; `B'...'`, `X'...'`, `N'...'`,
 * `U&'...'`), quoted identifiers (`"..."`, `U&"..."`), dollar-quoted strings
 * (`$tag$...$tag$`), parameters (`$1`), numbers (decimal with fraction and
 * exponent, `0x`/`0o`/`0b` integers, `_` separators), comments (`--` to the
 * end of the line, nested `/* *\/`). An unterminated string or comment runs
 * to the end of the text.
 *
 * What it is not: a parser, and not a validator: text PostgreSQL would
 * reject still comes out as tokens.
 *
 * @since 0.1.0
 */

/**
 * A token's kind. `string` covers every literal string form (dollar quotes
 * included); `operator` is any other single character (punctuation,
 * operators).
 *
 * @since 0.1.0
 * @category models
 */
export type SqlTokenKind =
  | "space"
  | "comment"
  | "string"
  | "quotedIdentifier"
  | "identifier"
  | "number"
  | "parameter"
  | "semicolon"
  | "operator"

const isIdentifierStart = (c: number): boolean =>
  (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c >= 0x80

const isIdentifierPart = (c: number): boolean => isIdentifierStart(c) || isDigit(c) || c === 0x24

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c || c === 0x0b

/** Letters that make a string literal of the quote right after them: E, B, X, N (either case). */
const isStringPrefix = (c: number): boolean =>
  c === 0x45 || c === 0x65 || c === 0x42 || c === 0x62 || c === 0x58 || c === 0x78 || c === 0x4e || c === 0x6e

/**
 * Where a quoted literal or identifier starting at `i` ends (just past its
 * closing quote, or the end of the text): a doubled quote stands for
 * itself, and with `escapes` (E'...') a backslash escapes the next character.
 */
const afterQuoted = (sql: string, i: number, quote: number, escapes: boolean): number => {
  const n = sql.length
  i++
  while (i < n) {
    const d = sql.charCodeAt(i)
    if (escapes && d === 0x5c) {
      i += 2
      continue
    }
    if (d === quote) {
      if (sql.charCodeAt(i + 1) === quote) {
        i += 2
        continue
      }
      break
    }
    i++
  }
  return Math.min(i + 1, n)
}

/**
 * The end of a dollar-quote opening tag starting at `i` (the first `$`), or
 * -1 when `$` does not open one (a parameter such as `$1`).
 */
const dollarTagEnd = (sql: string, i: number): number => {
  let j = i + 1
  if (j < sql.length && sql.charCodeAt(j) === 0x24) return j + 1
  if (j >= sql.length || !isIdentifierStart(sql.charCodeAt(j))) return -1
  while (j < sql.length && isIdentifierPart(sql.charCodeAt(j)) && sql.charCodeAt(j) !== 0x24) j++
  return j < sql.length && sql.charCodeAt(j) === 0x24 ? j + 1 : -1
}

/** Where a nested block comment starting at `i` (its `/*`) ends. */
const afterBlockComment = (sql: string, i: number): number => {
  const n = sql.length
  let depth = 1
  i += 2
  while (i < n && depth > 0) {
    if (sql.charCodeAt(i) === 0x2f && sql.charCodeAt(i + 1) === 0x2a) {
      depth++
      i += 2
    } else if (sql.charCodeAt(i) === 0x2a && sql.charCodeAt(i + 1) === 0x2f) {
      depth--
      i += 2
    } else {
      i++
    }
  }
  return Math.min(i, n)
}

/** Where the digits (with `_` separators between them) starting at `j` end. */
const afterDigits = (sql: string, j: number): number => {
  const n = sql.length
  while (j < n) {
    const c = sql.charCodeAt(j)
    if (isDigit(c) || (c === 0x5f && j + 1 < n && isDigit(sql.charCodeAt(j + 1)))) j++
    else break
  }
  return j
}

/** Where a number starting at `i` (a digit, or `.` before a digit) ends. */
const afterNumber = (sql: string, i: number): number => {
  const n = sql.length
  const radix = sql.charCodeAt(i) === 0x30 && i + 1 < n ? sql.charCodeAt(i + 1) | 0x20 : 0
  if (radix === 0x78 || radix === 0x6f || radix === 0x62) {
    // 0x1F, 0o17, 0b101 (and their `_` separators)
    let j = i + 2
    while (j < n && isIdentifierPart(sql.charCodeAt(j)) && sql.charCodeAt(j) !== 0x24) j++
    return j
  }
  let j = afterDigits(sql, i)
  // A fraction, but not the `..` of a range such as `1..2` in PL/pgSQL.
  if (j < n && sql.charCodeAt(j) === 0x2e && !(j + 1 < n && sql.charCodeAt(j + 1) === 0x2e)) j = afterDigits(sql, j + 1)
  if (j < n && (sql.charCodeAt(j) | 0x20) === 0x65) {
    const sign = j + 1 < n ? sql.charCodeAt(j + 1) : 0
    const first = sign === 0x2b || sign === 0x2d ? j + 2 : j + 1
    if (first < n && isDigit(sql.charCodeAt(first))) j = afterDigits(sql, first)
  }
  return j
}

/** Token kinds as small numbers, for the allocation-free `nextToken`. */
const Space = 0
const Comment = 1
const StringLiteral = 2
const QuotedIdentifier = 3
const Identifier = 4
const NumberLiteral = 5
const Parameter = 6
const Semicolon = 7
const Operator = 8

const kindNames: ReadonlyArray<SqlTokenKind> = [
  "space",
  "comment",
  "string",
  "quotedIdentifier",
  "identifier",
  "number",
  "parameter",
  "semicolon",
  "operator"
]

/**
 * The token starting at `i` (< `sql.length`) as one number, its end times 16
 * plus its kind's code: no allocation per token for the callers on a hot
 * path (the server splits every simple Query).
 */
const nextToken = (sql: string, i: number): number => {
  const n = sql.length
  const c = sql.charCodeAt(i)
  const next = i + 1 < n ? sql.charCodeAt(i + 1) : 0
  if (isIdentifierStart(c)) {
    if (next === 0x27 && isStringPrefix(c)) return afterQuoted(sql, i + 1, 0x27, c === 0x45 || c === 0x65) * 16 + StringLiteral
    if ((c === 0x55 || c === 0x75) && next === 0x26) {
      // U&'...' and U&"..."
      const quote = sql.charCodeAt(i + 2)
      if (quote === 0x27) return afterQuoted(sql, i + 2, quote, false) * 16 + StringLiteral
      if (quote === 0x22) return afterQuoted(sql, i + 2, quote, false) * 16 + QuotedIdentifier
    }
    // The identifier whole, so a '$' inside it is not a dollar quote.
    let j = i + 1
    while (j < n && isIdentifierPart(sql.charCodeAt(j))) j++
    return j * 16 + Identifier
  }
  if (isSpace(c)) {
    let j = i + 1
    while (j < n && isSpace(sql.charCodeAt(j))) j++
    return j * 16 + Space
  }
  switch (c) {
    case 0x3b:
      return (i + 1) * 16 + Semicolon
    case 0x27:
      return afterQuoted(sql, i, 0x27, false) * 16 + StringLiteral
    case 0x22:
      return afterQuoted(sql, i, 0x22, false) * 16 + QuotedIdentifier
    case 0x2d:
      if (next === 0x2d) {
        let j = i
        while (j < n && sql.charCodeAt(j) !== 0x0a) j++
        return j * 16 + Comment
      }
      break
    case 0x2f:
      if (next === 0x2a) return afterBlockComment(sql, i) * 16 + Comment
      break
    case 0x24: {
      const tagEnd = dollarTagEnd(sql, i)
      if (tagEnd !== -1) {
        const close = sql.indexOf(sql.slice(i, tagEnd), tagEnd)
        return (close === -1 ? n : close + (tagEnd - i)) * 16 + StringLiteral
      }
      if (isDigit(next)) {
        let j = i + 1
        while (j < n && isDigit(sql.charCodeAt(j))) j++
        return j * 16 + Parameter
      }
      break
    }
  }
  if (isDigit(c) || (c === 0x2e && isDigit(next))) return afterNumber(sql, i) * 16 + NumberLiteral
  return (i + 1) * 16 + Operator
}

/** A `nextToken` result's end and kind. */
const endOf = (token: number): number => Math.floor(token / 16)
const kindOf = (token: number): number => token % 16

/**
 * Calls `visit` with each token of `sql` in order (every character belongs
 * to exactly one token), `end` exclusive.
 *
 * @since 0.1.0
 * @category lexing
 */
export const scanSql = (sql: string, visit: (kind: SqlTokenKind, start: number, end: number) => void): void => {
  let i = 0
  while (i < sql.length) {
    const token = nextToken(sql, i)
    visit(kindNames[kindOf(token)]!, i, endOf(token))
    i = endOf(token)
  }
}

/**
 * The statements of a query string, each without its terminating semicolon
 * and surrounding whitespace; pieces of only whitespace and comments are
 * left out (see `server/Statements.ts`).
 *
 * @internal
 */
export const splitSql = (sql: string): Array<string> => {
  const out: Array<string> = []
  let start = 0
  let content = false
  let i = 0
  while (i < sql.length) {
    const token = nextToken(sql, i)
    const kind = kindOf(token)
    if (kind === Semicolon) {
      if (content) out.push(sql.slice(start, i).trim())
      start = i + 1
      content = false
    } else if (kind !== Space && kind !== Comment) {
      content = true
    }
    i = endOf(token)
  }
  if (content) out.push(sql.slice(start).trim())
  return out
}

/**
 * `sql` with every literal value (strings, dollar-quoted strings, numbers)
 * replaced by `?`: what OpenTelemetry asks of `db.query.text` for text that
 * may carry values (`ALTER ROLE app PASSWORD 'secret'` becomes
 * `ALTER ROLE app PASSWORD ?`). Identifiers, keywords, parameters (`$1`),
 * comments and whitespace are kept as written.
 *
 * @since 0.1.0
 * @category lexing
 */
export const sanitizeSql = (sql: string): string => {
  let out = ""
  let copied = 0
  let i = 0
  while (i < sql.length) {
    const token = nextToken(sql, i)
    const kind = kindOf(token)
    if (kind === StringLiteral || kind === NumberLiteral) {
      out += sql.slice(copied, i) + "?"
      copied = endOf(token)
    }
    i = endOf(token)
  }
  return copied === 0 ? sql : out + sql.slice(copied)
}
