/**
 * The untyped packets a frontend may send first (StartupMessage, SSLRequest,
 * GSSENCRequest, CancelRequest), and the backend's one-byte answers to
 * SSLRequest and GSSENCRequest.
 *
 * These packets carry no type byte: a 32-bit length, then a 32-bit code that
 * is either a protocol version or a request code. `decodeStartupPacket` tells
 * them apart.
 *
 * @since 0.1.0
 */
import { protocolMajor, StartupCode } from "../MessageType.ts"
import { fail } from "../ProtocolError.ts"
import type { Reader } from "../Reader.ts"
import type { Writer } from "../Writer.ts"
import { checkSecretKey } from "./Session.ts"

/**
 * Opens a session. `protocolVersion` is `major << 16 | minor` (see
 * `StartupCode.Protocol3_0` and `Protocol3_2`); `parameters` holds `user`,
 * `database`, `options`, `application_name`, `replication`, any run-time
 * setting, and protocol options named `_pq_.<name>`.
 *
 * @since 0.1.0
 * @category models
 */
export interface StartupMessage {
  readonly _tag: "StartupMessage"
  readonly protocolVersion: number
  readonly parameters: Readonly<Record<string, string>>
}

/** @since 0.1.0 @category models */
export interface SSLRequest {
  readonly _tag: "SSLRequest"
}
/** @since 0.1.0 @category models */
export interface GSSENCRequest {
  readonly _tag: "GSSENCRequest"
}
/** @since 0.1.0 @category constructors */
export const SSLRequest: SSLRequest = Object.freeze({ _tag: "SSLRequest" })
/** @since 0.1.0 @category constructors */
export const GSSENCRequest: GSSENCRequest = Object.freeze({ _tag: "GSSENCRequest" })

/**
 * Sent on a new connection to cancel the query of another session. The key is
 * 4 bytes in protocol 3.0 and 4 to 256 bytes in 3.2.
 *
 * @since 0.1.0
 * @category models
 */
export interface CancelRequest {
  readonly _tag: "CancelRequest"
  readonly processId: number
  readonly secretKey: Uint8Array
}

/**
 * @since 0.1.0
 * @category models
 */
export type StartupPacket = StartupMessage | SSLRequest | GSSENCRequest | CancelRequest

/** The protocol option prefix of protocol 3.2 (and of 3.0 extensions). */
export const protocolOptionPrefix = "_pq_."

/**
 * The `_pq_.` protocol options of a StartupMessage.
 *
 * @since 0.1.0
 * @category accessors
 */
export const protocolOptions = (message: StartupMessage): ReadonlyArray<string> =>
  Object.keys(message.parameters).filter((name) => name.startsWith(protocolOptionPrefix))

/** @internal */
export const encodeStartupPacket = (w: Writer, m: StartupPacket): void => {
  const at = w.beginUntyped()
  switch (m._tag) {
    case "StartupMessage":
      w.i32(m.protocolVersion)
      for (const name of Object.keys(m.parameters)) {
        if (name.length === 0) fail("EncodeFailed", "StartupMessage: an empty parameter name would end the list")
        w.cstring(name, "startup parameter name")
        w.cstring(m.parameters[name]!, "startup parameter value")
      }
      w.u8(0)
      break
    case "SSLRequest":
      w.i32(StartupCode.SSLRequest)
      break
    case "GSSENCRequest":
      w.i32(StartupCode.GSSENCRequest)
      break
    case "CancelRequest":
      checkSecretKey(m.secretKey, "CancelRequest", "EncodeFailed")
      w.i32(StartupCode.CancelRequest)
      w.i32(m.processId)
      w.bytes(m.secretKey)
      break
  }
  w.end(at)
}

/**
 * Decodes the body of an untyped packet (after its length). The reader spans
 * exactly the packet.
 *
 * @internal
 */
export const decodeStartupBody = (r: Reader): StartupPacket => {
  const code = r.i32("startup code") >>> 0
  switch (code) {
    case StartupCode.SSLRequest:
      return SSLRequest
    case StartupCode.GSSENCRequest:
      return GSSENCRequest
    case StartupCode.CancelRequest: {
      const processId = r.i32("process id")
      const secretKey = r.rest()
      checkSecretKey(secretKey, "CancelRequest", "InvalidValue")
      return { _tag: "CancelRequest", processId, secretKey }
    }
  }
  if (protocolMajor(code) !== 3) {
    fail(
      "UnsupportedProtocolVersion",
      `unsupported frontend protocol ${protocolMajor(code)}.${code & 0xffff}: server supports 3.0 to 3.2`
    )
  }
  // Null prototype: a parameter named "__proto__" is data, not a prototype.
  const parameters: Record<string, string> = Object.create(null)
  for (;;) {
    const name = r.cstring("startup parameter name")
    if (name.length === 0) break
    parameters[name] = r.cstring("startup parameter value")
  }
  return { _tag: "StartupMessage", protocolVersion: code, parameters }
}

/**
 * The backend's one-byte answer to SSLRequest ('S' or 'N') or GSSENCRequest
 * ('G' or 'N').
 *
 * @since 0.1.0
 * @category models
 */
export type EncryptionResponse = "S" | "G" | "N"
