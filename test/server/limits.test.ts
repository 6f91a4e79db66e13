/**
 * The server's limits, each shown failing one session while another goes
 * on: the number of connections (53300), the startup timeout, idle and
 * idle-in-transaction timeouts, per-kind message sizes, garbage, a message
 * that stalls half way, and the graceful shutdown (idle sessions terminated
 * with 57P01 at once, running statements finishing first, the rest
 * terminated at the deadline). Also backpressure: an endless row stream to
 * a client that does not read stops being produced.
 */
import * as Net from "node:net"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { StartupCode } from "../../src/protocol/index.ts"
import { connectPeer, readyPeer, tags } from "./support/peer.ts"
import { startServer } from "./support/server.ts"

const errorOf = (messages: ReadonlyArray<{ readonly _tag: string }>) => {
  const error = messages.find((m) => m._tag === "ErrorResponse")
  return error !== undefined && "fields" in error ? (error.fields as { code?: string; severity?: string; message?: string }) : undefined
}

/** A session that answers a query: the proof that the others carry on. */
const stillServes = (port: number) =>
  Effect.scoped(Effect.gen(function*() {
    const { peer } = yield* readyPeer({ port })
    yield* peer.send({ _tag: "Query", query: "SELECT 1" })
    return tags(yield* peer.receiveUntil("ReadyForQuery"))
  }))

const served = ["RowDescription", "DataRow", "CommandComplete", "ReadyForQuery"]

describe("connection limit", () => {
  it.live("past maxConnections a client gets FATAL 53300 \"too many connections\"; a freed slot is reused", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, server } = yield* startServer({ maxConnections: 2 })
      const first = yield* Effect.scoped(Effect.gen(function*() {
        yield* readyPeer({ port })
        yield* readyPeer({ port })
        const extra = yield* connectPeer({ port })
        yield* extra.send({ _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { user: "carol" } })
        return errorOf(yield* extra.closed)
      }))
      expect(first?.code).toBe("53300")
      expect(first?.severity).toBe("FATAL")
      expect(first?.message).toContain("too many connections")
      // The two sessions ended with the scope: their slots are free again.
      for (let i = 0; i < 100 && (yield* server.connections) > 0; i++) yield* Effect.sleep("10 millis")
      expect(yield* stillServes(port)).toEqual(served)
    })))
})

describe("timeouts", () => {
  it.live("startup: a client that stops half way through its startup packet is dropped", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer({ startupTimeout: "200 millis" })
      const peer = yield* connectPeer({ port })
      yield* peer.sendRaw(new Uint8Array([0, 0, 0, 40, 0, 3]))
      const messages = yield* peer.closed
      expect(errorOf(messages)?.code).toBe("57014")
      expect(yield* stillServes(port)).toEqual(served)
    })))

  it.live("startup: a client that never sends a byte is dropped", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer({ startupTimeout: "200 millis" })
      const peer = yield* connectPeer({ port })
      expect(errorOf(yield* peer.closed)?.code).toBe("57014")
    })))

  it.live("idle session: FATAL 57P05; idle in a transaction: FATAL 25P03", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer({ idleSessionTimeout: "200 millis", idleInTransactionSessionTimeout: "300 millis" })
      const idle = yield* readyPeer({ port })
      expect(errorOf(yield* idle.peer.closed)?.code).toBe("57P05")
      const inTransaction = yield* readyPeer({ port })
      yield* inTransaction.peer.send({ _tag: "Query", query: "BEGIN" })
      yield* inTransaction.peer.receiveUntil("ReadyForQuery")
      expect(errorOf(yield* inTransaction.peer.closed)?.code).toBe("25P03")
    })))

  it.live("a message that stops arriving half way closes that session only", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer({ messageStallTimeout: "300 millis" })
      const { peer } = yield* readyPeer({ port })
      // 'Q', a length of 100, and 3 bytes of the 96 promised.
      yield* peer.sendRaw(new Uint8Array([0x51, 0, 0, 0, 100, 0x53, 0x45, 0x4c]))
      expect(yield* stillServes(port)).toEqual(served)
      expect(errorOf(yield* peer.closed)?.code).toBe("08P01")
    })))
})

describe("malformed input", () => {
  it.live("a message above its kind's size limit is FATAL 08P01", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer({ limits: { Query: 64 } })
      const { peer } = yield* readyPeer({ port })
      yield* peer.send({ _tag: "Query", query: "SELECT 1 -- short enough" })
      expect(tags(yield* peer.receiveUntil("ReadyForQuery"))).toEqual(served)
      yield* peer.send({ _tag: "Query", query: `SELECT '${"x".repeat(100)}'` })
      const messages = yield* peer.closed
      expect(errorOf(messages)?.code).toBe("08P01")
      expect(errorOf(messages)?.message).toContain("exceeds the limit")
      expect(yield* stillServes(port)).toEqual(served)
    })))

  it.live("garbage after startup is FATAL 08P01; messages before it in the same chunk were answered", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      const query = new Uint8Array([0x51, 0, 0, 0, 13, ...new TextEncoder().encode("SELECT 1"), 0])
      yield* peer.sendRaw(new Uint8Array([...query, 0x01, 0xff, 0xfe, 0x00, 0x42]))
      const messages = yield* peer.closed
      expect(tags(messages)).toEqual([...served, "ErrorResponse"])
      expect(errorOf(messages)?.code).toBe("08P01")
      expect(yield* stillServes(port)).toEqual(served)
    })))

  it.live("garbage instead of a startup packet is FATAL 08P01", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const peer = yield* connectPeer({ port })
      yield* peer.sendRaw(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
      expect(errorOf(yield* peer.closed)?.code).toBe("08P01")
    })))
})

describe("graceful shutdown", () => {
  it.live("idle sessions get 57P01 at once; a running statement finishes, then its session gets 57P01; new clients are refused", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, server } = yield* startServer({ shutdownTimeout: "10 seconds" })
      const idle = yield* readyPeer({ port })
      const busy = yield* readyPeer({ port })
      yield* busy.peer.send({ _tag: "Query", query: "SELECT pg_sleep(0.4)" })
      yield* Effect.sleep("100 millis")
      const stopping = yield* Effect.forkChild(server.shutdown)
      expect(errorOf(yield* idle.peer.closed)?.code).toBe("57P01")
      const busyMessages = yield* busy.peer.closed
      expect(tags(busyMessages)).toEqual(["RowDescription", "DataRow", "CommandComplete", "ReadyForQuery", "ErrorResponse"])
      expect(errorOf(busyMessages)?.code).toBe("57P01")
      yield* Fiber.join(stopping)
      const refused = yield* Effect.callback<string>((resume) => {
        const socket = Net.createConnection({ host: "127.0.0.1", port })
        socket.once("connect", () => {
          socket.destroy()
          resume(Effect.succeed("connected"))
        })
        socket.once("error", (e) => resume(Effect.succeed((e as NodeJS.ErrnoException).code ?? "error")))
      })
      expect(refused).toBe("ECONNREFUSED")
    })))

  it.live("a statement still running at the deadline is interrupted and its session terminated with 57P01", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, server } = yield* startServer({ shutdownTimeout: "300 millis" })
      const busy = yield* readyPeer({ port })
      yield* busy.peer.send({ _tag: "Query", query: "SELECT pg_sleep(30)" })
      yield* Effect.sleep("100 millis")
      yield* server.shutdown
      const messages = yield* busy.peer.closed
      expect(tags(messages)).toEqual(["ErrorResponse"])
      expect(errorOf(messages)?.code).toBe("57P01")
    })))
})

describe("backpressure", () => {
  it.live("an endless result is produced only as fast as the client reads", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, engine } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      peer.socket.pause()
      yield* peer.send({ _tag: "Query", query: "SELECT * FROM endless" })
      // Production stops once the socket buffers are full; sample until it stands still.
      let last = -1
      let stable = 0
      for (let i = 0; i < 200 && stable < 3; i++) {
        yield* Effect.sleep("50 millis")
        const now = engine.endlessRowsProduced()
        stable = now === last && now > 0 ? stable + 1 : 0
        last = now
      }
      expect(stable).toBe(3)
      // Bounded by the kernel's and Node's socket buffers (a few MB), not by the stream.
      expect(last).toBeLessThan(1_000_000)
      peer.socket.resume()
      for (let i = 0; i < 200 && engine.endlessRowsProduced() < last + 100_000; i++) yield* Effect.sleep("20 millis")
      expect(engine.endlessRowsProduced()).toBeGreaterThanOrEqual(last + 100_000)
    })))
})
