/**
 * `effect-pgwire proxy`: our server in front of an upstream PostgreSQL.
 * TLS and authentication end here (`--users`, `--tls-cert`/`--tls-key`);
 * each client session gets its own upstream session, opened with the
 * client's configuration rules from `--upstream`. The upstream is checked
 * at start-up, so a bad URL or an unreachable server is reported at once.
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type * as CliError from "effect/cli/CliError"
import { ProxyEngine } from "../engines/proxy/ProxyEngine.ts"
import { AuthProvider } from "../server/index.ts"
import { failure } from "./Failure.ts"
import { connectionUrl, listen, type Started } from "./Serve.ts"
import { readTls, type TlsFiles } from "./Tls.ts"
import { usersAuth } from "./Users.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface ProxyOptions {
  readonly upstream: string
  readonly host: string
  readonly port: number
  readonly usersFile: string | undefined
  readonly tls: TlsFiles | undefined
  readonly log: boolean
  readonly maxConnections: number
}

/**
 * Parses `--listen`: `host:port`, `:port`, `port` or `host`.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseListen = (text: string, defaultPort: number): { readonly host: string; readonly port: number } | undefined => {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text)
  if (bracket !== null) return { host: bracket[1]!, port: bracket[2] === undefined ? defaultPort : Number(bracket[2]) }
  if (/^\d+$/.test(text)) return { host: "127.0.0.1", port: Number(text) }
  const colon = text.lastIndexOf(":")
  if (colon === -1) return text === "" ? undefined : { host: text, port: defaultPort }
  if (text.indexOf(":") !== colon) return { host: text, port: defaultPort }
  const port = text.slice(colon + 1)
  if (!/^\d+$/.test(port) || Number(port) > 65535) return undefined
  return { host: text.slice(0, colon) === "" ? "127.0.0.1" : text.slice(0, colon), port: Number(port) }
}

/**
 * Starts the proxy in the current scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const proxy = (options: ProxyOptions): Effect.Effect<Started, CliError.UserError, Scope.Scope> =>
  Effect.gen(function*() {
    const tls = options.tls === undefined ? undefined : yield* readTls(options.tls)
    const auth = options.usersFile === undefined ? AuthProvider.trust : yield* usersAuth(options.usersFile)
    const engine = yield* Effect.mapError(
      ProxyEngine.make({
        upstream: options.upstream,
        log: options.log
          ? (entry) => Console.error(`[${entry.processId} ${entry.user}] ${entry.durationMillis.toFixed(2)} ms ${entry.outcome}: ${entry.sql.replaceAll(/\s+/g, " ").slice(0, 500)}`)
          : undefined
      }),
      (error) => failure(`${error.message} (check --upstream: a postgres:// URL or key=value string; PG* variables and ~/.pgpass fill the gaps)`, error)
    )
    const { server } = yield* listen(
      { host: options.host, maxConnections: options.maxConnections, parameters: engine.parameters, ...(tls === undefined ? {} : { tls }) },
      options.port,
      engine.handler,
      auth
    )
    const port = server.tcp?.port ?? 0
    const url = connectionUrl("USER", options.host, port, engine.config.database, tls !== undefined)
    const line = `effect-pgwire proxy: ${options.host}:${port} -> ${engine.config.host}:${engine.config.port}/${engine.config.database} (PostgreSQL ${
      engine.parameters.server_version ?? "?"
    }); ${options.usersFile === undefined ? "no password (trust)" : `users from ${options.usersFile}, SCRAM-SHA-256`}${tls === undefined ? "" : ", TLS"}\n  psql "${url}"`
    return { server, url, line }
  })
