/**
 * Codecs of bool and the number types: the integers (int8 as bigint), oid,
 * float4 and float8 (NaN, ±Infinity and -0 kept in both formats), and
 * money (as the server's text).
 *
 * Not here: numeric (`Numeric.ts`), the string-valued types
 * (`Strings.ts`), dates and times, and the containers.
 *
 * @since 0.1.0
 */
import { ColumnKind, type FieldReader } from "../../protocol/RowDecoder.ts"
import type { Writer } from "../../protocol/Writer.ts"
import {
  cannotEncode,
  type Codec,
  expectLength,
  float32At,
  float64At,
  floatText,
  int16At,
  int32At,
  int64At,
  invalid,
  makeCodec as codec,
  parseInteger
} from "./Codec.ts"
import { Oid } from "./Oids.ts"

const identity = (text: string): string => text

// ---------------------------------------------------------------------------
// bool

const readBoolText = (text: string): boolean => {
  if (text === "t") return true
  if (text === "f") return false
  return invalid("bool", `"${text}" is not t or f`)
}

/** @since 0.1.0 @category codecs */
export const bool: Codec = codec({
  oid: Oid.bool,
  name: "bool",
  binaryKind: ColumnKind.Bool,
  readBinary: (bytes, start, length) => {
    expectLength("bool", length, 1)
    return bytes[start] !== 0
  },
  readText: readBoolText,
  sendsBinary: (value) => typeof value === "boolean",
  writeBinary: (w, value) => w.u8(value ? 1 : 0),
  writeText: (value) => (typeof value === "string" ? value : typeof value === "boolean" ? (value ? "t" : "f") : cannotEncode("bool", value))
})

// ---------------------------------------------------------------------------
// Integers

const int64Min = -(2n ** 63n)
const int64Max = 2n ** 63n - 1n

/** An integer type of the given range, read as number (`bigint` for int8). */
const integer = (
  oid: number,
  name: string,
  bytes: 2 | 4 | 8,
  min: bigint,
  max: bigint,
  kind: ColumnKind
): Codec => {
  const minN = Number(min)
  const maxN = Number(max)
  const fits = (value: unknown): boolean =>
    typeof value === "bigint"
      ? value >= min && value <= max
      : typeof value === "number" && (bytes === 8 ? Number.isSafeInteger(value) : Number.isInteger(value) && value >= minN && value <= maxN)
  const readText = bytes === 8
    ? (text: string): bigint => {
      if (!/^[+-]?\d+$/.test(text)) return invalid(name, `"${text}" is not an integer`)
      return BigInt(text)
    }
    : (text: string): number => parseInteger(name, text)
  const readBinary: FieldReader = bytes === 2
    ? (b, start, length) => {
      expectLength(name, length, 2)
      return int16At(b, start)
    }
    : bytes === 4
    ? oid === Oid.oid
      ? (b, start, length) => {
        expectLength(name, length, 4)
        return int32At(b, start) >>> 0
      }
      : (b, start, length) => {
        expectLength(name, length, 4)
        return int32At(b, start)
      }
    : (b, start, length) => {
      expectLength(name, length, 8)
      return int64At(b, start)
    }
  const writeBinary = bytes === 2
    ? (w: Writer, value: unknown) => w.i16(Number(value))
    : bytes === 4
    ? (w: Writer, value: unknown) => w.i32(Number(value))
    : (w: Writer, value: unknown) => w.i64(BigInt(value as number | bigint))
  return codec({
    oid,
    name,
    binaryKind: kind,
    readBinary,
    readText,
    sendsBinary: fits,
    writeBinary,
    writeText: (value) => {
      if (typeof value === "string") return value
      if (fits(value)) return String(value)
      if (typeof value === "number" && Number.isInteger(value) && bytes === 8) {
        return cannotEncode(name, value, "a number beyond 2^53 may already have lost precision; pass a bigint")
      }
      return cannotEncode(name, value, typeof value === "number" || typeof value === "bigint" ? `out of range or not an integer` : undefined)
    }
  })
}

/** @since 0.1.0 @category codecs */
export const int2: Codec = integer(Oid.int2, "int2", 2, -32768n, 32767n, ColumnKind.Int2)
/** @since 0.1.0 @category codecs */
export const int4: Codec = integer(Oid.int4, "int4", 4, -2147483648n, 2147483647n, ColumnKind.Int4)
/** @since 0.1.0 @category codecs */
export const int8: Codec = integer(Oid.int8, "int8", 8, int64Min, int64Max, ColumnKind.Int8)
/** @since 0.1.0 @category codecs */
export const oid: Codec = integer(Oid.oid, "oid", 4, 0n, 4294967295n, ColumnKind.Oid)

// ---------------------------------------------------------------------------
// Floats

const readFloat = (name: string, round: (n: number) => number) => (text: string): number => {
  const n = Number(text)
  if (text.length === 0 || (Number.isNaN(n) && text !== "NaN")) return invalid(name, `"${text}" is not a number`)
  return round(n)
}

const floatValue = (value: unknown): number | undefined => {
  if (typeof value === "number") return value
  // A bigint only when the float holds it exactly.
  if (typeof value === "bigint" && BigInt(Number(value)) === value) return Number(value)
  return undefined
}

const floating = (oid: number, name: string, size: 4 | 8): Codec =>
  codec({
    oid,
    name,
    binaryKind: size === 4 ? ColumnKind.Float4 : ColumnKind.Float8,
    readBinary: size === 4
      ? (b, start, length) => {
        expectLength(name, length, 4)
        return float32At(b, start)
      }
      : (b, start, length) => {
        expectLength(name, length, 8)
        return float64At(b, start)
      },
    // float4's text is the shortest decimal that reads back as the same
    // float4, so rounding to float4 gives exactly what binary gives.
    readText: readFloat(name, size === 4 ? Math.fround : (n) => n),
    sendsBinary: (value) => floatValue(value) !== undefined,
    writeBinary: size === 4 ? (w, value) => w.f32(floatValue(value)!) : (w, value) => w.f64(floatValue(value)!),
    writeText: (value) => {
      if (typeof value === "string") return value
      const n = floatValue(value)
      return n === undefined ? cannotEncode(name, value) : floatText(n)
    }
  })

/** @since 0.1.0 @category codecs */
export const float4: Codec = floating(Oid.float4, "float4", 4)
/** @since 0.1.0 @category codecs */
export const float8: Codec = floating(Oid.float8, "float8", 8)

// ---------------------------------------------------------------------------
// money

/**
 * Reads money's binary format (an int64 count of the currency's smallest
 * unit) as a plain decimal string with `fractionDigits` digits after the
 * point. The scale is the server's `lc_monetary` currency's, which a client
 * cannot see, so result columns of money are asked for in text; this reader
 * is for callers who know the scale.
 *
 * @since 0.1.0
 * @category codecs
 */
export const moneyFromBinary = (fractionDigits: number): FieldReader => (b, start, length) => {
  expectLength("money", length, 8)
  const units = int64At(b, start)
  const digits = (units < 0n ? -units : units).toString().padStart(fractionDigits + 1, "0")
  const whole = digits.slice(0, digits.length - fractionDigits)
  const fraction = digits.slice(digits.length - fractionDigits)
  return `${units < 0n ? "-" : ""}${whole}${fractionDigits > 0 ? `.${fraction}` : ""}`
}

/**
 * money as the server prints it (`$1,234.56` with lc_monetary C), in text
 * both ways: its binary scale depends on the server's locale.
 *
 * @since 0.1.0
 * @category codecs
 */
export const money: Codec = codec({
  oid: Oid.money,
  name: "money",
  readBinary: moneyFromBinary(2),
  preferText: true,
  readText: identity,
  textIsValue: true,
  writeText: (value) =>
    typeof value === "string"
      ? value
      : typeof value === "bigint" || (typeof value === "number" && Number.isFinite(value))
      ? String(value)
      : cannotEncode("money", value)
})
