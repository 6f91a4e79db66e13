/**
 * From libpq key words (raw strings) to a typed `PgConnectionConfig`: every
 * value checked as libpq checks it, with libpq's messages naming the key
 * word. Pure: files named by key words (`sslrootcert`, `passfile`, ...) stay
 * paths here; `resolve` reads them.
 *
 * Accepted but not acted on (validated, then dropped): `keepalives_interval`,
 * `keepalives_count`, `tcp_user_timeout` (Node.js has no socket option for
 * them), `sslcompression` (no TLS library compresses any more), `gsslib`,
 * `gssdelegation`, `gssencmode=disable|prefer` (no GSSAPI encryption here).
 * Refused because they cannot be honoured: `gssencmode=require`,
 * `sslcertmode=require`, `requirepeer`.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import type { PgConnectionConfig, TargetSessionAttrs, TlsProtocolVersion } from "../Config.ts"
import { ConfigError } from "./ConfigError.ts"
import { parseConnInfo, parseUri, uriPrefixLength } from "./ConnectionString.ts"
import type { ConnInfo, Keyword } from "./Keywords.ts"

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

const invalidValue = (key: Keyword, value: string) =>
  new ConfigError({ message: `invalid ${key} value: "${value}"`, key })

/**
 * An integer as libpq's `pqParseIntParam` reads one: optional surrounding
 * whitespace, an optional sign, decimal digits, within 32 bits.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseIntParam = (key: Keyword, value: string): Result.Result<number, ConfigError> => {
  const match = /^[ \t\n\r\v\f]*([+-]?\d+)[ \t\n\r\v\f]*$/.exec(value)
  const n = match === null ? Number.NaN : Number(match[1])
  if (!Number.isSafeInteger(n) || n > 2 ** 31 - 1 || n < -(2 ** 31)) {
    return Result.fail(new ConfigError({ message: `invalid integer value "${value}" for connection option "${key}"`, key }))
  }
  return Result.succeed(n)
}

const oneOf = <const A extends string>(key: Keyword, value: string, allowed: ReadonlyArray<A>): Result.Result<A, ConfigError> =>
  (allowed as ReadonlyArray<string>).includes(value) ? Result.succeed(value as A) : Result.fail(invalidValue(key, value))

const tlsVersions: ReadonlyArray<TlsProtocolVersion> = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]

/** libpq compares TLS version names without regard to case. */
const tlsVersion = (key: Keyword, value: string): Result.Result<TlsProtocolVersion, ConfigError> => {
  const found = tlsVersions.find((v) => v.toLowerCase() === value.toLowerCase())
  return found === undefined ? Result.fail(invalidValue(key, value)) : Result.succeed(found)
}

const protocolVersion = (key: Keyword, value: string): Result.Result<"3.0" | "3.2", ConfigError> =>
  value === "latest" ? Result.succeed("3.2") : oneOf(key, value, ["3.0", "3.2"] as const)

const targetSessionAttrs: ReadonlyArray<TargetSessionAttrs> = ["any", "read-write", "read-only", "primary", "standby", "prefer-standby"]

const replicationValue = (value: string): Result.Result<boolean | "database", ConfigError> => {
  const v = value.toLowerCase()
  if (v === "database") return Result.succeed("database")
  if (["true", "on", "yes", "1"].includes(v)) return Result.succeed(true)
  if (["false", "off", "no", "0"].includes(v)) return Result.succeed(false)
  return Result.fail(invalidValue("replication", value))
}

/**
 * Interprets key words as libpq does. Empty values of host, hostaddr, port,
 * dbname, user, password, passfile and the file key words mean "not set"
 * (libpq's defaults apply), as in libpq.
 *
 * @since 0.1.0
 * @category constructors
 */
export const toConfig = (info: ConnInfo): Result.Result<PgConnectionConfig, ConfigError> => {
  const c: Mutable<PgConnectionConfig> = {}
  const nonEmpty = (value: string | undefined): string | undefined => (value === undefined || value === "" ? undefined : value)
  let failure: ConfigError | undefined
  const take = <A>(result: Result.Result<A, ConfigError>): A | undefined => {
    if (Result.isSuccess(result)) return result.success
    failure ??= result.failure
    return undefined
  }

  c.host = nonEmpty(info.host)
  c.hostaddr = nonEmpty(info.hostaddr)
  c.port = nonEmpty(info.port)
  c.database = nonEmpty(info.dbname)
  c.user = nonEmpty(info.user)
  const password = nonEmpty(info.password)
  if (password !== undefined) c.password = Redacted.make(password)
  c.passfile = nonEmpty(info.passfile)
  c.service = info.service
  c.serviceFile = nonEmpty(info.servicefile)
  c.requireAuth = nonEmpty(info.require_auth)
  if (info.channel_binding !== undefined) c.channelBinding = take(oneOf("channel_binding", info.channel_binding, ["disable", "prefer", "require"] as const))
  if (info.connect_timeout !== undefined) {
    const seconds = take(parseIntParam("connect_timeout", info.connect_timeout))
    // libpq: zero or negative waits forever; 1 second is raised to 2 so rounding cannot make it fire at once.
    if (seconds !== undefined) c.connectTimeout = seconds <= 0 ? Duration.infinity : Duration.seconds(Math.max(seconds, 2))
  }
  c.clientEncoding = nonEmpty(info.client_encoding)
  c.options = info.options
  c.applicationName = info.application_name
  c.fallbackApplicationName = info.fallback_application_name
  if (info.keepalives !== undefined) {
    const on = take(parseIntParam("keepalives", info.keepalives))
    if (on !== undefined) c.keepAlive = on !== 0
  }
  if (info.keepalives_idle !== undefined) {
    const idle = take(parseIntParam("keepalives_idle", info.keepalives_idle))
    if (idle !== undefined && c.keepAlive !== false) c.keepAlive = Duration.seconds(Math.max(idle, 0))
  }
  for (const key of ["keepalives_interval", "keepalives_count", "tcp_user_timeout"] as const) {
    const value = info[key]
    if (value !== undefined) take(parseIntParam(key, value))
  }
  if (info.sslmode !== undefined) {
    c.sslMode = take(oneOf("sslmode", info.sslmode, ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] as const))
  }
  if (info.sslnegotiation !== undefined) c.sslNegotiation = take(oneOf("sslnegotiation", info.sslnegotiation, ["postgres", "direct"] as const))
  c.sslCertFile = nonEmpty(info.sslcert)
  c.sslKeyFile = nonEmpty(info.sslkey)
  const sslPassword = nonEmpty(info.sslpassword)
  if (sslPassword !== undefined) c.sslPassword = Redacted.make(sslPassword)
  if (info.sslcertmode !== undefined) {
    const mode = take(oneOf("sslcertmode", info.sslcertmode, ["disable", "allow", "require"] as const))
    if (mode === "require") {
      failure ??= new ConfigError({
        message: `sslcertmode value "require" is not supported: the TLS library does not say whether the server asked for a certificate`,
        key: "sslcertmode"
      })
    } else if (mode !== undefined) c.sslCertMode = mode
  }
  c.sslRootCertFile = nonEmpty(info.sslrootcert)
  c.sslCrlFile = nonEmpty(info.sslcrl)
  c.sslCrlDir = nonEmpty(info.sslcrldir)
  // libpq turns SNI on only for a value starting with "1".
  if (info.sslsni !== undefined) c.sslSni = info.sslsni.startsWith("1")
  if (nonEmpty(info.requirepeer) !== undefined) {
    failure ??= new ConfigError({
      message: "requirepeer is not supported: Node.js cannot read the credentials of a Unix-domain socket's peer",
      key: "requirepeer"
    })
  }
  const minTls = nonEmpty(info.ssl_min_protocol_version)
  if (minTls !== undefined) c.sslMinProtocolVersion = take(tlsVersion("ssl_min_protocol_version", minTls))
  const maxTls = nonEmpty(info.ssl_max_protocol_version)
  if (maxTls !== undefined) c.sslMaxProtocolVersion = take(tlsVersion("ssl_max_protocol_version", maxTls))
  const minProtocol = nonEmpty(info.min_protocol_version)
  if (minProtocol !== undefined) c.minProtocolVersion = take(protocolVersion("min_protocol_version", minProtocol))
  const maxProtocol = nonEmpty(info.max_protocol_version)
  if (maxProtocol !== undefined) c.maxProtocolVersion = take(protocolVersion("max_protocol_version", maxProtocol))
  if (info.gssencmode !== undefined) {
    const mode = take(oneOf("gssencmode", info.gssencmode, ["disable", "prefer", "require"] as const))
    if (mode === "require") {
      failure ??= new ConfigError({
        message: `gssencmode value "require" invalid: this client does not implement GSSAPI encryption`,
        key: "gssencmode"
      })
    }
  }
  c.krbServiceName = nonEmpty(info.krbsrvname)
  const replication = nonEmpty(info.replication)
  if (replication !== undefined) c.replication = take(replicationValue(replication))
  if (info.target_session_attrs !== undefined) {
    c.targetSessionAttrs = take(oneOf("target_session_attrs", info.target_session_attrs, targetSessionAttrs))
  }
  if (info.load_balance_hosts !== undefined) {
    c.loadBalanceHosts = take(oneOf("load_balance_hosts", info.load_balance_hosts, ["disable", "random"] as const))
  }
  if (failure !== undefined) return Result.fail(failure)
  return Result.succeed(withoutUndefined(c))
}

/**
 * A copy without the fields whose value is undefined (so spreading it never
 * hides a value underneath).
 *
 * @since 0.1.0
 * @category constructors
 */
export const withoutUndefined = <A extends object>(value: A): A =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as A

/**
 * Parses a connection string of either form into an options object (no
 * environment, no files read).
 *
 * @since 0.1.0
 * @category constructors
 */
export const parseConnectionString = (text: string): Effect.Effect<PgConnectionConfig, ConfigError> =>
  Effect.suspend(() => Effect.fromResult(Result.flatMap(parseConnInfo(text), toConfig)))

/**
 * Parses a `postgresql://` / `postgres://` URI into an options object. Query
 * parameters are libpq key words; an unknown one is an error. File key words
 * (`sslrootcert`, `sslcert`, ...) become `*File` fields, read by `resolve`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromUrl = (url: string): Effect.Effect<PgConnectionConfig, ConfigError> =>
  Effect.suspend(() =>
    uriPrefixLength(url) === 0
      ? Effect.fail(new ConfigError({ message: `unsupported connection URI (expected postgresql:// or postgres://): "${url.split(":")[0]}:..."` }))
      : Effect.fromResult(Result.flatMap(parseUri(url), toConfig))
  )
