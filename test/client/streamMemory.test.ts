/**
 * Streaming 10,000,000 rows keeps the process's memory bounded: the resident
 * set grows by less than 100 MB from before the stream to its peak (sampled
 * every 50,000 rows), while collecting the rows would need gigabytes.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { PgConnection } from "../../src/client/PgConnection.ts"
import { superuserConfig } from "../support/connection.ts"


describe("stream memory", () => {
  it.live("10,000,000 rows through a portal: RSS growth under 100 MB", () =>
    Effect.scoped(Effect.gen(function*() {
      const c = yield* PgConnection.make(superuserConfig())
      const before = process.memoryUsage().rss
      let peak = before
      let count = 0
      let sum = 0
      yield* c.stream("SELECT i, 'row ' || i AS t FROM generate_series(1, 10000000) i", [], { batchSize: 5000 }).pipe(
        Stream.runForEachArray((rows) =>
          Effect.sync(() => {
            for (const row of rows) sum += row.i as number
            count += rows.length
            if (count % 50_000 === 0) peak = Math.max(peak, process.memoryUsage().rss)
          })
        )
      )
      expect(count).toBe(10_000_000)
      expect(sum).toBe(10_000_000 * 10_000_001 / 2)
      const growth = (peak - before) / (1024 * 1024)
      expect(growth).toBeLessThan(100)
    })), 300_000)
})
