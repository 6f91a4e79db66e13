/**
 * The extended query protocol: Parse, Bind, Describe, Execute, Close, Sync and
 * Flush from the frontend; ParseComplete, BindComplete, CloseComplete, NoData,
 * PortalSuspended and ParameterDescription from the backend.
 *
 * `writeBind` is the allocation-free path for clients: parameters are encoded
 * straight into the writer by a callback instead of as byte arrays first.
 *
 * @since 0.1.0
 */
import { BackendType, FrontendType } from "../MessageType.ts"
import { fail } from "../ProtocolError.ts"
import type { Reader } from "../Reader.ts"
import { checkCount, type Writer } from "../Writer.ts"

/**
 * Creates a prepared statement (`name` "" is the unnamed statement). Parameter
 * type OIDs may be 0 to let the server infer the type.
 *
 * @since 0.1.0
 * @category models
 */
export interface Parse {
  readonly _tag: "Parse"
  readonly name: string
  readonly query: string
  readonly parameterTypes: ReadonlyArray<number>
}

/** @internal */
export const encodeParse = (w: Writer, m: Parse): void => {
  const at = w.begin(FrontendType.Parse)
  w.cstring(m.name, "statement name")
  w.cstring(m.query, "query")
  const types = m.parameterTypes
  w.i16(checkCount(types.length, "Parse parameter count"))
  for (let i = 0; i < types.length; i++) w.i32(types[i]!)
  w.end(at)
}

/** @internal */
export const decodeParse = (r: Reader): Parse => {
  const name = r.cstring("statement name")
  const query = r.cstring("query")
  const count = r.count("Parse parameter count")
  if (count * 4 > r.remaining) fail("Truncated", `Parse: ${count} parameter types in ${r.remaining} bytes`)
  const parameterTypes: Array<number> = new Array(count)
  for (let i = 0; i < count; i++) parameterTypes[i] = r.u32("parameter type")
  return { _tag: "Parse", name, query, parameterTypes }
}

/**
 * Binds parameters to a prepared statement, creating a portal.
 *
 * Format code lists follow the protocol: empty means all text, one entry
 * applies to every value, otherwise one per value. Codes are kept as numbers
 * (PostgreSQL answers an unknown code with an error, not a broken connection).
 *
 * @since 0.1.0
 * @category models
 */
export interface Bind {
  readonly _tag: "Bind"
  readonly portal: string
  readonly statement: string
  readonly parameterFormats: ReadonlyArray<number>
  readonly parameters: ReadonlyArray<Uint8Array | null>
  readonly resultFormats: ReadonlyArray<number>
}

const writeFormats = (w: Writer, formats: ReadonlyArray<number>, what: string): void => {
  w.i16(checkCount(formats.length, what))
  for (let i = 0; i < formats.length; i++) w.i16(formats[i]!)
}

/** @internal */
export const encodeBind = (w: Writer, m: Bind): void => {
  const at = w.begin(FrontendType.Bind)
  w.cstring(m.portal, "portal name")
  w.cstring(m.statement, "statement name")
  writeFormats(w, m.parameterFormats, "Bind parameter format count")
  const parameters = m.parameters
  w.i16(checkCount(parameters.length, "Bind parameter count"))
  for (let i = 0; i < parameters.length; i++) w.nullableBytes(parameters[i]!)
  writeFormats(w, m.resultFormats, "Bind result format count")
  w.end(at)
}

/**
 * Writes a Bind whose parameter values are encoded in place: for each value,
 * `writeValue` must write an int32 length and the bytes (or -1 for NULL),
 * typically with `Writer.beginValue` / `Writer.endValue`.
 *
 * @since 0.1.0
 * @category encoding
 */
export const writeBind = <A>(
  w: Writer,
  portal: string,
  statement: string,
  parameterFormats: ReadonlyArray<number>,
  values: ReadonlyArray<A>,
  writeValue: (w: Writer, value: A, index: number) => void,
  resultFormats: ReadonlyArray<number>
): void => {
  const at = w.begin(FrontendType.Bind)
  w.cstring(portal, "portal name")
  w.cstring(statement, "statement name")
  writeFormats(w, parameterFormats, "Bind parameter format count")
  w.i16(checkCount(values.length, "Bind parameter count"))
  for (let i = 0; i < values.length; i++) writeValue(w, values[i]!, i)
  writeFormats(w, resultFormats, "Bind result format count")
  w.end(at)
}

const readFormats = (r: Reader, what: string): Array<number> => {
  const count = r.count(what)
  if (count * 2 > r.remaining) fail("Truncated", `${what}: ${count} format codes in ${r.remaining} bytes`)
  const formats: Array<number> = new Array(count)
  for (let i = 0; i < count; i++) formats[i] = r.i16("format code")
  return formats
}

/** @internal */
export const decodeBind = (r: Reader): Bind => {
  const portal = r.cstring("portal name")
  const statement = r.cstring("statement name")
  const parameterFormats = readFormats(r, "Bind parameter format count")
  const count = r.count("Bind parameter count")
  if (count * 4 > r.remaining) fail("Truncated", `Bind: ${count} parameters in ${r.remaining} bytes`)
  const parameters: Array<Uint8Array | null> = new Array(count)
  for (let i = 0; i < count; i++) parameters[i] = r.nullableBytes("Bind parameter")
  const resultFormats = readFormats(r, "Bind result format count")
  return { _tag: "Bind", portal, statement, parameterFormats, parameters, resultFormats }
}

/**
 * Whether Describe and Close name a prepared statement ('S') or a portal ('P').
 *
 * @since 0.1.0
 * @category models
 */
export type Target = "statement" | "portal"

const targetByte = (target: Target): number => (target === "statement" ? 0x53 : 0x50)

const readTarget = (r: Reader, what: string): Target => {
  const byte = r.u8(what)
  if (byte === 0x53) return "statement"
  if (byte === 0x50) return "portal"
  return fail("InvalidValue", `${what}: expected 'S' or 'P', got 0x${byte.toString(16)}`)
}

/** @since 0.1.0 @category models */
export interface Describe {
  readonly _tag: "Describe"
  readonly target: Target
  readonly name: string
}

/** @internal */
export const encodeDescribe = (w: Writer, m: Describe): void => {
  const at = w.begin(FrontendType.Describe)
  w.u8(targetByte(m.target))
  w.cstring(m.name, "Describe name")
  w.end(at)
}

/** @internal */
export const decodeDescribe = (r: Reader): Describe => {
  const target = readTarget(r, "Describe target")
  return { _tag: "Describe", target, name: r.cstring("Describe name") }
}

/** @since 0.1.0 @category models */
export interface Close {
  readonly _tag: "Close"
  readonly target: Target
  readonly name: string
}

/** @internal */
export const encodeClose = (w: Writer, m: Close): void => {
  const at = w.begin(FrontendType.Close)
  w.u8(targetByte(m.target))
  w.cstring(m.name, "Close name")
  w.end(at)
}

/** @internal */
export const decodeClose = (r: Reader): Close => {
  const target = readTarget(r, "Close target")
  return { _tag: "Close", target, name: r.cstring("Close name") }
}

/**
 * Runs a portal; `maxRows` 0 means no limit, otherwise the server stops with
 * PortalSuspended after that many rows.
 *
 * @since 0.1.0
 * @category models
 */
export interface Execute {
  readonly _tag: "Execute"
  readonly portal: string
  readonly maxRows: number
}

/** @internal */
export const encodeExecute = (w: Writer, m: Execute): void => {
  const at = w.begin(FrontendType.Execute)
  w.cstring(m.portal, "portal name")
  w.i32(m.maxRows)
  w.end(at)
}

/** @internal */
export const decodeExecute = (r: Reader): Execute => {
  const portal = r.cstring("portal name")
  return { _tag: "Execute", portal, maxRows: r.i32("max rows") }
}

/** @since 0.1.0 @category models */
export interface Sync {
  readonly _tag: "Sync"
}
/** @since 0.1.0 @category models */
export interface Flush {
  readonly _tag: "Flush"
}
/** @since 0.1.0 @category constructors */
export const Sync: Sync = Object.freeze({ _tag: "Sync" })
/** @since 0.1.0 @category constructors */
export const Flush: Flush = Object.freeze({ _tag: "Flush" })

/** @since 0.1.0 @category models */
export interface ParseComplete {
  readonly _tag: "ParseComplete"
}
/** @since 0.1.0 @category models */
export interface BindComplete {
  readonly _tag: "BindComplete"
}
/** @since 0.1.0 @category models */
export interface CloseComplete {
  readonly _tag: "CloseComplete"
}
/** @since 0.1.0 @category models */
export interface NoData {
  readonly _tag: "NoData"
}
/** @since 0.1.0 @category models */
export interface PortalSuspended {
  readonly _tag: "PortalSuspended"
}
/** @since 0.1.0 @category constructors */
export const ParseComplete: ParseComplete = Object.freeze({ _tag: "ParseComplete" })
/** @since 0.1.0 @category constructors */
export const BindComplete: BindComplete = Object.freeze({ _tag: "BindComplete" })
/** @since 0.1.0 @category constructors */
export const CloseComplete: CloseComplete = Object.freeze({ _tag: "CloseComplete" })
/** @since 0.1.0 @category constructors */
export const NoData: NoData = Object.freeze({ _tag: "NoData" })
/** @since 0.1.0 @category constructors */
export const PortalSuspended: PortalSuspended = Object.freeze({ _tag: "PortalSuspended" })

/**
 * The parameter types of a described statement.
 *
 * @since 0.1.0
 * @category models
 */
export interface ParameterDescription {
  readonly _tag: "ParameterDescription"
  readonly parameterTypes: ReadonlyArray<number>
}

/** @internal */
export const encodeParameterDescription = (w: Writer, m: ParameterDescription): void => {
  const at = w.begin(BackendType.ParameterDescription)
  const types = m.parameterTypes
  w.i16(checkCount(types.length, "ParameterDescription count"))
  for (let i = 0; i < types.length; i++) w.i32(types[i]!)
  w.end(at)
}

/** @internal */
export const decodeParameterDescription = (r: Reader): ParameterDescription => {
  const count = r.count("ParameterDescription count")
  if (count * 4 > r.remaining) fail("Truncated", `ParameterDescription: ${count} types in ${r.remaining} bytes`)
  const parameterTypes: Array<number> = new Array(count)
  for (let i = 0; i < count; i++) parameterTypes[i] = r.u32("parameter type")
  return { _tag: "ParameterDescription", parameterTypes }
}
