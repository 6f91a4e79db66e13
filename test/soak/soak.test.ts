/**
 * Short soaks (the full ones are `npm run soak`, see `soak/run.ts`):
 *
 * - the client: 20,000 operations over a pool of 10 connections on the
 *   shared PostgreSQL, a tenth interrupted at a random moment and a
 *   twentieth under a short timeout, mixed with COPY FROM/TO and streams;
 * - the server: 20 clients connecting, querying, cancelling and
 *   disconnecting for 5 s, against the demo engine and the PGlite engine.
 *
 * Then the end conditions: no socket or file descriptor left, no fiber left
 * or ended with a defect, prepared statements within the cache size (and
 * the same on both sides), heap growth bounded, no session left on the
 * server, no unexpected error.
 */
import { describe, expect, it } from "vitest"
import { runClientSoak } from "../../soak/client.ts"
import { runServerSoak } from "../../soak/server.ts"
import { superuserConfig } from "../support/connection.ts"

const heapBound = 50 * 1024 * 1024

describe("soak", () => {
  it("client: 20,000 operations over a pool of 10 with interruptions and timeouts leave nothing behind", async () => {
    const cacheSize = 16
    const report = await runClientSoak({
      connection: superuserConfig(),
      queries: 20_000,
      poolSize: 10,
      statementCacheSize: cacheSize,
      concurrency: 30,
      seed: 7
    })
    expect(report.operations).toBe(20_000)
    // The faults were injected and some took effect.
    expect(report.interruptsInjected).toBeGreaterThan(1_000)
    expect(report.timeoutsInjected).toBeGreaterThan(500)
    expect(report.outcomes["interrupted"]).toBeGreaterThan(0)
    expect(report.outcomes["timedOut"]).toBeGreaterThan(0)
    expect(report.outcomes["expectedServerError"]).toBeGreaterThan(0)
    expect(report.cache.evictions).toBeGreaterThan(0)
    expect(report.cache.cancelsSent).toBeGreaterThan(0)
    // Nothing unexpected, nothing left.
    expect(report.unexpected).toEqual({})
    expect(report.serverSocketsAfter).toBe(0)
    expect(report.fds.after).toBeLessThanOrEqual(report.fds.before)
    expect(report.fibers.defectSamples).toEqual([])
    expect(report.fibers.liveAtEnd).toBe(0)
    expect(report.preparedStatements.connections).toBeGreaterThan(0)
    expect(report.preparedStatements.maxServer).toBeLessThanOrEqual(cacheSize)
    expect(report.preparedStatements.mismatches).toBe(0)
    expect(report.heap.growth).toBeLessThan(heapBound)
  }, 120_000)

  for (const engine of ["demo", "pglite"] as const) {
    it(`server (${engine} engine): 20 clients for 5 s leave no session, socket or fiber behind`, async () => {
      const report = await runServerSoak({ engine, clients: 20, seconds: 5, seed: 7 })
      expect(report.sessions["ours"]).toBeGreaterThan(0)
      expect(report.sessions["pg"]).toBeGreaterThan(0)
      expect(report.sessions["postgres.js"]).toBeGreaterThan(0)
      expect(report.cancelsConfirmed).toBeGreaterThan(0)
      expect(report.abruptDisconnects).toBeGreaterThan(0)
      expect(report.unexpected).toEqual({})
      expect(report.crashed).toBe(false)
      expect(report.fibers.defectSamples).toEqual([])
      expect(report.sessionsAfter).toBe(0)
      expect(report.connectionsAfter).toBe(0)
      expect(report.serverSocketsAfter).toBe(0)
      expect(report.fds.after).toBeLessThanOrEqual(report.fds.before)
      expect(report.fibers.liveAtEnd).toBe(0)
      const first = report.memory[0]!
      const last = report.memory[report.memory.length - 1]!
      expect(last.heapUsed - first.heapUsed).toBeLessThan(heapBound)
    }, 120_000)
  }
})
