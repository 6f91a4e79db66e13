/**
 * Every message a backend (server) sends, as one union, with one encoder and
 * one decoder that dispatch on it.
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import { BackendType, typeChar } from "./MessageType.ts"
import * as Auth from "./messages/Authentication.ts"
import * as Copy from "./messages/Copy.ts"
import * as Extended from "./messages/Extended.ts"
import * as Fn from "./messages/FunctionCall.ts"
import * as Notice from "./messages/Notice.ts"
import * as Q from "./messages/Query.ts"
import * as Session from "./messages/Session.ts"
import { fail, type ProtocolError } from "./ProtocolError.ts"
import type { Reader } from "./Reader.ts"
import type { Writer } from "./Writer.ts"
import { makeEncode, makeWrite } from "./Encode.ts"

/**
 * `R` is the type of a DataRow's values: the raw row unless the parser
 * decodes rows.
 *
 * @since 0.1.0
 * @category models
 */
export type BackendMessage<R = Q.RawRow> =
  | Auth.Authentication
  | Session.BackendKeyData
  | Extended.BindComplete
  | Extended.CloseComplete
  | Q.CommandComplete
  | Copy.CopyData
  | Copy.CopyDone
  | Copy.CopyInResponse
  | Copy.CopyOutResponse
  | Copy.CopyBothResponse
  | Q.DataRow<R>
  | Q.EmptyQueryResponse
  | Notice.ErrorResponse
  | Fn.FunctionCallResponse
  | Session.NegotiateProtocolVersion
  | Extended.NoData
  | Notice.NoticeResponse
  | Notice.NotificationResponse
  | Extended.ParameterDescription
  | Session.ParameterStatus
  | Extended.ParseComplete
  | Extended.PortalSuspended
  | Session.ReadyForQuery
  | Q.RowDescription

const frame = (type: number, ...body: Array<number>): Uint8Array =>
  new Uint8Array([type, 0, 0, 0, 4 + body.length, ...body])

const parseCompleteFrame = frame(BackendType.ParseComplete)
const bindCompleteFrame = frame(BackendType.BindComplete)
const closeCompleteFrame = frame(BackendType.CloseComplete)
const noDataFrame = frame(BackendType.NoData)
const portalSuspendedFrame = frame(BackendType.PortalSuspended)
const emptyQueryFrame = frame(BackendType.EmptyQueryResponse)
const copyDoneFrame = frame(BackendType.CopyDone)
const readyFrames = {
  I: frame(BackendType.ReadyForQuery, 0x49),
  T: frame(BackendType.ReadyForQuery, 0x54),
  E: frame(BackendType.ReadyForQuery, 0x45)
} as const

/** @internal */
export const encodeBackendInto = (w: Writer, m: BackendMessage): void => {
  switch (m._tag) {
    case "AuthenticationOk":
    case "AuthenticationKerberosV5":
    case "AuthenticationCleartextPassword":
    case "AuthenticationMD5Password":
    case "AuthenticationGSS":
    case "AuthenticationGSSContinue":
    case "AuthenticationSSPI":
    case "AuthenticationSASL":
    case "AuthenticationSASLContinue":
    case "AuthenticationSASLFinal":
      return Auth.encodeAuthentication(w, m)
    case "BackendKeyData":
      return Session.encodeBackendKeyData(w, m)
    case "BindComplete":
      return w.raw(bindCompleteFrame)
    case "CloseComplete":
      return w.raw(closeCompleteFrame)
    case "CommandComplete":
      return Q.encodeCommandComplete(w, m)
    case "CopyData":
      return Copy.encodeCopyData(w, m)
    case "CopyDone":
      return w.raw(copyDoneFrame)
    case "CopyInResponse":
    case "CopyOutResponse":
    case "CopyBothResponse":
      return Copy.encodeCopyResponse(w, m)
    case "DataRow":
      return Q.encodeDataRow(w, m)
    case "EmptyQueryResponse":
      return w.raw(emptyQueryFrame)
    case "ErrorResponse":
    case "NoticeResponse":
      return Notice.encodeNotice(w, m)
    case "FunctionCallResponse":
      return Fn.encodeFunctionCallResponse(w, m)
    case "NegotiateProtocolVersion":
      return Session.encodeNegotiateProtocolVersion(w, m)
    case "NoData":
      return w.raw(noDataFrame)
    case "NotificationResponse":
      return Notice.encodeNotificationResponse(w, m)
    case "ParameterDescription":
      return Extended.encodeParameterDescription(w, m)
    case "ParameterStatus":
      return Session.encodeParameterStatus(w, m)
    case "ParseComplete":
      return w.raw(parseCompleteFrame)
    case "PortalSuspended":
      return w.raw(portalSuspendedFrame)
    case "ReadyForQuery": {
      const ready = readyFrames[m.transactionStatus]
      return ready === undefined ? Session.encodeReadyForQuery(w, m) : w.raw(ready)
    }
    case "RowDescription":
      return Q.encodeRowDescription(w, m)
  }
}

/**
 * Decodes the body of a backend message other than DataRow (which the parser
 * decodes on its own fast path); the reader spans the body.
 *
 * @internal
 */
export const decodeBackendBody = (type: number, r: Reader): BackendMessage => {
  switch (type) {
    case BackendType.Authentication:
      return Auth.decodeAuthentication(r)
    case BackendType.BackendKeyData:
      return Session.decodeBackendKeyData(r)
    case BackendType.BindComplete:
      return Extended.BindComplete
    case BackendType.CloseComplete:
      return Extended.CloseComplete
    case BackendType.CommandComplete:
      return Q.decodeCommandComplete(r)
    case BackendType.CopyData:
      return Copy.decodeCopyData(r)
    case BackendType.CopyDone:
      return Copy.CopyDone
    case BackendType.CopyInResponse:
      return Copy.decodeCopyResponse(r, "CopyInResponse")
    case BackendType.CopyOutResponse:
      return Copy.decodeCopyResponse(r, "CopyOutResponse")
    case BackendType.CopyBothResponse:
      return Copy.decodeCopyResponse(r, "CopyBothResponse")
    case BackendType.DataRow:
      return Q.decodeDataRow(r.bytes, r.position, (r.position = r.end))
    case BackendType.EmptyQueryResponse:
      return Q.EmptyQueryResponse
    case BackendType.ErrorResponse:
      return Notice.decodeErrorResponse(r)
    case BackendType.FunctionCallResponse:
      return Fn.decodeFunctionCallResponse(r)
    case BackendType.NegotiateProtocolVersion:
      return Session.decodeNegotiateProtocolVersion(r)
    case BackendType.NoData:
      return Extended.NoData
    case BackendType.NoticeResponse:
      return Notice.decodeNoticeResponse(r)
    case BackendType.NotificationResponse:
      return Notice.decodeNotificationResponse(r)
    case BackendType.ParameterDescription:
      return Extended.decodeParameterDescription(r)
    case BackendType.ParameterStatus:
      return Session.decodeParameterStatus(r)
    case BackendType.ParseComplete:
      return Extended.ParseComplete
    case BackendType.PortalSuspended:
      return Extended.PortalSuspended
    case BackendType.ReadyForQuery:
      return Session.decodeReadyForQuery(r)
    case BackendType.RowDescription:
      return Q.decodeRowDescription(r)
  }
  return fail("UnknownMessageType", `unknown backend message type ${typeChar(type)}`)
}

/**
 * Appends one message to `writer`. On failure nothing of the message stays in
 * the writer.
 *
 * @since 0.1.0
 * @category encoding
 */
export const writeBackend: (writer: Writer, message: BackendMessage) => Result.Result<void, ProtocolError> = makeWrite(encodeBackendInto)

/**
 * Encodes messages into one buffer (one socket write).
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeBackend: (...messages: ReadonlyArray<BackendMessage>) => Result.Result<Uint8Array, ProtocolError> = makeEncode(writeBackend)
