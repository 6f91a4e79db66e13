/**
 * The proxy engine: TLS and authentication end at our server (its own
 * users, SCRAM verifiers), and each session runs against its own session on
 * an upstream PostgreSQL, or any database that speaks the protocol, opened
 * with the client's configuration rules (`load`: URL or key=value string,
 * `PG*` variables, pgpass, sslmode).
 *
 * Statements go upstream on the extended protocol: Parse (named upstream
 * statements, cached per session and SQL text), Bind with the client's
 * parameters and formats as sent, Describe, Execute, then Sync when the
 * transaction the server tracks ends. Rows come back as the upstream wrote
 * them (text) or decoded for the session's binary writers. COPY is streamed
 * both ways; a cancel is forwarded to the upstream session (CancelRequest),
 * and the statement's answer drained; notifications and ParameterStatus of
 * the upstream session reach the client when they arrive.
 *
 * An optional query log gets every statement with its duration.
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
import type { BackendMessage, FrontendMessage, TransactionStatus } from "../../protocol/index.ts"
import {
  type Field,
  pgError,
  type PgError,
  type PreparedStatement,
  QueryHandler,
  type QueryHandlerShape,
  type QueryResult,
  Results,
  type Session
} from "../../server/index.ts"
import { EngineError } from "../EngineError.ts"
import { readAnswer, resultOf, statusAfter } from "../internal/Results.ts"
import { errorOf, fieldsOf, runUnnamed } from "../pglite/internal/Wire.ts"
import { open, type Upstream } from "./Upstream.ts"

/**
 * One line of the query log.
 *
 * @since 0.1.0
 * @category models
 */
export interface QueryLogEntry {
  readonly processId: number
  readonly user: string
  readonly sql: string
  readonly durationMillis: number
  /** The command tag, or the error's SQLSTATE and message. */
  readonly outcome: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ProxyEngineOptions {
  /** The upstream: a `postgres://` URL, a key=value string, or options; `PG*` variables and pgpass fill the gaps. */
  readonly upstream: string | PgConnectionConfig
  /** Also read the `PG*` environment variables (default true). */
  readonly environment?: boolean | undefined
  /** Upstream statements kept per session (default 256). */
  readonly statementCacheSize?: number | undefined
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

interface ProxySession {
  readonly session: Session
  readonly upstream: Upstream
  status: TransactionStatus
  implicitOpen: boolean
  unsynced: boolean
  readonly statements: Map<string, PreparedStatement>
  nextName: number
}

const endsStatement = (m: BackendMessage): boolean =>
  m._tag === "CommandComplete" || m._tag === "EmptyQueryResponse" || m._tag === "ErrorResponse" ||
  m._tag === "PortalSuspended" || m._tag === "CopyInResponse"
const endsDescribe = (m: BackendMessage): boolean => m._tag === "RowDescription" || m._tag === "NoData" || m._tag === "ErrorResponse"
const endsCopy = (m: BackendMessage): boolean => m._tag === "CommandComplete" || m._tag === "ErrorResponse"
const isReady = (m: BackendMessage): boolean => m._tag === "ReadyForQuery"
const endsClose = (count: number) => {
  let seen = 0
  return (m: BackendMessage): boolean => m._tag === "CloseComplete" && ++seen === count
}

/** A result as a log line names it: the command tag, or the command and the rows sent. */
const outcomeOf = (result: QueryResult): string => {
  switch (result._tag) {
    case "Command":
      return result.tag
    case "Rows":
      return Array.isArray(result.rows) ? `${result.command ?? "SELECT"} ${result.rows.length}` : result.command ?? "SELECT"
    case "CopyOut":
      return result.tag ?? "COPY"
    case "CopyIn":
      return "COPY FROM STDIN"
    case "Empty":
      return "EMPTY"
  }
}

const flush: FrontendMessage = { _tag: "Flush" }
const sync: FrontendMessage = { _tag: "Sync" }

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
    open(config, { onNotification: () => Effect.void, onParameter: () => Effect.void }),
    (error) => new EngineError({ engine: "proxy", message: `upstream ${config.host}:${config.port}: ${error.message}`, cause: error })
  )
  yield* probe.close
  const parameters: Record<string, string> = {}
  for (const [name, value] of probe.info.parameters) {
    if (name === "server_version" || name === "server_encoding" || name === "integer_datetimes") parameters[name] = value
  }
  const cacheSize = options.statementCacheSize ?? 256
  const sessions = new Map<number, ProxySession>()
  const log = options.log

  const stateOf = (session: Session): Effect.Effect<ProxySession, PgError> => {
    const state = sessions.get(session.processId)
    return state === undefined ? Effect.fail(pgError("08003", "the proxy has no upstream session for this session")) : Effect.succeed(state)
  }

  /** After an error the upstream skips to Sync: Sync now, and take its status. */
  const recover = (state: ProxySession, error: PgError): Effect.Effect<never, PgError> =>
    Effect.flatMap(state.upstream.exchange([sync], isReady), (answer) => {
      for (const m of answer) if (m._tag === "ReadyForQuery") state.status = m.transactionStatus
      state.unsynced = false
      state.implicitOpen = false
      return Effect.fail(error)
    })

  /** Sync when nothing keeps a transaction open (after COMMIT, say), so the upstream session is idle. */
  const syncIfIdle = (state: ProxySession): Effect.Effect<void, PgError> => {
    if (!state.unsynced || state.implicitOpen || state.status !== "I") return Effect.void
    return Effect.map(state.upstream.exchange([sync], isReady), (answer) => {
      for (const m of answer) if (m._tag === "ReadyForQuery") state.status = m.transactionStatus
      state.unsynced = false
    })
  }

  const evict = (state: ProxySession): Effect.Effect<void, PgError> => {
    const names = Array.from(state.statements.values(), (s) => (s.plan as { readonly name: string }).name)
    state.statements.clear()
    if (names.length === 0) return Effect.void
    state.unsynced = true
    return Effect.asVoid(
      state.upstream.exchange([...names.map((name): FrontendMessage => ({ _tag: "Close", target: "statement", name })), flush], endsClose(names.length))
    )
  }

  const prepare: QueryHandlerShape["prepare"] = (request) =>
    Effect.flatMap(stateOf(request.session), (state) => {
      if (request.protocol === "simple") {
        return Effect.succeed<PreparedStatement>({ sql: request.sql, parameterTypes: [], fields: undefined })
      }
      const key = `${request.sql}\u0000${request.parameterTypes.join(",")}`
      const cached = state.statements.get(key)
      if (cached !== undefined) return Effect.succeed(cached)
      return Effect.gen(function*() {
        if (state.statements.size >= cacheSize) yield* evict(state)
        const name = `pgwire_${state.nextName++}`
        state.unsynced = true
        const answer = yield* state.upstream.exchange([
          { _tag: "Parse", name, query: request.sql, parameterTypes: request.parameterTypes },
          { _tag: "Describe", target: "statement", name },
          flush
        ], endsDescribe)
        let types: ReadonlyArray<number> = request.parameterTypes
        let fields: ReadonlyArray<Field> | undefined
        for (const m of answer) {
          if (m._tag === "ErrorResponse") return yield* recover(state, errorOf(m.fields))
          if (m._tag === "ParameterDescription") types = m.parameterTypes
          else if (m._tag === "RowDescription") fields = fieldsOf(m.fields)
        }
        yield* syncIfIdle(state)
        const statement: PreparedStatement = { sql: request.sql, parameterTypes: types, fields, plan: { name } }
        state.statements.set(key, statement)
        return statement
      })
    })

  /** A cancel or an interruption: the upstream is asked to cancel, its answer drained, the work undone. */
  const abort = (state: ProxySession) =>
    Effect.gen(function*() {
      yield* state.upstream.cancel
      const rest = yield* state.upstream.collect(endsStatement)
      const failed = rest.some((m) => m._tag === "ErrorResponse")
      const undo: Array<FrontendMessage> = failed
        ? [sync]
        : state.status === "I"
        ? [...runUnnamed("ROLLBACK", [], [], [], []), sync]
        : [...runUnnamed("DO $$BEGIN RAISE EXCEPTION 'canceling statement due to user request' USING ERRCODE = '57014'; END$$", [], [], [], []), sync]
      const answer = yield* state.upstream.exchange(undo, isReady)
      for (const m of answer) if (m._tag === "ReadyForQuery") state.status = m.transactionStatus
      state.unsynced = false
      state.implicitOpen = false
    }).pipe(Effect.ignore)

  const copyIn = (state: ProxySession, format: number, columns: number) => {
    const receiver: Results.CopyReceiver = {
      data: (chunk) => state.upstream.send([{ _tag: "CopyData", data: chunk }]),
      done: Effect.flatMap(state.upstream.exchange([{ _tag: "CopyDone" }, flush], endsCopy), (answer) => {
        let tag = "COPY 0"
        for (const m of answer) {
          if (m._tag === "ErrorResponse") return recover(state, errorOf(m.fields))
          if (m._tag === "CommandComplete") tag = m.tag
        }
        return Effect.as(syncIfIdle(state), tag)
      }),
      fail: (message) =>
        Effect.ignore(Effect.flatMap(state.upstream.exchange([{ _tag: "CopyFail", message }, flush], endsCopy), () => recover(state, pgError("57014", message))))
    }
    return Results.copyIn(format === 1 ? "binary" : "text", columns, receiver)
  }

  const execute: QueryHandlerShape["execute"] = (request) =>
    Effect.flatMap(stateOf(request.session), (state) => {
      const statement = request.statement
      const name = (statement.plan as { readonly name?: string } | undefined)?.name
      const bind: FrontendMessage = {
        _tag: "Bind",
        portal: "",
        statement: name ?? "",
        parameterFormats: request.parameterFormats,
        parameters: request.rawParameters,
        resultFormats: request.resultFormats
      }
      const messages: Array<FrontendMessage> = name === undefined
        ? [{ _tag: "Parse", name: "", query: statement.sql, parameterTypes: statement.parameterTypes }, bind]
        : [bind]
      messages.push({ _tag: "Describe", target: "portal", name: "" }, { _tag: "Execute", portal: "", maxRows: 0 }, flush)
      const started = performance.now()
      const run = Effect.gen(function*() {
        state.unsynced = true
        const answer = yield* state.upstream.exchange(messages, endsStatement).pipe(Effect.onInterrupt(() => abort(state)))
        for (const m of answer) if (m._tag === "NoticeResponse") yield* Effect.ignore(state.session.notice(m.fields))
        const last = answer[answer.length - 1]
        if (last?._tag === "CopyInResponse") {
          if (request.implicitTransaction && state.status === "I") state.implicitOpen = true
          return copyIn(state, last.format, last.columnFormats.length)
        }
        const read = readAnswer(answer, request.resultFormats)
        if (read.error !== undefined) {
          if (read.error.code === "0A000" || read.error.code === "26000") yield* evict(state)
          return yield* recover(state, read.error)
        }
        state.status = statusAfter(read.tag, statement.sql, state.status)
        if (state.status !== "I") state.implicitOpen = false
        else if (request.implicitTransaction) state.implicitOpen = true
        const result = resultOf(read, request.protocol, statement.fields, state.status)
        if (!("_tag" in result) || result._tag === "PgError") {
          yield* evict(state)
          return yield* recover(state, result as PgError)
        }
        yield* syncIfIdle(state)
        return result
      })
      if (log === undefined) return run
      const entry = (outcome: string) =>
        log({
          processId: request.session.processId,
          user: request.session.user,
          sql: statement.sql,
          durationMillis: performance.now() - started,
          outcome
        })
      return run.pipe(
        Effect.tap((result) => entry(outcomeOf(result))),
        Effect.tapError((error) => entry(`${error.code} ${error.message}`))
      )
    })

  const endImplicitTransaction: QueryHandlerShape["endImplicitTransaction"] = (session, outcome) =>
    Effect.suspend(() => {
      const state = sessions.get(session.processId)
      if (state === undefined || !state.implicitOpen) return Effect.void
      state.implicitOpen = false
      const messages: Array<FrontendMessage> = outcome === "rollback" && state.status !== "E"
        ? [...runUnnamed("ROLLBACK", [], [], [], []), sync]
        : [sync]
      return Effect.flatMap(state.upstream.exchange(messages, isReady), (answer) => {
        state.unsynced = false
        let error: PgError | undefined
        for (const m of answer) {
          if (m._tag === "ReadyForQuery") state.status = m.transactionStatus
          else if (m._tag === "ErrorResponse") error = errorOf(m.fields)
        }
        return error === undefined ? Effect.void : Effect.fail(error)
      })
    })

  const startSession: QueryHandlerShape["startSession"] = (session) =>
    Effect.map(
      open(startupOf(config, session), {
        onNotification: (channel, payload, processId) => Effect.ignore(session.notify(channel, payload, processId)),
        onParameter: (name, value) => Effect.ignore(session.set(name, value))
      }),
      (upstream) => {
        sessions.set(session.processId, {
          session,
          upstream,
          status: upstream.info.transactionStatus,
          implicitOpen: false,
          unsynced: false,
          statements: new Map(),
          nextName: 0
        })
      }
    )

  const endSession: QueryHandlerShape["endSession"] = (session) =>
    Effect.suspend(() => {
      const state = sessions.get(session.processId)
      sessions.delete(session.processId)
      return state === undefined ? Effect.void : state.upstream.close
    })

  const handler = QueryHandler.make({ prepare, execute, endImplicitTransaction, startSession, endSession })
  yield* Effect.addFinalizer(() => Effect.forEach(Array.from(sessions.values()), (s) => s.upstream.close, { discard: true }))
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
