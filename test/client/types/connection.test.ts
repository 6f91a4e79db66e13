/**
 * The connection's own type registry: custom types in a result are looked up
 * in the catalog on first sight and decoded from then on; parameter types
 * stated with `typed(...)` (by OID, built-in name or custom name) and the
 * safe inferred ones go into Parse.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { PgConnection } from "../../../src/client/PgConnection.ts"
import { PgTimestamp } from "../../../src/client/types/Temporal.ts"
import { typed } from "../../../src/client/types/Typed.ts"
import { config, withConnection } from "./support.ts"

const schema = `conn_types_${process.pid}`

describe("the connection's type registry", () => {
  it.live("custom types decode through query() without any setup", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        yield* c.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema};
          CREATE TYPE ${schema}.mood AS ENUM ('sad', 'ok', 'happy');
          CREATE DOMAIN ${schema}.positive AS int4 CHECK (VALUE > 0);
          CREATE TYPE ${schema}.pair AS (a int4, b text, m ${schema}.mood)`)
        const { rows } = yield* c.query(
          `SELECT 'happy'::${schema}.mood AS m, 7::${schema}.positive AS p, ROW(1, 'x', 'ok')::${schema}.pair AS pr,
                  ARRAY['sad', 'ok']::${schema}.mood[] AS ms, ARRAY[ROW(2, NULL, NULL)::${schema}.pair] AS prs`
        )
        expect(rows[0]).toEqual({ m: "happy", p: 7, pr: { a: 1, b: "x", m: "ok" }, ms: ["sad", "ok"], prs: [{ a: 2, b: null, m: null }] })
        // The same types in the simple protocol's text results, now that the registry knows them.
        const [text] = yield* c.execute(`SELECT ROW(3, 'y', 'happy')::${schema}.pair AS pr, ARRAY['ok']::${schema}.mood[] AS ms`)
        expect(text?.rows[0]).toEqual({ pr: { a: 3, b: "y", m: "happy" }, ms: ["ok"] })
        yield* c.execute(`DROP SCHEMA ${schema} CASCADE`)
      })
    ))

  it.live("typed(...) states the parameter type in Parse; bigint, boolean and bytes are inferred", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        yield* c.execute(`DROP SCHEMA IF EXISTS ${schema}_p CASCADE; CREATE SCHEMA ${schema}_p;
          CREATE TYPE ${schema}_p.color AS ENUM ('red', 'green')`)
        const typeOf = (value: unknown) => Effect.map(c.query("SELECT pg_typeof($1)::text AS t", [value]), (r) => r.rows[0]!.t)
        expect(yield* typeOf(typed("5", "int8"))).toBe("bigint")
        expect(yield* typeOf(typed([1, 2], "int4[]"))).toBe("integer[]")
        expect(yield* typeOf(typed({ a: 1 }, "jsonb"))).toBe("jsonb")
        expect(yield* typeOf(typed("green", `${schema}_p.color`))).toBe(`${schema}_p.color`)
        expect(yield* typeOf(5n)).toBe("bigint")
        expect(yield* typeOf(true)).toBe("boolean")
        expect(yield* typeOf(new Uint8Array([1]))).toBe("bytea")
        // A plain number leaves it to the server (here: integer, from `+ 1`); a bigint states int8.
        const sumType = (value: unknown) => Effect.map(c.query("SELECT pg_typeof($1 + 1)::text AS t", [value]), (r) => r.rows[0]!.t)
        expect(yield* sumType(5)).toBe("integer")
        expect(yield* sumType(5n)).toBe("bigint")
        const unknown = yield* Effect.exit(typeOf(typed("x", "no_such_type")))
        expect(Exit.isFailure(unknown) ? Exit.findErrorOption(unknown) : undefined).toMatchObject({ _tag: "Some", value: { _tag: "ParameterError" } })
        // The same text with other stated types is another statement; the connection is fine.
        expect((yield* c.query("SELECT $1::text AS v", [typed("1", "text")])).rows).toEqual([{ v: "1" }])
        expect((yield* c.query("SELECT $1::text AS v", ["2"])).rows).toEqual([{ v: "2" }])
        yield* c.execute(`DROP SCHEMA ${schema}_p CASCADE`)
      })
    ))

  it.live("registry options per connection: timestamps as PgTimestamp keep microseconds", () =>
    Effect.scoped(Effect.gen(function*() {
      const c = yield* PgConnection.make(config(), { types: { timestamps: "PgTimestamp" } })
      const { rows } = yield* c.query("SELECT '2024-01-02 03:04:05.123456+00'::timestamptz AS t, 'infinity'::timestamptz AS inf")
      const t = rows[0]!.t
      expect(t).toBeInstanceOf(PgTimestamp)
      expect(t instanceof PgTimestamp ? t.toString() : undefined).toContain("03:04:05.123456")
      expect(rows[0]!.inf instanceof PgTimestamp ? rows[0]!.inf.toString() : undefined).toBe("infinity")
    })))
})
