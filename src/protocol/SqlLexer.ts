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

/** Where a number starting at `i` (a digit, or `.` before a digit) ends. */
const afterNumber = (sql: string, i: number): number => {
  const n = sql.length
  const c = sql.charCodeAt(i)
  const radix = c === 0x30 ? sql.charCodeAt(i + 1) | 0x20 : 0
  if (radix === 0x78 || radix === 0x6f || radix === 0x62) {
    // 0x1F, 0o17, 0b101 (and their `_` separators)
    let j = i + 2
    while (j < n && (isIdentifierPart(sql.charCodeAt(j)) && sql.charCodeAt(j) !== 0x24)) j++
    return j
  }
  let j = i
  const digits = () => {
    while (j < n && (isDigit(sql.charCodeAt(j)) || (sql.charCodeAt(j) === 0x5f && isDigit(sql.charCodeAt(j + 1))))) j++
  }
  digits()
  // A fraction, but not the `..` of a range such as `1..2` in PL/pgSQL.
  if (sql.charCodeAt(j) === 0x2e && sql.charCodeAt(j + 1) !== 0x2e) {
    j++
    digits()
  }
  const e = sql.charCodeAt(j) | 0x20
  if (e === 0x65) {
    const sign = sql.charCodeAt(j + 1)
    const first = sign === 0x2b || sign === 0x2d ? j + 2 : j + 1
    if (isDigit(sql.charCodeAt(first))) {
      j = first
      digits()
    }
  }
  return j
}

/**
 * Calls `visit` with each token of `sql` in order (every character belongs
 * to exactly one token), `end` exclusive.
 *
 * @since 0.1.0
 * @category lexing
 */
export const scanSql = (sql: string, visit: (kind: SqlTokenKind, start: number, end: number) => void): void => {
  const n = sql.length
  let i = 0
  while (i < n) {
    const start = i
    const c = sql.charCodeAt(i)
    const next = sql.charCodeAt(i + 1)
    if (isSpace(c)) {
      while (i < n && isSpace(sql.charCodeAt(i))) i++
      visit("space", start, i)
    } else if (c === 0x3b) {
      visit("semicolon", start, ++i)
    } else if (c === 0x2d && next === 0x2d) {
      while (i < n && sql.charCodeAt(i) !== 0x0a) i++
      visit("comment", start, i)
    } else if (c === 0x2f && next === 0x2a) {
      i = afterBlockComment(sql, i)
      visit("comment", start, i)
    } else if (c === 0x27) {
      i = afterQuoted(sql, i, 0x27, false)
      visit("string", start, i)
    } else if (c === 0x22) {
      i = afterQuoted(sql, i, 0x22, false)
      visit("quotedIdentifier", start, i)
    } else if (isStringPrefix(c) && next === 0x27) {
      i = afterQuoted(sql, i + 1, 0x27, c === 0x45 || c === 0x65)
      visit("string", start, i)
    } else if ((c === 0x55 || c === 0x75) && next === 0x26 && (sql.charCodeAt(i + 2) === 0x27 || sql.charCodeAt(i + 2) === 0x22)) {
      // U&'...' and U&"..."
      const quote = sql.charCodeAt(i + 2)
      i = afterQuoted(sql, i + 2, quote, false)
      visit(quote === 0x27 ? "string" : "quotedIdentifier", start, i)
    } else if (c === 0x24) {
      const tagEnd = dollarTagEnd(sql, i)
      if (tagEnd !== -1) {
        const close = sql.indexOf(sql.slice(i, tagEnd), tagEnd)
        i = close === -1 ? n : close + (tagEnd - i)
        visit("string", start, i)
      } else if (isDigit(next)) {
        i++
        while (i < n && isDigit(sql.charCodeAt(i))) i++
        visit("parameter", start, i)
      } else {
        visit("operator", start, ++i)
      }
    } else if (isIdentifierStart(c)) {
      // The identifier whole, so a '$' inside it is not a dollar quote.
      while (i < n && isIdentifierPart(sql.charCodeAt(i))) i++
      visit("identifier", start, i)
    } else if (isDigit(c) || (c === 0x2e && isDigit(next))) {
      i = afterNumber(sql, i)
      visit("number", start, i)
    } else {
      visit("operator", start, ++i)
    }
  }
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
  scanSql(sql, (kind, start, end) => {
    if (kind === "string" || kind === "number") {
      out += sql.slice(copied, start) + "?"
      copied = end
    }
  })
  return copied === 0 ? sql : out + sql.slice(copied)
}
