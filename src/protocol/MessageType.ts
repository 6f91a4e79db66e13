/**
 * The one table of message type bytes and startup request codes of the
 * PostgreSQL frontend/backend protocol, versions 3.0 and 3.2.
 *
 * Several messages share a byte: `'d'` and `'c'` (CopyData, CopyDone) go both
 * ways; `'p'` carries every password-family message; `'C'`, `'D'`, `'E'`,
 * `'H'` and `'S'` mean different messages in each direction.
 *
 * @since 0.1.0
 */

/**
 * Type bytes of messages sent by the frontend (client).
 *
 * @since 0.1.0
 * @category constants
 */
export const FrontendType = {
  Bind: 0x42, // 'B'
  Close: 0x43, // 'C'
  CopyData: 0x64, // 'd'
  CopyDone: 0x63, // 'c'
  CopyFail: 0x66, // 'f'
  Describe: 0x44, // 'D'
  Execute: 0x45, // 'E'
  Flush: 0x48, // 'H'
  FunctionCall: 0x46, // 'F'
  /** GSSResponse, PasswordMessage, SASLInitialResponse and SASLResponse. */
  PasswordMessageFamily: 0x70, // 'p'
  Parse: 0x50, // 'P'
  Query: 0x51, // 'Q'
  Sync: 0x53, // 'S'
  Terminate: 0x58 // 'X'
} as const

/**
 * Type bytes of messages sent by the backend (server).
 *
 * @since 0.1.0
 * @category constants
 */
export const BackendType = {
  Authentication: 0x52, // 'R'
  BackendKeyData: 0x4b, // 'K'
  BindComplete: 0x32, // '2'
  CloseComplete: 0x33, // '3'
  CommandComplete: 0x43, // 'C'
  CopyData: 0x64, // 'd'
  CopyDone: 0x63, // 'c'
  CopyInResponse: 0x47, // 'G'
  CopyOutResponse: 0x48, // 'H'
  CopyBothResponse: 0x57, // 'W'
  DataRow: 0x44, // 'D'
  EmptyQueryResponse: 0x49, // 'I'
  ErrorResponse: 0x45, // 'E'
  FunctionCallResponse: 0x56, // 'V'
  NegotiateProtocolVersion: 0x76, // 'v'
  NoData: 0x6e, // 'n'
  NoticeResponse: 0x4e, // 'N'
  NotificationResponse: 0x41, // 'A'
  ParameterDescription: 0x74, // 't'
  ParameterStatus: 0x53, // 'S'
  ParseComplete: 0x31, // '1'
  PortalSuspended: 0x73, // 's'
  ReadyForQuery: 0x5a, // 'Z'
  RowDescription: 0x54 // 'T'
} as const

/**
 * Subcodes of the backend `Authentication` ('R') message.
 *
 * @since 0.1.0
 * @category constants
 */
export const AuthenticationCode = {
  Ok: 0,
  KerberosV5: 2,
  CleartextPassword: 3,
  MD5Password: 5,
  GSS: 7,
  GSSContinue: 8,
  SSPI: 9,
  SASL: 10,
  SASLContinue: 11,
  SASLFinal: 12
} as const

/**
 * The 32-bit codes that open untyped startup packets, and the protocol
 * versions. A protocol version is `major << 16 | minor`.
 *
 * @since 0.1.0
 * @category constants
 */
export const StartupCode = {
  /** Protocol 3.0, the version every PostgreSQL since 7.4 speaks. */
  Protocol3_0: 0x00030000,
  /** Protocol 3.2 (PostgreSQL 18): variable-length cancel keys. */
  Protocol3_2: 0x00030002,
  CancelRequest: 80877102, // 1234 << 16 | 5678
  SSLRequest: 80877103, // 1234 << 16 | 5679
  GSSENCRequest: 80877104 // 1234 << 16 | 5680
} as const

/**
 * The newest protocol version this codec speaks.
 *
 * @since 0.1.0
 * @category constants
 */
export const latestProtocolVersion = StartupCode.Protocol3_2

/**
 * @since 0.1.0
 * @category protocol version
 */
export const protocolMajor = (version: number): number => version >>> 16

/**
 * @since 0.1.0
 * @category protocol version
 */
export const protocolMinor = (version: number): number => version & 0xffff

/**
 * @since 0.1.0
 * @category protocol version
 */
export const makeProtocolVersion = (major: number, minor: number): number => ((major & 0xffff) << 16 | (minor & 0xffff)) >>> 0

/**
 * The type byte as the one-character name the protocol docs use (`'D'`).
 *
 * @since 0.1.0
 * @category formatting
 */
export const typeChar = (type: number): string =>
  type >= 0x20 && type < 0x7f ? String.fromCharCode(type) : `0x${type.toString(16).padStart(2, "0")}`
