/**
 * Messages of a query's result: the simple Query itself, RowDescription,
 * DataRow, CommandComplete and EmptyQueryResponse.
 *
 * DataRow is the one message that arrives per result row; its decoder reads
 * the frame directly instead of going through the `Reader`, and its values are
 * views into the parser's buffer (see `Parser.ts` for their lifetime).
 *
 * @since 0.1.0
 */
import { BackendType, FrontendType } from "../MessageType.ts"
import { fail } from "../ProtocolError.ts"
import type { Reader } from "../Reader.ts"
import { checkCount, type Writer } from "../Writer.ts"

/**
 * A simple-protocol query: one string that may hold several statements.
 *
 * @since 0.1.0
 * @category models
 */
export interface Query {
  readonly _tag: "Query"
  readonly query: string
}

/** @internal */
export const encodeQuery = (w: Writer, m: Query): void => {
  const at = w.begin(FrontendType.Query)
  w.cstring(m.query, "query")
  w.end(at)
}

/** @internal */
export const decodeQuery = (r: Reader): Query => ({ _tag: "Query", query: r.cstring("query") })

/**
 * One column of a RowDescription.
 *
 * @since 0.1.0
 * @category models
 */
export interface FieldDescription {
  readonly name: string
  /** OID of the source table, or 0. */
  readonly tableOid: number
  /** Attribute number of the source column, or 0. */
  readonly columnAttributeNumber: number
  readonly dataTypeOid: number
  /** `pg_type.typlen`; negative for variable width. */
  readonly dataTypeSize: number
  /** `pg_attribute.atttypmod`; type-specific, -1 when none. */
  readonly typeModifier: number
  /** 0 text, 1 binary. */
  readonly format: number
}

/** @since 0.1.0 @category models */
export interface RowDescription {
  readonly _tag: "RowDescription"
  readonly fields: ReadonlyArray<FieldDescription>
}

/** @internal */
export const encodeRowDescription = (w: Writer, m: RowDescription): void => {
  const at = w.begin(BackendType.RowDescription)
  const fields = m.fields
  w.i16(checkCount(fields.length, "RowDescription field count"))
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!
    w.cstring(f.name, "column name")
    w.i32(f.tableOid)
    w.i16(f.columnAttributeNumber)
    w.i32(f.dataTypeOid)
    w.i16(f.dataTypeSize)
    w.i32(f.typeModifier)
    w.i16(f.format)
  }
  w.end(at)
}

/** @internal */
export const decodeRowDescription = (r: Reader): RowDescription => {
  const count = r.count("RowDescription field count")
  // Each field needs at least 19 bytes, so a larger count cannot be honest.
  if (count * 19 > r.remaining) fail("Truncated", `RowDescription: ${count} fields cannot fit in ${r.remaining} bytes`)
  const fields: Array<FieldDescription> = new Array(count)
  for (let i = 0; i < count; i++) {
    const name = r.cstring("column name")
    const tableOid = r.u32("table oid")
    const columnAttributeNumber = r.i16("column attribute number")
    const dataTypeOid = r.u32("data type oid")
    const dataTypeSize = r.i16("data type size")
    const typeModifier = r.i32("type modifier")
    const format = r.i16("format code")
    fields[i] = { name, tableOid, columnAttributeNumber, dataTypeOid, dataTypeSize, typeModifier, format }
  }
  return { _tag: "RowDescription", fields }
}

/**
 * The raw values of a DataRow: each column's bytes in the format the
 * RowDescription announced, or `null` for SQL NULL.
 *
 * @since 0.1.0
 * @category models
 */
export type RawRow = ReadonlyArray<Uint8Array | null>

/**
 * One result row. By default `values` is the raw row; a parser given a
 * `RowDecoder` emits whatever the decoder builds instead (`R`: an array of
 * decoded values, or an object keyed by column name).
 *
 * @since 0.1.0
 * @category models
 */
export interface DataRow<R = RawRow> {
  readonly _tag: "DataRow"
  readonly values: R
}

/** @internal */
export const encodeDataRow = (w: Writer, m: DataRow): void => {
  const at = w.begin(BackendType.DataRow)
  const values = m.values
  w.i16(checkCount(values.length, "DataRow column count"))
  for (let i = 0; i < values.length; i++) w.nullableBytes(values[i]!)
  w.end(at)
}

/**
 * Decodes a DataRow body `bytes[start, end)`. Every length is checked against
 * the frame's end, so this needs no `Reader`.
 *
 * @internal
 */
export const decodeDataRow = (bytes: Uint8Array, start: number, end: number): DataRow => {
  if (start + 2 > end) fail("Truncated", "DataRow: missing column count")
  const count = (bytes[start]! << 8) | bytes[start + 1]!
  const values: Array<Uint8Array | null> = new Array(count)
  const buffer = bytes.buffer
  const base = bytes.byteOffset
  let p = start + 2
  for (let i = 0; i < count; i++) {
    if (p + 4 > end) fail("Truncated", `DataRow: column ${i} of ${count} has no length`)
    const length = (bytes[p]! << 24) | (bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!
    p += 4
    if (length < 0) {
      if (length !== -1) fail("InvalidLength", `DataRow: column ${i} has length ${length}`)
      values[i] = null
      continue
    }
    if (p + length > end) fail("Truncated", `DataRow: column ${i} declares ${length} bytes, ${end - p} left`)
    // `new Uint8Array(buffer, ...)` skips the species lookup `subarray` makes.
    values[i] = new Uint8Array(buffer, base + p, length)
    p += length
  }
  if (p !== end) fail("TrailingBytes", `DataRow: ${end - p} byte(s) after the last column`)
  return { _tag: "DataRow", values }
}

/**
 * The end of one statement's result: its command tag (`SELECT 3`, `INSERT 0 1`).
 *
 * @since 0.1.0
 * @category models
 */
export interface CommandComplete {
  readonly _tag: "CommandComplete"
  readonly tag: string
}

/** @internal */
export const encodeCommandComplete = (w: Writer, m: CommandComplete): void => {
  const at = w.begin(BackendType.CommandComplete)
  w.cstring(m.tag, "command tag")
  w.end(at)
}

/** @internal */
export const decodeCommandComplete = (r: Reader): CommandComplete => ({
  _tag: "CommandComplete",
  tag: r.cstring("command tag")
})

/** @since 0.1.0 @category models */
export interface EmptyQueryResponse {
  readonly _tag: "EmptyQueryResponse"
}

/** @since 0.1.0 @category constructors */
export const EmptyQueryResponse: EmptyQueryResponse = Object.freeze({ _tag: "EmptyQueryResponse" })
