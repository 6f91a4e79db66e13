/**
 * Codecs of date, time, timetz, timestamp and timestamptz, in both formats.
 *
 * - timestamp / timestamptz read as `Date` (millisecond precision, the
 *   default) or as `PgTimestamp` (exact microseconds, ±infinity, the whole
 *   range). In `Date` mode a value a Date cannot hold (±infinity, beyond
 *   ±275760 years) is a decode failure naming the exact mode, never a wrong
 *   or invalid Date.
 * - date reads as PostgreSQL's ISO spelling (`"2024-02-29"`, `"0001-01-01 BC"`,
 *   `"infinity"`, the default) or as `PgDate`. Both are exact.
 * - time and timetz read as PostgreSQL's spelling (`"13:45:00.5"`,
 *   `"13:45:00+05:30"`), exact in both formats.
 *
 * Text results are read in PostgreSQL's default ISO DateStyle (any time
 * zone offset); another DateStyle's text is a decode failure, never a
 * misread. Binary results do not depend on DateStyle or TimeZone.
 *
 * @since 0.1.0
 */
import { ColumnKind } from "../../protocol/RowDecoder.ts"
import type { Writer } from "../../protocol/Writer.ts"
import { cannotEncode, type Codec, expectLength, int32At, int64At, invalid, neverBinary, noBinaryWriter } from "./Codec.ts"
import { Oid } from "./Oids.ts"
import {
  formatDate,
  formatOffset,
  formatTimeOfDay,
  formatTimestamp,
  maxDateMillis,
  microsPerDay,
  parseDate,
  parseTimestamp,
  PgDate,
  PgTimestamp,
  postgresEpochDays,
  postgresEpochMicros
} from "./Temporal.ts"

/**
 * How timestamp and timestamptz values read: `"Date"` (millisecond
 * precision) or `"PgTimestamp"` (exact).
 *
 * @since 0.1.0
 * @category models
 */
export type TimestampMode = "Date" | "PgTimestamp"

/**
 * How date values read: `"string"` (PostgreSQL's ISO spelling) or `"PgDate"`.
 *
 * @since 0.1.0
 * @category models
 */
export type DateMode = "string" | "PgDate"

const int32Max = 2147483647
const int32Min = -2147483648
const int64Max = 2n ** 63n - 1n
const int64Min = -(2n ** 63n)

// ---------------------------------------------------------------------------
// date

const dateDaysOfBinary = (b: Uint8Array, start: number, length: number): number => {
  expectLength("date", length, 4)
  const raw = int32At(b, start)
  return raw === int32Max ? Infinity : raw === int32Min ? -Infinity : raw + postgresEpochDays
}

/** The day count a date parameter stands for, or undefined when it is not a date value. */
const daysOfValue = (value: unknown): number | undefined => {
  if (value instanceof PgDate) return value.days
  // A Date only at midnight UTC: any other time of day would have to be
  // dropped, or read in some time zone, to make a date of it.
  if (value instanceof Date) {
    const millis = value.getTime()
    return Number.isFinite(millis) && millis % 86_400_000 === 0 ? millis / 86_400_000 : undefined
  }
  return undefined
}

/** @since 0.1.0 @category codecs */
export const date = (mode: DateMode): Codec => {
  const make = mode === "string" ? formatDate : (days: number) => PgDate.fromDays(days)!
  return {
    oid: Oid.date,
    name: "date",
    delimiter: ",",
    readBinary: (b, start, length) => make(dateDaysOfBinary(b, start, length)),
    readText: (text) => {
      const days = parseDate(text)
      return days === undefined ? invalid("date", `cannot read "${text}" (ISO DateStyle expected)`) : make(days)
    },
    sendsBinary: (value) => {
      const days = daysOfValue(value)
      return days !== undefined && (!Number.isFinite(days) || (days - postgresEpochDays > int32Min && days - postgresEpochDays < int32Max))
    },
    writeBinary: (w, value) => {
      const days = daysOfValue(value)!
      w.i32(days === Infinity ? int32Max : days === -Infinity ? int32Min : days - postgresEpochDays)
    },
    writeText: (value) => {
      if (typeof value === "string") return value
      const days = daysOfValue(value)
      if (days !== undefined) return formatDate(days)
      return cannotEncode(
        "date",
        value,
        value instanceof Date ? "the Date is not at midnight UTC; pass a 'YYYY-MM-DD' string or a PgDate" : undefined
      )
    }
  }
}

// ---------------------------------------------------------------------------
// timestamp, timestamptz

const floorDiv = (a: bigint, b: bigint): bigint => {
  const q = a / b
  return a % b < 0n ? q - 1n : q
}

/** A timestamp (microseconds since 1970) as a Date, or a decode failure naming the exact mode. */
const toDate = (name: string, micros: bigint): Date => {
  if (micros === PgTimestamp.infinity.micros || micros === PgTimestamp.negativeInfinity.micros) {
    return invalid(name, `${micros > 0n ? "infinity" : "-infinity"} does not fit a Date; read timestamps as PgTimestamp (TypeRegistry option timestamps: "PgTimestamp")`)
  }
  const millis = Number(floorDiv(micros, 1000n))
  if (Math.abs(millis) > maxDateMillis) {
    return invalid(name, `${formatTimestamp(micros, false)} is beyond a Date's range; read timestamps as PgTimestamp (TypeRegistry option timestamps: "PgTimestamp")`)
  }
  return new Date(millis)
}

const postgresEpochMillis = 946_684_800_000
const two32 = 4_294_967_296

/**
 * A Date's microseconds since 2000 as int64, in float arithmetic while it
 * is exact (|micros| < 2^53, about ±285 years from 2000) and through a
 * bigint beyond: most parameters are near now, and the bigint costs about
 * three times as much (measured with a loop of 2,000,000 Bind parameters).
 */
const writeDateMicros = (w: Writer, millis: number): void => {
  const offset = millis - postgresEpochMillis
  if (Math.abs(offset) >= 9_007_199_254_740) return w.i64(BigInt(offset) * 1000n)
  const micros = offset * 1000
  const high = Math.floor(micros / two32)
  w.i32(high)
  w.i32(micros - high * two32)
}

/** Microseconds since 1970 of a timestamp parameter value, or undefined when it is not one. */
const microsOfValue = (value: unknown): bigint | undefined => {
  if (value instanceof PgTimestamp) return value.micros
  if (value instanceof Date) {
    const millis = value.getTime()
    return Number.isNaN(millis) ? undefined : BigInt(millis) * 1000n
  }
  return undefined
}

/** @since 0.1.0 @category codecs */
export const timestamp = (withZone: boolean, mode: TimestampMode): Codec => {
  const name = withZone ? "timestamptz" : "timestamp"
  const make = mode === "Date" ? (micros: bigint) => toDate(name, micros) : PgTimestamp.fromMicros
  return {
    oid: withZone ? Oid.timestamptz : Oid.timestamp,
    name,
    delimiter: ",",
    binaryKind: mode === "Date" ? ColumnKind.TimestampDate : undefined,
    readBinary: (b, start, length) => {
      expectLength(name, length, 8)
      return make(int64At(b, start) + postgresEpochMicros)
    },
    readText: (text) => {
      const micros = parseTimestamp(text)
      return micros === undefined ? invalid(name, `cannot read "${text}" (ISO DateStyle expected)`) : make(micros)
    },
    sendsBinary: (value) => {
      // Every valid Date fits (±275760 years); a PgTimestamp must fit int64 from 2000.
      if (value instanceof Date) return !Number.isNaN(value.getTime())
      if (!(value instanceof PgTimestamp)) return false
      const shifted = value.micros - postgresEpochMicros
      return shifted >= int64Min && shifted <= int64Max
    },
    writeBinary: (w: Writer, value) => {
      if (value instanceof Date) return writeDateMicros(w, value.getTime())
      w.i64((value as PgTimestamp).micros - postgresEpochMicros)
    },
    writeText: (value) => {
      if (typeof value === "string") return value
      const micros = microsOfValue(value)
      if (micros === undefined) return cannotEncode(name, value, value instanceof Date ? "an invalid Date" : undefined)
      if (micros === PgTimestamp.infinity.micros) return "infinity"
      if (micros === PgTimestamp.negativeInfinity.micros) return "-infinity"
      return formatTimestamp(micros, withZone)
    }
  }
}

// ---------------------------------------------------------------------------
// time, timetz

const timePattern = /^\d\d:\d\d:\d\d(?:\.\d{1,6})?$/
const timetzPattern = /^\d\d:\d\d:\d\d(?:\.\d{1,6})?[+-]\d\d(?::\d\d){0,2}$/

const readTimeOfDay = (name: string, b: Uint8Array, start: number): string => {
  const micros = int64At(b, start)
  if (micros < 0n || micros > microsPerDay) return invalid(name, `${micros} microseconds is not a time of day`)
  return formatTimeOfDay(Number(micros))
}

const timeText = (name: string) => (value: unknown): string =>
  typeof value === "string" ? value : cannotEncode(name, value, "pass the time as a string such as '13:45:00.5'")

/** @since 0.1.0 @category codecs */
export const time: Codec = {
  oid: Oid.time,
  name: "time",
  delimiter: ",",
  readBinary: (b, start, length) => {
    expectLength("time", length, 8)
    return readTimeOfDay("time", b, start)
  },
  readText: (text) => (timePattern.test(text) ? text : invalid("time", `cannot read "${text}"`)),
  textIsValue: true,
  sendsBinary: neverBinary,
  writeBinary: noBinaryWriter,
  writeText: timeText("time")
}

/** @since 0.1.0 @category codecs */
export const timetz: Codec = {
  oid: Oid.timetz,
  name: "timetz",
  delimiter: ",",
  readBinary: (b, start, length) => {
    expectLength("timetz", length, 12)
    // The zone is stored as seconds west of UTC.
    return readTimeOfDay("timetz", b, start) + formatOffset(-int32At(b, start + 8))
  },
  readText: (text) => (timetzPattern.test(text) ? text : invalid("timetz", `cannot read "${text}"`)),
  textIsValue: true,
  sendsBinary: neverBinary,
  writeBinary: noBinaryWriter,
  writeText: timeText("timetz")
}
