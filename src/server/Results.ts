/**
 * What a query handler returns: the description of a prepared statement
 * (its parameter types and result columns) and the result of executing one
 * statement (rows, a command tag, an empty query, or a COPY in either
 * direction), with constructors.
 *
 * Rows are arrays of JavaScript values, one per column, encoded by the
 * session in the format the client asked for (see `Values.ts`). They come as
 * an array, or as an effect `Stream` that the session pulls only as fast as
 * the client reads: a handler may return a stream that never ends.
 *
 * What it is not: the wire messages (the session writes those) or the
 * protocol bookkeeping (statements, portals, row limits).
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import type { TransactionStatus } from "../protocol/index.ts"
import type { PgError } from "./PgError.ts"
import { typeSize } from "./Values.ts"

/**
 * One result column.
 *
 * @since 0.1.0
 * @category models
 */
export interface Field {
  readonly name: string
  /** The type OID (`Oid.int4`, ...). */
  readonly type: number
  /** `pg_type.typlen`; by default the built-in type's size or -1. */
  readonly typeSize?: number | undefined
  readonly typeModifier?: number | undefined
  /** The table the column comes from (0 when none). */
  readonly tableOid?: number | undefined
  readonly columnAttributeNumber?: number | undefined
}

/**
 * A column description.
 *
 * @since 0.1.0
 * @category constructors
 */
export const field = (name: string, type: number, options?: Omit<Field, "name" | "type">): Field => ({
  name,
  type,
  typeSize: options?.typeSize ?? typeSize(type),
  typeModifier: options?.typeModifier ?? -1,
  tableOid: options?.tableOid ?? 0,
  columnAttributeNumber: options?.columnAttributeNumber ?? 0
})

/**
 * One row: a value per column (`null` for SQL NULL).
 *
 * @since 0.1.0
 * @category models
 */
export type Row = ReadonlyArray<unknown>

/**
 * A statement as the handler prepared it.
 *
 * @since 0.1.0
 * @category models
 */
export interface PreparedStatement {
  readonly sql: string
  /** One OID per parameter (`$1`...), every one resolved (never 0). */
  readonly parameterTypes: ReadonlyArray<number>
  /** The result columns; `undefined` when the statement returns no rows (Describe answers NoData). */
  readonly fields: ReadonlyArray<Field> | undefined
  /** Whatever the handler wants to keep from preparation (a parsed plan). */
  readonly plan?: unknown
}

/**
 * Rows of a query. The command tag is `<command> <row count>` (`SELECT 3`).
 *
 * @since 0.1.0
 * @category models
 */
export interface RowsResult {
  readonly _tag: "Rows"
  readonly rows: ReadonlyArray<Row> | Stream.Stream<Row, PgError>
  /** The columns, when they differ from (or were unknown at) preparation; simple queries only. */
  readonly fields?: ReadonlyArray<Field> | undefined
  /** The tag's command word(s): `SELECT` (default), `INSERT 0`, `FETCH`, `SHOW`... */
  readonly command?: string | undefined
  /** A tag without the row count (`SHOW`); default false. */
  readonly omitCount?: boolean | undefined
  readonly transactionStatus?: TransactionStatus | undefined
}

/**
 * A statement that returns no rows, with its command tag (`INSERT 0 1`,
 * `BEGIN`). The transaction status follows from the tag (`BEGIN` and
 * `START TRANSACTION` open a block, `COMMIT` and `ROLLBACK` end it) unless
 * `transactionStatus` says otherwise (a `ROLLBACK TO SAVEPOINT`, say).
 *
 * @since 0.1.0
 * @category models
 */
export interface CommandResult {
  readonly _tag: "Command"
  readonly tag: string
  readonly transactionStatus?: TransactionStatus | undefined
}

/** @since 0.1.0 @category models */
export interface EmptyResult {
  readonly _tag: "Empty"
}

/**
 * The COPY data formats.
 *
 * @since 0.1.0
 * @category models
 */
export type CopyFormat = "text" | "csv" | "binary"

/**
 * What receives the data of a `COPY ... FROM STDIN`: each CopyData payload in
 * order, then the end (CopyDone: the command tag, `COPY <n>`) or the
 * client's CopyFail.
 *
 * @since 0.1.0
 * @category models
 */
export interface CopyReceiver {
  readonly data: (chunk: Uint8Array) => Effect.Effect<void, PgError>
  readonly done: Effect.Effect<string, PgError>
  readonly fail: (message: string) => Effect.Effect<void>
}

/** @since 0.1.0 @category models */
export interface CopyInResult {
  readonly _tag: "CopyIn"
  readonly format: CopyFormat
  readonly columns: number
  readonly receiver: CopyReceiver
}

/**
 * `COPY ... TO STDOUT`: each element of `data` is one CopyData payload (a
 * line of text or CSV, or a piece of the binary format).
 *
 * @since 0.1.0
 * @category models
 */
export interface CopyOutResult {
  readonly _tag: "CopyOut"
  readonly format: CopyFormat
  readonly columns: number
  readonly data: ReadonlyArray<Uint8Array> | Stream.Stream<Uint8Array, PgError>
  /** The command tag; default `COPY <number of rows>`, counting the rows of `rowCount`, else the elements. */
  readonly tag?: string | undefined
  readonly rowCount?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export type QueryResult = RowsResult | CommandResult | EmptyResult | CopyInResult | CopyOutResult

/**
 * @since 0.1.0
 * @category constructors
 */
export const rows = (
  rows: ReadonlyArray<Row> | Stream.Stream<Row, PgError>,
  options?: Omit<RowsResult, "_tag" | "rows">
): RowsResult => ({ _tag: "Rows", rows, ...options })

/**
 * @since 0.1.0
 * @category constructors
 */
export const command = (tag: string, transactionStatus?: TransactionStatus): CommandResult =>
  transactionStatus === undefined ? { _tag: "Command", tag } : { _tag: "Command", tag, transactionStatus }

/**
 * @since 0.1.0
 * @category constructors
 */
export const empty: EmptyResult = { _tag: "Empty" }

/**
 * @since 0.1.0
 * @category constructors
 */
export const copyIn = (format: CopyFormat, columns: number, receiver: CopyReceiver): CopyInResult => ({
  _tag: "CopyIn",
  format,
  columns,
  receiver
})

/**
 * @since 0.1.0
 * @category constructors
 */
export const copyOut = (
  format: CopyFormat,
  columns: number,
  data: ReadonlyArray<Uint8Array> | Stream.Stream<Uint8Array, PgError>,
  options?: { readonly tag?: string | undefined; readonly rowCount?: number | undefined }
): CopyOutResult => ({ _tag: "CopyOut", format, columns, data, ...options })

/**
 * The transaction status after a command tag, from the status before it.
 *
 * @since 0.1.0
 * @category accessors
 */
export const statusAfterTag = (tag: string, before: TransactionStatus): TransactionStatus => {
  const space = tag.indexOf(" ")
  const word = space === -1 ? tag : tag.slice(0, space)
  switch (word) {
    case "BEGIN":
      return "T"
    case "START":
      return tag === "START TRANSACTION" ? "T" : before
    case "COMMIT":
    case "ROLLBACK":
      // COMMIT PREPARED and ROLLBACK PREPARED act on another transaction.
      return tag === word ? "I" : before
    case "PREPARE":
      return tag === "PREPARE TRANSACTION" ? "I" : before
  }
  return before
}
