/**
 * COPY sub-protocol messages. CopyData and CopyDone travel in both directions
 * and are the same objects either way.
 *
 * @since 0.1.0
 */
import { BackendType, FrontendType } from "../MessageType.ts"
import { fail } from "../ProtocolError.ts"
import type { Reader } from "../Reader.ts"
import { checkCount, type Writer } from "../Writer.ts"

/**
 * A chunk of COPY data; `data` is a view into the parser's buffer.
 *
 * @since 0.1.0
 * @category models
 */
export interface CopyData {
  readonly _tag: "CopyData"
  readonly data: Uint8Array
}

/** @since 0.1.0 @category models */
export interface CopyDone {
  readonly _tag: "CopyDone"
}

/** @since 0.1.0 @category constructors */
export const CopyDone: CopyDone = Object.freeze({ _tag: "CopyDone" })

/**
 * The frontend aborts a COPY FROM STDIN, with a message the server reports.
 *
 * @since 0.1.0
 * @category models
 */
export interface CopyFail {
  readonly _tag: "CopyFail"
  readonly message: string
}

/**
 * The start of a COPY: the overall format (0 text, 1 binary) and the format of
 * each column.
 *
 * @since 0.1.0
 * @category models
 */
export interface CopyResponseFields {
  readonly format: number
  readonly columnFormats: ReadonlyArray<number>
}

/** @since 0.1.0 @category models */
export interface CopyInResponse extends CopyResponseFields {
  readonly _tag: "CopyInResponse"
}
/** @since 0.1.0 @category models */
export interface CopyOutResponse extends CopyResponseFields {
  readonly _tag: "CopyOutResponse"
}
/** Starts streaming replication (both directions). @since 0.1.0 @category models */
export interface CopyBothResponse extends CopyResponseFields {
  readonly _tag: "CopyBothResponse"
}

/** @internal */
export const encodeCopyData = (w: Writer, m: CopyData): void => {
  const at = w.begin(FrontendType.CopyData)
  w.bytes(m.data)
  w.end(at)
}

/** @internal */
export const decodeCopyData = (r: Reader): CopyData => ({ _tag: "CopyData", data: r.rest() })

/** @internal */
export const encodeCopyDone = (w: Writer): void => {
  w.end(w.begin(FrontendType.CopyDone))
}

/** @internal */
export const encodeCopyFail = (w: Writer, m: CopyFail): void => {
  const at = w.begin(FrontendType.CopyFail)
  w.cstring(m.message, "CopyFail message")
  w.end(at)
}

/** @internal */
export const decodeCopyFail = (r: Reader): CopyFail => ({ _tag: "CopyFail", message: r.cstring("CopyFail message") })

const copyResponseType = {
  CopyInResponse: BackendType.CopyInResponse,
  CopyOutResponse: BackendType.CopyOutResponse,
  CopyBothResponse: BackendType.CopyBothResponse
} as const

/** @internal */
export const encodeCopyResponse = (w: Writer, m: CopyInResponse | CopyOutResponse | CopyBothResponse): void => {
  const at = w.begin(copyResponseType[m._tag])
  if (m.format < 0 || m.format > 0xff) fail("EncodeFailed", `${m._tag}: format ${m.format} does not fit a byte`)
  w.u8(m.format)
  w.i16(checkCount(m.columnFormats.length, `${m._tag} column count`))
  for (const format of m.columnFormats) w.i16(format)
  w.end(at)
}

/** @internal */
export const decodeCopyResponse = <Tag extends "CopyInResponse" | "CopyOutResponse" | "CopyBothResponse">(
  r: Reader,
  tag: Tag
): CopyResponseFields & { readonly _tag: Tag } => {
  const format = r.u8("copy format")
  const count = r.count("copy column count")
  if (count * 2 > r.remaining) fail("Truncated", `${tag}: ${count} column formats in ${r.remaining} bytes`)
  const columnFormats: Array<number> = new Array(count)
  for (let i = 0; i < count; i++) columnFormats[i] = r.i16("column format")
  return { _tag: tag, format, columnFormats }
}
