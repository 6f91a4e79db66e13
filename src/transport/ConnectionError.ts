/**
 * Failures of the connection itself: the socket, TLS, timeouts, a closed
 * connection. (A server's ErrorResponse is a `PgServerError`; malformed bytes
 * are a `ProtocolError`; authentication failures are an `AuthError`.)
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import type * as Socket from "effect/socket/Socket"

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

/**
 * Maps an `effect/socket` error (what `Transport.socket`'s reader and writer
 * fail with) to a `ConnectionError`: a close is `Closed`, anything else on the
 * open socket `SocketError`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromSocketError = (error: Socket.SocketError): ConnectionError => {
  const reason = error.reason
  switch (reason._tag) {
    case "SocketCloseError":
      return new ConnectionError({
        reason: "Closed",
        message: reason.code === 1000 ? "the server closed the connection" : `the connection closed abruptly (${reason.code})`,
        cause: error
      })
    case "SocketOpenError":
      return new ConnectionError({
        reason: reason.kind === "Timeout" ? "ConnectTimeout" : "ConnectFailed",
        message: error.message,
        cause: error
      })
    case "SocketUpgradeError":
      return new ConnectionError({ reason: "TlsHandshakeFailed", message: error.message, cause: error })
    case "SocketReadError":
    case "SocketWriteError":
      return new ConnectionError({
        reason: "SocketError",
        message: `${reason._tag === "SocketReadError" ? "reading from" : "writing to"} the socket failed: ${
          reason.cause instanceof Error ? reason.cause.message : String(reason.cause)
        }`,
        cause: error
      })
  }
}
