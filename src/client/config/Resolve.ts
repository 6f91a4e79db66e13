/**
 * From an options object to a `ResolvedConfig`: defaults filled in, the
 * combination checked, the host list turned into targets, and the files the
 * object names read (certificates, revocation lists, the password file).
 * Nothing comes from the environment here; `Load.ts` adds that.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import type { ClientAuthMethod } from "../../auth/ChannelBinding.ts"
import { systemRootCertificates } from "../../transport/Connect.ts"
import type { SslMode } from "../../transport/Transport.ts"
import type { HostTarget, PgConnectionConfig, ResolvedConfig, TlsProtocolVersion } from "../Config.ts"
import { ConfigError } from "./ConfigError.ts"
import { type ConfigFiles, nodeFiles } from "./Files.ts"
import { parseIntParam } from "./Options.ts"
import { passwordFromFile } from "./PgPass.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface ResolveOptions {
  /** Where files are read from; default the real file system. */
  readonly files?: ConfigFiles | undefined
  /** The host of an empty host entry (or of no host at all). Default "localhost". */
  readonly defaultHost?: string | undefined
  /** The user when none is given. Default "postgres". */
  readonly defaultUser?: string | undefined
}

const requireAuthMethods: Record<string, ReadonlyArray<ClientAuthMethod>> = {
  password: ["cleartext"],
  md5: ["md5"],
  gss: ["gss", "kerberos-v5"],
  sspi: ["sspi"],
  "scram-sha-256": ["scram-sha-256", "scram-sha-256-plus"],
  none: ["trust"]
}

const requireAuthError = (message: string) => new ConfigError({ message, key: "require_auth" })

const parseRequireAuth = (
  spec: ReadonlyArray<string> | string | undefined
): Result.Result<(method: ClientAuthMethod) => boolean, ConfigError> => {
  const entries = (typeof spec === "string" ? spec.split(",") : spec ?? []).map((s) => s.trim()).filter((s) => s.length > 0)
  if (entries.length === 0) return Result.succeed(() => true)
  const negated = entries[0]!.startsWith("!")
  const methods = new Set<ClientAuthMethod>()
  const seen = new Set<string>()
  for (const entry of entries) {
    if (entry.startsWith("!") !== negated) {
      return Result.fail(requireAuthError(
        negated
          ? `require_auth method "${entry}" cannot be mixed with negative methods`
          : `negative require_auth method "${entry}" cannot be mixed with non-negative methods`
      ))
    }
    const name = negated ? entry.slice(1) : entry
    const mapped = requireAuthMethods[name]
    if (mapped === undefined) return Result.fail(requireAuthError(`invalid require_auth value: "${name}"`))
    // A repeated method is probably a typo in a setting where typos are risky; libpq refuses it too.
    if (seen.has(name)) return Result.fail(requireAuthError(`require_auth method "${entry}" is specified more than once`))
    seen.add(name)
    for (const m of mapped) methods.add(m)
  }
  return Result.succeed(negated ? (m) => !methods.has(m) : (m) => methods.has(m))
}

const sslModes: ReadonlyArray<SslMode> = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

/**
 * Whether `text` is a numeric IPv4 or IPv6 address (what `hostaddr` must be).
 *
 * @since 0.1.0
 * @category guards
 */
export const isIpAddress = (text: string): boolean => {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)
  if (v4 !== null) return v4.slice(1).every((part) => Number(part) <= 255)
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(":")) return false
  try {
    new URL(`http://[${text}]/`)
    return true
  } catch {
    return false
  }
}

const splitList = (value: string | undefined): ReadonlyArray<string> | undefined =>
  value === undefined || value === "" ? undefined : value.split(",")

const portNumber = (text: string): Result.Result<number, ConfigError> => {
  if (text === "") return Result.succeed(5432)
  return Result.flatMap(parseIntParam("port", text), (port) =>
    port >= 1 && port <= 65535
      ? Result.succeed(port)
      : Result.fail(new ConfigError({ message: `invalid port number: "${text}"`, key: "port" })))
}

interface Address {
  readonly host: string
  readonly hostaddr: string | undefined
  readonly port: number
}

/**
 * The hosts to try, as libpq pairs `host`, `hostaddr` and `port`: as many as
 * `hostaddr` entries if given, else `host` entries, else one; `host` must
 * then have as many entries; `port` one for all or one each.
 *
 * @since 0.1.0
 * @category constructors
 */
export const addresses = (
  config: Pick<PgConnectionConfig, "host" | "hostaddr" | "port">,
  defaultHost: string
): Result.Result<ReadonlyArray<Address>, ConfigError> => {
  const hosts = splitList(config.host)
  const hostaddrs = splitList(config.hostaddr)
  const count = hostaddrs?.length ?? hosts?.length ?? 1
  if (hostaddrs !== undefined && hosts !== undefined && hosts.length !== count) {
    return Result.fail(new ConfigError({ message: `could not match ${hosts.length} host names to ${count} hostaddr values`, key: "host" }))
  }
  let ports: ReadonlyArray<string> | undefined
  if (typeof config.port === "number") {
    if (!Number.isInteger(config.port) || config.port < 1 || config.port > 65535) {
      return Result.fail(new ConfigError({ message: `invalid port number: "${config.port}"`, key: "port" }))
    }
    ports = [String(config.port)]
  } else {
    ports = splitList(config.port)
  }
  if (ports !== undefined && ports.length !== 1 && ports.length !== count) {
    return Result.fail(new ConfigError({ message: `could not match ${ports.length} port numbers to ${count} hosts`, key: "port" }))
  }
  const out: Array<Address> = []
  for (let i = 0; i < count; i++) {
    const hostaddr = hostaddrs?.[i] === "" ? undefined : hostaddrs?.[i]
    const named = hosts?.[i] ?? ""
    if (hostaddr !== undefined && !isIpAddress(hostaddr)) {
      return Result.fail(new ConfigError({ message: `could not parse network address "${hostaddr}"`, key: "hostaddr" }))
    }
    const port = portNumber(ports === undefined ? "" : ports.length === 1 ? ports[0]! : ports[i]!)
    if (Result.isFailure(port)) return Result.fail(port.failure)
    out.push({ host: named !== "" ? named : hostaddr ?? defaultHost, hostaddr, port: port.success })
  }
  return Result.succeed(out)
}

const redacted = <A>(value: A | Redacted.Redacted<A> | undefined): Redacted.Redacted<A> | undefined =>
  value === undefined ? undefined : Redacted.isRedacted(value) ? value : Redacted.make(value)

const either = <A>(
  key: string,
  content: A | undefined,
  file: string | undefined,
  read: (path: string) => Effect.Effect<A, ConfigError>
): Effect.Effect<A | undefined, ConfigError> => {
  if (content !== undefined && file !== undefined) {
    return Effect.fail(new ConfigError({ message: `${key}: give the content or the file, not both`, key }))
  }
  return file === undefined ? Effect.succeed(content) : read(file)
}

/** libpq refuses a key file others may read: 0600 or less, or 0640 or less when root owns it. */
const readKeyFile = (files: ConfigFiles, path: string) =>
  Effect.gen(function*() {
    const info = yield* files.stat(path)
    if (info === undefined) return yield* new ConfigError({ message: `certificate key file "${path}" does not exist`, key: "sslkey" })
    if (files.uid !== undefined) {
      if (!info.isFile) return yield* new ConfigError({ message: `private key file "${path}" is not a regular file`, key: "sslkey" })
      const unsafe = info.uid === 0 ? (info.mode & 0o037) !== 0 : (info.mode & 0o077) !== 0
      if (unsafe) {
        return yield* new ConfigError({
          message: `private key file "${path}" has group or world access; file must have permissions u=rw (0600) or less if owned by the current user, or permissions u=rw,g=r (0640) or less if owned by root`,
          key: "sslkey"
        })
      }
    }
    return Redacted.make<string | Uint8Array>(yield* files.readText(path, "sslkey"))
  })

const readCrlDir = (files: ConfigFiles, dir: string) =>
  Effect.gen(function*() {
    const parts: Array<string> = []
    for (const name of yield* files.list(dir, "sslcrldir")) {
      const path = `${dir}/${name}`
      if ((yield* files.stat(path))?.isFile === true) parts.push(yield* files.readText(path, "sslcrldir"))
    }
    return parts.join("\n")
  })

const tlsRank: Record<TlsProtocolVersion, number> = { "TLSv1": 0, "TLSv1.1": 1, "TLSv1.2": 2, "TLSv1.3": 3 }

/**
 * Fills in defaults, checks the combination, and reads the files the
 * configuration names.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolve = (config: PgConnectionConfig, options?: ResolveOptions): Effect.Effect<ResolvedConfig, ConfigError> =>
  Effect.gen(function*() {
    const files = options?.files ?? nodeFiles
    const fail = (key: string, message: string) => Effect.fail(new ConfigError({ message, key }))
    const user = config.user ?? options?.defaultUser ?? "postgres"
    const database = config.database ?? user

    const systemRoots = config.sslRootCertFile === "system"
    const sslMode = config.sslMode ?? (systemRoots ? "verify-full" : "prefer")
    if (!sslModes.includes(sslMode)) return yield* fail("sslmode", `invalid sslmode value: "${sslMode}"`)
    if (systemRoots && sslMode !== "verify-full") {
      return yield* fail("sslmode", `weak sslmode "${sslMode}" may not be used with sslrootcert=system (use "verify-full")`)
    }
    const sslNegotiation = config.sslNegotiation ?? "postgres"
    if (sslNegotiation === "direct" && (sslMode === "disable" || sslMode === "allow" || sslMode === "prefer")) {
      return yield* fail(
        "sslnegotiation",
        `weak sslmode "${sslMode}" may not be used with sslnegotiation=direct (use "require", "verify-ca", or "verify-full")`
      )
    }

    const sslMin = config.sslMinProtocolVersion ?? "TLSv1.2"
    const sslMax = config.sslMaxProtocolVersion
    if (sslMax !== undefined && tlsRank[sslMin] > tlsRank[sslMax]) return yield* fail("ssl_min_protocol_version", "invalid SSL protocol version range")
    if (sslMax !== undefined && tlsRank[sslMax] < tlsRank["TLSv1.2"]) {
      return yield* fail("ssl_max_protocol_version", `ssl_max_protocol_version ${sslMax} is not supported: TLS 1.2 is the oldest version this client speaks`)
    }
    const minProtocolVersion = config.minProtocolVersion ?? "3.0"
    const maxProtocolVersion = config.maxProtocolVersion ?? "3.2"
    if (minProtocolVersion === "3.2" && maxProtocolVersion === "3.0") {
      return yield* fail("min_protocol_version", `min_protocol_version "3.2" is greater than max_protocol_version "3.0"`)
    }

    const cancelTimeout = Duration.fromInput(config.cancelTimeout ?? Duration.seconds(10))
    if (cancelTimeout._tag === "None") return yield* fail("cancelTimeout", `invalid cancelTimeout ${String(config.cancelTimeout)}`)
    const cache = config.statementCacheSize ?? 128
    if (!Number.isInteger(cache) || cache < 0) return yield* fail("statementCacheSize", `invalid statementCacheSize ${cache}`)
    const authAllowed = yield* Effect.fromResult(parseRequireAuth(config.requireAuth))
    const encoding = config.clientEncoding
    if (encoding !== undefined && !/^(utf-?8|unicode|auto)$/i.test(encoding)) {
      return yield* fail("client_encoding", `client_encoding "${encoding}" is not supported: the client reads every string as UTF-8`)
    }

    // Hosts, and a password for each (the configured one, else the password file's).
    const places = yield* Effect.fromResult(addresses(config, options?.defaultHost ?? "localhost"))
    const password = typeof config.password === "string" && config.password === "" ? undefined : redacted(config.password)
    const warnings: Array<string> = []
    const targets: Array<HostTarget> = []
    for (const place of places) {
      let targetPassword = password
      let passwordFile: string | undefined
      if (password === undefined && config.passfile !== undefined) {
        const lookup = yield* passwordFromFile(files, config.passfile, { host: place.host, port: place.port, database, user })
        if (lookup.warning !== undefined && !warnings.includes(lookup.warning)) warnings.push(lookup.warning)
        if (lookup.password !== undefined) {
          targetPassword = Redacted.make(lookup.password)
          passwordFile = config.passfile
        }
      }
      targets.push({ ...place, password: targetPassword, passwordFile })
    }
    for (const warning of warnings) yield* Effect.logWarning(warning)

    // TLS material: given as content, or read from the named files.
    const readText = (key: string) => (path: string) => files.readText(path, key)
    const sslRootCert = systemRoots
      ? (config.sslRootCert !== undefined
        ? yield* fail("sslrootcert", "sslrootcert: give the content or the file, not both")
        : (yield* Effect.mapError(systemRootCertificates, (e) => new ConfigError({ message: e.message, key: "sslrootcert" }))).join("\n"))
      : yield* either("sslrootcert", config.sslRootCert, config.sslRootCertFile, readText("sslrootcert"))
    const useCert = config.sslCertMode !== "disable"
    const sslCert = useCert ? yield* either("sslcert", config.sslCert, config.sslCertFile, readText("sslcert")) : undefined
    const sslKey = useCert
      ? yield* either("sslkey", redacted(config.sslKey), config.sslKeyFile, (path) => readKeyFile(files, path))
      : undefined
    if (config.sslCertFile !== undefined && useCert && sslKey === undefined) {
      return yield* fail("sslkey", `certificate present, but not private key file (sslcert "${config.sslCertFile}" needs sslkey)`)
    }
    const crlFromFile = yield* either("sslcrl", config.sslCrl, config.sslCrlFile, readText("sslcrl"))
    const crlFromDir = config.sslCrlDir === undefined ? undefined : yield* readCrlDir(files, config.sslCrlDir)
    const sslCrl = crlFromDir === undefined
      ? crlFromFile
      : crlFromFile === undefined
      ? crlFromDir
      : `${typeof crlFromFile === "string" ? crlFromFile : new TextDecoder().decode(crlFromFile)}\n${crlFromDir}`

    const applicationName = config.applicationName !== undefined ? config.applicationName : config.fallbackApplicationName
    const parameters: Record<string, string> = {
      user,
      database,
      client_encoding: "UTF8",
      ...(applicationName !== undefined ? { application_name: applicationName } : {}),
      ...(config.options !== undefined && config.options !== "" ? { options: config.options } : {}),
      ...(config.replication === true || config.replication === "database" ? { replication: String(config.replication) } : {}),
      ...config.parameters
    }
    if (parameters.client_encoding !== "UTF8") {
      return yield* fail("client_encoding", "client_encoding must be UTF8: the codec reads every string as UTF-8")
    }
    const first = targets[0]!
    return {
      host: first.host,
      hostaddr: first.hostaddr,
      port: first.port,
      targets,
      targetSessionAttrs: config.targetSessionAttrs ?? "any",
      loadBalanceHosts: config.loadBalanceHosts ?? "disable",
      database: parameters.database!,
      user: parameters.user!,
      password: first.password,
      startupParameters: parameters,
      sslMode,
      sslNegotiation,
      sslRootCert,
      sslCert,
      sslKey,
      sslPassword: redacted(config.sslPassword),
      sslCrl,
      sslSni: config.sslSni ?? true,
      sslMinProtocolVersion: sslMin === "TLSv1.3" ? "TLSv1.3" : "TLSv1.2",
      sslMaxProtocolVersion: sslMax === "TLSv1.2" || sslMax === "TLSv1.3" ? sslMax : undefined,
      channelBinding: config.channelBinding ?? "prefer",
      authAllowed,
      requireAuthText: typeof config.requireAuth === "string" ? config.requireAuth : (config.requireAuth ?? []).join(","),
      connectTimeout: Duration.fromInputUnsafe(config.connectTimeout ?? Duration.seconds(30)),
      cancelTimeout: cancelTimeout.value,
      keepAlive: config.keepAlive ?? true,
      minProtocolVersion,
      maxProtocolVersion,
      statementCacheSize: cache,
      maxScramIterations: config.maxScramIterations ?? 100_000,
      gssProvider: config.gssProvider,
      krbServiceName: config.krbServiceName ?? "postgres",
      warnings
    } satisfies ResolvedConfig
  })

/**
 * The configuration for connecting to one of its targets: host, hostaddr,
 * port and password are that target's, and it is the only target.
 *
 * @since 0.1.0
 * @category constructors
 */
export const forTarget = (config: ResolvedConfig, target: HostTarget): ResolvedConfig => ({
  ...config,
  host: target.host,
  hostaddr: target.hostaddr,
  port: target.port,
  password: target.password,
  targets: [target]
})
