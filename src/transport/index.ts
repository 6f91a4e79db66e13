/**
 * `effect-pgwire/transport`: byte streams to a PostgreSQL server. TCP or
 * Unix-domain sockets, SSLRequest or direct TLS, libpq's sslmode
 * verification, and the peer certificate for channel binding.
 *
 * - {@link connect}: opens a `Transport` in a scope.
 * - {@link sendAndAwaitClose}: one packet on a fresh connection, then wait
 *   for the server to close it (CancelRequest).
 * - {@link ConnectionError}: the single error type, with a `reason`.
 *
 * No protocol messages beyond SSLRequest are sent here; see `protocol` for
 * the codec and `client` for the session.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export { connect, readerAndWriter, sendAndAwaitClose, systemRootCertificates } from "./Connect.ts"

/** @since 0.1.0 */
export { ConnectionError, ConnectionErrorReason, fromSocketError } from "./ConnectionError.ts"

/** @since 0.1.0 */
export { freePort, type IncomingConnection, listen, type Listener, type ListenOptions, type ServerTlsInfo, type ServerTlsOptions, type ServerTransport } from "./Listen.ts"

/** @since 0.1.0 */
export type {
  Connect,
  ConnectOptions,
  SslMode,
  TlsInfo,
  TlsOptions,
  TlsVerification,
  Transport
} from "./Transport.ts"
