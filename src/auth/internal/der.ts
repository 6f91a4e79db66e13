/**
 * A tiny, bounded DER reader: just enough to find the signatureAlgorithm of
 * an X.509 certificate (and the hash inside RSASSA-PSS parameters).
 *
 * Internal. Not an ASN.1 library: single-byte tags only, definite lengths of
 * at most 4 length bytes, every length checked against its parent. Returns
 * `undefined` on anything else; never throws, never reads out of bounds.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export interface Tlv {
  readonly tag: number
  /** Offset of the first content byte. */
  readonly start: number
  /** Offset one past the last content byte. */
  readonly end: number
}

/** @since 0.1.0 */
export const TAG_SEQUENCE = 0x30
/** @since 0.1.0 */
export const TAG_OID = 0x06

/**
 * Reads the TLV at `offset`, which must end at or before `limit`.
 *
 * @since 0.1.0
 */
export const readTlv = (bytes: Uint8Array, offset: number, limit: number): Tlv | undefined => {
  if (offset + 2 > limit) return undefined
  const tag = bytes[offset]!
  // High-tag-number form (low five bits all set) never occurs where we read.
  if ((tag & 0x1f) === 0x1f) return undefined
  let length = bytes[offset + 1]!
  let start = offset + 2
  if (length & 0x80) {
    const count = length & 0x7f
    // 0x80 is BER's indefinite length, not DER; more than 4 bytes is absurd.
    if (count === 0 || count > 4 || start + count > limit) return undefined
    length = 0
    for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i]!
    start += count
  }
  const end = start + length
  if (end > limit) return undefined
  return { tag, start, end }
}

/**
 * Decodes the content of an OBJECT IDENTIFIER to dotted form.
 *
 * @since 0.1.0
 */
export const decodeOid = (bytes: Uint8Array, tlv: Tlv): string | undefined => {
  if (tlv.tag !== TAG_OID || tlv.end <= tlv.start) return undefined
  const arcs: Array<number> = []
  let value = 0
  let digits = 0
  for (let i = tlv.start; i < tlv.end; i++) {
    const byte = bytes[i]!
    // A leading 0x80 is a non-minimal encoding; 8 digits keeps the arc exact.
    if (digits === 0 && byte === 0x80) return undefined
    if (++digits > 8) return undefined
    value = value * 128 + (byte & 0x7f)
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) {
        const first = value < 40 ? 0 : value < 80 ? 1 : 2
        arcs.push(first, value - first * 40)
      } else {
        arcs.push(value)
      }
      value = 0
      digits = 0
    }
  }
  if (digits !== 0) return undefined
  return arcs.join(".")
}
