/**
 * Whose turn it is on the one PGlite backend: a session takes the engine
 * for a whole transaction and gives it back when the backend is idle again;
 * the others wait in arrival order. A wait is bounded: a session that stays
 * inside a transaction too long makes the waiters fail with a clear error
 * instead of a deadlock.
 *
 * @internal
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type { PgError } from "../../../server/index.ts"

interface Waiter {
  readonly id: number
  readonly grant: Deferred.Deferred<void>
}

export class Turns {
  /** The session holding the engine. */
  owner: number | undefined = undefined
  /** When the owner took the engine (for the error of those who wait too long). */
  since = 0
  private readonly waiters: Array<Waiter> = []
  private readonly timeoutMillis: number
  private readonly timeoutError: (owner: number | undefined, heldMillis: number) => PgError

  constructor(timeoutMillis: number, timeoutError: (owner: number | undefined, heldMillis: number) => PgError) {
    this.timeoutMillis = timeoutMillis
    this.timeoutError = timeoutError
  }

  /** Sessions waiting for their turn. */
  get waiting(): number {
    return this.waiters.length
  }

  /** Takes the engine when nobody holds it (or `id` does already); `false` when another session holds it. */
  tryAcquire(id: number): boolean {
    if (this.owner === id) return true
    if (this.owner !== undefined) return false
    this.owner = id
    this.since = Date.now()
    return true
  }

  /** Waits for the engine; returns at once when `id` holds it already or nobody does. */
  acquire(id: number): Effect.Effect<void, PgError> {
    return Effect.suspend(() => {
      if (this.tryAcquire(id)) return Effect.void
      const waiter: Waiter = { id, grant: Deferred.makeUnsafe<void>() }
      this.waiters.push(waiter)
      return Deferred.await(waiter.grant).pipe(
        Effect.timeoutOrElse({
          duration: this.timeoutMillis,
          orElse: () => Effect.suspend(() => Effect.fail(this.timeoutError(this.owner, Date.now() - this.since)))
        }),
        Effect.onExit((exit) =>
          Effect.sync(() => {
            if (Exit.isSuccess(exit)) return
            const at = this.waiters.indexOf(waiter)
            if (at !== -1) this.waiters.splice(at, 1)
            // Granted in the instant the wait gave up: pass the turn on.
            else if (this.owner === id) this.release(id)
          })
        )
      )
    })
  }

  /** Gives the engine to the next waiter, if `id` holds it. */
  release(id: number): void {
    if (this.owner !== id) return
    const next = this.waiters.shift()
    this.owner = next?.id
    this.since = Date.now()
    if (next !== undefined) Deferred.doneUnsafe(next.grant, Exit.void)
  }
}
