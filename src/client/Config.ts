/**
 * What a connection needs to know: an options object, or a `postgres://` URL.
 * (The full libpq surface — keyword strings, `PG*` variables, pgpass, service
 * files, several hosts — builds on this.)
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type { ChannelBindingMode, ClientAuthMethod } from "../auth/ChannelBinding.ts"
import type { GssTokenProvider } from "../auth/Gss.ts"
import type { SslMode } from "../transport/Transport.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface PgConnectionConfig {
  /** Host name, IP address, or the directory of a Unix-domain socket (an absolute path). Default "localhost". */
  readonly host?: string | undefined
  /** Default 5432. */
  readonly port?: number | undefined
  /** Default the user name. */
  readonly database?: string | undefined
  /** Default "postgres". */
  readonly user?: string | undefined
  readonly password?: string | Redacted.Redacted<string> | undefined
  readonly applicationName?: string | undefined
  /** Command-line options for the backend, as libpq's `options` (e.g. "-c search_path=app"). */
  readonly options?: string | undefined
  /** More run-time parameters to send in the StartupMessage (e.g. `{ TimeZone: "UTC" }`). */
  readonly parameters?: Readonly<Record<string, string>> | undefined
  /** libpq's sslmode; default "prefer". */
  readonly sslMode?: SslMode | undefined
  /** libpq's sslnegotiation: "postgres" (SSLRequest, default) or "direct" (TLS at once, ALPN; needs sslmode require or stronger). */
  readonly sslNegotiation?: "postgres" | "direct" | undefined
  /** Trusted root certificates (PEM content). With `verify-ca`/`verify-full` and none given, the system roots. With `require`, giving one makes it verify like `verify-ca`, as libpq does. */
  readonly sslRootCert?: string | Uint8Array | undefined
  readonly sslCert?: string | Uint8Array | undefined
  readonly sslKey?: string | Uint8Array | Redacted.Redacted<string | Uint8Array> | undefined
  readonly sslPassword?: string | Redacted.Redacted<string> | undefined
  readonly sslCrl?: string | Uint8Array | undefined
  /** libpq's sslsni; default true. */
  readonly sslSni?: boolean | undefined
  /** libpq's channel_binding; default "prefer". */
  readonly channelBinding?: ChannelBindingMode | undefined
  /**
   * libpq's require_auth: the authentication methods the client accepts, or
   * those it refuses when every entry starts with "!". "none" is trust.
   * Default: any.
   */
  readonly requireAuth?: ReadonlyArray<RequireAuthMethod> | string | undefined
  /** Connect, negotiate TLS, authenticate and reach ReadyForQuery within this time. Default 30 seconds. */
  readonly connectTimeout?: Duration.Input | undefined
  /** TCP keepalive; default on. */
  readonly keepAlive?: boolean | Duration.Input | undefined
  /** The newest protocol version to ask for: "3.2" (default) or "3.0". */
  readonly maxProtocolVersion?: "3.0" | "3.2" | undefined
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
 * A configuration with defaults filled in.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResolvedConfig {
  readonly host: string
  readonly port: number
  readonly database: string
  readonly user: string
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
  readonly channelBinding: ChannelBindingMode
  /** Whether each method is acceptable. */
  readonly authAllowed: (method: ClientAuthMethod) => boolean
  readonly requireAuthText: string
  readonly connectTimeout: Duration.Duration
  readonly keepAlive: boolean | Duration.Input
  readonly maxProtocolVersion: "3.0" | "3.2"
  readonly statementCacheSize: number
  readonly maxScramIterations: number
  readonly gssProvider: GssTokenProvider | undefined
  readonly krbServiceName: string
}

/**
 * An invalid configuration (bad URL, unknown sslmode, contradictory options).
 *
 * @since 0.1.0
 * @category errors
 */
export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  message: Schema.String
}) {}

const requireAuthMethods: Record<string, ReadonlyArray<ClientAuthMethod>> = {
  password: ["cleartext"],
  md5: ["md5"],
  gss: ["gss", "kerberos-v5"],
  sspi: ["sspi"],
  "scram-sha-256": ["scram-sha-256", "scram-sha-256-plus"],
  none: ["trust"]
}

const parseRequireAuth = (spec: ReadonlyArray<string> | string | undefined): Effect.Effect<(method: ClientAuthMethod) => boolean, ConfigError> => {
  const entries = (typeof spec === "string" ? spec.split(",") : spec ?? []).map((s) => s.trim()).filter((s) => s.length > 0)
  if (entries.length === 0) return Effect.succeed(() => true)
  const negated = entries.map((e) => e.startsWith("!"))
  if (negated.some((n) => n !== negated[0])) {
    return Effect.fail(new ConfigError({ message: "require_auth cannot mix negated and non-negated methods" }))
  }
  const methods = new Set<ClientAuthMethod>()
  for (const entry of entries) {
    const name = entry.replace(/^!/, "")
    const mapped = requireAuthMethods[name]
    if (mapped === undefined) return Effect.fail(new ConfigError({ message: `require_auth: unknown method "${name}"` }))
    for (const m of mapped) methods.add(m)
  }
  return Effect.succeed(negated[0] ? (m) => !methods.has(m) : (m) => methods.has(m))
}

const sslModes: ReadonlyArray<SslMode> = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

/**
 * Fills in defaults and checks the combination.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolve = (config: PgConnectionConfig): Effect.Effect<ResolvedConfig, ConfigError> =>
  Effect.gen(function*() {
    const user = config.user ?? "postgres"
    const sslMode = config.sslMode ?? "prefer"
    if (!sslModes.includes(sslMode)) return yield* new ConfigError({ message: `invalid sslmode "${sslMode}"` })
    const sslNegotiation = config.sslNegotiation ?? "postgres"
    if (sslNegotiation === "direct" && (sslMode === "disable" || sslMode === "allow" || sslMode === "prefer")) {
      return yield* new ConfigError({ message: `sslnegotiation=direct needs sslmode require, verify-ca or verify-full (got ${sslMode})` })
    }
    const port = config.port ?? 5432
    if (!Number.isInteger(port) || port < 1 || port > 65535) return yield* new ConfigError({ message: `invalid port ${port}` })
    const cache = config.statementCacheSize ?? 128
    if (!Number.isInteger(cache) || cache < 0) return yield* new ConfigError({ message: `invalid statementCacheSize ${cache}` })
    const authAllowed = yield* parseRequireAuth(config.requireAuth)
    const parameters: Record<string, string> = {
      user,
      database: config.database ?? user,
      client_encoding: "UTF8",
      ...(config.applicationName !== undefined ? { application_name: config.applicationName } : {}),
      ...(config.options !== undefined ? { options: config.options } : {}),
      ...config.parameters
    }
    if (parameters.client_encoding !== "UTF8") {
      return yield* new ConfigError({ message: "client_encoding must be UTF8: the codec reads every string as UTF-8" })
    }
    return {
      host: config.host ?? "localhost",
      port,
      database: parameters.database!,
      user,
      password: config.password === undefined ? undefined : Redacted.isRedacted(config.password) ? config.password : Redacted.make(config.password),
      startupParameters: parameters,
      sslMode,
      sslNegotiation,
      sslRootCert: config.sslRootCert,
      sslCert: config.sslCert,
      sslKey: config.sslKey === undefined ? undefined : Redacted.isRedacted(config.sslKey) ? config.sslKey : Redacted.make(config.sslKey),
      sslPassword: config.sslPassword === undefined ? undefined : Redacted.isRedacted(config.sslPassword) ? config.sslPassword : Redacted.make(config.sslPassword),
      sslCrl: config.sslCrl,
      sslSni: config.sslSni ?? true,
      channelBinding: config.channelBinding ?? "prefer",
      authAllowed,
      requireAuthText: typeof config.requireAuth === "string" ? config.requireAuth : (config.requireAuth ?? []).join(","),
      connectTimeout: Duration.fromInputUnsafe(config.connectTimeout ?? Duration.seconds(30)),
      keepAlive: config.keepAlive ?? true,
      maxProtocolVersion: config.maxProtocolVersion ?? "3.2",
      statementCacheSize: cache,
      maxScramIterations: config.maxScramIterations ?? 100_000,
      gssProvider: config.gssProvider,
      krbServiceName: config.krbServiceName ?? "postgres"
    }
  })

const urlParameters: Record<string, (config: Record<string, unknown>, value: string) => void> = {
  sslmode: (c, v) => (c.sslMode = v),
  sslnegotiation: (c, v) => (c.sslNegotiation = v),
  application_name: (c, v) => (c.applicationName = v),
  options: (c, v) => (c.options = v),
  // libpq: 0 (or a negative value) waits forever.
  connect_timeout: (c, v) => (c.connectTimeout = Number(v) > 0 ? Duration.seconds(Number(v)) : Duration.infinity),
  channel_binding: (c, v) => (c.channelBinding = v),
  require_auth: (c, v) => (c.requireAuth = v),
  sslsni: (c, v) => (c.sslSni = v !== "0"),
  keepalives: (c, v) => (c.keepAlive = v !== "0"),
  krbsrvname: (c, v) => (c.krbServiceName = v),
  max_protocol_version: (c, v) => (c.maxProtocolVersion = v),
  host: (c, v) => (c.host = v),
  port: (c, v) => (c.port = Number(v)),
  dbname: (c, v) => (c.database = v),
  user: (c, v) => (c.user = v),
  password: (c, v) => (c.password = Redacted.make(v))
}

/**
 * Parses a `postgres://` / `postgresql://` URL. Query parameters use libpq's
 * names; an unknown one is an error rather than silently ignored. Certificate
 * parameters name files and are not read here.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromUrl = (url: string): Effect.Effect<PgConnectionConfig, ConfigError> =>
  Effect.suspend(() => {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      return Effect.fail(new ConfigError({ message: "invalid connection URL" }))
    }
    if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
      return Effect.fail(new ConfigError({ message: `unsupported URL scheme ${parsed.protocol}` }))
    }
    const config: Record<string, unknown> = {}
    if (parsed.hostname !== "") config.host = decodeURIComponent(parsed.hostname.replace(/^\[|\]$/g, ""))
    if (parsed.port !== "") config.port = Number(parsed.port)
    if (parsed.username !== "") config.user = decodeURIComponent(parsed.username)
    if (parsed.password !== "") config.password = Redacted.make(decodeURIComponent(parsed.password))
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""))
    if (database !== "") config.database = database
    for (const [key, value] of parsed.searchParams) {
      const set = urlParameters[key]
      if (set === undefined) return Effect.fail(new ConfigError({ message: `unknown connection parameter "${key}"` }))
      set(config, value)
    }
    return Effect.succeed(config as PgConnectionConfig)
  })
