/**
 * Values on the server side: the type OIDs a handler describes columns and
 * parameters with, the encoders that write a JavaScript value into a
 * DataRow in the text or binary format the client asked for, and the
 * decoders that turn Bind parameters into JavaScript values.
 *
 * Binary formats: bool, bytea, int2, int4, int8, oid, float4, float8, the
 * text types (text, varchar, bpchar, name, unknown), json, jsonb, uuid,
 * date, timestamp and timestamptz. Every type has a text format; a client
 * that asks for binary results of any other type gets an error at Bind, as
 * PostgreSQL answers for a type without a binary output function.
 *
 * What it is not: a type system for user-defined types. A handler that needs
 * one hands over strings (text format) or encoded bytes.
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import { Writer } from "../protocol/Writer.ts"
import { ArrayOid, Oid as BuiltinOid } from "../protocol/Oid.ts"
import { pgError, type PgError } from "./PgError.ts"

/**
 * The OIDs of PostgreSQL's built-in types (the protocol layer's table), and
 * 0 for a parameter whose type Parse leaves to the server.
 *
 * @since 0.1.0
 * @category constants
 */
export const Oid = { unspecified: 0, ...BuiltinOid } as const

/** @since 0.1.0 */
export { ArrayOid } from "../protocol/Oid.ts"

const fixedSizes: Readonly<Record<number, number>> = {
  [Oid.bool]: 1,
  [Oid.char]: 1,
  [Oid.name]: 64,
  [Oid.int8]: 8,
  [Oid.int2]: 2,
  [Oid.int4]: 4,
  [Oid.oid]: 4,
  [Oid.float4]: 4,
  [Oid.float8]: 8,
  [Oid.date]: 4,
  [Oid.time]: 8,
  [Oid.timestamp]: 8,
  [Oid.timestamptz]: 8,
  [Oid.interval]: 16,
  [Oid.uuid]: 16,
  [Oid.void]: 4
}

/**
 * `pg_type.typlen` of a built-in type: its fixed size, or -1 (variable).
 *
 * @since 0.1.0
 * @category accessors
 */
export const typeSize = (oid: number): number => fixedSizes[oid] ?? -1

/**
 * Thrown by an encoder or decoder (inside the server's row and parameter
 * loops, which catch it); the session turns it into an ErrorResponse.
 *
 * @since 0.1.0
 * @category errors
 */
export class ValueError {
  readonly code: string
  readonly message: string
  constructor(code: string, message: string) {
    this.code = code
    this.message = message
  }
}

const fail = (code: string, message: string): never => {
  throw new ValueError(code, message)
}

// ---------------------------------------------------------------------------
// Text output

const pad2 = (n: number): string => (n < 10 ? "0" : "") + n

const pad4 = (n: number): string => String(n).padStart(4, "0")

const dateText = (d: Date): string => `${pad4(d.getUTCFullYear())}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`

const timeText = (d: Date): string => {
  const ms = d.getUTCMilliseconds()
  return `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}${
    ms === 0 ? "" : "." + String(ms).padStart(3, "0").replace(/0+$/, "")
  }`
}

const hexDigits = "0123456789abcdef"

const byteaText = (bytes: Uint8Array): string => {
  let out = "\\x"
  for (let i = 0; i < bytes.length; i++) out += hexDigits[bytes[i]! >> 4]! + hexDigits[bytes[i]! & 15]!
  return out
}

/** PostgreSQL's array literal quoting: quote when empty, NULL-like or holding special characters. */
const arrayElementText = (element: unknown, elementOid: number): string => {
  if (element === null || element === undefined) return "NULL"
  if (Array.isArray(element)) return arrayText(element, elementOid)
  const text = textOf(elementOid, element)
  const s = typeof text === "string" ? text : byteaText(text)
  if (s === "" || /^null$/i.test(s) || /[{},"\\\s]/.test(s)) return `"${s.replace(/(["\\])/g, "\\$1")}"`
  return s
}

const arrayText = (values: ReadonlyArray<unknown>, elementOid: number): string =>
  "{" + values.map((element) => arrayElementText(element, elementOid)).join(",") + "}"

const arrayElementOid: Readonly<Record<number, number>> = {
  [ArrayOid.bool]: Oid.bool,
  [ArrayOid.int2]: Oid.int2,
  [ArrayOid.int4]: Oid.int4,
  [ArrayOid.text]: Oid.text,
  [ArrayOid.varchar]: Oid.varchar,
  [ArrayOid.int8]: Oid.int8,
  [ArrayOid.float4]: Oid.float4,
  [ArrayOid.float8]: Oid.float8
}

/**
 * The text format of a value for a column of type `oid`. A string is taken
 * as the text format already; other values are formatted as PostgreSQL
 * prints them (`t`/`f`, ISO dates in UTC, `\x` hex for bytes, JSON for
 * objects, array literals for arrays).
 *
 * @since 0.1.0
 * @category encoding
 */
export const textOf = (oid: number, value: unknown): string | Uint8Array => {
  switch (typeof value) {
    case "string":
      return value
    case "number":
      return String(value)
    case "bigint":
      return value.toString()
    case "boolean":
      return oid === Oid.bool || oid === Oid.unspecified ? (value ? "t" : "f") : String(value)
    case "object": {
      if (value instanceof Uint8Array) return oid === Oid.bytea ? byteaText(value) : value
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) return fail("22007", "invalid date value")
        if (oid === Oid.date) return dateText(value)
        const text = `${dateText(value)} ${timeText(value)}`
        return oid === Oid.timestamp ? text : `${text}+00`
      }
      if (Array.isArray(value) && arrayElementOid[oid] !== undefined) return arrayText(value, arrayElementOid[oid])
      return JSON.stringify(value)
    }
    default:
      return fail("22023", `cannot format a ${typeof value} as text`)
  }
}

// ---------------------------------------------------------------------------
// Writers for DataRow columns

/**
 * Writes one column value (length word and bytes) into a DataRow being built.
 *
 * @since 0.1.0
 * @category encoding
 */
export type ColumnWriter = (w: Writer, value: unknown) => void

const writeText: ColumnWriter = (w, value) => {
  if (value === null || value === undefined) return w.i32(-1)
  if (typeof value === "string") return w.lengthPrefixedString(value)
  if (typeof value === "number") return w.lengthPrefixedString(String(value))
  return writeTextOf(w, 0, value)
}

const writeTextOf = (w: Writer, oid: number, value: unknown): void => {
  const text = textOf(oid, value)
  if (typeof text === "string") w.lengthPrefixedString(text)
  else w.nullableBytes(text)
}

const textWriter = (oid: number): ColumnWriter => {
  switch (oid) {
    case Oid.bool:
    case Oid.bytea:
    case Oid.date:
    case Oid.timestamp:
    case Oid.timestamptz:
    case Oid.json:
    case Oid.jsonb:
      return (w, value) => (value === null || value === undefined ? w.i32(-1) : writeTextOf(w, oid, value))
    default:
      return arrayElementOid[oid] !== undefined
        ? (w, value) => (value === null || value === undefined ? w.i32(-1) : writeTextOf(w, oid, value))
        : writeText
  }
}

const integerOf = (value: unknown, min: number, max: number, type: string): number => {
  const n = typeof value === "number" ? value : typeof value === "bigint" ? Number(value) : typeof value === "string" ? Number(value.trim()) : NaN
  if (!Number.isInteger(n) || n < min || n > max) fail("22003", `value ${String(value)} is out of range for type ${type}`)
  return n
}

const bigintOf = (value: unknown): bigint => {
  if (typeof value === "bigint") return value
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value)
  if (typeof value === "string" && /^\s*[+-]?\d+\s*$/.test(value)) return BigInt(value.trim())
  return fail("22P02", `invalid input syntax for type bigint: "${String(value)}"`)
}

const floatOf = (value: unknown): number => {
  if (typeof value === "number") return value
  if (typeof value === "bigint") return Number(value)
  if (typeof value === "string") {
    const n = parseFloatText(value)
    if (n !== undefined) return n
  }
  return fail("22P02", `invalid input syntax for type double precision: "${String(value)}"`)
}

const parseFloatText = (text: string): number | undefined => {
  const t = text.trim().toLowerCase()
  if (t === "nan") return NaN
  if (t === "infinity" || t === "+infinity" || t === "inf") return Infinity
  if (t === "-infinity" || t === "-inf") return -Infinity
  const n = Number(t)
  return t !== "" && !Number.isNaN(n) ? n : undefined
}

const boolOf = (value: unknown): boolean => {
  if (typeof value === "boolean") return value
  if (typeof value === "string") {
    const b = parseBoolText(value)
    if (b !== undefined) return b
  }
  if (typeof value === "number") return value !== 0
  return fail("22P02", `invalid input syntax for type boolean: "${String(value)}"`)
}

const parseBoolText = (text: string): boolean | undefined => {
  switch (text.trim().toLowerCase()) {
    case "t":
    case "true":
    case "y":
    case "yes":
    case "on":
    case "1":
      return true
    case "f":
    case "false":
    case "n":
    case "no":
    case "off":
    case "0":
      return false
  }
  return undefined
}

/** Microseconds between 1970-01-01 and 2000-01-01, PostgreSQL's epoch. */
const postgresEpochMillis = 946_684_800_000

const dateOf = (value: unknown): Date => {
  const d = value instanceof Date ? value : typeof value === "string" || typeof value === "number" ? new Date(value) : undefined
  if (d === undefined || Number.isNaN(d.getTime())) return fail("22007", `invalid input syntax for a date/time: "${String(value)}"`)
  return d
}

const uuidBytes = (value: unknown): Uint8Array => {
  const hex = typeof value === "string" ? value.replace(/[{}-]/g, "") : ""
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return fail("22P02", `invalid input syntax for type uuid: "${String(value)}"`)
  const out = new Uint8Array(16)
  for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}

const textBytesOf = (oid: number, value: unknown): string => {
  const text = textOf(oid, value)
  return typeof text === "string" ? text : new TextDecoder().decode(text)
}

const binaryWriter = (oid: number): ColumnWriter | undefined => {
  switch (oid) {
    case Oid.bool:
      return (w, v) => {
        if (v === null || v === undefined) return w.i32(-1)
        w.i32(1)
        w.u8(boolOf(v) ? 1 : 0)
      }
    case Oid.bytea:
      return (w, v) => {
        if (v === null || v === undefined) return w.i32(-1)
        if (v instanceof Uint8Array) return w.nullableBytes(v)
        if (typeof v === "string") return w.lengthPrefixedString(v)
        return fail("22023", "a bytea value must be a Uint8Array")
      }
    case Oid.int2:
      return (w, v) => {
        if (v === null || v === undefined) return w.i32(-1)
        w.i32(2)
        w.i16(integerOf(v, -32768, 32767, "smallint"))
      }
    case Oid.int4:
      return (w, v) => {
        if (v === null || v === undefined) return w.i32(-1)
        w.i32(4)
        w.i32(integerOf(v, -2147483648, 2147483647, "integer"))
      }
    case Oid.oid:
      return (w, v) => {
        if (v === null || v === undefined) return w.i32(-1)
        w.i32(4)
        w.i32(integerOf(v, 0, 4294967295, "oid"))
      }
    case Oid.int8:
      return (w, v) => {
        if (v === null || v === undefined) return w.i32(-1)
        w.i32(8)
        w.i64(bigintOf(v))
      }
    case Oid.float4:
      return (w, v) => {
        if (v === null || v === undefined) return w.i32(-1)
        w.i32(4)
        w.f32(floatOf(v))
      }
    case Oid.float8:
      return (w, v) => {
        if (v === null || v === undefined) return w.i32(-1)
        w.i32(8)
        w.f64(floatOf(v))
      }
    case Oid.text:
    case Oid.varchar:
    case Oid.bpchar:
    case Oid.name:
    case Oid.unknown:
    case Oid.char:
    case Oid.json:
      return (w, v) => (v === null || v === undefined ? w.i32(-1) : w.lengthPrefixedString(textBytesOf(oid, v)))
    case Oid.jsonb:
      return (w, v) => {
        if (v === null || v === undefined) return w.i32(-1)
        const at = w.beginValue()
        w.u8(1)
        w.string(textBytesOf(oid, v))
        w.endValue(at)
      }
    case Oid.uuid:
      return (w, v) => (v === null || v === undefined ? w.i32(-1) : w.nullableBytes(uuidBytes(v)))
    case Oid.void:
      return (w, v) => w.i32(v === null || v === undefined ? -1 : 0)
    case Oid.date:
      return (w, v) => {
        if (v === null || v === undefined) return w.i32(-1)
        w.i32(4)
        w.i32(Math.floor((dateOf(v).getTime() - postgresEpochMillis) / 86_400_000))
      }
    case Oid.timestamp:
    case Oid.timestamptz:
      return (w, v) => {
        if (v === null || v === undefined) return w.i32(-1)
        w.i32(8)
        w.i64(BigInt(dateOf(v).getTime() - postgresEpochMillis) * 1000n)
      }
  }
  return undefined
}

/**
 * Whether results of type `oid` can be sent in the binary format.
 *
 * @since 0.1.0
 * @category encoding
 */
export const hasBinaryFormat = (oid: number): boolean => binaryWriter(oid) !== undefined

const binaryWriters = new Map<number, ColumnWriter>()
const textWriters = new Map<number, ColumnWriter>()

/**
 * The writer for a column of type `oid` in `format` (0 text, 1 binary), or
 * `undefined` when the type has no binary format here.
 *
 * @since 0.1.0
 * @category encoding
 */
export const columnWriter = (oid: number, format: number): ColumnWriter | undefined => {
  const cache = format === 1 ? binaryWriters : textWriters
  let writer = cache.get(oid)
  if (writer === undefined) {
    writer = format === 1 ? binaryWriter(oid) : textWriter(oid)
    if (writer !== undefined) cache.set(oid, writer)
  }
  return writer
}

// ---------------------------------------------------------------------------
// Parameters

const utf8 = new TextDecoder("utf-8", { fatal: true })

const decodeUtf8 = (bytes: Uint8Array): string => {
  try {
    return utf8.decode(bytes)
  } catch {
    return fail("22021", "invalid byte sequence for encoding \"UTF8\"")
  }
}

const binaryLength = (bytes: Uint8Array, length: number, type: string): DataView => {
  if (bytes.length !== length) fail("22P03", `incorrect binary data format in bind parameter: ${bytes.length} bytes for ${type}`)
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

const formatUuid = (bytes: Uint8Array): string => {
  let hex = ""
  for (let i = 0; i < bytes.length; i++) hex += hexDigits[bytes[i]! >> 4]! + hexDigits[bytes[i]! & 15]!
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

const parseInteger = (text: string, min: number, max: number, type: string): number => {
  const t = text.trim()
  const n = /^[+-]?\d+$/.test(t) ? Number(t) : NaN
  if (Number.isNaN(n)) fail("22P02", `invalid input syntax for type ${type}: "${text}"`)
  if (n < min || n > max) fail("22003", `value "${text}" is out of range for type ${type}`)
  return n
}

const parseByteaText = (text: string): Uint8Array => {
  if (text.startsWith("\\x")) {
    const hex = text.slice(2)
    if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) fail("22P02", "invalid hexadecimal data for type bytea")
    const out = new Uint8Array(hex.length / 2)
    for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
    return out
  }
  return new TextEncoder().encode(text)
}

/**
 * Decodes one Bind parameter of type `oid` sent in `format` (the session's
 * loop; it throws `ValueError`: outside it, use `decode`). Text-format
 * parameters of the numeric and boolean types become numbers (int8: bigint)
 * and booleans, bytea becomes bytes, every other type stays the string the
 * client sent. Binary parameters are decoded for the types listed in this
 * module; other binary values are returned as a copy of their bytes.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeParameter = (oid: number, format: number, bytes: Uint8Array | null): unknown => {
  if (bytes === null) return null
  if (format === 0) {
    const text = decodeUtf8(bytes)
    switch (oid) {
      case Oid.int2:
        return parseInteger(text, -32768, 32767, "smallint")
      case Oid.int4:
        return parseInteger(text, -2147483648, 2147483647, "integer")
      case Oid.oid:
        return parseInteger(text, 0, 4294967295, "oid")
      case Oid.int8: {
        const t = text.trim()
        if (!/^[+-]?\d+$/.test(t)) return fail("22P02", `invalid input syntax for type bigint: "${text}"`)
        const n = BigInt(t)
        if (n < -(2n ** 63n) || n >= 2n ** 63n) fail("22003", `value "${text}" is out of range for type bigint`)
        return n
      }
      case Oid.float4:
      case Oid.float8: {
        const n = parseFloatText(text)
        return n === undefined ? fail("22P02", `invalid input syntax for type double precision: "${text}"`) : n
      }
      case Oid.bool: {
        const b = parseBoolText(text)
        return b === undefined ? fail("22P02", `invalid input syntax for type boolean: "${text}"`) : b
      }
      case Oid.bytea:
        return parseByteaText(text)
      default:
        return text
    }
  }
  if (format !== 1) return fail("22023", `unsupported format code: ${format}`)
  switch (oid) {
    case Oid.bool:
      return binaryLength(bytes, 1, "boolean").getUint8(0) !== 0
    case Oid.int2:
      return binaryLength(bytes, 2, "smallint").getInt16(0)
    case Oid.int4:
      return binaryLength(bytes, 4, "integer").getInt32(0)
    case Oid.oid:
      return binaryLength(bytes, 4, "oid").getUint32(0)
    case Oid.int8:
      return binaryLength(bytes, 8, "bigint").getBigInt64(0)
    case Oid.float4:
      return binaryLength(bytes, 4, "real").getFloat32(0)
    case Oid.float8:
      return binaryLength(bytes, 8, "double precision").getFloat64(0)
    case Oid.text:
    case Oid.varchar:
    case Oid.bpchar:
    case Oid.name:
    case Oid.unknown:
    case Oid.char:
    case Oid.json:
      return decodeUtf8(bytes)
    case Oid.jsonb:
      if (bytes.length === 0 || bytes[0] !== 1) return fail("22P03", "unsupported jsonb version number")
      return decodeUtf8(bytes.subarray(1))
    case Oid.uuid:
      binaryLength(bytes, 16, "uuid")
      return formatUuid(bytes)
    case Oid.date: {
      const days = binaryLength(bytes, 4, "date").getInt32(0)
      return dateText(new Date(postgresEpochMillis + days * 86_400_000))
    }
    case Oid.timestamp:
    case Oid.timestamptz: {
      const micros = binaryLength(bytes, 8, "timestamp").getBigInt64(0)
      return new Date(postgresEpochMillis + Number(micros / 1000n))
    }
    default:
      return bytes.slice()
  }
}


/**
 * Encodes one value as a column writer would (without the length word);
 * `null` for SQL NULL. Throws `ValueError` for a value the type cannot take:
 * outside the session's loops, use `encode`.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeValue = (oid: number, format: number, value: unknown): Uint8Array | null => {
  const writer = columnWriter(oid, format)
  if (writer === undefined) return fail("42883", `no binary output function available for type ${oid}`)
  const w = new Writer(64)
  writer(w, value)
  const bytes = w.take()
  const length = (bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!
  return length < 0 ? null : bytes.subarray(4)
}

const attempt = <A>(f: () => A): Result.Result<A, PgError> => {
  try {
    return Result.succeed(f())
  } catch (thrown) {
    return Result.fail(
      thrown instanceof ValueError ? pgError(thrown.code, thrown.message) : pgError("XX000", `value conversion failed: ${String(thrown)}`)
    )
  }
}

/**
 * `decodeParameter` without throwing: the value, or the `PgError` to answer
 * with (22P02, 22003, 22P03, 22021, ...).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (oid: number, format: number, bytes: Uint8Array | null): Result.Result<unknown, PgError> =>
  attempt(() => decodeParameter(oid, format, bytes))

/**
 * `encodeValue` without throwing: the encoded bytes (`null` for SQL NULL),
 * or the `PgError` to answer with.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (oid: number, format: number, value: unknown): Result.Result<Uint8Array | null, PgError> =>
  attempt(() => encodeValue(oid, format, value))
