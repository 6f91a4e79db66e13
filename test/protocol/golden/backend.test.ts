/**
 * Golden bytes of every backend message of protocol 3.0 / 3.2, written by
 * hand from the "Message Formats" chapter of the PostgreSQL docs
 * (protocol-message-formats) and its "Error and Notice Message Fields"
 * section. One hex() argument per field.
 */
import { describe, expect, it } from "vitest"
import {
  type BackendMessage,
  encodeBackend,
  makeBackendParser,
  type NoticeFields,
  Writer,
  writeBackend
} from "../../../src/protocol/index.ts"
import { backendGolden, concat, encoded, expectBytes, expectFailure, expectFramedStream, hex, parseAll, plain, sequence } from "./helpers.ts"

describe("backend golden bytes: Authentication ('R')", () => {
  it("AuthenticationOk", () => {
    backendGolden(
      { _tag: "AuthenticationOk" },
      hex(
        "52", //          Byte1('R')
        "00 00 00 08", // Int32(8)
        "00 00 00 00" //  Int32(0): authentication successful
      )
    )
  })

  it("AuthenticationKerberosV5", () => {
    backendGolden(
      { _tag: "AuthenticationKerberosV5" },
      hex(
        "52", //          Byte1('R')
        "00 00 00 08", // Int32(8)
        "00 00 00 02" //  Int32(2): Kerberos V5
      )
    )
  })

  it("AuthenticationCleartextPassword", () => {
    backendGolden(
      { _tag: "AuthenticationCleartextPassword" },
      hex(
        "52", //          Byte1('R')
        "00 00 00 08", // Int32(8)
        "00 00 00 03" //  Int32(3): clear-text password
      )
    )
  })

  it("AuthenticationMD5Password with its salt", () => {
    backendGolden(
      { _tag: "AuthenticationMD5Password", salt: hex("01 02 03 04") },
      hex(
        "52", //          Byte1('R')
        "00 00 00 0c", // Int32(12)
        "00 00 00 05", // Int32(5): MD5 password
        "01 02 03 04" //  Byte4 salt
      )
    )
  })

  it("AuthenticationGSS", () => {
    backendGolden(
      { _tag: "AuthenticationGSS" },
      hex(
        "52", //          Byte1('R')
        "00 00 00 08", // Int32(8)
        "00 00 00 07" //  Int32(7): GSSAPI
      )
    )
  })

  it("AuthenticationGSSContinue", () => {
    backendGolden(
      { _tag: "AuthenticationGSSContinue", data: hex("a1 b2 c3") },
      hex(
        "52", //          Byte1('R')
        "00 00 00 0b", // Int32 length 11
        "00 00 00 08", // Int32(8): GSSAPI or SSPI data
        "a1 b2 c3" //     Byte3 GSSAPI data (to the end of the message)
      )
    )
  })

  it("AuthenticationSSPI", () => {
    backendGolden(
      { _tag: "AuthenticationSSPI" },
      hex(
        "52", //          Byte1('R')
        "00 00 00 08", // Int32(8)
        "00 00 00 09" //  Int32(9): SSPI
      )
    )
  })

  it("AuthenticationSASL with two mechanisms", () => {
    backendGolden(
      { _tag: "AuthenticationSASL", mechanisms: ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"] },
      hex(
        "52", //                                                     Byte1('R')
        "00 00 00 2a", //                                            Int32 length 42
        "00 00 00 0a", //                                            Int32(10): SASL
        "53 43 52 41 4d 2d 53 48 41 2d 32 35 36 2d 50 4c 55 53 00", // String "SCRAM-SHA-256-PLUS"
        "53 43 52 41 4d 2d 53 48 41 2d 32 35 36 00", //              String "SCRAM-SHA-256"
        "00" //                                                      terminator after the last mechanism
      )
    )
  })

  it("AuthenticationSASLContinue", () => {
    backendGolden(
      { _tag: "AuthenticationSASLContinue", data: hex("72 3d 78 2c 73 3d 65 51 3d 3d 2c 69 3d 34 30 39 36") },
      hex(
        "52", //                                                  Byte1('R')
        "00 00 00 19", //                                         Int32 length 25
        "00 00 00 0b", //                                         Int32(11): SASL challenge
        "72 3d 78 2c 73 3d 65 51 3d 3d 2c 69 3d 34 30 39 36" //   Byte17 "r=x,s=eQ==,i=4096"
      )
    )
  })

  it("AuthenticationSASLFinal", () => {
    backendGolden(
      { _tag: "AuthenticationSASLFinal", data: hex("76 3d 64 67 3d 3d") },
      hex(
        "52", //                Byte1('R')
        "00 00 00 0e", //       Int32 length 14
        "00 00 00 0c", //       Int32(12): SASL outcome
        "76 3d 64 67 3d 3d" //  Byte6 "v=dg=="
      )
    )
  })
})

describe("backend golden bytes", () => {
  it("BackendKeyData with a 4-byte key (protocol 3.0)", () => {
    backendGolden(
      { _tag: "BackendKeyData", processId: 12345, secretKey: hex("de ad be ef") },
      hex(
        "4b", //          Byte1('K')
        "00 00 00 0c", // Int32(12)
        "00 00 30 39", // Int32 process ID 12345
        "de ad be ef" //  Byte4 secret key
      )
    )
  })

  it("BackendKeyData with a 32-byte key (protocol 3.2)", () => {
    backendGolden(
      { _tag: "BackendKeyData", processId: 12345, secretKey: sequence(32, 0xa0) },
      hex(
        "4b", //                                              Byte1('K')
        "00 00 00 28", //                                     Int32 length 40 = 4 + 4 + 32
        "00 00 30 39", //                                     Int32 process ID 12345
        "a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 aa ab ac ad ae af", // secret key, bytes 0..15
        "b0 b1 b2 b3 b4 b5 b6 b7 b8 b9 ba bb bc bd be bf" //  secret key, bytes 16..31 (to the end of the message)
      )
    )
  })

  it("BindComplete", () => {
    backendGolden({ _tag: "BindComplete" }, hex("32", "00 00 00 04")) // Byte1('2'), Int32(4)
  })

  it("CloseComplete", () => {
    backendGolden({ _tag: "CloseComplete" }, hex("33", "00 00 00 04")) // Byte1('3'), Int32(4)
  })

  it("CommandComplete", () => {
    backendGolden(
      { _tag: "CommandComplete", tag: "SELECT 1" },
      hex(
        "43", //                        Byte1('C')
        "00 00 00 0d", //               Int32 length 13
        "53 45 4c 45 43 54 20 31 00" // String "SELECT 1"
      )
    )
  })

  it("CommandComplete for an INSERT", () => {
    backendGolden(
      { _tag: "CommandComplete", tag: "INSERT 0 1" },
      hex(
        "43", //                              Byte1('C')
        "00 00 00 0f", //                     Int32 length 15
        "49 4e 53 45 52 54 20 30 20 31 00" // String "INSERT 0 1"
      )
    )
  })

  it("CopyData", () => {
    backendGolden(
      { _tag: "CopyData", data: hex("31 09 32 0a") },
      hex(
        "64", //          Byte1('d')
        "00 00 00 08", // Int32 length 8
        "31 09 32 0a" //  Byte4 "1\t2\n"
      )
    )
  })

  it("CopyDone", () => {
    backendGolden({ _tag: "CopyDone" }, hex("63", "00 00 00 04")) // Byte1('c'), Int32(4)
  })

  it("CopyInResponse, text, 2 columns", () => {
    backendGolden(
      { _tag: "CopyInResponse", format: 0, columnFormats: [0, 0] },
      hex(
        "47", //          Byte1('G')
        "00 00 00 0b", // Int32 length 11
        "00", //          Int8 0: textual COPY
        "00 02", //       Int16 2 columns
        "00 00", //       Int16 column 0 format text
        "00 00" //        Int16 column 1 format text
      )
    )
  })

  it("CopyOutResponse, binary, 3 columns", () => {
    backendGolden(
      { _tag: "CopyOutResponse", format: 1, columnFormats: [1, 1, 1] },
      hex(
        "48", //          Byte1('H')
        "00 00 00 0d", // Int32 length 13
        "01", //          Int8 1: binary COPY
        "00 03", //       Int16 3 columns
        "00 01", //       Int16 column 0 format binary
        "00 01", //       Int16 column 1 format binary
        "00 01" //        Int16 column 2 format binary
      )
    )
  })

  it("CopyBothResponse, text, no columns", () => {
    backendGolden(
      { _tag: "CopyBothResponse", format: 0, columnFormats: [] },
      hex(
        "57", //          Byte1('W')
        "00 00 00 07", // Int32 length 7
        "00", //          Int8 0: textual
        "00 00" //        Int16 0 columns
      )
    )
  })

  it("DataRow with a value, a NULL and an empty value", () => {
    backendGolden(
      { _tag: "DataRow", values: [hex("31"), null, new Uint8Array(0)] },
      hex(
        "44", //          Byte1('D')
        "00 00 00 13", // Int32 length 19
        "00 03", //       Int16 3 columns
        "00 00 00 01", // Int32 column 0 length 1
        "31", //          Byte1 "1"
        "ff ff ff ff", // Int32 -1: column 1 is NULL, no bytes follow
        "00 00 00 00" //  Int32 0: column 2 is empty (not NULL)
      )
    )
  })

  it("DataRow with no columns", () => {
    backendGolden({ _tag: "DataRow", values: [] }, hex("44", "00 00 00 06", "00 00")) // Byte1('D'), Int32(6), Int16 0
  })

  it("EmptyQueryResponse", () => {
    backendGolden({ _tag: "EmptyQueryResponse" }, hex("49", "00 00 00 04")) // Byte1('I'), Int32(4)
  })

  /** Fields M..R and an unknown 'Z', shared by the ErrorResponse and NoticeResponse below. */
  const commonFields: NoticeFields = {
    message: "dup key",
    detail: "id=1",
    hint: "fix",
    position: "8",
    internalPosition: "3",
    internalQuery: "q1",
    where: "fn",
    schemaName: "public",
    tableName: "t",
    columnName: "id",
    dataTypeName: "int4",
    constraintName: "t_pkey",
    file: "nbtinsert.c",
    line: "666",
    routine: "check",
    unknownFields: [["Z", "zz"]]
  }
  const commonFieldBytes = [
    "4d 64 75 70 20 6b 65 79 00", //             'M' message "dup key"
    "44 69 64 3d 31 00", //                      'D' detail "id=1"
    "48 66 69 78 00", //                         'H' hint "fix"
    "50 38 00", //                               'P' position "8"
    "70 33 00", //                               'p' internal position "3"
    "71 71 31 00", //                            'q' internal query "q1"
    "57 66 6e 00", //                            'W' where "fn"
    "73 70 75 62 6c 69 63 00", //                's' schema "public"
    "74 74 00", //                               't' table "t"
    "63 69 64 00", //                            'c' column "id"
    "64 69 6e 74 34 00", //                      'd' data type "int4"
    "6e 74 5f 70 6b 65 79 00", //                'n' constraint "t_pkey"
    "46 6e 62 74 69 6e 73 65 72 74 2e 63 00", // 'F' file "nbtinsert.c"
    "4c 36 36 36 00", //                         'L' line "666"
    "52 63 68 65 63 6b 00", //                   'R' routine "check"
    "5a 7a 7a 00", //                            'Z' a code the protocol does not define, value "zz"
    "00" //                                      terminator
  ]

  it("ErrorResponse with every field code, and an unknown code kept in unknownFields", () => {
    backendGolden(
      { _tag: "ErrorResponse", fields: { severity: "ERROR", severityNonLocalized: "ERROR", code: "23505", ...commonFields } },
      hex(
        "45", //                  Byte1('E')
        "00 00 00 76", //         Int32 length 118
        "53 45 52 52 4f 52 00", // 'S' severity "ERROR"
        "56 45 52 52 4f 52 00", // 'V' severity (not localized) "ERROR"
        "43 32 33 35 30 35 00", // 'C' SQLSTATE "23505"
        ...commonFieldBytes
      )
    )
  })

  it("NoticeResponse with every field code, and an unknown code kept in unknownFields", () => {
    backendGolden(
      { _tag: "NoticeResponse", fields: { severity: "NOTICE", severityNonLocalized: "NOTICE", code: "00000", ...commonFields } },
      hex(
        "4e", //                     Byte1('N')
        "00 00 00 78", //            Int32 length 120
        "53 4e 4f 54 49 43 45 00", // 'S' severity "NOTICE"
        "56 4e 4f 54 49 43 45 00", // 'V' severity (not localized) "NOTICE"
        "43 30 30 30 30 30 00", //    'C' SQLSTATE "00000"
        ...commonFieldBytes
      )
    )
  })

  it("ErrorResponse fields in any order decode to the same fields", () => {
    // The docs: "Fields can appear in any order."
    const bytes = hex(
      "45", //                  Byte1('E')
      "00 00 00 19", //         Int32 length 25
      "4d 6f 6f 70 73 00", //   'M' "oops"
      "43 58 58 30 30 30 00", // 'C' "XX000"
      "53 45 52 52 4f 52 00", // 'S' "ERROR"
      "00" //                   terminator
    )
    expectFramedStream(bytes)
    expect(plain(parseAll(makeBackendParser(), bytes))).toStrictEqual([
      { _tag: "ErrorResponse", fields: { severity: "ERROR", code: "XX000", message: "oops" } }
    ])
  })

  it("FunctionCallResponse with a value", () => {
    backendGolden(
      { _tag: "FunctionCallResponse", result: hex("00 00 00 2a") },
      hex(
        "56", //          Byte1('V')
        "00 00 00 0c", // Int32 length 12
        "00 00 00 04", // Int32 result length 4
        "00 00 00 2a" //  Byte4 int4 42
      )
    )
  })

  it("FunctionCallResponse with a NULL result", () => {
    backendGolden(
      { _tag: "FunctionCallResponse", result: null },
      hex(
        "56", //          Byte1('V')
        "00 00 00 08", // Int32 length 8
        "ff ff ff ff" //  Int32 -1: NULL, no bytes follow
      )
    )
  })

  // The docs call the first Int32 the "newest minor protocol version"; the
  // server (SendNegotiateProtocolVersion: pq_sendint32(&buf, FrontendProtocol))
  // and libpq put the whole version code there, major << 16 | minor.
  it("NegotiateProtocolVersion with an unrecognized option", () => {
    backendGolden(
      { _tag: "NegotiateProtocolVersion", protocolVersion: 0x00030000, unrecognizedOptions: ["_pq_.opt"] },
      hex(
        "76", //                         Byte1('v')
        "00 00 00 15", //                Int32 length 21
        "00 03 00 00", //                Int32 newest protocol version 3.0
        "00 00 00 01", //                Int32 1 unrecognized option
        "5f 70 71 5f 2e 6f 70 74 00" //  String "_pq_.opt"
      )
    )
  })

  it("NegotiateProtocolVersion with no unrecognized options", () => {
    backendGolden(
      { _tag: "NegotiateProtocolVersion", protocolVersion: 0x00030002, unrecognizedOptions: [] },
      hex(
        "76", //          Byte1('v')
        "00 00 00 0c", // Int32 length 12
        "00 03 00 02", // Int32 newest protocol version 3.2
        "00 00 00 00" //  Int32 0 options
      )
    )
  })

  it("NoData", () => {
    backendGolden({ _tag: "NoData" }, hex("6e", "00 00 00 04")) // Byte1('n'), Int32(4)
  })

  it("NotificationResponse", () => {
    backendGolden(
      { _tag: "NotificationResponse", processId: 12345, channel: "chan", payload: "hi" },
      hex(
        "41", //              Byte1('A')
        "00 00 00 10", //     Int32 length 16
        "00 00 30 39", //     Int32 process ID 12345
        "63 68 61 6e 00", //  String channel "chan"
        "68 69 00" //         String payload "hi"
      )
    )
  })

  it("ParameterDescription, with an OID above 2^31 (OIDs are unsigned)", () => {
    backendGolden(
      { _tag: "ParameterDescription", parameterTypes: [23, 25, 3000000000] },
      hex(
        "74", //          Byte1('t')
        "00 00 00 12", // Int32 length 18
        "00 03", //       Int16 3 parameters
        "00 00 00 17", // Int32 OID 23 (int4)
        "00 00 00 19", // Int32 OID 25 (text)
        "b2 d0 5e 00" //  Int32 OID 3000000000
      )
    )
  })

  it("ParameterStatus", () => {
    backendGolden(
      { _tag: "ParameterStatus", name: "client_encoding", value: "UTF8" },
      hex(
        "53", //                                              Byte1('S')
        "00 00 00 19", //                                     Int32 length 25
        "63 6c 69 65 6e 74 5f 65 6e 63 6f 64 69 6e 67 00", // String "client_encoding"
        "55 54 46 38 00" //                                   String "UTF8"
      )
    )
  })

  it("ParseComplete", () => {
    backendGolden({ _tag: "ParseComplete" }, hex("31", "00 00 00 04")) // Byte1('1'), Int32(4)
  })

  it("PortalSuspended", () => {
    backendGolden({ _tag: "PortalSuspended" }, hex("73", "00 00 00 04")) // Byte1('s'), Int32(4)
  })

  it("ReadyForQuery, idle ('I')", () => {
    backendGolden({ _tag: "ReadyForQuery", transactionStatus: "I" }, hex("5a", "00 00 00 05", "49")) // Byte1('Z'), Int32(5), 'I'
  })

  it("ReadyForQuery, in a transaction block ('T')", () => {
    backendGolden({ _tag: "ReadyForQuery", transactionStatus: "T" }, hex("5a", "00 00 00 05", "54")) // Byte1('Z'), Int32(5), 'T'
  })

  it("ReadyForQuery, in a failed transaction block ('E')", () => {
    backendGolden({ _tag: "ReadyForQuery", transactionStatus: "E" }, hex("5a", "00 00 00 05", "45")) // Byte1('Z'), Int32(5), 'E'
  })

  it("RowDescription with 2 fields", () => {
    backendGolden(
      {
        _tag: "RowDescription",
        fields: [
          { name: "id", tableOid: 16384, columnAttributeNumber: 1, dataTypeOid: 23, dataTypeSize: 4, typeModifier: -1, format: 0 },
          { name: "name", tableOid: 16384, columnAttributeNumber: 2, dataTypeOid: 25, dataTypeSize: -1, typeModifier: -1, format: 1 }
        ]
      },
      hex(
        "54", //             Byte1('T')
        "00 00 00 32", //    Int32 length 50
        "00 02", //          Int16 2 fields
        "69 64 00", //       field 0: String name "id"
        "00 00 40 00", //    Int32 table OID 16384
        "00 01", //          Int16 column attribute number 1
        "00 00 00 17", //    Int32 type OID 23 (int4)
        "00 04", //          Int16 type size 4
        "ff ff ff ff", //    Int32 type modifier -1
        "00 00", //          Int16 format 0 text
        "6e 61 6d 65 00", // field 1: String name "name"
        "00 00 40 00", //    Int32 table OID 16384
        "00 02", //          Int16 column attribute number 2
        "00 00 00 19", //    Int32 type OID 25 (text)
        "ff ff", //          Int16 type size -1 (variable width)
        "ff ff ff ff", //    Int32 type modifier -1
        "00 01" //           Int16 format 1 binary
      )
    )
  })

  it("a typical simple-query response parses in order from one chunk", () => {
    const bytes = hex(
      "54 00 00 00 21 00 01 3f 63 6f 6c 75 6d 6e 3f 00 00 00 00 00 00 00 00 00 00 17 00 04 ff ff ff ff 00 00", // RowDescription "?column?"
      "44 00 00 00 0b 00 01 00 00 00 01 31", //                                                                  DataRow "1"
      "43 00 00 00 0d 53 45 4c 45 43 54 20 31 00", //                                                            CommandComplete "SELECT 1"
      "5a 00 00 00 05 49" //                                                                                     ReadyForQuery 'I'
    )
    const expected: Array<BackendMessage> = [
      {
        _tag: "RowDescription",
        fields: [{ name: "?column?", tableOid: 0, columnAttributeNumber: 0, dataTypeOid: 23, dataTypeSize: 4, typeModifier: -1, format: 0 }]
      },
      { _tag: "DataRow", values: [hex("31")] },
      { _tag: "CommandComplete", tag: "SELECT 1" },
      { _tag: "ReadyForQuery", transactionStatus: "I" }
    ]
    expectFramedStream(bytes)
    expect(plain(parseAll(makeBackendParser(), bytes))).toStrictEqual(plain(expected))
    expectBytes(encoded(encodeBackend(...expected)), bytes)
  })
})

describe("backend encode errors", () => {
  it("BackendKeyData with a 2-byte key fails with EncodeFailed", () => {
    expectFailure(encodeBackend({ _tag: "BackendKeyData", processId: 1, secretKey: hex("01 02") }), "EncodeFailed")
  })

  it("BackendKeyData with a 257-byte key fails with EncodeFailed", () => {
    expectFailure(encodeBackend({ _tag: "BackendKeyData", processId: 1, secretKey: sequence(257) }), "EncodeFailed")
  })

  it("AuthenticationMD5Password with a salt that is not 4 bytes fails with EncodeFailed", () => {
    expectFailure(encodeBackend({ _tag: "AuthenticationMD5Password", salt: hex("01 02 03") }), "EncodeFailed")
    expectFailure(encodeBackend({ _tag: "AuthenticationMD5Password", salt: hex("01 02 03 04 05") }), "EncodeFailed")
  })

  it("a NUL inside a C string field fails with EncodeFailed", () => {
    expectFailure(encodeBackend({ _tag: "CommandComplete", tag: "SELECT\u00001" }), "EncodeFailed")
    expectFailure(encodeBackend({ _tag: "ParameterStatus", name: "a\u0000", value: "b" }), "EncodeFailed")
    expectFailure(encodeBackend({ _tag: "ErrorResponse", fields: { message: "x\u0000y" } }), "EncodeFailed")
    expectFailure(encodeBackend({ _tag: "NotificationResponse", processId: 1, channel: "c", payload: "\u0000" }), "EncodeFailed")
    expectFailure(
      encodeBackend({
        _tag: "RowDescription",
        fields: [{ name: "a\u0000", tableOid: 0, columnAttributeNumber: 0, dataTypeOid: 25, dataTypeSize: -1, typeModifier: -1, format: 0 }]
      }),
      "EncodeFailed"
    )
    expectFailure(encodeBackend({ _tag: "AuthenticationSASL", mechanisms: ["SCRAM\u0000"] }), "EncodeFailed")
  })

  it("AuthenticationSASL with an empty mechanism name fails with EncodeFailed (it would end the list)", () => {
    expectFailure(encodeBackend({ _tag: "AuthenticationSASL", mechanisms: ["SCRAM-SHA-256", ""] }), "EncodeFailed")
  })

  it("ReadyForQuery with a status other than I, T, E fails with EncodeFailed", () => {
    expectFailure(encodeBackend({ _tag: "ReadyForQuery", transactionStatus: "X" as unknown as "I" }), "EncodeFailed")
  })

  it("a COPY response format that does not fit its Int8 fails with EncodeFailed", () => {
    expectFailure(encodeBackend({ _tag: "CopyOutResponse", format: 256, columnFormats: [] }), "EncodeFailed")
  })

  it("an unknown notice field code that is not one ASCII character, or is a defined code, fails with EncodeFailed", () => {
    expectFailure(encodeBackend({ _tag: "NoticeResponse", fields: { unknownFields: [["ZZ", "x"]] } }), "EncodeFailed")
    expectFailure(encodeBackend({ _tag: "NoticeResponse", fields: { unknownFields: [["M", "x"]] } }), "EncodeFailed")
  })

  it("more than 65535 DataRow columns fails with EncodeFailed", () => {
    expectFailure(encodeBackend({ _tag: "DataRow", values: new Array(65536).fill(null) }), "EncodeFailed")
  })

  it("after a failed writeBackend the Writer holds nothing of the failed message", () => {
    const writer = new Writer()
    writeBackend(writer, { _tag: "ParseComplete" })
    expect(writer.length).toBe(5)
    expectFailure(writeBackend(writer, { _tag: "ParameterStatus", name: "ok", value: "bad\u0000" }), "EncodeFailed")
    expect(writer.length).toBe(5)
    expectBytes(writer.take(), hex("31 00 00 00 04"))
  })
})

describe("backend decode", () => {
  it("DataRow values are the bytes of the frame even when the chunk holds other messages", () => {
    const bytes = concat(
      hex("5a 00 00 00 05 49"), //                                 ReadyForQuery 'I'
      hex("44 00 00 00 10 00 02 00 00 00 01 61 00 00 00 01 62") // DataRow "a", "b"
    )
    expectFramedStream(bytes)
    const messages = parseAll(makeBackendParser(), bytes)
    expect(plain(messages[1])).toStrictEqual(plain({ _tag: "DataRow", values: [hex("61"), hex("62")] }))
  })
})

describe("backend decode of large split frames", () => {
  it("a DataRow with a 100,000-byte value split across chunks parses to the same bytes", () => {
    const value = new Uint8Array(100_000)
    for (let i = 0; i < value.length; i++) value[i] = (i * 13 + 1) & 0xff
    const golden = concat(
      hex(
        "44", //          Byte1('D')
        "00 01 86 b0", // Int32 length 100016 = 4 + 2 + 4 + 100000 + 4 + 2
        "00 02", //       Int16 2 columns
        "00 01 86 a0" //  Int32 column 0 length 100000
      ),
      value,
      hex(
        "00 00 00 02", // Int32 column 1 length 2
        "6f 6b" //        "ok"
      ),
      hex("5a 00 00 00 05 49") // ReadyForQuery 'I' in the same stream
    )
    expectFramedStream(golden)
    const parser = makeBackendParser()
    const messages: Array<BackendMessage> = []
    for (const [from, to] of [[0, 2], [2, 9], [9, 65_000], [65_000, 65_001], [65_001, golden.length]] as const) {
      expect(parser.push(golden.slice(from, to), (m) => messages.push(m))).toBeUndefined()
    }
    expect(plain(messages)).toStrictEqual(plain([{ _tag: "DataRow", values: [value, hex("6f 6b")] }, { _tag: "ReadyForQuery", transactionStatus: "I" }]))
  })
})
