/**
 * The life of a pooled connection: what the pool knows about each one, the
 * check before it is handed out, the reset when it comes back, and the
 * maintenance loop that closes connections idle too long or too old.
 *
 * A connection leaves the pool (is invalidated, closed, and replaced while
 * fewer than `minSize` remain) when its session failed, when it outlived
 * `maxLifetime` plus its jitter, when it sat idle past `idleTimeout` above
 * `minSize`, when the checkout's health check failed, or when it came back
 * inside a transaction and the `ROLLBACK` failed.
 *
 * @internal
 */
import type { Clock } from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Pool from "effect/Pool"
import type { ConnectError, PgConnectionShape } from "../PgConnection.ts"
import type { CloseReason, PoolInstruments } from "./Metrics.ts"
import type { PoolSettings } from "./Options.ts"

/** A connection with the pool's bookkeeping. */
export interface Pooled {
  readonly connection: PgConnectionShape
  readonly createdAt: number
  /** When it stops being handed out (creation + maxLifetime + jitter). */
  readonly expiresAt: number
  /** When it was opened or last returned. */
  lastUsed: number
  /** When the current borrower took it. */
  borrowedAt: number
  /** Set once the pool decided to close it. */
  closeReason: CloseReason | undefined
}

/** The pool's view, as the lifecycle needs it. */
export interface LifecycleContext {
  readonly settings: PoolSettings
  readonly clock: Clock
  readonly instruments: PoolInstruments
}

/** Marks `pooled` for closing (the first reason wins) and invalidates it in `pool`. */
export const retire = (pool: Pool.Pool<Pooled, ConnectError>, pooled: Pooled, reason: CloseReason): Effect.Effect<void> => {
  if (pooled.closeReason === undefined) pooled.closeReason = reason
  return Pool.invalidate(pool, pooled)
}

const timedOut = () => Effect.fail("timeout" as const)

/**
 * Whether a connection just taken from the pool may be handed out: its
 * session has not failed, it has not outlived its lifetime, and, when it sat
 * idle at least `healthCheckAfter` or still runs a statement of the previous
 * borrower, it answers `SELECT 1` in time. When it may not, it is marked for
 * closing with the reason.
 */
export const checkOnCheckout = (ctx: LifecycleContext, pooled: Pooled): Effect.Effect<boolean> =>
  Effect.flatMap(Effect.zip(pooled.connection.failure, pooled.connection.stats), ([failure, stats]) => {
    if (failure !== undefined) {
      pooled.closeReason ??= "broken"
      return Effect.succeed(false)
    }
    const now = ctx.clock.currentTimeMillisUnsafe()
    if (now >= pooled.expiresAt) {
      pooled.closeReason ??= "lifetime"
      return Effect.succeed(false)
    }
    // A statement still running (left by the previous borrower) would delay the next one: checked too.
    if (now - pooled.lastUsed < ctx.settings.healthCheckAfter && stats.pendingRequests === 0) return Effect.succeed(true)
    return Effect.map(
      Effect.exit(Effect.timeoutOrElse(pooled.connection.execute("SELECT 1"), { duration: ctx.settings.healthCheckTimeout, orElse: timedOut })),
      (ping) => {
        if (Exit.isSuccess(ping)) return true
        pooled.closeReason ??= "healthCheck"
        return false
      }
    )
  })

/**
 * Before a connection goes back to the pool: decides whether it may be
 * reused. A failed session or an exhausted lifetime closes it; with `drain`
 * (its borrower was interrupted), statements still running are waited for;
 * a transaction left open (status T or E) is rolled back; the connection is
 * closed if that fails or does not finish within `resetTimeout`.
 */
export const resetOnRelease = (
  ctx: LifecycleContext,
  pool: Pool.Pool<Pooled, ConnectError>,
  pooled: Pooled,
  drain = false
): Effect.Effect<void> => {
  const c = pooled.connection
  const now = ctx.clock.currentTimeMillisUnsafe()
  ctx.instruments.used(now - pooled.borrowedAt)
  const done = Effect.suspend(() => {
    pooled.lastUsed = ctx.clock.currentTimeMillisUnsafe()
    return pooled.closeReason === undefined ? Effect.void : Pool.invalidate(pool, pooled)
  })
  if (pooled.closeReason !== undefined) return done
  return Effect.flatMap(Effect.all([c.failure, c.transactionStatus, c.stats]), ([failure, status, stats]) => {
    if (failure !== undefined) pooled.closeReason = "broken"
    else if (now >= pooled.expiresAt) pooled.closeReason = "lifetime"
    else if (status !== "I" || (drain && stats.pendingRequests > 0)) {
      // With `drain`, statements the borrower stopped waiting for are waited
      // for first (an empty query completes after them); then an open
      // transaction is rolled back.
      const waited = drain && stats.pendingRequests > 0 ? Effect.asVoid(c.execute("")) : Effect.void
      const reset = Effect.andThen(waited, Effect.flatMap(c.transactionStatus, (s) => (s === "I" ? Effect.void : Effect.asVoid(c.execute("ROLLBACK")))))
      const rollback = Effect.timeoutOrElse(Effect.interruptible(reset), { duration: ctx.settings.resetTimeout, orElse: timedOut })
      return Effect.flatMap(Effect.exit(rollback), (exit) =>
        Effect.flatMap(c.transactionStatus, (after) => {
          if (Exit.isFailure(exit) || after !== "I") pooled.closeReason = "reset"
          return done
        }))
    }
    return done
  })
}

/**
 * The maintenance strategy: every `maintenanceInterval`, idle connections
 * past their lifetime are closed, and idle connections idle longer than
 * `idleTimeout` while more than `minSize` are open. The pool opens
 * replacements while fewer than `minSize` remain.
 */
export const maintenance = (ctx: LifecycleContext): Pool.Strategy<Pooled, ConnectError> => {
  const sweep = (pool: Pool.Pool<Pooled, ConnectError>): Effect.Effect<void> =>
    Effect.suspend(() => {
      const now = ctx.clock.currentTimeMillisUnsafe()
      const { items, invalidated } = pool.state
      let active = items.size - invalidated.size
      const retiring: Array<readonly [Pooled, CloseReason]> = []
      for (const item of items) {
        if (item.exit._tag !== "Success" || item.refCount > 0 || invalidated.has(item)) continue
        const pooled = item.exit.value
        if (now >= pooled.expiresAt) {
          retiring.push([pooled, "lifetime"])
          active--
        } else if (now - pooled.lastUsed >= ctx.settings.idleTimeout && active > ctx.settings.minSize) {
          retiring.push([pooled, "idle"])
          active--
        }
      }
      return Effect.forEach(retiring, ([pooled, reason]) => retire(pool, pooled, reason), { discard: true })
    })
  return {
    run: (pool) => Effect.forever(Effect.delay(sweep(pool), ctx.settings.maintenanceInterval)),
    onAcquire: () => Effect.void,
    reclaim: () => Effect.undefined
  }
}
