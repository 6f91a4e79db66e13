/**
 * A PostgreSQL server: `PgServer.layer(options)` listens on TCP and/or a
 * Unix-domain socket and runs every accepted connection as a session fiber
 * in the layer's scope, with the limits of `PgServerOptions`: the number of
 * sessions (the next one is refused with FATAL 53300), the startup and idle
 * timeouts, message sizes per kind.
 *
 * Shutdown (closing the layer, or `shutdown`) is graceful: the listener
 * stops accepting, idle sessions are terminated at once with FATAL 57P01,
 * sessions running a statement finish it (within `shutdownTimeout`) and are
 * terminated before they read their next message; when the deadline passes,
 * the rest are interrupted and terminated.
 *
 * The user logic comes from the `QueryHandler` service (required); the
 * `AuthProvider` (default: trust) and `CancelRegistry` (default: in
 * memory) services are optional.
 *
 * What it is not: a SQL engine. See `src/server/demo` for a small one.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { generateMockSecret } from "../auth/ScramVerifier.ts"
import type { ConnectionError } from "../transport/ConnectionError.ts"
import { listen } from "../transport/Listen.ts"
import { AuthProvider } from "./AuthProvider.ts"
import { CancelRegistry } from "./CancelRegistry.ts"
import type { ServerContext } from "./internal/SessionState.ts"
import { adminShutdown } from "./internal/Timeouts.ts"
import { QueryHandler } from "./QueryHandler.ts"
import { type PgServerOptions, resolveOptions } from "./ServerOptions.ts"
import type { Session } from "./Session.ts"
import { runSession } from "./SessionMachine.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface PgServerShape {
  /** The bound TCP address (the actual port when 0 was asked for). */
  readonly tcp: { readonly host: string; readonly port: number } | undefined
  /** The Unix-domain socket's path. */
  readonly unixSocketPath: string | undefined
  /** The sessions past startup. */
  readonly sessions: Effect.Effect<ReadonlyArray<Session>>
  /** The session with this process id. */
  readonly session: (processId: number) => Effect.Effect<Option.Option<Session>>
  /** Open connections, in startup or not. */
  readonly connections: Effect.Effect<number>
  /** Graceful shutdown (see the module); returns when every session has ended. */
  readonly shutdown: Effect.Effect<void>
}


/** How long terminated sessions get to say so and close, after the deadline. */
const terminationGraceMillis = 2_000

/**
 * Starts a server in the current scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fnUntraced(function*(
  options: PgServerOptions
): Effect.fn.Return<PgServerShape, ConnectionError, Scope.Scope | QueryHandler> {
  const config = yield* resolveOptions(options)
  const handler = yield* QueryHandler
  const auth = Option.getOrElse(yield* Effect.serviceOption(AuthProvider), () => AuthProvider.trust)
  const cancelOption = yield* Effect.serviceOption(CancelRegistry)
  const cancel = Option.isSome(cancelOption) ? cancelOption.value : yield* CancelRegistry.memory
  const context: ServerContext = {
    config,
    handler,
    auth,
    cancel,
    mockSecret: generateMockSecret(),
    sessions: new Map(),
    states: new Set(),
    admitted: 0,
    shuttingDown: false
  }
  const listener = yield* listen({
    host: options.host,
    port: options.port,
    unixSocketDirectory: options.unixSocketDirectory,
    backlog: options.backlog,
    keepAlive: options.keepAlive,
    tls: options.tls
  })
  const fibers = yield* FiberSet.make<void, never>()
  const run = FiberSet.run(fibers)
  yield* Effect.forkScoped(
    Effect.forever(Effect.flatMap(listener.accept, (incoming) => run(runSession(incoming, context)))).pipe(Effect.ignore)
  )

  const stopped = Deferred.makeUnsafe<void>()
  let stopping = false
  const drain = Effect.gen(function*() {
    yield* listener.close
    // Idle and starting sessions go now; busy ones stop before their next read.
    for (const state of context.states) {
      if (state.awaitingInput || state.handle === undefined) state.terminate(adminShutdown())
    }
    const drained = yield* Effect.timeoutOption(FiberSet.awaitEmpty(fibers), config.shutdownTimeoutMillis)
    if (Option.isNone(drained)) {
      for (const state of context.states) state.terminate(adminShutdown())
      yield* Effect.timeoutOption(FiberSet.awaitEmpty(fibers), terminationGraceMillis)
    }
  })
  const shutdown = Effect.suspend(() => {
    if (stopping) return Deferred.await(stopped)
    stopping = true
    context.shuttingDown = true
    return drain.pipe(Effect.ensuring(Deferred.succeed(stopped, undefined)), Effect.asVoid)
  })
  yield* Effect.addFinalizer(() => shutdown)

  return {
    tcp: listener.tcp,
    unixSocketPath: listener.unixSocketPath,
    sessions: Effect.sync(() => Array.from(context.sessions.values())),
    session: (processId) => Effect.sync(() => Option.fromNullishOr(context.sessions.get(processId))),
    connections: Effect.sync(() => context.states.size),
    shutdown
  }
})

/**
 * @since 0.1.0
 * @category services
 */
export class PgServer extends Context.Service<PgServer, PgServerShape>()("effect-pgwire/server/PgServer") {
  static readonly make = make

  /** A server for the layer's lifetime; releasing the layer shuts it down gracefully. */
  static readonly layer = (options: PgServerOptions): Layer.Layer<PgServer, ConnectionError, QueryHandler> =>
    Layer.effect(PgServer)(make(options))
}
