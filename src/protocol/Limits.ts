/**
 * Maximum message sizes per message kind. A declared length above the limit
 * for its type fails the parser as soon as the 5-byte header arrives, before
 * anything is allocated for the body; a length within the limit still only
 * buffers what actually arrived.
 *
 * Defaults follow PostgreSQL's own backend (`PQ_SMALL_MESSAGE_LIMIT`,
 * `PQ_LARGE_MESSAGE_LIMIT`, `PG_MAX_AUTH_TOKEN_LENGTH`,
 * `MAX_STARTUP_PACKET_LENGTH`) for frontend messages; for backend messages,
 * rows and COPY data get PostgreSQL's 1 GiB field limit and everything else
 * a generous 16 MiB.
 *
 * @since 0.1.0
 */
import { BackendType, FrontendType } from "./MessageType.ts"

/** 1 GiB - 1: the largest allocation PostgreSQL makes for one message. */
export const largeMessageLimit = 0x3fffffff
/** PostgreSQL's limit for frontend messages that carry no user data. */
export const smallMessageLimit = 10_000
/** PostgreSQL's limit for a 'p' message (`PG_MAX_AUTH_TOKEN_LENGTH`, compared with the length word). */
export const authTokenLimit = 65_535
/**
 * PostgreSQL's limit for an untyped startup packet's length word: it compares
 * the length less the 4-byte word itself with `MAX_STARTUP_PACKET_LENGTH`
 * (10,000), so a length of 10,004 is the largest accepted.
 */
export const startupPacketLimit = 10_004
/** Backend messages other than rows, COPY data and function results. */
export const backendMessageLimit = 16 * 1024 * 1024
/** Authentication requests from a backend (SASL and GSS tokens included). */
export const backendAuthLimit = 65_536 + 8

/**
 * Limits for a frontend parser (used by servers), by message name. Every
 * field is a maximum total message length in bytes, length field included.
 *
 * @since 0.1.0
 * @category models
 */
export interface FrontendLimits {
  readonly startup?: number
  readonly Bind?: number
  readonly Close?: number
  readonly CopyData?: number
  readonly CopyDone?: number
  readonly CopyFail?: number
  readonly Describe?: number
  readonly Execute?: number
  readonly Flush?: number
  readonly FunctionCall?: number
  readonly PasswordMessageFamily?: number
  readonly Parse?: number
  readonly Query?: number
  readonly Sync?: number
  readonly Terminate?: number
}

/**
 * Limits for a backend parser (used by clients), by message name.
 *
 * @since 0.1.0
 * @category models
 */
export type BackendLimits = {
  readonly [K in keyof typeof BackendType]?: number
}

/** @since 0.1.0 @category constants */
export const defaultFrontendLimits: Required<FrontendLimits> = {
  startup: startupPacketLimit,
  Bind: largeMessageLimit,
  Close: smallMessageLimit,
  CopyData: largeMessageLimit,
  CopyDone: largeMessageLimit,
  CopyFail: largeMessageLimit,
  Describe: smallMessageLimit,
  Execute: smallMessageLimit,
  Flush: smallMessageLimit,
  FunctionCall: largeMessageLimit,
  PasswordMessageFamily: authTokenLimit,
  Parse: largeMessageLimit,
  Query: largeMessageLimit,
  Sync: smallMessageLimit,
  Terminate: smallMessageLimit
}

/** @since 0.1.0 @category constants */
export const defaultBackendLimits: Required<BackendLimits> = {
  Authentication: backendAuthLimit,
  BackendKeyData: backendMessageLimit,
  BindComplete: backendMessageLimit,
  CloseComplete: backendMessageLimit,
  CommandComplete: backendMessageLimit,
  CopyData: largeMessageLimit,
  CopyDone: backendMessageLimit,
  CopyInResponse: backendMessageLimit,
  CopyOutResponse: backendMessageLimit,
  CopyBothResponse: backendMessageLimit,
  DataRow: largeMessageLimit,
  EmptyQueryResponse: backendMessageLimit,
  ErrorResponse: backendMessageLimit,
  FunctionCallResponse: largeMessageLimit,
  NegotiateProtocolVersion: backendMessageLimit,
  NoData: backendMessageLimit,
  NoticeResponse: backendMessageLimit,
  NotificationResponse: backendMessageLimit,
  ParameterDescription: backendMessageLimit,
  ParameterStatus: backendMessageLimit,
  ParseComplete: backendMessageLimit,
  PortalSuspended: backendMessageLimit,
  ReadyForQuery: backendMessageLimit,
  RowDescription: backendMessageLimit
}

/**
 * A table from type byte to limit (0: not a message type of that direction).
 *
 * @internal
 */
export const limitTable = <K extends string>(
  types: Readonly<Record<K, number>>,
  defaults: Readonly<Record<K, number>>,
  overrides: Partial<Record<K, number>> | undefined
): Int32Array => {
  const table = new Int32Array(256)
  for (const name of Object.keys(types) as Array<K>) {
    const limit = overrides?.[name] ?? defaults[name]
    table[types[name]] = Math.max(4, Math.min(limit, largeMessageLimit))
  }
  return table
}

/** @internal */
export const frontendLimitTable = (overrides: FrontendLimits | undefined): Int32Array =>
  limitTable<keyof typeof FrontendType>(FrontendType, defaultFrontendLimits, overrides)

/** @internal */
export const backendLimitTable = (overrides: BackendLimits | undefined): Int32Array =>
  limitTable(BackendType, defaultBackendLimits, overrides)
