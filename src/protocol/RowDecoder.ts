/**
 * Decoding DataRow values while the row is parsed, so a client never holds a
 * view per column: the parser hands the row's bytes to a `RowDecoder` and
 * emits the decoded values.
 *
 * `makeRowDecoder` builds one from a decoder per column. The binary formats
 * of the types nearly every result has (integers, floats, bool, text,
 * timestamps) are decoded inline in one `switch` of the row loop; anything
 * else calls the column's own `FieldReader`. Measured with `bench/codec.ts`:
 * the inline switch is what puts row decoding ahead of a call per field.
 *
 * @since 0.1.0
 */
import { CodecFailure, fail } from "./ProtocolError.ts"
import { decodeUtf8 } from "./Utf8.ts"

/**
 * Reads one non-NULL value from `bytes[start, start + length)`. It may throw
 * only through the codec's own failure helpers; anything else it throws is
 * reported as a ProtocolError of the row.
 *
 * @since 0.1.0
 * @category models
 */
export type FieldReader<A = unknown> = (bytes: Uint8Array, start: number, length: number) => A

/**
 * Turns the body of one DataRow (`bytes[start, end)`, column count included)
 * into a row: an array of values, or an object keyed by column name.
 *
 * @since 0.1.0
 * @category models
 */
export type RowDecoder<R> = (bytes: Uint8Array, start: number, end: number) => R

/**
 * How a column is decoded: one of the inline binary kinds, or `Custom` with a
 * `FieldReader`, or `Raw` for the value's bytes as a copy.
 *
 * @since 0.1.0
 * @category constants
 */
export const ColumnKind = {
  /** A copy of the bytes (`Uint8Array`). */
  Raw: 0,
  /** UTF-8 text in any format (`string`). */
  Text: 1,
  /** Binary int2 (`number`). */
  Int2: 2,
  /** Binary int4 (`number`). */
  Int4: 3,
  /** Binary int8 (`bigint`). */
  Int8: 4,
  /** Binary float4 (`number`). */
  Float4: 5,
  /** Binary float8 (`number`). */
  Float8: 6,
  /** Binary bool (`boolean`). */
  Bool: 7,
  /** Binary timestamp / timestamptz as a `Date` (millisecond precision; ±infinity as ±Infinity time). */
  TimestampDate: 8,
  /** Binary oid, an unsigned int4 (`number`). */
  Oid: 9,
  /** The column's own `FieldReader`. */
  Custom: 10
} as const

/** @since 0.1.0 @category models */
export type ColumnKind = (typeof ColumnKind)[keyof typeof ColumnKind]

/**
 * Told about a value that does not decode (the column's position and why);
 * the row then holds `undefined` there and parsing goes on. Without a
 * handler such a value fails the parser.
 *
 * @since 0.1.0
 * @category models
 */
export type ValueErrorHandler = (column: number, reason: string) => void

/** @since 0.1.0 @category models */
export interface ColumnDecoder {
  readonly kind: ColumnKind
  /** Required for `Custom`. */
  readonly read?: FieldReader | undefined
  /** The property name in object rows; default the column's position. */
  readonly name?: string | undefined
}

// Microseconds between 1970-01-01 and PostgreSQL's epoch, 2000-01-01.
const postgresEpochMillis = 946_684_800_000
const infinity = 0x7fffffff
const float = new DataView(new ArrayBuffer(8))

const readInt32 = (b: Uint8Array, p: number): number => (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!

const expectLength = (length: number, expected: number, column: number): void => {
  if (length !== expected) fail("InvalidValue", `column ${column}: expected ${expected} bytes, got ${length}`)
}

/** A timestamp's int64 microseconds as epoch milliseconds. */
const timestampMillis = (b: Uint8Array, p: number): number => {
  const high = readInt32(b, p)
  const low = readInt32(b, p + 4) >>> 0
  if (high === infinity && low === 0xffffffff) return Infinity
  if (high === -0x80000000 && low === 0) return -Infinity
  // Exact while |micros| < 2^53 (about 285 years from 2000); beyond, BigInt.
  if (high < 0x200000 && high >= -0x200000) {
    return Math.floor((high * 4294967296 + low) / 1000) + postgresEpochMillis
  }
  const micros = (BigInt(high) << 32n) | BigInt(low)
  const millis = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n)
  return Number(millis) + postgresEpochMillis
}

/**
 * Builds a row decoder from one decoder per column: rows come out as arrays
 * of values, or with `"object"` as objects with one property per column
 * named by `ColumnDecoder.name` (a later column of the same name wins, as in
 * most drivers). A row whose column count differs from `columns.length` is a
 * ProtocolError.
 *
 * @since 0.1.0
 * @category constructors
 */
export function makeRowDecoder(
  columns: ReadonlyArray<ColumnDecoder>,
  shape?: "array",
  onValueError?: ValueErrorHandler
): RowDecoder<Array<unknown>>
export function makeRowDecoder(
  columns: ReadonlyArray<ColumnDecoder>,
  shape: "object",
  onValueError?: ValueErrorHandler
): RowDecoder<Record<string, unknown>>
export function makeRowDecoder(
  columns: ReadonlyArray<ColumnDecoder>,
  shape: "array" | "object" = "array",
  onValueError?: ValueErrorHandler
): RowDecoder<Array<unknown> | Record<string, unknown>> {
  const count = columns.length
  const kinds = new Uint8Array(count)
  const readers: Array<FieldReader | undefined> = new Array(count)
  for (let i = 0; i < count; i++) {
    kinds[i] = columns[i]!.kind
    readers[i] = columns[i]!.read
  }
  // For object rows every property is written in the same order for every
  // row, so rows share one hidden class; no array is built in between.
  const keys = shape === "array" ? undefined : columns.map((column, i) => column.name ?? String(i))
  return (bytes, start, end) => {
    if (start + 2 > end) fail("Truncated", "DataRow: missing column count")
    const actual = (bytes[start]! << 8) | bytes[start + 1]!
    if (actual !== count) fail("InvalidValue", `DataRow has ${actual} columns, the RowDescription ${count}`)
    const values: Array<unknown> | undefined = keys === undefined ? new Array(count) : undefined
    const row: Record<string, unknown> | undefined = keys === undefined ? undefined : {}
    let p = start + 2
    let i = 0
    // Where the value being decoded ends, or -1 while reading the row's
    // structure: a failure inside a value may be survivable, one in the
    // structure never is. The try sits outside the column loop so the loop
    // itself carries no handler.
    let valueEnd = -1
    for (;;) {
      try {
        for (; i < count; i++) {
          valueEnd = -1
          if (p + 4 > end) fail("Truncated", `DataRow: column ${i} of ${count} has no length`)
          const length = readInt32(bytes, p)
          p += 4
          let value: unknown = null
          if (length < 0) {
            if (length !== -1) fail("InvalidLength", `DataRow: column ${i} has length ${length}`)
          } else {
            if (p + length > end) fail("Truncated", `DataRow: column ${i} declares ${length} bytes, ${end - p} left`)
            valueEnd = p + length
            switch (kinds[i]) {
              case ColumnKind.Text:
                value = decodeUtf8(bytes, p, p + length)
                break
              case ColumnKind.Int4:
                expectLength(length, 4, i)
                value = readInt32(bytes, p)
                break
              case ColumnKind.Int2:
                expectLength(length, 2, i)
                value = ((bytes[p]! << 8) | bytes[p + 1]!) << 16 >> 16
                break
              case ColumnKind.Int8:
                expectLength(length, 8, i)
                value = (BigInt(readInt32(bytes, p)) << 32n) | BigInt(readInt32(bytes, p + 4) >>> 0)
                break
              case ColumnKind.Float4:
                expectLength(length, 4, i)
                float.setInt32(0, readInt32(bytes, p))
                value = float.getFloat32(0)
                break
              case ColumnKind.Float8:
                expectLength(length, 8, i)
                float.setInt32(0, readInt32(bytes, p))
                float.setInt32(4, readInt32(bytes, p + 4))
                value = float.getFloat64(0)
                break
              case ColumnKind.Bool:
                expectLength(length, 1, i)
                value = bytes[p] !== 0
                break
              case ColumnKind.TimestampDate: {
                expectLength(length, 8, i)
                const millis = timestampMillis(bytes, p)
                // A Date cannot hold ±infinity or years past 275760: fail rather than give an Invalid Date.
                if (!(millis >= -8.64e15 && millis <= 8.64e15)) {
                  fail("InvalidValue", `timestamp ${millis > 0 ? "infinity or after 275760 AD" : "-infinity or before 271821 BC"} does not fit a Date; decode timestamps as PgTimestamp`)
                }
                value = new Date(millis)
                break
              }
              case ColumnKind.Oid:
                expectLength(length, 4, i)
                value = readInt32(bytes, p) >>> 0
                break
              case ColumnKind.Custom:
                value = readers[i]!(bytes, p, length)
                break
              default: {
                // A copy, as a plain Uint8Array even when the chunk is a Node Buffer.
                const copy = new Uint8Array(length)
                copy.set(bytes.subarray(p, p + length))
                value = copy
              }
            }
            p += length
          }
          if (row === undefined) values![i] = value
          else row[keys![i]!] = value
        }
        break
      } catch (thrown) {
        // A value that does not decode: with a handler it fails the query,
        // not the stream (the frame itself was well formed).
        if (onValueError === undefined || valueEnd === -1) {
          // Whatever a custom reader threw fails the row as a codec failure, so the parser reports a ProtocolError.
          throw thrown instanceof CodecFailure ? thrown : new CodecFailure("InvalidValue", `column ${i}: decoder failed: ${String(thrown)}`)
        }
        onValueError(i, thrown instanceof CodecFailure ? thrown.message : `decoder failed: ${String(thrown)}`)
        if (row === undefined) values![i] = undefined
        else row[keys![i]!] = undefined
        p = valueEnd
        i++
      }
    }
    if (p !== end) fail("TrailingBytes", `DataRow: ${end - p} byte(s) after the last column`)
    return row === undefined ? values! : row
  }
}
