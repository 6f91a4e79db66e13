/**
 * A pool of `PgConnection`s on `effect/Pool`, as the `PgPool` service.
 *
 * Each connection is lent to one borrower at a time (requests of that
 * borrower still pipeline on it). The pool opens connections on demand up
 * to `maxSize` and keeps `minSize` open; an acquire waits at most
 * `acquireTimeout` (a `PoolError`, never an endless wait), and beyond
 * `maxWaiting` waiting acquires the next one is refused at once. Before a
 * connection is handed out it is checked (its session alive, its lifetime
 * not over, and `SELECT 1` when it sat idle or still runs a statement of the
 * previous borrower); when it comes back inside a transaction it is rolled
 * back, or closed if that fails; when its borrower was interrupted with a
 * statement running, that is settled in the background. Connections idle
 * past `idleTimeout` above `minSize`, or older than `maxLifetime` (plus a
 * random jitter), are closed and replaced as needed; a connection whose
 * session fails is replaced at once. See `pool/Lifecycle.ts`.
 *
 * Metrics go through effect's `Metric` (`pool/Metrics.ts`); `query`,
 * `execute`, `stream`, `copyTo` and connecting run in spans with
 * OpenTelemetry's database attributes (`pool/Tracing.ts`).
 *
 * This module is not the `effect/sql` SqlClient: that is `PgClient` in
 * `effect-pgwire/sql`, built on this pool.
 *
 * @since 0.1.0
 */
import { Clock } from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Pool from "effect/Pool"
import * as Random from "effect/Random"
import * as Scope from "effect/Scope"
import * as Sink from "effect/Sink"
import * as Stream from "effect/Stream"
import { type ConfigError, load, parseConnectionString, resolve } from "./Config.ts"
import type { CopyFromOptions, CopyResult } from "./CopyIn.ts"
import type { CopyToOptions } from "./CopyOut.ts"
import type { Row } from "./internal/Wire.ts"
import type { ListenEvent, ListenOptions } from "./Listen.ts"
import { type ConnectError, type ConnectionStats, make as connect, type PgConnectionShape } from "./PgConnection.ts"
import { checkOnCheckout, type LifecycleContext, maintenance, type Pooled, resetOnRelease, retire } from "./pool/Lifecycle.ts"
import { makeInstruments, type StatsTotals } from "./pool/Metrics.ts"
import { type PgPoolConfig, type PoolSettings, settingsOf } from "./pool/Options.ts"
import { PoolError } from "./pool/PoolError.ts"
import { databaseAttributes, spanQueryText, traced, tracedStream } from "./pool/Tracing.ts"
import type { QueryResult } from "./Query.ts"
import type { QueryError } from "./QueryErrors.ts"
import type { StreamOptions } from "./QueryStream.ts"

export { type CloseReason, metrics, poolNameAttribute, stateAttribute } from "./pool/Metrics.ts"
export { type PgPoolConfig, type PoolSettings, type SpanQueryText } from "./pool/Options.ts"
export { PoolError, PoolErrorReason } from "./pool/PoolError.ts"

/** A borrowed connection and the scope holding the pool's release of it. */
interface Lease {
  readonly pooled: Pooled
  readonly scope: Scope.Closeable
}

/**
 * What acquiring a connection can fail with: the pool's own `PoolError`, or
 * the error of opening a new connection.
 *
 * @since 0.1.0
 * @category errors
 */
export type AcquireError = PoolError | ConnectError

/**
 * The pool's counts right now.
 *
 * @since 0.1.0
 * @category models
 */
export interface PoolStats {
  /** Open connections nobody borrows. */
  readonly idle: number
  /** Open connections lent out. */
  readonly used: number
  /** Acquires not served yet (waiting for a connection to be opened or returned). */
  readonly pending: number
  readonly minSize: number
  readonly maxSize: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface PgPoolShape {
  /** The pool's name on metrics. */
  readonly name: string
  /** The options in force, durations in milliseconds. */
  readonly settings: PoolSettings
  /** The OpenTelemetry attributes of the pool's spans: `db.system.name`, `db.namespace`, `server.address`, `server.port`. */
  readonly attributes: Readonly<Record<string, unknown>>
  /** Borrows a connection until the scope closes. */
  readonly get: Effect.Effect<PgConnectionShape, AcquireError, Scope.Scope>
  /** Borrows a connection while `f` runs. */
  readonly withConnection: <A, E, R>(
    f: (connection: PgConnectionShape) => Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | AcquireError, R>
  /** `query` on a connection borrowed for this one statement. */
  readonly query: (sql: string, params?: ReadonlyArray<unknown>) => Effect.Effect<QueryResult, QueryError | AcquireError>
  /** `execute` (simple protocol) on a connection borrowed for this one string of statements. */
  readonly execute: (sql: string) => Effect.Effect<ReadonlyArray<QueryResult>, QueryError | AcquireError>
  /** `stream` on a connection borrowed until the stream ends. */
  readonly stream: (sql: string, params?: ReadonlyArray<unknown>, options?: StreamOptions) => Stream.Stream<Row, QueryError | AcquireError>
  /** `copyFrom` on a connection borrowed until the sink is done. */
  readonly copyFrom: (sql: string, options?: CopyFromOptions) => Sink.Sink<CopyResult, Uint8Array, never, QueryError | AcquireError>
  /** `copyTo` on a connection borrowed until the stream ends. */
  readonly copyTo: (sql: string, options?: CopyToOptions) => Stream.Stream<Uint8Array, QueryError | AcquireError>
  /** `listen` with the pool's connection settings: a dedicated session that reconnects (it does not hold a pooled connection). */
  readonly listen: (
    channels: string | ReadonlyArray<string>,
    options?: ListenOptions
  ) => Stream.Stream<ListenEvent, QueryError | ConnectError | AcquireError>
  readonly stats: Effect.Effect<PoolStats>
}

/**
 * Makes a pool that lives as long as the scope. Connections are opened on
 * demand (and `minSize` of them in the background at once); a bad option is
 * a `ConfigError` here.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (config: PgPoolConfig): Effect.Effect<PgPoolShape, ConfigError, Scope.Scope> =>
  Effect.gen(function*() {
    const settings = yield* settingsOf(config)
    const poolScope = yield* Effect.scope
    const connection = config.connection
    const environment = config.environment
    // Resolved here for the span attributes, and so that a bad configuration fails now.
    const resolved = environment !== undefined && environment !== false
      ? yield* load(connection, environment === true ? undefined : environment)
      : yield* resolve(typeof connection === "string" ? yield* parseConnectionString(connection) : connection)
    const attributes = databaseAttributes(resolved)
    const textOf = (sql: string) => spanQueryText(settings.spanQueryText, sql)
    const clock = yield* Clock
    const context = yield* Effect.context<never>()
    const connectOptions = { connect: config.connect, environment }

    let pool: Pool.Pool<Pooled, ConnectError> | undefined
    let closed = false
    /** Connections lent out. */
    let busy = 0
    /** Acquires started and not yet served. */
    let inFlight = 0
    /** What closed connections counted (open ones are read when metrics are). */
    const retired: StatsTotals = { hits: 0, misses: 0, evictions: 0, cancels: 0 }
    const addStats = (totals: StatsTotals, stats: ConnectionStats): void => {
      totals.hits += stats.statementCacheHits
      totals.misses += stats.statementCacheMisses
      totals.evictions += stats.statementCacheEvictions
      totals.cancels += stats.cancelsSent
    }
    const count = (used: boolean): number => {
      if (pool === undefined) return 0
      let n = 0
      for (const item of pool.state.items) {
        if (item.exit._tag !== "Success") continue
        if (item.refCount > 0 ? used : !used && !pool.state.invalidated.has(item)) n++
      }
      return n
    }
    const instruments = makeInstruments(settings.name, context, {
      idle: () => count(false),
      used: () => count(true),
      pending: () => inFlight,
      min: settings.minSize,
      max: settings.maxSize,
      totals: () => {
        const totals = { ...retired }
        if (pool !== undefined) {
          for (const item of pool.state.items) {
            // `stats` is a synchronous read of the connection's counters.
            if (item.exit._tag === "Success") addStats(totals, Effect.runSync(item.exit.value.connection.stats))
          }
        }
        return totals
      }
    })
    const ctx: LifecycleContext = { settings, clock, instruments }

    /** Opens a connection for the pool; it closes with the pool's item scope. */
    const open: Effect.Effect<Pooled, ConnectError, Scope.Scope> = Effect.gen(function*() {
      const start = clock.currentTimeMillisUnsafe()
      const c = yield* traced(connect(connection, connectOptions), "pgwire.connect", attributes)
      const now = clock.currentTimeMillisUnsafe()
      instruments.created(now - start)
      const jitter = settings.maxLifetimeJitter > 0 ? (yield* Random.next) * settings.maxLifetimeJitter : 0
      const pooled: Pooled = {
        connection: c,
        createdAt: now,
        expiresAt: now + settings.maxLifetime + jitter,
        lastUsed: now,
        borrowedAt: now,
        closeReason: undefined
      }
      yield* Effect.addFinalizer(() =>
        Effect.map(c.stats, (stats) => {
          addStats(retired, stats)
          instruments.closed(pooled.closeReason ?? "shutdown")
        })
      )
      // A session that fails while idle (pg_terminate_backend, a restart) leaves the pool at once.
      yield* Effect.forkScoped(Effect.flatMap(c.closed, () => (pool === undefined ? Effect.void : retire(pool, pooled, "broken"))))
      return pooled
    })

    pool = yield* Pool.makeWithStrategy({
      acquire: open,
      min: settings.minSize,
      max: settings.maxSize,
      strategy: maintenance(ctx)
    })
    const thePool = pool
    // Added after the pool's own finalizer, so it runs first: acquires fail with Closed from now on.
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        closed = true
        instruments.unregister()
      })
    )

    const closedError = () => new PoolError({ reason: "Closed", message: "the pool is closed" })
    const timeoutError = () =>
      Effect.suspend(() => {
        instruments.timeout()
        return Effect.fail(
          new PoolError({ reason: "AcquireTimeout", message: `no connection became available within ${settings.acquireTimeout} ms` })
        )
      })

    /**
     * Resets the connection and gives it back to the pool. When the borrower
     * was interrupted (a timeout) with a statement still running, the reset
     * runs in the background: the borrower does not wait for the cancel to
     * take effect, and the connection stays out of the pool until it is
     * drained, or is closed after `resetTimeout`.
     */
    const giveBack = (lease: Lease, interrupted = false): Effect.Effect<void> =>
      Effect.suspend(() => {
        busy--
        const back = (drain: boolean) => Effect.ensuring(resetOnRelease(ctx, thePool, lease.pooled, drain), Scope.close(lease.scope, Exit.void))
        if (!interrupted) return back(false)
        return Effect.flatMap(lease.pooled.connection.stats, (stats) =>
          // Uninterruptible (only the reset's own waits are), so the lease is released even when the pool closes first.
          stats.pendingRequests > 0 ? Effect.asVoid(Effect.forkIn(back(true), poolScope, { uninterruptible: true })) : back(false))
      })

    /**
     * Takes a connection (waiting until `deadline` at most) and checks it;
     * undefined when the check failed. Runs uninterruptibly except while
     * waiting and checking, so a lease is never lost: the pool's release
     * sits in the lease's own scope, closed on any failure.
     */
    const attempt = (deadline: number): Effect.Effect<Lease | undefined, AcquireError> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.suspend(() => {
          const scope = Scope.makeUnsafe()
          const wait = Scope.provide(Pool.get(thePool), scope)
          const { waiters, availableHead } = thePool.state
          // An idle connection nobody queues for is taken at once: no timer armed for it.
          const ready = waiters.size === 0 && availableHead !== undefined && availableHead.exit._tag === "Success"
          const bounded = ready || deadline === Infinity
            ? wait
            : Effect.timeoutOrElse(wait, { duration: Math.max(0, deadline - clock.currentTimeMillisUnsafe()), orElse: timeoutError })
          return Effect.flatMap(Effect.exit(restore(bounded)), (got) => {
            if (Exit.isFailure(got)) {
              return Effect.andThen(Scope.close(scope, got), closed ? Effect.fail(closedError()) : Effect.failCause(got.cause))
            }
            const lease: Lease = { pooled: got.value, scope }
            busy++
            lease.pooled.borrowedAt = clock.currentTimeMillisUnsafe()
            return Effect.flatMap(Effect.exit(restore(checkOnCheckout(ctx, lease.pooled))), (checked) =>
              Exit.isSuccess(checked) && checked.value
                ? Effect.succeed(lease)
                : Effect.andThen(giveBack(lease), Exit.isSuccess(checked) ? Effect.undefined : Effect.failCause(checked.cause)))
          })
        })
      )

    /** A checked lease; the caller gives it back (`giveBack`). */
    const acquireLease: Effect.Effect<Lease, AcquireError> = Effect.suspend(() => {
      if (closed) return Effect.fail(closedError())
      if (settings.maxWaiting !== Infinity && inFlight + busy - settings.maxSize >= settings.maxWaiting) {
        instruments.rejected()
        return Effect.fail(
          new PoolError({ reason: "QueueFull", message: `${settings.maxWaiting} acquire(s) already waiting for a connection` })
        )
      }
      inFlight++
      const start = clock.currentTimeMillisUnsafe()
      const deadline = settings.acquireTimeout === Infinity ? Infinity : start + settings.acquireTimeout
      const loop: Effect.Effect<Lease, AcquireError> = Effect.flatMap(attempt(deadline), (lease) => (lease === undefined ? loop : Effect.succeed(lease)))
      return Effect.onExit(loop, (exit) => {
        inFlight--
        if (Exit.isSuccess(exit)) instruments.waited(clock.currentTimeMillisUnsafe() - start)
        return Effect.void
      })
    })

    const get: Effect.Effect<PgConnectionShape, AcquireError, Scope.Scope> = Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(restore(acquireLease), (lease) => Effect.as(Effect.addFinalizer((exit) => giveBack(lease, Exit.hasInterrupts(exit))), lease.pooled.connection))
    )
    const withConnection = <A, E, R>(f: (connection: PgConnectionShape) => Effect.Effect<A, E, R>) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(restore(acquireLease), (lease) => Effect.onExit(restore(f(lease.pooled.connection)), (exit) => giveBack(lease, Exit.hasInterrupts(exit))))
      )

    const shape: PgPoolShape = {
      name: settings.name,
      settings,
      attributes,
      get,
      withConnection,
      query: (sql, params) => traced(withConnection((c) => c.query(sql, params)), "pgwire.query", attributes, textOf(sql)),
      execute: (sql) => traced(withConnection((c) => c.execute(sql)), "pgwire.execute", attributes, textOf(sql)),
      stream: (sql, params, options) =>
        tracedStream(Stream.unwrap(Effect.map(get, (c) => c.stream(sql, params, options))), "pgwire.stream", attributes, textOf(sql)),
      copyFrom: (sql, options) =>
        Sink.unwrap<CopyResult, Uint8Array, never, QueryError | AcquireError, Scope.Scope, never>(
          Effect.map(get, (c) => c.copyFrom(sql, options))
        ),
      copyTo: (sql, options) =>
        tracedStream(Stream.unwrap(Effect.map(get, (c) => c.copyTo(sql, options))), "pgwire.copyTo", attributes, textOf(sql)),
      listen: (channels, options) => Stream.unwrap(withConnection((c) => Effect.succeed(c.listen(channels, options)))),
      stats: Effect.sync(() => ({
        idle: count(false),
        used: count(true),
        pending: inFlight,
        minSize: settings.minSize,
        maxSize: settings.maxSize
      }))
    }
    return shape
  })

/**
 * The PgPool service.
 *
 * @since 0.1.0
 * @category services
 */
export class PgPool extends Context.Service<PgPool, PgPoolShape>()("effect-pgwire/PgPool") {
  /** A scoped Layer: the pool lives as long as the layer; closing it closes every connection. */
  static readonly layer = (config: PgPoolConfig): Layer.Layer<PgPool, ConfigError> => Layer.effect(PgPool, make(config))
  static readonly make = make
}
