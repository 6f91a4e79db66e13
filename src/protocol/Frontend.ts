/**
 * Every message a frontend (client) sends, as one union, with one encoder and
 * one decoder that dispatch on it. The untyped startup packets are part of the
 * union; `Parser.ts` decides when the stream is expecting one.
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import { FrontendType, typeChar } from "./MessageType.ts"
import * as Auth from "./messages/Authentication.ts"
import * as Copy from "./messages/Copy.ts"
import * as Extended from "./messages/Extended.ts"
import * as Fn from "./messages/FunctionCall.ts"
import * as Q from "./messages/Query.ts"
import * as Session from "./messages/Session.ts"
import * as Startup from "./messages/Startup.ts"
import { fail, ProtocolError, toProtocolError } from "./ProtocolError.ts"
import { Reader } from "./Reader.ts"
import type { Writer } from "./Writer.ts"
import { makeEncode, makeWrite } from "./Encode.ts"

/**
 * @since 0.1.0
 * @category models
 */
export type FrontendMessage =
  | Extended.Bind
  | Extended.Close
  | Copy.CopyData
  | Copy.CopyDone
  | Copy.CopyFail
  | Extended.Describe
  | Extended.Execute
  | Extended.Flush
  | Fn.FunctionCall
  | Auth.GSSResponse
  | Auth.PasswordMessage
  | Auth.PasswordMessageFamily
  | Auth.SASLInitialResponse
  | Auth.SASLResponse
  | Extended.Parse
  | Q.Query
  | Extended.Sync
  | Session.Terminate
  | Startup.StartupMessage
  | Startup.SSLRequest
  | Startup.GSSENCRequest
  | Startup.CancelRequest

/**
 * A frontend message that has a type byte (everything but the startup packets).
 *
 * @since 0.1.0
 * @category models
 */
export type TypedFrontendMessage = Exclude<FrontendMessage, Startup.StartupPacket>

const frame = (type: number): Uint8Array => new Uint8Array([type, 0, 0, 0, 4])

/** Constant frames, written with one copy instead of being encoded each time. */
const syncFrame = frame(FrontendType.Sync)
const flushFrame = frame(FrontendType.Flush)
const terminateFrame = frame(FrontendType.Terminate)
const copyDoneFrame = frame(FrontendType.CopyDone)
const sslRequestFrame = new Uint8Array([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])
const gssencRequestFrame = new Uint8Array([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30])

/**
 * Appends one message; throws a `CodecFailure` on a value that cannot be
 * encoded. Library code calls the Result-returning `writeFrontend`.
 *
 * @internal
 */
export const encodeFrontendInto = (w: Writer, m: FrontendMessage): void => {
  switch (m._tag) {
    case "Bind":
      return Extended.encodeBind(w, m)
    case "Close":
      return Extended.encodeClose(w, m)
    case "CopyData":
      return Copy.encodeCopyData(w, m)
    case "CopyDone":
      return w.raw(copyDoneFrame)
    case "CopyFail":
      return Copy.encodeCopyFail(w, m)
    case "Describe":
      return Extended.encodeDescribe(w, m)
    case "Execute":
      return Extended.encodeExecute(w, m)
    case "Flush":
      return w.raw(flushFrame)
    case "FunctionCall":
      return Fn.encodeFunctionCall(w, m)
    case "GSSResponse":
    case "SASLResponse":
    case "PasswordMessageFamily":
      return Auth.encodeRawPasswordFamily(w, m)
    case "PasswordMessage":
      return Auth.encodePasswordMessage(w, m)
    case "SASLInitialResponse":
      return Auth.encodeSASLInitialResponse(w, m)
    case "Parse":
      return Extended.encodeParse(w, m)
    case "Query":
      return Q.encodeQuery(w, m)
    case "Sync":
      return w.raw(syncFrame)
    case "Terminate":
      return w.raw(terminateFrame)
    case "SSLRequest":
      return w.raw(sslRequestFrame)
    case "GSSENCRequest":
      return w.raw(gssencRequestFrame)
    case "StartupMessage":
    case "CancelRequest":
      return Startup.encodeStartupPacket(w, m)
  }
}

/**
 * Decodes the body of a typed frontend message; the reader spans the body.
 *
 * @internal
 */
export const decodeFrontendBody = (type: number, r: Reader): TypedFrontendMessage => {
  switch (type) {
    case FrontendType.Bind:
      return Extended.decodeBind(r)
    case FrontendType.Close:
      return Extended.decodeClose(r)
    case FrontendType.CopyData:
      return Copy.decodeCopyData(r)
    case FrontendType.CopyDone:
      return Copy.CopyDone
    case FrontendType.CopyFail:
      return Copy.decodeCopyFail(r)
    case FrontendType.Describe:
      return Extended.decodeDescribe(r)
    case FrontendType.Execute:
      return Extended.decodeExecute(r)
    case FrontendType.Flush:
      return Extended.Flush
    case FrontendType.FunctionCall:
      return Fn.decodeFunctionCall(r)
    case FrontendType.PasswordMessageFamily:
      return Auth.decodePasswordMessageFamily(r)
    case FrontendType.Parse:
      return Extended.decodeParse(r)
    case FrontendType.Query:
      return Q.decodeQuery(r)
    case FrontendType.Sync:
      return Extended.Sync
    case FrontendType.Terminate:
      return Session.Terminate
  }
  return fail("UnknownMessageType", `unknown frontend message type ${typeChar(type)}`)
}

/**
 * Appends one message to `writer`. On failure nothing of the message stays in
 * the writer.
 *
 * @since 0.1.0
 * @category encoding
 */
export const writeFrontend: (writer: Writer, message: FrontendMessage) => Result.Result<void, ProtocolError> = makeWrite(encodeFrontendInto)

/**
 * Encodes messages into one buffer (one socket write).
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeFrontend: (...messages: ReadonlyArray<FrontendMessage>) => Result.Result<Uint8Array, ProtocolError> = makeEncode(writeFrontend)

/**
 * Refines a `PasswordMessageFamily` into the member the auth step expects.
 *
 * @since 0.1.0
 * @category decoding
 */
export const refinePasswordMessage = (
  message: Auth.PasswordMessageFamily,
  kind: Auth.PasswordMessageKind
): Result.Result<Auth.PasswordMessage | Auth.SASLInitialResponse | Auth.SASLResponse | Auth.GSSResponse, ProtocolError> => {
  const data = message.data
  const r = new Reader().reset(data, 0, data.length)
  try {
    const refined = Auth.decodePasswordAs(r, kind)
    r.expectEnd(kind)
    return Result.succeed(refined)
  } catch (thrown) {
    return Result.fail(toProtocolError(thrown, -1, kind))
  }
}
