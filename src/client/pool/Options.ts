/**
 * The pool's options, their defaults, and their checks: a bad size or
 * duration is a `ConfigError` when the pool is made, not a surprise later.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { PgConnectionConfig } from "../Config.ts"
import { ConfigError } from "../config/ConfigError.ts"
import type { MakeOptions } from "../PgConnection.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface PgPoolConfig {
  /** What each connection connects with: an options object or a connection string (`postgres://` URL or `key=value` pairs). */
  readonly connection: PgConnectionConfig | string
  /** Read the PG* environment variables and libpq's files too, as `PgConnection.make` does with this option. Default false. */
  readonly environment?: MakeOptions["environment"]
  /** The pool's name on metrics (`db.client.connection.pool.name`). Default `pgwire-pool-N`. */
  readonly name?: string | undefined
  /** Connections kept open even when idle. Default 0. */
  readonly minSize?: number | undefined
  /** The most connections open at once. Default 10. */
  readonly maxSize?: number | undefined
  /**
   * How long an acquire may wait for a connection (opening one and the
   * health check included) before it fails with `PoolError` `AcquireTimeout`.
   * Default 30 seconds.
   */
  readonly acquireTimeout?: Duration.Input | undefined
  /**
   * How many acquires may wait at once for a connection to be returned
   * (acquires a free or new connection can serve do not count). One more
   * fails at once with `PoolError` `QueueFull`. Default unlimited.
   */
  readonly maxWaiting?: number | undefined
  /** A connection idle this long is closed, while more than `minSize` are open. Default 10 minutes. */
  readonly idleTimeout?: Duration.Input | undefined
  /** A connection this old is closed when next idle (and not handed out again). Default 1 hour. */
  readonly maxLifetime?: Duration.Input | undefined
  /**
   * A random extra lifetime between 0 and this, drawn per connection, so
   * connections opened together are not all recycled together. Default a
   * tenth of `maxLifetime`.
   */
  readonly maxLifetimeJitter?: Duration.Input | undefined
  /**
   * A connection idle at least this long (or still running a statement of
   * its previous borrower) is checked with `SELECT 1` before it is handed
   * out; a failed check closes it and the acquire takes another. 0 checks on
   * every checkout. Default 1 second.
   */
  readonly healthCheckAfter?: Duration.Input | undefined
  /** How long the checkout's `SELECT 1` may take. Default 5 seconds. */
  readonly healthCheckTimeout?: Duration.Input | undefined
  /**
   * How long the reset of a returned connection may take before the
   * connection is closed instead: the `ROLLBACK` of a transaction left open,
   * after the statements an interrupted borrower left running. Default 5
   * seconds.
   */
  readonly resetTimeout?: Duration.Input | undefined
  /** How often idle connections are checked for `idleTimeout` and `maxLifetime`. Default 1 second. */
  readonly maintenanceInterval?: Duration.Input | undefined
  /**
   * What the spans' `db.query.text` holds: `"sanitized"` (the default) the
   * statement with every literal replaced by `?` (`PASSWORD 'x'` becomes
   * `PASSWORD ?`), as OpenTelemetry asks for text that may carry values;
   * `"full"` the statement as written; `"none"` leaves the attribute out.
   */
  readonly spanQueryText?: SpanQueryText | undefined
  /** The transport connect function (tests, proxies); default the TCP/TLS transport. */
  readonly connect?: MakeOptions["connect"]
}

/**
 * How a statement's text goes on its span (`db.query.text`).
 *
 * @since 0.1.0
 * @category models
 */
export type SpanQueryText = "sanitized" | "full" | "none"


/** The options with defaults filled in, durations in milliseconds. */
export interface PoolSettings {
  readonly name: string
  readonly minSize: number
  readonly maxSize: number
  /** Infinity waits without bound. */
  readonly acquireTimeout: number
  readonly maxWaiting: number
  readonly idleTimeout: number
  readonly maxLifetime: number
  readonly maxLifetimeJitter: number
  readonly healthCheckAfter: number
  readonly healthCheckTimeout: number
  readonly resetTimeout: number
  readonly maintenanceInterval: number
  readonly spanQueryText: SpanQueryText
}

let poolCounter = 0

const millisOf = (key: string, input: Duration.Input | undefined, fallback: number, positive = false): Effect.Effect<number, ConfigError> => {
  if (input === undefined) return Effect.succeed(fallback)
  const duration = Duration.fromInput(input)
  if (Option.isNone(duration)) return Effect.fail(new ConfigError({ key, message: `${key}: not a duration` }))
  const millis = Duration.isFinite(duration.value) ? Duration.toMillis(duration.value) : Infinity
  if (Number.isNaN(millis) || millis < 0 || (positive && millis === 0)) {
    return Effect.fail(new ConfigError({ key, message: `${key}: must be ${positive ? "positive" : "zero or more"}` }))
  }
  return Effect.succeed(millis)
}

const countOf = (key: string, input: number | undefined, fallback: number, minimum: number): Effect.Effect<number, ConfigError> => {
  if (input === undefined) return Effect.succeed(fallback)
  if (input === Infinity && key === "maxWaiting") return Effect.succeed(input)
  if (!Number.isInteger(input) || input < minimum) {
    return Effect.fail(new ConfigError({ key, message: `${key}: must be an integer of at least ${minimum}` }))
  }
  return Effect.succeed(input)
}

const spanQueryTextOf = (input: string | undefined): Effect.Effect<SpanQueryText, ConfigError> => {
  if (input === undefined) return Effect.succeed("sanitized")
  if (input === "sanitized" || input === "full" || input === "none") return Effect.succeed(input)
  return Effect.fail(
    new ConfigError({ key: "spanQueryText", message: `spanQueryText: must be "sanitized", "full" or "none", not ${JSON.stringify(input)}` })
  )
}

/**
 * Checks the options and fills in the defaults.
 *
 * @since 0.1.0
 * @category constructors
 */
export const settingsOf = (config: PgPoolConfig): Effect.Effect<PoolSettings, ConfigError> =>
  Effect.gen(function*() {
    const minSize = yield* countOf("minSize", config.minSize, 0, 0)
    const maxSize = yield* countOf("maxSize", config.maxSize, Math.max(10, minSize), 1)
    if (minSize > maxSize) return yield* Effect.fail(new ConfigError({ key: "minSize", message: `minSize (${minSize}) exceeds maxSize (${maxSize})` }))
    const maxLifetime = yield* millisOf("maxLifetime", config.maxLifetime, 60 * 60_000, true)
    return {
      name: config.name ?? `pgwire-pool-${++poolCounter}`,
      minSize,
      maxSize,
      acquireTimeout: yield* millisOf("acquireTimeout", config.acquireTimeout, 30_000, true),
      maxWaiting: yield* countOf("maxWaiting", config.maxWaiting, Infinity, 0),
      idleTimeout: yield* millisOf("idleTimeout", config.idleTimeout, 10 * 60_000, true),
      maxLifetime,
      maxLifetimeJitter: yield* millisOf(
        "maxLifetimeJitter",
        config.maxLifetimeJitter,
        Number.isFinite(maxLifetime) ? maxLifetime / 10 : 0
      ),
      healthCheckAfter: yield* millisOf("healthCheckAfter", config.healthCheckAfter, 1_000),
      healthCheckTimeout: yield* millisOf("healthCheckTimeout", config.healthCheckTimeout, 5_000, true),
      resetTimeout: yield* millisOf("resetTimeout", config.resetTimeout, 5_000, true),
      maintenanceInterval: yield* millisOf("maintenanceInterval", config.maintenanceInterval, 1_000, true),
      spanQueryText: yield* spanQueryTextOf(config.spanQueryText)
    }
  })
