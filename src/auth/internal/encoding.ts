/**
 * Byte helpers shared by the auth modules: strict base64, strict UTF-8,
 * concatenation, XOR and constant-time comparison.
 *
 * Internal: not re-exported from `effect-pgwire/auth`. Nothing here throws;
 * decoders return `undefined` on malformed input so callers map that to an
 * `AuthError` with their own reason. No I/O.
 *
 * @since 0.1.0
 */
import { timingSafeEqual } from "node:crypto"

const encoder = new TextEncoder()
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })

/** @since 0.1.0 */
export const utf8Encode = (text: string): Uint8Array => encoder.encode(text)

/**
 * Strict UTF-8 decoding: `undefined` for invalid sequences instead of U+FFFD,
 * so a peer cannot smuggle bytes past a comparison.
 *
 * @since 0.1.0
 */
export const utf8Decode = (bytes: Uint8Array): string | undefined => {
  try {
    return decoder.decode(bytes)
  } catch {
    return undefined
  }
}

// Canonical padded base64 only. Buffer.from(text, "base64") silently skips
// characters outside the alphabet, which would let a malformed peer message
// through, so the shape is checked first.
const base64Shape = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** @since 0.1.0 */
export const base64Encode = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")

/**
 * Strict, padded base64 decoding; `undefined` when `text` is not canonical
 * base64.
 *
 * @since 0.1.0
 */
export const base64Decode = (text: string): Uint8Array | undefined => {
  if (!base64Shape.test(text)) return undefined
  const decoded = Buffer.from(text, "base64")
  // Non-zero padding bits decode fine but do not round-trip: reject them so
  // that every accepted string has exactly one byte meaning.
  if (decoded.toString("base64") !== text) return undefined
  // Copy: small Buffers are views into a shared pool.
  return new Uint8Array(decoded)
}

/** @since 0.1.0 */
export const concatBytes = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  let length = 0
  for (const part of parts) length += part.byteLength
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.byteLength
  }
  return out
}

/**
 * XOR of two equal-length arrays (callers guarantee the length).
 *
 * @since 0.1.0
 */
export const xorBytes = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.byteLength)
  for (let i = 0; i < out.byteLength; i++) out[i] = a[i]! ^ b[i]!
  return out
}

/**
 * Constant-time equality for secrets of public length (keys, signatures,
 * proofs). A length difference returns `false` at once: lengths here are
 * fixed by the mechanism, never secret.
 *
 * @since 0.1.0
 */
export const constantTimeEqual = (a: Uint8Array, b: Uint8Array): boolean =>
  a.byteLength === b.byteLength && timingSafeEqual(a, b)

/** @since 0.1.0 */
export const hex = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")

/**
 * Replaces anything outside printable ASCII and cuts long text, so that a
 * string chosen by a peer can be quoted in an error message without letting
 * it spam logs or inject control characters.
 *
 * @since 0.1.0
 */
export const sanitizeForMessage = (text: string, max = 64): string => {
  let out = ""
  for (const char of text) {
    if (out.length >= max) return out + "..."
    const code = char.codePointAt(0)!
    out += code >= 0x20 && code <= 0x7e ? char : "?"
  }
  return out
}
