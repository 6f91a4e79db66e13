/**
 * A buffer the codec owns, into which encoders append messages back to back so
 * that a pipelined batch leaves as one socket write. A message is opened with
 * its type byte and a length placeholder, and the length is filled in when it
 * is closed, as rust-postgres does.
 *
 * `take()` hands out a view of everything written since the last `take()`.
 * Bytes handed out are never written again: when the buffer is full, a new one
 * is allocated and only the unfinished part moves. That is what lets a socket
 * hold on to a taken view until the kernel has it, without a copy per batch.
 *
 * @since 0.1.0
 */
import { fail } from "./ProtocolError.ts"
import { encodeUtf8Into } from "./Utf8.ts"

const minimumCapacity = 256

/**
 * @since 0.1.0
 * @category models
 */
export class Writer {
  /** The current buffer; bytes before `start` have been taken. */
  private buffer: Uint8Array
  private view: DataView
  private start = 0
  /** The next byte to write. */
  private offset = 0
  private readonly capacity: number

  constructor(capacity = 16_384) {
    this.capacity = Math.max(minimumCapacity, capacity)
    this.buffer = new Uint8Array(this.capacity)
    this.view = new DataView(this.buffer.buffer)
  }

  /** Bytes written and not yet taken. */
  get length(): number {
    return this.offset - this.start
  }

  /** Makes room for `count` more bytes. */
  ensure(count: number): void {
    if (this.offset + count <= this.buffer.length) return
    const pending = this.offset - this.start
    let capacity = this.capacity
    while (capacity < pending + count) capacity *= 2
    const next = new Uint8Array(capacity)
    next.set(this.buffer.subarray(this.start, this.offset))
    this.buffer = next
    this.view = new DataView(next.buffer)
    this.start = 0
    this.offset = pending
  }

  /** Everything written since the last `take()`, as a view that stays valid. */
  take(): Uint8Array {
    const out = this.buffer.subarray(this.start, this.offset)
    this.start = this.offset
    return out
  }

  /** Forgets what was written since `mark` (a value from `mark()`), e.g. after a failed encode. */
  rollback(mark: number): void {
    this.offset = this.start + mark
  }

  /** A position relative to the untaken part, stable across buffer growth. */
  mark(): number {
    return this.offset - this.start
  }

  /** Opens a typed message: its type byte and a length to fill in at `end`. */
  begin(type: number): number {
    this.ensure(5)
    const at = this.offset - this.start
    this.buffer[this.offset] = type
    this.offset += 5
    return at + 1
  }

  /** Opens an untyped startup packet: only a length. */
  beginUntyped(): number {
    this.ensure(4)
    const at = this.offset - this.start
    this.offset += 4
    return at
  }

  /** Closes a message opened with `begin` or `beginUntyped`, writing its length. */
  end(lengthAt: number): void {
    const at = this.start + lengthAt
    this.setInt32(at, this.offset - at)
  }

  /** Appends a whole pre-encoded frame. */
  raw(bytes: Uint8Array): void {
    const n = bytes.length
    this.ensure(n)
    this.buffer.set(bytes, this.offset)
    this.offset += n
  }

  u8(value: number): void {
    this.ensure(1)
    this.buffer[this.offset++] = value
  }

  i16(value: number): void {
    this.ensure(2)
    const b = this.buffer
    const o = this.offset
    b[o] = value >>> 8
    b[o + 1] = value
    this.offset = o + 2
  }

  i32(value: number): void {
    this.ensure(4)
    const b = this.buffer
    const o = this.offset
    b[o] = value >>> 24
    b[o + 1] = value >>> 16
    b[o + 2] = value >>> 8
    b[o + 3] = value
    this.offset = o + 4
  }

  i64(value: bigint): void {
    this.ensure(8)
    this.view.setBigInt64(this.offset, value)
    this.offset += 8
  }

  f32(value: number): void {
    this.ensure(4)
    this.view.setFloat32(this.offset, value)
    this.offset += 4
  }

  f64(value: number): void {
    this.ensure(8)
    this.view.setFloat64(this.offset, value)
    this.offset += 8
  }

  bytes(value: Uint8Array): void {
    const n = value.length
    this.ensure(n)
    if (n <= 16) {
      const b = this.buffer
      const o = this.offset
      for (let i = 0; i < n; i++) b[o + i] = value[i]!
    } else {
      this.buffer.set(value, this.offset)
    }
    this.offset += n
  }

  /** A string as UTF-8 with no terminator. */
  string(value: string): void {
    this.ensure(value.length * 3)
    this.offset += encodeUtf8Into(value, this.buffer, this.offset)
  }

  /** A NUL-terminated UTF-8 string; a NUL inside the value cannot be encoded. */
  cstring(value: string, what = "string"): void {
    if (value.indexOf("\u0000") !== -1) fail("EncodeFailed", `${what} contains a NUL character`)
    this.ensure(value.length * 3 + 1)
    this.offset += encodeUtf8Into(value, this.buffer, this.offset)
    this.buffer[this.offset++] = 0
  }

  /** An int32 length, then the bytes; `null` is length -1. */
  nullableBytes(value: Uint8Array | null): void {
    if (value === null) return this.i32(-1)
    this.i32(value.length)
    this.bytes(value)
  }

  /** An int32 length, then the string as UTF-8. */
  lengthPrefixedString(value: string): void {
    this.ensure(value.length * 3 + 4)
    const at = this.offset
    const n = encodeUtf8Into(value, this.buffer, at + 4)
    this.setInt32(at, n)
    this.offset = at + 4 + n
  }

  /**
   * Reserves an int32 length for a value written next by the caller (a Bind
   * parameter encoded in place); `endValue` fills it in.
   */
  beginValue(): number {
    this.ensure(4)
    const at = this.offset - this.start
    this.offset += 4
    return at
  }

  endValue(lengthAt: number): void {
    const at = this.start + lengthAt
    this.setInt32(at, this.offset - at - 4)
  }

  private setInt32(at: number, value: number): void {
    const b = this.buffer
    b[at] = value >>> 24
    b[at + 1] = value >>> 16
    b[at + 2] = value >>> 8
    b[at + 3] = value
  }
}

/** Checks that a count fits the 16 bits the protocol gives it (PostgreSQL reads them unsigned). */
export const checkCount = (count: number, what: string): number => {
  if (count > 0xffff) fail("EncodeFailed", `${what}: ${count} exceeds the protocol's limit of 65535`)
  return count
}
