/**
 * Incremental parsers for both directions: chunks in, messages out, in order.
 *
 * A parser is a plain object with no I/O and no Effect; the client and server
 * adapt it to a socket once. Every length and count is bounds-checked against
 * its frame, every frame against a per-kind size limit (`Limits.ts`), and the
 * first malformed byte makes the parser fail for good: `push` returns the
 * `ProtocolError` then and on every later call.
 *
 * Buffer lifetime: complete frames are decoded straight from the chunk given to
 * `push`, and a frame split across chunks is assembled in a buffer of its own,
 * so `DataRow` values, `CopyData` data and other byte fields are views into
 * memory the parser never writes again. They stay valid as long as the caller
 * keeps them, and they keep their chunk alive: copy one that must outlive the
 * result it came from for long.
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import { decodeBackendBody, type BackendMessage } from "./Backend.ts"
import { decodeFrontendBody, type FrontendMessage } from "./Frontend.ts"
import { backendLimitTable, type BackendLimits, frontendLimitTable, type FrontendLimits, startupPacketLimit } from "./Limits.ts"
import { BackendType, typeChar } from "./MessageType.ts"
import { decodeDataRow, type RawRow } from "./messages/Query.ts"
import { decodeStartupBody } from "./messages/Startup.ts"
import { CodecFailure, ProtocolError, toProtocolError } from "./ProtocolError.ts"
import { Reader } from "./Reader.ts"
import type { RowDecoder } from "./RowDecoder.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface Parser<M> {
  /**
   * Decodes a chunk and hands each complete message to `onMessage`, in order.
   * A partial message is kept for the next call. Returns the error that
   * stopped the parser (messages before it in the chunk were delivered), or
   * `undefined`. An exception thrown by `onMessage` propagates to the caller
   * and fails the parser, since the rest of the chunk cannot be kept.
   */
  readonly push: (chunk: Uint8Array, onMessage: (message: M) => void) => ProtocolError | undefined
  /** `push`, collecting the messages of one chunk into an array. */
  readonly pushAll: (chunk: Uint8Array) => Result.Result<Array<M>, ProtocolError>
  /** Bytes received and not yet part of a complete message. */
  readonly buffered: () => number
  /**
   * Hands over the bytes of the partial message held (empty when none) and
   * forgets them: for a caller that stops parsing and passes the rest of the
   * stream on as bytes.
   */
  readonly takeBuffered: () => Uint8Array
  /**
   * Bytes allocated to hold a partial message. Never more than the declared
   * length allows, and for a large message never much more than twice what
   * has arrived, so a peer cannot make the parser allocate by declaring.
   */
  readonly capacity: () => number
  /** Bytes consumed since the parser was made. */
  readonly position: () => number
  /** The error that stopped the parser, if any. */
  readonly error: () => ProtocolError | undefined
}

/**
 * Turns a frame into a message. `bytes[start, end)` is the body; the frame's
 * type byte is `type`, or -1 for an untyped startup packet.
 */
/** Decodes one frame's body; undefined when the frame went elsewhere (a row to a row sink). */
type DecodeBody<M> = (type: number, bytes: Uint8Array, start: number, end: number) => M | undefined

interface FramerOptions<M> {
  readonly limits: Int32Array
  readonly decode: DecodeBody<M>
  /** Whether the stream starts with untyped startup packets. */
  readonly startup: boolean
  readonly startupLimit: number
  /** Called after each decoded message: returns whether the next frame is an untyped packet. */
  readonly nextIsUntyped: (message: M, untyped: boolean) => boolean
  /** After this message, bytes already received are a protocol error (CVE-2021-23214). */
  readonly mustBeLast: (message: M) => boolean
}

/** Frames of at most this size are assembled in a buffer of their final size at once. */
const eagerAllocation = 64 * 1024

const makeFramer = <M>(options: FramerOptions<M>): Parser<M> => {
  const { decode, limits, startupLimit } = options
  let untyped = options.startup
  let error: ProtocolError | undefined
  let consumed = 0
  // A frame split across chunks: its header bytes so far, then its body.
  const header = new Uint8Array(5)
  let headerFilled = 0
  let frame: Uint8Array | undefined
  let frameLength = 0
  let frameFilled = 0

  const stop = (err: ProtocolError): ProtocolError => {
    error = err
    return err
  }

  /** Validates a header; returns the frame's total size or a ProtocolError. */
  const frameSize = (type: number, length: number, at: number): number | ProtocolError => {
    if (untyped) {
      if (length < 8 || length > startupLimit) {
        return new ProtocolError({
          reason: length < 8 ? "InvalidLength" : "MessageTooLarge",
          message: `startup packet length ${length} outside 8..${startupLimit}`,
          offset: at,
          messageType: "startup"
        })
      }
      return length
    }
    const limit = limits[type]!
    if (limit === 0) {
      return new ProtocolError({
        reason: "UnknownMessageType",
        message: `unknown message type ${typeChar(type)}`,
        offset: at,
        messageType: typeChar(type)
      })
    }
    if (length < 4) {
      return new ProtocolError({
        reason: "InvalidLength",
        message: `message length ${length} is below 4`,
        offset: at,
        messageType: typeChar(type)
      })
    }
    if (length > limit) {
      return new ProtocolError({
        reason: "MessageTooLarge",
        message: `message length ${length} exceeds the limit of ${limit} for ${typeChar(type)}`,
        offset: at,
        messageType: typeChar(type)
      })
    }
    return length + 1
  }

  /**
   * Handles a message decoded while reading untyped startup packets: switches
   * to typed framing after a StartupMessage and refuses bytes that arrived
   * after an encryption request (CVE-2021-23214).
   */
  const afterUntyped = (message: M, trailing: boolean, at: number): ProtocolError | undefined => {
    untyped = options.nextIsUntyped(message, true)
    if (trailing && options.mustBeLast(message)) {
      return new ProtocolError({
        reason: "InvalidValue",
        message: "received unencrypted data after an encryption request",
        offset: at,
        messageType: "startup"
      })
    }
    return undefined
  }

  const push = (chunk: Uint8Array, onMessage: (message: M) => void): ProtocolError | undefined => {
    const n = chunk.length
    let p = 0
    // Where the frame being decoded starts (in this chunk, or -1 for the
    // assembled frame) and its type, for error offsets. Locals, not closure
    // slots: they are written once per message.
    let frameStart = 0
    let frameType = 0
    try {
      // Finish a frame left from earlier chunks.
      if (headerFilled > 0 || frame !== undefined) {
        const headerSize = untyped ? 4 : 5
        if (frame === undefined) {
          while (headerFilled < headerSize && p < n) header[headerFilled++] = chunk[p++]!
          if (headerFilled < headerSize) {
            consumed += p
            return undefined
          }
          const type = untyped ? -1 : header[0]!
          const o = untyped ? 0 : 1
          const length = (header[o]! << 24) | (header[o + 1]! << 16) | (header[o + 2]! << 8) | header[o + 3]!
          const size = frameSize(type, length, consumed - headerFilled + p)
          if (typeof size !== "number") return stop(size)
          frameLength = size
          frame = new Uint8Array(size <= eagerAllocation ? size : Math.min(size, Math.max(eagerAllocation, headerSize + (n - p) * 2)))
          frame.set(header.subarray(0, headerSize))
          frameFilled = headerSize
          headerFilled = 0
        }
        const take = Math.min(frameLength - frameFilled, n - p)
        if (frameFilled + take > frame.length) {
          // Grow with what actually arrived, never straight to the declared size.
          const grown = new Uint8Array(Math.min(frameLength, Math.max(frame.length * 2, frameFilled + take)))
          grown.set(frame.subarray(0, frameFilled))
          frame = grown
        }
        frame.set(chunk.subarray(p, p + take), frameFilled)
        frameFilled += take
        p += take
        if (frameFilled < frameLength) {
          consumed += p
          return undefined
        }
        const whole = frame
        frame = undefined
        frameStart = p - frameLength
        const wasUntyped = untyped
        frameType = wasUntyped ? -1 : whole[0]!
        const message = decode(frameType, whole, wasUntyped ? 4 : 5, frameLength)
        if (message !== undefined) {
          if (wasUntyped) {
            const err = afterUntyped(message, p < n, consumed + frameStart)
            if (err !== undefined) return stop(err)
          }
          onMessage(message)
        }
      }

      // Whole frames straight from the chunk: the hot loop.
      while (p < n) {
        if (untyped) {
          if (n - p < 4) break
          const length = (chunk[p]! << 24) | (chunk[p + 1]! << 16) | (chunk[p + 2]! << 8) | chunk[p + 3]!
          const size = frameSize(-1, length, consumed + p)
          if (typeof size !== "number") return stop(size)
          if (n - p < size) break
          frameStart = p
          frameType = -1
          const message = decode(-1, chunk, p + 4, p + size)
          p += size
          if (message === undefined) continue
          const err = afterUntyped(message, p < n, consumed + frameStart)
          if (err !== undefined) return stop(err)
          onMessage(message)
          continue
        }
        if (n - p < 5) break
        const type = chunk[p]!
        const length = (chunk[p + 1]! << 24) | (chunk[p + 2]! << 16) | (chunk[p + 3]! << 8) | chunk[p + 4]!
        if (length < 4 || length > limits[type]!) return stop(frameSize(type, length, consumed + p) as ProtocolError)
        const end = p + 1 + length
        if (end > n) break
        frameStart = p
        frameType = type
        const message = decode(type, chunk, p + 5, end)
        p = end
        if (message !== undefined) onMessage(message)
      }
    } catch (thrown) {
      if (thrown instanceof CodecFailure) {
        return stop(toProtocolError(thrown, consumed + frameStart, frameType === -1 ? "startup" : typeChar(frameType)))
      }
      // The handler's own exception is not ours to swallow, but the rest of
      // the chunk is lost with it, so the parser cannot go on.
      error = new ProtocolError({
        reason: "ParserFailed",
        message: "a message handler threw; the parser stopped",
        offset: consumed + frameStart,
        messageType: undefined
      })
      throw thrown
    }

    // Keep the tail for the next chunk.
    if (p < n) {
      const headerSize = untyped ? 4 : 5
      if (n - p < headerSize) {
        header.set(chunk.subarray(p, n))
        headerFilled = n - p
      } else {
        const type = untyped ? -1 : chunk[p]!
        const o = untyped ? 0 : 1
        const length = (chunk[p + o]! << 24) | (chunk[p + o + 1]! << 16) | (chunk[p + o + 2]! << 8) | chunk[p + o + 3]!
        const size = frameSize(type, length, consumed + p)
        if (typeof size !== "number") return stop(size)
        frameLength = size
        frame = new Uint8Array(size <= eagerAllocation ? size : Math.min(size, Math.max(eagerAllocation, (n - p) * 2)))
        frame.set(chunk.subarray(p, n))
        frameFilled = n - p
      }
    }
    consumed += n
    return undefined
  }

  const guardedPush = (chunk: Uint8Array, onMessage: (message: M) => void): ProtocolError | undefined => {
    if (error !== undefined) {
      return new ProtocolError({
        reason: "ParserFailed",
        message: `the parser failed earlier: ${error.message}`,
        offset: error.offset,
        messageType: error.messageType
      })
    }
    return push(chunk, onMessage)
  }

  return {
    push: guardedPush,
    pushAll: (chunk) => {
      const messages: Array<M> = []
      const err = guardedPush(chunk, (m) => {
        messages.push(m)
      })
      return err === undefined ? Result.succeed(messages) : Result.fail(err)
    },
    buffered: () => headerFilled + (frame === undefined ? 0 : frameFilled),
    takeBuffered: () => {
      const bytes = frame === undefined ? header.slice(0, headerFilled) : frame.slice(0, frameFilled)
      headerFilled = 0
      frame = undefined
      frameFilled = 0
      return bytes
    },
    capacity: () => (frame === undefined ? 0 : frame.length),
    position: () => consumed,
    error: () => error
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface FrontendParserOptions {
  /**
   * Whether the stream begins with untyped startup packets (a server reading a
   * new connection). Default true. After a StartupMessage the parser reads
   * typed messages; after SSLRequest, GSSENCRequest or CancelRequest it keeps
   * expecting a startup packet.
   */
  readonly startup?: boolean
  readonly limits?: FrontendLimits
}

const reader = new Reader()

const decodeFrontend = (type: number, bytes: Uint8Array, start: number, end: number): FrontendMessage => {
  const r = reader.reset(bytes, start, end)
  const message = type === -1 ? decodeStartupBody(r) : decodeFrontendBody(type, r)
  r.expectEnd(message._tag)
  return message
}

/**
 * A parser for what a frontend sends, for servers and proxies.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeFrontendParser = (options?: FrontendParserOptions): Parser<FrontendMessage> =>
  makeFramer<FrontendMessage>({
    limits: frontendLimitTable(options?.limits),
    decode: decodeFrontend,
    startup: options?.startup ?? true,
    startupLimit: options?.limits?.startup ?? startupPacketLimit,
    nextIsUntyped: (message, untyped) => untyped && message._tag !== "StartupMessage",
    mustBeLast: (message) => message._tag === "SSLRequest" || message._tag === "GSSENCRequest"
  })

/**
 * @since 0.1.0
 * @category models
 */
export interface BackendParserOptions<R> {
  readonly limits?: BackendLimits
  /** Decodes DataRow values as rows are parsed; without one, values are byte views. */
  readonly rowDecoder?: RowDecoder<R> | undefined
}

/**
 * A backend parser whose row decoder can change between results (each
 * RowDescription announces new columns).
 *
 * @since 0.1.0
 * @category models
 */
export interface BackendParser<R = never> extends Parser<BackendMessage<R | RawRow>> {
  /**
   * Sets how DataRow values decode. With a `sink`, each decoded row goes to
   * it instead of being emitted as a DataRow message (no message object per
   * row); the other messages are emitted as usual, in order.
   */
  readonly setRowDecoder: (decoder: RowDecoder<R> | undefined, sink?: ((row: R) => void) | undefined) => void
}

/**
 * A parser for what a backend sends, for clients and proxies. It starts after
 * the one-byte answer to SSLRequest or GSSENCRequest, if any (see
 * `decodeEncryptionResponse`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeBackendParser = <R = never>(options?: BackendParserOptions<R>): BackendParser<R> => {
  let rowDecoder: RowDecoder<R> | undefined = options?.rowDecoder
  let rowSink: ((row: R) => void) | undefined
  const decode = (type: number, bytes: Uint8Array, start: number, end: number): BackendMessage<R | RawRow> | undefined => {
    // One message per result row: skip the Reader and the dispatch.
    if (type === BackendType.DataRow) {
      if (rowDecoder === undefined) return decodeDataRow(bytes, start, end)
      const values = rowDecoder(bytes, start, end)
      if (rowSink === undefined) return { _tag: "DataRow", values }
      rowSink(values)
      return undefined
    }
    const r = reader.reset(bytes, start, end)
    const message = decodeBackendBody(type, r)
    r.expectEnd(message._tag)
    return message
  }
  const parser = makeFramer<BackendMessage<R | RawRow>>({
    limits: backendLimitTable(options?.limits),
    decode,
    startup: false,
    startupLimit: startupPacketLimit,
    nextIsUntyped: () => false,
    mustBeLast: () => false
  })
  return {
    ...parser,
    setRowDecoder: (decoder, sink) => {
      rowDecoder = decoder
      rowSink = decoder === undefined ? undefined : sink
    }
  }
}

/**
 * Decodes one untyped startup packet held whole in `bytes` (length included).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeStartupPacket = (bytes: Uint8Array): Result.Result<FrontendMessage, ProtocolError> => {
  if (bytes.length < 8) {
    return Result.fail(
      new ProtocolError({ reason: "Truncated", message: `startup packet of ${bytes.length} bytes`, offset: 0, messageType: "startup" })
    )
  }
  const length = (bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!
  if (length !== bytes.length) {
    return Result.fail(
      new ProtocolError({
        reason: length > bytes.length ? "Truncated" : "TrailingBytes",
        message: `startup packet declares ${length} bytes, holds ${bytes.length}`,
        offset: 0,
        messageType: "startup"
      })
    )
  }
  try {
    return Result.succeed(decodeFrontend(-1, bytes, 4, bytes.length))
  } catch (thrown) {
    return Result.fail(toProtocolError(thrown, 0, "startup"))
  }
}

/**
 * The backend's one-byte answer to SSLRequest ('S' yes, 'N' no) or
 * GSSENCRequest ('G' yes, 'N' no). An 'E' means the server sent an
 * ErrorResponse instead (a server too old to know the request): parse the
 * rest of the stream with a backend parser.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeEncryptionResponse = (
  byte: number,
  request: "SSLRequest" | "GSSENCRequest"
): Result.Result<"S" | "G" | "N" | "E", ProtocolError> => {
  if (byte === 0x4e) return Result.succeed("N")
  if (byte === 0x45) return Result.succeed("E")
  if (request === "SSLRequest" && byte === 0x53) return Result.succeed("S")
  if (request === "GSSENCRequest" && byte === 0x47) return Result.succeed("G")
  return Result.fail(
    new ProtocolError({
      reason: "InvalidValue",
      message: `invalid answer to ${request}: ${typeChar(byte)}`,
      offset: 0,
      messageType: request
    })
  )
}
