/**
 * `effect-pgwire/protocol`: the pure, symmetric codec of PostgreSQL's
 * frontend/backend protocol 3.0 and 3.2.
 *
 * What it is: message types named as in the PostgreSQL docs, an encoder and a
 * decoder for every message in both directions, incremental parsers with
 * per-kind size limits, a writer that batches many messages into one buffer,
 * DataRow decoding without a view per column, SQLSTATE metadata and a
 * PQtrace-style formatter.
 *
 * What it is not: no sockets, no TLS, no session state, no Effect runtime
 * (only `Data` and `Result`), nothing that throws across its API.
 *
 * @since 0.1.0
 */
export * from "./messages/Authentication.ts"
export * from "./messages/Copy.ts"
export * from "./messages/Extended.ts"
export * from "./messages/FunctionCall.ts"
export * from "./messages/Notice.ts"
export * from "./messages/Query.ts"
export * from "./messages/Session.ts"
export * from "./messages/Startup.ts"
export { type BackendMessage, encodeBackend, writeBackend } from "./Backend.ts"
export { encodeFrontend, type FrontendMessage, refinePasswordMessage, type TypedFrontendMessage, writeFrontend } from "./Frontend.ts"
export { type FrameHandler, type FrameScanner, type FrameScannerOptions, makeFrameScanner } from "./FrameScanner.ts"
export * from "./Limits.ts"
export * from "./MessageType.ts"
export {
  type BackendParser,
  type BackendParserOptions,
  decodeEncryptionResponse,
  decodeStartupPacket,
  type FrontendParserOptions,
  makeBackendParser,
  makeFrontendParser,
  type Parser
} from "./Parser.ts"
export { ProtocolError, type ProtocolErrorReason } from "./ProtocolError.ts"
export { ColumnKind, type ColumnDecoder, type FieldReader, makeRowDecoder, type RowDecoder, type ValueErrorHandler } from "./RowDecoder.ts"
export { ArrayOid, Oid } from "./Oid.ts"
export * as SqlState from "./SqlState.ts"
export { sanitizeSql, scanSql, type SqlTokenKind } from "./SqlLexer.ts"
export { parameterFormat, writeParameter } from "./ParameterWriter.ts"
export { traceBackend, traceFrontend, type TraceOptions } from "./Trace.ts"
export { Writer } from "./Writer.ts"
