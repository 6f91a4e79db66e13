/**
 * Failures of the connection itself: the socket, TLS, timeouts, a closed
 * connection. (A server's ErrorResponse is a `PgServerError`; malformed bytes
 * are a `ProtocolError`; authentication failures are an `AuthError`.)
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * @since 0.1.0
 * @category models
 */
export const ConnectionErrorReason = Schema.Literals([
  /** The TCP or Unix-domain connect failed (refused, unreachable, DNS). */
  "ConnectFailed",
  /** The connect (or TLS handshake, or startup) did not finish within the connect timeout. */
  "ConnectTimeout",
  /** TLS was required and the server answered 'N' to SSLRequest. */
  "SslRefused",
  /** The server sent bytes after its one-byte SSL answer, before the handshake (CVE-2021-23222). */
  "UnexpectedDataAfterSslResponse",
  /** The server's SSL answer was neither 'S' nor 'N'. */
  "InvalidSslResponse",
  /** The TLS handshake failed (protocol, cipher, closed mid-handshake). */
  "TlsHandshakeFailed",
  /** The server certificate does not chain to a trusted root, or is expired or revoked. */
  "CertificateNotTrusted",
  /** The server certificate does not match the host name (verify-full). */
  "HostnameMismatch",
  /** Direct TLS: the server did not agree on ALPN `postgresql`. */
  "AlpnMismatch",
  /** The connection closed (by the server, or after an error). */
  "Closed",
  /** Reading from or writing to the socket failed. */
  "SocketError",
  /** A request or idle timeout elapsed. */
  "Timeout"
])

/** @since 0.1.0 @category models */
export type ConnectionErrorReason = typeof ConnectionErrorReason.Type

/**
 * @since 0.1.0
 * @category errors
 */
export class ConnectionError extends Schema.TaggedError<ConnectionError>()("ConnectionError", {
  reason: ConnectionErrorReason,
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}
