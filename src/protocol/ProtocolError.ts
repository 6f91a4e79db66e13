/**
 * The one error of the codec: bytes that do not form a valid message, or a
 * message that cannot be encoded. Every public function of `src/protocol`
 * reports failures as a `ProtocolError` value; none throws.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"

/**
 * What went wrong, as a discriminant a caller can branch on.
 *
 * @since 0.1.0
 * @category models
 */
export type ProtocolErrorReason =
  /** A declared length or count runs past the end of the message. */
  | "Truncated"
  /** A length field is negative or below the minimum for its message. */
  | "InvalidLength"
  /** A message is larger than the configured maximum for its kind. */
  | "MessageTooLarge"
  /** The type byte (or startup code) names no message of the protocol. */
  | "UnknownMessageType"
  /** A field holds a value the protocol does not allow (an unknown subtype, a bad status byte, ...). */
  | "InvalidValue"
  /** The message declares more bytes than its fields use. */
  | "TrailingBytes"
  /** A string field is not valid UTF-8, or a C string has no terminator. */
  | "InvalidString"
  /** A StartupMessage asks for a major protocol version other than 3. */
  | "UnsupportedProtocolVersion"
  /** The parser already failed once and refuses further input. */
  | "ParserFailed"
  /** A message could not be encoded (a NUL inside a C string, a count past 16 bits, ...). */
  | "EncodeFailed"

/**
 * Malformed or unexpected protocol bytes.
 *
 * `offset` is the position in the parsed stream (bytes since the parser was
 * created) of the first byte of the offending message; `-1` when the error is
 * not tied to a stream position (encoding).
 *
 * @since 0.1.0
 * @category errors
 */
export class ProtocolError extends Data.TaggedError("ProtocolError")<{
  readonly reason: ProtocolErrorReason
  readonly message: string
  readonly offset: number
  /** The message type as a character (`"D"`), or the startup packet name, when known. */
  readonly messageType?: string | undefined
}> {}

/**
 * Thrown inside the codec by the bounds-checked reader and the writer, and
 * converted to a `ProtocolError` at the public boundary (the parser or the
 * encode functions). A plain class, not an `Error`, so a failure does not pay
 * for a stack trace.
 *
 * @internal
 */
export class CodecFailure {
  readonly reason: ProtocolErrorReason
  readonly message: string
  constructor(reason: ProtocolErrorReason, message: string) {
    this.reason = reason
    this.message = message
  }
}

/** @internal */
export const fail = (reason: ProtocolErrorReason, message: string): never => {
  throw new CodecFailure(reason, message)
}

/**
 * Turns whatever the codec threw into a `ProtocolError`. Anything that is not
 * a `CodecFailure` is a bug in the codec; it is still reported as a value so
 * no throw crosses the public boundary.
 *
 * @internal
 */
export const toProtocolError = (
  thrown: unknown,
  offset: number,
  messageType: string | undefined
): ProtocolError => {
  if (thrown instanceof CodecFailure) {
    return new ProtocolError({ reason: thrown.reason, message: thrown.message, offset, messageType })
  }
  const detail = thrown instanceof Error ? thrown.message : String(thrown)
  return new ProtocolError({ reason: "InvalidValue", message: `internal codec failure: ${detail}`, offset, messageType })
}
