/**
 * The Result-returning wrappers shared by both directions' encoders: append
 * one message with nothing left behind on failure, or encode several into one
 * buffer.
 *
 * @internal
 */
import * as Result from "effect/Result"
import { type ProtocolError, toProtocolError } from "./ProtocolError.ts"
import { Writer } from "./Writer.ts"

const ok: Result.Result<void, never> = Result.succeed(undefined)

export const makeWrite = <M extends { readonly _tag: string }>(encodeInto: (w: Writer, message: M) => void) =>
(writer: Writer, message: M): Result.Result<void, ProtocolError> => {
  const mark = writer.mark()
  try {
    encodeInto(writer, message)
    return ok
  } catch (thrown) {
    writer.rollback(mark)
    return Result.fail(toProtocolError(thrown, -1, message._tag))
  }
}

export const makeEncode = <M>(write: (writer: Writer, message: M) => Result.Result<void, ProtocolError>) =>
(...messages: ReadonlyArray<M>): Result.Result<Uint8Array, ProtocolError> => {
  const writer = new Writer(256)
  for (const message of messages) {
    const result = write(writer, message)
    if (Result.isFailure(result)) return Result.fail(result.failure)
  }
  return Result.succeed(writer.take())
}
