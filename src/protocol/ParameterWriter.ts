/**
 * Encodes parameter values straight into a `Writer` (length, then bytes), in
 * the binary formats of the same kinds `RowDecoder` reads, so a Bind costs no
 * intermediate byte array per value. Use with `writeBind`.
 *
 * @since 0.1.0
 */
import { fail } from "./ProtocolError.ts"
import { ColumnKind } from "./RowDecoder.ts"
import type { Writer } from "./Writer.ts"

const postgresEpochMillis = 946_684_800_000
const two32 = 4294967296

const wrongType = (kind: number, value: unknown): never =>
  fail("EncodeFailed", `parameter of kind ${kind}: cannot encode a ${value === null ? "null" : typeof value}`)

/**
 * The format code (0 text, 1 binary) a parameter of `kind` is sent in.
 *
 * @since 0.1.0
 * @category encoding
 */
export const parameterFormat = (kind: ColumnKind): number => (kind === ColumnKind.Text ? 0 : 1)

/**
 * Writes one parameter: `null` and `undefined` are SQL NULL; otherwise the
 * value must be of the kind's JavaScript type (`Raw` takes a Uint8Array,
 * `Custom` is not writable here). A wrong type is a codec failure that
 * `writeFrontend`-style callers turn into a ProtocolError.
 *
 * @since 0.1.0
 * @category encoding
 */
export const writeParameter = (w: Writer, kind: ColumnKind, value: unknown): void => {
  if (value === null || value === undefined) return w.i32(-1)
  switch (kind) {
    case ColumnKind.Text:
      if (typeof value !== "string") return wrongType(kind, value)
      return w.lengthPrefixedString(value)
    case ColumnKind.Int4:
    case ColumnKind.Oid:
      if (typeof value !== "number" || !Number.isInteger(value)) return wrongType(kind, value)
      if (kind === ColumnKind.Int4 ? value < -2147483648 || value > 2147483647 : value < 0 || value > 4294967295) {
        fail("EncodeFailed", `parameter ${value} out of range for a 4-byte integer`)
      }
      w.i32(4)
      return w.i32(value)
    case ColumnKind.Int2:
      if (typeof value !== "number" || !Number.isInteger(value) || value < -32768 || value > 32767) {
        return wrongType(kind, value)
      }
      w.i32(2)
      return w.i16(value)
    case ColumnKind.Int8:
      if (typeof value !== "bigint" && !(typeof value === "number" && Number.isSafeInteger(value))) return wrongType(kind, value)
      w.i32(8)
      return w.i64(BigInt.asIntN(64, BigInt(value)))
    case ColumnKind.Float4:
      if (typeof value !== "number") return wrongType(kind, value)
      w.i32(4)
      return w.f32(value)
    case ColumnKind.Float8:
      if (typeof value !== "number") return wrongType(kind, value)
      w.i32(8)
      return w.f64(value)
    case ColumnKind.Bool:
      if (typeof value !== "boolean") return wrongType(kind, value)
      w.i32(1)
      return w.u8(value ? 1 : 0)
    case ColumnKind.TimestampDate: {
      if (!(value instanceof Date)) return wrongType(kind, value)
      const millis = value.getTime()
      if (Number.isNaN(millis)) fail("EncodeFailed", "parameter is an invalid Date")
      const offset = millis - postgresEpochMillis
      w.i32(8)
      // Float arithmetic is exact while |micros| < 2^53 (about ±285 years from 2000).
      if (Math.abs(offset) >= 9_007_199_254_740) return w.i64(BigInt(offset) * 1000n)
      const micros = offset * 1000
      const high = Math.floor(micros / two32)
      w.i32(high)
      return w.i32(micros - high * two32)
    }
    case ColumnKind.Raw:
      if (!(value instanceof Uint8Array)) return wrongType(kind, value)
      w.i32(value.length)
      return w.bytes(value)
  }
  return fail("EncodeFailed", `parameters of kind ${kind} need their own encoder`)
}
