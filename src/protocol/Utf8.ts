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
 * Below this many bytes a per-byte loop beats `TextDecoder.decode`, whose call
 * and view allocation cost a roughly constant ~60 ns. Measured with
 * `bench/utf8.ts` on Node 24: the loop wins up to about 24 ASCII bytes.
 */
const shortDecode = 24

/** Decodes `bytes[start, end)` as UTF-8; throws a `CodecFailure` on invalid input. */
export const decodeUtf8 = (bytes: Uint8Array, start: number, end: number): string => {
  if (end - start <= shortDecode) {
    let out = ""
    for (let i = start; i < end; i++) {
      const c = bytes[i]!
      if (c >= 0x80) return decodeSlow(bytes, start, end)
      out += String.fromCharCode(c)
    }
    return out
  }
  return decodeSlow(bytes, start, end)
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
