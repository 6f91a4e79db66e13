/**
 * Message boundaries in a stream of typed messages without decoding them:
 * for relays that pass bytes on as they arrive (a proxy) and only need to
 * know where each message starts, its type, and the bodies of the few
 * kinds they look into. Chunks are never copied or held; only the body of
 * an inspected message split across chunks is assembled (bounded by that
 * kind's limit).
 *
 * Each header is checked against a limit table (`frontendLimitTable`,
 * `backendLimitTable`): an unknown type byte, a length below 4 or above the
 * kind's limit stops the scanner with a ProtocolError as soon as the 5-byte
 * header is complete.
 *
 * What it is not: a parser. Untyped startup packets are not scanned.
 *
 * @since 0.1.0
 */
import { ProtocolError } from "./ProtocolError.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface FrameScanner {
  /**
   * Scans a chunk. `onFrame(type, body, end, length)` is called for each
   * message that ends in this chunk, in order: `body` for the inspected kinds
   * only (a view into the chunk or an assembled copy; valid during the
   * call), `end` the offset in the chunk just past the message, `length` its
   * length word (the message spans `length + 1` bytes). Returns the error that stopped the scanner, or the number of
   * bytes of the chunk that belong to messages ending in it or before it
   * (everything up to the last boundary; the rest starts a message).
   */
  readonly push: (chunk: Uint8Array, onFrame: FrameHandler) => ProtocolError | number
  /** True when the bytes scanned so far end on a message boundary. */
  readonly atBoundary: () => boolean
  /** Bytes scanned since the scanner was made. */
  readonly position: () => number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface FrameScannerOptions {
  /** From type byte to maximum length (length word included); 0: not a valid type. */
  readonly limits: Int32Array
  /** The type bytes whose bodies `onFrame` receives. */
  readonly inspect?: Iterable<number> | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export type FrameHandler = (type: number, body: Uint8Array | undefined, end: number, length: number) => void

const typeChar = (type: number): string => String.fromCharCode(type)

/**
 * @since 0.1.0
 * @category constructors
 */
export const makeFrameScanner = (options: FrameScannerOptions): FrameScanner => {
  const limits = options.limits
  const inspected = new Uint8Array(256)
  for (const type of options.inspect ?? []) inspected[type & 0xff] = 1
  let consumed = 0
  let failed: ProtocolError | undefined
  // The header of the current message (5 bytes), while it is split.
  const header = new Uint8Array(5)
  let headerFilled = 0
  // The current message: its type and body bytes still to come.
  let type = 0
  let length = 0
  let remaining = 0
  // The assembled body of an inspected message split across chunks.
  let body: Uint8Array | undefined
  let bodyFilled = 0

  const check = (t: number, length: number, at: number): ProtocolError | undefined => {
    const limit = limits[t]!
    if (limit === 0) {
      return new ProtocolError({ reason: "UnknownMessageType", message: `unknown message type ${typeChar(t)}`, offset: at, messageType: typeChar(t) })
    }
    if (length < 4) {
      return new ProtocolError({ reason: "InvalidLength", message: `message length ${length} is below 4`, offset: at, messageType: typeChar(t) })
    }
    if (length > limit) {
      return new ProtocolError({
        reason: "MessageTooLarge",
        message: `message length ${length} exceeds the limit of ${limit} for ${typeChar(t)}`,
        offset: at,
        messageType: typeChar(t)
      })
    }
    return undefined
  }

  const push = (chunk: Uint8Array, onFrame: FrameHandler): ProtocolError | number => {
    if (failed !== undefined) return failed
    const n = chunk.length
    let p = 0
    let boundary = headerFilled === 0 && remaining === 0 ? 0 : -1
    // The rest of a message begun in an earlier chunk.
    if (headerFilled > 0) {
      while (headerFilled < 5 && p < n) header[headerFilled++] = chunk[p++]!
      if (headerFilled < 5) {
        consumed += n
        return 0
      }
      headerFilled = 0
      type = header[0]!
      length = (header[1]! << 24) | (header[2]! << 16) | (header[3]! << 8) | header[4]!
      const error = check(type, length, consumed + p - 5)
      if (error !== undefined) return (failed = error)
      remaining = length - 4
      if (inspected[type] === 1) {
        body = new Uint8Array(remaining)
        bodyFilled = 0
      }
    }
    if (remaining > 0 || boundary === -1) {
      const take = Math.min(remaining, n - p)
      if (body !== undefined) {
        body.set(chunk.subarray(p, p + take), bodyFilled)
        bodyFilled += take
      }
      p += take
      remaining -= take
      if (remaining > 0) {
        consumed += n
        return 0
      }
      const whole = body
      body = undefined
      onFrame(type, whole, p, length)
      boundary = p
    }
    // Whole messages straight from the chunk.
    while (n - p >= 5) {
      const t = chunk[p]!
      const size = (chunk[p + 1]! << 24) | (chunk[p + 2]! << 16) | (chunk[p + 3]! << 8) | chunk[p + 4]!
      if (size < 4 || size > limits[t]!) return (failed = check(t, size, consumed + p)!)
      const end = p + 1 + size
      if (end > n) {
        type = t
        length = size
        remaining = end - n
        if (inspected[t] === 1) {
          body = new Uint8Array(size - 4)
          bodyFilled = n - p - 5
          body.set(chunk.subarray(p + 5, n))
        }
        consumed += n
        return boundary
      }
      onFrame(t, inspected[t] === 1 ? chunk.subarray(p + 5, end) : undefined, end, size)
      p = end
      boundary = p
    }
    if (p < n) {
      header.set(chunk.subarray(p, n))
      headerFilled = n - p
    }
    consumed += n
    return boundary
  }

  return {
    push,
    atBoundary: () => headerFilled === 0 && remaining === 0,
    position: () => consumed
  }
}
