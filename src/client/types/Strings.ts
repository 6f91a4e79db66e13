/**
 * Codecs of the types whose values are strings (or bytes): the character
 * types, "char", xml, enums, uuid, json and jsonb (parsed), bit strings,
 * tsvector and tsquery, bytea (a Uint8Array), and the text fallback for
 * types the client has no codec for.
 *
 * Not here: the number types (`Scalars.ts`, `Numeric.ts`), dates and
 * times, network and geometric types, and the containers.
 *
 * @since 0.1.0
 */
import { ColumnKind, type FieldReader } from "../../protocol/RowDecoder.ts"
import { decodeUtf8 } from "../../protocol/Utf8.ts"
import type { Writer } from "../../protocol/Writer.ts"
import {
  cannotEncode,
  type Codec,
  copyBytes,
  expectLength,
  int32At,
  invalid,
  makeCodec as codec,
  textReader
} from "./Codec.ts"
import { Oid } from "./Oids.ts"

const identity = (text: string): string => text

// ---------------------------------------------------------------------------
// Character types

/**
 * The text of a parameter for a character type: strings, and numbers, bigints and booleans spelled out.
 *
 * @internal
 */
export const plainText = (name: string) => (value: unknown): string => {
  if (typeof value === "string") return value
  if (typeof value === "number" || typeof value === "bigint") return String(value)
  if (typeof value === "boolean") return value ? "true" : "false"
  return cannotEncode(name, value, "pass a string, or cast the parameter to the type you mean")
}

/** Strings go in binary for types whose binary format is their UTF-8 text (the same bytes). */
const isString = (value: unknown): boolean => typeof value === "string"
const writeString = (w: Writer, value: unknown): void => w.string(value as string)

const character = (oid: number, name: string): Codec =>
  codec({
    oid,
    name,
    binaryKind: ColumnKind.Text,
    readBinary: textReader(identity),
    readText: identity,
    textIsValue: true,
    sendsBinary: isString,
    writeBinary: writeString,
    writeText: plainText(name)
  })

/** @since 0.1.0 @category codecs */
export const text: Codec = character(Oid.text, "text")
/** @since 0.1.0 @category codecs */
export const varchar: Codec = character(Oid.varchar, "varchar")
/** @since 0.1.0 @category codecs */
export const bpchar: Codec = character(Oid.bpchar, "bpchar")
/** @since 0.1.0 @category codecs */
export const name: Codec = character(Oid.name, "name")
/**
 * The result of a function returning `void` (`pg_sleep`, say): an empty
 * string, as PostgreSQL writes it, so no catalog lookup is needed.
 *
 * @since 0.1.0 @category codecs
 */
export const voidResult: Codec = character(Oid.void, "void")
/** @since 0.1.0 @category codecs */
export const xml: Codec = codec({
  oid: Oid.xml,
  name: "xml",
  binaryKind: ColumnKind.Text,
  readBinary: textReader(identity),
  readText: identity,
  textIsValue: true,
  writeText: plainText("xml")
})

/**
 * "char", one byte: a byte of 128 or more reads as PostgreSQL prints it, a
 * backslash and three octal digits, in both formats; the zero byte is "".
 *
 * @since 0.1.0
 * @category codecs
 */
export const char: Codec = codec({
  oid: Oid.char,
  name: "\"char\"",
  readBinary: (b, start, length) => {
    expectLength("\"char\"", length, 1)
    const byte = b[start]!
    return byte === 0 ? "" : byte < 0x80 ? String.fromCharCode(byte) : `\\${byte.toString(8).padStart(3, "0")}`
  },
  readText: identity,
  textIsValue: true,
  writeText: plainText("\"char\"")
})

/**
 * The text fallback for any type the client has no codec for:
 * the value is the server's text; parameters are strings, or numbers,
 * bigints and booleans spelled out.
 *
 * @since 0.1.0
 * @category codecs
 */
export const textFallback = (oid: number, name: string): Codec =>
  codec({ oid, name, readBinary: undefined, readText: identity, textIsValue: true, writeText: plainText(name) })

/**
 * An enum: its labels as strings; its binary format is the label's text,
 * so both formats carry the same bytes.
 *
 * @since 0.1.0
 * @category codecs
 */
export const enumCodec = (oid: number, name: string): Codec => character(oid, name)

// ---------------------------------------------------------------------------
// bytea

const hex = "0123456789abcdef"

const hexValue = (c: number): number =>
  c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1

/** bytea's text: the hex format (`\x0aff`, the default), or the escape format (`a\\\000`). */
const readByteaText = (text: string): Uint8Array => {
  if (text.startsWith("\\x")) {
    if (text.length % 2 !== 0) return invalid("bytea", "hex text has an odd number of digits")
    const out = new Uint8Array((text.length - 2) / 2)
    for (let i = 0; i < out.length; i++) {
      const high = hexValue(text.charCodeAt(2 + 2 * i))
      const low = hexValue(text.charCodeAt(3 + 2 * i))
      if (high < 0 || low < 0) return invalid("bytea", "hex text has a non-hex digit")
      out[i] = (high << 4) | low
    }
    return out
  }
  // The escape format (bytea_output = escape): printable ASCII as itself,
  // `\\` for a backslash, `\ooo` for any other byte.
  const out: Array<number> = []
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c > 0x7f) return invalid("bytea", "escape text has a non-ASCII character")
    if (c !== 0x5c) {
      out.push(c)
      continue
    }
    if (text[i + 1] === "\\") {
      out.push(0x5c)
      i++
      continue
    }
    const octal = text.slice(i + 1, i + 4)
    if (!/^[0-3][0-7][0-7]$/.test(octal)) return invalid("bytea", "escape text has a bad backslash sequence")
    out.push(Number.parseInt(octal, 8))
    i += 3
  }
  return Uint8Array.from(out)
}

/**
 * bytea's hex text form of some bytes.
 *
 * @internal
 */
export const byteaHex = (bytes: Uint8Array): string => {
  let out = "\\x"
  for (let i = 0; i < bytes.length; i++) out += hex[bytes[i]! >> 4]! + hex[bytes[i]! & 15]!
  return out
}

/** @since 0.1.0 @category codecs */
export const bytea: Codec = codec({
  oid: Oid.bytea,
  name: "bytea",
  binaryKind: ColumnKind.Raw,
  readBinary: copyBytes,
  readText: readByteaText,
  sendsBinary: (value) => value instanceof Uint8Array,
  writeBinary: (w, value) => w.bytes(value as Uint8Array),
  writeText: (value) =>
    typeof value === "string" ? value : value instanceof Uint8Array ? byteaHex(value) : cannotEncode("bytea", value)
})

// ---------------------------------------------------------------------------
// uuid

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** @since 0.1.0 @category codecs */
export const uuid: Codec = codec({
  oid: Oid.uuid,
  name: "uuid",
  readBinary: (b, start, length) => {
    expectLength("uuid", length, 16)
    let out = ""
    for (let i = 0; i < 16; i++) {
      const byte = b[start + i]!
      out += hex[byte >> 4]! + hex[byte & 15]!
      if (i === 3 || i === 5 || i === 7 || i === 9) out += "-"
    }
    return out
  },
  readText: identity,
  textIsValue: true,
  // The canonical spelling goes in binary; any other (braces, no hyphens) as text for the server to read.
  sendsBinary: (value) => typeof value === "string" && uuidPattern.test(value),
  writeBinary: (w, value) => {
    const digits = (value as string).replace(/-/g, "")
    for (let i = 0; i < 32; i += 2) w.u8((hexValue(digits.charCodeAt(i)) << 4) | hexValue(digits.charCodeAt(i + 1)))
  },
  writeText: (value) => (typeof value === "string" ? value : cannotEncode("uuid", value))
})

// ---------------------------------------------------------------------------
// json, jsonb

const parseJson = (name: string) => (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return invalid(name, "value is not valid JSON")
  }
}

/** A JSON parameter: a string is JSON text already; anything else is serialised with `JSON.stringify`. */
const jsonText = (name: string) => (value: unknown): string => {
  if (typeof value === "string") return value
  let json: string | undefined
  try {
    json = JSON.stringify(value)
  } catch (thrown) {
    return cannotEncode(name, value, thrown instanceof Error ? thrown.message : String(thrown))
  }
  return json === undefined ? cannotEncode(name, value, "it has no JSON form") : json
}

/** @since 0.1.0 @category codecs */
export const json: Codec = codec({
  oid: Oid.json,
  name: "json",
  readBinary: textReader(parseJson("json")),
  readText: parseJson("json"),
  writeText: jsonText("json")
})

/** @since 0.1.0 @category codecs */
export const jsonb: Codec = codec({
  oid: Oid.jsonb,
  name: "jsonb",
  readBinary: (b, start, length) => {
    if (length < 1 || b[start] !== 1) return invalid("jsonb", `unsupported binary format version ${b[start]}`)
    return parseJson("jsonb")(decodeUtf8(b, start + 1, start + length))
  },
  readText: parseJson("jsonb"),
  writeText: jsonText("jsonb")
})

// ---------------------------------------------------------------------------
// bit, varbit

const readBits = (name: string): FieldReader => (b, start, length) => {
  if (length < 4) return invalid(name, "truncated bit length")
  const bits = int32At(b, start)
  if (bits < 0 || Math.ceil(bits / 8) !== length - 4) return invalid(name, `${bits} bits in ${length - 4} bytes`)
  let out = ""
  for (let i = 0; i < bits; i++) out += (b[start + 4 + (i >> 3)]! >> (7 - (i & 7))) & 1 ? "1" : "0"
  return out
}

const bitString = (oid: number, name: string): Codec =>
  codec({
    oid,
    name,
    readBinary: readBits(name),
    readText: (text) => (/^[01]*$/.test(text) ? text : invalid(name, `"${text}" is not a bit string`)),
    writeText: (value) => (typeof value === "string" ? value : cannotEncode(name, value, "pass a string of 0s and 1s"))
  })

/** @since 0.1.0 @category codecs */
export const bit: Codec = bitString(Oid.bit, "bit")
/** @since 0.1.0 @category codecs */
export const varbit: Codec = bitString(Oid.varbit, "varbit")

// ---------------------------------------------------------------------------
// Text search

/** @since 0.1.0 @category codecs */
export const tsvector: Codec = textFallback(Oid.tsvector, "tsvector")
/** @since 0.1.0 @category codecs */
export const tsquery: Codec = textFallback(Oid.tsquery, "tsquery")
