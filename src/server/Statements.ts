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

import { scanSql } from "../protocol/SqlLexer.ts"

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
  let start = 0
  let content = false
  const finish = (end: number) => {
    if (content) out.push(sql.slice(start, end).trim())
    start = end + 1
    content = false
  }
  scanSql(sql, (kind, at) => {
    if (kind === "semicolon") finish(at)
    else if (kind !== "space" && kind !== "comment") content = true
  })
  finish(sql.length)
  return out
}
