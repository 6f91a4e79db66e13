/**
 * One session, from the first byte to the close: the frontend messages of
 * the connection as an effect `Stream` (parsed incrementally, per-kind size
 * limits, a TLS upgrade switching the source mid-stream), folded through one
 * exhaustive phase machine: startup, authenticating, ready, extended query
 * in progress, awaiting Sync after an error, COPY in, COPY out. A message
 * that is not valid in the current phase gets FATAL 08P01 and the session
 * closes; nothing is dropped without the protocol saying so (the messages
 * skipped until Sync after an error, copy messages after a failed COPY,
 * Flush and Sync during COPY IN).
 *
 * Each batch of messages read in one pull is handled in a plain loop; only
 * messages that need the handler or the socket run an Effect. Output is
 * written before the session waits for more input, when a statement's
 * rows pass the flush threshold, and at Flush/Sync.
 *
 * What it is not: the listener, the limits on the number of sessions, or
 * the shutdown policy (`PgServer.ts`).
 *
 * @since 0.1.0
 */
import type * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { type FrontendMessage, makeFrontendParser, type ProtocolError } from "../protocol/index.ts"
import { SqlState } from "../protocol/SqlState.ts"
import type { ConnectionError } from "../transport/ConnectionError.ts"
import type { IncomingConnection } from "../transport/Listen.ts"
import { fatal, pgError, protocolViolation } from "./PgError.ts"
import { Output } from "./Session.ts"
import { onCopyMessage } from "./internal/CopyIn.ts"
import { closePortal } from "./internal/Execution.ts"
import { batchFailed, onExtended, onSync } from "./internal/ExtendedQuery.ts"
import { type ServerContext, SessionState } from "./internal/SessionState.ts"
import { runRelay } from "./internal/Relay.ts"
import { onQuery } from "./internal/SimpleQuery.ts"
import { adminShutdown, idleTimeout, stallTimeout, type Timeout } from "./internal/Timeouts.ts"
import { onPasswordMessage, onStartupPacket } from "./internal/StartupPhase.ts"

type Step = Effect.Effect<void, ConnectionError> | undefined

const violation = (state: SessionState, message: string): Step => {
  state.fatal(protocolViolation(message))
  return undefined
}

const close = (state: SessionState): Step => {
  state.phase = { _tag: "Closed" }
  return undefined
}

const functionCallRefused = () => pgError(SqlState.featureNotSupported, "the function call sub-protocol is not supported")

/** The phase machine: one branch per phase, every message accounted for. */
const dispatch = (state: SessionState, message: FrontendMessage): Step => {
  const phase = state.phase
  switch (phase._tag) {
    case "Startup":
      switch (message._tag) {
        case "SSLRequest":
        case "GSSENCRequest":
        case "CancelRequest":
        case "StartupMessage":
          return onStartupPacket(state, message)
        default:
          return violation(state, `unexpected ${message._tag} before the startup message`)
      }
    case "Authenticating":
      switch (message._tag) {
        case "PasswordMessageFamily":
          return onPasswordMessage(state, phase, message)
        case "Terminate":
          return close(state)
        default:
          return violation(state, `expected password response, got ${message._tag}`)
      }
    case "Ready":
    case "ExtendedQuery": {
      const copy = message._tag === "CopyData" || message._tag === "CopyDone" || message._tag === "CopyFail"
      if (!copy) state.discardCopy = false
      switch (message._tag) {
        case "Query":
          return onQuery(state, message.query)
        case "Parse":
        case "Bind":
        case "Describe":
        case "Execute":
        case "Close":
          return onExtended(state, message)
        case "Sync":
          return onSync(state)
        case "Flush":
          return state.output.flush
        case "FunctionCall":
          if (phase._tag === "ExtendedQuery") return batchFailed(state, functionCallRefused())
          state.appendError(functionCallRefused())
          // An error inside a transaction block fails the block, as any other error does.
          if (state.status === "T") state.status = "E"
          state.readyForQuery()
          return undefined
        case "Terminate":
          return close(state)
        case "CopyData":
        case "CopyDone":
        case "CopyFail":
          // Left over from the COPY FROM STDIN that just ended.
          return state.discardCopy ? undefined : violation(state, `unexpected ${message._tag} outside COPY`)
        default:
          return violation(state, `unexpected ${message._tag} after startup`)
      }
    }
    case "AwaitingSync":
      switch (message._tag) {
        case "Sync":
          return onSync(state)
        case "Terminate":
          return close(state)
        case "PasswordMessageFamily":
          // No message of a session past startup, so not one to skip: refused as in any other phase (as PostgreSQL does).
          return violation(state, `unexpected ${message._tag} after startup`)
        default:
          // After an error, the protocol skips every message up to Sync.
          return undefined
      }
    case "CopyIn":
      switch (message._tag) {
        case "CopyData":
        case "CopyDone":
        case "CopyFail":
          return onCopyMessage(state, phase, message)
        case "Flush":
        case "Sync":
          // The protocol asks servers to ignore these during COPY IN.
          return undefined
        case "Terminate":
          return close(state)
        default:
          return violation(state, `unexpected ${message._tag} during COPY from stdin`)
      }
    case "CopyOut":
      // Input is not read while a COPY TO STDOUT streams; a message here is a bug of ours.
      return violation(state, `unexpected ${message._tag} during COPY to stdout`)
    case "Closed":
      return undefined
  }
}

/** The FATAL error for bytes the parser refused. */
const parseFailure = (error: ProtocolError) =>
  error.reason === "UnsupportedProtocolVersion"
    ? fatal(SqlState.featureNotSupported, error.message)
    : protocolViolation(error.message)

/** How long the session waits for the client's next bytes, and what it says then. */
const timeoutOf = (state: SessionState): Timeout | undefined => {
  const config = state.context.config
  if (state.parser.buffered() > 0) return stallTimeout(config)
  return state.phase._tag === "Ready" ? idleTimeout(config, state.status) : undefined
}

/**
 * The frontend messages of the session: each pull reads what the socket has
 * (waiting for at least one whole message) from the current transport, so
 * a TLS upgrade handled by the fold switches the source for the next pull.
 */
const messages = (state: SessionState): Stream.Stream<FrontendMessage, ConnectionError> => {
  let parseError: ProtocolError | undefined
  let batch: Array<FrontendMessage> = []
  const onMessage = (message: FrontendMessage) => {
    batch.push(message)
  }
  const done = Cause.done()
  const stop = (): Effect.Effect<never, Cause.Done> => done

  const readOnce: Effect.Effect<ReadonlyArray<FrontendMessage>, ConnectionError | Cause.Done> = Effect.suspend(() => {
    if (state.phase._tag === "Closed" || state.relay !== undefined) return stop()
    if (parseError !== undefined) {
      state.fatal(parseFailure(parseError))
      return stop()
    }
    if (state.context.shuttingDown && state.handle !== undefined && state.phase._tag !== "CopyIn") {
      state.fatal(adminShutdown())
      return stop()
    }
    const timeout = timeoutOf(state)
    state.output.idle = true
    state.awaitingInput = true
    const pull = state.transport.reader.pull
    const read = timeout === undefined
      ? pull
      : Effect.timeoutOrElse(pull, {
        duration: timeout.millis,
        orElse: () =>
          Effect.sync(() => {
            state.fatal(timeout.error())
            return [] as ReadonlyArray<Uint8Array | string>
          })
      })
    return Effect.matchEffect(read, {
      // The client closed the connection, or the socket failed: nothing more to read.
      onFailure: () => {
        state.phase = { _tag: "Closed" }
        return stop()
      },
      onSuccess: (chunks) => {
        state.output.idle = false
        state.awaitingInput = false
        if (state.phase._tag === "Closed") return stop()
        for (let i = 0; i < chunks.length; i++) {
          const chunk = chunks[i]!
          const error = state.parser.push(typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk, onMessage)
          if (error !== undefined) {
            parseError = error
            break
          }
        }
        const messages = batch
        if (messages.length > 0) batch = []
        return Effect.succeed(messages)
      }
    })
  })

  const pull: Effect.Effect<Arr.NonEmptyReadonlyArray<FrontendMessage>, ConnectionError | Cause.Done> = Effect.flatMap(
    readOnce,
    (messages) => (messages.length > 0 ? Effect.succeed(messages as Arr.NonEmptyReadonlyArray<FrontendMessage>) : pull)
  )
  return Stream.fromPull(Effect.succeed(pull))
}

/** Handles one batch of messages, then writes what they produced. */
const fold = (state: SessionState) => (batch: Arr.NonEmptyReadonlyArray<FrontendMessage>): Effect.Effect<void, ConnectionError> => {
  const n = batch.length
  let i = 0
  const loop: Effect.Effect<void, ConnectionError> = Effect.suspend(() => {
    while (i < n && state.phase._tag !== "Closed") {
      if (state.relay !== undefined) {
        // Startup handed the session to a relay: the rest of the batch is its.
        state.relayBacklog = batch.slice(i)
        break
      }
      state.moreInBatch = i < n - 1
      state.syncFollows = i < n - 1 && batch[i + 1]!._tag === "Sync"
      const step = dispatch(state, batch[i++]!)
      if (step !== undefined) return Effect.flatMap(step, () => loop)
    }
    return state.output.flush
  })
  return loop
}

/**
 * Runs a session on an accepted connection until it ends. Never fails: the
 * client is told what went wrong when it can be, and the connection closes.
 *
 * @internal
 */
export const runSession = (incoming: IncomingConnection, context: ServerContext): Effect.Effect<void> =>
  Effect.scoped(
    Effect.gen(function*() {
      const self = yield* Effect.fiber
      const scope = yield* Effect.scope
      const startupMillis = context.config.startupTimeoutMillis
      let ready = false
      let state: SessionState | undefined
      const timer = startupMillis === undefined ? undefined : yield* Effect.forkChild(
        Effect.andThen(
          Effect.sleep(startupMillis),
          Effect.sync(() => {
            if (ready || state?.handle !== undefined) return
            if (state === undefined) self.interruptUnsafe()
            else state.terminate(fatal(SqlState.queryCanceled, "canceling authentication due to timeout"))
          })
        )
      )
      const transport = yield* incoming.open
      const output = new Output(transport.writer)
      const parser = makeFrontendParser(context.config.options.limits === undefined ? undefined : { limits: context.config.options.limits })
      const current = new SessionState(transport, output, parser, context, scope)
      state = current
      current.interrupt = () => self.interruptUnsafe()
      context.states.add(current)
      yield* Effect.addFinalizer(() => finish(current, () => timer?.interruptUnsafe()))
      if (transport.tls?.negotiation === "direct" && transport.tls.alpnProtocol !== "postgresql") {
        current.fatal(protocolViolation("received direct SSL connection request without ALPN protocol negotiation extension"))
        return
      }
      const handle = fold(current)
      const started = Effect.sync(() => {
        if (current.handle === undefined) return
        ready = true
        timer?.interruptUnsafe()
      })
      yield* Stream.runForEachArray(messages(current), (batch) => (ready ? handle(batch) : Effect.tap(handle(batch), () => started)))
      if (current.relay !== undefined && current.phase._tag !== "Closed") yield* runRelay(current, current.relay)
    })
  ).pipe(
    // A defect of ours or of a hook ends this session only; the server goes on.
    Effect.catchCause((cause) => (Cause.hasDies(cause) ? Effect.logError("session ended by a defect", cause) : Effect.void))
  )

/** The end of a session: the termination error if any, hooks, counters. */
const finish = (state: SessionState, stopTimer: () => void): Effect.Effect<void> =>
  Effect.gen(function*() {
    stopTimer()
    const context = state.context
    context.states.delete(state)
    if (state.admitted) {
      state.admitted = false
      context.admitted--
    }
    const phase = state.phase
    if (phase._tag === "CopyIn") yield* phase.receiver.fail("the connection ended during COPY")
    if (state.termination !== undefined && phase._tag !== "Closed") state.fatal(state.termination)
    state.phase = { _tag: "Closed" }
    // Whatever is buffered (a FATAL error) goes out; a client that stopped reading cannot hold us.
    yield* Effect.ignore(Effect.timeoutOrElse(state.output.flush, { duration: 1_000, orElse: () => Effect.void }))
    state.output.closed = true
    const running = state.running
    if (running !== undefined) running.interruptUnsafe()
    for (const portal of state.portals.values()) {
      if (portal.source?._tag === "Pull") yield* Effect.ignore(closePortal(portal))
    }
    if (state.handle !== undefined) yield* context.handler.endSession(state.handle)
  })
