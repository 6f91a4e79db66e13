/**
 * The embedded engine: one `@electric-sql/pglite` database served to many
 * concurrent sessions, as a `QueryHandler` for `PgServer`.
 *
 * - A session holds the engine for a whole transaction, from its first
 *   statement until the backend is idle again; the others wait their turn,
 *   at most `turnTimeout`, then fail with 55P03 naming the session in the way.
 * - Statement and portal names are per session: the server keeps them, and
 *   every execution parses its statement again on PGlite's unnamed statement
 *   (descriptions are cached per SQL text and dropped after DDL).
 * - Settings are per session: read back after `SET`, `RESET` or
 *   `set_config`, and restored (`RESET ALL` and `set_config`) when the
 *   engine switches to a session with other settings.
 * - LISTEN and UNLISTEN are kept per session; the shared backend listens on
 *   the union, and each notification goes to exactly the sessions listening.
 * - COPY FROM STDIN is buffered until CopyDone, then run in one call; COPY TO
 *   STDOUT is streamed from the result.
 * - A cancel interrupts a statement waiting for its turn at once; a
 *   statement running inside PGlite (which cannot be interrupted) is rolled
 *   back when it returns, and answers 57014.
 *
 * Limits of one PGlite backend, by design: temporary tables, SQL-level
 * `PREPARE` names and `WITH HOLD` cursors are shared by all sessions; every
 * session runs as PGlite's superuser, whatever user it logged in as; the
 * database name is not checked (there is one).
 *
 * PGlite is imported when the engine starts, so users of the client alone
 * never load it.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type { BackendMessage, FrontendMessage } from "../../protocol/index.ts"
import {
  type Field,
  pgError,
  type PgError,
  type PreparedStatement,
  QueryHandler,
  type QueryAnswer,
  type QueryHandlerShape,
  type QueryResult,
  Results,
  type Session,
  splitStatements
} from "../../server/index.ts"
import { EngineError } from "../EngineError.ts"
import { readAnswer, resultOf as toResult, statusAfter } from "../internal/Results.ts"
import { Backend, type EngineSession, type PgliteDatabase, settingsKey } from "./internal/Backend.ts"
import { Turns } from "./internal/Turns.ts"
import { answerOf, encode, errorOf, fieldsOf, identifier, literal, runUnnamed, sync } from "./internal/Wire.ts"
import { classify, mayChangeDescriptions, mayChangeSettings, onlyReads, onlyReadsKeepingSettings, type StatementKind } from "./Statement.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface PgliteEngineOptions {
  /** A data directory (created when missing). Default: an in-memory database. */
  readonly dataDir?: string | undefined
  /** How long a statement waits for another session's transaction to end. Default 30 s. */
  readonly turnTimeout?: Duration.Input | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface PgliteEngineShape {
  /** The handler to serve with `PgServer`. */
  readonly handler: QueryHandlerShape
  /** ParameterStatus values describing this engine (`server_version`, ...), for `PgServerOptions.parameters`. */
  readonly parameters: Readonly<Record<string, string>>
  /** The session holding the engine, and how many wait for it. */
  readonly turns: Effect.Effect<{ readonly owner: number | undefined; readonly waiting: number }>
}

/** A statement running this long gets a moment, once PGlite returns, to see a cancel sent meanwhile. */
const cancelCheckMillis = 50
const cancelWindowMillis = 20

const startupOnly = new Set(["user", "database", "replication", "options", "client_encoding"])

/** The settings a session starts with: its startup parameters and `options` (`-c name=value`). */
const startupSettings = (session: Session): Array<readonly [string, string]> => {
  const out: Array<readonly [string, string]> = []
  for (const [name, value] of Object.entries(session.startupParameters)) {
    if (!startupOnly.has(name) && !name.startsWith("_pq_.")) out.push([name, value])
  }
  const options = session.startupParameters.options
  if (options !== undefined) {
    const words = options.match(/(?:\\.|\S)+/g) ?? []
    for (let i = 0; i < words.length; i++) {
      const word = words[i]!.replaceAll(/\\(.)/g, "$1")
      const setting = word === "-c" ? words[++i]?.replaceAll(/\\(.)/g, "$1") : word.startsWith("--") ? word.slice(2) : word.startsWith("-c") ? word.slice(2) : undefined
      const eq = setting?.indexOf("=") ?? -1
      if (setting !== undefined && eq > 0) out.push([setting.slice(0, eq).replaceAll("-", "_"), setting.slice(eq + 1)])
    }
  }
  return out
}

const notSession = () => pgError("08003", "the PGlite engine does not know this session")

/**
 * Starts the engine in the current scope (PGlite closes with it).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fnUntraced(function*(
  options: PgliteEngineOptions = {}
): Effect.fn.Return<PgliteEngineShape, EngineError, Scope.Scope> {
  const failure = (message: string) => (cause: unknown) =>
    new EngineError({ engine: "pglite", message: `${message}: ${cause instanceof Error ? cause.message : String(cause)}`, cause })
  const turnMillis = options.turnTimeout === undefined
    ? 30_000
    : Option.match(Duration.fromInput(options.turnTimeout), { onNone: () => 30_000, onSome: Duration.toMillis })
  const module = yield* Effect.tryPromise({
    try: () => import("@electric-sql/pglite"),
    catch: failure("cannot load @electric-sql/pglite (npm install @electric-sql/pglite)")
  })
  const dataDir = options.dataDir
  if (dataDir !== undefined) {
    const fs = yield* Effect.tryPromise({ try: () => import("node:fs/promises"), catch: failure("cannot load node:fs") })
    yield* Effect.tryPromise({ try: () => fs.mkdir(dataDir, { recursive: true }), catch: failure(`cannot create the data directory ${dataDir}`) })
  }
  const pglite = yield* Effect.acquireRelease(
    Effect.tryPromise({
      try: () => module.PGlite.create(dataDir),
      catch: failure(dataDir === undefined ? "PGlite failed to start" : `PGlite cannot open the data directory ${dataDir}`)
    }),
    (db) => Effect.ignore(Effect.tryPromise(() => db.close()))
  )
  const version = yield* Effect.tryPromise({
    try: () => pglite.query<{ server_version: string }>("SHOW server_version"),
    catch: failure("PGlite failed to answer")
  })
  const db: PgliteDatabase = pglite
  const turns = new Turns(turnMillis, (owner, held) =>
    pgError(
      "55P03",
      `timed out after ${turnMillis} ms waiting for session ${owner ?? "?"}, which has held the engine in a transaction for ${Math.round(held)} ms`,
      {
        hint: "PGlite runs one transaction at a time: keep transactions short, or serve with --engine postgres for full concurrency."
      }
    ))
  const persistent = dataDir !== undefined
  const backend = new Backend(db, turns, persistent)
  const descriptions = new Map<string, PreparedStatement>()

  const stateOf = (session: Session): Effect.Effect<EngineSession, PgError> => {
    const state = backend.sessions.get(session.processId)
    return state === undefined ? Effect.fail(notSession()) : Effect.succeed(state)
  }

  /** Runs `body` in the session's turn; an interruption after it started rolls its work back. */
  const inTurn = <A>(state: EngineSession, body: Effect.Effect<A, PgError>): Effect.Effect<A, PgError> =>
    Effect.andThen(
      backend.enter(state),
      body.pipe(
        Effect.onInterrupt(() => backend.abort(state)),
        Effect.onError(() => Effect.ignore(backend.releaseIfIdle(state)))
      )
    )

  const describe = (state: EngineSession, sql: string, parameterTypes: ReadonlyArray<number>) =>
    inTurn(
      state,
      Effect.gen(function*() {
        const answer = yield* backend.call([
          { _tag: "Parse", name: "", query: sql, parameterTypes },
          { _tag: "Describe", target: "statement", name: "" }
        ])
        let types: ReadonlyArray<number> = parameterTypes
        let fields: ReadonlyArray<Field> | undefined
        for (const message of answer) {
          if (message._tag === "ErrorResponse") return yield* Effect.fail(errorOf(message.fields))
          if (message._tag === "ParameterDescription") types = message.parameterTypes
          else if (message._tag === "RowDescription") fields = fieldsOf(message.fields)
        }
        yield* backend.releaseIfIdle(state)
        const statement: PreparedStatement = { sql, parameterTypes: types, fields, plan: sqlKind }
        return statement
      })
    )

  const prepare: QueryHandlerShape["prepare"] = (request) =>
    Effect.flatMap(stateOf(request.session), (state) => {
      const kind = classify(request.sql)
      if (request.protocol === "simple" || kind._tag === "Listen" || kind._tag === "Unlisten") {
        return Effect.succeed<PreparedStatement>({ sql: request.sql, parameterTypes: [], fields: undefined, plan: kind })
      }
      const key = `${request.sql}\u0000${request.parameterTypes.join(",")}\u0000${state.session.setting("search_path") ?? ""}`
      const cached = descriptions.get(key)
      if (cached !== undefined) return Effect.succeed(kind._tag === "CopyIn" ? { ...cached, plan: kind } : cached)
      return Effect.map(describe(state, request.sql, request.parameterTypes), (statement) => {
        if (descriptions.size >= 1024) descriptions.clear()
        descriptions.set(key, statement)
        return kind._tag === "CopyIn" ? { ...statement, plan: kind } : statement
      })
    })

  const notices = (state: EngineSession, answer: ReadonlyArray<BackendMessage>) =>
    Effect.forEach(answer, (m) => (m._tag === "NoticeResponse" ? Effect.ignore(state.session.notice(m.fields)) : Effect.void), {
      discard: true
    })

  /** The result of one statement from PGlite's answer (the status follows its tag). */
  const resultOf = (request: Parameters<QueryHandlerShape["execute"]>[0], messages: ReadonlyArray<BackendMessage>): QueryResult | PgError => {
    const answer = readAnswer(messages, request.resultFormats)
    if (answer.error === undefined) backend.status = statusAfter(answer.tag, request.statement.sql, backend.status)
    const result = toResult(answer, request.protocol, request.statement.fields, backend.status)
    if (!("_tag" in result) || result._tag === "PgError") {
      if ((result as PgError).code === "0A000") descriptions.clear()
    }
    return result
  }

  const runSql = (state: EngineSession, request: Parameters<QueryHandlerShape["execute"]>[0]) =>
    inTurn(
      state,
      Effect.gen(function*() {
        const statement = request.statement
        const started = performance.now()
        // The statement's own implicit transaction ends with it: committed in the same call, when a
        // cancel that arrives while PGlite runs it would have nothing to undo (a simple-protocol
        // statement goes as a Query message, the cheapest way through PGlite).
        const commitWith = request.endsImplicitTransaction && backend.status === "I" && !backend.unsynced && onlyReads(statement.sql)
        const run: Array<FrontendMessage> = commitWith && request.protocol === "simple"
          ? [{ _tag: "Query", query: statement.sql }]
          : runUnnamed(statement.sql, statement.parameterTypes, request.rawParameters, request.parameterFormats, request.resultFormats)
        if (commitWith && request.protocol === "extended") run.push(sync)
        const answer = yield* backend.call(run)
        let statementAnswer: ReadonlyArray<BackendMessage> = answer
        if (commitWith) {
          // What follows the statement's completion is the commit's: its error goes to endImplicitTransaction.
          const done = answer.findIndex((m) => m._tag === "CommandComplete" || m._tag === "EmptyQueryResponse")
          if (done >= 0) {
            statementAnswer = answer.slice(0, done + 1)
            const failed = answer.find((m, i) => i > done && m._tag === "ErrorResponse")
            if (failed?._tag === "ErrorResponse") state.commitError = errorOf(failed.fields)
          }
        }
        const result = resultOf(request, statementAnswer)
        yield* notices(state, answer)
        if (!("_tag" in result) || result._tag === "PgError") {
          yield* backend.releaseIfIdle(state)
          return yield* Effect.fail(result as PgError)
        }
        if (backend.status !== "I" || commitWith) state.implicitOpen = false
        else if (request.implicitTransaction) state.implicitOpen = true
        const tag = result._tag === "Command" ? result.tag : ""
        if (result._tag === "Command" && mayChangeDescriptions(tag)) descriptions.clear()
        if (mayChangeSettings(tag, statement.sql)) yield* backend.captureSettings(state)
        if (tag.startsWith("DISCARD")) yield* relisten(state)
        if (performance.now() - started >= cancelCheckMillis) yield* Effect.sleep(cancelWindowMillis)
        yield* backend.releaseIfIdle(state)
        return result
      })
    )

  /**
   * A Query holding one statement that only reads, from a session outside
   * any transaction while no other session holds the engine: it goes to
   * PGlite as it came, and PGlite's answer goes back to the client with
   * ReadyForQuery (the session sends its own), ParameterStatus (settings are
   * the engine's business) and notifications (routed to the sessions
   * listening) taken out. Anything else is declined and runs statement by
   * statement.
   *
   * When the backend already has the session's settings, the whole exchange
   * happens in this call (PGlite runs synchronously) and the answer comes
   * back as an `Exit`, which the server takes without a fiber; a statement
   * that ran long still gets its moment to see a cancel.
   */
  const answerQuery: NonNullable<QueryHandlerShape["answerQuery"]> = ({ session, sql }) => {
    const id = session.processId
    const state = backend.sessions.get(id)
    if (
      state === undefined || state.implicitOpen || state.settingsPending || backend.status !== "I" || backend.unsynced ||
      (turns.owner !== undefined && turns.owner !== id) ||
      !onlyReadsKeepingSettings(sql) || classify(sql)._tag !== "Sql" || splitStatements(sql).length !== 1
    ) return Exit.succeed(undefined)
    const bytes = encode([{ _tag: "Query", query: sql }])
    if (!(bytes instanceof Uint8Array)) return Exit.succeed(undefined)
    const run = (): Effect.Effect<QueryAnswer, PgError> => {
      const started = performance.now()
      const raw = backend.exchangeRaw(bytes, true)
      if (!(raw instanceof Uint8Array)) return Exit.fail(raw)
      const answer = answerOf(raw)
      if (answer instanceof Error) return Exit.fail(pgError("XX000", `PGlite answered with bytes that are not the protocol: ${answer.message}`))
      backend.status = answer.status
      if (answer.stale) descriptions.clear()
      const result: Effect.Effect<QueryAnswer> = answer.notifications.length === 0
        ? Exit.succeed({ messages: answer.messages, status: answer.status })
        : Effect.as(backend.route(answer.notifications, id), { messages: answer.messages, status: answer.status })
      // A long statement: a cancel sent meanwhile may still arrive (and roll it back, see `inTurn`).
      return performance.now() - started >= cancelCheckMillis ? Effect.andThen(Effect.sleep(cancelWindowMillis), result) : result
    }
    if (!persistent && backend.applied === state.key && turns.tryAcquire(id)) {
      const result = run()
      if (Exit.isExit(result)) {
        if (backend.status === "I") turns.release(id)
        return result
      }
      return inTurn(state, Effect.tap(result, () => backend.releaseIfIdle(state)))
    }
    return inTurn(state, Effect.flatMap(Effect.suspend(run), (result) => Effect.as(backend.releaseIfIdle(state), result)))
  }

  /** DISCARD ALL made the backend forget every channel: the session's are dropped, the others' listened again. */
  const relisten = (state: EngineSession) =>
    Effect.suspend(() => {
      for (const channel of state.channels) {
        const set = backend.listeners.get(channel)
        set?.delete(state.session.processId)
        if (set?.size === 0) backend.listeners.delete(channel)
      }
      state.channels.clear()
      const channels = Array.from(backend.listeners.keys())
      return channels.length === 0 ? Effect.void : Effect.asVoid(backend.internal(channels.map((c) => `LISTEN ${identifier(c)}`).join("; ")))
    })

  const listen = (state: EngineSession, request: Parameters<QueryHandlerShape["execute"]>[0], channel: string) =>
    Effect.suspend(() => {
      const pid = state.session.processId
      let set = backend.listeners.get(channel)
      const first = set === undefined
      if (set === undefined) backend.listeners.set(channel, (set = new Set()))
      set.add(pid)
      state.channels.add(channel)
      if (!first) return Effect.succeed(Results.command("LISTEN", state.session.transactionStatus()))
      return engineCommand(state, request, `LISTEN ${identifier(channel)}`, "LISTEN")
    })

  const unlisten = (state: EngineSession, request: Parameters<QueryHandlerShape["execute"]>[0], channel: string | undefined) =>
    Effect.suspend(() => {
      const pid = state.session.processId
      const channels = channel === undefined ? Array.from(state.channels) : state.channels.has(channel) ? [channel] : []
      const orphaned: Array<string> = []
      for (const c of channels) {
        state.channels.delete(c)
        const set = backend.listeners.get(c)
        set?.delete(pid)
        if (set?.size === 0) {
          backend.listeners.delete(c)
          orphaned.push(c)
        }
      }
      if (orphaned.length === 0) return Effect.succeed(Results.command("UNLISTEN", state.session.transactionStatus()))
      return engineCommand(state, request, orphaned.map((c) => `UNLISTEN ${identifier(c)}`).join("; "), "UNLISTEN")
    })

  /** An internal command run in the session's turn and transaction, answered with `tag`. */
  const engineCommand = (state: EngineSession, request: Parameters<QueryHandlerShape["execute"]>[0], sql: string, tag: string) =>
    inTurn(
      state,
      Effect.gen(function*() {
        for (const statement of sql.split("; ")) yield* backend.internal(statement)
        if (request.implicitTransaction && backend.status === "I") state.implicitOpen = true
        yield* backend.releaseIfIdle(state)
        return Results.command(tag, backend.status)
      })
    )

  /** COPY FROM STDIN: the data is kept until CopyDone, then the statement and its data go to PGlite in one call. */
  const copyIn = (state: EngineSession, request: Parameters<QueryHandlerShape["execute"]>[0], kind: Extract<StatementKind, { _tag: "CopyIn" }>) =>
    inTurn(
      state,
      Effect.gen(function*() {
        let columns = kind.columns
        if (columns === undefined) {
          const rows = yield* backend.internal(
            `SELECT count(*) FROM pg_attribute WHERE attrelid = ${literal(kind.table)}::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''`
          )
          columns = Number(rows[0]?.[0] ?? 0)
        }
        if (request.implicitTransaction && backend.status === "I") state.implicitOpen = true
        const chunks: Array<Uint8Array> = []
        const statement = request.statement
        const receiver: Results.CopyReceiver = {
          data: (chunk) =>
            Effect.sync(() => {
              chunks.push(chunk.slice())
            }),
          done: inTurn(
            state,
            Effect.gen(function*() {
              const answer = yield* backend.call([
                { _tag: "Parse", name: "", query: statement.sql, parameterTypes: statement.parameterTypes },
                {
                  _tag: "Bind",
                  portal: "",
                  statement: "",
                  parameterFormats: request.parameterFormats,
                  parameters: request.rawParameters,
                  resultFormats: []
                },
                { _tag: "Execute", portal: "", maxRows: 0 },
                ...chunks.map((data) => ({ _tag: "CopyData" as const, data })),
                { _tag: "CopyDone" }
              ])
              chunks.length = 0
              yield* notices(state, answer)
              let tag = "COPY 0"
              for (const m of answer) {
                if (m._tag === "ErrorResponse") {
                  yield* backend.releaseIfIdle(state)
                  return yield* Effect.fail(errorOf(m.fields))
                }
                if (m._tag === "CommandComplete") tag = m.tag
              }
              yield* backend.releaseIfIdle(state)
              return tag
            })
          ),
          fail: () =>
            Effect.suspend(() => {
              chunks.length = 0
              // Inside a block the failed COPY fails the block, as in PostgreSQL.
              return backend.status !== "I" ? backend.abort(state) : Effect.void
            })
        }
        return Results.copyIn(kind.format, columns, receiver)
      })
    )

  const execute: QueryHandlerShape["execute"] = (request) =>
    Effect.flatMap(stateOf(request.session), (state) => {
      const kind = (request.statement.plan ?? sqlKind) as StatementKind
      switch (kind._tag) {
        case "Listen":
          return listen(state, request, kind.channel)
        case "Unlisten":
          return unlisten(state, request, kind.channel)
        case "CopyIn":
          return copyIn(state, request, kind)
        case "Sql":
          return runSql(state, request)
      }
    })

  const startSession: QueryHandlerShape["startSession"] = (session) =>
    Effect.suspend(() => {
      const settings = startupSettings(session)
      const state: EngineSession = {
        session,
        settings,
        key: settingsKey(settings),
        channels: new Set(),
        implicitOpen: false,
        settingsPending: false
      }
      backend.sessions.set(session.processId, state)
      // Applying the settings checks them: an unknown one refuses the session, as PostgreSQL does.
      return inTurn(state, backend.releaseIfIdle(state)).pipe(
        Effect.tapError(() => Effect.sync(() => backend.sessions.delete(session.processId))),
        Effect.mapError((error) => pgError(error.code, error.message, { severity: "FATAL" }))
      )
    })

  const handler = QueryHandler.make({
    prepare,
    execute,
    answerQuery,
    startSession,
    endSession: (session) =>
      Effect.suspend(() => {
        const state = backend.sessions.get(session.processId)
        return state === undefined ? Effect.void : backend.leave(state)
      }),
    endImplicitTransaction: (session, outcome) =>
      Effect.suspend(() => {
        const state = backend.sessions.get(session.processId)
        if (state === undefined) return Effect.void
        // A statement that committed with its Sync reports a failed commit here.
        const failed = state.commitError
        state.commitError = undefined
        const end = backend.endImplicit(state, outcome)
        return failed === undefined ? end : Effect.andThen(Effect.ignore(end), Effect.fail(failed))
      })
  })

  return {
    handler,
    parameters: {
      server_version: version.rows[0]?.server_version ?? "18",
      is_superuser: "on"
    },
    turns: Effect.sync(() => ({ owner: turns.owner, waiting: turns.waiting }))
  }
})

const sqlKind: StatementKind = { _tag: "Sql" }

/**
 * @since 0.1.0
 * @category services
 */
export class PgliteEngine extends Context.Service<PgliteEngine, PgliteEngineShape>()("effect-pgwire/engines/PgliteEngine") {
  static readonly make = make

  /** The engine for the layer's lifetime. */
  static readonly layer = (options: PgliteEngineOptions = {}): Layer.Layer<PgliteEngine, EngineError> =>
    Layer.effect(PgliteEngine)(make(options))

  /** The engine's handler as the server's `QueryHandler`. */
  static readonly queryHandler: Layer.Layer<QueryHandler, never, PgliteEngine> = Layer.effect(QueryHandler)(
    Effect.map(PgliteEngine, (engine: PgliteEngineShape) => engine.handler)
  )
}
