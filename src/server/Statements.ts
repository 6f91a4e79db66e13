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

import { splitSql } from "../protocol/SqlLexer.ts"

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
export const splitStatements: (sql: string) => Array<string> = splitSql
