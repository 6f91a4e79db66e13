/**
 * Every built-in type against a real PostgreSQL 18, in both formats:
 *
 * - binary: `query` (the extended protocol asks for binary wherever the
 *   registry has a binary reader) and the type's own send function
 *   (`int4send(x)`, `array_send(x)`, ...), whose bytes are exactly what
 *   the server puts on the wire in binary;
 * - text: `execute` (the simple protocol is always text);
 * - parameters: `query("SELECT $1::type", [value])` gives the value back,
 *   and where the registry sends a value in binary, its bytes equal the
 *   server's own send bytes for that value.
 *
 * Each value is also checked inside a one-dimensional array with a NULL.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type { PgConnectionShape } from "../../../src/client/PgConnection.ts"
import { PgArray } from "../../../src/client/types/Array.ts"
import { PgInterval } from "../../../src/client/types/Interval.ts"
import { PgRange } from "../../../src/client/types/Range.ts"
import { TypeRegistry } from "../../../src/client/types/Registry.ts"
import { failureOf, fromBinary, hex, toBinary, withConnection } from "./support.ts"

interface Case {
  /** The SQL type, as written after `::`. */
  readonly type: string
  /** The value's SQL literal text (quoted and cast by the test). */
  readonly literal: string
  /** What it decodes to. */
  readonly value: unknown
  /** A parameter that gives `value` back (default `value`); `null` to skip the parameter check. */
  readonly param?: unknown
  /** What the send function's bytes decode to, when the codec's binary reader differs (money). */
  readonly sent?: unknown
  /** Skip the array-of check. */
  readonly noArray?: boolean
  /**
   * Skip comparing our binary parameter with the server's send bytes (for
   * ±Infinity numeric the server writes a display scale of 32 that its
   * receive function ignores, where ours is 0).
   */
  readonly sameBytes?: false
}

const registry = new TypeRegistry()
const sql = (c: Case) => `'${c.literal.replace(/'/g, "''")}'::${c.type}`
const interval = (months: number, days: number, micros: bigint) => PgInterval.make({ months, days, micros })!

const cases: ReadonlyArray<Case> = [
  { type: "bool", literal: "t", value: true },
  { type: "bool", literal: "f", value: false },
  { type: "int2", literal: "-32768", value: -32768 },
  { type: "int2", literal: "32767", value: 32767 },
  { type: "int4", literal: "-2147483648", value: -2147483648 },
  { type: "int4", literal: "2147483647", value: 2147483647 },
  { type: "int8", literal: "-9223372036854775808", value: -9223372036854775808n },
  { type: "int8", literal: "9223372036854775807", value: 9223372036854775807n },
  { type: "oid", literal: "4294967295", value: 4294967295 },
  { type: "oid", literal: "0", value: 0 },
  { type: "float4", literal: "1.1", value: Math.fround(1.1) },
  { type: "float4", literal: "-0", value: -0 },
  { type: "float4", literal: "3.4028235e38", value: Math.fround(3.4028235e38) },
  { type: "float4", literal: "1e-45", value: Math.fround(1e-45) },
  { type: "float4", literal: "NaN", value: NaN },
  { type: "float4", literal: "-Infinity", value: -Infinity },
  { type: "float8", literal: "0.1", value: 0.1 },
  { type: "float8", literal: "1.7976931348623157e308", value: 1.7976931348623157e308 },
  { type: "float8", literal: "5e-324", value: 5e-324 },
  { type: "float8", literal: "-0", value: -0 },
  { type: "float8", literal: "NaN", value: NaN },
  { type: "float8", literal: "Infinity", value: Infinity },
  { type: "numeric", literal: "0", value: "0" },
  { type: "numeric", literal: "0.000", value: "0.000" },
  { type: "numeric", literal: "-12.50", value: "-12.50" },
  { type: "numeric", literal: "0.00001", value: "0.00001" },
  { type: "numeric", literal: "1e-20", value: "0.00000000000000000001" },
  { type: "numeric", literal: "99990000", value: "99990000" },
  { type: "numeric", literal: "NaN", value: "NaN" },
  { type: "numeric", literal: "Infinity", value: "Infinity", sameBytes: false },
  { type: "numeric", literal: "-Infinity", value: "-Infinity", sameBytes: false },
  { type: "numeric", literal: "9".repeat(1000), value: "9".repeat(1000) },
  { type: "numeric", literal: `-${"1".repeat(600)}.${"2".repeat(400)}`, value: `-${"1".repeat(600)}.${"2".repeat(400)}` },
  { type: "money", literal: "12.34", value: "$12.34", param: "12.34", sent: "12.34" },
  { type: "money", literal: "-1234567.89", value: "-$1,234,567.89", param: "-1234567.89", sent: "-1234567.89" },
  { type: "text", literal: "héllo wörld ✓", value: "héllo wörld ✓" },
  { type: "text", literal: "", value: "" },
  { type: "text", literal: "NULL", value: "NULL" },
  { type: "text", literal: "a \"quoted\" \\ {braced}, (paren) ;", value: "a \"quoted\" \\ {braced}, (paren) ;" },
  { type: "varchar", literal: "v", value: "v" },
  { type: "name", literal: "a_name", value: "a_name" },
  // The server pads the parameter "ab", so its bytes are not the padded value's.
  { type: "bpchar(5)", literal: "ab", value: "ab   ", param: "ab", sameBytes: false },
  { type: "\"char\"", literal: "a", value: "a" },
  { type: "\"char\"", literal: "\\310", value: "\\310" },
  { type: "xml", literal: "<a>b &amp; c</a>", value: "<a>b &amp; c</a>" },
  { type: "bytea", literal: "\\x", value: new Uint8Array([]) },
  { type: "bytea", literal: "\\x00ff7f80", value: new Uint8Array([0, 255, 127, 128]) },
  { type: "uuid", literal: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", value: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" },
  { type: "json", literal: "{\"a\":[1,2.5,\"x\"],\"b\":null}", value: { a: [1, 2.5, "x"], b: null } },
  { type: "json", literal: "\"s\"", value: "s", param: "\"s\"" },
  { type: "jsonb", literal: "{\"b\":{\"c\":[true,false]},\"a\":\"ü\"}", value: { a: "ü", b: { c: [true, false] } } },
  { type: "date", literal: "2024-02-29", value: "2024-02-29" },
  { type: "date", literal: "1969-12-31", value: "1969-12-31" },
  { type: "date", literal: "0001-01-01 BC", value: "0001-01-01 BC" },
  { type: "date", literal: "4713-11-24 BC", value: "4713-11-24 BC" },
  { type: "date", literal: "294276-12-31", value: "294276-12-31" },
  { type: "date", literal: "5874897-12-31", value: "5874897-12-31" },
  { type: "date", literal: "infinity", value: "infinity" },
  { type: "date", literal: "-infinity", value: "-infinity" },
  { type: "time", literal: "00:00:00", value: "00:00:00" },
  { type: "time", literal: "12:34:56.5", value: "12:34:56.5" },
  { type: "time", literal: "23:59:59.999999", value: "23:59:59.999999" },
  { type: "time", literal: "24:00:00", value: "24:00:00" },
  { type: "timetz", literal: "12:34:56.5+05:30", value: "12:34:56.5+05:30" },
  { type: "timetz", literal: "00:00:00+00", value: "00:00:00+00" },
  { type: "timetz", literal: "23:59:59-15:59", value: "23:59:59-15:59" },
  { type: "timetz", literal: "12:00:00+00:09:21", value: "12:00:00+00:09:21" },
  { type: "timestamp", literal: "2024-02-03 04:05:06.789", value: new Date("2024-02-03T04:05:06.789Z") },
  { type: "timestamp", literal: "0001-01-01 00:00:00 BC", value: new Date("0000-01-01T00:00:00Z") },
  { type: "timestamp", literal: "1900-06-15 12:00:00", value: new Date("1900-06-15T12:00:00Z") },
  // Date mode keeps milliseconds: the microseconds are dropped toward the past.
  { type: "timestamp", literal: "2024-01-01 00:00:00.123456", value: new Date("2024-01-01T00:00:00.123Z"), param: null },
  { type: "timestamp", literal: "1969-12-31 23:59:59.999999", value: new Date(-1), param: null },
  { type: "timestamptz", literal: "2024-02-03 04:05:06.789+00", value: new Date("2024-02-03T04:05:06.789Z") },
  { type: "timestamptz", literal: "1800-01-01 00:00:00+02", value: new Date("1799-12-31T22:00:00Z") },
  { type: "interval", literal: "1 year 2 mons -3 days 04:05:06.789", value: interval(14, -3, 14_706_789_000n) },
  { type: "interval", literal: "-1 years", value: interval(-12, 0, 0n) },
  { type: "interval", literal: "00:00:00", value: interval(0, 0, 0n) },
  { type: "interval", literal: "-00:00:01.5", value: interval(0, 0, -1_500_000n) },
  { type: "interval", literal: "178000000 years", value: interval(2_136_000_000, 0, 0n) },
  { type: "interval", literal: "-2147483648 days", value: interval(0, -2147483648, 0n) },
  { type: "interval", literal: "2562047788:00:54.775807", value: interval(0, 0, 2562047788n * 3_600_000_000n + 54_775_807n) },
  { type: "interval", literal: "infinity", value: PgInterval.infinity },
  { type: "interval", literal: "-infinity", value: PgInterval.negativeInfinity },
  { type: "inet", literal: "10.1.2.3/16", value: "10.1.2.3/16" },
  { type: "inet", literal: "192.168.0.1", value: "192.168.0.1" },
  { type: "inet", literal: "::ffff:1.2.3.4", value: "::ffff:1.2.3.4" },
  { type: "inet", literal: "::1.2.3.4", value: "::1.2.3.4" },
  { type: "inet", literal: "::2", value: "::2" },
  { type: "inet", literal: "::", value: "::" },
  { type: "inet", literal: "1:0:0:1:0:0:0:1", value: "1:0:0:1::1" },
  { type: "inet", literal: "1:0:1:0:0:1:0:0", value: "1:0:1::1:0:0" },
  { type: "inet", literal: "1:2:3:4:5:6:7:8", value: "1:2:3:4:5:6:7:8" },
  { type: "inet", literal: "2001:DB8::1/64", value: "2001:db8::1/64" },
  { type: "cidr", literal: "10.1.0.0/16", value: "10.1.0.0/16" },
  { type: "cidr", literal: "2001:db8::/32", value: "2001:db8::/32" },
  { type: "cidr", literal: "0.0.0.0/0", value: "0.0.0.0/0" },
  { type: "cidr", literal: "::1.2.3.4", value: "::1.2.3.4/128" },
  { type: "macaddr", literal: "08:00:2B:01:02:03", value: "08:00:2b:01:02:03" },
  { type: "macaddr8", literal: "08:00:2b:01:02:03:04:05", value: "08:00:2b:01:02:03:04:05" },
  { type: "bit(4)", literal: "0101", value: "0101" },
  { type: "varbit", literal: "", value: "" },
  { type: "varbit", literal: "10101010101010101", value: "10101010101010101" },
  { type: "point", literal: "(1.5,-2)", value: { x: 1.5, y: -2 } },
  { type: "point", literal: "(1e300,0.1)", value: { x: 1e300, y: 0.1 } },
  { type: "line", literal: "{1,-1,0.5}", value: { a: 1, b: -1, c: 0.5 } },
  { type: "lseg", literal: "[(1,2),(3,4)]", value: { start: { x: 1, y: 2 }, end: { x: 3, y: 4 } } },
  { type: "box", literal: "(1,2),(3,4)", value: { high: { x: 3, y: 4 }, low: { x: 1, y: 2 } } },
  { type: "path", literal: "[(1,2),(3,4)]", value: { closed: false, points: [{ x: 1, y: 2 }, { x: 3, y: 4 }] } },
  { type: "path", literal: "((0,0),(1,1),(2,0))", value: { closed: true, points: [{ x: 0, y: 0 }, { x: 1, y: 1 }, { x: 2, y: 0 }] } },
  { type: "polygon", literal: "((0,0),(1,1),(2,0))", value: { points: [{ x: 0, y: 0 }, { x: 1, y: 1 }, { x: 2, y: 0 }] } },
  { type: "circle", literal: "<(1,2),3.5>", value: { center: { x: 1, y: 2 }, radius: 3.5 } },
  { type: "tsvector", literal: "a fat cat:3", value: "'a' 'cat':3 'fat'" },
  { type: "tsquery", literal: "fat & (rat | cat)", value: "'fat' & ( 'rat' | 'cat' )" },
  { type: "int4range", literal: "[1,5)", value: PgRange.make(1, 5) },
  { type: "int4range", literal: "empty", value: PgRange.empty },
  { type: "int4range", literal: "(,5]", value: PgRange.make(null, 6) },
  { type: "int4range", literal: "[1,)", value: PgRange.make(1, null) },
  { type: "int4range", literal: "(,)", value: PgRange.make(null, null) },
  {
    type: "int8range",
    literal: "[-9223372036854775808,9223372036854775807)",
    value: PgRange.make(-9223372036854775808n, 9223372036854775807n)
  },
  { type: "numrange", literal: "(1.5,2.50]", value: PgRange.make("1.5", "2.50", "(]") },
  {
    type: "tsrange",
    literal: "[2020-01-01 00:00:00,2021-01-01 12:00:00)",
    value: PgRange.make(new Date("2020-01-01T00:00:00Z"), new Date("2021-01-01T12:00:00Z"))
  },
  {
    type: "tstzrange",
    literal: "(2020-01-01 00:00:00+00,)",
    value: PgRange.make(new Date("2020-01-01T00:00:00Z"), null, "()")
  },
  // An upper bound whose value is infinity is not an unbounded side.
  { type: "daterange", literal: "[2020-01-01,infinity)", value: PgRange.make("2020-01-01", "infinity") },
  { type: "daterange", literal: "(,2020-01-01)", value: PgRange.make(null, "2020-01-01") },
  { type: "int4multirange", literal: "{}", value: [] },
  { type: "int4multirange", literal: "{[1,3),[5,7)}", value: [PgRange.make(1, 3), PgRange.make(5, 7)] },
  { type: "int4multirange", literal: "{(,0],[5,)}", value: [PgRange.make(null, 1), PgRange.make(5, null)] },
  { type: "int8multirange", literal: "{[1,2)}", value: [PgRange.make(1n, 2n)] },
  { type: "nummultirange", literal: "{[1.5,2),(3,4]}", value: [PgRange.make("1.5", "2"), PgRange.make("3", "4", "(]")] },
  {
    type: "tsmultirange",
    literal: "{[2020-01-01 00:00:00,2020-01-02 00:00:00)}",
    value: [PgRange.make(new Date("2020-01-01T00:00:00Z"), new Date("2020-01-02T00:00:00Z"))]
  },
  { type: "tstzmultirange", literal: "{(,2020-01-01 00:00:00+00]}", value: [PgRange.make(null, new Date("2020-01-01T00:00:00Z"), "(]")] },
  { type: "datemultirange", literal: "{[2020-01-01,2020-02-01),[2021-01-01,)}", value: [PgRange.make("2020-01-01", "2020-02-01"), PgRange.make("2021-01-01", null)] },
  // Arrays beyond one dimension, NULLs, empty, lower bounds, quoting.
  { type: "int4[]", literal: "{}", value: [], noArray: true },
  { type: "int4[]", literal: "{{1,NULL},{3,4}}", value: [[1, null], [3, 4]], noArray: true },
  { type: "int4[]", literal: "{{{1,2},{3,NULL}},{{5,6},{NULL,8}}}", value: [[[1, 2], [3, null]], [[5, 6], [null, 8]]], noArray: true },
  { type: "int4[]", literal: "[0:1]={1,2}", value: PgArray.make([1, 2], [0]), noArray: true },
  { type: "int4[]", literal: "[0:1][-1:0]={{1,2},{3,NULL}}", value: PgArray.make([[1, 2], [3, null]], [0, -1]), noArray: true },
  { type: "int4[]", literal: "[5:5]={7}", value: PgArray.make([7], [5]), noArray: true },
  {
    type: "text[]",
    literal: "{\"a b\",\"\",NULL,\"NULL\",\"x\\\"y\",\"{\",\"}\",\",\",\"\\\\\",\" lead\",ünï}",
    value: ["a b", "", null, "NULL", "x\"y", "{", "}", ",", "\\", " lead", "ünï"],
    noArray: true
  },
  { type: "text[]", literal: "{{a,NULL},{\"NULL\",\"\"}}", value: [["a", null], ["NULL", ""]], noArray: true },
  {
    type: "box[]",
    literal: "{(3,4),(1,2);(5,6),(0,0)}",
    value: [{ high: { x: 3, y: 4 }, low: { x: 1, y: 2 } }, { high: { x: 5, y: 6 }, low: { x: 0, y: 0 } }],
    noArray: true
  },
  { type: "int4range[]", literal: "{\"[1,3)\",empty,NULL}", value: [PgRange.make(1, 3), PgRange.empty, null], noArray: true },
  {
    type: "int4multirange[]",
    literal: "{{\"{[1,3)}\"},{\"{}\"}}",
    value: [[[PgRange.make(1, 3)]], [[]]],
    noArray: true
  },
  { type: "numeric[]", literal: "{{1.50,NaN},{NULL,-Infinity}}", value: [["1.50", "NaN"], [null, "-Infinity"]], noArray: true, sameBytes: false },
  { type: "date[]", literal: "[0:0]={0001-01-01 BC}", value: PgArray.make(["0001-01-01 BC"], [0]), noArray: true }
]

/** The OID and send function of each type named in the cases. */
const describeType = (c: PgConnectionShape, type: string) =>
  Effect.map(
    c.query(`SELECT t.oid::int8 AS oid, t.typsend::text AS send, t.typarray::int8 AS array FROM pg_type t WHERE t.oid = '${type}'::regtype`),
    ({ rows }) => ({ oid: Number(rows[0]!["oid"]), send: String(rows[0]!["send"]), array: Number(rows[0]!["array"]) })
  )

interface Expectation {
  readonly expression: string
  readonly type: string
  readonly value: unknown
  /** What the send function's bytes decode to. */
  readonly sent: unknown
  /** The parameter that gives `value` back; null to skip. */
  readonly param: unknown
  readonly sameBytes: boolean
}

const check = (c: PgConnectionShape, e: Expectation) =>
  Effect.gen(function*() {
    const label = `${e.type} ${e.expression.slice(0, 60)}`
    const { oid, send } = yield* describeType(c, e.type)
    const codec = registry.codec(oid)
    // Binary: the extended protocol, and the send function's bytes.
    const binary = yield* c.query(`SELECT ${e.expression} AS v`)
    expect(binary.rows[0]!["v"], `${label} (query)`).toEqual(e.value)
    const sent = (yield* c.query(`SELECT ${send}(${e.expression}) AS b`)).rows[0]!["b"] as Uint8Array
    // Types read only as text (tsvector, tsquery) have no binary reader.
    if (codec.readBinary !== undefined) expect(fromBinary(codec, sent), `${label} (${send})`).toEqual(e.sent)
    // Text: the simple protocol.
    const [text] = yield* c.execute(`SELECT ${e.expression} AS v`)
    expect(text!.rows[0]!["v"], `${label} (execute)`).toEqual(e.value)
    if (e.param === null) return
    // Parameters: the value comes back, and binary parameters are the server's own bytes.
    const bound = yield* c.query(`SELECT $1::${e.type} AS v`, [e.param])
    expect(bound.rows[0]!["v"], `${label} (parameter)`).toEqual(e.value)
    if (e.sameBytes && codec.sendsBinary(e.param)) {
      expect(hex(toBinary(codec, e.param)), `${label} (binary parameter bytes)`).toBe(hex(sent))
    }
  })

describe("built-in types round-trip in both formats", () => {
  const groups = new Map<string, Array<Case>>()
  for (const c of cases) {
    const group = c.type.replace(/\(.*\)/, "").replace(/\[\]$/, " arrays")
    groups.set(group, [...(groups.get(group) ?? []), c])
  }
  for (const [group, members] of groups) {
    it.live(group, () =>
      withConnection((c) =>
        Effect.gen(function*() {
          for (const k of members) {
            const param = k.param === undefined ? k.value : k.param
            const sent = k.sent === undefined ? k.value : k.sent
            const sameBytes = k.sameBytes !== false
            yield* check(c, { expression: sql(k), type: k.type, value: k.value, sent, param, sameBytes })
            if (k.noArray === true) continue
            // The same value inside an array, next to a NULL.
            yield* check(c, {
              expression: `ARRAY[${sql(k)}, NULL]::${k.type}[]`,
              type: `${k.type}[]`,
              value: [k.value, null],
              sent: [sent, null],
              param: param === null ? null : [param, null],
              sameBytes
            })
          }
        })
      ))
  }
})

describe("NULL and the anonymous record", () => {
  it.live("NULL of every type is null in both formats, and a null parameter is NULL", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const types = [...new Set(cases.map((k) => k.type))]
        const list = types.map((t, i) => `NULL::${t} AS c${i}`).join(", ")
        const binary = (yield* c.query(`SELECT ${list}`)).rows[0]!
        const [text] = yield* c.execute(`SELECT ${list}`)
        types.forEach((_, i) => {
          expect(binary[`c${i}`]).toBeNull()
          expect(text!.rows[0]![`c${i}`]).toBeNull()
        })
        const bound = yield* c.query("SELECT $1::int4 IS NULL AS a, $2::text IS NULL AS b, $3::int4[] AS c", [null, undefined, null])
        expect(bound.rows[0]).toEqual({ a: true, b: true, c: null })
      })
    ))

  it.live("an anonymous record reads as its field texts", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const expression = "ROW(1, 'a b', NULL, '', 'x\"y', '(,)')"
        const expected = ["1", "a b", null, "", "x\"y", "(,)"]
        expect((yield* c.query(`SELECT ${expression} AS v`)).rows[0]!["v"]).toEqual(expected)
        const [text] = yield* c.execute(`SELECT ${expression} AS v`)
        expect(text!.rows[0]!["v"]).toEqual(expected)
      })
    ))
})

describe("parameters from other JavaScript values", () => {
  it.live("numbers and bigints for int8 and numeric, strings for every type's input syntax", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const { rows } = yield* c.query(
          `SELECT $1::int8 AS a, $2::numeric AS b, $3::numeric AS c, $4::numeric AS d, $5::numeric AS e, $6::numeric AS f,
                  $7::int4 AS g, $8::float8 AS h, $9::uuid AS i, $10::bool AS j, $11::bytea AS k, $12::int4range AS l`,
          [42, 12345678901234567890123n, 0.1, 1e21, -1.5e-7, " 7.50 ", 5n, 2n ** 53n, "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "yes", "\\x0102", "[1,3]"]
        )
        expect(rows[0]).toEqual({
          a: 42n,
          b: "12345678901234567890123",
          c: "0.1",
          d: "1000000000000000000000",
          e: "-0.00000015",
          f: "7.50",
          g: 5,
          h: 2 ** 53,
          i: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
          j: true,
          k: new Uint8Array([1, 2]),
          l: PgRange.make(1, 4)
        })
      })
    ))

  it.live("Dates for timestamps, timestamptz and dates at midnight UTC; arrays with lower bounds and NULLs", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const at = new Date("2001-02-03T04:05:06.007Z")
        const { rows } = yield* c.query(
          "SELECT $1::timestamptz AS a, $2::timestamp AS b, $3::date AS c, $4::int4[] AS d, $5::text[] AS e, $6::int8[] AS f",
          [at, at, new Date("2001-02-03T00:00:00Z"), PgArray.make([[1, null], [3, 4]], [0, 3]), [["a", null], ["NULL", ""]], [1n, null]]
        )
        expect(rows[0]).toEqual({
          a: at,
          b: at,
          c: "2001-02-03",
          d: PgArray.make([[1, null], [3, 4]], [0, 3]),
          e: [["a", null], ["NULL", ""]],
          f: [1n, null]
        })
      })
    ))

  it.live("a value that does not fit the parameter's type is a ParameterError, never a wrong value", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const refused: ReadonlyArray<readonly [string, unknown]> = [
          ["int4", 1.5],
          ["int4", 2 ** 31],
          ["int8", 2 ** 60],
          ["oid", -1],
          ["bool", 1],
          ["float8", {}],
          ["text", { a: 1 }],
          ["text", new Date(0)],
          ["date", new Date("2024-01-01T10:00:00Z")],
          ["timestamptz", new Date(Number.NaN)],
          ["timestamptz", 1_700_000_000_000],
          ["int4[]", [[1], [2, 3]]],
          ["int4[]", [[], []]],
          ["int4[]", 5],
          ["interval", 3600],
          ["int4range", [1, 2]],
          ["point", { x: 1 }],
          ["point", { x: 1, y: 2, z: 3 }],
          ["bytea", [1, 2]],
          ["inet", 167772161]
        ]
        for (const [type, value] of refused) {
          const error = failureOf(yield* Effect.exit(c.query(`SELECT $1::${type} AS v`, [value])))
          expect(error?._tag, `${type} ${String(value)}`).toBe("ParameterError")
        }
        // A boolean or a bigint states its own type in Parse (bool, int8): the server refuses
        // the cast to an unrelated type (42846), again without a wrong value.
        for (const [type, value] of [["int2", true], ["jsonb", 10n]] as const) {
          const error = failureOf(yield* Effect.exit(c.query(`SELECT $1::${type} AS v`, [value])))
          expect(error?._tag === "PgServerError" ? error.code : error?._tag, `${type} ${String(value)}`).toBe("42846")
        }
        // The connection is still usable.
        expect((yield* c.query("SELECT 1::int4 AS one")).rows).toEqual([{ one: 1 }])
      })
    ))
})

describe("Date mode refuses what a Date cannot hold", () => {
  it.live("±infinity and years past 275760 fail to decode with a ValueDecodeError naming the exact mode", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const failing = [
          "SELECT 'infinity'::timestamp AS v",
          "SELECT '-infinity'::timestamptz AS v",
          "SELECT '294276-12-31 00:00:00'::timestamp AS v"
        ]
        for (const statement of failing) {
          const error = failureOf(yield* Effect.exit(c.execute(statement)))
          expect(error?._tag, statement).toBe("ValueDecodeError")
          expect(error?.message).toContain("PgTimestamp")
        }
        // Nested values are read by the codec in binary too.
        const error = failureOf(yield* Effect.exit(c.query("SELECT ARRAY['infinity'::timestamptz] AS v")))
        expect(error?._tag).toBe("ValueDecodeError")
        expect((yield* c.query("SELECT 1::int4 AS one")).rows).toEqual([{ one: 1 }])
      })
    ))
})
