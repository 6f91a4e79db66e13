/**
 * One suite of effect/sql programs, written against `SqlClient` only and run
 * unchanged on every driver layer given to `sqlSuite`: CRUD through the
 * statement helpers, nested transactions with savepoints, a `SqlResolver`
 * batching 100 lookups into one query, a `Migrator` run, a row stream, and
 * the `SqlError` reasons of common failures. Each run uses tables of its
 * own (named after the driver, the process and a counter).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Migrator from "effect/sql/Migrator"
import * as SqlClient from "effect/sql/SqlClient"
import type * as SqlError from "effect/sql/SqlError"
import * as SqlResolver from "effect/sql/SqlResolver"
import * as Stream from "effect/Stream"

let tableCounter = 0

const sqlErrorOf = <A, E>(exit: Exit.Exit<A, E>): SqlError.SqlError | undefined => {
  const found = Exit.isFailure(exit) ? Exit.findErrorOption(exit) : undefined
  if (found?._tag !== "Some") return undefined
  const error: unknown = found.value
  return typeof error === "object" && error !== null && "_tag" in error && error._tag === "SqlError" ? (error as SqlError.SqlError) : undefined
}

/**
 * Registers the suite for `driver`; `layer` builds a fresh client (and pool) for each test.
 */
export const sqlSuite = (driver: string, layer: () => Layer.Layer<SqlClient.SqlClient, SqlError.SqlError>) => {
  const table = (label: string) => `${driver}_${label}_${process.pid}_${++tableCounter}`

  /** Runs `body` with a fresh table created by `columns`, dropped afterwards. */
  const withTable = <A, E>(
    label: string,
    columns: string,
    body: (sql: SqlClient.SqlClient, name: string) => Effect.Effect<A, E, SqlClient.SqlClient>
  ) =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const name = table(label)
      yield* sql`CREATE TABLE ${sql(name)} (${sql.literal(columns)})`
      return yield* Effect.ensuring(body(sql, name), Effect.ignore(sql`DROP TABLE IF EXISTS ${sql(name)}`))
    }).pipe(Effect.provide(layer()))

  describe(`effect/sql programs on ${driver}`, () => {
    it.live("CRUD with the insert, update and in helpers, rows and values", () =>
      withTable("crud", "id serial PRIMARY KEY, name text NOT NULL, score int4", (sql, t) =>
        Effect.gen(function*() {
          const inserted = yield* sql<{ id: number; name: string }>`INSERT INTO ${sql(t)} ${
            sql.insert([{ name: "ada", score: 1 }, { name: "bob", score: 2 }, { name: "cy", score: 3 }])
          } RETURNING id, name`
          expect(inserted.map((r) => r.name)).toEqual(["ada", "bob", "cy"])
          expect(inserted.every((r) => typeof r.id === "number")).toBe(true)

          yield* sql`UPDATE ${sql(t)} SET ${sql.update({ score: 10 })} WHERE name = ${"ada"}`
          yield* sql`DELETE FROM ${sql(t)} WHERE ${sql.in("name", ["cy"])}`
          const rows = yield* sql<{ name: string; score: number }>`SELECT name, score FROM ${sql(t)} ORDER BY id`
          expect(rows).toEqual([{ name: "ada", score: 10 }, { name: "bob", score: 2 }])

          const values = yield* sql`SELECT name, score FROM ${sql(t)} WHERE score > ${5}`.values
          expect(values).toEqual([["ada", 10]])

          const none = yield* sql`SELECT name FROM ${sql(t)} WHERE ${sql.in("name", [])}`
          expect(none).toEqual([])
          const counted = yield* sql<{ n: number }>`SELECT count(*)::int4 AS n FROM ${sql(t)}`
          expect(counted).toEqual([{ n: 2 }])
        })))

    it.live("nested transactions: a failing inner transaction rolls back to its savepoint only", () =>
      withTable("tx", "name text", (sql, t) =>
        Effect.gen(function*() {
          yield* sql.withTransaction(
            Effect.gen(function*() {
              yield* sql`INSERT INTO ${sql(t)} ${sql.insert({ name: "outer" })}`
              const inner = yield* Effect.exit(sql.withTransaction(
                Effect.gen(function*() {
                  yield* sql`INSERT INTO ${sql(t)} ${sql.insert({ name: "inner-failed" })}`
                  return yield* Effect.fail("inner failure" as const)
                })
              ))
              expect(Exit.isFailure(inner)).toBe(true)
              // An SQL error inside a savepoint leaves the outer transaction usable too.
              const broken = yield* Effect.exit(sql.withTransaction(sql`SELECT 1 / 0`))
              expect(sqlErrorOf(broken)).toBeDefined()
              yield* sql.withTransaction(sql`INSERT INTO ${sql(t)} ${sql.insert({ name: "inner-ok" })}`)
              const seen = yield* sql<{ name: string }>`SELECT name FROM ${sql(t)} ORDER BY name`
              expect(seen.map((r) => r.name)).toEqual(["inner-ok", "outer"])
            })
          )
          const committed = yield* sql<{ name: string }>`SELECT name FROM ${sql(t)} ORDER BY name`
          expect(committed.map((r) => r.name)).toEqual(["inner-ok", "outer"])

          const failed = yield* Effect.exit(sql.withTransaction(
            Effect.andThen(sql`INSERT INTO ${sql(t)} ${sql.insert({ name: "never" })}`, Effect.fail("outer failure" as const))
          ))
          expect(Exit.isFailure(failed)).toBe(true)
          const after = yield* sql<{ n: number }>`SELECT count(*)::int4 AS n FROM ${sql(t)}`
          expect(after).toEqual([{ n: 2 }])
        })))

    it.live("a SqlResolver batches 100 concurrent lookups into one query", () =>
      withTable("resolver", "id int4 PRIMARY KEY, name text NOT NULL", (sql, t) =>
        Effect.gen(function*() {
          const ids = Array.from({ length: 100 }, (_, i) => i + 1)
          yield* sql`INSERT INTO ${sql(t)} ${sql.insert(ids.map((id) => ({ id, name: `person ${id}` })) as [{ id: number; name: string }])}`
          let executions = 0
          let batchSize = 0
          const Person = Schema.Struct({ id: Schema.Number, name: Schema.String })
          const byId = SqlResolver.findById({
            Id: Schema.Number,
            Result: Person,
            ResultId: (person) => person.id,
            execute: (requested) =>
              Effect.andThen(
                Effect.sync(() => {
                  executions++
                  batchSize = requested.length
                }),
                sql`SELECT id, name FROM ${sql(t)} WHERE ${sql.in("id", requested)}`
              )
          })
          const people = yield* Effect.forEach(ids, (id) => SqlResolver.request(id, byId), { concurrency: "unbounded" })
          expect(executions).toBe(1)
          expect(batchSize).toBe(100)
          expect(people.map((p) => p.name)).toEqual(ids.map((id) => `person ${id}`))
          const missing = yield* Effect.exit(SqlResolver.request(1000, byId))
          expect(Exit.isFailure(missing)).toBe(true)
          expect(executions).toBe(2)
        })))

    it.live("the Migrator runs each migration once, in a transaction", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const data = table("migrated")
        const migrations = table("migrations")
        const run = Migrator.make({})({
          table: migrations,
          loader: Migrator.fromRecord({
            "1_create": Effect.asVoid(sql`CREATE TABLE ${sql(data)} (id int4 PRIMARY KEY, label text)`),
            "2_seed": Effect.asVoid(sql`INSERT INTO ${sql(data)} ${sql.insert([{ id: 1, label: "one" }, { id: 2, label: "two" }])}`)
          })
        })
        const first = yield* run
        expect(first).toEqual([[1, "create"], [2, "seed"]])
        const second = yield* run
        expect(second).toEqual([])
        const recorded = yield* sql<{ migration_id: number; name: string }>`SELECT migration_id, name FROM ${sql(migrations)} ORDER BY migration_id`
        expect(recorded).toEqual([{ migration_id: 1, name: "create" }, { migration_id: 2, name: "seed" }])
        const rows = yield* sql<{ id: number; label: string }>`SELECT id, label FROM ${sql(data)} ORDER BY id`
        expect(rows).toEqual([{ id: 1, label: "one" }, { id: 2, label: "two" }])

        const failing = yield* Effect.exit(Migrator.make({})({
          table: migrations,
          loader: Migrator.fromRecord({
            "3_half": Effect.asVoid(sql`INSERT INTO ${sql(data)} ${sql.insert({ id: 3, label: "three" })}`),
            "4_broken": Effect.asVoid(sql`INSERT INTO ${sql(data)} ${sql.insert({ id: 1, label: "duplicate" })}`)
          })
        }))
        expect(Exit.isFailure(failing)).toBe(true)
        const afterFailure = yield* sql<{ n: number }>`SELECT count(*)::int4 AS n FROM ${sql(data)}`
        expect(afterFailure).toEqual([{ n: 2 }])
        yield* sql`DROP TABLE ${sql(data)}`
        yield* sql`DROP TABLE ${sql(migrations)}`
      }).pipe(Effect.provide(layer())))

    it.live("a statement streams its rows, also inside a transaction", () =>
      withTable("stream", "n int4", (sql, t) =>
        Effect.gen(function*() {
          const streamed = yield* Stream.runCollect(sql<{ n: number }>`SELECT g AS n FROM generate_series(1, 2500) g`.stream)
          expect(streamed.length).toBe(2500)
          expect(streamed.reduce((sum, r) => sum + r.n, 0)).toBe(2500 * 2501 / 2)
          const firstFive = yield* Stream.runCollect(Stream.take(sql<{ n: number }>`SELECT g AS n FROM generate_series(1, 100000) g`.stream, 5))
          expect(firstFive.map((r) => r.n)).toEqual([1, 2, 3, 4, 5])
          const inTransaction = yield* sql.withTransaction(
            Effect.andThen(
              sql`INSERT INTO ${sql(t)} SELECT g FROM generate_series(1, 10) g`,
              Stream.runCollect(sql<{ n: number }>`SELECT n FROM ${sql(t)} ORDER BY n`.stream)
            )
          )
          expect(inTransaction.map((r) => r.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
          // The connection is usable after a stream ended early.
          const after = yield* sql<{ n: number }>`SELECT count(*)::int4 AS n FROM ${sql(t)}`
          expect(after).toEqual([{ n: 10 }])
        })))

    it.live("failures are SqlErrors with the reason of their SQLSTATE", () =>
      withTable("errors", "id int4 PRIMARY KEY, parent int4", (sql, t) =>
        Effect.gen(function*() {
          yield* sql`ALTER TABLE ${sql(t)} ADD CONSTRAINT ${sql(`${t}_fk`)} FOREIGN KEY (parent) REFERENCES ${sql(t)} (id)`
          yield* sql`INSERT INTO ${sql(t)} ${sql.insert({ id: 1, parent: null })}`
          const duplicate = sqlErrorOf(yield* Effect.exit(sql`INSERT INTO ${sql(t)} ${sql.insert({ id: 1, parent: null })}`))
          expect(duplicate?.reason._tag).toBe("UniqueViolation")
          expect(duplicate?.reason._tag === "UniqueViolation" && duplicate.reason.constraint).toBe(`${t}_pkey`)
          const orphan = sqlErrorOf(yield* Effect.exit(sql`INSERT INTO ${sql(t)} ${sql.insert({ id: 2, parent: 99 })}`))
          expect(orphan?.reason._tag).toBe("ConstraintError")
          const syntax = sqlErrorOf(yield* Effect.exit(sql`SELEC 1`))
          expect(syntax?.reason._tag).toBe("SqlSyntaxError")
          const missing = sqlErrorOf(yield* Effect.exit(sql`SELECT * FROM ${sql(`${t}_missing`)}`))
          expect(missing?.reason._tag).toBe("SqlSyntaxError")
          const timeout = sqlErrorOf(yield* Effect.exit(sql.withTransaction(
            Effect.andThen(sql`SET LOCAL statement_timeout = 50`, sql`SELECT pg_sleep(2)`)
          )))
          expect(timeout?.reason._tag).toBe("StatementTimeoutError")
          expect(timeout?.isRetryable).toBe(true)
          expect(duplicate?.isRetryable).toBe(false)
          // The client keeps working after every failure.
          expect(yield* sql<{ n: number }>`SELECT count(*)::int4 AS n FROM ${sql(t)}`).toEqual([{ n: 1 }])
        })))
  })
}
