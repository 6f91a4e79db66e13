/**
 * Generators of well-formed protocol messages, for the property tests.
 */
import * as Arbitrary from "effect/Arbitrary"
import * as Schema from "effect/Schema"
import type { BackendMessage, FrontendMessage, NoticeFields } from "../../src/protocol/index.ts"

const int = (minimum: number, maximum: number) => Arbitrary.schema(Schema.Int.check(Schema.isBetween({ minimum, maximum })))
const int16 = int(-32768, 32767)
const int32 = int(-2147483648, 2147483647)
const uint32 = int(0, 4294967295)
const bytes = Arbitrary.schema(Schema.Uint8Array)
const nullableBytes = Arbitrary.all([bytes, int(0, 5)]).pipe(Arbitrary.map(([b, n]) => (n === 0 ? null : b)))

/** Any string the protocol can carry in a C string: well-formed UTF-16, no NUL. */
const cstring = Arbitrary.schema(Schema.String).pipe(
  Arbitrary.map((s) => s.toWellFormed().replace(/\u0000/g, ""))
)
const nonEmptyCstring = cstring.pipe(Arbitrary.map((s) => (s.length === 0 ? "x" : s)))
const list = <A>(item: Arbitrary.Arbitrary<A>, maxLength = 8) => Arbitrary.array(item, { maxLength })
const formats = list(int(0, 1), 4)
const key = Arbitrary.all([int(4, 256), bytes]).pipe(
  Arbitrary.map(([n, b]) => Uint8Array.from({ length: n }, (_, i) => b[i % Math.max(1, b.length)] ?? i))
)
const pick = <A>(arbitraries: ReadonlyArray<Arbitrary.Arbitrary<A>>): Arbitrary.Arbitrary<A> =>
  int(0, arbitraries.length - 1).pipe(Arbitrary.flatMap((i) => arbitraries[i]!))

const noticeFields: Arbitrary.Arbitrary<NoticeFields> = Arbitrary.all([cstring, cstring, cstring, cstring, int(0, 3)]).pipe(
  Arbitrary.map(([severity, code, message, detail, n]) => ({
    severity,
    code,
    message,
    ...(n > 0 ? { detail } : {}),
    ...(n > 1 ? { position: String(n) } : {}),
    ...(n > 2 ? { unknownFields: [["X", detail]] as const } : {})
  }))
)

const startupParameters = list(Arbitrary.all([nonEmptyCstring, cstring]), 5).pipe(
  Arbitrary.map((pairs) => {
    const out: Record<string, string> = Object.create(null)
    for (const [name, value] of pairs) out[name] = value
    return out
  })
)

/** Typed frontend messages (everything after startup). */
export const typedFrontendMessage: Arbitrary.Arbitrary<FrontendMessage> = pick<FrontendMessage>([
  Arbitrary.all([cstring, cstring, formats, list(nullableBytes), formats]).pipe(
    Arbitrary.map(([portal, statement, parameterFormats, parameters, resultFormats]) => ({
      _tag: "Bind" as const, portal, statement, parameterFormats, parameters, resultFormats
    }))
  ),
  Arbitrary.all([int(0, 1), cstring]).pipe(
    Arbitrary.map(([t, name]) => ({ _tag: "Close" as const, target: t === 0 ? "statement" as const : "portal" as const, name }))
  ),
  Arbitrary.all([int(0, 1), cstring]).pipe(
    Arbitrary.map(([t, name]) => ({ _tag: "Describe" as const, target: t === 0 ? "statement" as const : "portal" as const, name }))
  ),
  bytes.pipe(Arbitrary.map((data) => ({ _tag: "CopyData" as const, data }))),
  Arbitrary.Constant({ _tag: "CopyDone" as const }),
  cstring.pipe(Arbitrary.map((message) => ({ _tag: "CopyFail" as const, message }))),
  Arbitrary.all([cstring, int32]).pipe(Arbitrary.map(([portal, maxRows]) => ({ _tag: "Execute" as const, portal, maxRows }))),
  Arbitrary.Constant({ _tag: "Flush" as const }),
  Arbitrary.Constant({ _tag: "Sync" as const }),
  Arbitrary.Constant({ _tag: "Terminate" as const }),
  Arbitrary.all([uint32, formats, list(nullableBytes), int(0, 1)]).pipe(
    Arbitrary.map(([functionOid, argumentFormats, args, resultFormat]) => ({
      _tag: "FunctionCall" as const, functionOid, argumentFormats, arguments: args, resultFormat
    }))
  ),
  bytes.pipe(Arbitrary.map((data) => ({ _tag: "PasswordMessageFamily" as const, data }))),
  Arbitrary.all([cstring, cstring, list(uint32)]).pipe(
    Arbitrary.map(([name, query, parameterTypes]) => ({ _tag: "Parse" as const, name, query, parameterTypes }))
  ),
  cstring.pipe(Arbitrary.map((query) => ({ _tag: "Query" as const, query })))
])

/** Untyped startup packets other than the encryption requests. */
export const startupPacket: Arbitrary.Arbitrary<FrontendMessage> = pick<FrontendMessage>([
  Arbitrary.all([int(0, 2), startupParameters]).pipe(
    Arbitrary.map(([minor, parameters]) => ({ _tag: "StartupMessage" as const, protocolVersion: 0x30000 + minor, parameters }))
  ),
  Arbitrary.all([int32, key]).pipe(
    Arbitrary.map(([processId, secretKey]) => ({ _tag: "CancelRequest" as const, processId, secretKey }))
  )
])

export const backendMessage: Arbitrary.Arbitrary<BackendMessage> = pick<BackendMessage>([
  Arbitrary.Constant({ _tag: "AuthenticationOk" as const }),
  Arbitrary.Constant({ _tag: "AuthenticationCleartextPassword" as const }),
  Arbitrary.Constant({ _tag: "AuthenticationKerberosV5" as const }),
  Arbitrary.Constant({ _tag: "AuthenticationGSS" as const }),
  Arbitrary.Constant({ _tag: "AuthenticationSSPI" as const }),
  key.pipe(Arbitrary.map((k) => ({ _tag: "AuthenticationMD5Password" as const, salt: k.subarray(0, 4) }))),
  bytes.pipe(Arbitrary.map((data) => ({ _tag: "AuthenticationGSSContinue" as const, data }))),
  list(nonEmptyCstring, 3).pipe(Arbitrary.map((mechanisms) => ({ _tag: "AuthenticationSASL" as const, mechanisms }))),
  bytes.pipe(Arbitrary.map((data) => ({ _tag: "AuthenticationSASLContinue" as const, data }))),
  bytes.pipe(Arbitrary.map((data) => ({ _tag: "AuthenticationSASLFinal" as const, data }))),
  Arbitrary.all([int32, key]).pipe(Arbitrary.map(([processId, secretKey]) => ({ _tag: "BackendKeyData" as const, processId, secretKey }))),
  Arbitrary.Constant({ _tag: "BindComplete" as const }),
  Arbitrary.Constant({ _tag: "CloseComplete" as const }),
  cstring.pipe(Arbitrary.map((tag) => ({ _tag: "CommandComplete" as const, tag }))),
  bytes.pipe(Arbitrary.map((data) => ({ _tag: "CopyData" as const, data }))),
  Arbitrary.Constant({ _tag: "CopyDone" as const }),
  Arbitrary.all([int(0, 2), int(0, 1), formats]).pipe(
    Arbitrary.map(([which, format, columnFormats]) => ({
      _tag: (["CopyInResponse", "CopyOutResponse", "CopyBothResponse"] as const)[which]!,
      format,
      columnFormats
    }))
  ),
  list(nullableBytes).pipe(Arbitrary.map((values) => ({ _tag: "DataRow" as const, values }))),
  Arbitrary.Constant({ _tag: "EmptyQueryResponse" as const }),
  noticeFields.pipe(Arbitrary.map((fields) => ({ _tag: "ErrorResponse" as const, fields }))),
  noticeFields.pipe(Arbitrary.map((fields) => ({ _tag: "NoticeResponse" as const, fields }))),
  nullableBytes.pipe(Arbitrary.map((result) => ({ _tag: "FunctionCallResponse" as const, result }))),
  Arbitrary.all([int(0, 2), list(cstring, 3)]).pipe(
    Arbitrary.map(([minor, unrecognizedOptions]) => ({
      _tag: "NegotiateProtocolVersion" as const, protocolVersion: 0x30000 + minor, unrecognizedOptions
    }))
  ),
  Arbitrary.Constant({ _tag: "NoData" as const }),
  Arbitrary.all([int32, cstring, cstring]).pipe(
    Arbitrary.map(([processId, channel, payload]) => ({ _tag: "NotificationResponse" as const, processId, channel, payload }))
  ),
  list(uint32).pipe(Arbitrary.map((parameterTypes) => ({ _tag: "ParameterDescription" as const, parameterTypes }))),
  Arbitrary.all([cstring, cstring]).pipe(Arbitrary.map(([name, value]) => ({ _tag: "ParameterStatus" as const, name, value }))),
  Arbitrary.Constant({ _tag: "ParseComplete" as const }),
  Arbitrary.Constant({ _tag: "PortalSuspended" as const }),
  int(0, 2).pipe(Arbitrary.map((i) => ({ _tag: "ReadyForQuery" as const, transactionStatus: (["I", "T", "E"] as const)[i]! }))),
  list(Arbitrary.all([cstring, uint32, int16, uint32, int16, int32, int(0, 1)]), 5).pipe(
    Arbitrary.map((fields) => ({
      _tag: "RowDescription" as const,
      fields: fields.map(([name, tableOid, columnAttributeNumber, dataTypeOid, dataTypeSize, typeModifier, format]) => ({
        name, tableOid, columnAttributeNumber, dataTypeOid, dataTypeSize, typeModifier, format
      }))
    }))
  )
])

export { bytes, int, list }
