/**
 * Golden bytes of the untyped startup packets (StartupMessage 3.0 and 3.2,
 * SSLRequest, GSSENCRequest, CancelRequest with 3.0 and 3.2 keys), written by
 * hand from the "Message Formats" chapter of the PostgreSQL docs, and the
 * startup-phase parse errors.
 */
import * as Result from "effect/Result"
import { describe, expect, it } from "vitest"
import {
  decodeEncryptionResponse,
  decodeStartupPacket,
  encodeFrontend,
  type FrontendMessage,
  makeFrontendParser,
  protocolOptions,
  type StartupMessage
} from "../../../src/protocol/index.ts"
import {
  concat,
  expectFailure,
  expectParseError,
  hex,
  parseAll,
  parseBytewise,
  plain,
  sequence,
  startupGolden
} from "./helpers.ts"

const startup30: StartupMessage = {
  _tag: "StartupMessage",
  protocolVersion: 0x00030000,
  parameters: { user: "alice", database: "db" }
}
const startup30Bytes = hex(
  "00 00 00 20", //                 Int32 length 32, including self
  "00 03 00 00", //                 Int32(196608): protocol 3.0
  "75 73 65 72 00", //              String "user"
  "61 6c 69 63 65 00", //           String "alice"
  "64 61 74 61 62 61 73 65 00", //  String "database"
  "64 62 00", //                    String "db"
  "00" //                           terminator after the last name/value pair
)

const startup32: StartupMessage = {
  _tag: "StartupMessage",
  protocolVersion: 0x00030002,
  parameters: { user: "alice", "_pq_.opt": "on" }
}
const startup32Bytes = hex(
  "00 00 00 20", //                 Int32 length 32
  "00 03 00 02", //                 Int32(196610): protocol 3.2
  "75 73 65 72 00", //              String "user"
  "61 6c 69 63 65 00", //           String "alice"
  "5f 70 71 5f 2e 6f 70 74 00", //  String "_pq_.opt" (a protocol option)
  "6f 6e 00", //                    String "on"
  "00" //                           terminator
)

const queryBytes = hex(
  "51", //                        Byte1('Q')
  "00 00 00 0d", //               Int32 length 13
  "53 45 4c 45 43 54 20 31 00" // String "SELECT 1"
)

const sslRequestBytes = hex(
  "00 00 00 08", // Int32(8)
  "04 d2 16 2f" //  Int32(80877103): 1234 << 16 | 5679
)

const gssencRequestBytes = hex(
  "00 00 00 08", // Int32(8)
  "04 d2 16 30" //  Int32(80877104): 1234 << 16 | 5680
)

describe("startup packet golden bytes", () => {
  it("StartupMessage, protocol 3.0", () => {
    startupGolden(startup30, startup30Bytes)
  })

  it("StartupMessage, protocol 3.2, with a _pq_. protocol option", () => {
    startupGolden(startup32, startup32Bytes)
    expect(protocolOptions(startup32)).toStrictEqual(["_pq_.opt"])
  })

  it("after a StartupMessage the parser reads typed messages (same chunk)", () => {
    const messages = parseAll(makeFrontendParser(), concat(startup30Bytes, queryBytes))
    expect(plain(messages)).toStrictEqual(plain([startup30, { _tag: "Query", query: "SELECT 1" }]))
  })

  it("after a StartupMessage the parser reads typed messages (byte by byte)", () => {
    const messages = parseBytewise(makeFrontendParser(), concat(startup32Bytes, queryBytes))
    expect(plain(messages)).toStrictEqual(plain([startup32, { _tag: "Query", query: "SELECT 1" }]))
  })

  it("SSLRequest", () => {
    startupGolden({ _tag: "SSLRequest" }, sslRequestBytes)
  })

  it("GSSENCRequest", () => {
    startupGolden({ _tag: "GSSENCRequest" }, gssencRequestBytes)
  })

  it("after an SSLRequest (its own chunk) the parser still expects a startup packet", () => {
    const parser = makeFrontendParser()
    expect(plain(parseAll(parser, sslRequestBytes))).toStrictEqual([{ _tag: "SSLRequest" }])
    // (TLS handshake happens here.) Then the StartupMessage, untyped, then typed messages.
    expect(plain(parseAll(parser, startup30Bytes))).toStrictEqual(plain([startup30]))
    expect(plain(parseAll(parser, queryBytes))).toStrictEqual([{ _tag: "Query", query: "SELECT 1" }])
  })

  it("after a GSSENCRequest the parser still expects a startup packet", () => {
    const parser = makeFrontendParser()
    expect(plain(parseAll(parser, gssencRequestBytes))).toStrictEqual([{ _tag: "GSSENCRequest" }])
    expect(plain(parseAll(parser, startup30Bytes))).toStrictEqual(plain([startup30]))
  })

  it("CancelRequest with a 4-byte key (protocol 3.0, 16 bytes)", () => {
    startupGolden(
      { _tag: "CancelRequest", processId: 12345, secretKey: hex("de ad be ef") },
      hex(
        "00 00 00 10", // Int32(16)
        "04 d2 16 2e", // Int32(80877102): 1234 << 16 | 5678
        "00 00 30 39", // Int32 process ID 12345
        "de ad be ef" //  Byte4 secret key
      )
    )
  })

  it("CancelRequest with a 32-byte key (protocol 3.2)", () => {
    startupGolden(
      { _tag: "CancelRequest", processId: 12345, secretKey: sequence(32) },
      hex(
        "00 00 00 2c", //                                     Int32 length 44 = 4 + 4 + 4 + 32
        "04 d2 16 2e", //                                     Int32(80877102)
        "00 00 30 39", //                                     Int32 process ID 12345
        "00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f", // secret key, bytes 0..15
        "10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f" //  secret key, bytes 16..31 (to the end of the message)
      )
    )
  })

  it("CancelRequest with the largest key, 256 bytes", () => {
    const message: FrontendMessage = { _tag: "CancelRequest", processId: 7, secretKey: sequence(256) }
    const golden = concat(
      hex(
        "00 00 01 0c", // Int32 length 268 = 12 + 256
        "04 d2 16 2e", // Int32(80877102)
        "00 00 00 07" //  Int32 process ID 7
      ),
      sequence(256) //    Byte256 secret key
    )
    startupGolden(message, golden)
  })

  it("decodeStartupPacket decodes each packet held whole", () => {
    const cases: ReadonlyArray<readonly [Uint8Array, FrontendMessage]> = [
      [startup30Bytes, startup30],
      [startup32Bytes, startup32],
      [sslRequestBytes, { _tag: "SSLRequest" }],
      [gssencRequestBytes, { _tag: "GSSENCRequest" }],
      [hex("00 00 00 10 04 d2 16 2e 00 00 30 39 de ad be ef"), { _tag: "CancelRequest", processId: 12345, secretKey: hex("de ad be ef") }]
    ]
    for (const [bytes, message] of cases) {
      expect(plain(Result.getOrThrow(decodeStartupPacket(bytes)))).toStrictEqual(plain(message))
    }
  })

  it("decodeStartupPacket rejects a packet whose length field disagrees with its size", () => {
    expectFailure(decodeStartupPacket(hex("00 00 00 09 04 d2 16 2f")), "Truncated")
    expectFailure(decodeStartupPacket(hex("00 00 00 08 04 d2 16 2f 00")), "TrailingBytes")
  })

  it("decodeEncryptionResponse reads the one-byte answers", () => {
    expect(Result.getOrThrow(decodeEncryptionResponse(0x53, "SSLRequest"))).toBe("S") //    'S'
    expect(Result.getOrThrow(decodeEncryptionResponse(0x4e, "SSLRequest"))).toBe("N") //    'N'
    expect(Result.getOrThrow(decodeEncryptionResponse(0x47, "GSSENCRequest"))).toBe("G") // 'G'
    expect(Result.getOrThrow(decodeEncryptionResponse(0x4e, "GSSENCRequest"))).toBe("N") // 'N'
    expect(Result.getOrThrow(decodeEncryptionResponse(0x45, "SSLRequest"))).toBe("E") //    'E': an ErrorResponse follows
    expectFailure(decodeEncryptionResponse(0x47, "SSLRequest"), "InvalidValue")
    expectFailure(decodeEncryptionResponse(0x53, "GSSENCRequest"), "InvalidValue")
  })
})

describe("startup decode errors", () => {
  it("StartupMessage asking for protocol 2.0 fails with UnsupportedProtocolVersion", () => {
    expectParseError(
      () => makeFrontendParser(),
      hex(
        "00 00 00 14", //        Int32 length 20
        "00 02 00 00", //        Int32 protocol 2.0
        "75 73 65 72 00", //     String "user"
        "61 6c 69 63 65 00", //  String "alice"
        "00" //                  terminator
      ),
      "UnsupportedProtocolVersion"
    )
  })

  it("StartupMessage asking for protocol 4.0 fails with UnsupportedProtocolVersion", () => {
    expectParseError(() => makeFrontendParser(), hex("00 00 00 09", "00 04 00 00", "00"), "UnsupportedProtocolVersion")
  })

  it("an unknown request code 1234.5681 fails with UnsupportedProtocolVersion (as PostgreSQL treats it)", () => {
    expectParseError(() => makeFrontendParser(), hex("00 00 00 08", "04 d2 16 31"), "UnsupportedProtocolVersion")
  })

  // PostgreSQL compares the length less its own 4 bytes with
  // MAX_STARTUP_PACKET_LENGTH (10,000): 10,004 is the largest length accepted.
  it("a startup packet of 10,005 bytes fails with MessageTooLarge", () => {
    const packet = new Uint8Array(10_005)
    packet.set(hex("00 00 27 15", "00 03 00 00")) // Int32 length 10005, protocol 3.0
    const error = expectParseError(() => makeFrontendParser(), packet, "MessageTooLarge")
    expect(error.offset).toBe(0)
    // Refused as soon as the length arrives, before the rest of the packet.
    expectFailure(makeFrontendParser().pushAll(hex("00 00 27 15")), "MessageTooLarge")
  })

  it("a startup packet of exactly 10,004 bytes is accepted", () => {
    // 4 length + 4 version + "user\0" (5) + value (9989) + NUL + terminator = 10004
    const value = "a".repeat(9989)
    const message: StartupMessage = { _tag: "StartupMessage", protocolVersion: 0x00030000, parameters: { user: value } }
    const bytes = Result.getOrThrow(encodeFrontend(message))
    expect(bytes.length).toBe(10_004)
    expect(Array.from(bytes.subarray(0, 4))).toStrictEqual([0x00, 0x00, 0x27, 0x14])
    expect(plain(parseAll(makeFrontendParser(), bytes))).toStrictEqual(plain([message]))
  })

  it("a startup packet shorter than 8 bytes fails with InvalidLength", () => {
    expectParseError(() => makeFrontendParser(), hex("00 00 00 07", "00 03 00"), "InvalidLength")
    expectParseError(() => makeFrontendParser(), hex("ff ff ff ff", "00 03 00 00"), "InvalidLength")
  })

  it("an SSLRequest whose length covers an extra byte fails with TrailingBytes", () => {
    expectParseError(() => makeFrontendParser(), hex("00 00 00 09", "04 d2 16 2f", "00"), "TrailingBytes")
  })

  it("a StartupMessage without its final terminator fails with InvalidString", () => {
    expectParseError(
      () => makeFrontendParser(),
      hex("00 00 00 13", "00 03 00 00", "75 73 65 72 00", "61 6c 69 63 65 00"),
      "InvalidString"
    )
  })

  it("bytes right after an SSLRequest in the same chunk fail with InvalidValue (CVE-2021-23214)", () => {
    const result = makeFrontendParser().pushAll(concat(sslRequestBytes, startup30Bytes))
    const error = expectFailure(result, "InvalidValue")
    expect(error.message).toContain("unencrypted data after an encryption request")
  })

  it("bytes right after a GSSENCRequest in the same chunk fail with InvalidValue", () => {
    const result = makeFrontendParser().pushAll(concat(gssencRequestBytes, hex("00")))
    const error = expectFailure(result, "InvalidValue")
    expect(error.message).toContain("unencrypted data after an encryption request")
  })

  it("bytes after an SSLRequest split across chunks, arriving with its last byte, fail too", () => {
    const parser = makeFrontendParser()
    expect(parser.push(sslRequestBytes.subarray(0, 5), () => {})).toBeUndefined()
    const error = parser.push(concat(sslRequestBytes.subarray(5), hex("16 03 01")), () => {})
    expect(error?.reason).toBe("InvalidValue")
    expect(error?.message).toContain("unencrypted data after an encryption request")
  })

  it("CancelRequest with a 300-byte key fails with InvalidValue", () => {
    const packet = concat(
      hex(
        "00 00 01 38", // Int32 length 312 = 12 + 300
        "04 d2 16 2e", // Int32(80877102)
        "00 00 30 39" //  Int32 process ID
      ),
      sequence(300) //    key longer than the 256-byte maximum
    )
    expectParseError(() => makeFrontendParser(), packet, "InvalidValue")
  })

  it("CancelRequest with a 257-byte key fails with InvalidValue", () => {
    const packet = concat(hex("00 00 01 0d", "04 d2 16 2e", "00 00 30 39"), sequence(257))
    expectParseError(() => makeFrontendParser(), packet, "InvalidValue")
  })

  it("CancelRequest with a 3-byte key fails with InvalidValue", () => {
    expectParseError(() => makeFrontendParser(), hex("00 00 00 0f", "04 d2 16 2e", "00 00 30 39", "01 02 03"), "InvalidValue")
  })

  it("a failed parser keeps failing with ParserFailed, even on valid bytes", () => {
    const parser = makeFrontendParser()
    expectFailure(parser.pushAll(hex("00 00 00 09", "00 02 00 00", "00")), "UnsupportedProtocolVersion")
    const again = expectFailure(parser.pushAll(sslRequestBytes), "ParserFailed")
    expect(again.message).toContain("unsupported")
    expect(parser.error()?.reason).toBe("UnsupportedProtocolVersion")
    expect(parser.push(startup30Bytes, () => {
      throw new Error("no message may be delivered")
    })?.reason).toBe("ParserFailed")
  })
})

describe("startup encode errors", () => {
  it("CancelRequest with a 2-byte key fails with EncodeFailed", () => {
    expectFailure(encodeFrontend({ _tag: "CancelRequest", processId: 1, secretKey: hex("01 02") }), "EncodeFailed")
  })

  it("CancelRequest with a 257-byte key fails with EncodeFailed", () => {
    expectFailure(encodeFrontend({ _tag: "CancelRequest", processId: 1, secretKey: sequence(257) }), "EncodeFailed")
  })

  it("StartupMessage with an empty parameter name fails with EncodeFailed (it would end the list)", () => {
    expectFailure(
      encodeFrontend({ _tag: "StartupMessage", protocolVersion: 0x00030000, parameters: { "": "x" } }),
      "EncodeFailed"
    )
  })
})
