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
  BackendType,
  type FieldDescription,
  type FrontendMessage,
  makeBackendParser,
  type NoticeFields,
  type TransactionStatus,
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

/** PGlite's answer to a Query, ready for the client: see `answerOf`. */
export interface QueryAnswerBytes {
  /** The result messages, without ReadyForQuery, ParameterStatus and NotificationResponse. */
  readonly messages: Uint8Array
  /** The status of the answer's ReadyForQuery. */
  readonly status: TransactionStatus
  readonly notifications: ReadonlyArray<Extract<BackendMessage, { _tag: "NotificationResponse" }>>
  /** An error said a cached plan no longer fits (0A000): descriptions are stale. */
  readonly stale: boolean
}

const noNotifications: ReadonlyArray<never> = []

/**
 * Splits PGlite's answer to one Query: the messages that go to the client
 * as they are (a view of `raw` when only the final ReadyForQuery is taken
 * off), the final status, and the notifications to route. Anything that is
 * not whole messages ending in ReadyForQuery is an error.
 */
export const answerOf = (raw: Uint8Array): QueryAnswerBytes | Error => {
  let at = 0
  let kept: Array<Uint8Array> | undefined
  let keptFrom = 0
  let status: TransactionStatus | undefined
  let notifications: Array<Extract<BackendMessage, { _tag: "NotificationResponse" }>> | undefined
  let stale = false
  while (at < raw.length) {
    if (status !== undefined || at + 5 > raw.length) return new Error("a message follows ReadyForQuery or is cut short")
    const type = raw[at]!
    const length = ((raw[at + 1]! << 24) | (raw[at + 2]! << 16) | (raw[at + 3]! << 8) | raw[at + 4]!) >>> 0
    const end = at + 1 + length
    if (length < 4 || end > raw.length) return new Error("a message length runs past the answer")
    if (type === BackendType.ReadyForQuery) {
      const byte = length === 5 ? raw[at + 5] : undefined
      if (byte !== 0x49 && byte !== 0x54 && byte !== 0x45) return new Error("a ReadyForQuery without a transaction status I, T or E")
      status = byte === 0x49 ? "I" : byte === 0x54 ? "T" : "E"
      ;(kept ??= []).push(raw.subarray(keptFrom, at))
      keptFrom = end
    } else if (type === BackendType.NotificationResponse || type === BackendType.ParameterStatus) {
      const decoded = parse(raw.subarray(at, end))
      if (!Array.isArray(decoded)) return new Error(decoded.message)
      const message = decoded[0]
      if (message?._tag === "NotificationResponse") (notifications ??= []).push(message)
      ;(kept ??= []).push(raw.subarray(keptFrom, at))
      keptFrom = end
    } else if (type === BackendType.ErrorResponse) {
      const decoded = parse(raw.subarray(at, end))
      const message = Array.isArray(decoded) ? decoded[0] : undefined
      if (message?._tag === "ErrorResponse" && message.fields.code === "0A000") stale = true
    }
    at = end
  }
  if (status === undefined) return new Error("the answer has no ReadyForQuery")
  let messages: Uint8Array
  if (kept === undefined || (kept.length === 1 && kept[0]!.byteOffset === raw.byteOffset && keptFrom === raw.length)) {
    messages = kept === undefined ? raw : kept[0]!
  } else {
    if (keptFrom < raw.length) kept.push(raw.subarray(keptFrom))
    let size = 0
    for (const part of kept) size += part.length
    messages = new Uint8Array(size)
    let offset = 0
    for (const part of kept) {
      messages.set(part, offset)
      offset += part.length
    }
  }
  return { messages, status, notifications: notifications ?? noNotifications, stale }
}
