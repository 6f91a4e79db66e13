/**
 * Queries on a real PostgreSQL 18: values, the simple protocol, pipelining,
 * the prepared-statement cache and its self-healing, cancellation by
 * interruption, and the asynchronous messages.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type { PgConnectionConfig } from "../../src/client/Config.ts"
import { PgConnection, type PgConnectionShape } from "../../src/client/PgConnection.ts"
import { postgres as server } from "../support/context.ts"

const pg = server()
const config: PgConnectionConfig = {
  host: pg.host,
  port: pg.port,
  user: pg.superuser.user,
  password: pg.superuser.password,
  database: pg.database,
  sslMode: "disable"
}

const withConnection = <A, E>(use: (c: PgConnectionShape) => Effect.Effect<A, E>, extra?: Partial<PgConnectionConfig>) =>
  Effect.scoped(Effect.flatMap(PgConnection.make({ ...config, ...extra }), use))

const errorOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined => {
  const found = Exit.isFailure(exit) ? Exit.findErrorOption(exit) : undefined
  return found?._tag === "Some" ? found.value : undefined
}

describe("values", () => {
  it.live("binary results for the common types, text for the rest", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const { rows, fields, command, rowCount } = yield* c.query(
          `SELECT 1::int2 AS i2, 2::int4 AS i4, 9007199254740993::int8 AS i8, 1.5::float4 AS f4, 'NaN'::float8 AS f8,
                  true AS b, 'héllo'::text AS t, 'v'::varchar AS v, 'n'::name AS n, '\\x00ff'::bytea AS bytes,
                  '{"a":[1,2]}'::json AS j, '{"b":null}'::jsonb AS jb, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u,
                  '2024-02-03 04:05:06.789+00'::timestamptz AS tz, '2024-02-03 04:05:06'::timestamp AS ts,
                  12345678901234567890.123456789::numeric AS num, '2024-02-29'::date AS d, point(1,2) AS p, NULL::int4 AS nothing`
        )
        expect(command).toBe("SELECT 1")
        expect(rowCount).toBe(1)
        expect(fields.map((f) => f.name)).toContain("num")
        expect(rows[0]).toEqual({
          i2: 1,
          i4: 2,
          i8: 9007199254740993n,
          f4: 1.5,
          f8: NaN,
          b: true,
          t: "héllo",
          v: "v",
          n: "n",
          bytes: new Uint8Array([0, 255]),
          j: { a: [1, 2] },
          jb: { b: null },
          u: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
          tz: new Date("2024-02-03T04:05:06.789Z"),
          ts: new Date("2024-02-03T04:05:06Z"),
          num: "12345678901234567890.123456789",
          d: "2024-02-29",
          p: { x: 1, y: 2 },
          nothing: null
        })
      })
    ))

  it.live("parameters are encoded for the types the server describes", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const { rows } = yield* c.query(
          "SELECT $1::int4 + 1 AS a, $2::int8 * 2 AS b, $3::text || '!' AS c, $4::bool AS d, $5::bytea AS e, $6::jsonb AS f, $7::timestamptz AS g, $8::numeric + 1 AS h, $9::int4[] AS i",
          [41, 21n, "hi", false, new Uint8Array([1, 2, 3]), { x: [1, "y"] }, new Date("2020-01-01T00:00:00.123Z"), "1.5", [1, null, 3]]
        )
        expect(rows[0]).toEqual({
          a: 42,
          b: 42n,
          c: "hi!",
          d: false,
          e: new Uint8Array([1, 2, 3]),
          f: { x: [1, "y"] },
          g: new Date("2020-01-01T00:00:00.123Z"),
          h: "2.5",
          i: [1, null, 3]
        })
      })
    ))

  it.live("a wrong parameter count is a ParameterError and the connection stays usable", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const error = errorOf(yield* Effect.exit(c.query("SELECT $1::int4", [])))
        expect(error?._tag).toBe("ParameterError")
        expect((yield* c.query("SELECT 7 AS x")).rows).toEqual([{ x: 7 }])
      })
    ))

  it.live("values(): rows as arrays in column order, repeated names kept", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const result = yield* c.values("SELECT 1 AS a, $1::int4 AS a, 'x' AS b", [2])
        expect(result.rows).toEqual([[1, 2, "x"]])
        expect(result.fields.map((f) => f.name)).toEqual(["a", "a", "b"])
        // The same statement as objects, from the same cache entry.
        expect((yield* c.query("SELECT 1 AS a, $1::int4 AS a, 'x' AS b", [2])).rows).toEqual([{ a: 2, b: "x" }])
      })
    ))

  it.live("a timestamp a Date cannot hold fails the query with a ValueDecodeError naming the column", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        for (const sql of ["SELECT 'infinity'::timestamptz AS at", "SELECT '-infinity'::timestamp AS at", "SELECT '294276-01-01'::timestamp AS at"]) {
          const error = errorOf(yield* Effect.exit(c.query(sql)))
          expect(error?._tag).toBe("ValueDecodeError")
          expect(error?._tag === "ValueDecodeError" ? error.column : undefined).toBe("at")
          expect(error?.message).toMatch(/PgTimestamp/)
        }
        expect((yield* c.query("SELECT '275760-09-13'::timestamp AS edge")).rows[0]!.edge).toEqual(new Date(8.64e15))
      })
    ))
})

describe("simple protocol", () => {
  it.live("a multi-statement string returns every result", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const results = yield* c.execute(
          "CREATE TEMP TABLE s(a int, b text); INSERT INTO s VALUES (1, 'x'), (2, NULL); SELECT * FROM s ORDER BY a; ; SELECT true AS t"
        )
        expect(results.map((r) => r.command)).toEqual(["CREATE TABLE", "INSERT 0 2", "SELECT 2", "SELECT 1"])
        expect(results[2]!.rows).toEqual([{ a: 1, b: "x" }, { a: 2, b: null }])
        expect(results[3]!.rows).toEqual([{ t: true }])
      })
    ))

  it.live("execution stops at the first error, which carries every field", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const error = errorOf(yield* Effect.exit(c.execute("SELECT 1; SELECT * FROM missing_table; SELECT 2")))
        expect(error?._tag).toBe("PgServerError")
        if (error?._tag === "PgServerError") {
          expect(error.code).toBe("42P01")
          expect(error.className).toBe("syntax_error_or_access_rule_violation")
          expect(error.position).toBeGreaterThan(0)
          expect(error.file).toBeDefined()
        }
        expect((yield* c.execute("SELECT 3 AS x"))[0]!.rows).toEqual([{ x: 3 }])
      })
    ))

  it.live("COPY FROM STDIN through execute is refused without hanging", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const error = errorOf(yield* Effect.exit(c.execute("CREATE TEMP TABLE cp(a int); COPY cp FROM STDIN")))
        expect(error?._tag).toBe("PgServerError")
        expect((yield* c.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }])
      })
    ))
})

describe("pipelining", () => {
  it.live("1,000 concurrent queries on one connection each get their own result, one failing alone", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const exits = yield* Effect.forEach(
          Array.from({ length: 1000 }, (_, i) => i),
          (i) => Effect.exit(i === 500 ? c.query("SELECT 1/0 AS boom") : c.query("SELECT $1::int4 * 2 AS doubled", [i])),
          { concurrency: "unbounded" }
        )
        exits.forEach((exit, i) => {
          if (i === 500) {
            expect(errorOf(exit)?._tag).toBe("PgServerError")
          } else {
            expect(Exit.isSuccess(exit) && exit.value.rows).toEqual([{ doubled: i * 2 }])
          }
        })
      })
    ))
})

describe("prepared statements", () => {
  it.live("ALTER TABLE between executions heals outside a transaction, and is a typed error inside one", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        yield* c.execute("DROP TABLE IF EXISTS heal; CREATE TABLE heal(a int); INSERT INTO heal VALUES (1)")
        expect((yield* c.query("SELECT * FROM heal")).rows).toEqual([{ a: 1 }])
        yield* c.execute("ALTER TABLE heal ADD COLUMN b text DEFAULT 'x'")
        expect((yield* c.query("SELECT * FROM heal")).rows).toEqual([{ a: 1, b: "x" }])

        yield* c.execute("BEGIN")
        yield* c.execute("ALTER TABLE heal ADD COLUMN c int DEFAULT 3")
        const error = errorOf(yield* Effect.exit(c.query("SELECT * FROM heal")))
        expect(error?._tag).toBe("StaleStatementError")
        expect(yield* c.transactionStatus).toBe("E")
        yield* c.execute("ROLLBACK")
        // Evicted: the retried transaction prepares afresh.
        expect((yield* c.query("SELECT * FROM heal")).rows).toEqual([{ a: 1, b: "x" }])
        yield* c.execute("DROP TABLE heal")
      })
    ))

  it.live("more distinct statements than the cache holds keep the server's count at the bound", () =>
    withConnection(
      (c) =>
        Effect.gen(function*() {
          for (let i = 0; i < 40; i++) yield* c.query(`SELECT ${i} AS n`)
          const { rows } = yield* c.query("SELECT count(*)::int4 AS n FROM pg_prepared_statements")
          // The count query itself is the 41st statement: the bound of 16 holds, with the
          // Close of the statement it evicted riding on its own write.
          expect(rows[0]!.n).toBe(16)
          const stats = yield* c.stats
          expect(stats.preparedStatements).toBe(16)
          expect(stats.statementCacheEvictions).toBe(25)
        }),
      { statementCacheSize: 16 }
    ))

  it.live("the Close of an evicted statement rides on execute's write too (simple protocol)", () =>
    withConnection(
      (c) =>
        Effect.gen(function*() {
          // A statement prepared, then never bound (its parameter does not encode): it evicted
          // the oldest, and that Close waits for the next write.
          const evictUnbound = (i: number) =>
            Effect.gen(function*() {
              const failed = errorOf(yield* Effect.exit(c.query(`SELECT $1::int4 + ${i} AS n`, [2 ** 40])))
              expect(failed?._tag).toBe("ParameterError")
            })
          for (let i = 0; i < 4; i++) yield* c.query(`SELECT ${i} AS n`)
          yield* evictUnbound(4)
          expect((yield* c.stats).preparedStatements).toBe(4)
          // The next write is a simple Query: the Close goes with it.
          const [counted] = yield* c.execute("SELECT count(*)::int4 AS n FROM pg_prepared_statements")
          expect(counted!.rows).toEqual([{ n: 4 }])
          // With a multi-statement string, and with a failing one, each answers as before.
          yield* evictUnbound(5)
          const results = yield* c.execute("SELECT 1 AS a; SELECT count(*)::int4 AS n FROM pg_prepared_statements")
          expect(results.map((r) => r.rows)).toEqual([[{ a: 1 }], [{ n: 4 }]])
          yield* evictUnbound(6)
          const failed = errorOf(yield* Effect.exit(c.execute("SELECT * FROM no_such_table_for_closes")))
          expect(failed).toMatchObject({ _tag: "PgServerError", code: "42P01" })
          expect((yield* c.execute("SELECT count(*)::int4 AS n FROM pg_prepared_statements"))[0]!.rows).toEqual([{ n: 4 }])
        }),
      { statementCacheSize: 4 }
    ))

  it.live("a statement that fails to prepare is not cached, and concurrent first uses share one preparation", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        expect(errorOf(yield* Effect.exit(c.query("SELEC 1")))?._tag).toBe("PgServerError")
        const results = yield* Effect.forEach([1, 2, 3, 4], () => c.query("SELECT 99 AS shared"), { concurrency: "unbounded" })
        expect(results.every((r) => r.rows[0]!.shared === 99)).toBe(true)
        const { rows } = yield* c.query("SELECT count(*)::int4 AS n FROM pg_prepared_statements WHERE statement = 'SELECT 99 AS shared'")
        expect(rows[0]!.n).toBe(1)
      })
    ))
})

describe("cancellation", () => {
  it.live("Effect.timeout cancels pg_sleep on the server and the connection stays usable", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const started = Date.now()
        const exit = yield* Effect.exit(Effect.timeout(c.query("SELECT pg_sleep(30)"), Duration.millis(200)))
        expect(Exit.isFailure(exit)).toBe(true)
        expect(Date.now() - started).toBeLessThan(1000)
        // The next query waits for the drain; it would take 30 s if the cancel had not worked.
        const next = yield* c.query("SELECT 1 AS ok")
        expect(next.rows).toEqual([{ ok: 1 }])
        expect(Date.now() - started).toBeLessThan(10_000)
        const stats = yield* c.stats
        expect(stats.cancelsSent).toBe(1)
        expect(stats.queriesCancelled).toBe(1)
      })
    ))

  it.live("a queued request that never started is dropped without a CancelRequest", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const slow = yield* Effect.forkChild(c.query("SELECT pg_sleep(0.5) AS slept"))
        yield* Effect.sleep(Duration.millis(50))
        const exit = yield* Effect.exit(Effect.timeout(c.query("SELECT 2 AS queued"), Duration.millis(10)))
        expect(Exit.isFailure(exit)).toBe(true)
        const slept = yield* Fiber.join(slow)
        expect(slept.rows.length).toBe(1)
        expect((yield* c.stats).cancelsSent).toBe(0)
        expect((yield* c.query("SELECT 3 AS after")).rows).toEqual([{ after: 3 }])
      })
    ))
})

describe("asynchronous messages", () => {
  it.live("notices, notifications, parameters and transaction status are observable", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const notices = yield* Effect.forkChild(Stream.runCollect(Stream.take(c.notices, 1)))
        const notifications = yield* Effect.forkChild(Stream.runCollect(Stream.take(c.notifications, 1)))
        yield* Effect.yieldNow
        yield* c.execute("DO $$BEGIN RAISE NOTICE 'hello %', 42; END$$")
        yield* c.execute("LISTEN chan; NOTIFY chan, 'payload'")
        const notice = (yield* Fiber.join(notices))[0]!
        expect(notice.message).toBe("hello 42")
        expect(notice.severityNonLocalized).toBe("NOTICE")
        const notification = (yield* Fiber.join(notifications))[0]!
        expect(notification).toMatchObject({ channel: "chan", payload: "payload", processId: c.info.processId })

        yield* c.execute("SET application_name = 'observed'")
        const params = yield* SubscriptionRef.get(c.parameters)
        expect(params.get("application_name")).toBe("observed")

        expect(yield* c.transactionStatus).toBe("I")
        yield* c.execute("BEGIN")
        expect(yield* c.transactionStatus).toBe("T")
        yield* Effect.exit(c.execute("SELECT 1/0"))
        expect(yield* c.transactionStatus).toBe("E")
        yield* c.execute("ROLLBACK")
        expect(yield* c.transactionStatus).toBe("I")
      })
    ))
})
