/**
 * The three COPY data formats, both ways, for handlers that implement
 * `COPY ... FROM STDIN` and `COPY ... TO STDOUT`:
 *
 * - text: tab-separated columns, one row per line, `\N` for NULL and
 *   backslash escapes; a line holding only `\.` ends the data;
 * - CSV: comma-separated, `"` quoting (doubled inside), an unquoted empty
 *   field for NULL, quoted fields may span lines;
 * - binary: the `PGCOPY` header, then per row a 16-bit field count and
 *   length-prefixed values in each type's binary format, then -1.
 *
 * Decoders are incremental: CopyData payloads may split rows anywhere.
 *
 * What it is not: COPY options beyond the format (custom delimiters, NULL
 * strings, headers, FORCE_QUOTE); a handler that needs them parses itself.
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import { Writer } from "../protocol/Writer.ts"
import { SqlState } from "../protocol/SqlState.ts"
import { pgError, type PgError } from "./PgError.ts"
import type { CopyFormat, Row } from "./Results.ts"
import { type ColumnWriter, columnWriter, textOf, ValueError } from "./Values.ts"

const encoder = new TextEncoder()

/**
 * The 19 bytes that open binary COPY data: signature, flags, extension length.
 *
 * @since 0.1.0
 * @category constants
 */
export const binaryHeader: Uint8Array = new Uint8Array([
  0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0
])

/**
 * The field count -1 that ends binary COPY data.
 *
 * @since 0.1.0
 * @category constants
 */
export const binaryTrailer: Uint8Array = new Uint8Array([0xff, 0xff])

const escapeText = (value: string): string => {
  let out = ""
  let from = 0
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    let escaped: string | undefined
    if (c === 0x5c) escaped = "\\\\"
    else if (c === 0x0a) escaped = "\\n"
    else if (c === 0x0d) escaped = "\\r"
    else if (c === 0x09) escaped = "\\t"
    if (escaped !== undefined) {
      out += value.slice(from, i) + escaped
      from = i + 1
    }
  }
  return from === 0 ? value : out + value.slice(from)
}

const quoteCsv = (value: string): string =>
  value === "" || /[",\r\n]/.test(value) || value.startsWith(" ") || value.endsWith(" ")
    ? `"${value.replaceAll("\"", "\"\"")}"`
    : value

const asText = (type: number, value: unknown): string | null => {
  if (value === null || value === undefined) return null
  const text = textOf(type, value)
  return typeof text === "string" ? text : new TextDecoder().decode(text)
}

/**
 * Encodes rows for COPY TO STDOUT: one CopyData payload per row (the binary
 * header and trailer are separate payloads). `types` gives each column's
 * type OID, for formatting and for binary values. Fails when a type has no
 * binary format (42883) or a value does not fit its type.
 *
 * @since 0.1.0
 * @category encoding
 */
export const makeEncoder = (
  format: CopyFormat,
  types: ReadonlyArray<number>
): Result.Result<(row: Row) => Result.Result<Uint8Array, PgError>, PgError> => {
  const guarded = (encode: (row: Row) => Uint8Array) => (row: Row): Result.Result<Uint8Array, PgError> => {
    try {
      return Result.succeed(encode(row))
    } catch (thrown) {
      return Result.fail(thrown instanceof ValueError ? pgError(thrown.code, thrown.message) : pgError(SqlState.internalError, String(thrown)))
    }
  }
  switch (format) {
    case "text":
      return Result.succeed(guarded((row) => {
        let line = ""
        for (let i = 0; i < types.length; i++) {
          const text = asText(types[i]!, row[i])
          line += (i === 0 ? "" : "\t") + (text === null ? "\\N" : escapeText(text))
        }
        return encoder.encode(line + "\n")
      }))
    case "csv":
      return Result.succeed(guarded((row) => {
        let line = ""
        for (let i = 0; i < types.length; i++) {
          const text = asText(types[i]!, row[i])
          line += (i === 0 ? "" : ",") + (text === null ? "" : quoteCsv(text))
        }
        return encoder.encode(line + "\n")
      }))
    case "binary": {
      const writers: Array<ColumnWriter> = []
      for (const type of types) {
        const writer = columnWriter(type, 1)
        if (writer === undefined) return Result.fail(pgError(SqlState.undefinedFunction, `no binary output function available for type ${type}`))
        writers.push(writer)
      }
      return Result.succeed(guarded((row) => {
        const w = new Writer(256)
        w.i16(writers.length)
        for (let i = 0; i < writers.length; i++) writers[i]!(w, row[i])
        return w.take()
      }))
    }
  }
}

/**
 * An incremental decoder of COPY FROM STDIN data. Text and CSV rows come
 * out as arrays of strings (`null` for NULL); binary rows as arrays of
 * each value's bytes.
 *
 * @since 0.1.0
 * @category models
 */
export interface CopyDecoder {
  /** The rows completed by this chunk. */
  readonly push: (chunk: Uint8Array) => Array<Array<string | null>> | Array<Array<Uint8Array | null>> | PgError
  /** The end of the data: the last row, or an error for an incomplete one. */
  readonly end: () => Array<Array<string | null>> | Array<Array<Uint8Array | null>> | PgError
}

const badFormat = (message: string): PgError => pgError(SqlState.badCopyFileFormat, message)

const unescapeText = (field: string): string => {
  if (field.indexOf("\\") === -1) return field
  let out = ""
  for (let i = 0; i < field.length; i++) {
    const c = field[i]!
    if (c !== "\\" || i + 1 >= field.length) {
      out += c
      continue
    }
    const next = field[++i]!
    switch (next) {
      case "n":
        out += "\n"
        break
      case "r":
        out += "\r"
        break
      case "t":
        out += "\t"
        break
      case "b":
        out += "\b"
        break
      case "f":
        out += "\f"
        break
      case "v":
        out += "\v"
        break
      default:
        out += next
    }
  }
  return out
}

const makeTextDecoder = (columns: number): CopyDecoder => {
  const utf8 = new TextDecoder("utf-8", { fatal: true })
  let pending = ""
  let ended = false
  const lineToRow = (line: string, lineNumber: number): Array<string | null> | PgError => {
    const fields = line.split("\t")
    if (fields.length !== columns) {
      return badFormat(`${fields.length < columns ? "missing data for column" : "extra data after last expected column"} (line ${lineNumber})`)
    }
    return fields.map((field) => (field === "\\N" ? null : unescapeText(field)))
  }
  let lineNumber = 0
  const take = (final: boolean): Array<Array<string | null>> | PgError => {
    const rows: Array<Array<string | null>> = []
    for (;;) {
      if (ended) return rows
      const newline = pending.indexOf("\n")
      if (newline === -1 && !(final && pending.length > 0)) return rows
      let line = newline === -1 ? pending : pending.slice(0, newline)
      pending = newline === -1 ? "" : pending.slice(newline + 1)
      if (line.endsWith("\r")) line = line.slice(0, -1)
      lineNumber++
      if (line === "\\.") {
        ended = true
        return rows
      }
      const row = lineToRow(line, lineNumber)
      if (!Array.isArray(row)) return row
      rows.push(row)
    }
  }
  return {
    push: (chunk) => {
      try {
        pending += utf8.decode(chunk, { stream: true })
      } catch {
        return pgError(SqlState.characterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\"")
      }
      return take(false)
    },
    end: () => take(true)
  }
}

const makeCsvDecoder = (columns: number): CopyDecoder => {
  const utf8 = new TextDecoder("utf-8", { fatal: true })
  let fields: Array<string | null> = []
  let field = ""
  let quoted = false
  let inQuotes = false
  let afterQuote = false
  let lineStart = true
  const rows: Array<Array<string | null>> = []
  let carry = ""
  let done = false
  const endField = () => {
    fields.push(!quoted && field === "" ? null : field)
    field = ""
    quoted = false
    afterQuote = false
  }
  const endRow = (): PgError | undefined => {
    endField()
    const row = fields
    fields = []
    lineStart = true
    if (row.length === 1 && row[0] === null && columns !== 1) return undefined
    if (row.length !== columns) return badFormat(row.length < columns ? "missing data for column" : "extra data after last expected column")
    rows.push(row)
    return undefined
  }
  const feed = (text: string): PgError | undefined => {
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!
      if (inQuotes) {
        if (c === "\"") {
          if (text[i + 1] === "\"") {
            field += "\""
            i++
          } else if (i + 1 === text.length) {
            // Cannot tell a closing quote from a doubled one yet: keep it for the next chunk.
            carry = "\""
            return undefined
          } else {
            inQuotes = false
            afterQuote = true
          }
        } else {
          field += c
        }
        continue
      }
      if (lineStart && c === "\\" && text.startsWith("\\.", i)) {
        done = true
        return undefined
      }
      lineStart = false
      if (c === ",") endField()
      else if (c === "\n") {
        const error = endRow()
        if (error !== undefined) return error
      } else if (c === "\r") continue
      else if (c === "\"" && field === "" && !afterQuote) {
        inQuotes = true
        quoted = true
      } else field += c
    }
    return undefined
  }
  const drain = (): Array<Array<string | null>> => rows.splice(0)
  return {
    push: (chunk) => {
      if (done) return []
      let text: string
      try {
        text = carry + utf8.decode(chunk, { stream: true })
      } catch {
        return pgError(SqlState.characterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\"")
      }
      carry = ""
      const error = feed(text)
      return error ?? drain()
    },
    end: () => {
      if (carry !== "") {
        inQuotes = false
        carry = ""
      }
      if (inQuotes) return badFormat("unterminated CSV quoted field")
      if (!done && (field !== "" || fields.length > 0 || quoted)) {
        const error = endRow()
        if (error !== undefined) return error
      }
      return drain()
    }
  }
}

const makeBinaryDecoder = (columns: number): CopyDecoder => {
  let buffer = new Uint8Array(0)
  let headerRead = false
  let finished = false
  const append = (chunk: Uint8Array) => {
    const next = new Uint8Array(buffer.length + chunk.length)
    next.set(buffer)
    next.set(chunk, buffer.length)
    buffer = next
  }
  const take = (): Array<Array<Uint8Array | null>> | PgError => {
    const rows: Array<Array<Uint8Array | null>> = []
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength)
    let p = 0
    if (!headerRead) {
      if (buffer.length < 19) return rows
      for (let i = 0; i < 11; i++) if (buffer[i] !== binaryHeader[i]) return badFormat("COPY file signature not recognized")
      const extension = view.getUint32(15)
      if (buffer.length < 19 + extension) return rows
      p = 19 + extension
      headerRead = true
    }
    while (!finished && p + 2 <= buffer.length) {
      const count = view.getInt16(p)
      if (count === -1) {
        finished = true
        p += 2
        break
      }
      if (count !== columns) return badFormat(`row field count is ${count}, expected ${columns}`)
      let q = p + 2
      const row: Array<Uint8Array | null> = []
      let complete = true
      for (let i = 0; i < count; i++) {
        if (q + 4 > buffer.length) {
          complete = false
          break
        }
        const length = view.getInt32(q)
        q += 4
        if (length === -1) {
          row.push(null)
          continue
        }
        if (length < 0) return badFormat(`invalid field size ${length}`)
        if (q + length > buffer.length) {
          complete = false
          break
        }
        row.push(buffer.slice(q, q + length))
        q += length
      }
      if (!complete) break
      rows.push(row)
      p = q
    }
    buffer = buffer.slice(p)
    return rows
  }
  return {
    push: (chunk) => {
      if (finished) return []
      append(chunk)
      return take()
    },
    end: () => {
      const rows = take()
      if (!Array.isArray(rows)) return rows
      if (!headerRead || buffer.length > 0) return badFormat("unexpected EOF in COPY data")
      return rows
    }
  }
}

/**
 * A decoder for COPY FROM STDIN data with `columns` columns.
 *
 * @since 0.1.0
 * @category decoding
 */
export const makeDecoder = (format: CopyFormat, columns: number): CopyDecoder => {
  switch (format) {
    case "text":
      return makeTextDecoder(columns)
    case "csv":
      return makeCsvDecoder(columns)
    case "binary":
      return makeBinaryDecoder(columns)
  }
}
