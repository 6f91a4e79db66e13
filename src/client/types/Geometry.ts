/**
 * Codecs of the geometric types as plain objects of float8 coordinates:
 * point `{ x, y }`, line `{ a, b, c }` (ax + by + c = 0), lseg
 * `{ start, end }`, box `{ high, low }` (PostgreSQL keeps the upper-right
 * corner first), path `{ closed, points }`, polygon `{ points }` and circle
 * `{ center, radius }`. Binary both ways; the text format reads to the same
 * values (PostgreSQL prints floats with round-trip precision by default).
 *
 * @since 0.1.0
 */
import type { Writer } from "../../protocol/Writer.ts"
import { cannotEncode, type Codec, expectLength, float64At, floatText, int32At, invalid } from "./Codec.ts"
import { Oid } from "./Oids.ts"

/** @since 0.1.0 @category models */
export interface PgPoint {
  readonly x: number
  readonly y: number
}

/** The line ax + by + c = 0. @since 0.1.0 @category models */
export interface PgLine {
  readonly a: number
  readonly b: number
  readonly c: number
}

/** @since 0.1.0 @category models */
export interface PgLineSegment {
  readonly start: PgPoint
  readonly end: PgPoint
}

/** A box by its upper-right and lower-left corners. @since 0.1.0 @category models */
export interface PgBox {
  readonly high: PgPoint
  readonly low: PgPoint
}

/** @since 0.1.0 @category models */
export interface PgPath {
  readonly closed: boolean
  readonly points: ReadonlyArray<PgPoint>
}

/** @since 0.1.0 @category models */
export interface PgPolygon {
  readonly points: ReadonlyArray<PgPoint>
}

/** @since 0.1.0 @category models */
export interface PgCircle {
  readonly center: PgPoint
  readonly radius: number
}

// ---------------------------------------------------------------------------
// Reading

const numberPattern = /[+-]?(?:Infinity|NaN|inf|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/gi

/** Every float in a geometric literal, in order. */
const numbersOf = (name: string, text: string, expected?: number): Array<number> => {
  const found = text.match(numberPattern) ?? []
  const numbers = found.map((s) => {
    const lower = s.toLowerCase().replace(/^\+/, "")
    return lower === "inf" || lower === "infinity" ? Infinity : lower === "-inf" || lower === "-infinity" ? -Infinity : Number(s)
  })
  // What is left once the numbers are gone must be punctuation only.
  if (!/^[\s()[\]{}<>,]*$/.test(text.replace(numberPattern, "")) || (expected !== undefined && numbers.length !== expected)) {
    return invalid(name, `cannot read "${text}"`)
  }
  return numbers
}

const points = (numbers: ReadonlyArray<number>, from = 0): Array<PgPoint> => {
  const out: Array<PgPoint> = []
  for (let i = from; i + 1 < numbers.length; i += 2) out.push({ x: numbers[i]!, y: numbers[i + 1]! })
  return out
}

const pointAt = (b: Uint8Array, p: number): PgPoint => ({ x: float64At(b, p), y: float64At(b, p + 8) })

const readPointList = (name: string, b: Uint8Array, p: number, end: number): Array<PgPoint> => {
  if (p + 4 > end) return invalid(name, "truncated point count")
  const count = int32At(b, p)
  if (count < 0 || p + 4 + 16 * count !== end) return invalid(name, `${count} points in ${end - p - 4} bytes`)
  const out: Array<PgPoint> = new Array(count)
  for (let i = 0; i < count; i++) out[i] = pointAt(b, p + 4 + 16 * i)
  return out
}

// ---------------------------------------------------------------------------
// Writing

const isPoint = (v: unknown): v is PgPoint =>
  typeof v === "object" && v !== null && typeof (v as PgPoint).x === "number" && typeof (v as PgPoint).y === "number"
const isPoints = (v: unknown): v is ReadonlyArray<PgPoint> => Array.isArray(v) && v.every(isPoint)
const isNumber = (v: unknown): v is number => typeof v === "number"
const hasOnly = (v: object, keys: ReadonlyArray<string>): boolean => Object.keys(v).every((k) => keys.includes(k))

const writePoint = (w: Writer, p: PgPoint): void => {
  w.f64(p.x)
  w.f64(p.y)
}
const pointText = (p: PgPoint): string => `(${floatText(p.x)},${floatText(p.y)})`
const pointsText = (ps: ReadonlyArray<PgPoint>): string => ps.map(pointText).join(",")

/** A geometric codec from its value check, binary and text writers and readers. */
const geometric = <A extends object>(
  oid: number,
  name: string,
  keys: ReadonlyArray<string>,
  is: (v: object) => boolean,
  readBinary: (b: Uint8Array, start: number, length: number) => A,
  readNumbers: (numbers: Array<number>, text: string) => A,
  expected: number | undefined,
  writeBinary: (w: Writer, value: A) => void,
  toText: (value: A) => string,
  delimiter = ","
): Codec => {
  const fits = (value: unknown): value is A => typeof value === "object" && value !== null && hasOnly(value, keys) && is(value)
  return {
    oid,
    name,
    delimiter,
    readBinary,
    readText: (text) => readNumbers(numbersOf(name, text, expected), text),
    sendsBinary: fits,
    writeBinary: (w, value) => writeBinary(w, value as A),
    writeText: (value) => (typeof value === "string" ? value : fits(value) ? toText(value) : cannotEncode(name, value))
  }
}

/** @since 0.1.0 @category codecs */
export const point: Codec = geometric<PgPoint>(
  Oid.point,
  "point",
  ["x", "y"],
  isPoint,
  (b, start, length) => {
    expectLength("point", length, 16)
    return pointAt(b, start)
  },
  (n) => ({ x: n[0]!, y: n[1]! }),
  2,
  writePoint,
  pointText
)

/** @since 0.1.0 @category codecs */
export const line: Codec = geometric<PgLine>(
  Oid.line,
  "line",
  ["a", "b", "c"],
  (v) => isNumber((v as PgLine).a) && isNumber((v as PgLine).b) && isNumber((v as PgLine).c),
  (b, start, length) => {
    expectLength("line", length, 24)
    return { a: float64At(b, start), b: float64At(b, start + 8), c: float64At(b, start + 16) }
  },
  (n) => ({ a: n[0]!, b: n[1]!, c: n[2]! }),
  3,
  (w, v) => {
    w.f64(v.a)
    w.f64(v.b)
    w.f64(v.c)
  },
  (v) => `{${floatText(v.a)},${floatText(v.b)},${floatText(v.c)}}`
)

/** @since 0.1.0 @category codecs */
export const lseg: Codec = geometric<PgLineSegment>(
  Oid.lseg,
  "lseg",
  ["start", "end"],
  (v) => isPoint((v as PgLineSegment).start) && isPoint((v as PgLineSegment).end),
  (b, start, length) => {
    expectLength("lseg", length, 32)
    return { start: pointAt(b, start), end: pointAt(b, start + 16) }
  },
  (n) => ({ start: { x: n[0]!, y: n[1]! }, end: { x: n[2]!, y: n[3]! } }),
  4,
  (w, v) => {
    writePoint(w, v.start)
    writePoint(w, v.end)
  },
  (v) => `[${pointText(v.start)},${pointText(v.end)}]`
)

/** @since 0.1.0 @category codecs */
export const box: Codec = geometric<PgBox>(
  Oid.box,
  "box",
  ["high", "low"],
  (v) => isPoint((v as PgBox).high) && isPoint((v as PgBox).low),
  (b, start, length) => {
    expectLength("box", length, 32)
    return { high: pointAt(b, start), low: pointAt(b, start + 16) }
  },
  (n) => ({ high: { x: n[0]!, y: n[1]! }, low: { x: n[2]!, y: n[3]! } }),
  4,
  (w, v) => {
    writePoint(w, v.high)
    writePoint(w, v.low)
  },
  (v) => `${pointText(v.high)},${pointText(v.low)}`,
  ";"
)

/** @since 0.1.0 @category codecs */
export const path: Codec = geometric<PgPath>(
  Oid.path,
  "path",
  ["closed", "points"],
  (v) => typeof (v as PgPath).closed === "boolean" && isPoints((v as PgPath).points),
  (b, start, length) => {
    if (length < 1) return invalid("path", "empty value")
    const closed = b[start]!
    if (closed > 1) return invalid("path", `closed flag ${closed}`)
    return { closed: closed === 1, points: readPointList("path", b, start + 1, start + length) }
  },
  (n, text) => {
    if (n.length % 2 !== 0) return invalid("path", `cannot read "${text}"`)
    return { closed: !text.trimStart().startsWith("["), points: points(n) }
  },
  undefined,
  (w, v) => {
    w.u8(v.closed ? 1 : 0)
    w.i32(v.points.length)
    for (const p of v.points) writePoint(w, p)
  },
  (v) => (v.closed ? `(${pointsText(v.points)})` : `[${pointsText(v.points)}]`)
)

/** @since 0.1.0 @category codecs */
export const polygon: Codec = geometric<PgPolygon>(
  Oid.polygon,
  "polygon",
  ["points"],
  (v) => isPoints((v as PgPolygon).points),
  (b, start, length) => ({ points: readPointList("polygon", b, start, start + length) }),
  (n, text) => (n.length % 2 !== 0 ? invalid("polygon", `cannot read "${text}"`) : { points: points(n) }),
  undefined,
  (w, v) => {
    w.i32(v.points.length)
    for (const p of v.points) writePoint(w, p)
  },
  (v) => `(${pointsText(v.points)})`
)

/** @since 0.1.0 @category codecs */
export const circle: Codec = geometric<PgCircle>(
  Oid.circle,
  "circle",
  ["center", "radius"],
  (v) => isPoint((v as PgCircle).center) && isNumber((v as PgCircle).radius),
  (b, start, length) => {
    expectLength("circle", length, 24)
    return { center: pointAt(b, start), radius: float64At(b, start + 16) }
  },
  (n) => ({ center: { x: n[0]!, y: n[1]! }, radius: n[2]! }),
  3,
  (w, v) => {
    writePoint(w, v.center)
    w.f64(v.radius)
  },
  (v) => `<${pointText(v.center)},${floatText(v.radius)}>`
)
