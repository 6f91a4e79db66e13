/**
 * Session-level backend messages sent around startup and whenever a setting
 * changes (BackendKeyData, ParameterStatus, NegotiateProtocolVersion,
 * ReadyForQuery), and the frontend's Terminate.
 *
 * @since 0.1.0
 */
import { BackendType, FrontendType } from "../MessageType.ts"
import { fail } from "../ProtocolError.ts"
import type { Reader } from "../Reader.ts"
import type { Writer } from "../Writer.ts"

/**
 * The key a client needs to cancel a query of this session. The secret is 4
 * bytes in protocol 3.0 and 4 to 256 bytes in 3.2 (PostgreSQL 18 sends 32).
 *
 * @since 0.1.0
 * @category models
 */
export interface BackendKeyData {
  readonly _tag: "BackendKeyData"
  readonly processId: number
  readonly secretKey: Uint8Array
}

/** @since 0.1.0 @category constants */
export const minSecretKeyLength = 4
/** @since 0.1.0 @category constants */
export const maxSecretKeyLength = 256

/** @internal */
export const checkSecretKey = (key: Uint8Array, what: string, reason: "InvalidValue" | "EncodeFailed"): void => {
  if (key.length < minSecretKeyLength || key.length > maxSecretKeyLength) {
    fail(reason, `${what}: secret key of ${key.length} bytes (must be ${minSecretKeyLength}..${maxSecretKeyLength})`)
  }
}

/** @internal */
export const encodeBackendKeyData = (w: Writer, m: BackendKeyData): void => {
  checkSecretKey(m.secretKey, "BackendKeyData", "EncodeFailed")
  const at = w.begin(BackendType.BackendKeyData)
  w.i32(m.processId)
  w.bytes(m.secretKey)
  w.end(at)
}

/** @internal */
export const decodeBackendKeyData = (r: Reader): BackendKeyData => {
  const processId = r.i32("process id")
  const secretKey = r.rest()
  checkSecretKey(secretKey, "BackendKeyData", "InvalidValue")
  return { _tag: "BackendKeyData", processId, secretKey }
}

/**
 * A run-time parameter the server reports: at startup, and again whenever a
 * reported setting changes.
 *
 * @since 0.1.0
 * @category models
 */
export interface ParameterStatus {
  readonly _tag: "ParameterStatus"
  readonly name: string
  readonly value: string
}

/** @internal */
export const encodeParameterStatus = (w: Writer, m: ParameterStatus): void => {
  const at = w.begin(BackendType.ParameterStatus)
  w.cstring(m.name, "parameter name")
  w.cstring(m.value, "parameter value")
  w.end(at)
}

/** @internal */
export const decodeParameterStatus = (r: Reader): ParameterStatus => {
  const name = r.cstring("parameter name")
  const value = r.cstring("parameter value")
  return { _tag: "ParameterStatus", name, value }
}

/**
 * The server's answer to a StartupMessage asking for a newer minor version
 * than it speaks, or for `_pq_.` options it does not know.
 *
 * @since 0.1.0
 * @category models
 */
export interface NegotiateProtocolVersion {
  readonly _tag: "NegotiateProtocolVersion"
  /**
   * The newest protocol version the server supports within the requested
   * major version, as `major << 16 | minor`. The docs call this the "newest
   * minor protocol version"; PostgreSQL (and libpq, which reads it) put the
   * whole version code on the wire, e.g. `0x30000` for 3.0.
   */
  readonly protocolVersion: number
  /** The `_pq_.` options the server did not recognise. */
  readonly unrecognizedOptions: ReadonlyArray<string>
}

/** @internal */
export const encodeNegotiateProtocolVersion = (w: Writer, m: NegotiateProtocolVersion): void => {
  const at = w.begin(BackendType.NegotiateProtocolVersion)
  w.i32(m.protocolVersion)
  w.i32(m.unrecognizedOptions.length)
  for (const option of m.unrecognizedOptions) w.cstring(option, "protocol option")
  w.end(at)
}

/** @internal */
export const decodeNegotiateProtocolVersion = (r: Reader): NegotiateProtocolVersion => {
  const protocolVersion = r.i32("protocol version") >>> 0
  const count = r.i32("option count")
  if (count < 0) fail("InvalidValue", `NegotiateProtocolVersion: negative option count ${count}`)
  // Each option takes at least its terminator, so a count past the bytes left is a lie.
  if (count > r.remaining) fail("Truncated", `NegotiateProtocolVersion: ${count} options in ${r.remaining} bytes`)
  const unrecognizedOptions: Array<string> = new Array(count)
  for (let i = 0; i < count; i++) unrecognizedOptions[i] = r.cstring("protocol option")
  return { _tag: "NegotiateProtocolVersion", protocolVersion, unrecognizedOptions }
}

/**
 * The transaction status reported by ReadyForQuery: idle, in a transaction
 * block, or in a failed transaction block.
 *
 * @since 0.1.0
 * @category models
 */
export type TransactionStatus = "I" | "T" | "E"

/**
 * @since 0.1.0
 * @category models
 */
export interface ReadyForQuery {
  readonly _tag: "ReadyForQuery"
  readonly transactionStatus: TransactionStatus
}

const readyIdle: ReadyForQuery = Object.freeze({ _tag: "ReadyForQuery", transactionStatus: "I" })
const readyInTransaction: ReadyForQuery = Object.freeze({ _tag: "ReadyForQuery", transactionStatus: "T" })
const readyFailed: ReadyForQuery = Object.freeze({ _tag: "ReadyForQuery", transactionStatus: "E" })

/** @internal */
export const encodeReadyForQuery = (w: Writer, m: ReadyForQuery): void => {
  const at = w.begin(BackendType.ReadyForQuery)
  const status = m.transactionStatus
  if (status !== "I" && status !== "T" && status !== "E") fail("EncodeFailed", `invalid transaction status ${String(status)}`)
  w.u8(status.charCodeAt(0))
  w.end(at)
}

/**
 * The transaction status a ReadyForQuery's byte stands for, or `undefined`
 * for a byte that is none of `I`, `T`, `E` (for code that reads the byte
 * from a frame without decoding the message).
 *
 * @since 0.1.0
 * @category decoding
 */
export const transactionStatusOf = (byte: number | undefined): TransactionStatus | undefined =>
  byte === 0x49 ? "I" : byte === 0x54 ? "T" : byte === 0x45 ? "E" : undefined

/** @internal */
export const decodeReadyForQuery = (r: Reader): ReadyForQuery => {
  const status = r.u8("transaction status")
  switch (transactionStatusOf(status)) {
    case "I":
      return readyIdle
    case "T":
      return readyInTransaction
    case "E":
      return readyFailed
  }
  return fail("InvalidValue", `ReadyForQuery: unknown transaction status 0x${status.toString(16)}`)
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Terminate {
  readonly _tag: "Terminate"
}

/** @since 0.1.0 @category constructors */
export const Terminate: Terminate = Object.freeze({ _tag: "Terminate" })

/** @internal */
export const encodeTerminate = (w: Writer): void => {
  w.end(w.begin(FrontendType.Terminate))
}
