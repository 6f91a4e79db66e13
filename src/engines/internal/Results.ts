/**
 * What both engines do with a backend's answer to one statement run on the
 * extended protocol without Sync: rows as the session encodes them, the
 * command tag split for a rows result, the transaction status the tag
 * implies (there is no ReadyForQuery before Sync).
 *
 * @internal
 */
import type { BackendMessage, TransactionStatus } from "../../protocol/index.ts"
import { decodeParameter, type Field, Oid, pgError, type PgError, type QueryResult, Results, Values } from "../../server/index.ts"
import { errorOf, fieldsOf } from "../pglite/internal/Wire.ts"

const utf8 = new TextDecoder()

/** One row's values as the session encodes them: raw text, or decoded binary values. */
export const rowOf = (values: ReadonlyArray<Uint8Array | null>, fields: ReadonlyArray<Field>, formats: ReadonlyArray<number>): Array<unknown> => {
  const row = new Array<unknown>(values.length)
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!
    if (value === null) row[i] = null
    else if (formats[i] === 1) row[i] = decodeParameter(fields[i]!.type, 1, value)
    // Text: the bytes as the backend wrote them; bytea's text form is a string (bytes would be hex-encoded again).
    else row[i] = fields[i]!.type === Oid.bytea ? utf8.decode(value) : value
  }
  return row
}

export const sameFields = (a: ReadonlyArray<Field> | undefined, b: ReadonlyArray<Field>): boolean =>
  a !== undefined && a.length === b.length && a.every((field, i) => field.type === b[i]!.type)

/** Command word(s) and whether the tag has a row count. */
export const splitTag = (tag: string): { readonly command: string; readonly omitCount: boolean } => {
  const match = /^(.*) (\d+)$/.exec(tag)
  return match === null ? { command: tag, omitCount: true } : { command: match[1]!, omitCount: false }
}

/**
 * The transaction status after a statement that succeeded, from its tag
 * and text: `ROLLBACK TO SAVEPOINT` and `COMMIT AND CHAIN` stay in the block.
 */
export const statusAfter = (tag: string, sql: string, before: TransactionStatus): TransactionStatus => {
  switch (tag) {
    case "BEGIN":
    case "START TRANSACTION":
      return "T"
    case "COMMIT":
    case "ROLLBACK":
      if (/\band\s+chain\b/i.test(sql)) return "T"
      if (tag === "ROLLBACK" && /^\s*rollback\b[^;]*\bto\b/i.test(sql)) return "T"
      return "I"
    case "PREPARE TRANSACTION":
      return "I"
  }
  return before
}

/** The answer to one statement. */
export interface Answer {
  readonly error: PgError | undefined
  readonly fields: ReadonlyArray<Field> | undefined
  readonly rows: Array<Array<unknown>>
  readonly tag: string
  readonly empty: boolean
  readonly copyOut: { readonly format: number; readonly columns: number; readonly data: Array<Uint8Array> } | undefined
  readonly copyIn: { readonly format: number; readonly columns: number } | undefined
}

/** Reads one statement's messages. */
export const readAnswer = (answer: ReadonlyArray<BackendMessage>, formats: ReadonlyArray<number>): Answer => {
  let fields: ReadonlyArray<Field> | undefined
  let tag = ""
  let copyOut: Answer["copyOut"]
  let copyIn: Answer["copyIn"]
  let empty = false
  const rows: Array<Array<unknown>> = []
  try {
    for (const m of answer) {
      switch (m._tag) {
        case "ErrorResponse":
          return { error: errorOf(m.fields), fields, rows, tag, empty, copyOut, copyIn }
        case "RowDescription":
          fields = fieldsOf(m.fields)
          break
        case "DataRow":
          rows.push(rowOf(m.values, fields ?? [], formats))
          break
        case "CommandComplete":
          tag = m.tag
          break
        case "EmptyQueryResponse":
          empty = true
          break
        case "CopyOutResponse":
          copyOut = { format: m.format, columns: m.columnFormats.length, data: [] }
          break
        case "CopyInResponse":
          copyIn = { format: m.format, columns: m.columnFormats.length }
          break
        case "CopyData":
          copyOut?.data.push(m.data)
          break
        default:
          break
      }
    }
  } catch (thrown) {
    const error = thrown instanceof Values.ValueError ? pgError(thrown.code, thrown.message) : pgError("XX000", String(thrown))
    return { error, fields, rows, tag, empty, copyOut, copyIn }
  }
  return { error: undefined, fields, rows, tag, empty, copyOut, copyIn }
}

/**
 * The query result of an answer; `fields` of a simple-protocol statement come
 * with the rows, an extended one's must match what Describe said.
 */
export const resultOf = (
  answer: Answer,
  protocol: "simple" | "extended",
  described: ReadonlyArray<Field> | undefined,
  status: TransactionStatus
): QueryResult | PgError => {
  if (answer.error !== undefined) return answer.error
  if (answer.copyOut !== undefined) {
    const { format, columns, data } = answer.copyOut
    return Results.copyOut(format === 1 ? "binary" : "text", columns, data, { tag: answer.tag })
  }
  if (answer.empty) return Results.empty
  if (answer.fields !== undefined) {
    if (protocol === "extended" && !sameFields(described, answer.fields)) {
      return pgError("0A000", "cached plan must not change result type")
    }
    const { command, omitCount } = splitTag(answer.tag)
    return Results.rows(answer.rows, {
      fields: protocol === "simple" ? answer.fields : undefined,
      command,
      omitCount,
      transactionStatus: status
    })
  }
  return Results.command(answer.tag, status)
}
