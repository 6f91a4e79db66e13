/**
 * The error a server handler fails with: everything an ErrorResponse can
 * carry. The session turns it into an ErrorResponse with the same fields;
 * severity `FATAL` also closes the connection.
 *
 * What it is not: an error of the server itself (listening, sockets), which
 * are `ConnectionError`s from the transport.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import type { NoticeFields } from "../protocol/index.ts"
import { SqlState } from "../protocol/SqlState.ts"

/**
 * @since 0.1.0
 * @category errors
 */
export class PgError extends Schema.TaggedError<PgError>()("PgError", {
  /** The SQLSTATE, e.g. `"23505"`; see `SqlState` in the protocol module. */
  code: Schema.String,
  message: Schema.String,
  /** `ERROR` (default) ends the statement; `FATAL` ends the session. */
  severity: Schema.optional(Schema.Literals(["ERROR", "FATAL"])),
  detail: Schema.optional(Schema.String),
  hint: Schema.optional(Schema.String),
  /** A 1-based character position in the query text. */
  position: Schema.optional(Schema.Number),
  where: Schema.optional(Schema.String),
  schemaName: Schema.optional(Schema.String),
  tableName: Schema.optional(Schema.String),
  columnName: Schema.optional(Schema.String),
  dataTypeName: Schema.optional(Schema.String),
  constraintName: Schema.optional(Schema.String)
}) {}

/**
 * The optional fields of a `PgError`.
 *
 * @since 0.1.0
 * @category models
 */
export interface PgErrorDetails {
  readonly severity?: "ERROR" | "FATAL" | undefined
  readonly detail?: string | undefined
  readonly hint?: string | undefined
  readonly position?: number | undefined
  readonly where?: string | undefined
  readonly schemaName?: string | undefined
  readonly tableName?: string | undefined
  readonly columnName?: string | undefined
  readonly dataTypeName?: string | undefined
  readonly constraintName?: string | undefined
}

/**
 * Builds a `PgError`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const pgError = (code: string, message: string, details?: PgErrorDetails): PgError => {
  const fields: {
    -readonly [K in keyof PgErrorDetails]: PgErrorDetails[K]
  } = {}
  if (details !== undefined) {
    for (const key of Object.keys(details) as Array<keyof PgErrorDetails>) {
      const value = details[key]
      if (value !== undefined) Object.assign(fields, { [key]: value })
    }
  }
  return new PgError({ code, message, ...fields })
}

/**
 * A FATAL error: the session sends it and closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fatal = (code: string, message: string, details?: PgErrorDetails): PgError =>
  pgError(code, message, { ...details, severity: "FATAL" })

/**
 * The fields of the ErrorResponse for an error.
 *
 * @since 0.1.0
 * @category conversions
 */
export const errorFields = (error: PgError): NoticeFields => {
  const severity = error.severity ?? "ERROR"
  const fields: { -readonly [K in keyof NoticeFields]: NoticeFields[K] } = {
    severity,
    severityNonLocalized: severity,
    code: error.code,
    message: error.message
  }
  if (error.detail !== undefined) fields.detail = error.detail
  if (error.hint !== undefined) fields.hint = error.hint
  if (error.position !== undefined) fields.position = String(error.position)
  if (error.where !== undefined) fields.where = error.where
  if (error.schemaName !== undefined) fields.schemaName = error.schemaName
  if (error.tableName !== undefined) fields.tableName = error.tableName
  if (error.columnName !== undefined) fields.columnName = error.columnName
  if (error.dataTypeName !== undefined) fields.dataTypeName = error.dataTypeName
  if (error.constraintName !== undefined) fields.constraintName = error.constraintName
  return fields
}

/** The same error with some details replaced. */
const withDetails = (error: PgError, details: PgErrorDetails): PgError =>
  pgError(error.code, error.message, {
    severity: error.severity,
    detail: error.detail,
    hint: error.hint,
    position: error.position,
    where: error.where,
    schemaName: error.schemaName,
    tableName: error.tableName,
    columnName: error.columnName,
    dataTypeName: error.dataTypeName,
    constraintName: error.constraintName,
    ...details
  })

/**
 * The same error with severity FATAL.
 *
 * @since 0.1.0
 * @category constructors
 */
export const asFatal = (error: PgError): PgError => error.severity === "FATAL" ? error : withDetails(error, { severity: "FATAL" })

/**
 * The same error with another position (a statement's position made
 * relative to the whole query string).
 *
 * @since 0.1.0
 * @category constructors
 */
export const withPosition = (error: PgError, position: number): PgError => withDetails(error, { position })

/** @internal */
export const isFatal = (error: PgError): boolean => error.severity === "FATAL"

/**
 * The error for a handler defect: no details of the defect reach the client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const internalError = (): PgError => pgError(SqlState.internalError, "internal error in the query handler")

/**
 * The error a statement interrupted by a CancelRequest answers with.
 *
 * @since 0.1.0
 * @category constructors
 */
export const queryCanceled = (): PgError => pgError(SqlState.queryCanceled, "canceling statement due to user request")

/**
 * A protocol violation: FATAL 08P01.
 *
 * @since 0.1.0
 * @category constructors
 */
export const protocolViolation = (message: string): PgError => fatal(SqlState.protocolViolation, message)
