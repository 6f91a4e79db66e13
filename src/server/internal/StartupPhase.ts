/**
 * The startup and authentication phases: encryption requests, a
 * CancelRequest on a fresh connection, the StartupMessage (limits,
 * NegotiateProtocolVersion), the auth conversation, and the end of startup
 * (AuthenticationOk, ParameterStatus, BackendKeyData, ReadyForQuery).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import type { StartupPacket } from "../../protocol/index.ts"
import { refinePasswordMessage, type PasswordMessageFamily } from "../../protocol/index.ts"
import { StartupCode } from "../../protocol/MessageType.ts"
import { SqlState } from "../../protocol/SqlState.ts"
import type { ConnectionError } from "../../transport/ConnectionError.ts"
import { conversation } from "../Authentication.ts"
import type { AuthStep, ClientIdentity } from "../AuthProvider.ts"
import { fatal, type PgError, protocolViolation } from "../PgError.ts"
import { adminShutdown } from "./Timeouts.ts"
import { SessionHandle } from "../Session.ts"
import { readStartupMessage, type StartupRequest } from "../Startup.ts"
import type { SessionState } from "./SessionState.ts"

const encryptionRefused = new Uint8Array([0x4e]) // 'N'

/** The CVE-2021-23214 rule: nothing may follow an encryption request before the answer. */
const stuffed = (state: SessionState): boolean => state.moreInBatch || state.parser.buffered() > 0

const refuseEncryption = (state: SessionState): void => {
  state.output.buffer.raw(encryptionRefused)
}

const onSslRequest = (state: SessionState): Effect.Effect<void, ConnectionError> | undefined => {
  if (stuffed(state)) {
    state.fatal(protocolViolation("received unencrypted data after SSL request"))
    return undefined
  }
  const transport = state.transport
  if (transport.tls !== undefined) {
    state.fatal(protocolViolation("SSLRequest received on a connection that is already encrypted"))
    return undefined
  }
  if (!transport.canStartTls) {
    refuseEncryption(state)
    return undefined
  }
  return Effect.flatMap(state.output.flush, () =>
    transport.startTls.pipe(
      Effect.matchEffect({
        onFailure: (error) => {
          if (error._tag === "ProtocolError") {
            state.fatal(protocolViolation(error.message))
          } else {
            // The handshake failed: nothing can be said to the client any more.
            state.phase = { _tag: "Closed" }
            state.output.closed = true
          }
          return Effect.void
        },
        onSuccess: (secure) =>
          Effect.sync(() => {
            state.transport = secure
            state.output.writer = secure.writer
          })
      })
    ))
}

const clientOf = (state: SessionState, request: StartupRequest): ClientIdentity => ({
  user: request.user,
  database: request.database,
  applicationName: request.applicationName,
  replication: request.replication,
  kind: state.transport.kind,
  remoteAddress: state.transport.remoteAddress,
  tls: state.transport.tls,
  parameters: request.parameters
})

/** Fails the session with a FATAL error from an effect that runs a hook. */
const orFatal = (state: SessionState) => (error: PgError): Effect.Effect<void> =>
  Effect.sync(() => state.fatal(error))

const onStartupMessage = (
  state: SessionState,
  message: Extract<StartupPacket, { _tag: "StartupMessage" }>
): Effect.Effect<void, ConnectionError> | undefined => {
  const read = readStartupMessage(message)
  if (Result.isFailure(read)) {
    state.fatal(read.failure)
    return undefined
  }
  const request = read.success
  const context = state.context
  const config = context.config
  if (config.tlsRequired && state.transport.kind === "tcp" && state.transport.tls === undefined) {
    state.fatal(fatal(SqlState.invalidAuthorizationSpecification, "this server accepts only TLS connections (sslmode=require)"))
    return undefined
  }
  if (context.shuttingDown) {
    state.fatal(fatal(SqlState.cannotConnectNow, "the database system is shutting down"))
    return undefined
  }
  if (context.admitted >= config.maxConnections) {
    state.fatal(fatal(SqlState.tooManyConnections, `too many connections (at most ${config.maxConnections})`))
    return undefined
  }
  context.admitted++
  state.admitted = true
  if (request.negotiate !== undefined) state.output.append(request.negotiate)
  const client = clientOf(state, request)
  return Effect.gen(function*() {
    const method = yield* context.auth.method(client)
    const talk = yield* conversation(method, client, context.auth, context.mockSecret)
    const step = yield* talk.start
    if (step._tag === "Send") {
      state.output.append(step.message)
      state.phase = { _tag: "Authenticating", conversation: talk, expect: step.expect, request }
      return
    }
    yield* finishStartup(state, request, step)
  }).pipe(Effect.catchTag("PgError", orFatal(state)))
}

const finishStartup = (state: SessionState, request: StartupRequest, step: Extract<AuthStep, { _tag: "Done" }>): Effect.Effect<void, PgError> =>
  Effect.gen(function*() {
    const context = state.context
    const output = state.output
    if (step.final !== undefined) output.append(step.final)
    output.append({ _tag: "AuthenticationOk" })
    const keyLength = request.protocolVersion >= StartupCode.Protocol3_2 ? 32 : 4
    const key = yield* Scope.provide(
      context.cancel.register(keyLength, Effect.suspend(() => state.relay === undefined ? Effect.sync(() => cancelRunning(state)) : state.relay.cancel)),
      state.scope
    )
    const reported = { ...context.config.parameters }
    if (reported["session_authorization"] === "") reported["session_authorization"] = request.user
    const handle = new SessionHandle({
      processId: key.processId,
      user: request.user,
      database: request.database,
      protocolVersion: request.protocolVersion,
      replication: request.replication,
      startupParameters: request.parameters,
      kind: state.transport.kind,
      remoteAddress: state.transport.remoteAddress,
      tls: state.transport.tls,
      reported,
      // The server speaks UTF-8 only: client_encoding stays as reported.
      settings: request.settings.filter(([name]) => name.toLowerCase() !== "client_encoding"),
      output,
      onTerminate: (error) => Effect.sync(() => state.terminate(error ?? adminShutdown()))
    })
    state.handle = handle
    yield* context.handler.startSession(handle)
    if (context.handler.relay !== undefined) state.relay = yield* context.handler.relay(handle)
    for (const [name, value] of handle.reportedValues()) output.append({ _tag: "ParameterStatus", name, value })
    output.append({ _tag: "BackendKeyData", processId: key.processId, secretKey: key.secretKey })
    context.sessions.set(key.processId, handle)
    yield* Scope.addFinalizer(state.scope, Effect.sync(() => context.sessions.delete(key.processId)))
    state.readyForQuery()
    state.phase = { _tag: "Ready" }
  })

/** What a matching CancelRequest does: interrupt the running statement, if any. */
const cancelRunning = (state: SessionState): void => {
  const running = state.running
  if (running === undefined) return
  state.cancelRequested = true
  running.interruptUnsafe()
}

/**
 * The encryption requests a connection has made: as in PostgreSQL, each kind
 * is answered once, so that a client cannot keep a connection in startup by
 * asking again and again.
 */
const encryptionRequests = new WeakMap<SessionState, Set<string>>()

const answeredBefore = (state: SessionState, kind: "SSLRequest" | "GSSENCRequest"): boolean => {
  let kinds = encryptionRequests.get(state)
  if (kinds === undefined) encryptionRequests.set(state, kinds = new Set())
  if (kinds.has(kind)) return true
  kinds.add(kind)
  return false
}

/** What PostgreSQL answers to a second request of a kind: its code read as a protocol version. */
const repeatedRequest = (state: SessionState, code: string): undefined => {
  state.fatal(fatal(SqlState.featureNotSupported, `unsupported frontend protocol ${code}: server supports 3.0 to 3.2`))
  return undefined
}

/** Handles an untyped packet in the startup phase. */
export const onStartupPacket = (state: SessionState, message: StartupPacket): Effect.Effect<void, ConnectionError> | undefined => {
  switch (message._tag) {
    case "SSLRequest":
      if (answeredBefore(state, message._tag)) return repeatedRequest(state, "1234.5679")
      return onSslRequest(state)
    case "GSSENCRequest":
      if (answeredBefore(state, message._tag)) return repeatedRequest(state, "1234.5680")
      if (stuffed(state)) {
        state.fatal(protocolViolation("received unencrypted data after GSSAPI encryption request"))
        return undefined
      }
      refuseEncryption(state)
      return undefined
    case "CancelRequest":
      // No reply, whatever the outcome; the connection just closes.
      state.phase = { _tag: "Closed" }
      return Effect.asVoid(state.context.cancel.cancel(message.processId, message.secretKey))
    case "StartupMessage":
      return onStartupMessage(state, message)
  }
}

/** Handles a password-family message while authenticating. */
export const onPasswordMessage = (
  state: SessionState,
  phase: Extract<SessionState["phase"], { _tag: "Authenticating" }>,
  message: PasswordMessageFamily
): Effect.Effect<void, ConnectionError> | undefined => {
  const refined = refinePasswordMessage(message, phase.expect)
  if (Result.isFailure(refined)) {
    state.fatal(protocolViolation(`invalid ${phase.expect}: ${refined.failure.message}`))
    return undefined
  }
  return Effect.gen(function*() {
    const step = yield* phase.conversation.receive(refined.success)
    if (step._tag === "Send") {
      state.output.append(step.message)
      state.phase = { ...phase, expect: step.expect }
      return
    }
    yield* finishStartup(state, phase.request, step)
  }).pipe(Effect.catchTag("PgError", orFatal(state)))
}
