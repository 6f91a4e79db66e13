/**
 * Real client libraries against our server with the demo engine:
 * node-postgres (`pg`) with simple and multi-statement queries, named
 * prepared statements (parsed once), binary results, error fields and
 * transactions; postgres.js with its prepared statements, pipelining of
 * many queries on one connection (an error among them failing only its
 * own), transactions, a multi-statement string, and COPY in both
 * directions through its streams.
 */
import { Readable, Writable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import pg from "pg"
import postgres from "postgres"
import { PgConnection } from "../../src/client/PgConnection.ts"
import { QueryHandler } from "../../src/server/QueryHandler.ts"
import { promise, settle, startServer } from "./support/server.ts"

const pgClient = (port: number, options: pg.ClientConfig = {}) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const client = new pg.Client({ host: "127.0.0.1", port, user: "alice", database: "demo", ...options })
      await client.connect()
      return client
    }),
    (client) => Effect.promise(() => client.end())
  )

const postgresJs = (port: number) =>
  Effect.acquireRelease(
    Effect.sync(() => postgres({ host: "127.0.0.1", port, user: "alice", database: "demo", max: 1, fetch_types: false, onnotice: () => {} })),
    (sql) => Effect.promise(() => sql.end({ timeout: 1 }))
  )

describe("pg (node-postgres)", () => {
  it.live("simple queries, a multi-statement string, errors with their fields", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const client = yield* pgClient(port)
      const one = yield* promise(() => client.query("SELECT 1::int4 AS one, 'x' AS text"))
      expect(one.rows).toEqual([{ one: 1, text: "x" }])
      const many = yield* promise(() => client.query("INSERT INTO kv VALUES ('a', '1'); SELECT key, value FROM kv") as unknown as Promise<Array<pg.QueryResult>>)
      expect(many.map((r) => r.command)).toEqual(["INSERT", "SELECT"])
      expect(many[1]!.rows).toEqual([{ key: "a", value: "1" }])
      const duplicate = yield* settle(() => client.query("INSERT INTO kv VALUES ('a', '2')"))
      expect(duplicate.ok).toBe(false)
      expect(!duplicate.ok && duplicate.error).toMatchObject({ code: "23505", detail: "Key (key)=(a) already exists.", constraint: "kv_pkey", table: "kv" })
    })))

  it.live("named prepared statements are parsed once per connection and executed many times", () =>
    Effect.scoped(Effect.gen(function*() {
      const engine = yield* startServer()
      let prepared = 0
      const counting = QueryHandler.make({
        ...engine.engine.handler,
        prepare: (request) => Effect.suspend(() => {
          prepared++
          return engine.engine.handler.prepare(request)
        })
      })
      const { port } = yield* startServer({ handler: counting })
      const client = yield* pgClient(port)
      for (const key of ["a", "b", "c"]) {
        yield* promise(() => client.query({ name: "insert", text: "INSERT INTO kv VALUES ($1, $2)", values: [key, `value ${key}`] }))
      }
      const read = yield* promise(() => client.query({ name: "read", text: "SELECT value FROM kv WHERE key = $1", values: ["b"] }))
      expect(read.rows).toEqual([{ value: "value b" }])
      expect(prepared).toBe(2)
    })))

  it.live("our client reads a void result without a catalog lookup, so a server without pg_type keeps the transaction", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const c = yield* PgConnection.make({ host: "127.0.0.1", port, user: "alice", sslMode: "disable" })
      yield* c.execute("BEGIN")
      const slept = yield* c.query("SELECT pg_sleep(0.001) AS slept")
      expect(slept.rows).toEqual([{ slept: "" }])
      expect((yield* c.query("SELECT 1 AS still")).rows).toEqual([{ still: 1 }])
      yield* c.execute("COMMIT")
    })))

  it.live("binary results for the common types", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const client = yield* pgClient(port, { binary: true } as pg.ClientConfig)
      // The types pg-types decodes in binary from a DataRow (its float8, bytea and timestamp readers misread them there).
      const result = yield* promise(() =>
        client.query("SELECT 7::int4 AS i4, 9007199254740993::int8 AS i8, 3::int2 AS i2, true AS b, 'héllo'::text AS t, $1::int4 AS p", [42])
      )
      expect(result.fields.map((f) => f.format)).toEqual(Array(6).fill("binary"))
      expect(result.rows).toEqual([{ i4: 7, i8: "9007199254740993", i2: 3, b: true, t: "héllo", p: 42 }])
    })))

  it.live("a Buffer parameter travels in binary; bytea comes back as a Buffer", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const client = yield* pgClient(port)
      const result = yield* promise(() => client.query("SELECT $1::bytea AS bytes", [Buffer.from([1, 2, 255])]))
      expect(result.rows).toEqual([{ bytes: Buffer.from([1, 2, 255]) }])
    })))

  it.live("transactions", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, engine } = yield* startServer()
      const client = yield* pgClient(port)
      yield* promise(() => client.query("BEGIN"))
      yield* promise(() => client.query("INSERT INTO kv VALUES ($1, $2)", ["t", "1"]))
      expect(engine.table.has("t")).toBe(false)
      yield* promise(() => client.query("COMMIT"))
      expect(engine.table.get("t")).toBe("1")
    })))
})

describe("our client", () => {
  it.live("binary results of every type with a binary format here, decoded by our client", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const c = yield* PgConnection.make({ host: "127.0.0.1", port, user: "alice", sslMode: "disable" })
      const result = yield* c.query(
        "SELECT $1::float8 AS f8, $2::float4 AS f4, $3::bytea AS bytes, '2024-02-03 04:05:06.789'::timestamptz AS ts, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u, $4::jsonb AS j, $5::bool AS b, $6::int8 AS big",
        [1.5, 2.25, new Uint8Array([0, 255]), { a: [1] }, false, 9007199254740993n].map((v, i) => (i === 3 ? JSON.stringify(v) : v))
      )
      expect(result.rows).toEqual([{
        f8: 1.5,
        f4: 2.25,
        bytes: new Uint8Array([0, 255]),
        ts: new Date("2024-02-03T04:05:06.789Z"),
        u: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        j: { a: [1] },
        b: false,
        big: 9007199254740993n
      }])
    })))
})

describe("postgres.js", () => {
  it.live("prepared statements with typed parameters", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const sql = yield* postgresJs(port)
      yield* promise(() => sql`INSERT INTO kv VALUES (${"k"}, ${"v"})`)
      const rows = yield* promise(() => sql`SELECT key, value FROM kv WHERE key = ${"k"}`)
      expect(rows.map((r) => ({ ...r }))).toEqual([{ key: "k", value: "v" }])
      const typed = yield* promise(() => sql`SELECT ${41}::int4 AS n, ${true}::bool AS flag`)
      expect(typed.map((r) => ({ ...r }))).toEqual([{ n: 41, flag: true }])
    })))

  it.live("pipelining: 200 queries in flight on one connection, an error among them failing only itself", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const sql = yield* postgresJs(port)
      const results = yield* promise(() =>
        Promise.allSettled(Array.from({ length: 200 }, (_, i) => (i === 100 ? sql`SELECT 1/0 AS boom` : sql`SELECT ${i}::int4 AS i`)))
      )
      expect(results.filter((r) => r.status === "rejected").length).toBe(1)
      const rejected = results[100]!
      expect(rejected.status === "rejected" && (rejected.reason as { code?: string }).code).toBe("22012")
      const values = results.flatMap((r, i) => (i === 100 || r.status !== "fulfilled" ? [] : [r.value[0]!["i"]]))
      expect(values).toEqual(Array.from({ length: 200 }, (_, i) => i).filter((i) => i !== 100))
    })))

  it.live("transactions roll back on error; a multi-statement string through unsafe", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, engine } = yield* startServer()
      const sql = yield* postgresJs(port)
      const failed = yield* settle(() =>
        sql.begin(async (tx) => {
          await tx`INSERT INTO kv VALUES (${"x"}, ${"1"})`
          await tx`SELECT 1/0`
        })
      )
      expect(failed.ok).toBe(false)
      expect(engine.table.has("x")).toBe(false)
      yield* promise(() => sql.begin(async (tx) => tx`INSERT INTO kv VALUES (${"y"}, ${"2"})`))
      expect(engine.table.get("y")).toBe("2")
      const many = yield* promise(() => sql.unsafe("SELECT 1::int4 AS a; SELECT 2::int4 AS b"))
      expect(Array.from(many, (result) => Array.from(result, (r) => ({ ...r })))).toEqual([[{ a: 1 }], [{ b: 2 }]])
    })))

  it.live("COPY FROM STDIN and TO STDOUT through its streams", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, engine } = yield* startServer()
      const sql = yield* postgresJs(port)
      const writable = yield* promise(() => sql`COPY kv FROM STDIN`.writable())
      yield* promise(() => pipeline(Readable.from(["a\t1\n", "b\t2\nc\t", "3\n"]), writable))
      expect(Object.fromEntries(engine.table)).toEqual({ a: "1", b: "2", c: "3" })
      const readable = yield* promise(() => sql`COPY kv TO STDOUT WITH (FORMAT csv)`.readable())
      const out: Array<string> = []
      yield* promise(() =>
        pipeline(readable, new Writable({
          write(chunk: Buffer, _encoding, done) {
            out.push(chunk.toString())
            done()
          }
        }))
      )
      expect(out.join("")).toBe("a,1\nb,2\nc,3\n")
    })))
})
