/**
 * The startup handshake as a typed state machine: StartupMessage (3.2
 * requested, 3.0 accepted through NegotiateProtocolVersion), the
 * authentication loop, ParameterStatus, BackendKeyData and the first
 * ReadyForQuery.
 *
 * Order is enforced: an authentication request after AuthenticationOk,
 * AuthenticationOk before SASLFinal in a SCRAM exchange, ParameterStatus or
 * BackendKeyData before AuthenticationOk, ReadyForQuery without
 * AuthenticationOk, or NegotiateProtocolVersion once authentication has begun
 * are ProtocolErrors. An ErrorResponse is a PgServerError with all its
 * fields. The auth policy (`requireAuth`, `channelBinding`) is checked for
 * every method the server asks for, and for AuthenticationOk itself.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { AuthError, authError } from "../auth/AuthError.ts"
import * as ChannelBinding from "../auth/ChannelBinding.ts"
import * as Gss from "../auth/Gss.ts"
import * as Md5 from "../auth/Md5.ts"
import * as ScramClient from "../auth/ScramClient.ts"
import * as ScramKeys from "../auth/ScramKeys.ts"
import type { BackendMessage } from "../protocol/Backend.ts"
import type { FrontendMessage } from "../protocol/Frontend.ts"
import type { NoticeFields } from "../protocol/messages/Notice.ts"
import type { TransactionStatus } from "../protocol/messages/Session.ts"
import { StartupCode } from "../protocol/MessageType.ts"
import { ProtocolError } from "../protocol/ProtocolError.ts"
import type { ConnectionError } from "../transport/ConnectionError.ts"
import type { TlsInfo } from "../transport/Transport.ts"
import type { ResolvedConfig } from "./Config.ts"
import { fromNoticeFields, type PgServerError } from "./PgServerError.ts"

/**
 * What the handshake established.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionInfo {
  /** `major << 16 | minor`: 0x30002 for 3.2, 0x30000 for 3.0. */
  readonly protocolVersion: number
  readonly processId: number
  /** 4 bytes in 3.0; up to 256 (PostgreSQL 18: 32) in 3.2. Undefined if the server sent no BackendKeyData. */
  readonly secretKey: Uint8Array | undefined
  readonly parameters: ReadonlyMap<string, string>
  readonly transactionStatus: TransactionStatus
  /** The authentication method the server used. */
  readonly authMethod: ChannelBinding.ClientAuthMethod
  /** Notices and warnings the server sent during the handshake (e.g. a password about to expire), in order. */
  readonly notices: ReadonlyArray<NoticeFields>
}

/**
 * The messages the handshake exchanges; the connection supplies them from
 * its socket.
 *
 * @since 0.1.0
 * @category models
 */
export interface StartupIO {
  /** Rows never belong to the handshake; their shape does not matter here. */
  readonly next: Effect.Effect<BackendMessage<unknown>, ConnectionError | ProtocolError>
  readonly send: (message: FrontendMessage) => Effect.Effect<void, ConnectionError | ProtocolError>
}

/** @since 0.1.0 @category models */
export type StartupError = ConnectionError | ProtocolError | AuthError | PgServerError

const violation = (message: string): ProtocolError =>
  new ProtocolError({ reason: "InvalidValue", message: `startup: ${message}`, offset: -1 })

type AuthState =
  | { readonly _tag: "Waiting" }
  | { readonly _tag: "Scram"; readonly state: ScramClient.ClientFirstSent }
  | { readonly _tag: "ScramFinal"; readonly state: ScramClient.ClientFinalSent }
  | { readonly _tag: "ScramDone" }
  | { readonly _tag: "Gss"; readonly driver: Gss.GssDriver }
  | { readonly _tag: "Sent"; readonly method: ChannelBinding.ClientAuthMethod }

const fromResult = <A>(result: Result.Result<A, AuthError>): Effect.Effect<A, AuthError> =>
  Result.isSuccess(result) ? Effect.succeed(result.success) : Effect.fail(result.failure)

/**
 * Runs the handshake. `tls` is the TLS session, if any (channel binding).
 *
 * @since 0.1.0
 * @category constructors
 */
export const runStartup = (
  io: StartupIO,
  config: ResolvedConfig,
  tls: TlsInfo | undefined,
  protocolVersion: number = config.maxProtocolVersion === "3.2" ? StartupCode.Protocol3_2 : StartupCode.Protocol3_0
): Effect.Effect<SessionInfo, StartupError> =>
  Effect.gen(function*() {
    yield* io.send({ _tag: "StartupMessage", protocolVersion, parameters: config.startupParameters })

    let negotiated = protocolVersion
    let auth: AuthState = { _tag: "Waiting" }
    let method: ChannelBinding.ClientAuthMethod | undefined
    let authenticated = false
    let authStarted = false
    let processId = 0
    let secretKey: Uint8Array | undefined
    const parameters = new Map<string, string>()
    const notices: Array<NoticeFields> = []

    const allow = (candidate: ChannelBinding.ClientAuthMethod): Effect.Effect<void, AuthError> => {
      if (!config.authAllowed(candidate)) {
        return Effect.fail(
          authError("MethodNotSupported", `the server asked for ${candidate} authentication, which require_auth (${config.requireAuthText}) does not allow`)
        )
      }
      return fromResult(ChannelBinding.checkMethodAllowed(config.channelBinding, candidate))
    }
    const password = (candidate: string): Effect.Effect<Redacted.Redacted<string>, AuthError> =>
      config.password === undefined
        ? Effect.fail(authError("PasswordMissing", `the server asked for ${candidate} authentication, but no password was given`))
        : Effect.succeed(config.password)
    const beginAuth = (): Effect.Effect<void, ProtocolError> => {
      if (authenticated) return Effect.fail(violation("authentication request after AuthenticationOk"))
      authStarted = true
      return Effect.void
    }
    const gss = (kind: Gss.GssMethod, name: ChannelBinding.ClientAuthMethod) =>
      Effect.gen(function*() {
        yield* beginAuth()
        if (auth._tag !== "Waiting") return yield* violation(`${kind} request in the middle of another exchange`)
        yield* allow(name)
        const out = yield* Gss.start(config.gssProvider, {
          method: kind,
          host: config.host,
          serviceName: config.krbServiceName,
          user: config.user
        })
        if (out.token !== undefined) yield* io.send({ _tag: "GSSResponse", data: out.token })
        auth = { _tag: "Gss", driver: out.driver }
        method = name
      })

    for (;;) {
      const message = yield* io.next
      switch (message._tag) {
        case "NegotiateProtocolVersion": {
          if (authStarted || authenticated) return yield* violation("NegotiateProtocolVersion after authentication began")
          const version = message.protocolVersion
          if (version >>> 16 !== 3 || version > protocolVersion || version < StartupCode.Protocol3_0) {
            return yield* violation(`the server offered protocol ${version >>> 16}.${version & 0xffff}`)
          }
          // We send no `_pq_.` options, so the server cannot have refused one.
          if (message.unrecognizedOptions.length > 0) {
            return yield* violation(`the server refused protocol options we did not send: ${message.unrecognizedOptions.join(", ")}`)
          }
          negotiated = version
          break
        }
        case "AuthenticationOk": {
          if (authenticated) return yield* violation("a second AuthenticationOk")
          if (auth._tag === "Scram" || auth._tag === "ScramFinal") {
            return yield* violation("AuthenticationOk before the server's SCRAM final message")
          }
          if (method === undefined) {
            yield* allow("trust")
            method = "trust"
          }
          authenticated = true
          break
        }
        case "AuthenticationCleartextPassword": {
          yield* beginAuth()
          if (auth._tag !== "Waiting") return yield* violation("password request in the middle of another exchange")
          yield* allow("cleartext")
          const pw = yield* password("password")
          yield* io.send({ _tag: "PasswordMessage", password: Redacted.value(pw) })
          auth = { _tag: "Sent", method: "cleartext" }
          method = "cleartext"
          break
        }
        case "AuthenticationMD5Password": {
          yield* beginAuth()
          if (auth._tag !== "Waiting") return yield* violation("MD5 request in the middle of another exchange")
          yield* allow("md5")
          const pw = yield* password("md5")
          const response = yield* fromResult(Md5.clientResponse(pw, config.user, message.salt))
          yield* io.send({ _tag: "PasswordMessage", password: new TextDecoder().decode(response) })
          auth = { _tag: "Sent", method: "md5" }
          method = "md5"
          break
        }
        case "AuthenticationSASL": {
          yield* beginAuth()
          if (auth._tag !== "Waiting") return yield* violation("SASL request in the middle of another exchange")
          let bindingData: Uint8Array | undefined
          if (tls?.peerCertificate !== undefined && config.channelBinding !== "disable") {
            const binding = ChannelBinding.tlsServerEndPoint(tls.peerCertificate)
            // A certificate whose signature allows no binding leaves the exchange unbound (require then fails).
            if (Result.isSuccess(binding)) bindingData = binding.success
          }
          const pw = yield* password("SCRAM")
          const first = yield* fromResult(
            ScramClient.start(message.mechanisms, {
              password: pw,
              nonce: ScramKeys.generateNonce(),
              channelBinding: config.channelBinding,
              channelBindingData: bindingData,
              maxIterations: config.maxScramIterations
            })
          )
          const chosen: ChannelBinding.ClientAuthMethod = first.mechanism === "SCRAM-SHA-256-PLUS" ? "scram-sha-256-plus" : "scram-sha-256"
          yield* allow(chosen)
          yield* io.send({ _tag: "SASLInitialResponse", mechanism: first.mechanism, data: first.message })
          auth = { _tag: "Scram", state: first.state }
          method = chosen
          break
        }
        case "AuthenticationSASLContinue": {
          if (authenticated) return yield* violation("authentication request after AuthenticationOk")
          if (auth._tag !== "Scram") return yield* violation("SASLContinue outside a SCRAM exchange")
          const final: ScramClient.ClientFinal = yield* ScramClient.respond(auth.state, message.data).pipe(
            // Name the option that sets the cap, for a trusted server that asks for more.
            Effect.mapError((e) => e.reason === "IterationCountTooHigh" ? new AuthError({ reason: e.reason, message: `${e.message} (maxScramIterations)` }) : e)
          )
          yield* io.send({ _tag: "SASLResponse", data: final.message })
          auth = { _tag: "ScramFinal", state: final.state }
          break
        }
        case "AuthenticationSASLFinal": {
          if (authenticated) return yield* violation("authentication request after AuthenticationOk")
          if (auth._tag !== "ScramFinal") return yield* violation("SASLFinal before the client's final message")
          yield* fromResult(ScramClient.receiveServerFinal(auth.state, message.data))
          auth = { _tag: "ScramDone" }
          break
        }
        case "AuthenticationGSS":
          yield* gss("GSS", "gss")
          break
        case "AuthenticationSSPI":
          yield* gss("SSPI", "sspi")
          break
        case "AuthenticationKerberosV5":
          yield* gss("KerberosV5", "kerberos-v5")
          break
        case "AuthenticationGSSContinue": {
          if (authenticated) return yield* violation("authentication request after AuthenticationOk")
          if (auth._tag !== "Gss") return yield* violation("GSSContinue outside a GSS exchange")
          const out: Gss.GssOutput = yield* Gss.receiveContinue(auth.driver, message.data)
          if (out.token !== undefined) yield* io.send({ _tag: "GSSResponse", data: out.token })
          auth = { _tag: "Gss", driver: out.driver }
          break
        }
        case "ParameterStatus":
          if (!authenticated) return yield* violation("ParameterStatus before AuthenticationOk")
          parameters.set(message.name, message.value)
          break
        case "BackendKeyData":
          if (!authenticated) return yield* violation("BackendKeyData before AuthenticationOk")
          if (secretKey !== undefined) return yield* violation("a second BackendKeyData")
          if (negotiated === StartupCode.Protocol3_0 && message.secretKey.length !== 4) {
            return yield* violation(`protocol 3.0 cancel keys are 4 bytes, got ${message.secretKey.length}`)
          }
          processId = message.processId
          secretKey = message.secretKey
          break
        case "NoticeResponse":
          notices.push(message.fields)
          break
        case "ErrorResponse": {
          const error = fromNoticeFields(message.fields)
          // The server refused the credentials: an AuthError, with the full ErrorResponse as its cause.
          if (!authenticated && (error.code === "28P01" || error.code === "28000")) {
            return yield* new AuthError({
              reason: error.code === "28P01" ? "WrongPassword" : "ServerError",
              message: error.message,
              cause: error
            })
          }
          return yield* error
        }
        case "ReadyForQuery":
          if (!authenticated) return yield* violation("ReadyForQuery without AuthenticationOk")
          return {
            protocolVersion: negotiated,
            processId,
            secretKey,
            parameters,
            transactionStatus: message.transactionStatus,
            authMethod: method ?? "trust",
            notices
          }
        default:
          return yield* violation(`unexpected ${message._tag}`)
      }
    }
  })

/** Whether a startup failure means the server does not speak protocol 3.2 and 3.0 should be tried. @internal */
export const rejectsNewerProtocol = (error: StartupError): boolean =>
  error._tag === "PgServerError" && error.code === "0A000" && /unsupported frontend protocol/i.test(error.message)
