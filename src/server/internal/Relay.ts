/**
 * A relayed session (`QueryHandlerShape.relay`): after startup the client's
 * bytes go to the relay as they arrive and the relay's bytes to the client,
 * neither decoded. Two scanners follow the message boundaries: the
 * frontend one enforces the per-kind size limits, stops at Terminate and
 * counts what awaits a ReadyForQuery; the backend one keeps out-of-band
 * pushes between whole messages and reads the transaction status and the
 * reported settings as they pass.
 *
 * Timeouts and shutdown see a session as busy from a Query, Sync,
 * FunctionCall or any extended-protocol message until the ReadyForQuery
 * that answers it: an idle session gets the idle timeouts and is ended at
 * once by a shutdown, a busy one is left to finish.
 *
 * @since 0.1.0
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import type * as Socket from "effect/socket/Socket"
import {
  BackendType,
  backendLimitTable,
  encodeFrontend,
  FrontendType,
  frontendLimitTable,
  makeFrameScanner,
  type ProtocolError,
  transactionStatusOf
} from "../../protocol/index.ts"
import { concatBytes } from "../../auth/internal/encoding.ts"
import { Reader } from "../../protocol/Reader.ts"
import { type PgError, protocolViolation } from "../PgError.ts"
import type { SessionRelay } from "../QueryHandler.ts"
import type { SessionState } from "./SessionState.ts"
import { adminShutdown, idleTimeout, stallTimeout } from "./Timeouts.ts"

const reader = new Reader()

/** The name and value of a ParameterStatus body; undefined when it is not two strings. */
const parameterOf = (body: Uint8Array): readonly [string, string] | undefined => {
  try {
    const r = reader.reset(body, 0, body.length)
    return [r.cstring(), r.cstring()]
  } catch {
    return undefined
  }
}

const encoder = new TextEncoder()

const concat = (chunks: ReadonlyArray<Uint8Array | string>): Uint8Array => {
  const parts = chunks.map((c) => (typeof c === "string" ? encoder.encode(c) : c))
  return parts.length === 1 ? parts[0]! : concatBytes(...parts)
}

/**
 * Relays the session until either side ends it. Never fails: errors are
 * sent to the client as FATAL, and the session closes.
 *
 * @internal
 */
export const runRelay = (state: SessionState, relay: SessionRelay): Effect.Effect<void> =>
  Effect.gen(function*() {
    const output = state.output
    const handle = state.handle!
    const context = state.context
    const config = context.config
    const inspect = relay.inspect
    // ReadyForQuery messages owed to the client, and extended messages since the last Sync.
    let owed = 0
    let extended = false
    const busy = () => owed > 0 || extended
    // Resumed when nothing is owed any more (before a FATAL error of ours goes out).
    let settled: Deferred.Deferred<void> | undefined
    // The idle timeouts run from the moment the session stops being busy.
    let idleTimer: ReturnType<typeof setTimeout> | undefined
    const armIdleTimer = () => {
      if (idleTimer !== undefined) clearTimeout(idleTimer)
      idleTimer = undefined
      const timeout = busy() ? undefined : idleTimeout(config, handle.status)
      if (timeout !== undefined) idleTimer = setTimeout(() => state.terminate(timeout.error()), timeout.millis)
    }
    yield* Scope.addFinalizer(state.scope, Effect.sync(() => idleTimer !== undefined && clearTimeout(idleTimer)))
    const update = () => {
      state.awaitingInput = !busy()
      if (owed === 0 && settled !== undefined) {
        Deferred.doneUnsafe(settled, Exit.void)
        settled = undefined
      }
      if (!busy() && context.shuttingDown) state.terminate(adminShutdown())
      armIdleTimer()
    }
    const whenSettled: Effect.Effect<void> = Effect.suspend(() => {
      if (owed === 0) return Effect.void
      settled ??= Deferred.makeUnsafe<void>()
      return Deferred.await(settled)
    })

    const front = makeFrameScanner({ limits: frontendLimitTable(config.options.limits), inspect: inspect?.frontendTypes })
    // The end of the last whole message of the chunk being scanned, and where a Terminate starts.
    let lastEnd = 0
    let terminateAt = -1
    const onFront = (type: number, body: Uint8Array | undefined, end: number, length: number) => {
      lastEnd = end
      switch (type) {
        case FrontendType.Terminate:
          if (terminateAt < 0) terminateAt = end - length - 1
          return
        case FrontendType.Query:
        case FrontendType.FunctionCall:
          owed++
          break
        case FrontendType.Sync:
          owed++
          extended = false
          break
        case FrontendType.Parse:
        case FrontendType.Bind:
        case FrontendType.Describe:
        case FrontendType.Execute:
        case FrontendType.Close:
        case FrontendType.Flush:
          extended = true
          break
      }
      if (terminateAt < 0 && inspect !== undefined) inspect.frontend(type, body)
    }

    const backendTypes = [BackendType.ReadyForQuery, BackendType.ParameterStatus, ...(inspect?.backendTypes ?? [])]
    const back = makeFrameScanner({ limits: backendLimitTable(undefined), inspect: backendTypes })
    const onBack = (type: number, body: Uint8Array | undefined) => {
      if (type === BackendType.ReadyForQuery && body !== undefined && body.length === 1) {
        if (owed > 0) owed--
        handle.status = transactionStatusOf(body[0]) ?? "I"
      } else if (type === BackendType.ParameterStatus && body !== undefined) {
        const parameter = parameterOf(body)
        if (parameter !== undefined) handle.store(parameter[0], parameter[1])
      }
      if (inspect !== undefined) inspect.backend(type, body)
    }

    /** Ends the session from the relay's side: the error, if any, goes out before the close. */
    const end = (error: PgError | undefined) =>
      Effect.sync(() => {
        if (state.phase._tag === "Closed") return
        if (error !== undefined) state.terminate(error)
        else {
          state.phase = { _tag: "Closed" }
          state.interrupt()
        }
      })

    const backward: Effect.Effect<void> = Effect.gen(function*() {
      while (true) {
        const received = yield* Effect.result(relay.receive)
        if (Result.isFailure(received)) return yield* end(received.failure)
        const chunks = received.success
        if (chunks === undefined) return yield* end(undefined)
        for (const chunk of chunks) {
          const scanned = back.push(chunk, onBack)
          if (typeof scanned !== "number") {
            return yield* end(protocolViolation(`the relayed peer sent an invalid message: ${scanned.message}`))
          }
          const written = yield* Effect.result(output.relayed(chunk, !back.atBoundary()))
          if (Result.isFailure(written)) return yield* end(undefined)
        }
        update()
      }
    })
    yield* Effect.forkIn(backward, state.scope)

    /** Scans and sends what the client wrote; false when the session ends here. */
    const forward = (bytes: Uint8Array): Effect.Effect<boolean, PgError> => {
      if (context.shuttingDown && !busy()) {
        state.fatal(adminShutdown())
        return Effect.succeed(false)
      }
      lastEnd = 0
      const scanned: ProtocolError | number = front.push(bytes, onFront)
      if (terminateAt >= 0) {
        const before = bytes.subarray(0, terminateAt)
        state.phase = { _tag: "Closed" }
        return before.length === 0 ? Effect.succeed(false) : Effect.as(relay.send(before), false)
      }
      if (typeof scanned !== "number") {
        // The messages before the bad one still go and are answered; then the client is told.
        const error = protocolViolation(scanned.message)
        const before = bytes.subarray(0, lastEnd)
        update()
        const stop = Effect.andThen(
          whenSettled,
          Effect.sync(() => {
            state.fatal(error)
            return false
          })
        )
        return before.length === 0 ? stop : Effect.andThen(relay.send(before), stop)
      }
      update()
      return Effect.as(relay.send(bytes), true)
    }

    output.idle = true
    // What arrived with the last startup message.
    const backlog = state.relayBacklog
    state.relayBacklog = []
    const leftover = state.parser.takeBuffered()
    if (backlog.length > 0 || leftover.length > 0) {
      const encoded = encodeFrontend(...backlog)
      if (Result.isFailure(encoded)) return state.fatal(protocolViolation(encoded.failure.message))
      const first = concat([encoded.success, leftover])
      const go = yield* Effect.result(forward(first))
      if (Result.isFailure(go)) return state.fatal(go.failure)
      if (!go.success) return
    }
    update()

    const reader = state.transport.reader
    while (state.phase._tag !== "Closed") {
      // A message that stopped arriving half way ends the session.
      const stall = front.atBoundary() ? undefined : stallTimeout(config)
      const read: Effect.Effect<ReadonlyArray<Uint8Array | string> | undefined, Socket.SocketError> = stall === undefined
        ? reader.pull
        : Effect.timeoutOrElse(reader.pull, {
          duration: stall.millis,
          orElse: () =>
            Effect.sync(() => {
              state.fatal(stall.error())
              return undefined
            })
        })
      const chunks = yield* Effect.result(read)
      // The client closed the connection, or the socket failed.
      if (Result.isFailure(chunks)) {
        state.phase = { _tag: "Closed" }
        return
      }
      if (chunks.success === undefined) return
      if (chunks.success.length === 0) continue
      const go = yield* Effect.result(forward(concat(chunks.success)))
      if (Result.isFailure(go)) return state.fatal(go.failure)
      if (!go.success) return
    }
  })
