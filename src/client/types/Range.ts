/**
 * Range and multirange types over any subtype, in both formats: `PgRange`
 * with its bounds (a `null` bound is unbounded, which is not the same as a
 * bound whose value is `infinity`), inclusive or exclusive ends, and the
 * empty range; a multirange is an array of `PgRange`s.
 *
 * @since 0.1.0
 */
import type { FieldReader } from "../../protocol/RowDecoder.ts"
import type { Writer } from "../../protocol/Writer.ts"
import { cannotEncode, type Codec, int32At, invalid, need } from "./Codec.ts"

const emptyFlag = 0x01
const lowerInclusiveFlag = 0x02
const upperInclusiveFlag = 0x04
const lowerInfiniteFlag = 0x08
const upperInfiniteFlag = 0x10
const lowerNullFlag = 0x20
const upperNullFlag = 0x40

/**
 * Which ends of a range are inclusive, as in SQL: `[)` (PostgreSQL's
 * canonical form for discrete ranges), `[]`, `(]`, `()`.
 *
 * @since 0.1.0
 * @category models
 */
export type RangeBounds = "[)" | "[]" | "(]" | "()"

/**
 * A range. `lower` / `upper` are `null` when that side is unbounded (and
 * then not inclusive, as PostgreSQL normalises it). `empty` ranges have
 * neither bound.
 *
 * @since 0.1.0
 * @category models
 */
export class PgRange<A = unknown> {
  readonly lower: A | null
  readonly upper: A | null
  readonly lowerInclusive: boolean
  readonly upperInclusive: boolean
  readonly empty: boolean

  private constructor(lower: A | null, upper: A | null, lowerInclusive: boolean, upperInclusive: boolean, empty: boolean) {
    this.lower = lower
    this.upper = upper
    this.lowerInclusive = lowerInclusive && lower !== null
    this.upperInclusive = upperInclusive && upper !== null
    this.empty = empty
  }

  /** The empty range. @since 0.1.0 */
  static readonly empty: PgRange<never> = new PgRange<never>(null, null, false, false, true)

  /**
   * A range from `lower` to `upper` (`null` for an unbounded side) with the
   * given inclusivity (default `[)`). The server normalises it (discrete
   * ranges to `[)`, and to empty when nothing lies between the bounds).
   *
   * @since 0.1.0
   */
  static make<A>(lower: A | null, upper: A | null, bounds: RangeBounds = "[)"): PgRange<A> {
    return new PgRange(lower, upper, bounds[0] === "[", bounds[1] === "]", false)
  }
}

// ---------------------------------------------------------------------------
// Text

interface RangeText {
  readonly empty: boolean
  readonly lower: string | null
  readonly upper: string | null
  readonly lowerInclusive: boolean
  readonly upperInclusive: boolean
}

const isSpace = (c: string | undefined): boolean =>
  c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\v" || c === "\f"

/**
 * Reads one range literal starting at `p` (leading spaces skipped); returns
 * it and the position after it.
 */
const parseRangeAt = (name: string, text: string, start: number): { readonly range: RangeText; readonly end: number } => {
  let p = start
  const bad = (why: string): never => invalid(name, `malformed range literal (${why}): ${text}`)
  while (isSpace(text[p])) p++
  if (text.slice(p, p + 5).toLowerCase() === "empty") {
    return { range: { empty: true, lower: null, upper: null, lowerInclusive: false, upperInclusive: false }, end: p + 5 }
  }
  const open = text[p]
  if (open !== "[" && open !== "(") return bad("missing [ or (")
  p++
  /** A bound up to one of `stops`: quoted parts, backslash escapes; nothing at all is unbounded. */
  const bound = (stops: string): string | null => {
    if (stops.includes(text[p] ?? "")) return null
    let out = ""
    let quoted = false
    for (;;) {
      const c = text[p]
      if (c === undefined) return bad("unexpected end")
      if (c === "\\") {
        if (p + 1 >= text.length) return bad("backslash at the end")
        out += text[p + 1]
        p += 2
      } else if (c === "\"") {
        if (quoted && text[p + 1] === "\"") {
          out += "\""
          p += 2
        } else {
          quoted = !quoted
          p++
        }
      } else if (!quoted && stops.includes(c)) return out
      else {
        out += c
        p++
      }
    }
  }
  const lower = bound(",")
  if (text[p] !== ",") return bad("missing ,")
  p++
  const upper = bound("])")
  const close = text[p]
  if (close !== "]" && close !== ")") return bad("missing ] or )")
  p++
  return { range: { empty: false, lower, upper, lowerInclusive: open === "[", upperInclusive: close === "]" }, end: p }
}

/**
 * A range literal's parts, in text.
 *
 * @internal
 */
export const parseRangeLiteral = (name: string, text: string): RangeText => {
  const { end, range } = parseRangeAt(name, text, 0)
  if (text.slice(end).trim() !== "") invalid(name, `malformed range literal (text after the range): ${text}`)
  return range
}

const quote = (text: string): string => `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`

const toRange = (parts: RangeText, read: (text: string) => unknown): PgRange =>
  parts.empty
    ? PgRange.empty
    : PgRange.make(
      parts.lower === null ? null : read(parts.lower),
      parts.upper === null ? null : read(parts.upper),
      `${parts.lowerInclusive ? "[" : "("}${parts.upperInclusive ? "]" : ")"}` as RangeBounds
    )

// ---------------------------------------------------------------------------
// Binary

const readRangeBinary = (name: string, readBound: FieldReader): FieldReader => (b, start, length) => {
  const end = start + length
  need(name, start, 1, end)
  const flags = b[start]!
  let p = start + 1
  if (flags & emptyFlag) {
    if (p !== end) return invalid(name, "bytes after an empty range")
    return PgRange.empty
  }
  const item = (): unknown => {
    need(name, p, 4, end)
    const size = int32At(b, p)
    p += 4
    need(name, p, size, end)
    const value = readBound(b, p, size)
    p += size
    return value
  }
  const lower = flags & (lowerInfiniteFlag | lowerNullFlag) ? null : item()
  const upper = flags & (upperInfiniteFlag | upperNullFlag) ? null : item()
  if (p !== end) return invalid(name, `${end - p} bytes after the bounds`)
  return PgRange.make(lower, upper, `${flags & lowerInclusiveFlag ? "[" : "("}${flags & upperInclusiveFlag ? "]" : ")"}` as RangeBounds)
}

const writeRangeBinary = (w: Writer, subtype: Codec, range: PgRange): void => {
  if (range.empty) return w.u8(emptyFlag)
  w.u8(
    (range.lower === null ? lowerInfiniteFlag : range.lowerInclusive ? lowerInclusiveFlag : 0) |
      (range.upper === null ? upperInfiniteFlag : range.upperInclusive ? upperInclusiveFlag : 0)
  )
  for (const bound of [range.lower, range.upper]) {
    if (bound === null) continue
    const at = w.beginValue()
    subtype.writeBinary(w, bound)
    w.endValue(at)
  }
}

const rangeText = (subtype: Codec, range: PgRange): string => {
  if (range.empty) return "empty"
  const side = (bound: unknown) => (bound === null ? "" : quote(subtype.writeText(bound)))
  return `${range.lowerInclusive ? "[" : "("}${side(range.lower)},${side(range.upper)}${range.upperInclusive ? "]" : ")"}`
}

const sendsBinary = (subtype: Codec, value: unknown): boolean =>
  value instanceof PgRange && (value.lower === null || subtype.sendsBinary(value.lower)) &&
  (value.upper === null || subtype.sendsBinary(value.upper))

// ---------------------------------------------------------------------------
// Codecs

/**
 * A range codec over `subtype`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const rangeCodec = (oid: number, name: string, subtype: Codec): Codec => {
  const readBound = subtype.readBinary
  return {
    oid,
    name,
    delimiter: ",",
    readBinary: readBound === undefined ? undefined : readRangeBinary(name, readBound),
    preferText: subtype.preferText,
    readText: (text) => toRange(parseRangeLiteral(name, text), subtype.readText),
    sendsBinary: (value) => sendsBinary(subtype, value),
    writeBinary: (w, value) => writeRangeBinary(w, subtype, value as PgRange),
    writeText: (value) =>
      typeof value === "string" ? value : value instanceof PgRange ? rangeText(subtype, value) : cannotEncode(name, value, "pass a PgRange")
  }
}

const isRanges = (value: unknown): value is ReadonlyArray<PgRange> => Array.isArray(value) && value.every((r) => r instanceof PgRange)

/**
 * A multirange codec over the range type's `subtype`: values are arrays of
 * `PgRange` (the server sorts and merges them).
 *
 * @since 0.1.0
 * @category constructors
 */
export const multirangeCodec = (oid: number, name: string, subtype: Codec): Codec => {
  const readBound = subtype.readBinary
  const readRange = readBound === undefined ? undefined : readRangeBinary(name, readBound)
  return {
    oid,
    name,
    delimiter: ",",
    arrayValued: true,
    preferText: subtype.preferText,
    readBinary: readRange === undefined ? undefined : (b, start, length) => {
      const end = start + length
      need(name, start, 4, end)
      const count = int32At(b, start)
      if (count < 0 || count * 5 > length - 4) return invalid(name, `${count} ranges in ${length - 4} bytes`)
      let p = start + 4
      const out: Array<unknown> = new Array(count)
      for (let i = 0; i < count; i++) {
        need(name, p, 4, end)
        const size = int32At(b, p)
        p += 4
        need(name, p, size, end)
        out[i] = readRange(b, p, size)
        p += size
      }
      if (p !== end) return invalid(name, `${end - p} bytes after the last range`)
      return out
    },
    readText: (text) => {
      let p = 0
      const bad = (why: string): never => invalid(name, `malformed multirange literal (${why}): ${text}`)
      while (isSpace(text[p])) p++
      if (text[p] !== "{") return bad("missing {")
      p++
      const out: Array<PgRange> = []
      while (isSpace(text[p])) p++
      if (text[p] === "}") p++
      else {
        for (;;) {
          const { end, range } = parseRangeAt(name, text, p)
          out.push(toRange(range, subtype.readText))
          p = end
          while (isSpace(text[p])) p++
          const c = text[p++]
          if (c === ",") continue
          if (c === "}") break
          return bad(c === undefined ? "unexpected end" : `unexpected ${c}`)
        }
      }
      if (text.slice(p).trim() !== "") return bad("text after the closing }")
      return out
    },
    sendsBinary: (value) => isRanges(value) && value.every((r) => sendsBinary(subtype, r)),
    writeBinary: (w, value) => {
      const ranges = value as ReadonlyArray<PgRange>
      w.i32(ranges.length)
      for (const range of ranges) {
        const at = w.beginValue()
        writeRangeBinary(w, subtype, range)
        w.endValue(at)
      }
    },
    writeText: (value) => {
      if (typeof value === "string") return value
      if (!isRanges(value)) return cannotEncode(name, value, "pass an array of PgRange")
      return `{${value.map((r) => rangeText(subtype, r)).join(",")}}`
    }
  }
}
