/**
 * The legacy fast-path function call (FunctionCall / FunctionCallResponse).
 * Still used by large-object APIs in libpq and JDBC.
 *
 * @since 0.1.0
 */
import { BackendType, FrontendType } from "../MessageType.ts"
import { fail } from "../ProtocolError.ts"
import type { Reader } from "../Reader.ts"
import { checkCount, type Writer } from "../Writer.ts"

/** @since 0.1.0 @category models */
export interface FunctionCall {
  readonly _tag: "FunctionCall"
  readonly functionOid: number
  /** As in Bind: empty (all text), one (for all) or one per argument. */
  readonly argumentFormats: ReadonlyArray<number>
  readonly arguments: ReadonlyArray<Uint8Array | null>
  readonly resultFormat: number
}

/** @internal */
export const encodeFunctionCall = (w: Writer, m: FunctionCall): void => {
  const at = w.begin(FrontendType.FunctionCall)
  w.i32(m.functionOid)
  w.i16(checkCount(m.argumentFormats.length, "FunctionCall argument format count"))
  for (const format of m.argumentFormats) w.i16(format)
  w.i16(checkCount(m.arguments.length, "FunctionCall argument count"))
  for (const argument of m.arguments) w.nullableBytes(argument)
  w.i16(m.resultFormat)
  w.end(at)
}

/** @internal */
export const decodeFunctionCall = (r: Reader): FunctionCall => {
  const functionOid = r.u32("function oid")
  const formatCount = r.count("FunctionCall argument format count")
  if (formatCount * 2 > r.remaining) fail("Truncated", `FunctionCall: ${formatCount} formats in ${r.remaining} bytes`)
  const argumentFormats: Array<number> = new Array(formatCount)
  for (let i = 0; i < formatCount; i++) argumentFormats[i] = r.i16("format code")
  const count = r.count("FunctionCall argument count")
  if (count * 4 > r.remaining) fail("Truncated", `FunctionCall: ${count} arguments in ${r.remaining} bytes`)
  const args: Array<Uint8Array | null> = new Array(count)
  for (let i = 0; i < count; i++) args[i] = r.nullableBytes("FunctionCall argument")
  const resultFormat = r.i16("result format")
  return { _tag: "FunctionCall", functionOid, argumentFormats, arguments: args, resultFormat }
}

/** @since 0.1.0 @category models */
export interface FunctionCallResponse {
  readonly _tag: "FunctionCallResponse"
  /** The result, or `null` for SQL NULL. */
  readonly result: Uint8Array | null
}

/** @internal */
export const encodeFunctionCallResponse = (w: Writer, m: FunctionCallResponse): void => {
  const at = w.begin(BackendType.FunctionCallResponse)
  w.nullableBytes(m.result)
  w.end(at)
}

/** @internal */
export const decodeFunctionCallResponse = (r: Reader): FunctionCallResponse => ({
  _tag: "FunctionCallResponse",
  result: r.nullableBytes("function result")
})
