/**
 * What a connection needs to know, and every way to say it: an options
 * object, a connection string (libpq's `key=value` form or a
 * `postgresql://` URI), the `PG*` environment variables, the password file,
 * connection service files, and effect's `Config`.
 *
 * - `resolve(config)` fills in defaults and checks an options object; it
 *   reads only the files the object names. No environment.
 * - `load(input)` does what libpq does with a connection string or an
 *   options object: explicit values, then the service file, then the
 *   environment, then the defaults (OS user, `/var/run/postgresql`, port
 *   5432, `~/.pgpass`, `~/.postgresql/*`).
 * - `fromConfig(prefix)` reads the same settings through effect's `Config`.
 *
 * Several hosts (`host=a,b port=5432,5433`) resolve to a list of targets;
 * `Hosts.ts` connects to them in turn. The parsers live in `config/`.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Redacted from "effect/Redacted"
import type { ChannelBindingMode, ClientAuthMethod } from "../auth/ChannelBinding.ts"
import type { GssTokenProvider } from "../auth/Gss.ts"
import type { SslMode } from "../transport/Transport.ts"

export { ConfigError } from "./config/ConfigError.ts"
export { fromConfig } from "./config/FromConfig.ts"
export { load, type LoadOptions } from "./config/Load.ts"
export { fromUrl, parseConnectionString } from "./config/Options.ts"
export { forTarget, resolve, type ResolveOptions } from "./config/Resolve.ts"

/**
 * libpq's `target_session_attrs`: which server of several is acceptable.
 *
 * @since 0.1.0
 * @category models
 */
export type TargetSessionAttrs = "any" | "read-write" | "read-only" | "primary" | "standby" | "prefer-standby"

/**
 * TLS protocol versions as libpq names them.
 *
 * @since 0.1.0
 * @category models
 */
export type TlsProtocolVersion = "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3"

/**
 * @since 0.1.0
 * @category models
 */
export interface PgConnectionConfig {
  /**
   * Host name, IP address, or the directory of a Unix-domain socket (an
   * absolute path); or several, comma-separated (`"db1,db2"`), tried in
   * turn. An empty entry is the default host. Default "localhost" with
   * `resolve`, libpq's socket directory with `load`.
   */
  readonly host?: string | undefined
  /**
   * Numeric IP addresses to connect to instead of looking `host` up (one per
   * host, comma-separated). `host` is still used for TLS verification, SNI
   * and the password file. Without `host`, each address is a host.
   */
  readonly hostaddr?: string | undefined
  /** Default 5432. A string is libpq's list: one port for every host, or one per host (`"5432,5433"`; empty entries are 5432). */
  readonly port?: number | string | undefined
  /** Default the user name. */
  readonly database?: string | undefined
  /** Default "postgres" with `resolve`; the OS user with `load`. */
  readonly user?: string | undefined
  readonly password?: string | Redacted.Redacted<string> | undefined
  /** A password file (pgpass format) to look the password up in when none is given. `load` defaults it to `~/.pgpass`. */
  readonly passfile?: string | undefined
  /** A connection service to take settings from (see `load`). */
  readonly service?: string | undefined
  /** The service file to look the service up in first (libpq 18's `servicefile`; default `PGSERVICEFILE`, then `~/.pg_service.conf`). */
  readonly serviceFile?: string | undefined
  readonly applicationName?: string | undefined
  /** Sent as `application_name` when `applicationName` is not set at all. */
  readonly fallbackApplicationName?: string | undefined
  /** Command-line options for the backend, as libpq's `options` (e.g. "-c search_path=app"). */
  readonly options?: string | undefined
  /** More run-time parameters to send in the StartupMessage (e.g. `{ TimeZone: "UTC" }`). */
  readonly parameters?: Readonly<Record<string, string>> | undefined
  /** libpq's `client_encoding`: only UTF-8 (`UTF8`, `utf-8`, `unicode`, `auto`), since every string is read as UTF-8. */
  readonly clientEncoding?: string | undefined
  /** libpq's `replication`: open a physical (`true`) or logical (`"database"`) replication connection. */
  readonly replication?: boolean | "database" | undefined
  /** libpq's sslmode; default "prefer" ("verify-full" with `sslRootCertFile: "system"`). */
  readonly sslMode?: SslMode | undefined
  /** libpq's sslnegotiation: "postgres" (SSLRequest, default) or "direct" (TLS at once, ALPN; needs sslmode require or stronger). */
  readonly sslNegotiation?: "postgres" | "direct" | undefined
  /** Trusted root certificates (PEM content). With `verify-ca`/`verify-full` and none given, the system roots. With `require`, `prefer` or `allow`, giving one makes the TLS attempt verify the chain like `verify-ca` (prefer and allow then fall back to plain when it is not trusted), as libpq does. */
  readonly sslRootCert?: string | Uint8Array | undefined
  /** libpq's `sslrootcert`: a PEM file of trusted roots, read when resolving; `"system"` is the system's store (and makes `verify-full` the default sslmode). */
  readonly sslRootCertFile?: string | undefined
  readonly sslCert?: string | Uint8Array | undefined
  /** libpq's `sslcert`: the client certificate's PEM file. */
  readonly sslCertFile?: string | undefined
  readonly sslKey?: string | Uint8Array | Redacted.Redacted<string | Uint8Array> | undefined
  /** libpq's `sslkey`: the client key's PEM file; refused when group or others may read it (0640 is allowed when root owns it). */
  readonly sslKeyFile?: string | undefined
  readonly sslPassword?: string | Redacted.Redacted<string> | undefined
  readonly sslCrl?: string | Uint8Array | undefined
  /** libpq's `sslcrl`: a PEM file of certificate revocation lists. */
  readonly sslCrlFile?: string | undefined
  /** libpq's `sslcrldir`: a directory whose files are PEM revocation lists. */
  readonly sslCrlDir?: string | undefined
  /** libpq's `sslcertmode`: "allow" (default) sends the client certificate if there is one; "disable" never does. */
  readonly sslCertMode?: "disable" | "allow" | undefined
  /** libpq's sslsni; default true. */
  readonly sslSni?: boolean | undefined
  /** Oldest TLS version to accept; default "TLSv1.2" (older ones are never negotiated). */
  readonly sslMinProtocolVersion?: TlsProtocolVersion | undefined
  /** Newest TLS version to accept; default: the newest available. */
  readonly sslMaxProtocolVersion?: TlsProtocolVersion | undefined
  /** libpq's channel_binding; default "prefer". */
  readonly channelBinding?: ChannelBindingMode | undefined
  /**
   * libpq's require_auth: the authentication methods the client accepts, or
   * those it refuses when every entry starts with "!". "none" is trust.
   * Default: any.
   */
  readonly requireAuth?: ReadonlyArray<RequireAuthMethod> | string | undefined
  /** Connect, negotiate TLS, authenticate and reach ReadyForQuery within this time (for each host). Default 30 seconds. */
  readonly connectTimeout?: Duration.Input | undefined
  /**
   * After a CancelRequest for a running request (an interrupted query), how
   * long the server has to end that request; past it the connection is
   * closed and its requests fail with a ConnectionError (reason `Timeout`),
   * so a server that ignores the cancel cannot hold the connection forever.
   * Default 10 seconds; zero or infinite waits forever.
   */
  readonly cancelTimeout?: Duration.Input | undefined
  /** TCP keepalive; default on. A duration is the idle time before the first probe. */
  readonly keepAlive?: boolean | Duration.Input | undefined
  /** The oldest protocol version to accept: "3.0" (default) or "3.2" (refuse servers that only speak 3.0). */
  readonly minProtocolVersion?: "3.0" | "3.2" | undefined
  /** The newest protocol version to ask for: "3.2" (default) or "3.0". */
  readonly maxProtocolVersion?: "3.0" | "3.2" | undefined
  /** With several hosts: which server is acceptable. Default "any". */
  readonly targetSessionAttrs?: TargetSessionAttrs | undefined
  /** With several hosts: "disable" tries them in order (default), "random" in a random order. */
  readonly loadBalanceHosts?: "disable" | "random" | undefined
  /** Prepared statements cached per connection; default 128. 0 disables the cache. */
  readonly statementCacheSize?: number | undefined
  /** Refuse SCRAM iteration counts above this (an untrusted server must not make us burn CPU). Default 100,000. */
  readonly maxScramIterations?: number | undefined
  /** Provider of GSSAPI / SSPI tokens. Without one, a server asking for them is an AuthError. */
  readonly gssProvider?: GssTokenProvider | undefined
  /** The Kerberos service name; default "postgres". */
  readonly krbServiceName?: string | undefined
}

/**
 * Method names as libpq's `require_auth` spells them.
 *
 * @since 0.1.0
 * @category models
 */
export type RequireAuthMethod = "password" | "md5" | "gss" | "sspi" | "scram-sha-256" | "none" | `!${string}`

/**
 * One server to try.
 *
 * @since 0.1.0
 * @category models
 */
export interface HostTarget {
  /** The host name, IP address or socket directory; the `hostaddr` when only that was given. Used for TLS verification and SNI. */
  readonly host: string
  /** The IP address to connect to instead of looking `host` up. */
  readonly hostaddr: string | undefined
  readonly port: number
  /** The password for this host: the configured one, else the password file's. */
  readonly password: Redacted.Redacted<string> | undefined
  /** The password file the password came from, if it did (worth saying when the server refuses it). */
  readonly passwordFile: string | undefined
}

/**
 * A configuration with defaults filled in.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResolvedConfig {
  /** The first target's host (what a single-host connection uses). */
  readonly host: string
  /** The first target's hostaddr. */
  readonly hostaddr: string | undefined
  /** The first target's port. */
  readonly port: number
  /** Every server to try, in the configured order (at least one). */
  readonly targets: ReadonlyArray<HostTarget>
  readonly targetSessionAttrs: TargetSessionAttrs
  readonly loadBalanceHosts: "disable" | "random"
  readonly database: string
  readonly user: string
  /** The first target's password. */
  readonly password: Redacted.Redacted<string> | undefined
  readonly startupParameters: Readonly<Record<string, string>>
  readonly sslMode: SslMode
  readonly sslNegotiation: "postgres" | "direct"
  readonly sslRootCert: string | Uint8Array | undefined
  readonly sslCert: string | Uint8Array | undefined
  readonly sslKey: Redacted.Redacted<string | Uint8Array> | undefined
  readonly sslPassword: Redacted.Redacted<string> | undefined
  readonly sslCrl: string | Uint8Array | undefined
  readonly sslSni: boolean
  readonly sslMinProtocolVersion: "TLSv1.2" | "TLSv1.3"
  readonly sslMaxProtocolVersion: "TLSv1.2" | "TLSv1.3" | undefined
  readonly channelBinding: ChannelBindingMode
  /** Whether each method is acceptable. */
  readonly authAllowed: (method: ClientAuthMethod) => boolean
  readonly requireAuthText: string
  readonly connectTimeout: Duration.Duration
  readonly cancelTimeout: Duration.Duration
  readonly keepAlive: boolean | Duration.Input
  readonly minProtocolVersion: "3.0" | "3.2"
  readonly maxProtocolVersion: "3.0" | "3.2"
  readonly statementCacheSize: number
  readonly maxScramIterations: number
  readonly gssProvider: GssTokenProvider | undefined
  readonly krbServiceName: string
  /** What was ignored on the way (an unsafe password file); also logged as warnings. */
  readonly warnings: ReadonlyArray<string>
}
