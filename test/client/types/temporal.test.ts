/**
 * Dates, timestamps and intervals against a real PostgreSQL 18 beyond the
 * default mapping: the exact modes (`PgTimestamp`, `PgDate`) over the whole
 * range with ±infinity and microseconds, timestamptz text in other session
 * time zones (offsets with minutes and seconds), and interval text in all
 * four IntervalStyles. The expected values come from the server itself
 * (`extract(epoch ...)`, date arithmetic), not from the code under test.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type { PgConnectionShape } from "../../../src/client/PgConnection.ts"
import { PgInterval } from "../../../src/client/types/Interval.ts"
import { Oid } from "../../../src/client/types/Oids.ts"
import { TypeRegistry } from "../../../src/client/types/Registry.ts"
import { PgDate, PgTimestamp } from "../../../src/client/types/Temporal.ts"
import { fromBinary, hex, toBinary, withConnection } from "./support.ts"

const exact = new TypeRegistry({ timestamps: "PgTimestamp", dates: "PgDate" })

/**
 * The server's own count of microseconds since 1970 of a finite timestamp
 * (in the session's time zone, UTC here): whole days by date arithmetic
 * plus the time of day, in numeric (past 2^63 at 294276 AD).
 */
const epochMicros = (c: PgConnectionShape, expression: string) =>
  Effect.map(
    c.query(
      `SELECT (((${expression})::date - '1970-01-01'::date)::numeric * 86400000000
               + extract(epoch FROM (${expression})::time) * 1000000)::numeric(40, 0)::text AS micros`
    ),
    ({ rows }) => PgTimestamp.fromMicros(BigInt(rows[0]!["micros"] as string))
  )

const exactCheck = (c: PgConnectionShape, type: "timestamp" | "timestamptz" | "date", literal: string, expected: unknown) =>
  Effect.gen(function*() {
    const codec = exact.codec(Oid[type])
    const expression = `'${literal}'::${type}`
    const row = (yield* c.query(`SELECT ${type === "date" ? "date_send" : `${type}_send`}(${expression}) AS b, ${expression}::text AS t`))
      .rows[0]!
    const bytes = row["b"] as Uint8Array
    expect(fromBinary(codec, bytes), `${literal} binary`).toEqual(expected)
    expect(codec.readText(row["t"] as string), `${literal} text`).toEqual(expected)
    expect(hex(toBinary(codec, expected)), `${literal} binary parameter`).toBe(hex(bytes))
    const same = yield* c.query(`SELECT $1::text::${type} = ${expression} AS same`, [codec.writeText(expected)])
    expect(same.rows[0]!["same"], `${literal} text parameter`).toBe(true)
  })

describe("exact timestamps and dates", () => {
  it.live("PgTimestamp keeps microseconds, BC, 294276 AD and ±infinity, in both formats and both directions", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const literals = [
          "294276-12-31 23:59:59.999999",
          "4714-11-24 00:00:00 BC",
          "0001-01-01 00:00:00 BC",
          "2024-01-01 00:00:00.123456",
          "1969-12-31 23:59:59.999999",
          "1970-01-01 00:00:00",
          "infinity",
          "-infinity"
        ]
        for (const type of ["timestamp", "timestamptz"] as const) {
          for (const literal of literals) {
            const full = type === "timestamptz" && !literal.includes("infinity")
              ? literal.replace(/( BC)?$/, "+00$1")
              : literal
            const expected = literal === "infinity"
              ? PgTimestamp.infinity
              : literal === "-infinity"
              ? PgTimestamp.negativeInfinity
              : yield* epochMicros(c, `'${full}'::${type}`)
            yield* exactCheck(c, type, full, expected)
          }
        }
        expect(PgTimestamp.infinity.isFinite).toBe(false)
        expect(PgTimestamp.infinity.micros > PgTimestamp.parse("294276-12-31 23:59:59.999999")!.micros).toBe(true)
      })
    ))

  it.live("PgDate covers 4713 BC to 5874897 AD and ±infinity", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        for (const literal of ["4713-11-24 BC", "0001-01-01 BC", "1969-12-31", "2000-01-01", "2024-02-29", "5874897-12-31"]) {
          const days = (yield* c.query(`SELECT '${literal}'::date - '1970-01-01'::date AS days`)).rows[0]!["days"] as number
          yield* exactCheck(c, "date", literal, PgDate.fromDays(days))
        }
        yield* exactCheck(c, "date", "infinity", PgDate.infinity)
        yield* exactCheck(c, "date", "-infinity", PgDate.negativeInfinity)
        expect(PgDate.fromParts(0, 1, 1)?.toString()).toBe("0001-01-01 BC")
        expect(PgDate.fromParts(2023, 2, 29)).toBeUndefined()
      })
    ))

  it.live("a Date or PgTimestamp parameter of a timestamp reads back exactly", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const micros = PgTimestamp.fromMicros(1_700_000_000_123_456n)
        const { rows } = yield* c.query(
          "SELECT (extract(epoch FROM $1::timestamptz) * 1000000)::int8 AS a, $2::timestamp::text AS b, $3::date AS c",
          [micros, PgTimestamp.negativeInfinity, PgDate.fromParts(-4712, 1, 1)]
        )
        expect(rows[0]).toEqual({ a: 1_700_000_000_123_456n, b: "-infinity", c: "4713-01-01 BC" })
      })
    ))
})

describe("timestamptz text in other time zones", () => {
  it.live("text with any UTC offset reads as the same instant as binary, in both modes", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const instants = [
          "1800-01-01 00:00:00+00",
          "2024-07-01 12:00:00.5+00",
          "2024-01-01 00:00:00.000001+00",
          "0001-06-01 00:00:00+00 BC"
        ]
        for (const zone of ["Europe/Paris", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham"]) {
          yield* c.execute(`SET TimeZone = '${zone}'`)
          for (const instant of instants) {
            const expression = `'${instant}'::timestamptz`
            const row = (yield* c.query(`SELECT timestamptz_send(${expression}) AS b, ${expression}::text AS t`)).rows[0]!
            const text = row["t"] as string
            const codec = exact.codec(Oid.timestamptz)
            expect(codec.readText(text), `${zone} ${text}`).toEqual(fromBinary(codec, row["b"] as Uint8Array))
            // Date mode, through the simple and the extended protocol.
            const [simple] = yield* c.execute(`SELECT ${expression} AS v`)
            const extended = yield* c.query(`SELECT ${expression} AS v`)
            expect(simple!.rows[0]!["v"], `${zone} ${text}`).toEqual(extended.rows[0]!["v"])
          }
        }
      })
    ))
})

describe("interval in every IntervalStyle", () => {
  it.live("the text of postgres, postgres_verbose, sql_standard and iso_8601 reads as the binary value", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const literals = [
          "1 year 2 mons -3 days 04:05:06.789",
          "-1 years -2 mons +3 days",
          "-1 days -2 hours",
          "1 day -00:00:01",
          "-00:00:01.5",
          "0",
          "3 days",
          "1 mon 1 sec",
          "-1 year -2 mons -3 days -1 sec",
          "178000000 years",
          "2562047788:00:54.775807",
          "-0.000001 sec",
          "infinity",
          "-infinity"
        ]
        const list = literals.map((l, i) => `'${l}'::interval AS i${i}`).join(", ")
        const binary = (yield* c.query(`SELECT ${list}`)).rows[0]!
        for (const style of ["postgres", "postgres_verbose", "sql_standard", "iso_8601"]) {
          const [, result] = yield* c.execute(`SET intervalstyle = '${style}'; SELECT ${list}`)
          literals.forEach((literal, i) => {
            expect(result!.rows[0]![`i${i}`], `${style}: ${literal}`).toEqual(binary[`i${i}`])
          })
        }
        // PgInterval spells itself as the server does in the postgres and iso_8601 styles.
        const texts = literals.map((l, i) => `'${l}'::interval::text AS i${i}`).join(", ")
        for (const [style, spell] of [["postgres", "toString"], ["iso_8601", "toISOString"]] as const) {
          const [, result] = yield* c.execute(`SET intervalstyle = '${style}'; SELECT ${texts}`)
          literals.forEach((literal, i) => {
            expect((binary[`i${i}`] as PgInterval)[spell](), `${style}: ${literal}`).toBe(result!.rows[0]![`i${i}`])
          })
        }
      })
    ))
})
