/**
 * UTF-8 for protocol strings, with a fast path for short ASCII, which is what
 * nearly every identifier, command tag and parameter name is.
 *
 * Decoding is strict: invalid UTF-8 is a `ProtocolError`, never a silent U+FFFD,
 * so no byte is lost. A byte-order mark is kept as a character.
 *
 * @internal
 */
import { fail } from "./ProtocolError.ts"

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
const encoder = new TextEncoder()

/**
 * Up to this many bytes, ASCII is decoded here and anything else by
 * `TextDecoder.decode`, whose call and view allocation cost a roughly
 * constant ~60 ns (measured on Node 24: the code below wins up to about
 * 24 ASCII bytes).
 */
const shortDecode = 24

const fromCodes = String.fromCharCode

/**
 * 1 to 8 ASCII bytes as one string in one allocation: `fromCharCode` with
 * the bytes as arguments, where a `+=` per byte would allocate a string
 * per byte (half the time, measured decoding numbers' text of 1 to 7
 * bytes; fewer objects for the scavenger when rows are kept).
 */
const ascii8 = (b: Uint8Array, s: number, n: number): string => {
  switch (n) {
    case 1:
      return fromCodes(b[s]!)
    case 2:
      return fromCodes(b[s]!, b[s + 1]!)
    case 3:
      return fromCodes(b[s]!, b[s + 1]!, b[s + 2]!)
    case 4:
      return fromCodes(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!)
    case 5:
      return fromCodes(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!)
    case 6:
      return fromCodes(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!)
    case 7:
      return fromCodes(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!)
    default:
      return fromCodes(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!)
  }
}

/** Decodes `bytes[start, end)` as UTF-8; throws a `CodecFailure` on invalid input. */
export const decodeUtf8 = (bytes: Uint8Array, start: number, end: number): string => {
  const n = end - start
  if (n > shortDecode) return decodeSlow(bytes, start, end)
  let high = 0
  for (let i = start; i < end; i++) high |= bytes[i]!
  if (high >= 0x80) return decodeSlow(bytes, start, end)
  if (n <= 8) return n === 0 ? "" : ascii8(bytes, start, n)
  if (n <= 16) return ascii8(bytes, start, 8) + ascii8(bytes, start + 8, n - 8)
  return ascii8(bytes, start, 8) + ascii8(bytes, start + 8, 8) + ascii8(bytes, start + 16, n - 16)
}

const decodeSlow = (bytes: Uint8Array, start: number, end: number): string => {
  try {
    return decoder.decode(bytes.subarray(start, end))
  } catch {
    return fail("InvalidString", "string field is not valid UTF-8")
  }
}

/** Strict decode for callers outside the hot path (tests, tools). */
export const decodeUtf8All = (bytes: Uint8Array): string => decodeUtf8(bytes, 0, bytes.length)

/**
 * Above this length `TextEncoder.encodeInto` beats a per-character loop; below
 * it, the call overhead dominates (measured as for `shortDecode`).
 */
export const shortEncode = 32

/**
 * Writes `value` as UTF-8 into `target` at `offset` (the caller has reserved
 * `3 * value.length` bytes) and returns the number of bytes written. A lone
 * surrogate is written as U+FFFD, as every UTF-8 encoder does.
 */
export const encodeUtf8Into = (value: string, target: Uint8Array, offset: number): number => {
  const length = value.length
  if (length <= shortEncode) {
    let i = 0
    for (; i < length; i++) {
      const c = value.charCodeAt(i)
      if (c >= 0x80) break
      target[offset + i] = c
    }
    if (i === length) return length
    return i + encoder.encodeInto(value.slice(i), target.subarray(offset + i)).written
  }
  return encoder.encodeInto(value, target.subarray(offset)).written
}

/** The exact UTF-8 byte length of `value`. */
export const utf8Length = (value: string): number => {
  let bytes = 0
  const length = value.length
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x80) bytes += 1
    else if (c < 0x800) bytes += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < length) {
      const d = value.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4
        i++
      } else bytes += 3
    } else bytes += 3
  }
  return bytes
}

/** UTF-8 bytes of a string (a fresh array). */
export const encodeUtf8 = (value: string): Uint8Array => encoder.encode(value)
