/**
 * Rows decoded with a `Schema` the caller gives (`effect/Schema`): the
 * typed entry point to query results. The driver decodes each column by its
 * PostgreSQL type first (see docs/types.md); the schema then checks and
 * transforms each row object, so a schema says what the application expects
 * (`Schema.Struct({ id: Schema.Number, created: Schema.Date })`) and can
 * refine or convert further.
 *
 * A row that does not match fails with a `RowSchemaError` naming the row,
 * the column and what was expected; the connection is unaffected. Schema
 * work happens per row at the public boundary, never per wire message.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import * as Stream from "effect/Stream"
import type { Row } from "./internal/Wire.ts"
import type { PgConnectionShape } from "./PgConnection.ts"
import type { QueryResult } from "./Query.ts"
import type { QueryError } from "./QueryErrors.ts"
import type { StreamOptions } from "./QueryStream.ts"

/**
 * A result row does not match the schema it was decoded with.
 *
 * @since 0.1.0
 * @category errors
 */
export class RowSchemaError extends Schema.TaggedError<RowSchemaError>()("RowSchemaError", {
  message: Schema.String,
  /** The first column the schema rejected, if the problem is in one column. */
  column: Schema.optional(Schema.String),
  /** The row's position in the result, from 0. */
  row: Schema.Number,
  query: Schema.String,
  cause: Schema.Defect()
}) {}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

/**
 * Decodes one row; the error names the row, the column and the problem.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeRow = <S extends Schema.Constraint>(schema: S, query = "") => {
  const decode = Schema.decodeUnknownEffect(schema)
  return (row: Row, index: number): Effect.Effect<S["Type"], RowSchemaError, S["DecodingServices"]> =>
    Effect.mapError(decode(row, { errors: "first" }), (error) => {
      const issue = formatter(error.issue).issues[0]
      const key = issue?.path?.[0]
      const column = typeof key === "string" ? key : undefined
      const where = column === undefined ? `row ${index}` : `row ${index}, column "${column}"`
      return new RowSchemaError({
        message: `${where}: ${issue?.message ?? error.message}`,
        ...(column === undefined ? {} : { column }),
        row: index,
        query,
        cause: error
      })
    })
}

/**
 * Decodes every row of a result.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeRows = <S extends Schema.Constraint>(schema: S, query = "") => {
  const one = decodeRow(schema, query)
  return (result: QueryResult): Effect.Effect<ReadonlyArray<S["Type"]>, RowSchemaError, S["DecodingServices"]> =>
    Effect.forEach(result.rows, one)
}

/**
 * `query` with rows decoded by `schema`.
 *
 * @since 0.1.0
 * @category queries
 */
export const queryAs = <S extends Schema.Constraint>(
  connection: Pick<PgConnectionShape, "query">,
  schema: S,
  sql: string,
  params?: ReadonlyArray<unknown>
): Effect.Effect<ReadonlyArray<S["Type"]>, QueryError | RowSchemaError, S["DecodingServices"]> =>
  Effect.flatMap(connection.query(sql, params), decodeRows(schema, sql))

/**
 * `stream` with rows decoded by `schema`.
 *
 * @since 0.1.0
 * @category queries
 */
export const streamAs = <S extends Schema.Constraint>(
  connection: Pick<PgConnectionShape, "stream">,
  schema: S,
  sql: string,
  params?: ReadonlyArray<unknown>,
  options?: StreamOptions
): Stream.Stream<S["Type"], QueryError | RowSchemaError, S["DecodingServices"]> =>
  Stream.suspend(() => {
    const one = decodeRow(schema, sql)
    let index = 0
    return Stream.mapEffect(connection.stream(sql, params, options), (row) => one(row, index++))
  })
