/**
 * The pool's metrics, through effect's `Metric`, named after OpenTelemetry's
 * database client conventions where one exists (`db.client.connection.*`)
 * and `pgwire.*` otherwise. Every series carries the pool's name as
 * `db.client.connection.pool.name`.
 *
 * Connection counts, pending acquires, the configured bounds and the
 * per-connection counters (prepared-statement cache, cancels: the sum over
 * open connections' `stats` plus what closed ones counted) are read from the
 * pool when metrics are read (registered series: nothing is pushed per
 * checkout); times and counts of events are recorded as they happen.
 *
 * @since 0.1.0
 */
import type * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Metric from "effect/Metric"

/**
 * The attribute naming the pool on every series.
 *
 * @since 0.1.0
 * @category attributes
 */
export const poolNameAttribute = "db.client.connection.pool.name"

/**
 * The attribute saying whether a `db.client.connection.count` series counts idle or used connections.
 *
 * @since 0.1.0
 * @category attributes
 */
export const stateAttribute = "db.client.connection.state"

/**
 * Why a connection was closed: `broken` (the session failed), `lifetime`
 * (older than `maxLifetime`), `idle` (idle longer than `idleTimeout` above
 * `minSize`), `reset` (rolling back an open transaction on release failed),
 * `healthCheck` (the check on checkout failed), `shutdown` (the pool closed).
 *
 * @since 0.1.0
 * @category models
 */
export type CloseReason = "broken" | "lifetime" | "idle" | "reset" | "healthCheck" | "shutdown"

/**
 * The metric definitions. Read a series with `Metric.value(Metric.withAttributes(metric, { [poolNameAttribute]: name, ... }))`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const metrics = {
  /** Open connections, by `db.client.connection.state` (`idle` or `used`). */
  connectionCount: Metric.gauge("db.client.connection.count", { description: "Connections in the pool, by state" }),
  /** Acquires waiting for a connection (being opened, or to be returned). */
  pendingRequests: Metric.gauge("db.client.connection.pending_requests", { description: "Acquires waiting for a connection" }),
  /** The configured `maxSize`. */
  max: Metric.gauge("db.client.connection.max", { description: "The most connections the pool opens" }),
  /** The configured `minSize`. */
  idleMin: Metric.gauge("db.client.connection.idle.min", { description: "The fewest connections the pool keeps open" }),
  /** Acquires that failed with `AcquireTimeout`. */
  timeouts: Metric.counter("db.client.connection.timeouts", { description: "Acquires that timed out", incremental: true }),
  /** Acquires refused with `QueueFull`. */
  rejected: Metric.counter("pgwire.pool.rejected", { description: "Acquires refused because too many were waiting", incremental: true }),
  /** How long an acquire waited for its connection (health check included). */
  waitTime: Metric.timer("db.client.connection.wait_time", { description: "Time to obtain a connection from the pool" }),
  /** How long opening a connection took (connect, TLS, authentication, first ReadyForQuery). */
  createTime: Metric.timer("db.client.connection.create_time", { description: "Time to open a connection" }),
  /** How long a connection was lent out. */
  useTime: Metric.timer("db.client.connection.use_time", { description: "Time between borrowing and returning a connection" }),
  /** Connections closed, by `reason` (see `CloseReason`). */
  connectionsClosed: Metric.counter("pgwire.pool.connections_closed", { description: "Connections closed, by reason", incremental: true }),
  /** Prepared-statement cache hits over all connections of the pool. */
  statementCacheHits: Metric.counter("pgwire.statement_cache.hits", { description: "Prepared-statement cache hits", incremental: true }),
  /** Prepared-statement cache misses (statements prepared). */
  statementCacheMisses: Metric.counter("pgwire.statement_cache.misses", { description: "Prepared-statement cache misses", incremental: true }),
  /** Prepared statements evicted from a connection's cache (and closed on the server). */
  statementCacheEvictions: Metric.counter("pgwire.statement_cache.evictions", { description: "Prepared statements evicted", incremental: true }),
  /** CancelRequests sent (interrupted queries and explicit cancels). */
  cancelsSent: Metric.counter("pgwire.cancels_sent", { description: "CancelRequests sent", incremental: true })
} as const

/**
 * Counters summed over the pool's connections.
 *
 * @since 0.1.0
 * @category models
 */
export interface StatsTotals {
  hits: number
  misses: number
  evictions: number
  cancels: number
}

/**
 * What the registered series read from the pool.
 *
 * @since 0.1.0
 * @category models
 */
export interface PoolGaugeSource {
  readonly idle: () => number
  readonly used: () => number
  readonly pending: () => number
  readonly min: number
  readonly max: number
  /** The connections' counters: open ones' `stats` plus what closed ones counted. */
  readonly totals: () => StatsTotals
}

/**
 * Records the events of one pool into the registry of the context it was made in.
 *
 * @since 0.1.0
 * @category models
 */
export interface PoolInstruments {
  readonly timeout: () => void
  readonly rejected: () => void
  readonly waited: (millis: number) => void
  readonly created: (millis: number) => void
  readonly used: (millis: number) => void
  readonly closed: (reason: CloseReason) => void
  /** Removes the registered series (the pool is gone). */
  readonly unregister: () => void
}

/** A gauge reading `get` whenever metrics are read. */
const register = (
  metric: Metric.Gauge<number>,
  attributes: Metric.Metric.AttributeSet,
  context: Context.Context<never>,
  get: () => number
): Metric.Registration =>
  Metric.registerUnsafe(Metric.withAttributes(metric, attributes), context, {
    get: () => ({ value: get() }),
    update: () => {},
    modify: () => {}
  })

/** A counter reading `get` whenever metrics are read. */
const registerCounter = (
  metric: Metric.Counter<number>,
  attributes: Metric.Metric.AttributeSet,
  context: Context.Context<never>,
  get: () => number
): Metric.Registration =>
  Metric.registerUnsafe(Metric.withAttributes(metric, attributes), context, {
    get: () => ({ count: get(), incremental: true }),
    update: () => {},
    modify: () => {}
  })

/**
 * The instruments of the pool named `name`, recording into `context`'s metric registry.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeInstruments = (name: string, context: Context.Context<never>, source: PoolGaugeSource): PoolInstruments => {
  const pool = { [poolNameAttribute]: name }
  const registrations = [
    register(metrics.connectionCount, { ...pool, [stateAttribute]: "idle" }, context, source.idle),
    register(metrics.connectionCount, { ...pool, [stateAttribute]: "used" }, context, source.used),
    register(metrics.pendingRequests, pool, context, source.pending),
    register(metrics.max, pool, context, () => source.max),
    register(metrics.idleMin, pool, context, () => source.min),
    registerCounter(metrics.statementCacheHits, pool, context, () => source.totals().hits),
    registerCounter(metrics.statementCacheMisses, pool, context, () => source.totals().misses),
    registerCounter(metrics.statementCacheEvictions, pool, context, () => source.totals().evictions),
    registerCounter(metrics.cancelsSent, pool, context, () => source.totals().cancels)
  ]
  const timeouts = Metric.withAttributes(metrics.timeouts, pool)
  const rejected = Metric.withAttributes(metrics.rejected, pool)
  const waitTime = Metric.withAttributes(metrics.waitTime, pool)
  const createTime = Metric.withAttributes(metrics.createTime, pool)
  const useTime = Metric.withAttributes(metrics.useTime, pool)
  const closedBy = new Map<CloseReason, Metric.Counter<number>>()
  return {
    timeout: () => timeouts.updateUnsafe(1, context),
    rejected: () => rejected.updateUnsafe(1, context),
    waited: (millis) => waitTime.updateUnsafe(Duration.millis(millis), context),
    created: (millis) => createTime.updateUnsafe(Duration.millis(millis), context),
    used: (millis) => useTime.updateUnsafe(Duration.millis(millis), context),
    closed: (reason) => {
      let metric = closedBy.get(reason)
      if (metric === undefined) {
        metric = Metric.withAttributes(metrics.connectionsClosed, { ...pool, reason })
        closedBy.set(reason, metric)
      }
      metric.updateUnsafe(1, context)
    },
    unregister: () => {
      for (const registration of registrations) registration.remove()
    }
  }
}
