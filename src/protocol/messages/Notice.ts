/**
 * ErrorResponse and NoticeResponse (the same body: a list of one-byte field
 * codes and strings), and NotificationResponse (a NOTIFY delivered to a
 * listening session).
 *
 * Every field code the protocol defines has a named property; codes the
 * protocol may add later are kept, in order, in `unknownFields` (the docs ask
 * frontends to ignore them rather than fail), so nothing the server sent is
 * lost. A code is one byte, kept as the character with that code point.
 *
 * @since 0.1.0
 */
import { BackendType } from "../MessageType.ts"
import { fail } from "../ProtocolError.ts"
import type { Reader } from "../Reader.ts"
import type { Writer } from "../Writer.ts"

/**
 * The fields of an ErrorResponse or NoticeResponse, named as in the
 * PostgreSQL docs ("Error and Notice Message Fields"). All optional on the
 * wire; PostgreSQL always sends severity, code and message.
 *
 * @since 0.1.0
 * @category models
 */
export interface NoticeFields {
  /** 'S': ERROR, FATAL, PANIC, WARNING, NOTICE, DEBUG, INFO or LOG, possibly localized. */
  readonly severity?: string
  /** 'V': the severity, never localized (PostgreSQL 9.6+). */
  readonly severityNonLocalized?: string
  /** 'C': the SQLSTATE code. */
  readonly code?: string
  /** 'M': the primary message. */
  readonly message?: string
  /** 'D': an optional secondary message. */
  readonly detail?: string
  /** 'H': a suggestion what to do. */
  readonly hint?: string
  /** 'P': a 1-based character index into the query string, as decimal text. */
  readonly position?: string
  /** 'p': like position, for an internally generated command. */
  readonly internalPosition?: string
  /** 'q': the text of the internally generated command. */
  readonly internalQuery?: string
  /** 'W': the call stack context. */
  readonly where?: string
  /** 's' */
  readonly schemaName?: string
  /** 't' */
  readonly tableName?: string
  /** 'c' */
  readonly columnName?: string
  /** 'd' */
  readonly dataTypeName?: string
  /** 'n' */
  readonly constraintName?: string
  /** 'F': the source file where the error was reported. */
  readonly file?: string
  /** 'L': the source line, as decimal text. */
  readonly line?: string
  /** 'R': the source routine. */
  readonly routine?: string
  /** Fields with codes this version of the protocol does not define, in wire order. */
  readonly unknownFields?: ReadonlyArray<readonly [code: string, value: string]>
}

/**
 * The name of each known field and its one-byte code.
 *
 * @since 0.1.0
 * @category constants
 */
export const NoticeFieldCode = {
  severity: 0x53, // 'S'
  severityNonLocalized: 0x56, // 'V'
  code: 0x43, // 'C'
  message: 0x4d, // 'M'
  detail: 0x44, // 'D'
  hint: 0x48, // 'H'
  position: 0x50, // 'P'
  internalPosition: 0x70, // 'p'
  internalQuery: 0x71, // 'q'
  where: 0x57, // 'W'
  schemaName: 0x73, // 's'
  tableName: 0x74, // 't'
  columnName: 0x63, // 'c'
  dataTypeName: 0x64, // 'd'
  constraintName: 0x6e, // 'n'
  file: 0x46, // 'F'
  line: 0x4c, // 'L'
  routine: 0x52 // 'R'
} as const

/**
 * @since 0.1.0
 * @category models
 */
export type NoticeFieldName = keyof typeof NoticeFieldCode

const fieldNames = Object.keys(NoticeFieldCode) as ReadonlyArray<NoticeFieldName>
const nameByCode: Array<NoticeFieldName | undefined> = new Array(256).fill(undefined)
for (const name of fieldNames) nameByCode[NoticeFieldCode[name]] = name

/** @since 0.1.0 @category models */
export interface ErrorResponse {
  readonly _tag: "ErrorResponse"
  readonly fields: NoticeFields
}

/** @since 0.1.0 @category models */
export interface NoticeResponse {
  readonly _tag: "NoticeResponse"
  readonly fields: NoticeFields
}

/** @internal */
export const encodeNotice = (w: Writer, m: ErrorResponse | NoticeResponse): void => {
  const at = w.begin(m._tag === "ErrorResponse" ? BackendType.ErrorResponse : BackendType.NoticeResponse)
  const fields = m.fields
  for (const name of fieldNames) {
    const value = fields[name]
    if (value === undefined) continue
    w.u8(NoticeFieldCode[name])
    w.cstring(value, `${name} field`)
  }
  for (const [code, value] of fields.unknownFields ?? []) {
    const byte = code.length === 1 ? code.charCodeAt(0) : -1
    if (byte <= 0 || byte > 0xff || nameByCode[byte] !== undefined) {
      fail("EncodeFailed", `unknown field code ${JSON.stringify(code)} must be one character (U+0001..U+00FF) not already defined`)
    }
    w.u8(byte)
    w.cstring(value, "field")
  }
  w.u8(0)
  w.end(at)
}

/** @internal */
export const decodeNoticeFields = (r: Reader): NoticeFields => {
  const fields: { -readonly [K in NoticeFieldName]?: string } = {}
  let unknown: Array<readonly [string, string]> | undefined
  for (;;) {
    const code = r.u8("field code")
    if (code === 0) break
    const value = r.cstring("field value")
    const name = nameByCode[code]
    if (name === undefined) {
      ;(unknown ??= []).push([String.fromCharCode(code), value])
    } else if (fields[name] !== undefined) {
      fail("InvalidValue", `field '${String.fromCharCode(code)}' appears twice`)
    } else {
      fields[name] = value
    }
  }
  return unknown === undefined ? fields : { ...fields, unknownFields: unknown }
}

/** @internal */
export const decodeErrorResponse = (r: Reader): ErrorResponse => ({
  _tag: "ErrorResponse",
  fields: decodeNoticeFields(r)
})

/** @internal */
export const decodeNoticeResponse = (r: Reader): NoticeResponse => ({
  _tag: "NoticeResponse",
  fields: decodeNoticeFields(r)
})

/**
 * A NOTIFY on a channel this session listens to.
 *
 * @since 0.1.0
 * @category models
 */
export interface NotificationResponse {
  readonly _tag: "NotificationResponse"
  /** The process id of the notifying backend. */
  readonly processId: number
  readonly channel: string
  readonly payload: string
}

/** @internal */
export const encodeNotificationResponse = (w: Writer, m: NotificationResponse): void => {
  const at = w.begin(BackendType.NotificationResponse)
  w.i32(m.processId)
  w.cstring(m.channel, "channel")
  w.cstring(m.payload, "payload")
  w.end(at)
}

/** @internal */
export const decodeNotificationResponse = (r: Reader): NotificationResponse => {
  const processId = r.i32("process id")
  const channel = r.cstring("channel")
  const payload = r.cstring("payload")
  return { _tag: "NotificationResponse", processId, channel, payload }
}
