/**
 * A query interrupted just before it finishes on its own: the CancelRequest
 * sent for it arrives at the server a moment later, and the server cancels
 * whatever the session runs at that moment. The statements that follow on
 * the same connection (the same caller's next query, or the next borrower's
 * from a pool) must not be the ones cancelled.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Stream from "effect/Stream"
import type { PgConnectionShape } from "../../src/client/PgConnection.ts"
import { PgPool } from "../../src/client/Pool.ts"
import { superuserConfig, withConnection } from "../support/connection.ts"

const rounds = 60

/** Interrupts `first` at 1 to 3 ms, then runs a 20 ms statement: how many of those failed. */
const innocentFailuresAfter = (c: PgConnectionShape, first: Effect.Effect<unknown, unknown>) =>
  Effect.gen(function*() {
    let innocentFailures = 0
    let interrupted = 0
    for (let i = 0; i < rounds; i++) {
      const exit = yield* Effect.exit(Effect.timeout(first, Duration.millis(1 + (i % 3))))
      if (Exit.isFailure(exit)) interrupted++
      const next = yield* Effect.exit(c.query("SELECT pg_sleep(0.02), $1::int AS i", [i]))
      if (Exit.isFailure(next)) innocentFailures++
    }
    return { innocentFailures, interrupted }
  })

describe("a late cancel", () => {
  it.live("never cancels the next statement on the connection", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        let innocentFailures = 0
        let interrupted = 0
        for (let i = 0; i < rounds; i++) {
          // Interrupted at 1 to 3 ms, a statement that takes 2 ms: it often ends before its cancel lands.
          const exit = yield* Effect.exit(Effect.timeout(c.query("SELECT pg_sleep(0.002)"), Duration.millis(1 + (i % 3))))
          if (Exit.isFailure(exit)) interrupted++
          const next = yield* Effect.exit(c.query("SELECT pg_sleep(0.02), $1::int AS i", [i]))
          if (Exit.isFailure(next)) innocentFailures++
          else expect(next.value.rows[0]!["i"]).toBe(i)
        }
        expect(interrupted).toBeGreaterThan(0)
        expect(innocentFailures).toBe(0)
        // And the connection is still fine.
        expect((yield* c.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }])
      })
    ), 60_000)

  it.live("never cancels the next borrower's statement on a pooled connection", () =>
    Effect.scoped(Effect.gen(function*() {
      const pool = yield* PgPool.make({ connection: superuserConfig(), maxSize: 1 })
      let innocentFailures = 0
      let interrupted = 0
      for (let i = 0; i < rounds; i++) {
        const exit = yield* Effect.exit(Effect.timeout(pool.query("SELECT pg_sleep(0.002)"), Duration.millis(1 + (i % 3))))
        if (Exit.isFailure(exit)) interrupted++
        const next = yield* Effect.exit(pool.query("SELECT pg_sleep(0.02), $1::int AS i", [i]))
        if (Exit.isFailure(next)) innocentFailures++
      }
      expect(interrupted).toBeGreaterThan(0)
      expect(innocentFailures).toBe(0)
    })), 60_000)

  it.live("from a stream interrupted before its first row never cancels the next statement", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const { innocentFailures, interrupted } = yield* innocentFailuresAfter(
          c,
          Stream.runCollect(c.stream("SELECT i FROM pg_sleep(0.002), generate_series(1, 3) i"))
        )
        expect(interrupted).toBeGreaterThan(0)
        expect(innocentFailures).toBe(0)
      })
    ), 60_000)

  it.live("from a COPY TO interrupted before its first row never cancels the next statement", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const { innocentFailures, interrupted } = yield* innocentFailuresAfter(
          c,
          Stream.runCollect(c.copyTo("COPY (SELECT i FROM pg_sleep(0.002), generate_series(1, 3) i) TO STDOUT"))
        )
        expect(interrupted).toBeGreaterThan(0)
        expect(innocentFailures).toBe(0)
      })
    ), 60_000)
})
