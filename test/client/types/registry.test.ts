/**
 * The registry's decisions without a server: which format and decoder a
 * result column gets, how `typed(...)` and `inferOid` state parameter
 * types, how built-in names map to OIDs, what user codecs replace, and
 * what `missing` reports before anything is resolved.
 */
import { describe, expect, it } from "@effect/vitest"
import * as TypeMap from "../../../src/client/TypeMap.ts"
import { PgArray } from "../../../src/client/types/Array.ts"
import { PgInterval } from "../../../src/client/types/Interval.ts"
import { builtinOid, Oid } from "../../../src/client/types/Oids.ts"
import { TypeRegistry } from "../../../src/client/types/Registry.ts"
import { PgDate, PgTimestamp } from "../../../src/client/types/Temporal.ts"
import { inferOid, isTyped, typed } from "../../../src/client/types/Typed.ts"
import { ColumnKind } from "../../../src/protocol/RowDecoder.ts"
import { attempt, bindParameter, decodeColumn } from "./support.ts"

describe("result columns", () => {
  const registry = new TypeRegistry()

  it("the hot types use the row decoder's inline kinds in binary", () => {
    const inline: ReadonlyArray<readonly [number, number]> = [
      [Oid.int2, ColumnKind.Int2],
      [Oid.int4, ColumnKind.Int4],
      [Oid.int8, ColumnKind.Int8],
      [Oid.float4, ColumnKind.Float4],
      [Oid.float8, ColumnKind.Float8],
      [Oid.bool, ColumnKind.Bool],
      [Oid.oid, ColumnKind.Oid],
      [Oid.text, ColumnKind.Text],
      [Oid.varchar, ColumnKind.Text],
      [Oid.name, ColumnKind.Text],
      [Oid.bpchar, ColumnKind.Text],
      [Oid.bytea, ColumnKind.Raw],
      [Oid.timestamp, ColumnKind.TimestampDate],
      [Oid.timestamptz, ColumnKind.TimestampDate]
    ]
    for (const [oid, kind] of inline) expect(registry.column(oid), `oid ${oid}`).toEqual({ format: 1, decoder: { kind } })
    // TypeMap gives the same answers, through its own built-in registry.
    for (const [oid] of inline) expect(TypeMap.resultColumn(oid)).toEqual(registry.column(oid))
  })

  it("other types with a binary reader are binary through it; money, text search and unknown types are text", () => {
    for (const oid of [Oid.numeric, Oid.uuid, Oid.jsonb, Oid.date, Oid.interval, Oid.inet, Oid.point, 1007, 3904, 4451]) {
      expect(registry.column(oid).format, `oid ${oid}`).toBe(1)
      expect(registry.column(oid).decoder.kind, `oid ${oid}`).toBe(ColumnKind.Custom)
    }
    for (const oid of [Oid.money, 791, Oid.tsvector, Oid.tsquery, Oid.record, 2210, 123_456]) {
      expect(registry.column(oid).format, `oid ${oid}`).toBe(0)
    }
    expect(registry.textColumn(123_456)).toEqual({ kind: ColumnKind.Text })
    expect(registry.textColumn(Oid.int4).kind).toBe(ColumnKind.Custom)
  })

  it("the exact timestamp mode reads PgTimestamp through the codec instead of the inline Date kind", () => {
    const exact = new TypeRegistry({ timestamps: "PgTimestamp" })
    const column = exact.column(Oid.timestamptz)
    expect(column.decoder.kind).toBe(ColumnKind.Custom)
    expect(decodeColumn(column.decoder, Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))).toEqual({
      value: PgTimestamp.infinity
    })
    expect(decodeColumn(exact.textColumn(Oid.timestamp), new TextEncoder().encode("2000-01-01 00:00:00.000001"))).toEqual({
      value: PgTimestamp.fromMicros(946_684_800_000_001n)
    })
  })
})

describe("parameter types", () => {
  it("inferOid states only the types a JavaScript value cannot mean otherwise", () => {
    const cases: ReadonlyArray<readonly [unknown, number]> = [
      [5n, Oid.int8],
      [true, Oid.bool],
      [new Uint8Array(1), Oid.bytea],
      [PgDate.fromDays(0), Oid.date],
      [PgInterval.make({ days: 1 }), Oid.interval],
      [[1n, null, [2n]], 1016],
      [[true, false], 1000],
      [PgArray.make([new Uint8Array(1)], [0]), 1001],
      [5, 0],
      [1.5, 0],
      ["x", 0],
      [new Date(0), 0],
      [PgTimestamp.fromMicros(0n), 0],
      [{ a: 1 }, 0],
      [null, 0],
      [undefined, 0],
      [[], 0],
      [[null], 0],
      [[1n, 1], 0],
      [typed(5, "int8"), Oid.int8],
      [typed([1], "int4[]"), 1007],
      [typed({}, 3802), 3802],
      [typed("x", "no_such_builtin"), 0]
    ]
    for (const [value, oid] of cases) expect(inferOid(value), String(value)).toBe(oid)
  })

  it("built-in names follow SQL's spellings, aliases, array suffixes and type modifiers", () => {
    const names: ReadonlyArray<readonly [string, number | undefined]> = [
      ["int8", 20],
      ["BIGINT", 20],
      [" integer ", 23],
      ["int4[]", 1007],
      ["_int4", 1007],
      ["int4[][]", 1007],
      ["integer[3]", 1007],
      ["timestamp(3) with time zone", 1184],
      ["varchar(10)[]", 1015],
      ["numeric(10, 2)", 1700],
      ["double precision", 701],
      ["char", Oid.bpchar],
      ["\"char\"", 18],
      ["pg_catalog.jsonb", 3802],
      ["mood", undefined],
      ["public.int4", undefined]
    ]
    for (const [name, oid] of names) expect(builtinOid(name), name).toBe(oid)
  })

  it("typed(...) is unwrapped for encoding; a built-in name needs no catalog", () => {
    const registry = new TypeRegistry()
    const value = typed(7n, "int4")
    expect(isTyped(value)).toBe(true)
    expect(registry.unresolvedNames([value, typed(1, 23), 5])).toEqual([])
    expect(registry.parameterOid(value)).toBe(23)
    expect(registry.parameterOid(typed(1, "mood"))).toBeUndefined()
    expect(registry.unresolvedNames([typed(1, "mood"), typed(2, "mood")])).toEqual(["mood"])
    expect(bindParameter(registry, 23, value)).toEqual({ format: 1, bytes: Uint8Array.of(0, 0, 0, 7) })
    expect(bindParameter(registry, 23, typed(null, "int4"))).toEqual({ format: 0, bytes: null })
    const outcome = attempt(() => bindParameter(registry, 23, typed("x".repeat(3), "int4")))
    // A string is the type's input syntax: the server reads (and refuses) it.
    expect(outcome).toEqual({ value: { format: 0, bytes: new TextEncoder().encode("xxx") } })
  })
})

describe("user codecs and the catalog state", () => {
  it("a user codec replaces a built-in one, and the built-in array type follows it", () => {
    const registry = new TypeRegistry().register({
      type: "int4",
      fromText: (text) => `int:${text}`,
      toText: (value) => `${value as number}`
    })
    expect(registry.codec(23).readText("5")).toBe("int:5")
    expect(registry.codec(1007).readText("{1,NULL}")).toEqual(["int:1", null])
    expect(registry.column(23).format).toBe(0)
    expect(bindParameter(registry, 1007, [1, 2])).toEqual({ format: 0, bytes: new TextEncoder().encode("{\"1\",\"2\"}") })
    // Another registry is not affected.
    expect(new TypeRegistry().codec(23).readText("5")).toBe(5)
  })

  it("a user binary encoder is used for every non-NULL parameter, and what it throws is an encode failure", () => {
    const registry = new TypeRegistry().register({
      type: 99_999,
      fromText: (text) => text,
      toBinary: (value) => {
        if (typeof value !== "number") throw new Error("numbers only")
        return Uint8Array.of(value)
      }
    })
    expect(bindParameter(registry, 99_999, 7)).toEqual({ format: 1, bytes: Uint8Array.of(7) })
    const outcome = attempt(() => bindParameter(registry, 99_999, "x"))
    expect("failure" in outcome && outcome.failure.reason).toBe("EncodeFailed")
    expect("failure" in outcome && outcome.failure.message).toContain("numbers only")
  })

  it("missing lists what is neither built in, registered nor resolved; reset forgets the catalog only", () => {
    const registry = new TypeRegistry().register({ type: 50_000, fromText: (t) => t })
    expect(registry.missing([23, 1007, 3904, 6150, 0, 50_000, 2210, 60_000, 60_000])).toEqual([2210, 60_000])
    registry.reset()
    expect(registry.missing([50_000, 60_000])).toEqual([60_000])
  })
})

describe("value types", () => {
  it("PgTimestamp converts to Date where a Date holds it, dropping microseconds toward the past", () => {
    expect(PgTimestamp.fromMicros(-1n).toDate()).toEqual(new Date(-1))
    expect(PgTimestamp.fromMicros(1_999n).toDate()).toEqual(new Date(1))
    expect(PgTimestamp.infinity.toDate()).toBeUndefined()
    expect(PgTimestamp.parse("294276-12-31 23:59:59.999999")!.toDate()).toBeUndefined()
    expect(PgTimestamp.fromDate(new Date(Number.NaN))).toBeUndefined()
    expect(PgTimestamp.fromDate(new Date(5))).toEqual(PgTimestamp.fromMicros(5_000n))
    expect(PgTimestamp.parse("0001-01-01 00:00:00.5 BC")!.toISOString()).toBe("0000-01-01T00:00:00.500000Z")
    expect(PgTimestamp.parse("294276-12-31 23:59:59.999999")!.toISOString()).toBe("+294276-12-31T23:59:59.999999Z")
    expect(JSON.stringify({ at: PgTimestamp.negativeInfinity })).toBe("{\"at\":\"-infinity\"}")
  })

  it("PgDate converts to midnight UTC and spells itself as PostgreSQL does", () => {
    expect(PgDate.fromParts(2024, 2, 29)!.toDate()).toEqual(new Date("2024-02-29T00:00:00Z"))
    expect(PgDate.fromDate(new Date("2024-02-29T23:59:59Z"))).toEqual(PgDate.fromParts(2024, 2, 29))
    expect(PgDate.fromParts(-4712, 11, 24)!.toString()).toBe("4713-11-24 BC")
    expect(PgDate.parse("5874897-12-31")!.toParts()).toEqual({ year: 5874897, month: 12, day: 31 })
    expect(PgDate.fromDays(1.5)).toBeUndefined()
    expect(PgDate.infinity.toDate()).toBeUndefined()
  })
})
