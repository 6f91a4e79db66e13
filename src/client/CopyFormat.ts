/**
 * The three COPY data formats as stream transforms: encoders that turn rows
 * (arrays of JavaScript values) into the bytes `copyFrom` sends, and
 * decoders that turn the bytes `copyTo` emits back into rows.
 *
 * - text: tab-separated, `\N` for NULL, backslash escapes (PostgreSQL's
 *   default `COPY ... (FORMAT text)`).
 * - CSV: comma-separated, `"` quoting with doubled quotes, an unquoted empty
 *   field for NULL and `""` for the empty string (`FORMAT csv` with its
 *   defaults).
 * - binary: the `PGCOPY` signature, then per row a field count and each
 *   field as a length and the type's binary form (`FORMAT binary`). Encoding
 *   needs each column's type; decoding gives each field's bytes, or values
 *   when the column types are given.
 *
 * Decoders keep at most one partial row between chunks. Malformed input
 * fails the stream with a `CopyFormatError` saying where.
 *
 * Values in text and CSV are written in the text form PostgreSQL's input
 * functions read: numbers and bigints as digits, booleans
 * as `t`/`f`, Dates in ISO 8601 with their zone, bytes as `\x` hex, arrays as
 * array literals, other objects as JSON.
 *
 * @since 0.1.0
 */
import type * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Pull from "effect/Pull"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { CodecFailure } from "../protocol/ProtocolError.ts"
import { ColumnKind, makeRowDecoder } from "../protocol/RowDecoder.ts"
import { decodeUtf8 } from "../protocol/Utf8.ts"
import { Writer } from "../protocol/Writer.ts"
import * as TypeMap from "./TypeMap.ts"
import { Oid } from "./TypeMap.ts"

/**
 * COPY data that cannot be encoded or decoded.
 *
 * @since 0.1.0
 * @category errors
 */
export class CopyFormatError extends Schema.TaggedError<CopyFormatError>()("CopyFormatError", {
  message: Schema.String,
  /** The row (from 1) where it happened, when known. */
  row: Schema.optional(Schema.Number)
}) {}

/** A row to encode: one value per column; null or undefined is SQL NULL. */
type Row = ReadonlyArray<unknown>

const encoder = new TextEncoder()
const hexDigits = "0123456789abcdef"

/** The text form PostgreSQL's input functions read, for a non-null value. */
const textOf = (value: unknown): string => {
  if (typeof value === "string") return value
  if (typeof value === "number" || typeof value === "bigint") return String(value)
  if (typeof value === "boolean") return value ? "t" : "f"
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new CodecFailure("EncodeFailed", "an invalid Date")
    return value.toISOString()
  }
  if (value instanceof Uint8Array) {
    let out = "\\x"
    for (let i = 0; i < value.length; i++) out += hexDigits[value[i]! >> 4]! + hexDigits[value[i]! & 15]!
    return out
  }
  if (Array.isArray(value)) return `{${value.map(arrayElement).join(",")}}`
  const json = JSON.stringify(value)
  if (json === undefined) throw new CodecFailure("EncodeFailed", `no text form for a value of type ${typeof value}`)
  return json
}

const arrayElement = (value: unknown): string => {
  if (value === null || value === undefined) return "NULL"
  if (Array.isArray(value)) return textOf(value)
  return `"${textOf(value).replace(/[\\"]/g, (c) => `\\${c}`)}"`
}

// ---------------------------------------------------------------------------
// Text format

const textEscapes: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\b": "\\b", "\f": "\\f", "\v": "\\v" }
const textEscape = /[\\\t\n\r\b\f\v]/g

/** Whether a string has a character text format escapes (a loop: cheaper than a regular expression on short fields). */
const hasTextSpecial = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x5c || (c >= 0x08 && c <= 0x0d)) return true
  }
  return false
}

const textField = (value: unknown): string => {
  if (typeof value === "number") return String(value)
  if (value === null || value === undefined) return "\\N"
  const text = typeof value === "string" ? value : textOf(value)
  return hasTextSpecial(text) ? text.replace(textEscape, (c) => textEscapes[c]!) : text
}

// ---------------------------------------------------------------------------
// CSV format

const csvField = (value: unknown): string => {
  if (value === null || value === undefined) return ""
  const text = textOf(value)
  // An empty string must be quoted to differ from NULL; `\.` alone would end the data.
  return text === "" || text === "\\." || /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

const encodeLines = (field: (value: unknown) => string, delimiter: string) => (rows: Arr.NonEmptyReadonlyArray<Row>): Uint8Array => {
  let out = ""
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      if (i > 0) out += delimiter
      out += field(row[i])
    }
    out += "\n"
  }
  return encoder.encode(out)
}

const encodeWith = (f: (rows: Arr.NonEmptyReadonlyArray<Row>, rowBase: number) => Uint8Array) =>
<E, R>(rows: Stream.Stream<Row, E, R>): Stream.Stream<Uint8Array, E | CopyFormatError, R> =>
  Stream.suspend(() => {
    let count = 0
    return Stream.mapArrayEffect(rows, (chunk) => {
      const base = count
      count += chunk.length
      try {
        return Effect.succeed([f(chunk, base)] as const)
      } catch (thrown) {
        return Effect.fail(new CopyFormatError({ message: thrown instanceof CodecFailure ? thrown.message : String(thrown), row: base + 1 }))
      }
    })
  })

/**
 * Rows to COPY text format, one chunk of bytes per chunk of rows.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeText: <E, R>(rows: Stream.Stream<Row, E, R>) => Stream.Stream<Uint8Array, E | CopyFormatError, R> = encodeWith(
  encodeLines(textField, "\t")
)

/**
 * Rows to COPY CSV format.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeCsv: <E, R>(rows: Stream.Stream<Row, E, R>) => Stream.Stream<Uint8Array, E | CopyFormatError, R> = encodeWith(
  encodeLines(csvField, ",")
)

// ---------------------------------------------------------------------------
// Binary format

const signature = new Uint8Array([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00])

/** Types whose binary form is their text in UTF-8. */
const textLike = new Set<number>([Oid.text, Oid.varchar, Oid.name, Oid.bpchar, Oid.char, Oid.unknown, Oid.json, Oid.xml])

const writeBinaryField = (w: Writer, oid: number, value: unknown, column: number): void => {
  if (value === null || value === undefined) return w.i32(-1)
  if (TypeMap.parameterFormat(oid, value) === 1) return TypeMap.writeValue(w, oid, value)
  if (textLike.has(oid)) return w.lengthPrefixedString(textOf(value))
  if (oid === Oid.jsonb) {
    const at = w.beginValue()
    w.u8(1) // jsonb's binary format version
    w.string(typeof value === "string" ? value : textOf(value))
    return w.endValue(at)
  }
  throw new CodecFailure("EncodeFailed", `column ${column + 1}: no binary form of ${typeof value} for type ${oid}`)
}

/**
 * Rows to COPY binary format. `types` gives each column's type (an OID from
 * `Oid`); every value must have a binary form for its column's type.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeBinary = (types: ReadonlyArray<number>) =>
<E, R>(rows: Stream.Stream<Row, E, R>): Stream.Stream<Uint8Array, E | CopyFormatError, R> => {
  const header = new Writer(32)
  header.raw(signature)
  header.i32(0) // flags
  header.i32(0) // header extension length
  const trailer = new Uint8Array([0xff, 0xff])
  const body = encodeWith((chunk, base) => {
    const w = new Writer(64 * 1024)
    for (let r = 0; r < chunk.length; r++) {
      const row = chunk[r]!
      if (row.length !== types.length) {
        throw new CodecFailure("EncodeFailed", `row ${base + r + 1} has ${row.length} values for ${types.length} columns`)
      }
      w.i16(row.length)
      for (let i = 0; i < row.length; i++) {
        writeBinaryField(w, types[i]!, row[i], i)
      }
    }
    return w.take()
  })(rows)
  return Stream.concat(Stream.concat(Stream.succeed(header.take()), body), Stream.succeed(trailer))
}

// ---------------------------------------------------------------------------
// Decoders

/** A push parser: bytes in, rows out; `end` checks nothing is left over. */
interface RowParser<A> {
  readonly push: (chunk: Uint8Array, out: Array<A>) => void
  readonly end: (out: Array<A>) => void
}

const decodeWith = <A>(make: () => RowParser<A>) =>
<E, R>(bytes: Stream.Stream<Uint8Array, E, R>): Stream.Stream<A, E | CopyFormatError, R> =>
  Stream.transformPull(bytes, (pull) =>
    Effect.sync(() => {
      const parser = make()
      let ended = false
      const fail = (thrown: unknown, rows: number) =>
        Effect.fail(
          thrown instanceof CopyFormatError
            ? thrown
            : new CopyFormatError({ message: thrown instanceof CodecFailure ? thrown.message : String(thrown), row: rows })
        )
      let rowsSoFar = 0
      const next: Pull.Pull<Arr.NonEmptyReadonlyArray<A>, E | CopyFormatError, void> = Effect.suspend(() => {
        if (ended) return Cause.done()
        return pull.pipe(
          Effect.flatMap((chunks): Pull.Pull<Arr.NonEmptyReadonlyArray<A>, E | CopyFormatError, void> => {
            const out: Array<A> = []
            try {
              for (const chunk of chunks) parser.push(chunk, out)
            } catch (thrown) {
              return fail(thrown, rowsSoFar + out.length + 1)
            }
            rowsSoFar += out.length
            return out.length > 0 ? Effect.succeed(out as unknown as Arr.NonEmptyReadonlyArray<A>) : next
          }),
          Pull.catchDone((): Effect.Effect<Arr.NonEmptyReadonlyArray<A>, CopyFormatError | Cause.Done> => {
            ended = true
            const out: Array<A> = []
            try {
              parser.end(out)
            } catch (thrown) {
              return fail(thrown, rowsSoFar + 1)
            }
            return out.length > 0 ? Effect.succeed(out as unknown as Arr.NonEmptyReadonlyArray<A>) : Cause.done()
          })
        )
      })
      return next
    }))

/** Joins a partial line kept from earlier chunks with the next chunk. */
const concatBytes = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  if (a.length === 0) return b
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

const unescapeText = (bytes: Uint8Array, start: number, end: number): string => {
  let plain = true
  for (let i = start; i < end; i++) {
    if (bytes[i] === 0x5c) {
      plain = false
      break
    }
  }
  if (plain) return decodeUtf8(bytes, start, end)
  const out = new Uint8Array(end - start)
  let n = 0
  for (let i = start; i < end; i++) {
    const b = bytes[i]!
    if (b !== 0x5c) {
      out[n++] = b
      continue
    }
    if (++i >= end) throw new CodecFailure("InvalidValue", "a backslash ends a field")
    const c = bytes[i]!
    switch (c) {
      case 0x62: out[n++] = 0x08; break // \b
      case 0x66: out[n++] = 0x0c; break // \f
      case 0x6e: out[n++] = 0x0a; break // \n
      case 0x72: out[n++] = 0x0d; break // \r
      case 0x74: out[n++] = 0x09; break // \t
      case 0x76: out[n++] = 0x0b; break // \v
      case 0x78: { // \xH or \xHH
        let value = 0
        let digits = 0
        while (digits < 2 && i + 1 < end && isHex(bytes[i + 1]!)) {
          value = value * 16 + hexValue(bytes[++i]!)
          digits++
        }
        out[n++] = digits === 0 ? 0x78 : value
        break
      }
      default:
        if (c >= 0x30 && c <= 0x37) { // \o, \oo, \ooo
          let value = c - 0x30
          let digits = 1
          while (digits < 3 && i + 1 < end && bytes[i + 1]! >= 0x30 && bytes[i + 1]! <= 0x37) {
            value = value * 8 + (bytes[++i]! - 0x30)
            digits++
          }
          out[n++] = value & 0xff
        } else {
          out[n++] = c
        }
    }
  }
  return decodeUtf8(out, 0, n)
}

const isHex = (b: number) => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)
const hexValue = (b: number) => (b <= 0x39 ? b - 0x30 : (b | 0x20) - 0x61 + 10)

const textParser = (): RowParser<Array<string | null>> => {
  let rest: Uint8Array = new Uint8Array(0)
  const line = (bytes: Uint8Array, start: number, end: number, out: Array<Array<string | null>>) => {
    const row: Array<string | null> = []
    let from = start
    for (let i = start; i <= end; i++) {
      if (i === end || bytes[i] === 0x09) {
        row.push(i - from === 2 && bytes[from] === 0x5c && bytes[from + 1] === 0x4e ? null : unescapeText(bytes, from, i))
        from = i + 1
      }
    }
    out.push(row)
  }
  return {
    push: (chunk, out) => {
      const bytes = concatBytes(rest, chunk)
      let from = 0
      for (let i = 0; i < bytes.length; i++) {
        if (bytes[i] === 0x0a) {
          line(bytes, from, i, out)
          from = i + 1
        }
      }
      rest = bytes.slice(from)
    },
    end: (out) => {
      if (rest.length > 0) line(rest, 0, rest.length, out)
      rest = new Uint8Array(0)
    }
  }
}

/**
 * COPY text format to rows of strings (null for `\N`).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeText: <E, R>(bytes: Stream.Stream<Uint8Array, E, R>) => Stream.Stream<Array<string | null>, E | CopyFormatError, R> =
  decodeWith(textParser)

const csvLine = (bytes: Uint8Array, start: number, end: number, out: Array<Array<string | null>>) => {
  if (end > start && bytes[end - 1] === 0x0d) end-- // a CRLF line end
  const row: Array<string | null> = []
  let i = start
  for (;;) {
    if (i < end && bytes[i] === 0x22) {
      let j = i + 1
      let doubled = false
      for (;;) {
        if (j >= end) throw new CodecFailure("InvalidValue", "a quoted CSV field is not closed")
        if (bytes[j] === 0x22) {
          if (j + 1 < end && bytes[j + 1] === 0x22) {
            doubled = true
            j += 2
            continue
          }
          break
        }
        j++
      }
      const text = decodeUtf8(bytes, i + 1, j)
      row.push(doubled ? text.replaceAll('""', '"') : text)
      i = j + 1
      if (i < end && bytes[i] !== 0x2c) throw new CodecFailure("InvalidValue", "a CSV field goes on after its closing quote")
    } else {
      let j = i
      while (j < end && bytes[j] !== 0x2c) j++
      row.push(j === i ? null : decodeUtf8(bytes, i, j))
      i = j
    }
    if (i >= end) break
    i++ // the delimiter
    if (i === end) {
      row.push(null)
      break
    }
  }
  out.push(row)
}

const csvParser = (): RowParser<Array<string | null>> => {
  let rest: Uint8Array = new Uint8Array(0)
  return {
    push: (chunk, out) => {
      const bytes = concatBytes(rest, chunk)
      let from = 0
      let inQuotes = false
      for (let i = 0; i < bytes.length; i++) {
        const b = bytes[i]
        // A doubled quote toggles twice, so the state stays right.
        if (b === 0x22) inQuotes = !inQuotes
        else if (b === 0x0a && !inQuotes) {
          csvLine(bytes, from, i, out)
          from = i + 1
        }
      }
      rest = bytes.slice(from)
    },
    end: (out) => {
      if (rest.length > 0) csvLine(rest, 0, rest.length, out)
      rest = new Uint8Array(0)
    }
  }
}

/**
 * COPY CSV format to rows of strings (null for an unquoted empty field).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeCsv: <E, R>(bytes: Stream.Stream<Uint8Array, E, R>) => Stream.Stream<Array<string | null>, E | CopyFormatError, R> =
  decodeWith(csvParser)

const binaryParser = <A>(decodeRow: (bytes: Uint8Array, start: number, end: number) => A) => (): RowParser<A> => {
  let rest: Uint8Array = new Uint8Array(0)
  let headerDone = false
  let finished = false
  return {
    push: (chunk, out) => {
      let bytes = concatBytes(rest, chunk)
      let at = 0
      if (!headerDone) {
        if (bytes.length < 19) {
          rest = bytes
          return
        }
        for (let i = 0; i < signature.length; i++) {
          if (bytes[i] !== signature[i]) throw new CodecFailure("InvalidValue", "not COPY binary data (bad signature)")
        }
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length)
        const extension = view.getInt32(15)
        if (extension < 0) throw new CodecFailure("InvalidValue", "negative header extension length")
        if (bytes.length < 19 + extension) {
          rest = bytes
          return
        }
        at = 19 + extension
        headerDone = true
      }
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length)
      while (at + 2 <= bytes.length) {
        if (finished) throw new CodecFailure("InvalidValue", "data after the COPY binary trailer")
        const count = view.getInt16(at)
        if (count === -1) {
          finished = true
          at += 2
          continue
        }
        if (count < 0) throw new CodecFailure("InvalidValue", `negative field count ${count}`)
        // Find the end of the tuple; wait for more bytes when it is not all here.
        let p = at + 2
        let complete = true
        for (let f = 0; f < count; f++) {
          if (p + 4 > bytes.length) {
            complete = false
            break
          }
          const length = view.getInt32(p)
          if (length < -1) throw new CodecFailure("InvalidValue", `field length ${length}`)
          p += 4 + Math.max(0, length)
          if (p > bytes.length) {
            complete = false
            break
          }
        }
        if (!complete) break
        out.push(decodeRow(bytes, at, p))
        at = p
      }
      bytes = bytes.subarray(at)
      rest = bytes.length > 0 ? bytes.slice() : new Uint8Array(0)
    },
    end: () => {
      if (!headerDone && rest.length > 0) throw new CodecFailure("InvalidValue", "COPY binary data ends inside its header")
      if (rest.length > 0) throw new CodecFailure("InvalidValue", "COPY binary data ends inside a row")
      if (headerDone && !finished) throw new CodecFailure("InvalidValue", "COPY binary data has no trailer")
    }
  }
}

/** The fields of a tuple as copies of their bytes (null for NULL). */
const rawTuple = (bytes: Uint8Array, start: number, end: number): Array<Uint8Array | null> => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length)
  const count = view.getInt16(start)
  const row: Array<Uint8Array | null> = new Array(count)
  let p = start + 2
  for (let f = 0; f < count; f++) {
    const length = view.getInt32(p)
    p += 4
    if (length === -1) {
      row[f] = null
    } else {
      row[f] = bytes.slice(p, p + length)
      p += length
    }
  }
  if (p !== end) throw new CodecFailure("InvalidValue", "tuple length mismatch")
  return row
}

/**
 * COPY binary format to rows: each field's bytes, or, given the column types
 * (OIDs), values decoded as `query` decodes binary results.
 *
 * @since 0.1.0
 * @category decoding
 */
export function decodeBinary(): <E, R>(bytes: Stream.Stream<Uint8Array, E, R>) => Stream.Stream<Array<Uint8Array | null>, E | CopyFormatError, R>
export function decodeBinary(
  types: ReadonlyArray<number>
): <E, R>(bytes: Stream.Stream<Uint8Array, E, R>) => Stream.Stream<Array<unknown>, E | CopyFormatError, R>
export function decodeBinary(types?: ReadonlyArray<number>) {
  if (types === undefined) return decodeWith(binaryParser(rawTuple))
  const decoders = types.map((oid, i) => {
    const column = TypeMap.resultColumn(oid)
    // Types without a binary codec would arrive as bytes; read them as raw.
    return { ...(column.format === 1 ? column.decoder : { kind: ColumnKind.Raw }), name: String(i) }
  })
  let failure: string | undefined
  const decodeRow = makeRowDecoder(decoders, "array", (column, reason) => {
    failure ??= `column ${column + 1}: ${reason}`
  })
  return decodeWith(binaryParser((bytes, start, end) => {
    // A binary COPY tuple has the layout of a DataRow body.
    const row = decodeRow(bytes, start, end) as Array<unknown>
    if (failure !== undefined) {
      const message = failure
      failure = undefined
      throw new CodecFailure("InvalidValue", message)
    }
    return row
  }))
}
