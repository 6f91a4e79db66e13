/**
 * Custom types resolved from the catalog of a real PostgreSQL 18: an enum,
 * a domain, composites (nested, with an array attribute, with a dropped
 * attribute), a user range type with its multirange, and arrays of all of
 * them, created in a schema of their own and dropped afterwards.
 *
 * The connection under test still decodes through the built-in registry
 * (`TypeMap`), so custom types come back from it as text: that is checked
 * too. The resolved registry is then exercised on the server's own bytes:
 * the binary format through the type's send function (`record_send(x)`,
 * `enum_send(x)`, `array_send(x)`, ...), the text
 * format through `x::text`, and parameters by comparing our binary
 * encoding with the send bytes and by letting the server parse our text
 * form.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type { PgConnectionShape } from "../../../src/client/PgConnection.ts"
import { PgArray } from "../../../src/client/types/Array.ts"
import type { CatalogQuery } from "../../../src/client/types/Catalog.ts"
import { PgRange } from "../../../src/client/types/Range.ts"
import { PgTimestamp } from "../../../src/client/types/Temporal.ts"
import { TypeRegistry } from "../../../src/client/types/Registry.ts"
import { typed } from "../../../src/client/types/Typed.ts"
import { attempt, catalogRunner, decodeColumn, fromBinary, hex, toBinary, withConnection } from "./support.ts"

const schema = `types_test_${process.pid}_${Math.floor(Math.random() * 1e9)}`

const setup = `
  CREATE SCHEMA ${schema};
  CREATE TYPE ${schema}.mood AS ENUM ('sad', 'ok', 'happy', 'a "quoted", label');
  CREATE DOMAIN ${schema}.posint AS int4 CHECK (VALUE > 0);
  CREATE TYPE ${schema}.pair AS (a int4, b text, c ${schema}.mood, d int4[], e ${schema}.posint);
  CREATE TYPE ${schema}.outer AS (p ${schema}.pair, ps ${schema}.pair[], at timestamptz);
  CREATE TYPE ${schema}.thinned AS (x int4, y text, z bool);
  ALTER TYPE ${schema}.thinned DROP ATTRIBUTE y;
  CREATE TYPE ${schema}.floatrange AS RANGE (subtype = float8);
`

/** Creates the schema, runs `use`, drops the schema whatever happens. */
const withSchema = <A, E>(use: (c: PgConnectionShape) => Effect.Effect<A, E>) =>
  withConnection((c) =>
    Effect.acquireUseRelease(
      c.execute(setup),
      () => use(c),
      () => Effect.ignore(c.execute(`DROP SCHEMA ${schema} CASCADE`))
    )
  )

const oidOf = (c: PgConnectionShape, type: string) =>
  Effect.map(c.query(`SELECT '${type}'::regtype::oid::int8 AS oid`), ({ rows }) => Number(rows[0]!["oid"]))

/** A runner that counts the catalog queries it runs. */
const counting = (c: PgConnectionShape) => {
  const counter = { queries: 0 }
  const run: CatalogQuery<unknown> = (sql, params) => {
    counter.queries++
    return catalogRunner(c)(sql, params)
  }
  return { counter, run }
}

/**
 * Checks one value of a resolved type: decoding the send bytes and the
 * text, encoding back to the same bytes, and the server reading our text.
 */
const roundTrip = (c: PgConnectionShape, registry: TypeRegistry, type: string, expression: string, expected: unknown) =>
  Effect.gen(function*() {
    const oid = yield* oidOf(c, type)
    const codec = registry.codec(oid)
    const { rows } = yield* c.query(
      `SELECT t.typsend::text AS send FROM pg_type t WHERE t.oid = $1::oid`,
      [oid]
    )
    const send = String(rows[0]!["send"])
    const row = (yield* c.query(`SELECT ${send}(${expression}) AS b, (${expression})::text AS t`)).rows[0]!
    const bytes = row["b"] as Uint8Array
    expect(fromBinary(codec, bytes), `${type} binary`).toEqual(expected)
    expect(codec.readText(row["t"] as string), `${type} text`).toEqual(expected)
    // The row decoder path: the column decoder the registry picks.
    const column = registry.column(oid)
    expect(column.format, `${type} column format`).toBe(1)
    expect(decodeColumn(column.decoder, bytes), `${type} column`).toEqual({ value: expected })
    // Parameters: binary bytes equal the server's; our text form reads back as the same value.
    expect(codec.sendsBinary(expected), `${type} sends binary`).toBe(true)
    expect(hex(toBinary(codec, expected)), `${type} binary parameter`).toBe(hex(bytes))
    const same = yield* c.query(`SELECT $1::text::${type} = ${expression} AS same`, [codec.writeText(expected)])
    expect(same.rows[0]!["same"], `${type} text parameter`).toBe(true)
  })

describe("custom types from the catalog", () => {
  it.live("missing lists unknown OIDs once; resolve looks them up with their parts and caches them", () =>
    withSchema((c) =>
      Effect.gen(function*() {
        const registry = new TypeRegistry()
        const outer = yield* oidOf(c, `${schema}.outer`)
        const mood = yield* oidOf(c, `${schema}.mood`)
        expect(registry.missing([23, 25, outer, outer, 0])).toEqual([outer])
        // Before resolving, the type reads as text.
        expect(registry.column(outer)).toEqual({ format: 0, decoder: { kind: 1 } })
        const { counter, run } = counting(c)
        yield* registry.resolve([outer], run)
        expect(counter.queries).toBeGreaterThan(0)
        // Everything `outer` is built from was learnt with it.
        expect(registry.missing([outer, mood, yield* oidOf(c, `${schema}.pair[]`), yield* oidOf(c, `${schema}.posint`)])).toEqual([])
        expect(registry.typeInfo(mood)?.labels).toEqual(["sad", "ok", "happy", "a \"quoted\", label"])
        expect(registry.typeInfo(outer)?.attributes.map((a) => a.name)).toEqual(["p", "ps", "at"])
        const before = counter.queries
        yield* registry.resolve([outer, mood, 23], run)
        expect(counter.queries).toBe(before)
        // An OID the catalog does not have is remembered as absent and stays text.
        yield* registry.resolve([999_999_999], run)
        expect(registry.missing([999_999_999])).toEqual([])
        expect(registry.column(999_999_999).format).toBe(0)
      })
    ))

  it.live("the connection looks custom types up on first sight and decodes them", () =>
    withSchema((c) =>
      Effect.gen(function*() {
        const { rows } = yield* c.query(
          `SELECT 'happy'::${schema}.mood AS m, ROW(1, 'x y', 'ok', '{1,2}', 5)::${schema}.pair AS p, '[1.5,2)'::${schema}.floatrange AS r`
        )
        expect(rows[0]).toEqual({ m: "happy", p: { a: 1, b: "x y", c: "ok", d: [1, 2], e: 5 }, r: PgRange.make(1.5, 2) })
      })
    ))

  it.live("enum, domain, composites, ranges and arrays of them round-trip in both formats", () =>
    withSchema((c) =>
      Effect.gen(function*() {
        const registry = new TypeRegistry({ timestamps: "PgTimestamp" })
        const types = ["mood", "mood[]", "posint", "posint[]", "pair", "pair[]", "outer", "thinned", "floatrange", "floatmultirange", "floatrange[]"]
        const oids = yield* Effect.forEach(types, (t) => oidOf(c, `${schema}.${t}`))
        yield* registry.resolve(oids, catalogRunner(c))
        expect(registry.missing(oids)).toEqual([])

        yield* roundTrip(c, registry, `${schema}.mood`, `'happy'::${schema}.mood`, "happy")
        yield* roundTrip(c, registry, `${schema}.mood[]`, `'{sad,NULL,"a \\"quoted\\", label"}'::${schema}.mood[]`, ["sad", null, "a \"quoted\", label"])
        yield* roundTrip(c, registry, `${schema}.posint`, `7::${schema}.posint`, 7)
        yield* roundTrip(c, registry, `${schema}.posint[]`, `'[0:1]={7,NULL}'::${schema}.posint[]`, PgArray.make([7, null], [0]))
        const pair = { a: 1, b: "x \"y\", (z)", c: "ok", d: [[1, null], [3, 4]], e: 5 }
        const pairSql = `ROW(1, 'x "y", (z)', 'ok', '{{1,NULL},{3,4}}', 5)::${schema}.pair`
        yield* roundTrip(c, registry, `${schema}.pair`, pairSql, pair)
        const empty = { a: null, b: "", c: null, d: [], e: null }
        yield* roundTrip(c, registry, `${schema}.pair`, `ROW(NULL, '', NULL, '{}', NULL)::${schema}.pair`, empty)
        yield* roundTrip(
          c,
          registry,
          `${schema}.pair[]`,
          `ARRAY[${pairSql}, NULL, ROW(NULL, '', NULL, '{}', NULL)::${schema}.pair]`,
          [pair, null, empty]
        )
        yield* roundTrip(
          c,
          registry,
          `${schema}.outer`,
          `ROW(${pairSql}, ARRAY[${pairSql}], '2020-01-01 00:00:00.000001+00')::${schema}.outer`,
          { p: pair, ps: [pair], at: PgTimestamp.fromMicros(1_577_836_800_000_001n) }
        )
        yield* roundTrip(c, registry, `${schema}.thinned`, `ROW(1, true)::${schema}.thinned`, { x: 1, z: true })
        yield* roundTrip(c, registry, `${schema}.floatrange`, `'[1.5,2)'::${schema}.floatrange`, PgRange.make(1.5, 2))
        yield* roundTrip(c, registry, `${schema}.floatrange`, `'(,-Infinity]'::${schema}.floatrange`, PgRange.make(null, -Infinity, "(]"))
        yield* roundTrip(c, registry, `${schema}.floatrange`, `'empty'::${schema}.floatrange`, PgRange.empty)
        yield* roundTrip(
          c,
          registry,
          `${schema}.floatmultirange`,
          `'{[1,2),[3.5,)}'::${schema}.floatmultirange`,
          [PgRange.make(1, 2), PgRange.make(3.5, null)]
        )
        yield* roundTrip(
          c,
          registry,
          `${schema}.floatrange[]`,
          `ARRAY['[1,2)'::${schema}.floatrange, 'empty', NULL]`,
          [PgRange.make(1, 2), PgRange.empty, null]
        )
      })
    ))

  it.live("a composite parameter naming an attribute the type lacks is an encode failure", () =>
    withSchema((c) =>
      Effect.gen(function*() {
        const registry = new TypeRegistry()
        const oid = yield* oidOf(c, `${schema}.pair`)
        yield* registry.resolve([oid], catalogRunner(c))
        const codec = registry.codec(oid)
        expect(codec.sendsBinary({ a: 1, nope: 2 })).toBe(false)
        const outcome = attempt(() => codec.writeText({ a: 1, nope: 2 }))
        expect("failure" in outcome && outcome.failure.reason).toBe("EncodeFailed")
        expect("failure" in outcome && outcome.failure.message).toContain("nope")
        expect("failure" in attempt(() => codec.writeText([1, 2]))).toBe(true)
        // Attributes left out are NULL.
        expect(codec.writeText({ b: "x" })).toBe("(,\"x\",,,)")
        // A malformed binary record is a typed failure through the row decoder.
        const bad = decodeColumn(registry.column(oid).decoder, Uint8Array.from([0, 0, 0, 9]))
        expect(bad).toEqual({ error: expect.stringContaining("9 fields") })
      })
    ))

  it.live("typed(...) names resolve through the catalog and the search path", () =>
    withSchema((c) =>
      Effect.gen(function*() {
        const registry = new TypeRegistry()
        const params = [typed("ok", `${schema}.mood`), typed(1, "int4"), typed([1n], "bigint[]"), typed("x", `${schema}.nope`), 5n]
        expect(registry.unresolvedNames(params)).toEqual([`${schema}.mood`, `${schema}.nope`])
        yield* registry.resolve(registry.unresolvedNames(params), catalogRunner(c))
        expect(registry.unresolvedNames(params)).toEqual([])
        const mood = yield* oidOf(c, `${schema}.mood`)
        expect(params.map((p) => registry.parameterOid(p))).toEqual([mood, 23, 1016, undefined, 20])
        // The named type was resolved along with its name.
        expect(registry.missing([mood])).toEqual([])
        yield* c.execute(`SET search_path = ${schema}, public`)
        yield* registry.resolve(["pair"], catalogRunner(c))
        expect(registry.parameterOid(typed({}, "pair"))).toBe(yield* oidOf(c, `${schema}.pair`))
      })
    ))

  it.live("a user codec registered by name replaces the text fallback, for the type and its arrays", () =>
    withSchema((c) =>
      Effect.gen(function*() {
        const registry = new TypeRegistry().register({
          type: "mood",
          fromText: (text) => ({ mood: text }),
          fromBinary: (bytes) => ({ mood: new TextDecoder().decode(bytes), binary: true }),
          toText: (value) => (value as { mood: string }).mood
        })
        const mood = yield* oidOf(c, `${schema}.mood`)
        const moods = yield* oidOf(c, `${schema}.mood[]`)
        yield* registry.resolve([mood, moods], catalogRunner(c))
        const codec = registry.codec(mood)
        expect(codec.readText("ok")).toEqual({ mood: "ok" })
        const row = (yield* c.query(`SELECT enum_send('ok'::${schema}.mood) AS b, array_send('{sad}'::${schema}.mood[]) AS a`)).rows[0]!
        expect(fromBinary(codec, row["b"] as Uint8Array)).toEqual({ mood: "ok", binary: true })
        expect(fromBinary(registry.codec(moods), row["a"] as Uint8Array)).toEqual([{ mood: "sad", binary: true }])
        expect(registry.codec(moods).writeText([{ mood: "happy" }, null])).toBe("{\"happy\",NULL}")
        // A user function that throws is a typed failure, not a throw.
        const throwing = new TypeRegistry().register({
          type: 25,
          fromText: () => {
            throw new Error("boom")
          }
        })
        const outcome = attempt(() => throwing.codec(25).readText("x"))
        expect("failure" in outcome && outcome.failure.message).toContain("boom")
        expect(decodeColumn(throwing.textColumn(25), new TextEncoder().encode("x"))).toEqual({ error: expect.stringContaining("boom") })
      })
    ))
})
