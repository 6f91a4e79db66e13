/**
 * Our `PgClient.layer` on a real PostgreSQL 18: the shared effect/sql suite
 * (`suite.ts`), then what only this driver has: COPY in and out (inside a
 * transaction too), raw row streams, LISTEN/NOTIFY, `json` fragments, name
 * transforms, a session lost inside a transaction, spans, and the mapping
 * of every error to its `SqlError` reason.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as SqlClient from "effect/sql/SqlClient"
import type * as SqlError from "effect/sql/SqlError"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import { AuthError } from "../../src/auth/AuthError.ts"
import type { PgConnectionConfig } from "../../src/client/Config.ts"
import * as CopyFormat from "../../src/client/CopyFormat.ts"
import { PgConnection } from "../../src/client/PgConnection.ts"
import { PgServerError } from "../../src/client/PgServerError.ts"
import { PgPool, PoolError } from "../../src/client/Pool.ts"
import { ParameterError, ValueDecodeError } from "../../src/client/QueryErrors.ts"
import { PgClient, reasonOf } from "../../src/sql/index.ts"
import { ConnectionError } from "../../src/transport/ConnectionError.ts"
import { postgres as server } from "../support/context.ts"
import { sqlSuite } from "./suite.ts"

const pg = server()
const connection: PgConnectionConfig = {
  host: pg.host,
  port: pg.port,
  user: pg.superuser.user,
  password: pg.superuser.password,
  database: pg.database,
  sslMode: "disable"
}

sqlSuite("pgwire", () => PgClient.layer({ connection }))

let counter = 0
const unique = (label: string) => `pgclient_${label}_${process.pid}_${++counter}`

const run = <A, E>(
  program: Effect.Effect<A, E, PgClient.PgClient | SqlClient.SqlClient>,
  options: Partial<PgClient.PgClientConfig> = {}
) => Effect.provide(program, PgClient.layer({ connection, ...options }))

const sqlErrorOf = <A, E>(exit: Exit.Exit<A, E>): SqlError.SqlError | undefined => {
  const found = Exit.isFailure(exit) ? Exit.findErrorOption(exit) : undefined
  if (found?._tag !== "Some") return undefined
  const error: unknown = found.value
  return typeof error === "object" && error !== null && "_tag" in error && error._tag === "SqlError" ? (error as SqlError.SqlError) : undefined
}

describe("PgClient extras", () => {
  it.live("copyFrom and copyTo, and a COPY inside a transaction rolls back with it", () =>
    run(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const client = yield* PgClient.PgClient
      const t = unique("copy")
      yield* sql`CREATE TABLE ${sql(t)} (id int4, name text)`
      const copied = yield* Stream.run(
        CopyFormat.encodeText(Stream.make([1, "one"], [2, "two"])),
        client.copyFrom(`COPY ${t} (id, name) FROM STDIN`)
      )
      expect(copied.rowCount).toBe(2)
      const out = yield* Stream.runCollect(
        CopyFormat.decodeCsv(client.copyTo(`COPY (SELECT id, name FROM ${t} ORDER BY id) TO STDOUT (FORMAT csv)`))
      )
      expect(out).toEqual([["1", "one"], ["2", "two"]])

      const aborted = yield* Effect.exit(sql.withTransaction(
        Effect.gen(function*() {
          yield* Stream.run(CopyFormat.encodeText(Stream.make([3, "three"])), client.copyFrom(`COPY ${t} (id, name) FROM STDIN`))
          const inside = yield* sql<{ n: number }>`SELECT count(*)::int4 AS n FROM ${sql(t)}`
          expect(inside).toEqual([{ n: 3 }])
          return yield* Effect.fail("abort" as const)
        })
      ))
      expect(Exit.isFailure(aborted)).toBe(true)
      expect(yield* sql<{ n: number }>`SELECT count(*)::int4 AS n FROM ${sql(t)}`).toEqual([{ n: 2 }])

      const wrong = sqlErrorOf(yield* Effect.exit(Stream.run(Stream.empty, client.copyFrom(`SELECT 1`))))
      expect(wrong?.reason._tag).toBe("UnknownError")
      yield* sql`DROP TABLE ${sql(t)}`
    })))

  it.live("stream runs raw SQL with parameters; json fragments; unprepared strings of statements", () =>
    run(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const client = yield* PgClient.PgClient
      const rows = yield* Stream.runCollect(client.stream("SELECT g AS n FROM generate_series(1, 10) g WHERE g > $1", [5], { batchSize: 2 }))
      expect(rows.map((r) => r["n"])).toEqual([6, 7, 8, 9, 10])
      const docs = yield* sql`SELECT ${client.json({ a: [1, "x"] })} AS doc, ${client.json("text")} AS str`
      expect(docs).toEqual([{ doc: { a: [1, "x"] }, str: "text" }])
      const t = unique("json")
      yield* sql`CREATE TABLE ${sql(t)} (doc jsonb)`
      yield* sql`INSERT INTO ${sql(t)} ${sql.insert([{ doc: client.json("plain") }, { doc: client.json({ n: 1 }) }, { doc: { m: [2] } }])}`
      expect(yield* sql`SELECT doc FROM ${sql(t)}`).toEqual([{ doc: "plain" }, { doc: { n: 1 } }, { doc: { m: [2] } }])
      yield* sql`DROP TABLE ${sql(t)}`
      const last = yield* sql.unsafe("SELECT 1 AS a; SELECT 2 AS b").unprepared
      expect(last).toEqual([{ b: 2 }])
      const values = yield* sql`SELECT 1 AS a, 'x' AS b`.values
      expect(values).toEqual([[1, "x"]])
      const raw = yield* sql`SELECT 1 AS a`.raw
      expect(raw).toMatchObject({ command: "SELECT 1", rowCount: 1 })
    })))

  it.live("listen receives what notify sends", () =>
    run(Effect.gen(function*() {
      const client = yield* PgClient.PgClient
      const channel = unique("chan")
      const first = yield* Stream.runHead(Stream.filter(client.listen(channel), (e) => e._tag === "Notification")).pipe(
        Effect.raceFirst(Effect.forever(Effect.andThen(client.notify(channel, "hello"), Effect.sleep("50 millis"))))
      )
      expect(first._tag === "Some" && first.value._tag === "Notification" && first.value.payload).toBe("hello")
    })))

  it.live("name transforms rename identifiers in statements and columns in results", () =>
    run(
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const rows = yield* sql`SELECT 1 AS ${sql("userId")}, 2 AS created_at`
        expect(rows).toEqual([{ userId: 1, createdAt: 2 }])
      }),
      {
        transformQueryNames: (name) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
        transformResultNames: (name) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
      }
    ))

  it.live("a session lost inside a transaction fails it with a ConnectionError (no defect); the next statement works", () =>
    run(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const exit = yield* Effect.exit(sql.withTransaction(
        Effect.gen(function*() {
          const [row] = yield* sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`
          yield* Effect.scoped(Effect.flatMap(
            PgConnection.make(connection),
            (c) => c.query("SELECT pg_terminate_backend($1, 5000)", [row!.pid])
          ))
          return yield* sql`SELECT 1`
        })
      ))
      expect(Exit.isFailure(exit) && Cause.hasDies(exit.cause)).toBe(false)
      expect(sqlErrorOf(exit)?.reason._tag).toBe("ConnectionError")
      expect(yield* sql`SELECT 1 AS one`).toEqual([{ one: 1 }])
    })))

  it.live("layerFromPool shares the PgPool service's connections", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const pool = yield* PgPool
      const client = yield* PgClient.PgClient
      expect(client.pool).toBe(pool)
      const [row] = yield* sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`
      expect((yield* pool.query("SELECT pg_backend_pid() AS pid")).rows).toEqual([{ pid: row!.pid }])
    }).pipe(Effect.provide(PgClient.layerFromPool().pipe(Layer.provideMerge(PgPool.layer({ connection, maxSize: 1 }))))))

  it.live("COMMIT of a transaction the server aborted fails", () =>
    run(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const exit = yield* Effect.exit(sql.withTransaction(Effect.ignore(sql`SELECT 1 / 0`)))
      expect(sqlErrorOf(exit)?.reason._tag).toBe("UnknownError")
      expect(sqlErrorOf(exit)?.message).toMatch(/COMMIT rolled back/)
    })))
})

describe("PgClient spans", () => {
  it.live("statement and transaction spans carry the database attributes; a failed statement its SQLSTATE", () => {
    const spans: Array<Tracer.Span> = []
    const tracer = Tracer.make({
      span: (options) => {
        const span = new Tracer.NativeSpan(options)
        spans.push(span)
        return span
      }
    })
    const base = { "db.system.name": "postgresql", "db.namespace": pg.database, "server.address": pg.host, "server.port": pg.port }
    return run(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`SELECT 1 AS ok`
      yield* Effect.exit(sql`SELECT * FROM no_such_table_for_spans`)
      yield* sql.withTransaction(sql`SELECT 2 AS inside`)
    })).pipe(
      Effect.withTracer(tracer),
      Effect.andThen(Effect.sync(() => {
        const byQuery = (text: string) => spans.find((s) => s.attributes.get("db.query.text") === text)
        const ok = byQuery("SELECT 1 AS ok")
        expect(ok?.kind).toBe("client")
        expect(Object.fromEntries(ok!.attributes)).toMatchObject(base)
        expect(ok!.attributes.has("db.response.status_code")).toBe(false)
        const failed = byQuery("SELECT * FROM no_such_table_for_spans")
        expect(Object.fromEntries(failed!.attributes)).toMatchObject({ ...base, "db.response.status_code": "42P01" })
        const transaction = spans.find((s) => s.name === "sql.transaction")
        expect(Object.fromEntries(transaction!.attributes)).toMatchObject(base)
        const inside = byQuery("SELECT 2 AS inside")
        expect(inside?.parent._tag === "Some" && inside.parent.value.spanId).toBe(transaction!.spanId)
        const connects = spans.filter((s) => s.name === "pgwire.connect")
        expect(connects.length).toBeGreaterThanOrEqual(1)
        expect(Object.fromEntries(connects[0]!.attributes)).toMatchObject(base)
      }))
    )
  })
})

describe("SqlError reasons", () => {
  const server = (code: string, extra: { severity?: string; constraintName?: string } = {}) =>
    new PgServerError({ message: `error ${code}`, code, severity: extra.severity ?? "ERROR", ...(extra.constraintName ? { constraintName: extra.constraintName } : {}) })

  it("SQLSTATEs map to the reasons effect/sql names, keeping the error as cause", () => {
    const cases: ReadonlyArray<readonly [PgServerError, SqlError.SqlErrorReason["_tag"]]> = [
      [server("28P01"), "AuthenticationError"],
      [server("42501"), "AuthorizationError"],
      [server("42601"), "SqlSyntaxError"],
      [server("42P01"), "SqlSyntaxError"],
      [server("23505", { constraintName: "users_email_key" }), "UniqueViolation"],
      [server("23503"), "ConstraintError"],
      [server("23514"), "ConstraintError"],
      [server("40P01"), "DeadlockError"],
      [server("40001"), "SerializationError"],
      [server("55P03"), "LockTimeoutError"],
      [server("57014"), "StatementTimeoutError"],
      [server("08006"), "ConnectionError"],
      [server("57P01", { severity: "FATAL" }), "ConnectionError"],
      [server("53300", { severity: "FATAL" }), "ConnectionError"],
      [server("22012"), "UnknownError"]
    ]
    for (const [error, tag] of cases) {
      const reason = reasonOf(error, "execute")
      expect([error.code, reason._tag]).toEqual([error.code, tag])
      expect(reason.cause).toBe(error)
      expect(reason.operation).toBe("execute")
      expect(reason.message).toBe(error.message)
    }
    const unique = reasonOf(server("23505", { constraintName: "users_email_key" }), "execute")
    expect(unique._tag === "UniqueViolation" && unique.constraint).toBe("users_email_key")
    const anonymous = reasonOf(server("23505"), "execute")
    expect(anonymous._tag === "UniqueViolation" && anonymous.constraint).toBe("unknown")
  })

  it("client-side failures map by kind", () => {
    expect(reasonOf(new ConnectionError({ reason: "Closed", message: "closed" }), "execute")._tag).toBe("ConnectionError")
    expect(reasonOf(new PoolError({ reason: "AcquireTimeout", message: "timeout" }), "acquire")._tag).toBe("ConnectionError")
    expect(reasonOf(new AuthError({ reason: "WrongPassword", message: "no" }), "connect")._tag).toBe("AuthenticationError")
    expect(reasonOf(new ParameterError({ message: "bad", query: "SELECT $1" }), "execute")._tag).toBe("UnknownError")
    expect(
      reasonOf(new ValueDecodeError({ message: "bad", column: "c", dataTypeOid: 114, query: "SELECT" }), "execute")._tag
    ).toBe("UnknownError")
    expect(reasonOf(new PoolError({ reason: "Closed", message: "closed" }), "acquire").isRetryable).toBe(true)
  })

  it.live("a bad configuration fails the layer with a SqlError", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.provide(Effect.service(SqlClient.SqlClient), PgClient.layer({ connection, maxSize: 0 })))
      expect(sqlErrorOf(exit)?.reason._tag).toBe("UnknownError")
    }))
})

