/**
 * The messages the PGlite engine exchanges with PGlite's backend: frontend
 * messages encoded into one buffer per call, the answer parsed back, and the
 * conversions from backend messages to what a query handler returns (errors,
 * column descriptions).
 *
 * @internal
 */
import * as Result from "effect/Result"
import {
  type BackendMessage,
  type FieldDescription,
  type FrontendMessage,
  makeBackendParser,
  type NoticeFields,
  writeFrontend,
  Writer
} from "../../../protocol/index.ts"
import { type Field, pgError, type PgError } from "../../../server/index.ts"

const writer = new Writer(4096)

/** One buffer holding the messages, or the error when one cannot be encoded (a NUL in a string). */
export const encode = (messages: ReadonlyArray<FrontendMessage>): Uint8Array | PgError => {
  for (const message of messages) {
    const written = writeFrontend(writer, message)
    if (Result.isFailure(written)) {
      writer.take()
      return pgError("22021", written.failure.message)
    }
  }
  return writer.take()
}

let parser = makeBackendParser()
let parsed: Array<BackendMessage> = []
const collect = (message: BackendMessage) => {
  parsed.push(message)
}

/**
 * The backend messages of one answer. PGlite hands over a fresh buffer, so
 * DataRow views stay valid. Answers are whole messages, so one parser
 * serves every call; after an error (it is then terminal) a new one is made.
 */
export const parse = (bytes: Uint8Array): Array<BackendMessage> | PgError => {
  parsed = []
  const error = parser.push(bytes, collect)
  if (error !== undefined) {
    parser = makeBackendParser()
    return pgError("XX000", `PGlite answered with bytes that are not the protocol: ${error.message}`)
  }
  if (parser.buffered() > 0) {
    parser = makeBackendParser()
    return pgError("XX000", "PGlite answered with an incomplete message")
  }
  return parsed
}

const details = (fields: NoticeFields) => ({
  severity: fields.severityNonLocalized === "FATAL" || fields.severityNonLocalized === "PANIC" ? "FATAL" as const : undefined,
  detail: fields.detail,
  hint: fields.hint,
  position: fields.position === undefined ? undefined : Number(fields.position),
  where: fields.where,
  schemaName: fields.schemaName,
  tableName: fields.tableName,
  columnName: fields.columnName,
  dataTypeName: fields.dataTypeName,
  constraintName: fields.constraintName
})

/** A handler error with every field of the backend's ErrorResponse. */
export const errorOf = (fields: NoticeFields): PgError => pgError(fields.code ?? "XX000", fields.message ?? "unknown error", details(fields))

/** Columns as a handler describes them. */
export const fieldsOf = (fields: ReadonlyArray<FieldDescription>): ReadonlyArray<Field> =>
  fields.map((f) => ({
    name: f.name,
    type: f.dataTypeOid,
    typeSize: f.dataTypeSize,
    typeModifier: f.typeModifier,
    tableOid: f.tableOid,
    columnAttributeNumber: f.columnAttributeNumber
  }))

/** A string literal in SQL (standard_conforming_strings is on). */
export const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`

/** An identifier in SQL, always quoted. */
export const identifier = (text: string): string => `"${text.replaceAll("\"", "\"\"")}"`

/** The unnamed statement and portal, run without Sync: the caller decides when the transaction ends. */
export const runUnnamed = (
  sql: string,
  parameterTypes: ReadonlyArray<number>,
  parameters: ReadonlyArray<Uint8Array | null>,
  parameterFormats: ReadonlyArray<number>,
  resultFormats: ReadonlyArray<number>
): Array<FrontendMessage> => [
  { _tag: "Parse", name: "", query: sql, parameterTypes },
  { _tag: "Bind", portal: "", statement: "", parameterFormats, parameters, resultFormats },
  { _tag: "Describe", target: "portal", name: "" },
  { _tag: "Execute", portal: "", maxRows: 0 }
]

export const sync: FrontendMessage = { _tag: "Sync" }
