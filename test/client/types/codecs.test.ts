/**
 * The codecs as pure functions: golden bytes in and out, and malformed
 * input in either format giving a typed failure (a CodecFailure with a
 * reason), which the row decoder reports per column instead of throwing.
 */
import { describe, expect, it } from "@effect/vitest"
import { PgArray } from "../../../src/client/types/Array.ts"
import { Oid } from "../../../src/client/types/Oids.ts"
import { PgInterval } from "../../../src/client/types/Interval.ts"
import { TypeRegistry } from "../../../src/client/types/Registry.ts"
import { PgDate, PgTimestamp } from "../../../src/client/types/Temporal.ts"
import { attempt, binaryFailure, bindParameter, decodeColumn, fromBinary, hex, textFailure, toBinary, unhex } from "./support.ts"

const registry = new TypeRegistry()
const codec = (oid: number) => registry.codec(oid)

describe("golden bytes", () => {
  it("numeric reads base-10000 digits, weight, sign and display scale", () => {
    // As numeric_send writes them on PostgreSQL 18.
    expect(fromBinary(codec(Oid.numeric), unhex("0002000040000001000c1388"))).toBe("-12.5")
    expect(fromBinary(codec(Oid.numeric), unhex("0000000000000000"))).toBe("0")
    expect(fromBinary(codec(Oid.numeric), unhex("00000000c0000000"))).toBe("NaN")
    expect(fromBinary(codec(Oid.numeric), unhex("00000000d0000020"))).toBe("Infinity")
    expect(hex(toBinary(codec(Oid.numeric), "-12.5"))).toBe("0002000040000001000c1388")
    expect(hex(toBinary(codec(Oid.numeric), 12345678n))).toBe("000200010000000004d2162e")
  })

  it("interval, timetz, inet, bit and path read their send formats", () => {
    expect(fromBinary(codec(Oid.interval), unhex("00000000002dc6c00000000200000001"))).toEqual(
      PgInterval.make({ months: 1, days: 2, micros: 3_000_000n })
    )
    expect(fromBinary(codec(Oid.timetz), unhex("0000000a0eebb000ffffb2a8"))).toBe("12:00:00+05:30")
    expect(fromBinary(codec(Oid.inet), unhex("021000040a010203"))).toBe("10.1.2.3/16")
    expect(fromBinary(codec(Oid.bit), unhex("00000003a0"))).toBe("101")
    expect(fromBinary(codec(Oid.path), unhex("00000000023ff0000000000000400000000000000040080000000000004010000000000000"))).toEqual({
      closed: false,
      points: [{ x: 1, y: 2 }, { x: 3, y: 4 }]
    })
  })

  it("\"char\" reads a high byte as PostgreSQL prints it, and the zero byte as empty", () => {
    expect(fromBinary(codec(Oid.char), Uint8Array.of(0xc8))).toBe("\\310")
    expect(fromBinary(codec(Oid.char), Uint8Array.of(0))).toBe("")
  })

  it("bytea reads the hex and the escape text formats, and copies binary values out of the row buffer", () => {
    expect(codec(Oid.bytea).readText("\\x00ff")).toEqual(Uint8Array.of(0, 255))
    expect(codec(Oid.bytea).readText("a\\\\\\000\\377")).toEqual(Uint8Array.of(0x61, 0x5c, 0, 255))
    const row = Uint8Array.of(9, 1, 2, 9)
    const value = codec(Oid.bytea).readBinary!(row, 1, 2) as Uint8Array
    row[1] = 7
    expect(value).toEqual(Uint8Array.of(1, 2))
    expect(Object.getPrototypeOf(value)).toBe(Uint8Array.prototype)
  })
})

describe("malformed binary input is a typed failure", () => {
  const cases: ReadonlyArray<readonly [string, number, string]> = [
    ["bool of two bytes", Oid.bool, "0101"],
    ["int2 of three bytes", Oid.int2, "000001"],
    ["int4 of three bytes", Oid.int4, "000001"],
    ["int8 of four bytes", Oid.int8, "00000001"],
    ["float8 of four bytes", Oid.float8, "00000001"],
    ["numeric shorter than its header", Oid.numeric, "000100"],
    ["numeric with fewer digits than declared", Oid.numeric, "0002000000000000000c"],
    ["numeric with an unknown sign", Oid.numeric, "0000000012340000"],
    ["numeric with a digit of 10000", Oid.numeric, "00010000000000002710"],
    ["numeric with a display scale past 16383", Oid.numeric, "0000000000004000"],
    ["uuid of fifteen bytes", Oid.uuid, "00".repeat(15)],
    ["jsonb of version 2", Oid.jsonb, "027b7d"],
    ["json that is not JSON", Oid.json, "7b"],
    ["text that is not UTF-8", Oid.text, "c328"],
    ["date of three bytes", Oid.date, "000000"],
    ["timestamptz of seven bytes", Oid.timestamptz, "00".repeat(7)],
    ["time past 24:00", Oid.time, (86_400_000_001n).toString(16).padStart(16, "0")],
    ["time before midnight", Oid.time, "ffffffffffffffff"],
    ["timetz of eight bytes", Oid.timetz, "00".repeat(8)],
    ["interval of fifteen bytes", Oid.interval, "00".repeat(15)],
    ["inet of an unknown family", Oid.inet, "0920000401020304"],
    ["inet with a netmask past 32", Oid.inet, "0221000401020304"],
    ["inet whose size disagrees with its length", Oid.inet, "0220001001020304"],
    ["macaddr of five bytes", Oid.macaddr, "0800200102"],
    ["bit string whose bit count disagrees", Oid.varbit, "00000011a0"],
    ["point of fifteen bytes", Oid.point, "00".repeat(15)],
    ["path with closed flag 2", Oid.path, "0200000000"],
    ["polygon with more points than bytes", Oid.polygon, "00000002" + "00".repeat(16)],
    ["array of seven dimensions", 1007, "000000070000000000000017" + "0000000100000001".repeat(7)],
    ["array with flags 2", 1007, "000000010000000200000017"],
    ["array of the wrong element type", 1007, ["00000001", "00000000", "00000014", "00000001", "00000001", "00000004", "00000000"].join("")],
    ["array with a negative dimension", 1007, "000000010000000000000017ffffffff00000001"],
    ["array with more elements than bytes", 1007, "0000000100000000000000177fffffff00000001"],
    ["array with a truncated element", 1007, "000000010000000000000017000000010000000100000004" + "0001"],
    ["array with bytes after the last element", 1007, "0000000100000000000000170000000100000001000000040000000100"],
    ["range with a truncated bound", 3904, "0200000004000000"],
    ["range with bytes after its bounds", 3904, "18ff"],
    ["empty range with bytes after it", 3904, "0100"],
    ["multirange with more ranges than bytes", 4451, "00000009"],
    ["money of one byte", Oid.money, "00"]
  ]
  for (const [name, oid, bytes] of cases) {
    it(name, () => {
      const failure = binaryFailure(codec(oid), unhex(bytes))
      expect(failure?.reason).toMatch(/^(InvalidValue|InvalidString)$/)
      expect(failure?.message.length).toBeGreaterThan(0)
    })
  }

  it("the row decoder reports the failure for the column and keeps going", () => {
    const result = decodeColumn(registry.column(1007).decoder, unhex("000000010000000200000017"))
    expect(result).toEqual({ error: expect.stringContaining("flags 2") })
    expect(decodeColumn(registry.column(Oid.numeric).decoder, unhex("0000000012340000"))).toEqual({
      error: expect.stringContaining("sign")
    })
  })
})

describe("malformed text input is a typed failure", () => {
  const cases: ReadonlyArray<readonly [string, number, string]> = [
    ["bool", Oid.bool, "x"],
    ["int4 with a fraction", Oid.int4, "1.5"],
    ["int8 of letters", Oid.int8, "abc"],
    ["empty float8", Oid.float8, ""],
    ["float8 of letters", Oid.float8, "abc"],
    ["numeric with an exponent", Oid.numeric, "1e5"],
    ["date in another DateStyle", Oid.date, "02/29/2024"],
    ["date that does not exist", Oid.date, "2023-02-29"],
    ["timestamp in another DateStyle", Oid.timestamp, "Thu Feb 29 00:00:00 2024"],
    ["timestamptz with a bad offset", Oid.timestamptz, "2024-01-01 00:00:00+5"],
    ["interval of words", Oid.interval, "a while"],
    ["interval with an unknown unit", Oid.interval, "3 fortnights"],
    ["time without seconds", Oid.time, "12:00"],
    ["bytea with an odd hex digit count", Oid.bytea, "\\x0"],
    ["bytea with a non-hex digit", Oid.bytea, "\\xzz"],
    ["bytea with a bad escape", Oid.bytea, "\\9"],
    ["json that is not JSON", Oid.json, "{"],
    ["bit string with a 2", Oid.bit, "012"],
    ["point with one number", Oid.point, "(1)"],
    ["point with words", Oid.point, "(1,x)"],
    ["inet of words", Oid.inet, "localhost"],
    ["array without its closing brace", 1007, "{1,2"],
    ["array without an opening brace", 1007, "1,2}"],
    ["array mixing elements and sub-arrays", 1007, "{{1},2}"],
    ["array with ragged sub-arrays", 1007, "{{1,2},{3}}"],
    ["array whose decoration disagrees", 1007, "[1:3]={1,2}"],
    ["array whose decoration has no =", 1007, "[1:2]{1,2}"],
    ["array with unterminated quotes", 1009, "{\"a}"],
    ["array with an empty element", 1009, "{a,,b}"],
    ["array with text after it", 1007, "{1} x"],
    ["array of an element that does not read", 1007, "{1,x}"],
    ["range without its closing bracket", 3904, "[1,2"],
    ["range without a comma", 3904, "[1]"],
    ["multirange without its closing brace", 4451, "{[1,2)"],
    ["record without its closing parenthesis", Oid.record, "(1,2"]
  ]
  for (const [name, oid, text] of cases) {
    it(name, () => {
      const failure = textFailure(codec(oid), text)
      expect(failure?.reason).toBe("InvalidValue")
    })
  }
})

describe("parameters that do not fit are encode failures", () => {
  const cases: ReadonlyArray<readonly [string, number, unknown, string]> = [
    ["a fraction for int4", Oid.int4, 1.5, "int4"],
    ["a number beyond 2^53 for int8", Oid.int8, 2 ** 60, "bigint"],
    ["a bigint past int8", Oid.int8, 2n ** 63n, "int8"],
    ["a boolean for int2", Oid.int2, true, "int2"],
    ["a number for bool", Oid.bool, 1, "bool"],
    ["an object for text", Oid.text, { a: 1 }, "text"],
    ["a Date for text", Oid.text, new Date(0), "text"],
    ["a Date with a time of day for date", Oid.date, new Date("2024-01-01T10:00:00Z"), "midnight UTC"],
    ["an invalid Date for timestamptz", Oid.timestamptz, new Date(Number.NaN), "invalid"],
    ["epoch milliseconds for timestamptz", Oid.timestamptz, 0, "timestamptz"],
    ["a bigint for jsonb", Oid.jsonb, { n: 1n }, "jsonb"],
    ["a function for json", Oid.json, () => 1, "no JSON form"],
    ["a ragged array", 1007, [[1], [2, 3]], "rectangular"],
    ["an empty sub-array", 1007, [[], []], "empty sub-array"],
    ["seven dimensions", 1007, [[[[[[[1]]]]]]], "dimensions"],
    ["lower bounds for the wrong dimension count", 1007, PgArray.make([1], [0, 1]), "2 lower bounds for 1 dimensions"],
    ["a number for an array", 1007, 5, "not an array"],
    ["an array for a range", 3904, [1, 2], "PgRange"],
    ["a point with an extra property", Oid.point, { x: 1, y: 2, z: 3 }, "point"],
    ["a number for inet", Oid.inet, 1, "inet"],
    ["a number for interval", Oid.interval, 3600, "interval"]
  ]
  for (const [name, oid, value, mention] of cases) {
    it(name, () => {
      const outcome = attempt(() => bindParameter(registry, oid, value))
      expect("failure" in outcome && outcome.failure.reason).toBe("EncodeFailed")
      expect("failure" in outcome && outcome.failure.message).toContain(mention)
    })
  }

  it("values that fit go in binary where that is exact, as text otherwise", () => {
    expect(bindParameter(registry, Oid.int4, 7)).toEqual({ format: 1, bytes: Uint8Array.of(0, 0, 0, 7) })
    expect(bindParameter(registry, Oid.int4, 7n)).toEqual({ format: 1, bytes: Uint8Array.of(0, 0, 0, 7) })
    expect(bindParameter(registry, Oid.int4, "7")).toEqual({ format: 0, bytes: new TextEncoder().encode("7") })
    expect(bindParameter(registry, Oid.text, 7)).toEqual({ format: 0, bytes: new TextEncoder().encode("7") })
    expect(bindParameter(registry, Oid.numeric, "not a number")).toEqual({ format: 0, bytes: new TextEncoder().encode("not a number") })
    expect(bindParameter(registry, Oid.numeric, `1e-${20_000}`).format).toBe(0)
    expect(bindParameter(registry, Oid.uuid, "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}").format).toBe(0)
    expect(bindParameter(registry, Oid.jsonb, { a: [1] })).toEqual({ format: 0, bytes: new TextEncoder().encode("{\"a\":[1]}") })
    expect(bindParameter(registry, Oid.date, PgDate.infinity)).toEqual({ format: 1, bytes: Uint8Array.of(0x7f, 0xff, 0xff, 0xff) })
    expect(bindParameter(registry, Oid.timestamp, PgTimestamp.negativeInfinity)).toEqual({
      format: 1,
      bytes: Uint8Array.of(0x80, 0, 0, 0, 0, 0, 0, 0)
    })
    expect(bindParameter(registry, Oid.int4, null)).toEqual({ format: 0, bytes: null })
    // An array goes as text when one element does (a string is the element type's input syntax).
    expect(bindParameter(registry, 1007, [1, "2"])).toEqual({ format: 0, bytes: new TextEncoder().encode("{\"1\",\"2\"}") })
  })
})
