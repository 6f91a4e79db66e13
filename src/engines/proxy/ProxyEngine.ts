/**
 * The proxy engine: TLS and authentication end at our server (its own
 * users, SCRAM verifiers), and each session runs against its own session on
 * an upstream PostgreSQL, or any database that speaks the protocol, opened
 * with the client's configuration rules (`load`: URL or key=value string,
 * `PG*` variables, pgpass, sslmode).
 *
 * After startup the session is relayed (`QueryHandlerShape.relay`): the
 * client's messages go upstream as sent and the upstream's answers come
 * back undecoded, so the simple and extended protocols, COPY in both
 * directions, notifications and ParameterStatus behave exactly as the
 * upstream makes them. The server keeps the message size limits, the
 * timeouts and shutdown; a CancelRequest with the session's key is
 * forwarded to the upstream session.
 *
 * An optional query log gets every statement with its duration
 * (`QueryLog.ts`).
 *
 * What it is not: a connection pooler; every client session has its own
 * upstream session for its lifetime.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { load, type PgConnectionConfig, type ResolvedConfig } from "../../client/Config.ts"
import { pgError, type PgError, QueryHandler, type QueryHandlerShape, type Session, type SessionRelay } from "../../server/index.ts"
import { EngineError } from "../EngineError.ts"
import { makeQueryLog, type QueryLogEntry } from "./QueryLog.ts"
import { open, type Upstream } from "./Upstream.ts"

export type { QueryLogEntry } from "./QueryLog.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface ProxyEngineOptions {
  /** The upstream: a `postgres://` URL, a key=value string, or options; `PG*` variables and pgpass fill the gaps. */
  readonly upstream: string | PgConnectionConfig
  /** Also read the `PG*` environment variables (default true). */
  readonly environment?: boolean | undefined
  /** Called after every statement. */
  readonly log?: ((entry: QueryLogEntry) => Effect.Effect<void>) | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ProxyEngineShape {
  readonly handler: QueryHandlerShape
  /** ParameterStatus values of the upstream (`server_version`, ...), for `PgServerOptions.parameters`. */
  readonly parameters: Readonly<Record<string, string>>
  /** The resolved upstream configuration. */
  readonly config: ResolvedConfig
}

const startupOnly = new Set(["user", "database", "replication"])

const startupOf = (config: ResolvedConfig, session: Session): ResolvedConfig => {
  const parameters: Record<string, string> = { ...config.startupParameters }
  for (const [name, value] of Object.entries(session.startupParameters)) {
    if (!startupOnly.has(name) && !name.startsWith("_pq_.")) parameters[name] = value
  }
  return { ...config, startupParameters: parameters }
}

/**
 * Starts the engine: loads the configuration and checks that the upstream
 * answers (one session, opened and closed).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fnUntraced(function*(options: ProxyEngineOptions): Effect.fn.Return<ProxyEngineShape, EngineError, Scope.Scope> {
  const config = yield* Effect.mapError(
    load(options.upstream, options.environment === false ? { env: {} } : undefined),
    (error) => new EngineError({ engine: "proxy", message: `invalid upstream connection string: ${error.message}`, cause: error })
  )
  const probe = yield* Effect.mapError(
    open(config),
    (error) => new EngineError({ engine: "proxy", message: `upstream ${config.host}:${config.port}: ${error.message}`, cause: error })
  )
  yield* probe.close
  const parameters: Record<string, string> = {}
  for (const [name, value] of probe.info.parameters) {
    if (name === "server_version" || name === "server_encoding" || name === "integer_datetimes") parameters[name] = value
  }
  const sessions = new Map<number, Upstream>()
  const log = options.log

  const startSession: QueryHandlerShape["startSession"] = (session) =>
    Effect.map(open(startupOf(config, session)), (upstream) => {
      sessions.set(session.processId, upstream)
    })

  const relay = (session: Session): Effect.Effect<SessionRelay, PgError> => {
    const upstream = sessions.get(session.processId)
    if (upstream === undefined) return Effect.fail(pgError("08003", "the proxy has no upstream session for this session"))
    if (log === undefined) return Effect.succeed({ send: upstream.send, receive: upstream.receive, cancel: upstream.cancel })
    const queryLog = makeQueryLog(session.processId, session.user)
    // Entries completed by the bytes just passed on are written before the next read.
    const written = Effect.suspend(() => Effect.forEach(queryLog.entries(), log, { discard: true }))
    return Effect.succeed({
      send: upstream.send,
      receive: Effect.andThen(written, upstream.receive),
      cancel: upstream.cancel,
      inspect: queryLog
    })
  }

  const endSession: QueryHandlerShape["endSession"] = (session) =>
    Effect.suspend(() => {
      const upstream = sessions.get(session.processId)
      sessions.delete(session.processId)
      return upstream === undefined ? Effect.void : upstream.close
    })

  const handler = QueryHandler.relay({ startSession, relay, endSession })
  yield* Effect.addFinalizer(() => Effect.forEach(Array.from(sessions.values()), (upstream) => upstream.close, { discard: true }))
  return { handler, parameters, config }
})

/**
 * @since 0.1.0
 * @category services
 */
export class ProxyEngine extends Context.Service<ProxyEngine, ProxyEngineShape>()("effect-pgwire/engines/ProxyEngine") {
  static readonly make = make

  static readonly layer = (options: ProxyEngineOptions): Layer.Layer<ProxyEngine, EngineError> => Layer.effect(ProxyEngine)(make(options))

  /** The engine's handler as the server's `QueryHandler`. */
  static readonly queryHandler: Layer.Layer<QueryHandler, never, ProxyEngine> = Layer.effect(QueryHandler)(
    Effect.map(ProxyEngine, (engine: ProxyEngineShape) => engine.handler)
  )
}
