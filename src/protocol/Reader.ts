/**
 * The one bounds-checked reader every decoder uses. Each read checks the
 * message's own end, so no declared length or count can read past the frame
 * it belongs to, and a failure is a `CodecFailure` that the parser turns into
 * a `ProtocolError` carrying the stream offset.
 *
 * `bytes()` returns views into the buffer being read, not copies; see the
 * parser module for how long those buffers live.
 *
 * @internal
 */
import { fail } from "./ProtocolError.ts"
import { decodeUtf8 } from "./Utf8.ts"

export class Reader {
  bytes: Uint8Array = new Uint8Array(0)
  position = 0
  end = 0

  reset(bytes: Uint8Array, position: number, end: number): this {
    this.bytes = bytes
    this.position = position
    this.end = end
    return this
  }

  get remaining(): number {
    return this.end - this.position
  }

  private need(count: number, what: string): void {
    if (this.position + count > this.end) {
      fail("Truncated", `${what}: needs ${count} byte(s), ${this.end - this.position} left in the message`)
    }
  }

  u8(what = "byte"): number {
    this.need(1, what)
    return this.bytes[this.position++]!
  }

  i16(what = "int16"): number {
    this.need(2, what)
    const b = this.bytes
    const p = this.position
    this.position = p + 2
    return ((b[p]! << 8) | b[p + 1]!) << 16 >> 16
  }

  u16(what = "uint16"): number {
    this.need(2, what)
    const b = this.bytes
    const p = this.position
    this.position = p + 2
    return (b[p]! << 8) | b[p + 1]!
  }

  i32(what = "int32"): number {
    this.need(4, what)
    const b = this.bytes
    const p = this.position
    this.position = p + 4
    return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!
  }

  u32(what = "uint32"): number {
    return this.i32(what) >>> 0
  }

  /**
   * A 16-bit count. PostgreSQL reads these unsigned (up to 65535 parameters),
   * so this does too.
   */
  count(what: string): number {
    return this.u16(what)
  }

  /**
   * A view of the next `count` bytes: always a plain `Uint8Array`, even when
   * the chunk being read is a Node `Buffer`.
   */
  take(count: number, what = "bytes"): Uint8Array {
    if (count < 0) fail("InvalidLength", `${what}: negative length ${count}`)
    this.need(count, what)
    const p = this.position
    this.position = p + count
    return new Uint8Array(this.bytes.buffer, this.bytes.byteOffset + p, count)
  }

  /** A view of everything left in the message. */
  rest(): Uint8Array {
    const p = this.position
    this.position = this.end
    return new Uint8Array(this.bytes.buffer, this.bytes.byteOffset + p, this.end - p)
  }

  /** An int32 length followed by that many bytes; -1 is SQL NULL. */
  nullableBytes(what: string): Uint8Array | null {
    const length = this.i32(`${what} length`)
    if (length === -1) return null
    if (length < -1) fail("InvalidLength", `${what}: invalid length ${length}`)
    return this.take(length, what)
  }

  /** A NUL-terminated UTF-8 string. */
  cstring(what = "string"): string {
    const b = this.bytes
    const p = this.position
    const nul = b.indexOf(0, p)
    if (nul === -1 || nul >= this.end) fail("InvalidString", `${what}: missing NUL terminator`)
    this.position = nul + 1
    return decodeUtf8(b, p, nul)
  }

  /** The rest of the message as UTF-8, without terminator. */
  restString(): string {
    const p = this.position
    this.position = this.end
    return decodeUtf8(this.bytes, p, this.end)
  }

  expectEnd(what: string): void {
    if (this.position !== this.end) {
      fail("TrailingBytes", `${what}: ${this.end - this.position} byte(s) left after the last field`)
    }
  }
}
