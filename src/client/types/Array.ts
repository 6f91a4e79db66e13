/**
 * Arrays of any element type, any number of dimensions, NULL elements and
 * any lower bounds, in both formats.
 *
 * A decoded array is a plain (nested) JavaScript array when every lower
 * bound is PostgreSQL's default 1, and a `PgArray` carrying the lower
 * bounds otherwise, so `'[0:1]={a,b}'` never silently turns into `{a,b}`.
 * The empty array is `[]`. A parameter may be either form; it must be
 * rectangular, as PostgreSQL's arrays are.
 *
 * The text literal reader handles quoting, backslash escapes, `NULL`
 * versus `"NULL"`, whitespace, the `[lb:ub]=` dimension decoration and the
 * element type's delimiter (`;` for box).
 *
 * @since 0.1.0
 */
import type { FieldReader } from "../../protocol/RowDecoder.ts"
import type { Writer } from "../../protocol/Writer.ts"
import { type Codec, int32At, invalid, need } from "./Codec.ts"
import { fail } from "../../protocol/ProtocolError.ts"

/** PostgreSQL's limit on array dimensions. */
const maxDimensions = 6

/**
 * An array whose lower bounds are not all 1: the values (nested one level
 * per dimension, as plain arrays) and the lower bound of each dimension.
 *
 * @since 0.1.0
 * @category models
 */
export class PgArray<A = unknown> {
  readonly values: ReadonlyArray<A | ReadonlyArray<unknown>>
  readonly lowerBounds: ReadonlyArray<number>

  private constructor(values: ReadonlyArray<A | ReadonlyArray<unknown>>, lowerBounds: ReadonlyArray<number>) {
    this.values = values
    this.lowerBounds = lowerBounds
  }

  /**
   * An array with explicit lower bounds, one per dimension of `values`.
   *
   * @since 0.1.0
   */
  static make<A>(values: ReadonlyArray<A | ReadonlyArray<unknown>>, lowerBounds: ReadonlyArray<number>): PgArray<A> {
    return new PgArray(values, lowerBounds)
  }
}

/** The values nested per dimension and the lower bounds, as a decoded array is returned. */
const result = (values: Array<unknown>, lowerBounds: ReadonlyArray<number> | undefined): unknown =>
  lowerBounds === undefined || lowerBounds.every((lb) => lb === 1) ? values : PgArray.make(values, lowerBounds)

/** Nests a flat row-major list into one level per dimension. */
const nest = (flat: ReadonlyArray<unknown>, dims: ReadonlyArray<number>): Array<unknown> => {
  let level: Array<unknown> = flat as Array<unknown>
  for (let d = dims.length - 1; d > 0; d--) {
    const size = dims[d]!
    const next: Array<unknown> = new Array(level.length / size)
    for (let i = 0; i < next.length; i++) next[i] = level.slice(i * size, (i + 1) * size)
    level = next
  }
  return level
}

// ---------------------------------------------------------------------------
// Binary

const readArrayBinary = (name: string, element: Codec, readElement: FieldReader): FieldReader => (b, start, length) => {
  const end = start + length
  need(name, start, 12, end)
  const ndim = int32At(b, start)
  const flags = int32At(b, start + 4)
  const elementOid = int32At(b, start + 8) >>> 0
  if (flags !== 0 && flags !== 1) return invalid(name, `array flags ${flags}`)
  if (elementOid !== element.oid) return invalid(name, `elements of type ${elementOid}, expected ${element.oid}`)
  if (ndim < 0 || ndim > maxDimensions) return invalid(name, `${ndim} dimensions`)
  let p = start + 12
  need(name, p, 8 * ndim, end)
  const dims: Array<number> = new Array(ndim)
  const lowerBounds: Array<number> = new Array(ndim)
  let total = ndim === 0 ? 0 : 1
  for (let d = 0; d < ndim; d++) {
    dims[d] = int32At(b, p)
    lowerBounds[d] = int32At(b, p + 4)
    p += 8
    if (dims[d]! < 0) return invalid(name, `dimension of size ${dims[d]}`)
    total *= dims[d]!
  }
  // Every element takes at least its 4-byte length.
  if (total * 4 > end - p) return invalid(name, `${total} elements in ${end - p} bytes`)
  const flat: Array<unknown> = new Array(total)
  for (let i = 0; i < total; i++) {
    need(name, p, 4, end)
    const size = int32At(b, p)
    p += 4
    if (size === -1) {
      flat[i] = null
      continue
    }
    need(name, p, size, end)
    flat[i] = readElement(b, p, size)
    p += size
  }
  if (p !== end) return invalid(name, `${end - p} bytes after the last element`)
  if (total === 0) return []
  return result(nest(flat, dims), lowerBounds)
}

// ---------------------------------------------------------------------------
// Text

type Nested = Array<string | null | Nested>

const isSpace = (c: string | undefined): boolean =>
  c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\v" || c === "\f"

/**
 * Reads an array literal (`{1,NULL,"a \"b\""}`, `[0:1]={{1,2},{3,4}}`) into
 * nested element texts (`null` for NULL) and the lower bounds, if the
 * literal states them.
 *
 * @since 0.1.0
 * @category decoding
 */
export const parseArrayLiteral = (
  name: string,
  text: string,
  delimiter = ","
): { readonly values: Nested; readonly lowerBounds: ReadonlyArray<number> | undefined } => {
  let p = 0
  const bad = (why: string): never => invalid(name, `malformed array literal (${why}): ${text.length > 80 ? `${text.slice(0, 80)}…` : text}`)
  const skipSpace = () => {
    while (isSpace(text[p])) p++
  }
  const integer = (): number => {
    const m = /^[+-]?\d+/.exec(text.slice(p, p + 12))
    if (m === null) return bad("dimension bound")
    p += m[0].length
    return Number(m[0])
  }
  skipSpace()
  let bounds: Array<readonly [number, number]> | undefined
  if (text[p] === "[") {
    bounds = []
    while (text[p] === "[") {
      p++
      skipSpace()
      const first = integer()
      skipSpace()
      let lower = 1
      let upper = first
      if (text[p] === ":") {
        p++
        skipSpace()
        lower = first
        upper = integer()
        skipSpace()
      }
      if (text[p] !== "]") bad("dimension decoration")
      p++
      if (upper < lower - 1) bad("upper bound below lower bound")
      bounds.push([lower, upper])
      skipSpace()
    }
    if (text[p] !== "=") bad("missing = after dimensions")
    p++
    skipSpace()
  }
  const element = (): string | null => {
    if (text[p] === "\"") {
      p++
      let out = ""
      for (;;) {
        const c = text[p]
        if (c === undefined) return bad("unterminated quotes")
        if (c === "\\") {
          if (p + 1 >= text.length) return bad("backslash at the end")
          out += text[p + 1]
          p += 2
        } else if (c === "\"") {
          p++
          return out
        } else {
          out += c
          p++
        }
      }
    }
    let out = ""
    let escaped = false
    let significant = 0
    for (;;) {
      const c = text[p]
      if (c === undefined) return bad("unexpected end")
      if (c === delimiter || c === "}") break
      if (c === "{" || c === "\"") return bad(`unexpected ${c}`)
      if (c === "\\") {
        if (p + 1 >= text.length) return bad("backslash at the end")
        out += text[p + 1]
        p += 2
        escaped = true
        significant = out.length
        continue
      }
      out += c
      if (!isSpace(c)) significant = out.length
      p++
    }
    out = out.slice(0, significant)
    if (out.length === 0 && !escaped) return bad("empty element")
    return !escaped && out.length === 4 && out.toUpperCase() === "NULL" ? null : out
  }
  const level = (depth: number): Nested => {
    if (depth > maxDimensions) bad("too many dimensions")
    p++ // the "{"
    const items: Nested = []
    skipSpace()
    if (text[p] === "}") {
      p++
      return items
    }
    for (;;) {
      skipSpace()
      items.push(text[p] === "{" ? level(depth + 1) : element())
      skipSpace()
      const c = text[p]
      p++
      if (c === delimiter) continue
      if (c === "}") return items
      return bad(c === undefined ? "unexpected end" : `unexpected ${c}`)
    }
  }
  if (text[p] !== "{") bad("missing {")
  const values = level(1)
  skipSpace()
  if (p !== text.length) bad("text after the closing }")
  // Rectangular: every item of a level is a sub-array of the same size, or every one an element.
  const dims: Array<number> = []
  for (let v: string | null | Nested = values; Array.isArray(v); v = v[0]!) {
    dims.push(v.length)
    if (v.length === 0) break
  }
  const check = (v: Nested, d: number): void => {
    if (v.length !== dims[d]) bad("sub-arrays of different sizes")
    for (const item of v) {
      if (Array.isArray(item) !== d + 1 < dims.length) bad("elements and sub-arrays mixed")
      if (Array.isArray(item)) check(item, d + 1)
    }
  }
  if (values.length > 0) check(values, 0)
  if (dims.length > 1 && dims.includes(0)) bad("empty sub-array")
  if (bounds !== undefined) {
    const empty = values.length === 0
    if (!empty && bounds.length !== dims.length) bad("decoration and nesting differ in dimensions")
    if (!empty && bounds.some(([lower, upper], d) => upper - lower + 1 !== dims[d])) bad("decoration and element count differ")
  }
  return { values, lowerBounds: bounds === undefined || values.length === 0 ? undefined : bounds.map(([lower]) => lower) }
}

const mapLeaves = (v: Nested, read: (text: string) => unknown): Array<unknown> =>
  v.map((item) => (item === null ? null : Array.isArray(item) ? mapLeaves(item, read) : read(item)))

// ---------------------------------------------------------------------------
// Parameters

interface Shape {
  readonly dims: ReadonlyArray<number>
  readonly lowerBounds: ReadonlyArray<number>
  readonly flat: ReadonlyArray<unknown>
  readonly hasNull: boolean
}

/** The dimensions and elements of an array parameter, or why it is not one. */
const shapeOf = (element: Codec, value: unknown): Shape | string => {
  let values: ReadonlyArray<unknown>
  let lowerBounds: ReadonlyArray<number> | undefined
  if (value instanceof PgArray) {
    values = value.values
    lowerBounds = value.lowerBounds
  } else if (Array.isArray(value)) values = value
  else return "not an array"
  // Below the top level, a multirange (itself an array) is an element, not a dimension.
  const isDimension = (v: unknown, depth: number): v is ReadonlyArray<unknown> =>
    Array.isArray(v) && (depth === 0 || element.arrayValued !== true || (v.length > 0 && Array.isArray(v[0])))
  const dims: Array<number> = []
  if (values.length > 0) {
    for (let v: unknown = values; isDimension(v, dims.length); v = v[0]) {
      if (v.length === 0) return "an empty sub-array (PostgreSQL arrays are rectangular)"
      dims.push(v.length)
    }
  }
  if (dims.length > maxDimensions) return `more than ${maxDimensions} dimensions`
  const flat: Array<unknown> = []
  let hasNull = false
  const walk = (v: unknown, d: number): string | undefined => {
    if (d === dims.length) {
      if (isDimension(v, d)) return "sub-arrays nested to different depths"
      if (v === null || v === undefined) hasNull = true
      flat.push(v)
      return undefined
    }
    if (!isDimension(v, d) || v.length !== dims[d]) return "sub-arrays of different sizes (PostgreSQL arrays are rectangular)"
    for (const item of v) {
      const problem = walk(item, d + 1)
      if (problem !== undefined) return problem
    }
    return undefined
  }
  if (dims.length > 0) {
    const problem = walk(values, 0)
    if (problem !== undefined) return problem
  }
  if (lowerBounds !== undefined && dims.length > 0 && lowerBounds.length !== dims.length) {
    return `${lowerBounds.length} lower bounds for ${dims.length} dimensions`
  }
  if (lowerBounds !== undefined && !lowerBounds.every((lb) => Number.isInteger(lb) && lb >= -2147483648 && lb <= 2147483647)) {
    return "lower bounds must be 32-bit integers"
  }
  return { dims, lowerBounds: lowerBounds ?? dims.map(() => 1), flat, hasNull }
}

const quote = (text: string): string => `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`

/**
 * An array codec over `element`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const arrayCodec = (oid: number, element: Codec, name = `${element.name}[]`): Codec => {
  // Bind asks for the format (sendsBinary) and then for the bytes of the
  // same value at once: the shape measured for the first is taken by the
  // second, and measured afresh otherwise (the caller may mutate arrays
  // between queries).
  let measuredValue: unknown = undefined
  let measuredShape: Shape | string | undefined = undefined
  const measure = (value: unknown): Shape | string => {
    measuredValue = value
    measuredShape = shapeOf(element, value)
    return measuredShape
  }
  const take = (value: unknown): Shape | string => {
    const measured = measuredShape
    const same = value === measuredValue
    measuredValue = measuredShape = undefined
    return measured !== undefined && same ? measured : shapeOf(element, value)
  }
  const readBinary = element.readBinary
  const readText = element.readText
  return {
    oid,
    name,
    delimiter: ",",
    readBinary: readBinary === undefined ? undefined : readArrayBinary(name, element, readBinary),
    preferText: element.preferText,
    readText: (text) => {
      const { lowerBounds, values } = parseArrayLiteral(name, text, element.delimiter)
      return result(element.textIsValue === true ? values : mapLeaves(values, readText), lowerBounds)
    },
    sendsBinary: (value) => {
      const s = measure(value)
      return typeof s !== "string" && s.flat.every((v) => v === null || v === undefined || element.sendsBinary(v))
    },
    writeBinary: (w: Writer, value) => {
      const s = take(value)
      if (typeof s === "string") return fail("EncodeFailed", `cannot encode ${name}: ${s}`)
      w.i32(s.dims.length)
      w.i32(s.hasNull ? 1 : 0)
      w.i32(element.oid)
      for (let d = 0; d < s.dims.length; d++) {
        w.i32(s.dims[d]!)
        w.i32(s.lowerBounds[d]!)
      }
      for (const v of s.flat) {
        if (v === null || v === undefined) {
          w.i32(-1)
          continue
        }
        const at = w.beginValue()
        element.writeBinary(w, v)
        w.endValue(at)
      }
    },
    writeText: (value) => {
      if (typeof value === "string") return value
      const s = take(value)
      if (typeof s === "string") return fail("EncodeFailed", `cannot encode ${name}: ${s}`)
      if (s.dims.length === 0) return "{}"
      let i = 0
      const level = (d: number): string => {
        const parts: Array<string> = new Array(s.dims[d]!)
        for (let k = 0; k < parts.length; k++) {
          if (d + 1 < s.dims.length) parts[k] = level(d + 1)
          else {
            const v = s.flat[i++]
            parts[k] = v === null || v === undefined ? "NULL" : quote(element.writeText(v))
          }
        }
        return `{${parts.join(element.delimiter)}}`
      }
      const decoration = s.lowerBounds.some((lb) => lb !== 1)
        ? s.lowerBounds.map((lb, d) => `[${lb}:${lb + s.dims[d]! - 1}]`).join("") + "="
        : ""
      return decoration + level(0)
    }
  }
}
