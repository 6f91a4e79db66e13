/**
 * Splits a simple-query string into its statements, as PostgreSQL's lexer
 * sees them: semicolons inside quoted strings (`'...'`, `E'...'` with
 * backslash escapes), quoted identifiers, dollar-quoted strings
 * (`$tag$...$tag$`) and comments (`--`, nested `/* *\/`) do not split.
 *
 * What it is not: a SQL parser. It finds boundaries; the handler reads the
 * statements.
 *
 * @since 0.1.0
 */

const isIdentifierStart = (c: number): boolean =>
  (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c >= 0x80

const isIdentifierPart = (c: number): boolean => isIdentifierStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x24

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c || c === 0x0b

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
  return i + 1
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

/**
 * The statements of a query string, each without its terminating semicolon
 * and surrounding whitespace. Pieces holding nothing but whitespace and
 * comments are left out, so `""`, `";"` and `"-- note"` give no statement
 * (PostgreSQL answers those with EmptyQueryResponse). An unterminated string
 * or comment runs to the end of the text (the handler then reports the
 * syntax error).
 *
 * @since 0.1.0
 * @category parsing
 */
export const splitStatements = (sql: string): Array<string> => {
  const out: Array<string> = []
  const n = sql.length
  let start = 0
  let content = false
  let i = 0
  const finish = (end: number) => {
    if (content) out.push(sql.slice(start, end).trim())
    start = end + 1
    content = false
  }
  while (i < n) {
    const c = sql.charCodeAt(i)
    if (c === 0x3b) {
      // ';'
      finish(i)
      i++
      continue
    }
    if (isSpace(c)) {
      i++
      continue
    }
    if (c === 0x2d && sql.charCodeAt(i + 1) === 0x2d) {
      // '--' to the end of the line
      while (i < n && sql.charCodeAt(i) !== 0x0a) i++
      continue
    }
    if (c === 0x2f && sql.charCodeAt(i + 1) === 0x2a) {
      // '/*', nested
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
      continue
    }
    content = true
    if (c === 0x27) {
      // '...' ; E'...' takes backslash escapes
      const prev = i > 0 ? sql.charCodeAt(i - 1) : 0
      const escapes = (prev === 0x45 || prev === 0x65) && (i < 2 || !isIdentifierPart(sql.charCodeAt(i - 2)))
      i = afterQuoted(sql, i, 0x27, escapes)
      continue
    }
    if (c === 0x22) {
      // "identifier"
      i = afterQuoted(sql, i, 0x22, false)
      continue
    }
    if (c === 0x24 && (i === 0 || !isIdentifierPart(sql.charCodeAt(i - 1)))) {
      const tagEnd = dollarTagEnd(sql, i)
      if (tagEnd !== -1) {
        const tag = sql.slice(i, tagEnd)
        const close = sql.indexOf(tag, tagEnd)
        i = close === -1 ? n : close + tag.length
        continue
      }
    }
    if (isIdentifierStart(c)) {
      // Skip the identifier whole, so a '$' inside it is not a dollar quote.
      while (i < n && isIdentifierPart(sql.charCodeAt(i))) i++
      continue
    }
    i++
  }
  finish(n)
  return out
}
