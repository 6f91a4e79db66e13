/**
 * The short-string paths of the UTF-8 decoder: every length around the
 * 8, 16 and 24 byte boundaries, ASCII and not, at any offset, agrees with
 * `TextDecoder`; invalid UTF-8 fails at every length.
 */
import { describe, expect, it } from "@effect/vitest"
import { decodeUtf8 } from "../../src/protocol/Utf8.ts"

const reference = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
const encoder = new TextEncoder()

/** `text` encoded at `offset` inside a buffer with other bytes around it. */
const embedded = (text: string, offset: number) => {
  const bytes = encoder.encode(text)
  const buffer = new Uint8Array(offset + bytes.length + 3).fill(0x7a)
  buffer.set(bytes, offset)
  return { buffer, start: offset, end: offset + bytes.length }
}

describe("decodeUtf8", () => {
  it("decodes ASCII of every length up to 40 at any offset", () => {
    for (let n = 0; n <= 40; n++) {
      const text = Array.from({ length: n }, (_, i) => String.fromCharCode(0x20 + ((i * 7 + n) % 95))).join("")
      for (const offset of [0, 1, 5]) {
        const { buffer, start, end } = embedded(text, offset)
        expect(decodeUtf8(buffer, start, end)).toBe(text)
      }
    }
  })

  it("decodes non-ASCII at every position of short strings as TextDecoder does", () => {
    for (let n = 1; n <= 26; n++) {
      for (let at = 0; at < n; at++) {
        for (const wide of ["é", "€", "😀", "\u0000", "\u007f", "\ufeff"]) {
          const chars = Array.from({ length: n }, (_, i) => (i === at ? wide : "a"))
          const { buffer, start, end } = embedded(chars.join(""), 2)
          expect(decodeUtf8(buffer, start, end)).toBe(reference.decode(buffer.subarray(start, end)))
        }
      }
    }
  })

  it("fails on invalid UTF-8 at every short length", () => {
    for (let n = 1; n <= 26; n++) {
      for (const bad of [0x80, 0xc3, 0xff]) {
        const bytes = new Uint8Array(n).fill(0x61)
        bytes[n - 1] = bad
        expect(() => decodeUtf8(bytes, 0, n)).toThrow(/UTF-8/)
      }
    }
  })
})
