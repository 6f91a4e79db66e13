/**
 * Hostile clients against our server, each attack running while a
 * well-behaved client (our PgConnection) keeps querying the same server:
 * every one of its queries must succeed, and each attack is refused within
 * the configured limits.
 *
 * - startup packets at PostgreSQL's size limit (10,000 bytes after the
 *   length word: accepted) and one byte past it (refused), checked against
 *   PostgreSQL 18 itself; declared lengths of 2 GiB refused from the header;
 * - slowloris startups, plain and TLS (a silent socket, an SSLRequest never
 *   followed by a handshake, half a ClientHello), and a SCRAM exchange left
 *   hanging: dropped at the startup timeout, without taking connection slots
 *   before the StartupMessage;
 * - 1,000 connections at once past `maxConnections` (53300), twice, with the
 *   file descriptors and the heap back to their level afterwards; and 1,000
 *   at a server process whose file limit is 128;
 * - thousands of CancelRequests with random or wrong keys (3.0 and 3.2
 *   lengths): no reply, nothing cancelled; malformed ones: FATAL 08P01;
 * - password messages out of phase, oversized SASL messages;
 * - clients that stop reading while the server streams to them (production
 *   stops, memory stays bounded), and listeners that stop reading while
 *   they are notified (the notifier goes on; their sessions are dropped).
 *
 * The figures each attack measured are logged with `[hostile]`.
 */
import * as Net from "node:net"
import { randomBytes, randomInt } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Latch from "effect/Latch"
import * as Fiber from "effect/Fiber"
import { type BackendMessage, makeBackendParser, StartupCode } from "../../src/protocol/index.ts"
import { AuthProvider } from "../../src/server/AuthProvider.ts"
import { postgres } from "../support/context.ts"
import {
  cancelPacket,
  childServer,
  eventually,
  goodClient,
  heapAfterGcMiB,
  openFds,
  passwordMessage,
  rssMiB,
  saslInitialResponse,
  sampleMax,
  startupOfLength,
  typedMessage,
  untypedPacket
} from "./support/hostile.ts"
import { connectPeer, errorCode, readyPeer, tags } from "./support/peer.ts"
import { serverTls, startServer } from "./support/server.ts"

const report = (name: string, figures: Record<string, unknown>): Effect.Effect<void> =>
  Effect.sync(() => console.log(`[hostile] ${name} ${JSON.stringify(figures)}`))

/** Every good-client report must show work done and nothing failed. */
const expectServed = (good: { readonly queries: number; readonly failures: ReadonlyArray<string> }, atLeast: number) => {
  expect(good.failures).toEqual([])
  expect(good.queries).toBeGreaterThanOrEqual(atLeast)
}

/** What a raw connection to `port` receives after sending `bytes`, until the server closes it (10 s at most). */
const exchange = (port: number, bytes: Uint8Array) =>
  Effect.scoped(Effect.gen(function*() {
    const peer = yield* connectPeer({ port })
    const started = Date.now()
    yield* peer.sendRaw(bytes)
    const messages = yield* peer.closed
    return { messages, millis: Date.now() - started }
  }))

/**
 * A raw connection that sends `bytes` and collects what comes back until the
 * server closes it, or for `timeoutMillis` (or until one whole message, with
 * `untilMessage`); then the messages are parsed.
 */
const rawExchange = (port: number, bytes: Uint8Array, timeoutMillis = 10_000, untilMessage = false) =>
  Effect.callback<{
    readonly connected: boolean
    readonly received: number
    readonly closed: boolean
    readonly messages: Array<BackendMessage>
  }>((resume) => {
    const chunks: Array<Buffer> = []
    const socket = Net.createConnection({ host: "127.0.0.1", port })
    let connected = false
    let done = false
    const stop = () => {
      done = true
      clearTimeout(timer)
      socket.destroy()
    }
    const finish = (closed: boolean) => {
      if (done) return
      stop()
      const all = new Uint8Array(Buffer.concat(chunks))
      const messages: Array<BackendMessage> = []
      makeBackendParser().push(all, (m) => messages.push(m as BackendMessage))
      resume(Effect.succeed({ connected, received: all.length, closed, messages }))
    }
    const timer = setTimeout(() => finish(false), timeoutMillis)
    socket.on("connect", () => {
      connected = true
      socket.write(bytes)
    })
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk)
      // A whole message has arrived: its length word is covered.
      const all = Buffer.concat(chunks)
      if (untilMessage && all.length >= 5 && all.length >= 1 + all.readUInt32BE(1)) finish(false)
    })
    socket.on("error", () => finish(true))
    socket.on("close", () => finish(true))
    return Effect.sync(stop)
  })

/** A connection that was accepted, got no byte back, and was closed by the server. */
const silentlyClosed = { connected: true, received: 0, closed: true, messages: [] }

describe("startup packet size", () => {
  it.live("10,000 bytes after the length word are accepted, 10,001 refused with 08P01 (as PostgreSQL 18 decides)", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer({ startupTimeout: "2 seconds" })
      const good = yield* goodClient(port)
      const largest = startupOfLength("alice", 10_004)
      const tooLarge = startupOfLength("alice", 10_005)
      expect(largest.length).toBe(10_004)
      expect(tooLarge.length).toBe(10_005)
      const rounds = 50
      const run = yield* good.during((hold) =>
        Effect.gen(function*() {
          const accepted = yield* Effect.forEach(Array.from({ length: rounds }), () =>
            Effect.scoped(Effect.gen(function*() {
              const peer = yield* connectPeer({ port })
              yield* peer.sendRaw(largest)
              return tags(yield* peer.receiveUntil("ReadyForQuery")).at(-1)
            })), { concurrency: 10 })
          const refused = yield* Effect.forEach(Array.from({ length: rounds }), () => exchange(port, tooLarge), { concurrency: 10 })
          yield* hold(20)
          return { accepted, refused }
        })
      )
      expectServed(run, 20)
      expect(run.result.accepted).toEqual(Array(rounds).fill("ReadyForQuery"))
      for (const { messages } of run.result.refused) {
        expect(tags(messages)).toEqual(["ErrorResponse"])
        expect(errorCode(messages)).toBe("08P01")
      }
      yield* report("startup packet size", { accepted: rounds, refused: rounds, goodQueries: run.queries })
    })))

  it.live("PostgreSQL 18 draws the line at the same byte", () =>
    Effect.gen(function*() {
      const pg = postgres()
      // Within the limit PostgreSQL answers the startup (an authentication request or an error about the user);
      // past it, it closes without a word ("invalid length of startup packet" goes to its log only).
      const within = yield* rawExchange(pg.port, startupOfLength(pg.superuser.user, 10_004), 5_000, true)
      const past = yield* rawExchange(pg.port, startupOfLength(pg.superuser.user, 10_005), 5_000)
      expect(within.received).toBeGreaterThan(0)
      expect(within.messages[0]?._tag).toMatch(/^Authentication/)
      expect(past).toEqual(silentlyClosed)
    }))

  it.live("declared lengths of 2 GiB, 2 GiB - 1 and 4 GiB - 1 are refused from the length word alone; so is a 2 GiB Query past its limit", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer({ startupTimeout: "2 seconds", limits: { Query: 1024 * 1024 } })
      const good = yield* goodClient(port)
      const rssBefore = rssMiB()
      const headers = [
        new Uint8Array([0x80, 0, 0, 0]),
        new Uint8Array([0x7f, 0xff, 0xff, 0xff]),
        new Uint8Array([0xff, 0xff, 0xff, 0xff])
      ]
      const perHeader = 100
      const run = yield* good.during((hold) =>
        Effect.gen(function*() {
          const results = yield* Effect.forEach(
            Array.from({ length: headers.length * perHeader }, (_, i) => headers[i % headers.length]!),
            (header) => exchange(port, header),
            { concurrency: 20 }
          )
          // After startup: a Query whose length word says 2 GiB - 1, over the configured 1 MiB limit.
          const typed = yield* Effect.scoped(Effect.gen(function*() {
            const peer = yield* connectPeer({ port })
            yield* peer.send({ _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { user: "mallory" } })
            yield* peer.receiveUntil("ReadyForQuery")
            yield* peer.sendRaw(typedMessage("Q", new Uint8Array(0), 0x7fffffff))
            return yield* peer.closed
          }))
          yield* hold(20)
          return { results, typed }
        })
      )
      expectServed(run, 20)
      for (const { messages } of run.result.results) {
        expect(tags(messages)).toEqual(["ErrorResponse"])
        expect(errorCode(messages)).toBe("08P01")
      }
      expect(errorCode(run.result.typed)).toBe("08P01")
      const millis = run.result.results.map((r) => r.millis)
      yield* report("2 GiB declared length", {
        connections: run.result.results.length + 1,
        refusalMillisMax: Math.max(...millis),
        refusalMillisMedian: millis.sort((a, b) => a - b)[Math.floor(millis.length / 2)],
        rssBeforeMiB: rssBefore,
        rssAfterMiB: rssMiB(),
        goodQueries: run.queries
      })
    })))
})

const range = (n: number): Array<number> => Array.from({ length: n }, (_, i) => i)

describe("slowloris", () => {
  it.live("startups that never finish (1 byte a second) are dropped at the startup timeout and take no connection slot", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, server } = yield* startServer({ startupTimeout: "1 second", maxConnections: 5 })
      const good = yield* goodClient(port)
      const count = 200
      // A startup packet that declares 100 bytes; one of them goes out each second.
      const packet = untypedPacket(new Uint8Array(96), 100)
      const fdsBefore = openFds()
      const run = yield* good.during((hold) =>
        Effect.gen(function*() {
          const peers = yield* Effect.forEach(range(count), () =>
            Effect.map(connectPeer({ port }), (peer) => ({ peer, connectedAt: Date.now() })), { concurrency: "unbounded" })
          const drops = yield* Effect.forkChild(Effect.forEach(peers, ({ connectedAt, peer }) =>
            Effect.map(peer.closed, (messages) => ({ messages, millis: Date.now() - connectedAt })), { concurrency: "unbounded" }))
          const drip = yield* Effect.forkChild(Effect.forever(Effect.gen(function*() {
            for (let i = 0; i < packet.length; i++) {
              for (const { peer } of peers) if (!peer.isClosed()) yield* peer.sendRaw(packet.subarray(i, i + 1))
              yield* Effect.sleep("1 second")
            }
          })))
          // Every slowloris connection is a session in startup on the server.
          yield* eventually(() => Effect.runSync(server.connections) > count)
          const peakConnections = yield* server.connections
          // New clients, more than the free slots, one after the other, while every slowloris is still there.
          const stillOpen: Array<number> = []
          for (let i = 0; i < 8; i++) {
            const rows = yield* Effect.scoped(Effect.flatMap(
              goodClient(port),
              (fresh) => Effect.map(fresh.connection.query("SELECT 'fresh' AS s"), (r) => r.rows)
            ))
            expect(rows).toEqual([{ s: "fresh" }])
            stillOpen.push(peers.filter(({ peer }) => !peer.isClosed()).length)
          }
          yield* hold(20)
          const dropped = yield* Fiber.join(drops)
          yield* Fiber.interrupt(drip)
          return { dropped, stillOpen, peakConnections }
        })
      )
      expectServed(run, 20)
      // The fresh clients got in while all the slowloris connections were open.
      expect(run.result.stillOpen).toEqual(Array(8).fill(count))
      expect(run.result.peakConnections).toBeGreaterThanOrEqual(count + 1)
      for (const { messages } of run.result.dropped) {
        expect(tags(messages)).toEqual(["ErrorResponse"])
        expect(errorCode(messages)).toBe("57014")
      }
      const millis = run.result.dropped.map((d) => d.millis).sort((a, b) => a - b)
      expect(yield* eventually(() => openFds() <= fdsBefore)).toBe(true)
      yield* report("slowloris", {
        connections: count,
        startupTimeoutMillis: 1000,
        dropMillisMin: millis[0],
        dropMillisMedian: millis[Math.floor(millis.length / 2)],
        dropMillisMax: millis.at(-1),
        peakServerConnections: run.result.peakConnections,
        freshClientsServed: 8,
        fdsBefore,
        fdsAfter: openFds(),
        goodQueries: run.queries
      })
    })))

  it.live("a client that stops in the middle of SCRAM holds its slot only until the startup timeout", () =>
    Effect.scoped(Effect.gen(function*() {
      const auth = yield* AuthProvider.passwords({ method: "scram-sha-256", users: { alice: "alice-secret" } })
      const { port } = yield* startServer({ auth, startupTimeout: "500 millis", maxConnections: 4 })
      const good = yield* goodClient(port, { password: "alice-secret" })
      const attackers = 10
      const run = yield* good.during((hold) =>
        Effect.gen(function*() {
          const first = yield* Effect.forEach(range(attackers), () =>
            Effect.gen(function*() {
              const peer = yield* connectPeer({ port })
              yield* peer.send({ _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { user: "alice" } })
              const message = yield* peer.receive
              const started = Date.now()
              const rest = yield* peer.closed
              return { first: message._tag, code: errorCode([message, ...rest]), millis: Date.now() - started }
            }), { concurrency: "unbounded" })
          yield* hold(20)
          const fresh = yield* Effect.scoped(Effect.flatMap(
            goodClient(port, { password: "alice-secret" }),
            (c) => Effect.map(c.connection.query("SELECT 'in' AS s"), (r) => r.rows)
          ))
          return { first, fresh }
        })
      )
      expectServed(run, 20)
      const stalled = run.result.first.filter((r) => r.first === "AuthenticationSASL")
      const refused = run.result.first.filter((r) => r.first === "ErrorResponse")
      // The good client holds one of the 4 slots.
      expect(stalled.length).toBe(3)
      expect(refused.length).toBe(attackers - 3)
      expect(stalled.map((r) => r.code)).toEqual(["57014", "57014", "57014"])
      expect(refused.every((r) => r.code === "53300")).toBe(true)
      expect(run.result.fresh).toEqual([{ s: "in" }])
      yield* report("stalled SCRAM", {
        attackers,
        stalledInAuth: stalled.length,
        refused53300: refused.length,
        dropMillisMax: Math.max(...stalled.map((r) => r.millis)),
        goodQueries: run.queries
      })
    })))
})

describe("encryption requests asked again", () => {
  it.live("a second SSLRequest or GSSENCRequest is FATAL 0A000, as PostgreSQL 18 answers; one of each is still fine", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer({ startupTimeout: "2 seconds" })
      const good = yield* goodClient(port)
      const attempts = 100
      const twice = (request: "SSLRequest" | "GSSENCRequest") =>
        Effect.scoped(Effect.gen(function*() {
          const peer = yield* connectPeer({ port })
          yield* peer.send({ _tag: request })
          const answer = yield* peer.readByte
          yield* peer.send({ _tag: request })
          return { answer, end: yield* peer.closed }
        }))
      const oneOfEach = Effect.scoped(Effect.gen(function*() {
        const peer = yield* connectPeer({ port })
        yield* peer.send({ _tag: "GSSENCRequest" })
        const gss = yield* peer.readByte
        yield* peer.send({ _tag: "SSLRequest" })
        const ssl = yield* peer.readByte
        yield* peer.send({ _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { user: "alice" } })
        return { gss, ssl, last: tags(yield* peer.receiveUntil("ReadyForQuery")).at(-1) }
      }))
      const run = yield* good.during((hold) =>
        Effect.gen(function*() {
          const ssl = yield* Effect.forEach(range(attempts), () => twice("SSLRequest"), { concurrency: 20 })
          const gss = yield* Effect.forEach(range(attempts), () => twice("GSSENCRequest"), { concurrency: 20 })
          const both = yield* Effect.forEach(range(attempts), () => oneOfEach, { concurrency: 20 })
          yield* hold(20)
          return { ssl, gss, both }
        })
      )
      expectServed(run, 20)
      for (const [kind, outcomes] of [["1234.5679", run.result.ssl], ["1234.5680", run.result.gss]] as const) {
        for (const { answer, end } of outcomes) {
          expect(answer).toBe(0x4e)
          expect(tags(end)).toEqual(["ErrorResponse"])
          expect(errorCode(end)).toBe("0A000")
          const error = end[0]
          expect(error?._tag === "ErrorResponse" && error.fields.message).toBe(`unsupported frontend protocol ${kind}: server supports 3.0 to 3.2`)
        }
      }
      expect(run.result.both).toEqual(Array(attempts).fill({ gss: 0x4e, ssl: 0x4e, last: "ReadyForQuery" }))
      // PostgreSQL 18 (no GSSAPI there either) answers a second GSSENCRequest the same way.
      const gssTwice = new Uint8Array([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30, 0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30])
      const reference = yield* Effect.scoped(Effect.gen(function*() {
        const peer = yield* connectPeer({ port: postgres().port })
        yield* peer.sendRaw(gssTwice.subarray(0, 8))
        const answer = yield* peer.readByte
        yield* peer.sendRaw(gssTwice.subarray(8))
        return { answer, end: yield* peer.closed }
      }))
      expect(reference.answer).toBe(0x4e)
      expect(errorCode(reference.end)).toBe("0A000")
      const referenceError = reference.end.find((m) => m._tag === "ErrorResponse")
      expect(referenceError?._tag === "ErrorResponse" && referenceError.fields.message).toBe(
        "unsupported frontend protocol 1234.5680: server supports 3.0 to 3.2"
      )
      yield* report("encryption requests asked again", { sslTwice: attempts, gssTwice: attempts, oneOfEach: attempts, goodQueries: run.queries })
    })))
})

describe("TLS slowloris", () => {
  it.live("silent connections, SSLRequests never followed by a handshake, and half a ClientHello are all dropped at the startup timeout", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, server } = yield* startServer({ startupTimeout: "500 millis", tls: serverTls() })
      const good = yield* goodClient(port)
      const perKind = 60
      // A TLS record header announcing 512 bytes of handshake, then 10 of them.
      const partialHello = new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 1, 2, 3, 4])
      const fdsBefore = openFds()
      const run = yield* good.during((hold) =>
        Effect.gen(function*() {
          const silent = Effect.scoped(Effect.gen(function*() {
            const peer = yield* connectPeer({ port })
            const started = Date.now()
            yield* peer.closed
            return Date.now() - started
          }))
          const sslRequest = Effect.scoped(Effect.gen(function*() {
            const peer = yield* connectPeer({ port })
            const started = Date.now()
            yield* peer.send({ _tag: "SSLRequest" })
            const answer = yield* peer.readByte
            if (answer !== 0x53) return yield* Effect.fail(`expected 'S', got ${answer}`)
            yield* Effect.callback<void>((resume) => {
              if (peer.isClosed()) return resume(Effect.void)
              peer.socket.once("close", () => resume(Effect.void))
            }).pipe(Effect.timeoutOrElse({ duration: "10 seconds", orElse: () => Effect.fail("never closed") }))
            return Date.now() - started
          }))
          const halfHello = Effect.scoped(Effect.gen(function*() {
            const peer = yield* connectPeer({ port })
            const started = Date.now()
            yield* peer.sendRaw(partialHello)
            yield* Effect.callback<void>((resume) => {
              if (peer.isClosed()) return resume(Effect.void)
              peer.socket.once("close", () => resume(Effect.void))
            }).pipe(Effect.timeoutOrElse({ duration: "10 seconds", orElse: () => Effect.fail("never closed") }))
            return Date.now() - started
          }))
          const all = [...range(perKind).map(() => silent), ...range(perKind).map(() => sslRequest), ...range(perKind).map(() => halfHello)]
          const [millis, fdsPeak] = yield* sampleMax(openFds, Effect.forEach(all, (attack) => attack, { concurrency: "unbounded" }))
          yield* hold(20)
          return { millis, fdsPeak }
        })
      )
      expectServed(run, 20)
      expect(run.result.millis.length).toBe(3 * perKind)
      expect(yield* eventually(() => Effect.runSync(server.connections) === 1)).toBe(true)
      expect(yield* eventually(() => openFds() <= fdsBefore)).toBe(true)
      expect(openFds()).toBe(fdsBefore)
      const millis = [...run.result.millis].sort((a, b) => a - b)
      yield* report("TLS slowloris", {
        connections: 3 * perKind,
        startupTimeoutMillis: 500,
        dropMillisMin: millis[0],
        dropMillisMedian: millis[Math.floor(millis.length / 2)],
        dropMillisMax: millis.at(-1),
        fdsBefore,
        fdsPeak: run.result.fdsPeak,
        fdsAfter: openFds(),
        goodQueries: run.queries
      })
    })))
})

describe("connection flood", () => {
  it.live("1,000 connections at once past maxConnections 100, twice: 53300 for the extra ones, descriptors and heap back to their level", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, server } = yield* startServer({ startupTimeout: "5 seconds", maxConnections: 100 })
      const good = yield* goodClient(port)
      const count = 1_000
      const flood = Effect.scoped(Effect.gen(function*() {
        const started = Date.now()
        const outcomes = yield* Effect.forEach(range(count), () =>
          Effect.gen(function*() {
            const peer = yield* connectPeer({ port })
            yield* peer.send({ _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { user: "flood" } })
            const first = yield* peer.receive
            if (first._tag === "ErrorResponse") return { admitted: false, code: errorCode([first, ...(yield* peer.closed)]) }
            const rest = yield* peer.receiveUntil("ReadyForQuery")
            return { admitted: rest.at(-1)?._tag === "ReadyForQuery", code: undefined }
          }), { concurrency: "unbounded" })
        return { outcomes, millis: Date.now() - started, serverConnections: yield* server.connections }
      }))
      const fdsBefore = openFds()
      const rssBefore = rssMiB()
      const heapBefore = heapAfterGcMiB()
      const rounds: Array<Record<string, number>> = []
      for (let round = 1; round <= 2; round++) {
        const run = yield* good.during((hold) =>
          Effect.flatMap(sampleMax(openFds, flood), (result) => Effect.as(hold(50), result))
        )
        const [result, fdsPeak] = run.result
        expectServed(run, 50)
        const admitted = result.outcomes.filter((o) => o.admitted)
        const refused = result.outcomes.filter((o) => !o.admitted)
        // The good client holds one of the 100 slots.
        expect(admitted.length).toBe(99)
        expect(refused.length).toBe(count - 99)
        expect(new Set(refused.map((o) => o.code))).toEqual(new Set(["53300"]))
        expect(result.serverConnections).toBe(100)
        // Every attacking socket, ours and the server's, is closed again.
        expect(yield* eventually(() => openFds() <= fdsBefore)).toBe(true)
        expect(openFds()).toBe(fdsBefore)
        expect(yield* eventually(() => Effect.runSync(server.connections) === 1)).toBe(true)
        rounds.push({
          round,
          admitted: admitted.length,
          refused53300: refused.length,
          floodMillis: result.millis,
          fdsPeak,
          fdsAfter: openFds(),
          rssAfterMiB: rssMiB(),
          heapAfterGcMiB: heapAfterGcMiB(),
          goodQueries: run.queries
        })
      }
      // A second flood leaves the heap where the first one did: nothing is kept per connection.
      expect(rounds[1]!["heapAfterGcMiB"]! - rounds[0]!["heapAfterGcMiB"]!).toBeLessThan(4)
      const after = yield* good.connection.query("SELECT 'after' AS s")
      expect(after.rows).toEqual([{ s: "after" }])
      yield* report("connection flood", { connections: count, maxConnections: 100, fdsBefore, rssBeforeMiB: rssBefore, heapBeforeMiB: heapBefore, rounds })
    })))
})

describe("connection flood at the file-descriptor limit", () => {
  it.live("1,000 connections at a server process limited to 128 files: refused (53300) or dropped, the process survives and recovers", () =>
    Effect.scoped(Effect.gen(function*() {
      const child = yield* childServer(128, { maxConnections: 20, startupTimeout: "2 seconds" })
      const good = yield* goodClient(child.port)
      const count = 1_000
      const fdsBefore = yield* child.fds
      const run = yield* good.during((hold) =>
        Effect.scoped(Effect.gen(function*() {
          // Every connection is open before any sends its startup packet, so the accepted ones hold
          // their descriptors while the rest arrive: the flood goes past the file limit every time.
          const gate = yield* Latch.make(false)
          let connected = 0
          const outcomes = yield* Effect.forEach(range(count), () =>
            Effect.gen(function*() {
              const peer = yield* connectPeer({ port: child.port })
              if (++connected === count) yield* gate.open
              yield* gate.await
              yield* peer.send({ _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { user: "flood" } })
              const first = yield* Effect.option(peer.receive)
              if (first._tag === "None") return "dropped"
              if (first.value._tag === "ErrorResponse") return errorCode([first.value]) ?? "no code"
              const rest = yield* peer.receiveUntil("ReadyForQuery")
              return rest.at(-1)?._tag === "ReadyForQuery" ? "admitted" : "unexpected"
            }), { concurrency: "unbounded" })
          const fdsAtPeak = yield* child.fds
          yield* hold(20)
          return { outcomes, fdsAtPeak }
        }))
      )
      expectServed(run, 20)
      const counts: Record<string, number> = {}
      for (const outcome of run.result.outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1
      // The good client holds one of the 20 slots; past the file limit, connections are closed unread.
      expect(counts["admitted"]).toBe(19)
      expect(Object.keys(counts).filter((k) => k !== "admitted" && k !== "53300" && k !== "dropped")).toEqual([])
      // The flood went past the file limit: some connections were closed before a byte was read.
      expect(counts["dropped"]).toBeGreaterThan(0)
      expect(child.alive()).toBe(true)
      let fdsAfter = yield* child.fds
      for (let i = 0; i < 100 && fdsAfter > fdsBefore; i++) {
        yield* Effect.sleep("50 millis")
        fdsAfter = yield* child.fds
      }
      expect(fdsAfter).toBe(fdsBefore)
      const fresh = yield* Effect.scoped(Effect.flatMap(goodClient(child.port), (c) => Effect.map(c.connection.query("SELECT 'fresh' AS s"), (r) => r.rows)))
      expect(fresh).toEqual([{ s: "fresh" }])
      yield* report("flood at the file limit", {
        connections: count,
        fileLimit: 128,
        maxConnections: 20,
        admitted: counts["admitted"],
        refused53300: counts["53300"] ?? 0,
        droppedUnread: counts["dropped"] ?? 0,
        serverFdsBefore: fdsBefore,
        serverFdsAtPeak: run.result.fdsAtPeak,
        serverFdsAfter: fdsAfter,
        goodQueries: run.queries
      })
    })))
})

describe("cancel requests", () => {
  it.live("thousands of CancelRequests with random or wrong keys get no reply and cancel nothing; malformed ones get 08P01", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer({ startupTimeout: "2 seconds" })
      // Two good clients, protocol 3.2 (32-byte key) and 3.0 (4-byte key), whose statements sleep,
      // so that a cancel would have something to interrupt.
      const good32 = yield* goodClient(port, {}, "SELECT pg_sleep(0.002)")
      const good30 = yield* goodClient(port, { maxProtocolVersion: "3.0" }, "SELECT pg_sleep(0.002)")
      const victims = [good32.connection.info, good30.connection.info]
      expect(victims.map((v) => v.secretKey?.length)).toEqual([32, 4])
      /** Every key one bit away from the right one. */
      const flipped = (key: Uint8Array) =>
        range(key.length * 8).map((bit) => {
          const wrong = key.slice()
          wrong[bit >> 3] = wrong[bit >> 3]! ^ (1 << (bit & 7))
          return wrong
        })
      const wellFormed: Array<Uint8Array> = [
        ...range(400).map(() => cancelPacket(randomInt(1, 0x7fffffff), randomBytes(4))),
        ...range(400).map(() => cancelPacket(randomInt(1, 0x7fffffff), randomBytes(32))),
        ...victims.flatMap(({ processId, secretKey }) => [
          ...range(300).map(() => cancelPacket(processId, randomBytes(4))),
          ...range(300).map(() => cancelPacket(processId, randomBytes(32))),
          ...range(50).map((i) => cancelPacket(processId, randomBytes(5 + (i % 252)))),
          ...flipped(secretKey!).map((wrong) => cancelPacket(processId, wrong))
        ])
      ]
      const malformed: Array<Uint8Array> = [
        ...[0, 1, 2, 3, 257, 300, 1000].flatMap((length) => range(30).map(() => cancelPacket(victims[0]!.processId, randomBytes(length)))),
        // A CancelRequest code in a packet too short for a process id.
        ...range(30).map(() => untypedPacket(new Uint8Array([0x04, 0xd2, 0x16, 0x2e, 0, 0])))
      ]
      const run = yield* good32.during((hold32) =>
        good30.during((hold30) =>
          Effect.gen(function*() {
            const quiet = yield* Effect.forEach(wellFormed, (packet) => rawExchange(port, packet), { concurrency: 50 })
            const loud = yield* Effect.forEach(malformed, (packet) => rawExchange(port, packet), { concurrency: 50 })
            yield* hold32(20)
            yield* hold30(20)
            return { quiet, loud }
          })
        )
      )
      expectServed(run, 20)
      expectServed(run.result, 20)
      for (const outcome of run.result.result.quiet) expect(outcome).toEqual(silentlyClosed)
      for (const outcome of run.result.result.loud) {
        expect(outcome.connected).toBe(true)
        expect(outcome.closed).toBe(true)
        expect(tags(outcome.messages)).toEqual(["ErrorResponse"])
        expect(errorCode(outcome.messages)).toBe("08P01")
      }
      // The right key does cancel: the attack above could have.
      for (const good of [good32, good30]) {
        const sleeping = yield* Effect.forkChild(Effect.flip(good.connection.query("SELECT pg_sleep(30)")))
        yield* Effect.sleep("100 millis")
        const { processId, secretKey } = good.connection.info
        expect(yield* rawExchange(port, cancelPacket(processId, secretKey!))).toEqual(silentlyClosed)
        expect(yield* Fiber.join(sleeping)).toMatchObject({ code: "57014" })
      }
      yield* report("cancel requests", {
        wellFormed: wellFormed.length,
        wrongKeysForTheGoodSessions: wellFormed.length - 800,
        malformed: malformed.length,
        goodQueries32: run.queries,
        goodQueries30: run.result.queries
      })
    })))
})

describe("password messages out of phase", () => {
  it.live("a PasswordMessage before the startup, after authentication, while skipping to Sync, or in COPY is FATAL 08P01 and the connection closes", () =>
    Effect.scoped(Effect.gen(function*() {
      const auth = yield* AuthProvider.passwords({ method: "password", users: { alice: "alice-secret" } })
      const { port } = yield* startServer({ auth, startupTimeout: "2 seconds" })
      const good = yield* goodClient(port, { password: "alice-secret" })
      const attempts = 100
      const afterAuth = Effect.scoped(Effect.gen(function*() {
        const peer = yield* connectPeer({ port })
        yield* peer.send({ _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { user: "alice" } })
        expect((yield* peer.receive)._tag).toBe("AuthenticationCleartextPassword")
        // The right password, then a second one: the second arrives after AuthenticationOk.
        yield* peer.sendRaw(passwordMessage("alice-secret"))
        const startup = yield* peer.receiveUntil("ReadyForQuery")
        yield* peer.sendRaw(passwordMessage("alice-secret"))
        return { startup, end: yield* peer.closed }
      }))
      const sameBatch = Effect.scoped(Effect.gen(function*() {
        const peer = yield* connectPeer({ port })
        yield* peer.send({ _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { user: "alice" } })
        yield* peer.receive
        const two = passwordMessage("alice-secret")
        yield* peer.sendRaw(new Uint8Array([...two, ...two]))
        return yield* peer.closed
      }))
      /** Authenticated, then `setup` (its answers read up to `until`), then a PasswordMessage. */
      const inPhase = (setup: ReadonlyArray<Uint8Array>, until: BackendMessage["_tag"]) =>
        Effect.scoped(Effect.gen(function*() {
          const peer = yield* connectPeer({ port })
          yield* peer.send({ _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { user: "alice" } })
          yield* peer.receive
          yield* peer.sendRaw(passwordMessage("alice-secret"))
          yield* peer.receiveUntil("ReadyForQuery")
          for (const bytes of setup) yield* peer.sendRaw(bytes)
          const setupAnswer = tags(yield* peer.receiveUntil(until))
          yield* peer.sendRaw(passwordMessage("alice-secret"))
          return { setupAnswer, end: yield* peer.closed }
        }))
      const encoder = new TextEncoder()
      // Bind to a statement that does not exist: the session skips messages until Sync.
      const failedBind = typedMessage("B", new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0]))
      const copyIn = typedMessage("Q", encoder.encode("COPY kv FROM STDIN\u0000"))
      const run = yield* good.during((hold) =>
        Effect.gen(function*() {
          const before = yield* Effect.forEach(range(attempts), () => exchange(port, passwordMessage("alice-secret")), { concurrency: 20 })
          const after = yield* Effect.forEach(range(attempts), () => afterAuth, { concurrency: 20 })
          const batched = yield* Effect.forEach(range(attempts), () => sameBatch, { concurrency: 20 })
          const awaitingSync = yield* Effect.forEach(range(attempts), () => inPhase([failedBind, typedMessage("H", new Uint8Array(0))], "ErrorResponse"), { concurrency: 20 })
          const inCopy = yield* Effect.forEach(range(attempts), () => inPhase([copyIn], "CopyInResponse"), { concurrency: 20 })
          yield* hold(20)
          return { before, after, batched, awaitingSync, inCopy }
        })
      )
      expectServed(run, 20)
      for (const { messages } of run.result.before) {
        expect(tags(messages)).toEqual(["ErrorResponse"])
        expect(errorCode(messages)).toBe("08P01")
      }
      for (const { end, startup } of run.result.after) {
        expect(tags(startup)).toContain("AuthenticationOk")
        expect(tags(end)).toEqual(["ErrorResponse"])
        expect(errorCode(end)).toBe("08P01")
      }
      for (const messages of run.result.batched) {
        expect(tags(messages).filter((t) => t === "AuthenticationOk" || t === "ReadyForQuery" || t === "ErrorResponse")).toEqual([
          "AuthenticationOk",
          "ReadyForQuery",
          "ErrorResponse"
        ])
        expect(errorCode(messages)).toBe("08P01")
      }
      for (const { end, setupAnswer } of run.result.awaitingSync) {
        expect(setupAnswer).toEqual(["ErrorResponse"])
        expect(tags(end)).toEqual(["ErrorResponse"])
        expect(errorCode(end)).toBe("08P01")
      }
      for (const { end, setupAnswer } of run.result.inCopy) {
        expect(setupAnswer).toEqual(["CopyInResponse"])
        expect(tags(end)).toEqual(["ErrorResponse"])
        expect(errorCode(end)).toBe("08P01")
      }
      yield* report("password out of phase", {
        beforeStartup: attempts,
        afterAuth: attempts,
        sameBatch: attempts,
        awaitingSync: attempts,
        inCopyIn: attempts,
        goodQueries: run.queries
      })
    })))
})

/** The client-first-message of SCRAM for any user (the user comes from the startup). */
const clientFirst = new TextEncoder().encode("n,,n=,r=abcdefghijklmnopqrstuvwx")

describe("SASL messages too big", () => {
  it.live("a SASLInitialResponse or SASLResponse past the limit (PostgreSQL's 65,535, or a configured one) is FATAL 08P01", () =>
    Effect.scoped(Effect.gen(function*() {
      const auth = yield* AuthProvider.passwords({ method: "scram-sha-256", users: { alice: "alice-secret" } })
      const defaults = yield* startServer({ auth, startupTimeout: "2 seconds" })
      const small = yield* startServer({ auth, startupTimeout: "2 seconds", limits: { PasswordMessageFamily: 4096 } })
      const good = yield* goodClient(defaults.port, { password: "alice-secret" })
      const goodSmall = yield* goodClient(small.port, { password: "alice-secret" })
      const attempts = 30
      /** Startup as alice, then `first`; with `second`, a proper client-first first and `second` after the server's challenge. */
      const attack = (port: number, payload: (mechanism: string) => Uint8Array, afterChallenge: boolean) =>
        Effect.scoped(Effect.gen(function*() {
          const peer = yield* connectPeer({ port })
          yield* peer.send({ _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { user: "alice" } })
          const request = yield* peer.receive
          if (request._tag !== "AuthenticationSASL") return yield* Effect.fail(`expected AuthenticationSASL, got ${request._tag}`)
          if (afterChallenge) {
            yield* peer.sendRaw(saslInitialResponse("SCRAM-SHA-256", clientFirst))
            const challenge = yield* peer.receive
            if (challenge._tag !== "AuthenticationSASLContinue") return yield* Effect.fail(`expected a challenge, got ${challenge._tag}`)
          }
          yield* peer.sendRaw(payload("SCRAM-SHA-256"))
          return yield* peer.closed
        }))
      // Total sizes (type byte excluded): the length word counts itself and the body.
      const initialOf = (total: number) => (mechanism: string) =>
        saslInitialResponse(mechanism, new Uint8Array(total - 4 - (mechanism.length + 1) - 4).fill(0x61))
      const responseOf = (total: number) => () => typedMessage("p", new Uint8Array(total - 4).fill(0x61))
      const run = yield* good.during((hold) =>
        goodSmall.during((holdSmall) =>
          Effect.gen(function*() {
            const cases = [
              { port: defaults.port, name: "initial 65,536", payload: initialOf(65_536), after: false },
              { port: defaults.port, name: "response 65,536", payload: responseOf(65_536), after: true },
              { port: defaults.port, name: "response 2 GiB declared", payload: () => typedMessage("p", new Uint8Array(0), 0x7fffffff), after: true },
              { port: small.port, name: "initial 4,097", payload: initialOf(4_097), after: false },
              { port: small.port, name: "response 4,097", payload: responseOf(4_097), after: true }
            ]
            const outcomes = yield* Effect.forEach(cases, (c) =>
              Effect.map(
                Effect.forEach(range(attempts), () => attack(c.port, c.payload, c.after), { concurrency: 10 }),
                (results) => ({ name: c.name, results })
              ))
            // At the limit, the frame is read and the exchange fails on its content instead.
            const atLimit = yield* attack(defaults.port, responseOf(65_535), true)
            const atSmallLimit = yield* attack(small.port, responseOf(4_096), true)
            yield* hold(20)
            yield* holdSmall(20)
            return { outcomes, atLimit, atSmallLimit }
          })
        )
      )
      expectServed(run, 20)
      expectServed(run.result, 20)
      for (const { name, results } of run.result.result.outcomes) {
        for (const messages of results) {
          expect([name, tags(messages)]).toEqual([name, ["ErrorResponse"]])
          expect(errorCode(messages)).toBe("08P01")
          const error = messages[0]
          expect(error?._tag === "ErrorResponse" && error.fields.message).toContain("exceeds the limit")
        }
      }
      for (const messages of [run.result.result.atLimit, run.result.result.atSmallLimit]) {
        expect(tags(messages)).toEqual(["ErrorResponse"])
        const error = messages[0]
        expect(error?._tag === "ErrorResponse" && error.fields.message).toBe("malformed SCRAM message: invalid attribute syntax")
      }
      yield* report("SASL too big", {
        cases: run.result.result.outcomes.length,
        attemptsPerCase: attempts,
        goodQueries: run.queries,
        goodQueriesSmallLimitServer: run.result.queries
      })
    })))
})

describe("clients that stop reading", () => {
  it.live("20 clients that stop reading an endless result: production stops, memory stays bounded, the good client goes on", () =>
    Effect.scoped(Effect.gen(function*() {
      const { engine, port, server } = yield* startServer({ startupTimeout: "2 seconds" })
      const good = yield* goodClient(port)
      const count = 20
      const fdsBefore = openFds()
      const rssBefore = rssMiB()
      const heapBefore = heapAfterGcMiB()
      const run = yield* good.during((hold) =>
        Effect.scoped(Effect.gen(function*() {
          const peers = yield* Effect.forEach(range(count), () =>
            Effect.gen(function*() {
              const { peer } = yield* readyPeer({ port })
              peer.socket.pause()
              yield* peer.send({ _tag: "Query", query: "SELECT * FROM endless" })
              return peer
            }), { concurrency: "unbounded" })
          // Production stops once every socket's buffers are full; sample until it stands still.
          let last = -1
          let stable = 0
          for (let i = 0; i < 300 && stable < 5; i++) {
            yield* Effect.sleep("50 millis")
            const now = engine.endlessRowsProduced()
            stable = now === last ? stable + 1 : 0
            last = now
          }
          yield* hold(50)
          const producedAfterHold = engine.endlessRowsProduced()
          return { peers: peers.length, stable, produced: last, producedAfterHold, rssStalled: rssMiB(), heapStalled: heapAfterGcMiB() }
        }))
      )
      expectServed(run, 50)
      const { heapStalled, produced, producedAfterHold, rssStalled, stable } = run.result
      expect(stable).toBe(5)
      expect(producedAfterHold).toBe(produced)
      // Every stream ran until its socket was full (far more than 1,000 rows each)...
      expect(produced / count).toBeGreaterThan(1_000)
      // ...and no further: bounded by the sockets' buffers (a few MB each), not by the stream.
      expect(produced / count).toBeLessThan(1_000_000)
      expect(heapStalled - heapBefore).toBeLessThan(64)
      // The clients are gone: their sessions end and the streams stop.
      expect(yield* eventually(() => Effect.runSync(server.connections) === 1)).toBe(true)
      expect(yield* eventually(() => openFds() <= fdsBefore)).toBe(true)
      const ended = engine.endlessRowsProduced()
      yield* Effect.sleep("200 millis")
      expect(engine.endlessRowsProduced()).toBe(ended)
      yield* report("stalled readers of an endless result", {
        clients: count,
        rowsProduced: produced,
        rowsPerClient: Math.round(produced / count),
        rssBeforeMiB: rssBefore,
        rssStalledMiB: rssStalled,
        rssAfterMiB: rssMiB(),
        heapBeforeMiB: heapBefore,
        heapStalledMiB: heapStalled,
        heapAfterMiB: heapAfterGcMiB(),
        fdsBefore,
        fdsAfter: openFds(),
        goodQueries: run.queries
      })
    })))

  it.live("10 clients that pipeline 1 MB of queries with big results and never read: the server reads no further than it can answer", () =>
    Effect.scoped(Effect.gen(function*() {
      const child = yield* childServer(1024, { startupTimeout: "2 seconds" })
      const good = yield* goodClient(child.port)
      const clients = 10
      // 39 bytes asking for 10,000 rows (about 150 kB).
      const query = typedMessage("Q", new TextEncoder().encode("SELECT * FROM generate_series(1, 10000)\u0000"))
      const size = 1024 * 1024
      const pipeline = new Uint8Array(size - (size % query.length))
      for (let at = 0; at < pipeline.length; at += query.length) pipeline.set(query, at)
      const fdsBefore = yield* child.fds
      const before = yield* child.memory
      const run = yield* good.during((hold) =>
        Effect.scoped(Effect.gen(function*() {
          yield* Effect.forEach(range(clients), () =>
            Effect.acquireRelease(
              Effect.callback<Net.Socket>((resume) => {
                const socket = Net.createConnection({ host: "127.0.0.1", port: child.port })
                socket.on("error", () => {})
                socket.once("connect", () => socket.write(startupOfLength("pipeliner", 64)))
                let seen = Buffer.alloc(0)
                const onData = (chunk: Buffer) => {
                  seen = Buffer.concat([seen, chunk])
                  // ReadyForQuery: 'Z', length 5, 'I'.
                  if (seen.includes(Buffer.from([0x5a, 0, 0, 0, 5, 0x49]))) {
                    socket.off("data", onData)
                    socket.pause()
                    socket.write(pipeline)
                    resume(Effect.succeed(socket))
                  }
                }
                socket.on("data", onData)
              }),
              (socket) => Effect.sync(() => socket.destroy())
            ), { concurrency: "unbounded" })
          // The server answers until every client's socket buffers are full, then stops reading.
          yield* hold(200)
          const stalled = yield* child.memory
          yield* hold(50)
          return { stalled }
        }))
      )
      expectServed(run, 250)
      // Answering every query would take 23,000 x 150 kB per client; what the server holds stays small.
      expect(run.result.stalled.live - before.live).toBeLessThan(32)
      let fdsAfter = yield* child.fds
      for (let i = 0; i < 100 && fdsAfter > fdsBefore; i++) {
        yield* Effect.sleep("50 millis")
        fdsAfter = yield* child.fds
      }
      expect(fdsAfter).toBe(fdsBefore)
      yield* report("pipelining clients that never read", {
        clients,
        bytesPipelinedEach: pipeline.length,
        queriesPipelinedEach: pipeline.length / query.length,
        serverRssBeforeMiB: before.rss,
        serverRssStalledMiB: run.result.stalled.rss,
        serverLiveBeforeMiB: before.live,
        serverLiveStalledMiB: run.result.stalled.live,
        serverFdsBefore: fdsBefore,
        serverFdsAfter: fdsAfter,
        goodQueries: run.queries
      })
    })))

  it.live("listeners that stop reading (idle, or in a statement) do not hold up the session that notifies them, and are dropped", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, server } = yield* startServer({ startupTimeout: "2 seconds" })
      const payload = "x".repeat(7_900)
      const good = yield* goodClient(port, {}, `SELECT pg_notify('hostile', '${payload}')`)
      const heapBefore = heapAfterGcMiB()
      const run = yield* good.during((hold) =>
        Effect.scoped(Effect.gen(function*() {
          const listeners = yield* Effect.forEach(["idle", "in a statement", "idle", "in a statement"], (stuck) =>
            Effect.gen(function*() {
              const { peer } = yield* readyPeer({ port })
              yield* peer.send({ _tag: "Query", query: "LISTEN hostile" })
              yield* peer.receiveUntil("ReadyForQuery")
              peer.socket.pause()
              if (stuck === "in a statement") yield* peer.send({ _tag: "Query", query: "SELECT * FROM endless" })
              return peer
            }), { concurrency: "unbounded" })
          // Far more notifications than the listeners' socket buffers (or 1 MiB of backlog) hold.
          yield* hold(900)
          const heap = heapAfterGcMiB()
          // The listeners' sessions were ended while their sockets are still open on this side.
          const dropped = yield* eventually(() => Effect.runSync(server.connections) === 1)
          return { listeners: listeners.length, heap, dropped }
        }))
      )
      expectServed(run, 900)
      expect(run.result.dropped).toBe(true)
      // Less than what the notifications sent meanwhile weigh (900 x 7.9 kB to each of 4 listeners).
      expect(run.result.heap - heapBefore).toBeLessThan(8)
      yield* report("stalled listeners", {
        listeners: run.result.listeners,
        notifications: run.queries,
        payloadBytes: payload.length,
        heapBeforeMiB: heapBefore,
        heapStalledMiB: run.result.heap,
        goodQueries: run.queries
      })
    })))
})
