/**
 * libpq's connection key words: the names a connection string, a service
 * file and the `PG*` environment variables use, with the variable that
 * stands in for each and the `PgConnectionConfig` fields each one sets.
 *
 * A `ConnInfo` is what the parsers produce: key word to raw string value,
 * exactly as libpq holds them before it interprets anything. Interpreting
 * the values is `Options.ts`.
 *
 * @since 0.1.0
 */
import type { PgConnectionConfig } from "../Config.ts"

interface KeywordSpec {
  /** The environment variable libpq reads when the key word is not given. */
  readonly env?: string
  /** The `PgConnectionConfig` fields this key word sets (an explicit field hides the key word's fallbacks). */
  readonly fields: ReadonlyArray<keyof PgConnectionConfig>
}

/**
 * Every key word accepted, in libpq's order.
 *
 * @since 0.1.0
 * @category models
 */
export const KEYWORDS = {
  service: { env: "PGSERVICE", fields: ["service"] },
  servicefile: { env: "PGSERVICEFILE", fields: ["serviceFile"] },
  user: { env: "PGUSER", fields: ["user"] },
  password: { env: "PGPASSWORD", fields: ["password"] },
  passfile: { env: "PGPASSFILE", fields: ["passfile"] },
  require_auth: { env: "PGREQUIREAUTH", fields: ["requireAuth"] },
  channel_binding: { env: "PGCHANNELBINDING", fields: ["channelBinding"] },
  connect_timeout: { env: "PGCONNECT_TIMEOUT", fields: ["connectTimeout"] },
  dbname: { env: "PGDATABASE", fields: ["database"] },
  host: { env: "PGHOST", fields: ["host"] },
  hostaddr: { env: "PGHOSTADDR", fields: ["hostaddr"] },
  port: { env: "PGPORT", fields: ["port"] },
  client_encoding: { env: "PGCLIENTENCODING", fields: ["clientEncoding"] },
  options: { env: "PGOPTIONS", fields: ["options"] },
  application_name: { env: "PGAPPNAME", fields: ["applicationName"] },
  fallback_application_name: { fields: ["fallbackApplicationName"] },
  keepalives: { fields: ["keepAlive"] },
  keepalives_idle: { fields: ["keepAlive"] },
  keepalives_interval: { fields: [] },
  keepalives_count: { fields: [] },
  tcp_user_timeout: { fields: [] },
  sslmode: { env: "PGSSLMODE", fields: ["sslMode"] },
  sslnegotiation: { env: "PGSSLNEGOTIATION", fields: ["sslNegotiation"] },
  sslcompression: { env: "PGSSLCOMPRESSION", fields: [] },
  sslcert: { env: "PGSSLCERT", fields: ["sslCert", "sslCertFile"] },
  sslkey: { env: "PGSSLKEY", fields: ["sslKey", "sslKeyFile"] },
  sslcertmode: { env: "PGSSLCERTMODE", fields: ["sslCertMode"] },
  sslpassword: { fields: ["sslPassword"] },
  sslrootcert: { env: "PGSSLROOTCERT", fields: ["sslRootCert", "sslRootCertFile"] },
  sslcrl: { env: "PGSSLCRL", fields: ["sslCrl", "sslCrlFile"] },
  sslcrldir: { env: "PGSSLCRLDIR", fields: ["sslCrlDir"] },
  sslsni: { env: "PGSSLSNI", fields: ["sslSni"] },
  requirepeer: { env: "PGREQUIREPEER", fields: [] },
  ssl_min_protocol_version: { env: "PGSSLMINPROTOCOLVERSION", fields: ["sslMinProtocolVersion"] },
  ssl_max_protocol_version: { env: "PGSSLMAXPROTOCOLVERSION", fields: ["sslMaxProtocolVersion"] },
  min_protocol_version: { env: "PGMINPROTOCOLVERSION", fields: ["minProtocolVersion"] },
  max_protocol_version: { env: "PGMAXPROTOCOLVERSION", fields: ["maxProtocolVersion"] },
  gssencmode: { env: "PGGSSENCMODE", fields: [] },
  krbsrvname: { env: "PGKRBSRVNAME", fields: ["krbServiceName"] },
  gsslib: { env: "PGGSSLIB", fields: [] },
  gssdelegation: { env: "PGGSSDELEGATION", fields: [] },
  replication: { fields: ["replication"] },
  target_session_attrs: { env: "PGTARGETSESSIONATTRS", fields: ["targetSessionAttrs"] },
  load_balance_hosts: { env: "PGLOADBALANCEHOSTS", fields: ["loadBalanceHosts"] }
} as const satisfies Record<string, KeywordSpec>

/**
 * A libpq connection key word.
 *
 * @since 0.1.0
 * @category models
 */
export type Keyword = keyof typeof KEYWORDS

/**
 * Raw connection options by key word, as a connection string, a service file
 * or the environment gives them (before any interpretation).
 *
 * @since 0.1.0
 * @category models
 */
export type ConnInfo = { readonly [K in Keyword]?: string }

const keywordSet: ReadonlySet<string> = new Set(Object.keys(KEYWORDS))

/**
 * @since 0.1.0
 * @category guards
 */
export const isKeyword = (name: string): name is Keyword => keywordSet.has(name)

/**
 * Key words of libpq 18 that this client knows but does not implement: a
 * connection string naming one fails with this reason rather than as an
 * unknown key word.
 *
 * @since 0.1.0
 * @category models
 */
export const UNSUPPORTED_KEYWORDS: Readonly<Record<string, string>> = {
  oauth_issuer: "OAuth authentication is not supported",
  oauth_client_id: "OAuth authentication is not supported",
  oauth_client_secret: "OAuth authentication is not supported",
  oauth_scope: "OAuth authentication is not supported",
  scram_client_key: "SCRAM pass-through keys are not supported",
  scram_server_key: "SCRAM pass-through keys are not supported",
  sslkeylogfile: "TLS key logging is not supported"
}

/**
 * Stores one key word's value as libpq's `conninfo_storeval` does: the old
 * `requiressl` key word becomes `sslmode` (`1...` is `require`, anything else
 * `prefer`); an unknown key word is an error naming it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const storeValue = (
  target: { -readonly [K in Keyword]?: string },
  name: string,
  value: string
): string | undefined => {
  if (name === "requiressl") {
    target.sslmode = value.startsWith("1") ? "require" : "prefer"
    return undefined
  }
  if (!isKeyword(name)) {
    const reason = UNSUPPORTED_KEYWORDS[name]
    return reason === undefined
      ? `invalid connection option "${name}"`
      : `connection option "${name}" is not supported: ${reason}`
  }
  target[name] = value
  return undefined
}

/**
 * Whether `path` names a Unix-domain socket directory the way libpq decides
 * it: an absolute path, or (Linux) a name in the abstract namespace starting
 * with `@`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isUnixSocketPath = (path: string): boolean => path.startsWith("/") || path.startsWith("@")

/**
 * The socket directory libpq uses when no host is given, as Debian and its
 * derivatives build it (`DEFAULT_PGSOCKET_DIR`); upstream builds use `/tmp`.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_SOCKET_DIR = "/var/run/postgresql"

/**
 * libpq's `SYSCONFDIR` on Debian builds: where `pg_service.conf` lives when
 * `PGSYSCONFDIR` is not set.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_SYSCONF_DIR = "/etc/postgresql-common"
