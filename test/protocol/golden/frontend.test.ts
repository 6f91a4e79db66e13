/**
 * Golden bytes of every typed frontend message of protocol 3.0 / 3.2, written
 * by hand from the "Message Formats" chapter of the PostgreSQL docs
 * (protocol-message-formats). One hex() argument per field.
 */
import * as Result from "effect/Result"
import { describe, expect, it } from "vitest"
import {
  encodeFrontend,
  type FrontendMessage,
  makeFrontendParser,
  type PasswordMessageKind,
  refinePasswordMessage,
  Writer,
  writeFrontend
} from "../../../src/protocol/index.ts"
import { concat, encoded, expectBytes, expectFailure, expectFramed, expectFramedStream, frontendGolden, hex, parseAll, plain, toHex } from "./helpers.ts"

describe("frontend golden bytes", () => {
  it("Bind with text and binary parameters, a NULL, per-parameter formats and a result format", () => {
    frontendGolden(
      {
        _tag: "Bind",
        portal: "p1",
        statement: "s1",
        parameterFormats: [0, 1, 0],
        parameters: [hex("34 32"), hex("00 00 00 01"), null],
        resultFormats: [1]
      },
      hex(
        "42", //           Byte1('B')
        "00 00 00 2a", //  Int32 length 42 = 4 + 38 body bytes
        "70 31 00", //     String portal "p1"
        "73 31 00", //     String statement "s1"
        "00 03", //        Int16 C = 3 parameter format codes
        "00 00", //        Int16 format[0] = 0 text
        "00 01", //        Int16 format[1] = 1 binary
        "00 00", //        Int16 format[2] = 0 text
        "00 03", //        Int16 3 parameter values
        "00 00 00 02", //  Int32 length of value 0 = 2
        "34 32", //        Byte2 "42" (text)
        "00 00 00 04", //  Int32 length of value 1 = 4
        "00 00 00 01", //  Byte4 int4 1 (binary)
        "ff ff ff ff", //  Int32 -1: value 2 is NULL, no bytes follow
        "00 01", //        Int16 R = 1 result-column format code
        "00 01" //         Int16 result format = 1 binary (applies to all columns)
      )
    )
  })

  it("Bind to the unnamed portal and statement with no parameters and no formats", () => {
    frontendGolden(
      { _tag: "Bind", portal: "", statement: "", parameterFormats: [], parameters: [], resultFormats: [] },
      hex(
        "42", //          Byte1('B')
        "00 00 00 0c", // Int32 length 12
        "00", //          String portal "" (unnamed)
        "00", //          String statement "" (unnamed)
        "00 00", //       Int16 0 parameter format codes
        "00 00", //       Int16 0 parameter values
        "00 00" //        Int16 0 result format codes
      )
    )
  })

  it("Bind with an empty (not NULL) parameter value", () => {
    frontendGolden(
      { _tag: "Bind", portal: "", statement: "", parameterFormats: [], parameters: [new Uint8Array(0)], resultFormats: [] },
      hex(
        "42", //          Byte1('B')
        "00 00 00 10", // Int32 length 16
        "00", //          String portal ""
        "00", //          String statement ""
        "00 00", //       Int16 0 parameter format codes
        "00 01", //       Int16 1 parameter value
        "00 00 00 00", // Int32 length 0: an empty value, not NULL
        "00 00" //        Int16 0 result format codes
      )
    )
  })

  it("Close a prepared statement ('S')", () => {
    frontendGolden(
      { _tag: "Close", target: "statement", name: "s1" },
      hex(
        "43", //          Byte1('C')
        "00 00 00 08", // Int32 length 8
        "53", //          Byte1 'S': prepared statement
        "73 31 00" //     String "s1"
      )
    )
  })

  it("Close the unnamed portal ('P')", () => {
    frontendGolden(
      { _tag: "Close", target: "portal", name: "" },
      hex(
        "43", //          Byte1('C')
        "00 00 00 06", // Int32 length 6
        "50", //          Byte1 'P': portal
        "00" //           String "" (unnamed portal)
      )
    )
  })

  it("CopyData", () => {
    frontendGolden(
      { _tag: "CopyData", data: hex("61 09 62 0a") },
      hex(
        "64", //          Byte1('d')
        "00 00 00 08", // Int32 length 8
        "61 09 62 0a" //  Byte4 data "a\tb\n"
      )
    )
  })

  it("CopyData with no data", () => {
    frontendGolden(
      { _tag: "CopyData", data: new Uint8Array(0) },
      hex(
        "64", //         Byte1('d')
        "00 00 00 04" // Int32 length 4, no data
      )
    )
  })

  it("CopyDone", () => {
    frontendGolden(
      { _tag: "CopyDone" },
      hex(
        "63", //         Byte1('c')
        "00 00 00 04" // Int32(4)
      )
    )
  })

  it("CopyFail", () => {
    frontendGolden(
      { _tag: "CopyFail", message: "boom" },
      hex(
        "66", //             Byte1('f')
        "00 00 00 09", //    Int32 length 9
        "62 6f 6f 6d 00" //  String "boom"
      )
    )
  })

  it("Describe a prepared statement ('S')", () => {
    frontendGolden(
      { _tag: "Describe", target: "statement", name: "s1" },
      hex(
        "44", //          Byte1('D')
        "00 00 00 08", // Int32 length 8
        "53", //          Byte1 'S': prepared statement
        "73 31 00" //     String "s1"
      )
    )
  })

  it("Describe the unnamed portal ('P')", () => {
    frontendGolden(
      { _tag: "Describe", target: "portal", name: "" },
      hex(
        "44", //          Byte1('D')
        "00 00 00 06", // Int32 length 6
        "50", //          Byte1 'P': portal
        "00" //           String "" (unnamed portal)
      )
    )
  })

  it("Execute the unnamed portal with maxRows 0 (no limit)", () => {
    frontendGolden(
      { _tag: "Execute", portal: "", maxRows: 0 },
      hex(
        "45", //          Byte1('E')
        "00 00 00 09", // Int32 length 9
        "00", //          String portal "" (unnamed)
        "00 00 00 00" //  Int32 max rows 0 = no limit
      )
    )
  })

  it("Execute a named portal with maxRows 10", () => {
    frontendGolden(
      { _tag: "Execute", portal: "p1", maxRows: 10 },
      hex(
        "45", //          Byte1('E')
        "00 00 00 0b", // Int32 length 11
        "70 31 00", //    String portal "p1"
        "00 00 00 0a" //  Int32 max rows 10
      )
    )
  })

  it("Flush", () => {
    frontendGolden(
      { _tag: "Flush" },
      hex(
        "48", //         Byte1('H')
        "00 00 00 04" // Int32(4)
      )
    )
  })

  it("FunctionCall with a binary argument and a NULL argument", () => {
    frontendGolden(
      {
        _tag: "FunctionCall",
        functionOid: 952,
        argumentFormats: [1],
        arguments: [hex("00 00 40 00"), null],
        resultFormat: 1
      },
      hex(
        "46", //          Byte1('F')
        "00 00 00 1c", // Int32 length 28
        "00 00 03 b8", // Int32 function OID 952
        "00 01", //       Int16 C = 1 argument format code
        "00 01", //       Int16 format 1 binary (applies to all arguments)
        "00 02", //       Int16 2 arguments
        "00 00 00 04", // Int32 length of argument 0 = 4
        "00 00 40 00", // Byte4 int4 16384
        "ff ff ff ff", // Int32 -1: argument 1 is NULL, no bytes follow
        "00 01" //        Int16 result format 1 binary
      )
    )
  })

  it("Parse with no parameter types into the unnamed statement", () => {
    frontendGolden(
      { _tag: "Parse", name: "", query: "SELECT 1", parameterTypes: [] },
      hex(
        "50", //                         Byte1('P')
        "00 00 00 10", //                Int32 length 16
        "00", //                         String name "" (unnamed statement)
        "53 45 4c 45 43 54 20 31 00", // String query "SELECT 1"
        "00 00" //                       Int16 0 parameter types
      )
    )
  })

  it("Parse with parameter type OIDs (one left unspecified as 0)", () => {
    frontendGolden(
      { _tag: "Parse", name: "s1", query: "SELECT $1, $2", parameterTypes: [23, 0] },
      hex(
        "50", //                                        Byte1('P')
        "00 00 00 1f", //                               Int32 length 31
        "73 31 00", //                                  String name "s1"
        "53 45 4c 45 43 54 20 24 31 2c 20 24 32 00", // String query "SELECT $1, $2"
        "00 02", //                                     Int16 2 parameter types
        "00 00 00 17", //                               Int32 OID 23 (int4)
        "00 00 00 00" //                                Int32 0: unspecified
      )
    )
  })

  it("Parse with a parameter type OID above 2^31 (OIDs are unsigned)", () => {
    frontendGolden(
      { _tag: "Parse", name: "", query: "", parameterTypes: [4294967295] },
      hex(
        "50", //          Byte1('P')
        "00 00 00 0c", // Int32 length 12
        "00", //          String name ""
        "00", //          String query ""
        "00 01", //       Int16 1 parameter type
        "ff ff ff ff" //  Int32 OID 4294967295
      )
    )
  })

  it("Query", () => {
    frontendGolden(
      { _tag: "Query", query: "SELECT 1" },
      hex(
        "51", //                        Byte1('Q')
        "00 00 00 0d", //               Int32 length 13
        "53 45 4c 45 43 54 20 31 00" // String "SELECT 1"
      )
    )
  })

  it("Query with non-ASCII text is UTF-8 on the wire", () => {
    frontendGolden(
      { _tag: "Query", query: "SELECT 'é'" },
      hex(
        "51", //                                    Byte1('Q')
        "00 00 00 10", //                           Int32 length 16
        "53 45 4c 45 43 54 20 27 c3 a9 27 00" //    String "SELECT 'é'" (é = c3 a9)
      )
    )
  })

  it("Query with a character outside the BMP (a surrogate pair in JS) is 4 bytes of UTF-8", () => {
    frontendGolden(
      { _tag: "Query", query: "\u{1F600}" },
      hex(
        "51", //             Byte1('Q')
        "00 00 00 09", //    Int32 length 9
        "f0 9f 98 80 00" //  String U+1F600 as UTF-8
      )
    )
  })

  it("Query with a long non-ASCII string", () => {
    frontendGolden(
      { _tag: "Query", query: "é".repeat(40) },
      hex(
        "51", //                 Byte1('Q')
        "00 00 00 55", //        Int32 length 85 = 4 + 80 + 1
        "c3 a9 ".repeat(40), //  40 times "é" (c3 a9)
        "00" //                  String terminator
      )
    )
  })

  it("Sync", () => {
    frontendGolden(
      { _tag: "Sync" },
      hex(
        "53", //         Byte1('S')
        "00 00 00 04" // Int32(4)
      )
    )
  })

  it("Terminate", () => {
    frontendGolden(
      { _tag: "Terminate" },
      hex(
        "58", //         Byte1('X')
        "00 00 00 04" // Int32(4)
      )
    )
  })

  it("several messages encode back to back into one buffer and parse in order", () => {
    const messages: Array<FrontendMessage> = [
      { _tag: "Parse", name: "", query: "SELECT 1", parameterTypes: [] },
      { _tag: "Bind", portal: "", statement: "", parameterFormats: [], parameters: [], resultFormats: [] },
      { _tag: "Execute", portal: "", maxRows: 0 },
      { _tag: "Sync" }
    ]
    const golden = hex(
      "50 00 00 00 10 00 53 45 4c 45 43 54 20 31 00 00 00", // Parse
      "42 00 00 00 0c 00 00 00 00 00 00 00 00", //             Bind
      "45 00 00 00 09 00 00 00 00 00", //                      Execute
      "53 00 00 00 04" //                                      Sync
    )
    expectFramedStream(golden)
    expectBytes(encoded(encodeFrontend(...messages)), golden)
    expect(plain(parseAll(makeFrontendParser({ startup: false }), golden))).toStrictEqual(plain(messages))
  })
})

describe("frontend password family ('p')", () => {
  /** The 'p' golden bytes parse to a PasswordMessageFamily holding the body, and refine to `refined`. */
  const familyGolden = (
    message: FrontendMessage,
    kind: PasswordMessageKind,
    golden: Uint8Array
  ): void => {
    expectFramed(golden, true)
    expectBytes(encoded(encodeFrontend(message)), golden)
    const parsed = parseAll(makeFrontendParser({ startup: false }), golden)
    expect(parsed).toHaveLength(1)
    const family = parsed[0]!
    if (family._tag !== "PasswordMessageFamily") throw new Error(`expected PasswordMessageFamily, got ${family._tag}`)
    expect(plain(family)).toStrictEqual(plain({ _tag: "PasswordMessageFamily", data: golden.subarray(5) }))
    const refined = refinePasswordMessage(family, kind)
    if (Result.isFailure(refined)) throw new Error(`refine failed: ${refined.failure.reason}: ${refined.failure.message}`)
    expect(plain(refined.success)).toStrictEqual(plain(message))
    // The raw family re-encodes to the same bytes.
    expectBytes(encoded(encodeFrontend(family)), golden)
  }

  it("PasswordMessage", () => {
    familyGolden(
      { _tag: "PasswordMessage", password: "secret" },
      "PasswordMessage",
      hex(
        "70", //                   Byte1('p')
        "00 00 00 0b", //          Int32 length 11
        "73 65 63 72 65 74 00" //  String password "secret"
      )
    )
  })

  it("PasswordMessage with an MD5 hash", () => {
    familyGolden(
      { _tag: "PasswordMessage", password: "md50123456789abcdef0123456789abcdef" },
      "PasswordMessage",
      hex(
        "70", //          Byte1('p')
        "00 00 00 28", // Int32 length 40 = 4 + 35 + 1
        "6d 64 35", //    "md5"
        "30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66", // "0123456789abcdef"
        "30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66", // "0123456789abcdef"
        "00" //           String terminator
      )
    )
  })

  it("SASLInitialResponse with initial response data", () => {
    familyGolden(
      { _tag: "SASLInitialResponse", mechanism: "SCRAM-SHA-256", data: hex("6e 2c 2c 6e 3d 2c 72 3d 61 62 63") },
      "SASLInitialResponse",
      hex(
        "70", //                                         Byte1('p')
        "00 00 00 21", //                                Int32 length 33
        "53 43 52 41 4d 2d 53 48 41 2d 32 35 36 00", //  String mechanism "SCRAM-SHA-256"
        "00 00 00 0b", //                                Int32 length of initial response 11
        "6e 2c 2c 6e 3d 2c 72 3d 61 62 63" //            Byte11 "n,,n=,r=abc"
      )
    )
  })

  it("SASLInitialResponse without initial response (length -1)", () => {
    familyGolden(
      { _tag: "SASLInitialResponse", mechanism: "SCRAM-SHA-256", data: null },
      "SASLInitialResponse",
      hex(
        "70", //                                         Byte1('p')
        "00 00 00 16", //                                Int32 length 22
        "53 43 52 41 4d 2d 53 48 41 2d 32 35 36 00", //  String mechanism "SCRAM-SHA-256"
        "ff ff ff ff" //                                 Int32 -1: no initial response
      )
    )
  })

  it("SASLInitialResponse with an empty (not absent) initial response", () => {
    familyGolden(
      { _tag: "SASLInitialResponse", mechanism: "PLAIN", data: new Uint8Array(0) },
      "SASLInitialResponse",
      hex(
        "70", //                 Byte1('p')
        "00 00 00 0e", //        Int32 length 14
        "50 4c 41 49 4e 00", //  String mechanism "PLAIN"
        "00 00 00 00" //         Int32 0: present but empty
      )
    )
  })

  it("SASLResponse", () => {
    familyGolden(
      { _tag: "SASLResponse", data: hex("63 3d 62 69 77 73") },
      "SASLResponse",
      hex(
        "70", //                 Byte1('p')
        "00 00 00 0a", //        Int32 length 10
        "63 3d 62 69 77 73" //   Byte6 "c=biws"
      )
    )
  })

  it("GSSResponse", () => {
    familyGolden(
      { _tag: "GSSResponse", data: hex("60 0a 06") },
      "GSSResponse",
      hex(
        "70", //          Byte1('p')
        "00 00 00 07", // Int32 length 7
        "60 0a 06" //     Byte3 GSSAPI token
      )
    )
  })

  it("one 'p' body refines to each of the four kinds as the auth step asks", () => {
    // "secret\0": a valid PasswordMessage; as SASL/GSS data it is just bytes.
    const body = hex("73 65 63 72 65 74 00")
    const family = { _tag: "PasswordMessageFamily", data: body } as const
    const as = (kind: PasswordMessageKind) => plain(Result.getOrThrow(refinePasswordMessage(family, kind)))
    expect(as("PasswordMessage")).toStrictEqual({ _tag: "PasswordMessage", password: "secret" })
    expect(as("SASLResponse")).toStrictEqual(plain({ _tag: "SASLResponse", data: body }))
    expect(as("GSSResponse")).toStrictEqual(plain({ _tag: "GSSResponse", data: body }))
    // As a SASLInitialResponse the same bytes are a mechanism name with no length after it.
    expectFailure(refinePasswordMessage(family, "SASLInitialResponse"), "Truncated")
  })

  it("refining a PasswordMessage with bytes after its terminator fails with TrailingBytes", () => {
    const family = { _tag: "PasswordMessageFamily", data: hex("61 00 62") } as const
    expectFailure(refinePasswordMessage(family, "PasswordMessage"), "TrailingBytes")
  })

  it("refining a PasswordMessage with no terminator fails with InvalidString", () => {
    const family = { _tag: "PasswordMessageFamily", data: hex("61 62") } as const
    expectFailure(refinePasswordMessage(family, "PasswordMessage"), "InvalidString")
  })
})

describe("frontend encode errors", () => {
  it("a NUL inside a C string field fails with EncodeFailed", () => {
    expectFailure(encodeFrontend({ _tag: "Query", query: "SELECT 1\u0000; DROP TABLE t" }), "EncodeFailed")
    expectFailure(encodeFrontend({ _tag: "Parse", name: "a\u0000b", query: "", parameterTypes: [] }), "EncodeFailed")
    expectFailure(
      encodeFrontend({ _tag: "Bind", portal: "", statement: "s\u0000", parameterFormats: [], parameters: [], resultFormats: [] }),
      "EncodeFailed"
    )
    expectFailure(encodeFrontend({ _tag: "Describe", target: "portal", name: "\u0000" }), "EncodeFailed")
    expectFailure(encodeFrontend({ _tag: "Close", target: "statement", name: "x\u0000" }), "EncodeFailed")
    expectFailure(encodeFrontend({ _tag: "Execute", portal: "\u0000", maxRows: 0 }), "EncodeFailed")
    expectFailure(encodeFrontend({ _tag: "CopyFail", message: "a\u0000" }), "EncodeFailed")
    expectFailure(encodeFrontend({ _tag: "PasswordMessage", password: "pa\u0000ss" }), "EncodeFailed")
    expectFailure(encodeFrontend({ _tag: "SASLInitialResponse", mechanism: "SCRAM\u0000", data: null }), "EncodeFailed")
    expectFailure(
      encodeFrontend({ _tag: "StartupMessage", protocolVersion: 0x00030000, parameters: { user: "a\u0000b" } }),
      "EncodeFailed"
    )
  })

  it("more than 65535 Bind parameters fails with EncodeFailed", () => {
    const parameters: Array<Uint8Array | null> = new Array(65536).fill(null)
    expectFailure(
      encodeFrontend({ _tag: "Bind", portal: "", statement: "", parameterFormats: [], parameters, resultFormats: [] }),
      "EncodeFailed"
    )
  })

  it("more than 65535 Bind format codes or Parse types fails with EncodeFailed", () => {
    const formats: Array<number> = new Array(65536).fill(0)
    expectFailure(
      encodeFrontend({ _tag: "Bind", portal: "", statement: "", parameterFormats: formats, parameters: [], resultFormats: [] }),
      "EncodeFailed"
    )
    expectFailure(
      encodeFrontend({ _tag: "Bind", portal: "", statement: "", parameterFormats: [], parameters: [], resultFormats: formats }),
      "EncodeFailed"
    )
    expectFailure(encodeFrontend({ _tag: "Parse", name: "", query: "", parameterTypes: formats }), "EncodeFailed")
  })

  it("exactly 65535 Bind parameters encode with count ff ff and parse back", () => {
    const parameters: Array<Uint8Array | null> = new Array(65535).fill(null)
    const message: FrontendMessage = { _tag: "Bind", portal: "", statement: "", parameterFormats: [], parameters, resultFormats: [] }
    const bytes = encoded(encodeFrontend(message))
    const length = 4 + 1 + 1 + 2 + 2 + 65535 * 4 + 2
    expect(bytes.length).toBe(1 + length)
    expect(toHex(bytes.subarray(0, 11))).toBe(
      toHex(
        hex(
          "42", //          Byte1('B')
          "00 04 00 08", // Int32 length 262152 = 4 + 1 + 1 + 2 + 2 + 65535 * 4 + 2
          "00", //          portal ""
          "00", //          statement ""
          "00 00", //       0 format codes
          "ff ff" //        65535 parameters (the count is read unsigned)
        )
      )
    )
    const parsed = parseAll(makeFrontendParser({ startup: false }), bytes)
    expect(parsed).toHaveLength(1)
    const bind = parsed[0]!
    if (bind._tag !== "Bind") throw new Error(bind._tag)
    expect(bind.parameters).toHaveLength(65535)
    expect(bind.parameters.every((p) => p === null)).toBe(true)
  })

  it("after a failed writeFrontend the Writer holds nothing of the failed message", () => {
    const writer = new Writer()
    expect(Result.isSuccess(writeFrontend(writer, { _tag: "Sync" }))).toBe(true)
    expect(writer.length).toBe(5)
    // Fails after the type byte, length placeholder and portal name were written.
    const failed = writeFrontend(writer, {
      _tag: "Bind",
      portal: "p1",
      statement: "bad\u0000name",
      parameterFormats: [],
      parameters: [],
      resultFormats: []
    })
    expectFailure(failed, "EncodeFailed")
    expect(writer.length).toBe(5)
    // A parameter count over 65535 fails after the names were written; nothing stays either.
    expectFailure(
      writeFrontend(writer, {
        _tag: "Bind",
        portal: "",
        statement: "",
        parameterFormats: [],
        parameters: new Array(65536).fill(null),
        resultFormats: []
      }),
      "EncodeFailed"
    )
    expect(writer.length).toBe(5)
    expect(Result.isSuccess(writeFrontend(writer, { _tag: "Flush" }))).toBe(true)
    expectBytes(writer.take(), hex("53 00 00 00 04", "48 00 00 00 04"))
  })

  it("after a failed writeFrontend that grew the buffer, the Writer still holds only the earlier messages", () => {
    const writer = new Writer(256)
    expect(Result.isSuccess(writeFrontend(writer, { _tag: "Sync" }))).toBe(true)
    const before = writer.length
    // The 1000-character portal name forces the buffer to grow before the NUL in the statement fails.
    expectFailure(
      writeFrontend(writer, {
        _tag: "Bind",
        portal: "p".repeat(1000),
        statement: "\u0000",
        parameterFormats: [],
        parameters: [],
        resultFormats: []
      }),
      "EncodeFailed"
    )
    expect(writer.length).toBe(before)
    expectBytes(writer.take(), hex("53 00 00 00 04"))
  })

  it("bytes taken from a Writer are not overwritten by later writes, failed or not", () => {
    const writer = new Writer(256)
    expect(Result.isSuccess(writeFrontend(writer, { _tag: "Sync" }))).toBe(true)
    const first = writer.take()
    expectFailure(writeFrontend(writer, { _tag: "Query", query: "x".repeat(300) + "\u0000" }), "EncodeFailed")
    expect(writer.length).toBe(0)
    expect(Result.isSuccess(writeFrontend(writer, { _tag: "Query", query: "y".repeat(1000) }))).toBe(true)
    expectBytes(first, hex("53 00 00 00 04"))
    const second = writer.take()
    expect(second.length).toBe(1 + 4 + 1001)
    expectBytes(second.subarray(0, 6), hex("51", "00 00 03 ed", "79")) // length 1005, then "y"...
  })

  it("a failed message in encodeFrontend fails the whole batch", () => {
    expectFailure(encodeFrontend({ _tag: "Sync" }, { _tag: "Query", query: "\u0000" }), "EncodeFailed")
  })
})

describe("frontend decode of large split frames", () => {
  it("a 200,000-byte CopyData split unevenly across chunks parses to the same data", () => {
    const data = new Uint8Array(200_000)
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + 3) & 0xff
    const golden = concat(hex("64", "00 03 0d 44"), data) // Byte1('d'), Int32 length 200004
    expectFramed(golden, true)
    const parser = makeFrontendParser({ startup: false })
    const messages: Array<FrontendMessage> = []
    const cuts = [0, 3, 5, 70_000, 70_001, 140_000, golden.length]
    for (let i = 0; i + 1 < cuts.length; i++) {
      const err = parser.push(golden.slice(cuts[i], cuts[i + 1]), (m) => {
        messages.push(m)
      })
      expect(err).toBeUndefined()
    }
    expect(messages).toHaveLength(1)
    const copy = messages[0]!
    if (copy._tag !== "CopyData") throw new Error(copy._tag)
    expect(copy.data.length).toBe(200_000)
    expect(Buffer.from(copy.data).equals(Buffer.from(data))).toBe(true)
    expect(parser.buffered()).toBe(0)
    expect(parser.position()).toBe(golden.length)
  })
})
