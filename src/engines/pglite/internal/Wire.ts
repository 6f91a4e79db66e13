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
  backendLimitTable,
  BackendType,
  type FieldDescription,
  type FrontendMessage,
  makeBackendParser,
  makeFrameScanner,
  type NoticeFields,
  type TransactionStatus,
  transactionStatusOf,
  writeFrontend,
  Writer
} from "../../../protocol/index.ts"
import { type Field, pgError, type PgError } from "../../../server/index.ts"
import { concatBytes } from "../../../auth/internal/encoding.ts"

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

const backendLimits = backendLimitTable(undefined)
const answerInspected = [BackendType.ReadyForQuery, BackendType.NotificationResponse]

/**
 * Splits PGlite's answer to one Query: the messages that go to the client
 * as they are (a view of `raw` when only the final ReadyForQuery is taken
 * off), the final status, and the notifications to route. Anything that is
 * not whole messages ending in ReadyForQuery is an error.
 */
export const answerOf = (raw: Uint8Array): QueryAnswerBytes | Error => {
  const kept: Array<Uint8Array> = []
  let keptFrom = 0
  let status: TransactionStatus | undefined
  let notifications: Array<Extract<BackendMessage, { _tag: "NotificationResponse" }>> | undefined
  let stale = false
  let problem: string | undefined
  const scanned = makeFrameScanner({ limits: backendLimits, inspect: answerInspected }).push(raw, (type, body, end, length) => {
    const start = end - length - 1
    if (status !== undefined) problem ??= "a message follows ReadyForQuery"
    if (type === BackendType.ErrorResponse) {
      const decoded = parse(raw.subarray(start, end))
      if (Array.isArray(decoded) && decoded[0]?._tag === "ErrorResponse" && decoded[0].fields.code === "0A000") stale = true
      return
    }
    if (type === BackendType.ReadyForQuery) {
      status = body?.length === 1 ? transactionStatusOf(body[0]) : undefined
      if (status === undefined) problem ??= "a ReadyForQuery without a transaction status I, T or E"
    } else if (type === BackendType.NotificationResponse) {
      const decoded = parse(raw.subarray(start, end))
      if (!Array.isArray(decoded) || decoded[0]?._tag !== "NotificationResponse") problem ??= "a NotificationResponse that does not decode"
      else (notifications ??= []).push(decoded[0])
    } else if (type !== BackendType.ParameterStatus) return
    kept.push(raw.subarray(keptFrom, start))
    keptFrom = end
  })
  if (typeof scanned !== "number") return new Error(scanned.message)
  if (scanned !== raw.length) return new Error("the answer ends inside a message")
  if (problem !== undefined) return new Error(problem)
  if (status === undefined) return new Error("the answer has no ReadyForQuery")
  // The common answer: only the final ReadyForQuery comes off, and a view will do.
  const messages = kept.length === 1 ? kept[0]! : concatBytes(...kept)
  return { messages, status, notifications: notifications ?? noNotifications, stale }
}

