/**
 * The shape every type codec of the client has: how a value of one
 * PostgreSQL type is read from the binary and the text format, and how a
 * JavaScript value is written as a parameter of that type, in binary or as
 * text.
 *
 * Codecs are plain objects of functions that signal bad input through the
 * codec's `fail(...)` (a `CodecFailure`), which the row decoder turns into a
 * `ValueDecodeError` naming the column and Bind encoding into a
 * `ParameterError`. They hold no connection state; the `TypeRegistry`
 * decides which codec serves which OID.
 *
 * @since 0.1.0
 */
import { CodecFailure, fail } from "../../protocol/ProtocolError.ts"
import type { ColumnKind, FieldReader } from "../../protocol/RowDecoder.ts"
import { decodeUtf8 } from "../../protocol/Utf8.ts"
import type { Writer } from "../../protocol/Writer.ts"

/**
 * One PostgreSQL type, both directions, both formats.
 *
 * @since 0.1.0
 * @category models
 */
export interface Codec {
  readonly oid: number
  /** The type's name, for messages ("int4", "public.mood"). */
  readonly name: string
  /** The element delimiter of the type's arrays (`;` for box, `,` for everything else). */
  readonly delimiter: string
  /** Reads the binary format; `undefined` when the codec reads only text. */
  readonly readBinary: FieldReader | undefined
  /** The row decoder's inline kind for binary result columns, faster than `readBinary`. */
  readonly binaryKind?: ColumnKind | undefined
  /**
   * Result columns of this type are asked for in text even though
   * `readBinary` exists (money: its binary scale depends on the server's
   * locale). Containers of such a type inherit it.
   */
  readonly preferText?: boolean | undefined
  /** Reads the text format. */
  readonly readText: (text: string) => unknown
  /** The text format is the value itself (a string): text columns decode inline. */
  readonly textIsValue?: boolean | undefined
  /** Whether this parameter value goes out in binary (`writeBinary`) rather than as text. */
  readonly sendsBinary: (value: unknown) => boolean
  /** Writes the binary body (no length) of a value `sendsBinary` accepted. */
  readonly writeBinary: (w: Writer, value: unknown) => void
  /**
   * The text form of a parameter value: a string is the type's own input
   * syntax and passes as it is; any other value must fit the type, or this
   * fails with `EncodeFailed`.
   */
  readonly writeText: (value: unknown) => string
  /** Values of this type are JavaScript arrays themselves (multiranges): a container must not read them as a dimension. */
  readonly arrayValued?: boolean | undefined
}

/**
 * A short description of a JavaScript value for error messages.
 *
 * @internal
 */
export const describe = (value: unknown): string => {
  if (value === null) return "null"
  if (Array.isArray(value)) return "an array"
  if (value instanceof Uint8Array) return "a Uint8Array"
  if (value instanceof Date) return "a Date"
  switch (typeof value) {
    case "string":
      return "a string"
    case "number":
      return `the number ${value}`
    case "bigint":
      return `the bigint ${value}`
    case "boolean":
      return "a boolean"
    case "object": {
      const name = (value as object).constructor?.name
      return name !== undefined && name !== "Object" ? `a ${name}` : "an object"
    }
    default:
      return `a ${typeof value}`
  }
}

/**
 * Fails the encoding of a value that does not fit `type`.
 *
 * @internal
 */
export const cannotEncode = (type: string, value: unknown, hint?: string): never =>
  fail("EncodeFailed", `cannot encode ${describe(value)} as ${type}${hint === undefined ? "" : `: ${hint}`}`)

/**
 * Fails the decoding of malformed input of `type`.
 *
 * @internal
 */
export const invalid = (type: string, why: string): never => fail("InvalidValue", `${type}: ${why}`)

/**
 * A `FieldReader` that decodes UTF-8 and hands the text to `read`.
 *
 * @internal
 */
export const textReader = (read: (text: string) => unknown): FieldReader => (bytes, start, length) =>
  read(decodeUtf8(bytes, start, start + length))

/**
 * Never binary: for codecs whose parameters always go as text.
 *
 * @internal
 */
export const neverBinary = (): boolean => false

/**
 * For codecs without a binary writer (never called: `sendsBinary` is always false).
 *
 * @internal
 */
export const noBinaryWriter = (): void => {
  fail("EncodeFailed", "this type has no binary encoder")
}

/**
 * A codec from its fields, with the defaults filled in: `,` as array
 * delimiter, parameters always as text.
 *
 * @internal
 */
export const makeCodec = (
  fields: Omit<Codec, "delimiter" | "sendsBinary" | "writeBinary"> & Partial<Pick<Codec, "delimiter" | "sendsBinary" | "writeBinary">>
): Codec => ({ delimiter: ",", sendsBinary: neverBinary, writeBinary: noBinaryWriter, ...fields })

/**
 * A big-endian int32 at `p`.
 *
 * @internal
 */
export const int32At = (b: Uint8Array, p: number): number => (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!

/**
 * A big-endian int16 at `p`.
 *
 * @internal
 */
export const int16At = (b: Uint8Array, p: number): number => (((b[p]! << 8) | b[p + 1]!) << 16) >> 16

/**
 * A big-endian int64 at `p`, as a bigint.
 *
 * @internal
 */
export const int64At = (b: Uint8Array, p: number): bigint => (BigInt(int32At(b, p)) << 32n) | BigInt(int32At(b, p + 4) >>> 0)

const float = new DataView(new ArrayBuffer(8))

/**
 * A big-endian float8 at `p`.
 *
 * @internal
 */
export const float64At = (b: Uint8Array, p: number): number => {
  float.setInt32(0, int32At(b, p))
  float.setInt32(4, int32At(b, p + 4))
  return float.getFloat64(0)
}

/**
 * A big-endian float4 at `p`.
 *
 * @internal
 */
export const float32At = (b: Uint8Array, p: number): number => {
  float.setInt32(0, int32At(b, p))
  return float.getFloat32(0)
}

/**
 * A copy of `bytes[start, start + length)` as a plain Uint8Array: row bytes
 * are views into the connection's receive buffer (a Node Buffer, whose
 * `slice` shares memory), which must not leak into values.
  *
  * @internal
 */
export const copyBytes = (bytes: Uint8Array, start: number, length: number): Uint8Array => {
  const copy = new Uint8Array(length)
  copy.set(bytes.subarray(start, start + length))
  return copy
}

/**
 * Checks that a binary value has exactly `expected` bytes.
 *
 * @internal
 */
export const expectLength = (type: string, length: number, expected: number): void => {
  if (length !== expected) invalid(type, `expected ${expected} bytes, got ${length}`)
}

/**
 * Checks that `count` more bytes are there, from `p` up to `end`.
 *
 * @internal
 */
export const need = (type: string, p: number, count: number, end: number): void => {
  if (count < 0 || p + count > end) invalid(type, `truncated value (${count} bytes needed at offset ${p}, ${end - p} left)`)
}

/**
 * A decimal integer in text, checked ("12", "-3").
 *
 * @internal
 */
export const parseInteger = (type: string, text: string): number => {
  if (!/^[+-]?\d+$/.test(text)) return invalid(type, `"${text}" is not an integer`)
  return Number(text)
}

/**
 * A float's text for PostgreSQL's float input: the shortest round-trip spelling, keeping the sign of -0.
 *
 * @internal
 */
export const floatText = (n: number): string => (Object.is(n, -0) ? "-0" : String(n))

/**
 * Calls a function supplied by the user, turning anything it throws into a codec failure.
 *
 * @internal
 */
export const guarded = <A>(reason: "InvalidValue" | "EncodeFailed", what: string, f: () => A): A => {
  try {
    return f()
  } catch (thrown) {
    if (thrown instanceof CodecFailure) throw thrown
    return fail(reason, `${what}: ${thrown instanceof Error ? thrown.message : String(thrown)}`)
  }
}
