/**
 * Malformed typed messages, in both directions: each must come back from the
 * parser as a ProtocolError with the expected reason (never a throw), whether
 * it arrives in one chunk or byte by byte; and a failed parser stays failed.
 */
import * as Result from "effect/Result"
import { describe, expect, it } from "vitest"
import { type BackendMessage, type FrontendMessage, makeBackendParser, makeFrontendParser } from "../../../src/protocol/index.ts"
import { concat, expectFailure, expectFramedStream, expectParseError, hex, plain, sequence } from "./helpers.ts"

/** hex() for a message whose length field is meant to be right: checked first, so a slip in the test shows as such. */
const framed = (...fields: ReadonlyArray<string>): Uint8Array => {
  const bytes = hex(...fields)
  expectFramedStream(bytes)
  return bytes
}

const frontend = () => makeFrontendParser({ startup: false })
const backend = () => makeBackendParser()

describe("decode errors: framing", () => {
  it("an unknown frontend type byte fails with UnknownMessageType", () => {
    expectParseError(frontend, hex("5a", "00 00 00 04"), "UnknownMessageType") // 'Z' is a backend message only
    expectParseError(frontend, hex("52", "00 00 00 08", "00 00 00 00"), "UnknownMessageType") // 'R' likewise
    expectParseError(frontend, hex("00", "00 00 00 04"), "UnknownMessageType")
  })

  it("an unknown backend type byte fails with UnknownMessageType", () => {
    expectParseError(backend, hex("58", "00 00 00 04"), "UnknownMessageType") // 'X' is frontend Terminate only
    expectParseError(backend, hex("51", "00 00 00 05", "00"), "UnknownMessageType") // 'Q' is frontend Query only
    expectParseError(backend, hex("ff", "00 00 00 04"), "UnknownMessageType")
  })

  it("a length below 4 fails with InvalidLength", () => {
    expectParseError(frontend, hex("53", "00 00 00 03"), "InvalidLength") //   Sync, length 3
    expectParseError(frontend, hex("51", "ff ff ff ff"), "InvalidLength") //   Query, length -1
    expectParseError(backend, hex("5a", "00 00 00 00"), "InvalidLength") //    ReadyForQuery, length 0
    expectParseError(backend, hex("44", "80 00 00 00"), "InvalidLength") //    DataRow, length -2^31
  })

  it("a length over the per-kind limit fails with MessageTooLarge as soon as the header arrives", () => {
    const limited = () => makeFrontendParser({ startup: false, limits: { Query: 16 } })
    // Query of length 17: one byte over the limit of 16 (the limit counts the length field).
    expectParseError(limited, hex("51", "00 00 00 11", "53 45 4c 45 43 54 20 31 32 33 34 35 00"), "MessageTooLarge")
    expectFailure(limited().pushAll(hex("51", "00 00 00 11")), "MessageTooLarge")
    // Length 16 is within the limit: "SELECT 1234" + NUL = 12 bytes.
    const ok = limited().pushAll(hex("51", "00 00 00 10", "53 45 4c 45 43 54 20 31 32 33 34 00"))
    expect(plain(Result.getOrThrow(ok))).toStrictEqual([{ _tag: "Query", query: "SELECT 1234" }])
  })

  it("a backend length over the per-kind limit fails with MessageTooLarge", () => {
    const limited = () => makeBackendParser({ limits: { DataRow: 10 } })
    expectParseError(limited, hex("44", "00 00 00 0b", "00 01", "00 00 00 01", "31"), "MessageTooLarge")
    expectFailure(limited().pushAll(hex("44", "00 00 00 0b")), "MessageTooLarge")
    // Other kinds keep their defaults.
    expect(Result.isSuccess(limited().pushAll(hex("43", "00 00 00 0d", "53 45 4c 45 43 54 20 31 00")))).toBe(true)
  })

  it("the default small-message limit (10,000, as PostgreSQL) applies to Describe", () => {
    expectFailure(frontend().pushAll(hex("44", "00 00 27 11")), "MessageTooLarge") // length 10001
  })

  it("the error offset is the stream position of the offending message", () => {
    const parser = frontend()
    expect(Result.isSuccess(parser.pushAll(hex("53 00 00 00 04")))).toBe(true) // Sync at 0
    const delivered: Array<FrontendMessage> = []
    const error = parser.push(concat(hex("48 00 00 00 04"), hex("5a 00 00 00 04")), (m) => {
      delivered.push(m)
    })
    expect(error?.reason).toBe("UnknownMessageType")
    expect(error?.offset).toBe(10) // Sync (5 bytes) + Flush (5 bytes)
    // Messages before the bad one in the same chunk were delivered.
    expect(plain(delivered)).toStrictEqual([{ _tag: "Flush" }])
  })

  it("the offset of a decode error inside a message split across chunks", () => {
    const parser = backend()
    expect(Result.isSuccess(parser.pushAll(hex("5a 00 00 00 05 49", "5a 00")))).toBe(true)
    const error = parser.push(hex("00 00 05 58"), () => {}) // the second ReadyForQuery, status 'X'
    expect(error?.reason).toBe("InvalidValue")
    expect(error?.offset).toBe(6)
  })
})

describe("decode errors: strings", () => {
  it("a string missing its NUL fails with InvalidString", () => {
    expectParseError(frontend, framed("51", "00 00 00 07", "61 62 63"), "InvalidString") //  Query "abc" without NUL
    expectParseError(backend, framed("43", "00 00 00 07", "61 62 63"), "InvalidString") //   CommandComplete likewise
    expectParseError(frontend, framed("44", "00 00 00 05", "53"), "InvalidString") //       Describe 'S' with no name at all
  })

  it("a NUL in the next message does not terminate a string of this one", () => {
    // Query "abc" without NUL, then a Sync whose length field holds NULs.
    expectFailure(frontend().pushAll(framed("51 00 00 00 07 61 62 63", "53 00 00 00 04")), "InvalidString")
    expectFailure(backend().pushAll(framed("43 00 00 00 07 61 62 63", "5a 00 00 00 05 49")), "InvalidString")
  })

  it("invalid UTF-8 in a string fails with InvalidString", () => {
    expectParseError(frontend, framed("51", "00 00 00 07", "ff fe 00"), "InvalidString") //        bytes that never occur in UTF-8
    expectParseError(frontend, framed("51", "00 00 00 07", "c3 28 00"), "InvalidString") //        lead byte, no continuation
    expectParseError(frontend, framed("51", "00 00 00 07", "c0 af 00"), "InvalidString") //        overlong "/"
    expectParseError(frontend, framed("51", "00 00 00 08", "ed a0 80 00"), "InvalidString") //     encoded surrogate U+D800
    expectParseError(frontend, framed("51", "00 00 00 06", "c3 00"), "InvalidString") //           truncated sequence
    // A long string (past any short-string fast path), invalid at its end.
    expectParseError(frontend, concat(hex("51", "00 00 00 26"), new Uint8Array(32).fill(0x61), hex("ff 00")), "InvalidString")
    // Backend strings too.
    expectParseError(backend, framed("53", "00 00 00 09", "61 00", "62 ff 00"), "InvalidString") // ParameterStatus value
    expectParseError(backend, framed("45", "00 00 00 0a", "4d 61 ff 62 00", "00"), "InvalidString") // ErrorResponse 'M'
  })
})

describe("decode errors: trailing bytes", () => {
  it("bytes after the last field fail with TrailingBytes", () => {
    expectParseError(frontend, framed("53", "00 00 00 05", "00"), "TrailingBytes") //                 Sync with a body
    expectParseError(frontend, framed("51", "00 00 00 07", "61 00", "62"), "TrailingBytes") //        Query "a" then "b"
    expectParseError(frontend, framed("44", "00 00 00 08", "53", "61 00", "62"), "TrailingBytes") //  Describe
    expectParseError(frontend, framed("45", "00 00 00 0a", "00", "00 00 00 00", "00"), "TrailingBytes") // Execute
    expectParseError(backend, framed("43", "00 00 00 07", "61 00", "62"), "TrailingBytes") //         CommandComplete
    expectParseError(backend, framed("52", "00 00 00 09", "00 00 00 00", "00"), "TrailingBytes") //   AuthenticationOk
    expectParseError(backend, framed("52", "00 00 00 0d", "00 00 00 05", "01 02 03 04 05"), "TrailingBytes") // MD5, 5-byte salt
    expectParseError(backend, framed("5a", "00 00 00 06", "49 49"), "TrailingBytes") //               ReadyForQuery
    expectParseError(backend, framed("44", "00 00 00 07", "00 00", "00"), "TrailingBytes") //          DataRow of 0 columns + 1 byte
    expectParseError(backend, framed("32", "00 00 00 05", "00"), "TrailingBytes") //                   BindComplete with a body
  })
})

describe("decode errors: values", () => {
  it("ReadyForQuery with status 'X' fails with InvalidValue", () => {
    expectParseError(backend, framed("5a", "00 00 00 05", "58"), "InvalidValue")
  })

  it("Describe or Close with target 'Q' fails with InvalidValue", () => {
    expectParseError(frontend, framed("44", "00 00 00 06", "51", "00"), "InvalidValue")
    expectParseError(frontend, framed("43", "00 00 00 06", "51", "00"), "InvalidValue")
  })

  it("an unknown Authentication code fails with InvalidValue", () => {
    expectParseError(backend, framed("52", "00 00 00 08", "00 00 00 04"), "InvalidValue") // 4: crypt, long gone
    expectParseError(backend, framed("52", "00 00 00 08", "00 00 00 06"), "InvalidValue") // 6: SCM credentials, gone
    expectParseError(backend, framed("52", "00 00 00 08", "00 00 00 0d"), "InvalidValue") // 13: undefined
    expectParseError(backend, framed("52", "00 00 00 08", "ff ff ff ff"), "InvalidValue") // -1
  })

  it("BackendKeyData with a 3-byte key fails with InvalidValue", () => {
    expectParseError(backend, framed("4b", "00 00 00 0b", "00 00 30 39", "01 02 03"), "InvalidValue")
  })

  it("BackendKeyData with a 257-byte key fails with InvalidValue", () => {
    expectParseError(backend, concat(hex("4b", "00 00 01 09", "00 00 30 39"), sequence(257)), "InvalidValue")
  })

  it("BackendKeyData with a 256-byte key (the maximum) is accepted", () => {
    const messages = Result.getOrThrow(backend().pushAll(concat(hex("4b", "00 00 01 08", "00 00 30 39"), sequence(256))))
    expect(plain(messages)).toStrictEqual(plain([{ _tag: "BackendKeyData", processId: 12345, secretKey: sequence(256) }]))
  })

  it("a DataRow column length -2 fails with InvalidLength", () => {
    expectParseError(backend, framed("44", "00 00 00 0a", "00 01", "ff ff ff fe"), "InvalidLength")
  })

  it("a Bind parameter length -2 fails with InvalidLength", () => {
    expectParseError(frontend, framed("42", "00 00 00 10", "00", "00", "00 00", "00 01", "ff ff ff fe", "00 00"), "InvalidLength")
  })

  it("a FunctionCallResponse length -2 fails with InvalidLength", () => {
    expectParseError(backend, framed("56", "00 00 00 08", "ff ff ff fe"), "InvalidLength")
  })

  it("a count or length running past the end of the message fails with Truncated", () => {
    expectParseError(backend, framed("44", "00 00 00 0b", "00 01", "00 00 00 02", "31"), "Truncated") //      DataRow value of 2 with 1 byte
    expectParseError(backend, framed("44", "00 00 00 0a", "00 02", "00 00 00 00"), "Truncated") //           DataRow of 2 columns, 1 present
    expectParseError(backend, framed("74", "00 00 00 0a", "00 02", "00 00 00 17"), "Truncated") //           ParameterDescription
    expectParseError(backend, framed("54", "00 00 00 06", "00 01"), "Truncated") //                          RowDescription
    expectParseError(frontend, framed("42", "00 00 00 0c", "00", "00", "00 00", "00 01", "00 00"), "Truncated") // Bind
    expectParseError(backend, framed("52", "00 00 00 0a", "00 00 00 05", "01 02"), "Truncated") //           MD5 salt of 2
    expectParseError(backend, framed("76", "00 00 00 0c", "00 03 00 00", "00 00 00 01"), "Truncated") //     NegotiateProtocolVersion
  })

  it("an ErrorResponse field with an unrecognized code is not fatal (docs: frontends should silently ignore it)", () => {
    // "Since more field types might be added in future, frontends should
    // silently ignore fields of unrecognized type." A non-ASCII code is one
    // such type; it must not fail the parser (and with it the connection).
    const bytes = framed(
      "45", //                  Byte1('E')
      "00 00 00 15", //         Int32 length 21
      "53 45 52 52 4f 52 00", // 'S' "ERROR"
      "c3 78 00", //            0xc3: an unrecognized field type, value "x"
      "4d 6f 6f 70 73 00", //   'M' "oops"
      "00" //                   terminator
    )
    const result = backend().pushAll(bytes)
    if (Result.isFailure(result)) throw new Error(`parse failed: ${result.failure.reason}: ${result.failure.message}`)
    expect(result.success).toHaveLength(1)
    expect(result.success[0]).toMatchObject({ _tag: "ErrorResponse", fields: { severity: "ERROR", message: "oops" } })
  })
})

describe("a failed parser stays failed", () => {
  it("a frontend parser keeps failing with ParserFailed on the next push", () => {
    const parser = frontend()
    expectFailure(parser.pushAll(framed("5a 00 00 00 04")), "UnknownMessageType")
    const delivered: Array<FrontendMessage> = []
    const error = parser.push(framed("53 00 00 00 04"), (m) => {
      delivered.push(m)
    })
    expect(error?.reason).toBe("ParserFailed")
    expect(delivered).toHaveLength(0)
    expectFailure(parser.pushAll(framed("53 00 00 00 04")), "ParserFailed")
    expect(parser.error()?.reason).toBe("UnknownMessageType")
  })

  it("a backend parser keeps failing with ParserFailed after a decode error", () => {
    const parser = backend()
    expectFailure(parser.pushAll(framed("5a 00 00 00 05 58")), "InvalidValue")
    const delivered: Array<BackendMessage> = []
    expect(parser.push(framed("5a 00 00 00 05 49"), (m) => delivered.push(m))?.reason).toBe("ParserFailed")
    expect(delivered).toHaveLength(0)
    expect(parser.error()?.reason).toBe("InvalidValue")
  })

  it("a parser fails for good after an error found with only part of a message buffered", () => {
    const parser = backend()
    expect(Result.isSuccess(parser.pushAll(hex("5a 00")))).toBe(true)
    expectFailure(parser.pushAll(hex("00 00 01")), "InvalidLength") // length 1
    expectFailure(parser.pushAll(framed("5a 00 00 00 05 49")), "ParserFailed")
  })
})
