/**
 * A PQtrace-style formatter for debugging: one line per message with its
 * direction (`F` frontend, `B` backend), its length as on the wire, its name
 * and its fields, in the spirit of libpq's `PQtrace` output:
 *
 * ```
 * F	27	Parse	 "" "SELECT $1::int" 1 23
 * B	4	ParseComplete
 * B	25	ErrorResponse	 S "ERROR" C "42P01" M "relation \"t\" does not exist" \x00
 * ```
 *
 * Strings are quoted, byte fields are shown as hex (`'\x0102'`) up to a
 * limit and then summarised, so a trace of a large COPY stays readable.
 * Secrets (passwords, SASL and GSS data, cancel keys) are shown as their
 * size only.
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import { encodeBackend, type BackendMessage } from "./Backend.ts"
import { encodeFrontend, type FrontendMessage } from "./Frontend.ts"
import { NoticeFieldCode, type NoticeFields } from "./messages/Notice.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface TraceOptions {
  /** Byte fields longer than this are shown as their first bytes and a count. Default 64. */
  readonly maxBytes?: number
  /** A timestamp in front of each line, as libpq prints unless told not to. Default none. */
  readonly timestamp?: () => string
}

const hex = (bytes: Uint8Array, max: number): string => {
  let out = "'\\x"
  const n = Math.min(bytes.length, max)
  for (let i = 0; i < n; i++) out += bytes[i]!.toString(16).padStart(2, "0")
  out += "'"
  return bytes.length > max ? `${out}...(${bytes.length} bytes)` : out
}

const noticeFields = (fields: NoticeFields): string => {
  let out = ""
  for (const name of Object.keys(NoticeFieldCode) as Array<keyof typeof NoticeFieldCode>) {
    const value = fields[name]
    if (value !== undefined) out += ` ${String.fromCharCode(NoticeFieldCode[name])} ${JSON.stringify(value)}`
  }
  for (const [code, value] of fields.unknownFields ?? []) out += ` ${code} ${JSON.stringify(value)}`
  return out
}

const field = (value: unknown, max: number): string => {
  if (typeof value === "string") return JSON.stringify(value)
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value)
  if (value === null || value === undefined) return "NULL"
  if (value instanceof Uint8Array) return hex(value, max)
  if (Array.isArray(value)) return value.map((item) => (typeof item === "object" && item !== null && !(item instanceof Uint8Array) ? `{${fields(item, max)} }` : field(item, max))).join(" ")
  if (typeof value === "object") return `{${fields(value, max)} }`
  return String(value)
}

/**
 * Fields that carry secrets: passwords and MD5 responses, SASL and GSS
 * exchanges (a SCRAM proof or server signature lets a password be guessed
 * offline), and cancel keys. A trace shows their size, never their content.
 */
const secretFields: Readonly<Record<string, string>> = {
  PasswordMessage: "password",
  PasswordMessageFamily: "data",
  SASLInitialResponse: "data",
  SASLResponse: "data",
  GSSResponse: "data",
  AuthenticationSASLFinal: "data",
  BackendKeyData: "secretKey",
  CancelRequest: "secretKey"
}

const redacted = (value: unknown): string =>
  typeof value === "string"
    ? "<redacted>"
    : value instanceof Uint8Array
    ? `<redacted ${value.length} bytes>`
    : "<redacted>"

const fields = (message: object, max: number): string => {
  let out = ""
  const secret = "_tag" in message && typeof message._tag === "string" ? secretFields[message._tag] : undefined
  for (const [key, value] of Object.entries(message)) {
    if (key === "_tag") continue
    if (key === secret) {
      out += ` ${redacted(value)}`
      continue
    }
    if (key === "fields" && value !== null && typeof value === "object" && !Array.isArray(value)) {
      out += noticeFields(value as NoticeFields)
      continue
    }
    if (key === "parameters" && value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [name, setting] of Object.entries(value as Record<string, string>)) {
        out += ` ${JSON.stringify(name)} ${JSON.stringify(setting)}`
      }
      continue
    }
    if (Array.isArray(value)) out += ` ${value.length}`
    const shown = field(value, max)
    if (shown.length > 0) out += ` ${shown}`
  }
  return out
}

const line = (
  direction: "F" | "B",
  message: { readonly _tag: string },
  encoded: Result.Result<Uint8Array, unknown>,
  options: TraceOptions | undefined
): string => {
  const max = options?.maxBytes ?? 64
  // The length as on the wire: the length field's value (untyped packets include no type byte).
  let length = "?"
  if (Result.isSuccess(encoded)) {
    const bytes = encoded.success
    const typed = !(message._tag === "StartupMessage" || message._tag === "SSLRequest" ||
      message._tag === "GSSENCRequest" || message._tag === "CancelRequest")
    const o = typed ? 1 : 0
    length = String(((bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!) >>> 0)
  }
  const body = fields(message, max)
  const prefix = options?.timestamp === undefined ? "" : `${options.timestamp()}\t`
  return `${prefix}${direction}\t${length}\t${message._tag}${body.length > 0 ? `\t${body}` : ""}`
}

/**
 * One trace line for a message the frontend sent.
 *
 * @since 0.1.0
 * @category formatting
 */
export const traceFrontend = (message: FrontendMessage, options?: TraceOptions): string =>
  line("F", message, encodeFrontend(message), options)

/**
 * One trace line for a message the backend sent.
 *
 * @since 0.1.0
 * @category formatting
 */
export const traceBackend = (message: BackendMessage<unknown>, options?: TraceOptions): string =>
  line("B", message, isRawMessage(message) ? encodeBackend(message) : Result.fail("decoded row"), options)

/** A DataRow from a parser with a row decoder holds values, not bytes: it has no wire length here. */
const isRawMessage = (message: BackendMessage<unknown>): message is BackendMessage =>
  message._tag !== "DataRow" ||
  (Array.isArray(message.values) && message.values.every((value: unknown) => value === null || value instanceof Uint8Array))
