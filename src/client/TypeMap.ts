/**
 * How values of the built-in types travel: which result columns are asked
 * for in binary and how they decode, how text results decode, and how a
 * JavaScript parameter is encoded for the type the server described.
 *
 * Binary where a codec exists: bool, bytea, int2/4/8 (int8 as bigint), oid,
 * float4/8, text/varchar/name/bpchar/char, json, jsonb, uuid, timestamp and
 * timestamptz (as Date). numeric and date come back as their exact text, and
 * every other type as text (the full type system is a later layer).
 *
 * @since 0.1.0
 */
import { fail } from "../protocol/ProtocolError.ts"
import { ColumnKind, type ColumnDecoder, type FieldReader } from "../protocol/RowDecoder.ts"
import { decodeUtf8 } from "../protocol/Utf8.ts"
import { writeParameter } from "../protocol/ParameterWriter.ts"
import type { Writer } from "../protocol/Writer.ts"

/**
 * OIDs of the built-in types this module knows.
 *
 * @since 0.1.0
 * @category constants
 */
export const Oid = {
  bool: 16,
  bytea: 17,
  char: 18,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  xml: 142,
  float4: 700,
  float8: 701,
  unknown: 705,
  money: 790,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  timetz: 1266,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802
} as const

const hex = "0123456789abcdef"

const readJson: FieldReader = (bytes, start, length) => {
  const text = decodeUtf8(bytes, start, start + length)
  try {
    return JSON.parse(text)
  } catch {
    return fail("InvalidValue", "json value is not valid JSON")
  }
}

const readJsonb: FieldReader = (bytes, start, length) => {
  if (length < 1 || bytes[start] !== 1) fail("InvalidValue", `unsupported jsonb format version ${bytes[start]}`)
  return readJson(bytes, start + 1, length - 1)
}

const readUuid: FieldReader = (bytes, start, length) => {
  if (length !== 16) fail("InvalidValue", `uuid of ${length} bytes`)
  let out = ""
  for (let i = 0; i < 16; i++) {
    const b = bytes[start + i]!
    out += hex[b >> 4]! + hex[b & 15]!
    if (i === 3 || i === 5 || i === 7 || i === 9) out += "-"
  }
  return out
}

/**
 * How a result column of type `oid` is requested and decoded.
 *
 * @since 0.1.0
 * @category decoding
 */
export const resultColumn = (oid: number): { readonly format: 0 | 1; readonly decoder: ColumnDecoder } => {
  switch (oid) {
    case Oid.bool:
      return { format: 1, decoder: { kind: ColumnKind.Bool } }
    case Oid.bytea:
      return { format: 1, decoder: { kind: ColumnKind.Raw } }
    case Oid.int8:
      return { format: 1, decoder: { kind: ColumnKind.Int8 } }
    case Oid.int2:
      return { format: 1, decoder: { kind: ColumnKind.Int2 } }
    case Oid.int4:
      return { format: 1, decoder: { kind: ColumnKind.Int4 } }
    case Oid.oid:
      return { format: 1, decoder: { kind: ColumnKind.Oid } }
    case Oid.float4:
      return { format: 1, decoder: { kind: ColumnKind.Float4 } }
    case Oid.float8:
      return { format: 1, decoder: { kind: ColumnKind.Float8 } }
    case Oid.text:
    case Oid.varchar:
    case Oid.name:
    case Oid.bpchar:
    case Oid.char:
      return { format: 1, decoder: { kind: ColumnKind.Text } }
    case Oid.json:
      return { format: 1, decoder: { kind: ColumnKind.Custom, read: readJson } }
    case Oid.jsonb:
      return { format: 1, decoder: { kind: ColumnKind.Custom, read: readJsonb } }
    case Oid.uuid:
      return { format: 1, decoder: { kind: ColumnKind.Custom, read: readUuid } }
    case Oid.timestamp:
    case Oid.timestamptz:
      return { format: 1, decoder: { kind: ColumnKind.TimestampDate } }
  }
  return { format: 0, decoder: { kind: ColumnKind.Text } }
}

const textInt: FieldReader = (bytes, start, length) => Number(decodeUtf8(bytes, start, start + length))
const textBigInt: FieldReader = (bytes, start, length) => BigInt(decodeUtf8(bytes, start, start + length))
const textFloat: FieldReader = (bytes, start, length) => {
  const text = decodeUtf8(bytes, start, start + length)
  return text === "NaN" ? NaN : text === "Infinity" ? Infinity : text === "-Infinity" ? -Infinity : Number(text)
}
const textBool: FieldReader = (bytes, start, length) => length === 1 && bytes[start] === 0x74 // 't'
const textBytea: FieldReader = (bytes, start, length) => {
  // The hex format (PostgreSQL's default since 9.0): \x followed by pairs.
  const text = decodeUtf8(bytes, start, start + length)
  if (!text.startsWith("\\x") || text.length % 2 !== 0) return fail("InvalidValue", "bytea text is not in hex format")
  const out = new Uint8Array((text.length - 2) / 2)
  for (let i = 0; i < out.length; i++) {
    const byte = Number.parseInt(text.slice(2 + 2 * i, 4 + 2 * i), 16)
    if (Number.isNaN(byte)) return fail("InvalidValue", "bytea text has a non-hex digit")
    out[i] = byte
  }
  return out
}
const textTimestamp = (withZone: boolean): FieldReader => (bytes, start, length) => {
  const text = decodeUtf8(bytes, start, start + length)
  if (text === "infinity") return new Date(8.64e15)
  if (text === "-infinity") return new Date(-8.64e15)
  // ISO DateStyle: "2024-01-02 03:04:05.678+01"; without zone the value is taken as UTC.
  const iso = text.replace(" ", "T") + (withZone ? "" : "Z")
  const date = new Date(iso.replace(/([+-]\d\d)$/, "$1:00"))
  return Number.isNaN(date.getTime()) ? fail("InvalidValue", `cannot read timestamp "${text}"`) : date
}

/**
 * How a column of type `oid` sent in text format (the simple protocol) decodes.
 *
 * @since 0.1.0
 * @category decoding
 */
export const textColumn = (oid: number): ColumnDecoder => {
  switch (oid) {
    case Oid.int2:
    case Oid.int4:
    case Oid.oid:
      return { kind: ColumnKind.Custom, read: textInt }
    case Oid.int8:
      return { kind: ColumnKind.Custom, read: textBigInt }
    case Oid.float4:
    case Oid.float8:
      return { kind: ColumnKind.Custom, read: textFloat }
    case Oid.bool:
      return { kind: ColumnKind.Custom, read: textBool }
    case Oid.bytea:
      return { kind: ColumnKind.Custom, read: textBytea }
    case Oid.json:
    case Oid.jsonb:
      return { kind: ColumnKind.Custom, read: readJson }
    case Oid.timestamp:
      return { kind: ColumnKind.Custom, read: textTimestamp(false) }
    case Oid.timestamptz:
      return { kind: ColumnKind.Custom, read: textTimestamp(true) }
  }
  return { kind: ColumnKind.Text }
}

/**
 * How one parameter goes out: the kind written in binary, or text.
 */
const binaryKind = (oid: number, value: unknown): ColumnKind | undefined => {
  switch (oid) {
    case Oid.int2:
      return typeof value === "number" && Number.isInteger(value) && value >= -32768 && value <= 32767 ? ColumnKind.Int2 : undefined
    case Oid.int4:
      return typeof value === "number" && Number.isInteger(value) && value >= -2147483648 && value <= 2147483647
        ? ColumnKind.Int4
        : undefined
    case Oid.oid:
      return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 4294967295 ? ColumnKind.Oid : undefined
    case Oid.int8:
      return typeof value === "bigint" || (typeof value === "number" && Number.isSafeInteger(value)) ? ColumnKind.Int8 : undefined
    case Oid.float4:
      return typeof value === "number" ? ColumnKind.Float4 : undefined
    case Oid.float8:
      return typeof value === "number" ? ColumnKind.Float8 : undefined
    case Oid.bool:
      return typeof value === "boolean" ? ColumnKind.Bool : undefined
    case Oid.bytea:
      return value instanceof Uint8Array ? ColumnKind.Raw : undefined
    case Oid.timestamp:
    case Oid.timestamptz:
      return value instanceof Date ? ColumnKind.TimestampDate : undefined
  }
  return undefined
}

/**
 * The format code (0 text, 1 binary) a parameter value is sent in for a
 * parameter of type `oid`.
 *
 * @since 0.1.0
 * @category encoding
 */
export const parameterFormat = (oid: number, value: unknown): 0 | 1 =>
  value === null || value === undefined || binaryKind(oid, value) === undefined ? 0 : 1

const quoteArrayElement = (value: unknown): string => {
  if (value === null || value === undefined) return "NULL"
  if (Array.isArray(value)) return arrayLiteral(value)
  const text = toText(value)
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`
}

const arrayLiteral = (values: ReadonlyArray<unknown>): string => `{${values.map(quoteArrayElement).join(",")}}`

/** The text form PostgreSQL's input functions accept for a JavaScript value. */
const toText = (value: unknown): string => {
  if (typeof value === "string") return value
  if (typeof value === "number" || typeof value === "bigint") return String(value)
  if (typeof value === "boolean") return value ? "t" : "f"
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return fail("EncodeFailed", "parameter is an invalid Date")
    return value.toISOString()
  }
  if (value instanceof Uint8Array) {
    let out = "\\x"
    for (let i = 0; i < value.length; i++) out += hex[value[i]! >> 4]! + hex[value[i]! & 15]!
    return out
  }
  if (Array.isArray(value)) return arrayLiteral(value)
  try {
    const json = JSON.stringify(value)
    if (json !== undefined) return json
  } catch {
    // falls through to the error below
  }
  return fail("EncodeFailed", `cannot encode a parameter of type ${typeof value}`)
}

/**
 * Writes one Bind parameter (its length and bytes) for a parameter of type
 * `oid`, in the format `parameterFormat` chose. A JSON parameter given a
 * non-string is serialised with `JSON.stringify`.
 *
 * @since 0.1.0
 * @category encoding
 */
export const writeValue = (w: Writer, oid: number, value: unknown): void => {
  if (value === null || value === undefined) return w.i32(-1)
  const kind = binaryKind(oid, value)
  if (kind !== undefined) return writeParameter(w, kind, value)
  if ((oid === Oid.json || oid === Oid.jsonb) && typeof value !== "string") {
    const json = JSON.stringify(value)
    if (json === undefined) return fail("EncodeFailed", "parameter has no JSON form")
    return w.lengthPrefixedString(json)
  }
  w.lengthPrefixedString(toText(value))
}
