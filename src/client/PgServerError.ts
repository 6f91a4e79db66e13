/**
 * An ErrorResponse from the server, with every field it sent.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import type { NoticeFields } from "../protocol/messages/Notice.ts"
import * as SqlState from "../protocol/SqlState.ts"

/**
 * The server reported an error. `code` is the SQLSTATE; `className` its
 * class (`"integrity_constraint_violation"` for 23505). Every field the
 * server sent is kept, including ones this version does not name.
 *
 * @since 0.1.0
 * @category errors
 */
export class PgServerError extends Schema.TaggedError<PgServerError>()("PgServerError", {
  message: Schema.String,
  /** SQLSTATE, e.g. "23505". */
  code: Schema.String,
  /** ERROR, FATAL or PANIC (never localized when the server sends 'V'). */
  severity: Schema.String,
  detail: Schema.optional(Schema.String),
  hint: Schema.optional(Schema.String),
  /** 1-based character position in the query. */
  position: Schema.optional(Schema.Number),
  internalPosition: Schema.optional(Schema.Number),
  internalQuery: Schema.optional(Schema.String),
  where: Schema.optional(Schema.String),
  schemaName: Schema.optional(Schema.String),
  tableName: Schema.optional(Schema.String),
  columnName: Schema.optional(Schema.String),
  dataTypeName: Schema.optional(Schema.String),
  constraintName: Schema.optional(Schema.String),
  file: Schema.optional(Schema.String),
  line: Schema.optional(Schema.Number),
  routine: Schema.optional(Schema.String),
  /** Fields with codes the protocol does not define (yet). */
  unknownFields: Schema.optional(Schema.Array(Schema.Tuple([Schema.String, Schema.String]))),
  /** The statement that failed, when known. */
  query: Schema.optional(Schema.String)
}) {
  /** The SQLSTATE class name, e.g. "integrity_constraint_violation". */
  get className(): string | undefined {
    return SqlState.className(this.code)
  }
  /** The condition name, e.g. "unique_violation". */
  get conditionName(): string | undefined {
    return SqlState.lookup(this.code)?.name
  }
  /** Whether retrying the same transaction is the standard advice (40001, 40P01). */
  get isRetryable(): boolean {
    return SqlState.isRetryable(this.code)
  }
  /** A FATAL or PANIC error ends the session. */
  get isFatal(): boolean {
    return this.severity === "FATAL" || this.severity === "PANIC"
  }
}

const int = (text: string | undefined): number | undefined => {
  if (text === undefined) return undefined
  const n = Number(text)
  return Number.isInteger(n) ? n : undefined
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const fromNoticeFields = (fields: NoticeFields, query?: string): PgServerError =>
  new PgServerError({
    message: fields.message ?? "(no message)",
    code: fields.code ?? "XX000",
    severity: fields.severityNonLocalized ?? fields.severity ?? "ERROR",
    ...(fields.detail !== undefined ? { detail: fields.detail } : {}),
    ...(fields.hint !== undefined ? { hint: fields.hint } : {}),
    ...(int(fields.position) !== undefined ? { position: int(fields.position)! } : {}),
    ...(int(fields.internalPosition) !== undefined ? { internalPosition: int(fields.internalPosition)! } : {}),
    ...(fields.internalQuery !== undefined ? { internalQuery: fields.internalQuery } : {}),
    ...(fields.where !== undefined ? { where: fields.where } : {}),
    ...(fields.schemaName !== undefined ? { schemaName: fields.schemaName } : {}),
    ...(fields.tableName !== undefined ? { tableName: fields.tableName } : {}),
    ...(fields.columnName !== undefined ? { columnName: fields.columnName } : {}),
    ...(fields.dataTypeName !== undefined ? { dataTypeName: fields.dataTypeName } : {}),
    ...(fields.constraintName !== undefined ? { constraintName: fields.constraintName } : {}),
    ...(fields.file !== undefined ? { file: fields.file } : {}),
    ...(int(fields.line) !== undefined ? { line: int(fields.line)! } : {}),
    ...(fields.routine !== undefined ? { routine: fields.routine } : {}),
    ...(fields.unknownFields !== undefined ? { unknownFields: fields.unknownFields.map(([c, v]) => [c, v] as const) } : {}),
    ...(query !== undefined ? { query } : {})
  })
