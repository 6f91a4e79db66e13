/**
 * Property tests: for generated values, encoding then decoding gives the
 * value back, in binary and in text, for the codecs where a generator is
 * cheap (numbers, numeric, timestamps, dates, intervals, arrays of any
 * shape and bounds, quoted text in arrays and records, ranges, bytea).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Schema from "effect/Schema"
import { PgArray } from "../../../src/client/types/Array.ts"
import type { Codec } from "../../../src/client/types/Codec.ts"
import { PgInterval } from "../../../src/client/types/Interval.ts"
import { Oid } from "../../../src/client/types/Oids.ts"
import { PgRange } from "../../../src/client/types/Range.ts"
import { compositeCodec } from "../../../src/client/types/Record.ts"
import { TypeRegistry } from "../../../src/client/types/Registry.ts"
import { PgDate, PgTimestamp } from "../../../src/client/types/Temporal.ts"
import { fromBinary, toBinary } from "./support.ts"

const int = (minimum: number, maximum: number) => Arbitrary.schema(Schema.Int.check(Schema.isBetween({ minimum, maximum })))
const int32 = int(-2147483648, 2147483647)
const uint32 = int(0, 4294967295)
const int64 = Arbitrary.all([int32, uint32]).pipe(Arbitrary.map(([high, low]) => (BigInt(high) << 32n) | BigInt(low)))
const digits = (max: number) => Arbitrary.array(int(0, 9), { maxLength: max }).pipe(Arbitrary.map((d) => d.join("")))
const text = Arbitrary.schema(Schema.String).pipe(Arbitrary.map((s) => s.toWellFormed().replace(/\u0000/g, "")))
/** Any float8, NaN and ±Infinity included: built from 64 random bits. */
const float64 = Arbitrary.all([int32, int32]).pipe(
  Arbitrary.map(([high, low]) => {
    const view = new DataView(new ArrayBuffer(8))
    view.setInt32(0, high)
    view.setInt32(4, low)
    return view.getFloat64(0)
  })
)
const runs = { arbitrary: { runs: 2000 } }

const exact = new TypeRegistry({ timestamps: "PgTimestamp", dates: "PgDate" })
const registry = new TypeRegistry()

/** Binary and text round trips of one value. */
const roundTrip = (codec: Codec, value: unknown, decoded: unknown = value) => {
  expect(fromBinary(codec, toBinary(codec, value))).toEqual(decoded)
  expect(codec.readText(codec.writeText(value))).toEqual(decoded)
}

describe("round trips", () => {
  it.prop("int8", [int64], ([n]) => roundTrip(registry.codec(Oid.int8), n), runs)

  it.prop("float8, every bit pattern", [float64], ([n]) => {
    expect(fromBinary(registry.codec(Oid.float8), toBinary(registry.codec(Oid.float8), n))).toEqual(n)
    expect(registry.codec(Oid.float8).readText(registry.codec(Oid.float8).writeText(n))).toEqual(n)
  }, runs)

  it("float edge values, -0 included", () => {
    for (const n of [-0, 0, NaN, Infinity, -Infinity, 5e-324, -Number.MAX_VALUE]) {
      roundTrip(registry.codec(Oid.float8), n)
      roundTrip(registry.codec(Oid.float4), Math.fround(n))
    }
  })

  it.prop("float4, every value a float4 holds", [float64], ([n]) => roundTrip(registry.codec(Oid.float4), Math.fround(n)), runs)

  it.prop("numeric: any decimal spelling reads back in its canonical spelling", [int(0, 1), digits(60), digits(60), int(-40, 40)], (
    [negative, whole, fraction, exponent]
  ) => {
    const codec = registry.codec(Oid.numeric)
    const spelled = `${negative ? "-" : ""}${whole || "0"}${fraction ? `.${fraction}` : ""}e${exponent}`
    // The canonical spelling, computed on the digits: shift the point by the exponent.
    const all = (whole || "0") + fraction
    const point = (whole || "0").length + exponent
    const scale = Math.max(0, fraction.length - exponent)
    const padded = point <= 0 ? "0".repeat(1 - point) + all : all.length < point ? all + "0".repeat(point - all.length) : all
    const at = Math.max(point, 1)
    const integer = padded.slice(0, at).replace(/^0+(?=\d)/, "")
    const decimals = (padded.slice(at) + "0".repeat(scale)).slice(0, scale)
    const zero = /^0*$/.test(integer + decimals)
    const canonical = `${negative && !zero ? "-" : ""}${integer}${scale > 0 ? `.${decimals}` : ""}`
    expect(codec.sendsBinary(spelled)).toBe(true)
    expect(fromBinary(codec, toBinary(codec, spelled))).toBe(canonical)
  }, runs)

  it.prop("numeric from numbers reads back as the number's own spelling", [float64], ([n]) => {
    if (!Number.isFinite(n)) return
    const codec = registry.codec(Oid.numeric)
    expect(Number(fromBinary(codec, toBinary(codec, n)))).toBe(n === 0 ? 0 : n)
  }, runs)

  // PostgreSQL's timestamp range: 4714-11-24 BC to 294276-12-31, microseconds since 1970.
  const timestamp = Arbitrary.all([int(-210_866_803_200, 9_224_318_015_999), int(0, 999_999)]).pipe(
    Arbitrary.map(([seconds, micros]) => PgTimestamp.fromMicros(BigInt(seconds) * 1_000_000n + BigInt(micros)))
  )

  it.prop("timestamp and timestamptz as PgTimestamp", [timestamp], ([t]) => {
    roundTrip(exact.codec(Oid.timestamp), t)
    roundTrip(exact.codec(Oid.timestamptz), t)
  }, runs)

  it.prop("timestamptz as Date, to the millisecond", [int(-8.64e15, 8.64e15)], ([millis]) => {
    roundTrip(registry.codec(Oid.timestamptz), new Date(millis))
  }, runs)

  it.prop("date as PgDate and as its ISO spelling", [int(-2_440_588, 2_145_031_948)], ([days]) => {
    const date = PgDate.fromDays(days)!
    roundTrip(exact.codec(Oid.date), date)
    roundTrip(registry.codec(Oid.date), date, date.toString())
    expect(PgDate.parse(date.toString())).toEqual(date)
  }, runs)

  it.prop("interval, also through its postgres and ISO 8601 spellings", [int32, int32, int64], ([months, days, micros]) => {
    const value = PgInterval.make({ months, days, micros })!
    if (!value.isFinite) return
    roundTrip(registry.codec(Oid.interval), value)
    expect(PgInterval.parse(value.toString())).toEqual(value)
    expect(PgInterval.parse(value.toISOString())).toEqual(value)
  }, runs)

  it.prop("bytea", [Arbitrary.schema(Schema.Uint8Array)], ([bytes]) => roundTrip(registry.codec(Oid.bytea), Uint8Array.from(bytes)), runs)

  /** A rectangular int4 array of 1 to 3 dimensions with NULLs, with or without lower bounds. */
  const intArray = Arbitrary.all([Arbitrary.array(int(1, 3), { minLength: 1, maxLength: 3 }), Arbitrary.array(int32, { maxLength: 27 }), Arbitrary.array(int(-5, 5), { minLength: 3, maxLength: 3 }), int(0, 1)])
    .pipe(Arbitrary.map(([dims, pool, bounds, withBounds]) => {
      let i = 0
      const build = (d: number): Array<unknown> =>
        Array.from({ length: dims[d]! }, () => {
          if (d + 1 < dims.length) return build(d + 1)
          const n = pool[i++ % Math.max(pool.length, 1)]
          return n === undefined || n % 5 === 0 ? null : n
        })
      const values = build(0)
      const lowerBounds = bounds.slice(0, dims.length)
      return withBounds === 1 && lowerBounds.some((lb) => lb !== 1) ? PgArray.make(values, lowerBounds) : values
    }))

  it.prop("int4 arrays of any shape, NULLs and lower bounds", [intArray], ([value]) => roundTrip(registry.codec(1007), value), runs)

  it.prop("text arrays of any strings, NULL and \"NULL\" among them", [Arbitrary.array(text, { maxLength: 6 }), int(0, 7)], ([strings, at]) => {
    const value = strings.map((s, i) => (i === at ? null : s))
    roundTrip(registry.codec(1009), value)
  }, runs)

  it.prop("records of any strings", [text, text, int32], ([a, b, n]) => {
    const codec = compositeCodec(0, "pair", [
      { name: "a", codec: registry.codec(Oid.text) },
      { name: "n", codec: registry.codec(Oid.int4) },
      { name: "b", codec: registry.codec(Oid.text) }
    ])
    expect(codec.readText(codec.writeText({ a, n, b }))).toEqual({ a, n, b })
    expect(codec.readText(codec.writeText({ a: null, b }))).toEqual({ a: null, n: null, b })
  }, runs)

  it.prop("int4 ranges and multiranges", [Arbitrary.array(Arbitrary.all([int32, int32, int(0, 5)]), { maxLength: 4 })], ([parts]) => {
    const ranges = parts.map(([a, b, shape]) =>
      shape === 0
        ? PgRange.empty
        : PgRange.make(shape === 1 ? null : Math.min(a, b), shape === 2 ? null : Math.max(a, b), shape === 3 ? "[]" : shape === 4 ? "()" : "[)")
    )
    for (const range of ranges) roundTrip(registry.codec(Oid.int4range), range)
    roundTrip(registry.codec(Oid.int4multirange), ranges.filter((r) => !r.empty))
  }, runs)
})
