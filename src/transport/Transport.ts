/**
 * The transport contract: how the client gets a byte stream to a PostgreSQL
 * server. This module holds only the types the client programs against; the
 * implementation is `Connect.ts` (the only importer of `node:net` and
 * `node:tls` in the project).
 *
 * What it does: TCP or Unix-domain connect with a timeout and keepalive,
 * SSLRequest negotiation and the TLS upgrade on the same socket (refusing
 * bytes that arrive after the server's one-byte answer, CVE-2021-23222),
 * direct TLS with ALPN `postgresql`, certificate verification with libpq's
 * sslmode meanings, and the peer certificate for channel binding.
 *
 * What it does not: no protocol messages beyond SSLRequest, no retries across
 * hosts or sslmodes (the client decides those), no session state.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type * as Socket from "effect/socket/Socket"
import type { ConnectionError } from "./ConnectionError.ts"

/**
 * libpq's sslmode. `allow` and `prefer` decide whether TLS is attempted; the
 * client retries the other way when they say so. What the transport sees is
 * `TlsOptions`.
 *
 * @since 0.1.0
 * @category models
 */
export type SslMode = "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full"

/**
 * How to verify the server: `none` (libpq's require without a root
 * certificate: encrypt, trust any certificate), `ca` (the chain must lead to a
 * trusted root; any host name), `full` (the chain and the host name).
 *
 * @since 0.1.0
 * @category models
 */
export type TlsVerification = "none" | "ca" | "full"

/**
 * @since 0.1.0
 * @category models
 */
export interface TlsOptions {
  /** `postgres`: SSLRequest first (the default); `direct`: TLS straight away with ALPN `postgresql` (PostgreSQL 17+). */
  readonly negotiation: "postgres" | "direct"
  /** With `postgres` negotiation: whether an 'N' answer fails the connect (true) or leaves it plain (false: sslmode=prefer). */
  readonly required: boolean
  readonly verification: TlsVerification
  /**
   * Trusted roots (PEM). Undefined with `ca`/`full` means Node's default store
   * (its bundled Mozilla roots, `NODE_EXTRA_CA_CERTS`, and the OS store under
   * `--use-system-ca`); for libpq's `sslrootcert=system` pass
   * `systemRootCertificates` from `Connect.ts`. Ignored with `none`.
   */
  readonly rootCertificates?: string | Uint8Array | ReadonlyArray<string | Uint8Array> | undefined
  /** Certificate revocation lists (PEM). When given, every certificate of the chain must be covered by one (OpenSSL's CRL_CHECK_ALL, as libpq). */
  readonly crl?: string | Uint8Array | ReadonlyArray<string | Uint8Array> | undefined
  /** Client certificate chain (PEM) and its key, for `cert` authentication. */
  readonly certificate?: string | Uint8Array | undefined
  readonly key?: Redacted.Redacted<string | Uint8Array> | undefined
  readonly passphrase?: Redacted.Redacted<string> | undefined
  /** The name checked against the certificate with `full`, and sent as SNI (unless an IP address, or `sni` is false). Default: the host. */
  readonly serverName?: string | undefined
  /** libpq's `sslsni`. Default true. */
  readonly sni?: boolean | undefined
  readonly minProtocolVersion?: "TLSv1.2" | "TLSv1.3" | undefined
  readonly maxProtocolVersion?: "TLSv1.2" | "TLSv1.3" | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ConnectOptions {
  /**
   * A host name or IP address, or, as in libpq, an absolute path: the
   * directory of a Unix-domain socket named `.s.PGSQL.<port>`; a name
   * starting with `@` is that socket in Linux's abstract namespace (libpq's
   * rule too). TLS is never used over a Unix-domain socket (libpq skips it
   * too), whatever `tls` says.
   */
  readonly host: string
  readonly port: number
  /**
   * Fails with reason `ConnectTimeout` when the socket, the SSLRequest answer
   * and the TLS handshake are not all done in time. Undefined, zero (libpq's
   * `connect_timeout=0`) or infinite: no timeout.
   */
  readonly connectTimeout?: Duration.Input | undefined
  /**
   * TCP keepalive: enabled by default, as libpq does; a duration sets the idle
   * time before the first probe (whole seconds; zero keeps the OS default).
   * Probe interval and count are the OS's.
   */
  readonly keepAlive?: boolean | Duration.Input | undefined
  /** Undefined: plain connection. */
  readonly tls?: TlsOptions | undefined
}

/**
 * What the TLS layer established.
 *
 * @since 0.1.0
 * @category models
 */
export interface TlsInfo {
  /** The server's certificate (DER), for `tls-server-end-point` channel binding. */
  readonly peerCertificate: Uint8Array | undefined
  /** E.g. "TLSv1.3". */
  readonly protocol: string | undefined
  /** The ALPN protocol agreed, if any. */
  readonly alpnProtocol: string | undefined
}

/**
 * An open byte stream to the server.
 *
 * @since 0.1.0
 * @category models
 */
export interface Transport {
  /**
   * The byte stream. Its reader is acquired once by `connect`, in the
   * connection's scope: `socket.reader` always yields that one reader, and
   * writing needs no reader first. Releasing the scope of `socket.writer`
   * half-closes the connection, so acquire the writer once too. Both fail
   * with `effect/socket`'s `SocketError`; `fromSocketError` maps it.
   */
  readonly socket: Socket.Socket
  /** Undefined on a plain or Unix-domain connection. */
  readonly tls: TlsInfo | undefined
  /** The resolved remote address ("127.0.0.1", or the socket path). */
  readonly remoteAddress: string
  /** The connect options, to open a side connection to the same server (CancelRequest). */
  readonly options: ConnectOptions
}

/**
 * Opens a transport; closing the scope closes the socket.
 *
 * @since 0.1.0
 * @category models
 */
export type Connect = (options: ConnectOptions) => Effect.Effect<Transport, ConnectionError, Scope.Scope>
