/**
 * Errors of one query that leave the connection usable.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import type { FieldDescription } from "../protocol/messages/Query.ts"
import type { ProtocolError } from "../protocol/ProtocolError.ts"
import type { ConnectionError } from "../transport/ConnectionError.ts"
import { PgServerError } from "./PgServerError.ts"

/**
 * A result value could not be decoded (invalid JSON in a json column, a
 * binary value of the wrong size, ...). The query fails; the connection
 * stays usable.
 *
 * @since 0.1.0
 * @category errors
 */
export class ValueDecodeError extends Schema.TaggedError<ValueDecodeError>()("ValueDecodeError", {
  message: Schema.String,
  column: Schema.String,
  /** The column's type OID. */
  dataTypeOid: Schema.Number,
  query: Schema.String
}) {}

/**
 * The ValueDecodeError for column `column` of a result described by `fields`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const valueDecodeError = (
  fields: ReadonlyArray<FieldDescription>,
  column: number,
  reason: string,
  query: string
): ValueDecodeError => {
  const field = fields[column]
  const name = field?.name ?? String(column)
  return new ValueDecodeError({
    message: `column "${name}" (type ${field?.dataTypeOid ?? "unknown"}): ${reason}`,
    column: name,
    dataTypeOid: field?.dataTypeOid ?? 0,
    query
  })
}

/**
 * A cached prepared statement went stale inside a transaction block (the
 * table changed shape: SQLSTATE 0A000, or the statement vanished after a
 * pooler or failover: 26000). It was evicted; the transaction is aborted and
 * can be retried as a whole.
 *
 * @since 0.1.0
 * @category errors
 */
export class StaleStatementError extends Schema.TaggedError<StaleStatementError>()("StaleStatementError", {
  message: Schema.String,
  query: Schema.String,
  cause: PgServerError
}) {}

/**
 * A parameter could not be encoded for the type the server expects, or there
 * are not as many parameters as the statement has placeholders.
 *
 * @since 0.1.0
 * @category errors
 */
export class ParameterError extends Schema.TaggedError<ParameterError>()("ParameterError", {
  message: Schema.String,
  query: Schema.String
}) {}

/**
 * A COPY operation was given a statement of the wrong kind (copyFrom needs
 * `COPY ... FROM STDIN`, copyTo `COPY ... TO STDOUT`), or COPY data was
 * malformed on our side.
 *
 * @since 0.1.0
 * @category errors
 */
export class CopyError extends Schema.TaggedError<CopyError>()("CopyError", {
  message: Schema.String,
  query: Schema.String
}) {}

/**
 * What a query can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type QueryError =
  | PgServerError
  | ConnectionError
  | ProtocolError
  | ValueDecodeError
  | StaleStatementError
  | ParameterError
  | CopyError
