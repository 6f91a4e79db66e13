/**
 * libpq's whole procedure for finding the connection settings:
 *
 * 1. explicit values (the connection string, or the options object);
 * 2. the connection service (`service`, else `PGSERVICE`) from the service
 *    file, for what is still missing;
 * 3. the `PG*` environment variables, for what is still missing;
 * 4. defaults: the OS user, `dbname` = user, the socket directory
 *    `/var/run/postgresql` (Debian's libpq; upstream's is `/tmp`), port 5432,
 *    `~/.pgpass`, and `~/.postgresql/root.crt`, `postgresql.crt`,
 *    `postgresql.key`, `root.crl` when they exist.
 *
 * With a connection string the key words merge exactly as in libpq. With an
 * options object, a field that is set hides every key word that would set it
 * (an explicit `sslRootCert` hides `PGSSLROOTCERT`); a field set to an empty
 * string counts as not set, as in libpq's `PQconnectdbParams`.
 *
 * The environment is an explicit input (default: this process's).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type { PgConnectionConfig, ResolvedConfig } from "../Config.ts"
import { ConfigError } from "./ConfigError.ts"
import { parseConnInfo } from "./ConnectionString.ts"
import { type Environment, fromEnv, startupParametersFromEnv } from "./Env.ts"
import { type ConfigFiles, homeDirectory, nodeFiles, osUserName, processEnv } from "./Files.ts"
import { type ConnInfo, DEFAULT_SOCKET_DIR, DEFAULT_SYSCONF_DIR, type Keyword, KEYWORDS } from "./Keywords.ts"
import { toConfig } from "./Options.ts"
import { resolve } from "./Resolve.ts"
import { lookupService } from "./ServiceFile.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface LoadOptions {
  /** The environment variables; default this process's (`process.env`). */
  readonly env?: Environment | undefined
  /** Where files are read from; default the real file system. */
  readonly files?: ConfigFiles | undefined
  /** The home directory (for `~/.pgpass`, `~/.pg_service.conf`, `~/.postgresql`); default `HOME`, else the OS's. */
  readonly home?: string | undefined
  /** The default user name; default the OS user this process runs as. */
  readonly osUser?: string | undefined
}

type MutableConnInfo = { -readonly [K in Keyword]?: string }

/** The fallback key words, minus those whose fields the options object sets. */
const unsetIn = (config: PgConnectionConfig, info: ConnInfo): ConnInfo => {
  const out: MutableConnInfo = {}
  for (const [keyword, value] of Object.entries(info) as ReadonlyArray<[Keyword, string]>) {
    const fields: ReadonlyArray<keyof PgConnectionConfig> = KEYWORDS[keyword].fields
    if (!fields.some((field) => config[field] !== undefined)) out[keyword] = value
  }
  return out
}

/**
 * Finds the settings as libpq does (see the module comment) and resolves
 * them.
 *
 * @since 0.1.0
 * @category constructors
 */
export const load = (input: string | PgConnectionConfig, options?: LoadOptions): Effect.Effect<ResolvedConfig, ConfigError> =>
  Effect.gen(function*() {
    const env = options?.env ?? processEnv()
    const files = options?.files ?? nodeFiles
    const home = options?.home ?? homeDirectory(env)

    const explicit: ConnInfo | PgConnectionConfig = typeof input === "string" ? yield* Effect.fromResult(parseConnInfo(input)) : input
    const given = (keyword: "service" | "servicefile"): string | undefined =>
      typeof input === "string"
        ? (explicit as ConnInfo)[keyword]
        : keyword === "service"
        ? input.service
        : input.serviceFile

    const envInfo: MutableConnInfo = { ...fromEnv(env) }
    const service = given("service") ?? envInfo.service
    let serviceInfo: ConnInfo = {}
    if (service !== undefined) {
      const serviceFile = given("servicefile") ?? envInfo.servicefile
      serviceInfo = yield* lookupService(files, service, {
        serviceFile: serviceFile === "" ? undefined : serviceFile,
        home,
        sysconfDir: env.PGSYSCONFDIR ?? DEFAULT_SYSCONF_DIR
      })
    }
    delete envInfo.service
    delete envInfo.servicefile
    const fallback: ConnInfo = { ...envInfo, ...serviceInfo }

    let config: PgConnectionConfig
    if (typeof input === "string") {
      config = yield* Effect.fromResult(toConfig({ ...fallback, ...(explicit as ConnInfo) }))
    } else {
      // As libpq's PQconnectdbParams, an empty string is no value: the fallbacks still apply.
      const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined && v !== "")) as PgConnectionConfig
      const fromFallback = yield* Effect.fromResult(toConfig(unsetIn(given, fallback)))
      config = { ...fromFallback, ...given }
    }

    const user = config.user ?? options?.osUser ?? osUserName()
    if (user === undefined) {
      return yield* new ConfigError({ message: "no user name given, and the OS user name is unknown", key: "user" })
    }
    const defaults = yield* defaultFiles(files, home, config)
    const envParameters = startupParametersFromEnv(env)
    return yield* resolve(
      {
        ...defaults,
        ...config,
        user,
        ...(Object.keys(envParameters).length > 0 ? { parameters: { ...envParameters, ...config.parameters } } : {})
      },
      { files, defaultHost: DEFAULT_SOCKET_DIR, defaultUser: user }
    )
  })

/** libpq's default file locations, for what the configuration does not name; only files that exist. */
const defaultFiles = (files: ConfigFiles, home: string | undefined, config: PgConnectionConfig) =>
  Effect.gen(function*() {
    const out: { -readonly [K in keyof PgConnectionConfig]?: PgConnectionConfig[K] } = {}
    if (home === undefined) return out
    if (config.passfile === undefined) out.passfile = `${home}/.pgpass`
    const exists = (name: string) => Effect.map(files.stat(`${home}/.postgresql/${name}`), (info) => info?.isFile === true)
    const path = (name: string) => `${home}/.postgresql/${name}`
    if (config.sslRootCert === undefined && config.sslRootCertFile === undefined && (yield* exists("root.crt"))) {
      out.sslRootCertFile = path("root.crt")
    }
    if (config.sslCrl === undefined && config.sslCrlFile === undefined && (yield* exists("root.crl"))) {
      out.sslCrlFile = path("root.crl")
    }
    let hasCert = config.sslCert !== undefined || config.sslCertFile !== undefined
    if (!hasCert && (yield* exists("postgresql.crt"))) {
      out.sslCertFile = path("postgresql.crt")
      hasCert = true
    }
    if (hasCert && config.sslKey === undefined && config.sslKeyFile === undefined && (yield* exists("postgresql.key"))) {
      out.sslKeyFile = path("postgresql.key")
    }
    return out
  })
