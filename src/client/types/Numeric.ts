/**
 * numeric, exactly: values are decimal strings in PostgreSQL's own spelling
 * (`"12.50"`, `"NaN"`, `"Infinity"`, `"-Infinity"`), read from the binary
 * format (base-10000 digits, weight, sign, display scale) or the text
 * format, and written in binary from a decimal string, a number (its
 * shortest round-trip spelling) or a bigint. Nothing is ever rounded
 * through a float.
 *
 * Not an arithmetic library: the strings are for exact transport; parse
 * them with the decimal library of your choice.
 *
 * @since 0.1.0
 */
import type { Writer } from "../../protocol/Writer.ts"
import { cannotEncode, type Codec, int16At, invalid } from "./Codec.ts"
import { Oid } from "./Oids.ts"

const positive = 0x0000
const negative = 0x4000
const nan = 0xc000
const plusInfinity = 0xd000
const minusInfinity = 0xf000
/** The largest display scale the binary format carries. */
const maxScale = 0x3fff

/**
 * Reads numeric's binary format as its exact decimal string.
 *
 * @since 0.1.0
 * @category decoding
 */
export const readNumericBinary = (b: Uint8Array, start: number, length: number): string => {
  if (length < 8) return invalid("numeric", `binary value of ${length} bytes`)
  const ndigits = int16At(b, start)
  const weight = int16At(b, start + 2)
  const sign = (b[start + 4]! << 8) | b[start + 5]!
  const dscale = (b[start + 6]! << 8) | b[start + 7]!
  if (ndigits < 0 || length !== 8 + 2 * ndigits) return invalid("numeric", `${ndigits} digits in ${length} bytes`)
  switch (sign) {
    case nan:
      return "NaN"
    case plusInfinity:
      return "Infinity"
    case minusInfinity:
      return "-Infinity"
    case positive:
    case negative:
      break
    default:
      return invalid("numeric", `unknown sign 0x${sign.toString(16)}`)
  }
  if (dscale > maxScale) return invalid("numeric", `display scale ${dscale}`)
  const digits: Array<number> = new Array(ndigits)
  let zero = true
  for (let i = 0; i < ndigits; i++) {
    const d = ((b[start + 8 + 2 * i]! << 8) | b[start + 9 + 2 * i]!)
    if (d > 9999) return invalid("numeric", `digit ${d} is not base 10000`)
    if (d !== 0) zero = false
    digits[i] = d
  }
  let out = zero || sign === positive ? "" : "-"
  // The integer part: groups 0..weight (a group past the stored digits is 0).
  if (weight < 0) out += "0"
  else {
    for (let i = 0; i <= weight; i++) {
      const d = i < ndigits ? digits[i]! : 0
      out += i === 0 ? String(d) : String(d).padStart(4, "0")
    }
  }
  if (dscale > 0) {
    let fraction = ""
    for (let i = weight + 1; fraction.length < dscale; i++) {
      const d = i >= 0 && i < ndigits ? digits[i]! : 0
      fraction += String(d).padStart(4, "0")
    }
    out += "." + fraction.slice(0, dscale)
  }
  return out
}

const textPattern = /^(?:-?\d+(?:\.\d+)?|NaN|-?Infinity)$/

/** numeric's text as PostgreSQL prints it. */
const readNumericText = (text: string): string =>
  textPattern.test(text) ? text : invalid("numeric", `"${text}" is not a number`)

/** A decimal ready for the binary format. */
interface Decimal {
  readonly sign: number
  readonly weight: number
  readonly dscale: number
  readonly groups: ReadonlyArray<number>
}

const decimalPattern = /^\s*([+-])?(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?\s*$/
const specials: Readonly<Record<string, number>> = {
  nan: nan,
  "+nan": nan,
  "-nan": nan,
  inf: plusInfinity,
  "+inf": plusInfinity,
  infinity: plusInfinity,
  "+infinity": plusInfinity,
  "-inf": minusInfinity,
  "-infinity": minusInfinity
}

/**
 * Parses a decimal spelling (`"-12.50"`, `"1e-3"`, `"NaN"`, `"Infinity"`)
 * into base-10000 groups; `undefined` when it is not one, or does not fit
 * the binary format (the server then reads it as text and says why).
  *
  * @internal
 */
export const parseDecimal = (text: string): Decimal | undefined => {
  const special = specials[text.trim().toLowerCase()]
  if (special !== undefined) return { sign: special, weight: 0, dscale: 0, groups: [] }
  const match = decimalPattern.exec(text)
  if (match === null) return undefined
  const whole = match[2] ?? ""
  const fraction = match[3] ?? match[4] ?? ""
  const exponent = match[5] === undefined ? 0 : Number(match[5])
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 1_000_000) return undefined
  const dscale = Math.max(0, fraction.length - exponent)
  if (dscale > maxScale) return undefined
  let digits = whole + fraction
  // Digits before the decimal point, counted from the start of `digits`.
  let point = whole.length + exponent
  let lead = 0
  while (lead < digits.length && digits.charCodeAt(lead) === 0x30) lead++
  digits = digits.slice(lead)
  point -= lead
  let end = digits.length
  while (end > 0 && digits.charCodeAt(end - 1) === 0x30) end--
  digits = digits.slice(0, end)
  if (digits.length === 0) return { sign: positive, weight: 0, dscale, groups: [] }
  // Pad on the left so the point falls on a group boundary, then on the right to whole groups.
  const padLeft = (((-point) % 4) + 4) % 4
  const weight = (point + padLeft) / 4 - 1
  if (weight > 32767 || weight < -32768) return undefined
  const padded = "0".repeat(padLeft) + digits + "0".repeat((4 - ((padLeft + digits.length) % 4)) % 4)
  const groups: Array<number> = new Array(padded.length / 4)
  for (let i = 0; i < groups.length; i++) groups[i] = Number(padded.slice(4 * i, 4 * i + 4))
  if (groups.length > 0x7fff) return undefined
  return { sign: match[1] === "-" ? negative : positive, weight, dscale, groups }
}

/** The decimal spelling of a parameter value, or undefined when it is not a number-like value. */
const spelling = (value: unknown): string | undefined =>
  typeof value === "string" ? value : typeof value === "bigint" || typeof value === "number" ? String(value) : undefined

// Bind asks for the format and then for the bytes of the same value: parse once.
let lastValue: unknown = undefined
let lastDecimal: Decimal | undefined = undefined

const decimalOf = (value: unknown): Decimal | undefined => {
  if (value === lastValue && lastDecimal !== undefined) return lastDecimal
  const text = spelling(value)
  const decimal = text === undefined ? undefined : parseDecimal(text)
  lastValue = value
  lastDecimal = decimal
  return decimal
}

/**
 * Writes numeric's binary format of a parsed decimal.
 *
 * @since 0.1.0
 * @category encoding
 */
export const writeDecimal = (w: Writer, decimal: Decimal): void => {
  w.i16(decimal.groups.length)
  w.i16(decimal.weight)
  w.i16(decimal.sign)
  w.i16(decimal.dscale)
  for (const group of decimal.groups) w.i16(group)
}

/**
 * numeric as exact decimal strings.
 *
 * @since 0.1.0
 * @category codecs
 */
export const numeric: Codec = {
  oid: Oid.numeric,
  name: "numeric",
  delimiter: ",",
  readBinary: readNumericBinary,
  readText: readNumericText,
  sendsBinary: (value) => decimalOf(value) !== undefined,
  writeBinary: (w, value) => writeDecimal(w, decimalOf(value)!),
  writeText: (value) => {
    const text = spelling(value)
    return text === undefined ? cannotEncode("numeric", value, "pass a decimal string, a number or a bigint") : text
  }
}
