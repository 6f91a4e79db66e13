/**
 * The pool on a real PostgreSQL 18: borrowing, acquire timeouts and the
 * waiting-queue limit, replacement of killed backends, lifetime and idle
 * recycling, the health check on checkout, the reset of connections returned
 * inside a transaction, metrics and spans.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import type { PgConnectionConfig } from "../../src/client/Config.ts"
import { PgConnection } from "../../src/client/PgConnection.ts"
import { metrics, PgPool, type PgPoolConfig, type PgPoolShape, poolNameAttribute, stateAttribute } from "../../src/client/Pool.ts"
import { superuserConfig } from "../support/connection.ts"
import { postgres as server } from "../support/context.ts"

const pg = server()
const connection: PgConnectionConfig = superuserConfig()

let poolCounter = 0
const uniqueName = (label: string) => `pool_test_${label}_${process.pid}_${++poolCounter}`

const withPool = <A, E>(options: Partial<PgPoolConfig>, use: (pool: PgPoolShape) => Effect.Effect<A, E>) =>
  Effect.scoped(Effect.flatMap(PgPool.make({ connection, ...options }), use))

const errorOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined => {
  const found = Exit.isFailure(exit) ? Exit.findErrorOption(exit) : undefined
  return found?._tag === "Some" ? found.value : undefined
}

const backendPid = (pool: PgPoolShape) => Effect.map(pool.query("SELECT pg_backend_pid() AS pid"), (r) => r.rows[0]!["pid"] as number)

/** Kills a backend from a connection of its own. */
const terminate = (pid: number) =>
  Effect.scoped(Effect.flatMap(PgConnection.make(connection), (c) => c.query("SELECT pg_terminate_backend($1)", [pid])))

/** Polls `check` until it holds; gives up (fails the test) after 10 s. */
const eventually = <E>(check: Effect.Effect<boolean, E>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 500; i++) {
      if (yield* check) return
      yield* Effect.sleep(Duration.millis(20))
    }
    return yield* Effect.die(new Error("condition not reached within 10 s"))
  })

const gauge = (name: string, extra: Record<string, string> = {}) =>
  Effect.map(Metric.value(Metric.withAttributes(metrics.connectionCount, { [poolNameAttribute]: name, ...extra })), (s) => s.value)
const counter = (metric: Metric.Counter<number>, name: string, extra: Record<string, string> = {}) =>
  Effect.map(Metric.value(Metric.withAttributes(metric, { [poolNameAttribute]: name, ...extra })), (s) => s.count)

describe("borrowing", () => {
  it.live("query, execute, stream, copyTo and withConnection borrow a connection and give it back", () =>
    withPool({ maxSize: 2 }, (pool) =>
      Effect.gen(function*() {
        const q = yield* pool.query("SELECT $1::int4 + 1 AS n", [41])
        expect(q.rows).toEqual([{ n: 42 }])
        const [first, second] = yield* pool.execute("SELECT 1 AS a; SELECT 2 AS b")
        expect([first!.rows, second!.rows]).toEqual([[{ a: 1 }], [{ b: 2 }]])
        const streamed = yield* Stream.runCollect(pool.stream("SELECT g AS n FROM generate_series(1, 25) g", [], { batchSize: 10 }))
        expect(streamed.map((r) => r["n"])).toEqual(Array.from({ length: 25 }, (_, i) => i + 1))
        const bytes = yield* Stream.runCollect(pool.copyTo("COPY (SELECT 7) TO STDOUT"))
        expect(new TextDecoder().decode(bytes[0]!)).toBe("7\n")
        const status = yield* pool.withConnection((c) => c.transactionStatus)
        expect(status).toBe("I")
        const stats = yield* pool.stats
        expect(stats.used).toBe(0)
        expect(stats.pending).toBe(0)
        expect(stats.idle).toBeGreaterThanOrEqual(1)
        expect(stats.idle).toBeLessThanOrEqual(2)
      })))

  it.live("concurrent borrowers never exceed maxSize and all complete", () =>
    withPool({ maxSize: 3 }, (pool) =>
      Effect.gen(function*() {
        const pids = yield* Effect.forEach(
          Array.from({ length: 30 }, (_, i) => i),
          () => Effect.map(pool.query("SELECT pg_backend_pid() AS pid, pg_sleep(0.01)"), (r) => r.rows[0]!["pid"] as number),
          { concurrency: "unbounded" }
        )
        expect(new Set(pids).size).toBeLessThanOrEqual(3)
        expect(pids.length).toBe(30)
      })))

  it.live("a stream ended early, a COPY and a listen give their connection back", () =>
    withPool({ maxSize: 1 }, (pool) =>
      Effect.gen(function*() {
        const table = uniqueName("copy")
        yield* pool.execute(`CREATE TABLE ${table} (n int4)`)
        const firstThree = yield* Stream.runCollect(Stream.take(pool.stream("SELECT g AS n FROM generate_series(1, 100000) g"), 3))
        expect(firstThree.map((r) => r["n"])).toEqual([1, 2, 3])
        expect((yield* pool.stats).used).toBe(0)
        const copied = yield* Stream.run(Stream.make(new TextEncoder().encode("1\n2\n")), pool.copyFrom(`COPY ${table} FROM STDIN`))
        expect(copied.rowCount).toBe(2)
        const channel = uniqueName("chan")
        const notified = yield* Stream.runHead(Stream.filter(pool.listen(channel), (e) => e._tag === "Notification")).pipe(
          Effect.raceFirst(Effect.forever(Effect.andThen(pool.query("SELECT pg_notify($1, 'hi')", [channel]), Effect.sleep("50 millis"))))
        )
        expect(notified._tag === "Some" && notified.value._tag === "Notification" && notified.value.payload).toBe("hi")
        expect((yield* pool.query(`SELECT count(*)::int4 AS n FROM ${table}`)).rows).toEqual([{ n: 2 }])
        yield* pool.execute(`DROP TABLE ${table}`)
        expect((yield* pool.stats).used).toBe(0)
      })))

  it.live("an acquire interrupted while waiting leaves nothing behind", () =>
    withPool({ maxSize: 1 }, (pool) =>
      Effect.gen(function*() {
        const held = yield* Deferred.make<void>()
        const taken = yield* Deferred.make<void>()
        const holder = yield* Effect.forkChild(pool.withConnection(() => Effect.andThen(Deferred.succeed(taken, undefined), Deferred.await(held))))
        yield* Deferred.await(taken)
        const waiter = yield* Effect.forkChild(pool.query("SELECT 1"))
        yield* eventually(Effect.map(pool.stats, (s) => s.pending === 1))
        yield* Fiber.interrupt(waiter)
        expect((yield* pool.stats).pending).toBe(0)
        yield* Deferred.succeed(held, undefined)
        yield* Fiber.join(holder)
        expect(yield* pool.stats).toMatchObject({ used: 0, idle: 1, pending: 0 })
        expect((yield* pool.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }])
      })))

  it.live("a bad option is a ConfigError", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.scoped(PgPool.make({ connection, minSize: 5, maxSize: 2 })))
      expect(errorOf(exit)?._tag).toBe("ConfigError")
      const negative = yield* Effect.exit(Effect.scoped(PgPool.make({ connection, maxSize: 0 })))
      expect(errorOf(negative)?._tag).toBe("ConfigError")
      const text = yield* Effect.exit(Effect.scoped(PgPool.make({ connection, spanQueryText: "raw" as never })))
      expect(errorOf(text)).toMatchObject({ _tag: "ConfigError", key: "spanQueryText" })
    }))
})

describe("exhaustion", () => {
  it.live("an acquire that cannot get a connection in time fails with PoolError AcquireTimeout", () => {
    const name = uniqueName("timeout")
    return withPool({ name, maxSize: 1, acquireTimeout: "200 millis" }, (pool) =>
      Effect.gen(function*() {
        const held = yield* Deferred.make<void>()
        const taken = yield* Deferred.make<void>()
        const holder = yield* Effect.forkChild(pool.withConnection(() => Effect.andThen(Deferred.succeed(taken, undefined), Deferred.await(held))))
        yield* Deferred.await(taken)
        const exit = yield* Effect.exit(pool.query("SELECT 1"))
        const error = errorOf(exit)
        expect(error?._tag).toBe("PoolError")
        expect(error?._tag === "PoolError" && error.reason).toBe("AcquireTimeout")
        expect(yield* counter(metrics.timeouts, name)).toBe(1)
        yield* Deferred.succeed(held, undefined)
        yield* Fiber.join(holder)
        expect((yield* pool.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }])
      }))
  })

  it.live("past maxWaiting waiting acquires, the next one fails at once with QueueFull", () => {
    const name = uniqueName("queue")
    return withPool({ name, maxSize: 1, maxWaiting: 1, acquireTimeout: "30 seconds" }, (pool) =>
      Effect.gen(function*() {
        const held = yield* Deferred.make<void>()
        const taken = yield* Deferred.make<void>()
        const holder = yield* Effect.forkChild(pool.withConnection(() => Effect.andThen(Deferred.succeed(taken, undefined), Deferred.await(held))))
        yield* Deferred.await(taken)
        const waiter = yield* Effect.forkChild(backendPid(pool))
        yield* eventually(Effect.map(pool.stats, (s) => s.pending === 1))
        const refused = yield* Effect.exit(pool.query("SELECT 1"))
        const error = errorOf(refused)
        expect(error?._tag === "PoolError" && error.reason).toBe("QueueFull")
        expect(yield* counter(metrics.rejected, name)).toBe(1)
        yield* Deferred.succeed(held, undefined)
        yield* Fiber.join(holder)
        expect(typeof (yield* Fiber.join(waiter))).toBe("number")
      }))
  })

  it.live("after the pool closes, acquires fail with PoolError Closed", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const pool = yield* Scope.provide(PgPool.make({ connection, maxSize: 1 }), scope)
      expect((yield* pool.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }])
      yield* Scope.close(scope, Exit.void)
      const error = errorOf(yield* Effect.exit(pool.query("SELECT 1")))
      expect(error?._tag === "PoolError" && error.reason).toBe("Closed")
    }))
})

describe("replacing connections", () => {
  it.live("a backend killed while idle is replaced", () => {
    const name = uniqueName("killed")
    return withPool({ name, maxSize: 1 }, (pool) =>
      Effect.gen(function*() {
        const c = yield* pool.withConnection((c) => Effect.succeed(c))
        const before = c.info.processId
        yield* terminate(before)
        yield* c.closed
        const after = yield* backendPid(pool)
        expect(after).not.toBe(before)
        yield* eventually(Effect.map(counter(metrics.connectionsClosed, name, { reason: "broken" }), (n) => n === 1))
      }))
  })

  it.live("a backend killed while in use fails that borrower only; the next one gets a new connection", () =>
    withPool({ maxSize: 1 }, (pool) =>
      Effect.gen(function*() {
        const [before, exit] = yield* pool.withConnection((c) =>
          Effect.gen(function*() {
            yield* terminate(c.info.processId)
            yield* c.closed
            return [c.info.processId, yield* Effect.exit(c.query("SELECT 1"))] as const
          })
        )
        expect(Exit.isFailure(exit)).toBe(true)
        const after = yield* backendPid(pool)
        expect(after).not.toBe(before)
      })))

  it.live("max lifetime recycles connections (new backend pids)", () => {
    const name = uniqueName("lifetime")
    return withPool({ name, maxSize: 1, maxLifetime: "300 millis", maxLifetimeJitter: 0, maintenanceInterval: "50 millis" }, (pool) =>
      Effect.gen(function*() {
        const first = yield* backendPid(pool)
        yield* eventually(Effect.map(counter(metrics.connectionsClosed, name, { reason: "lifetime" }), (n) => n >= 1))
        const second = yield* backendPid(pool)
        expect(second).not.toBe(first)
      }))
  })

  it.live("a connection past its lifetime is not handed out again even before the sweep", () =>
    withPool({ maxSize: 1, maxLifetime: "200 millis", maxLifetimeJitter: 0, maintenanceInterval: "1 hour" }, (pool) =>
      Effect.gen(function*() {
        const first = yield* backendPid(pool)
        yield* Effect.sleep(Duration.millis(400))
        expect(yield* backendPid(pool)).not.toBe(first)
      })))

  it.live("idle connections above minSize close after idleTimeout", () => {
    const name = uniqueName("idle")
    return withPool({ name, minSize: 1, maxSize: 3, idleTimeout: "200 millis", maintenanceInterval: "50 millis" }, (pool) =>
      Effect.gen(function*() {
        const release = yield* Deferred.make<void>()
        const fibers = yield* Effect.forEach([1, 2, 3], () => Effect.forkChild(pool.withConnection(() => Deferred.await(release))))
        yield* eventually(Effect.map(pool.stats, (s) => s.used === 3))
        yield* Deferred.succeed(release, undefined)
        yield* Effect.forEach(fibers, Fiber.join)
        yield* eventually(Effect.map(pool.stats, (s) => s.idle === 1 && s.used === 0))
        expect(yield* counter(metrics.connectionsClosed, name, { reason: "idle" })).toBe(2)
      }))
  })

  it.live("minSize connections are opened without being asked for", () =>
    withPool({ minSize: 2, maxSize: 4 }, (pool) => eventually(Effect.map(pool.stats, (s) => s.idle === 2))))

  it.live("a connection failing the checkout health check is closed and another one handed out", () => {
    const name = uniqueName("health")
    return withPool({ name, maxSize: 2, healthCheckAfter: 0, healthCheckTimeout: "100 millis" }, (pool) =>
      Effect.gen(function*() {
        // Leave the connection busy with a statement the borrower does not wait for.
        const busyPid = yield* pool.withConnection((c) =>
          Effect.gen(function*() {
            yield* Effect.forkDetach(c.query("SELECT pg_sleep(3)"))
            yield* eventually(Effect.map(c.stats, (s) => s.pendingRequests === 1))
            return c.info.processId
          })
        )
        const pid = yield* backendPid(pool)
        expect(pid).not.toBe(busyPid)
        expect(yield* counter(metrics.connectionsClosed, name, { reason: "healthCheck" })).toBe(1)
      }))
  })
})

describe("reset on release", () => {
  it.live("a connection returned inside a transaction (T or E) is rolled back and reused", () =>
    withPool({ maxSize: 1 }, (pool) =>
      Effect.gen(function*() {
        const table = uniqueName("reset")
        yield* pool.execute(`CREATE TABLE ${table} (n int)`)
        const pid = yield* pool.withConnection((c) =>
          Effect.gen(function*() {
            yield* c.execute(`BEGIN; INSERT INTO ${table} VALUES (1)`)
            expect(yield* c.transactionStatus).toBe("T")
            return c.info.processId
          })
        )
        const count = yield* pool.query(`SELECT count(*)::int4 AS n FROM ${table}`)
        expect(count.rows).toEqual([{ n: 0 }])
        yield* pool.withConnection((c) =>
          Effect.gen(function*() {
            expect(c.info.processId).toBe(pid)
            expect(yield* c.transactionStatus).toBe("I")
            yield* c.execute("BEGIN")
            yield* Effect.exit(c.query("SELECT 1 / 0"))
            expect(yield* c.transactionStatus).toBe("E")
          })
        )
        const again = yield* pool.withConnection((c) => Effect.all([c.transactionStatus, Effect.succeed(c.info.processId)]))
        expect(again).toEqual(["I", pid])
        yield* pool.execute(`DROP TABLE ${table}`)
      })))

  it.live("when the ROLLBACK does not finish within resetTimeout, the connection is closed instead", () => {
    const name = uniqueName("resetfail")
    return withPool({ name, maxSize: 1, resetTimeout: "200 millis" }, (pool) =>
      Effect.gen(function*() {
        const pid = yield* pool.withConnection((c) =>
          Effect.gen(function*() {
            yield* c.execute("BEGIN")
            yield* Effect.forkDetach(c.query("SELECT pg_sleep(3)"))
            yield* eventually(Effect.map(c.stats, (s) => s.pendingRequests === 1))
            return c.info.processId
          })
        )
        expect(yield* backendPid(pool)).not.toBe(pid)
        expect(yield* counter(metrics.connectionsClosed, name, { reason: "reset" })).toBe(1)
      }))
  })
})

describe("metrics", () => {
  it.live("connection counts by state, pending acquires, bounds, connect and wait times", () => {
    const name = uniqueName("metrics")
    return withPool({ name, maxSize: 2 }, (pool) =>
      Effect.gen(function*() {
        const release = yield* Deferred.make<void>()
        const holders = yield* Effect.forEach([1, 2], () => Effect.forkChild(pool.withConnection(() => Deferred.await(release))))
        yield* eventually(Effect.map(gauge(name, { [stateAttribute]: "used" }), (n) => n === 2))
        const waiter = yield* Effect.forkChild(pool.query("SELECT 1"))
        yield* eventually(
          Effect.map(Metric.value(Metric.withAttributes(metrics.pendingRequests, { [poolNameAttribute]: name })), (s) => s.value === 1)
        )
        yield* Deferred.succeed(release, undefined)
        yield* Effect.forEach(holders, Fiber.join)
        yield* Fiber.join(waiter)
        expect(yield* gauge(name, { [stateAttribute]: "used" })).toBe(0)
        expect(yield* gauge(name, { [stateAttribute]: "idle" })).toBe(2)
        const max = yield* Metric.value(Metric.withAttributes(metrics.max, { [poolNameAttribute]: name }))
        expect(max.value).toBe(2)
        const created = yield* Metric.value(Metric.withAttributes(metrics.createTime, { [poolNameAttribute]: name }))
        expect(created.count).toBe(2)
        const waited = yield* Metric.value(Metric.withAttributes(metrics.waitTime, { [poolNameAttribute]: name }))
        expect(waited.count).toBe(3)
      }))
  })

  it.live("statement cache hits, misses and evictions and cancels sent, collected from the connections", () => {
    const name = uniqueName("cache")
    return withPool({ name, maxSize: 1, connection: { ...connection, statementCacheSize: 1 } }, (pool) =>
      Effect.gen(function*() {
        yield* pool.withConnection((c) =>
          Effect.gen(function*() {
            yield* c.query("SELECT 1 AS a")
            yield* c.query("SELECT 1 AS a")
            yield* c.query("SELECT 1 AS a")
            yield* c.query("SELECT 2 AS b")
            yield* c.query("SELECT 1 AS a")
          })
        )
        expect(yield* counter(metrics.statementCacheHits, name)).toBe(2)
        expect(yield* counter(metrics.statementCacheMisses, name)).toBe(3)
        expect(yield* counter(metrics.statementCacheEvictions, name)).toBe(2)
        expect(yield* counter(metrics.cancelsSent, name)).toBe(0)
        yield* pool.withConnection((c) => Effect.exit(Effect.timeout(c.query("SELECT pg_sleep(5)"), "100 millis")))
        // The CancelRequest goes out in the background.
        yield* eventually(Effect.map(counter(metrics.cancelsSent, name), (n) => n === 1))
      }))
  })
})

describe("tracing", () => {
  const recording = () => {
    const spans: Array<Tracer.Span> = []
    const tracer = Tracer.make({
      span: (options) => {
        const span = new Tracer.NativeSpan(options)
        spans.push(span)
        return span
      }
    })
    return { spans, tracer }
  }

  it.live("connect and query spans carry OpenTelemetry's database attributes and the SQLSTATE on failure", () => {
    const { spans, tracer } = recording()
    return withPool({ maxSize: 1 }, (pool) =>
      Effect.gen(function*() {
        yield* pool.query("SELECT 1")
        yield* Effect.exit(pool.query("SELECT * FROM no_such_table_here"))
      })).pipe(
        Effect.withTracer(tracer),
        Effect.andThen(Effect.sync(() => {
          const base = {
            "db.system.name": "postgresql",
            "db.namespace": pg.database,
            "server.address": pg.host,
            "server.port": pg.port
          }
          const connect = spans.filter((s) => s.name === "pgwire.connect")
          expect(connect.length).toBe(1)
          expect(Object.fromEntries(connect[0]!.attributes)).toMatchObject(base)
          expect(connect[0]!.kind).toBe("client")
          const queries = spans.filter((s) => s.name === "pgwire.query")
          expect(queries.length).toBe(2)
          expect(Object.fromEntries(queries[0]!.attributes)).toMatchObject({ ...base, "db.query.text": "SELECT ?" })
          expect(queries[0]!.attributes.has("db.response.status_code")).toBe(false)
          expect(Object.fromEntries(queries[1]!.attributes)).toMatchObject({
            ...base,
            "db.query.text": "SELECT * FROM no_such_table_here",
            "db.response.status_code": "42P01",
            "error.type": "42P01"
          })
          expect(queries[1]!.status._tag === "Ended" && Exit.isFailure(queries[1]!.status.exit)).toBe(true)
        }))
      )
  })

  it.live("db.query.text has the literals replaced by default, as written with \"full\", and is left out with \"none\"", () => {
    const statement = "SELECT 'hunter2' AS secret, 42 AS n, $1::text AS p"
    const textOf = (spanQueryText: PgPoolConfig["spanQueryText"]) => {
      const { spans, tracer } = recording()
      return withPool({ maxSize: 1, spanQueryText }, (pool) =>
        Effect.gen(function*() {
          const result = yield* pool.query(statement, ["x"])
          expect(result.rows).toEqual([{ secret: "hunter2", n: 42, p: "x" }])
          yield* pool.execute("ALTER ROLE no_such_role_here PASSWORD 'hunter2'").pipe(Effect.exit)
        })).pipe(
          Effect.withTracer(tracer),
          Effect.map(() => {
            const texts = spans.filter((s) => s.name === "pgwire.query" || s.name === "pgwire.execute").map((s) => s.attributes.get("db.query.text"))
            expect(texts.length).toBe(2)
            return texts
          })
        )
    }
    return Effect.gen(function*() {
      expect(yield* textOf(undefined)).toEqual(["SELECT ? AS secret, ? AS n, $1::text AS p", "ALTER ROLE no_such_role_here PASSWORD ?"])
      expect(yield* textOf("full")).toEqual([statement, "ALTER ROLE no_such_role_here PASSWORD 'hunter2'"])
      expect(yield* textOf("none")).toEqual([undefined, undefined])
    })
  })
})

