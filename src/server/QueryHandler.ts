/**
 * The user logic of a server, as a service: prepare a statement (its
 * parameter types and result columns) and execute it with bound
 * parameters. The protocol bookkeeping (splitting a simple query into
 * statements, named and unnamed statements and portals, row limits and
 * PortalSuspended, skipping to Sync after an error, transaction status,
 * COPY framing) lives in the session, never here.
 *
 * Both protocols reach the same two functions: a simple Query prepares and
 * executes each of its statements in turn (text results, no parameters); the
 * extended protocol calls `prepare` on Parse and `execute` on Execute.
 *
 * What it is not: stateful. Per-session state belongs in the `Session` the
 * requests carry (settings), or in the handler's own map keyed by session.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { TransactionStatus } from "../protocol/messages/Session.ts"
import { SqlState } from "../protocol/SqlState.ts"
import { pgError, type PgError } from "./PgError.ts"
import type { PreparedStatement, QueryResult } from "./Results.ts"
import type { Session } from "./Session.ts"
import { splitStatements } from "./Statements.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface PrepareRequest {
  readonly session: Session
  readonly sql: string
  /**
   * The types the client gave for `$1`, `$2`, ... (0: unspecified). There
   * may be fewer than the statement uses; the prepared statement lists them all.
   */
  readonly parameterTypes: ReadonlyArray<number>
  readonly protocol: "simple" | "extended"
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ExecuteRequest {
  readonly session: Session
  readonly statement: PreparedStatement
  /** The parameters decoded for the statement's types (see `Values.decodeParameter`). */
  readonly parameters: ReadonlyArray<unknown>
  /** The parameters as sent, and their formats (0 text, 1 binary), one per parameter. */
  readonly rawParameters: ReadonlyArray<Uint8Array | null>
  readonly parameterFormats: ReadonlyArray<number>
  /** The result format of each column (0 text, 1 binary); the session encodes rows accordingly. */
  readonly resultFormats: ReadonlyArray<number>
  readonly protocol: "simple" | "extended"
  /**
   * True when the statement runs outside an explicit transaction block, in
   * the implicit transaction of its Query message or of the extended-protocol
   * messages up to Sync. That transaction ends with `endImplicitTransaction`.
   */
  readonly implicitTransaction: boolean
  /**
   * True when the implicit transaction ends right after this statement: it
   * is the last statement of its Query, or an Execute without a row limit
   * that the client followed with Sync in the same write. A handler may then
   * commit with the statement; `endImplicitTransaction` still follows and
   * reports a failed commit.
   */
  readonly endsImplicitTransaction: boolean
}

/**
 * A session handed over after startup to something that speaks the
 * protocol itself (an upstream PostgreSQL behind a proxy): the session
 * passes the client's bytes on and writes back what it receives, without
 * decoding either. The server keeps what is its own: TLS, authentication,
 * cancel keys, the limits on message sizes, timeouts, shutdown and the
 * out-of-band pushes of `Session`, which go out between whole messages.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionRelay {
  /**
   * The client's bytes, in order: whole messages or parts of one, exactly
   * as sent. Terminate is not passed on (the session ends, then `endSession`).
   */
  readonly send: (bytes: Uint8Array) => Effect.Effect<void, PgError>
  /**
   * The next bytes for the client, in order; `undefined` when the other side
   * closed (after its own FATAL error, say): the session then closes. A
   * failure is sent to the client as a FATAL error.
   */
  readonly receive: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, PgError>
  /** What a matching CancelRequest does. */
  readonly cancel: Effect.Effect<void>
  /** Looks into messages as they pass (a query log); optional. */
  readonly inspect?: RelayInspector | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RelayInspector {
  /** The frontend type bytes whose bodies `frontend` receives (every message is reported, with its type). */
  readonly frontendTypes: ReadonlyArray<number>
  /** The same for backend messages. */
  readonly backendTypes: ReadonlyArray<number>
  /** A frontend message passed on: its type, and its body when its type is listed (valid during the call). */
  readonly frontend: (type: number, body: Uint8Array | undefined) => void
  /** A backend message passed on. */
  readonly backend: (type: number, body: Uint8Array | undefined) => void
}

/**
 * A simple-protocol Query offered whole to `QueryHandlerShape.answerQuery`.
 *
 * @since 0.1.0
 * @category models
 */
export interface AnswerQueryRequest {
  readonly session: Session
  /** The Query message's string, as sent. */
  readonly sql: string
}

/**
 * A Query answered by the handler itself: the encoded backend messages of
 * its results and the transaction status that follows.
 *
 * @since 0.1.0
 * @category models
 */
export interface QueryAnswer {
  /**
   * Whole backend messages, in order: RowDescription, DataRow,
   * CommandComplete, EmptyQueryResponse, NoticeResponse, ErrorResponse (the
   * last when a statement failed). Never ReadyForQuery, which the session
   * sends; the session checks the framing and answers XX000 when it is wrong.
   */
  readonly messages: Uint8Array
  /** The status for ReadyForQuery: the handler ended any implicit transaction itself. */
  readonly status: TransactionStatus
}

/**
 * @since 0.1.0
 * @category models
 */
export interface QueryHandlerShape {
  /** Parse (extended) and each statement of a simple Query. */
  readonly prepare: (request: PrepareRequest) => Effect.Effect<PreparedStatement, PgError>
  /** Execute (extended) and each statement of a simple Query. */
  readonly execute: (request: ExecuteRequest) => Effect.Effect<QueryResult, PgError>
  /**
   * The end of an implicit transaction: after the last statement of a Query,
   * or at Sync; `rollback` when a statement of it failed. A failure here is
   * reported to the client before ReadyForQuery.
   */
  readonly endImplicitTransaction: (session: Session, outcome: "commit" | "rollback") => Effect.Effect<void, PgError>
  /** After authentication, before ParameterStatus: fail FATAL to refuse the session (3D000 unknown database, say). */
  readonly startSession: (session: Session) => Effect.Effect<void, PgError>
  /** When the session ends, however it ends. */
  readonly endSession: (session: Session) => Effect.Effect<void>
  /** Splits a simple-query string into statements (default: `splitStatements`). */
  readonly splitStatements: (sql: string) => ReadonlyArray<string>
  /**
   * When given, every session is relayed after startup (after
   * `startSession`, before ParameterStatus): `prepare`, `execute` and
   * `endImplicitTransaction` are not called. A failure refuses the session
   * FATAL, like `startSession`.
   */
  readonly relay?: ((session: Session) => Effect.Effect<SessionRelay, PgError>) | undefined
  /**
   * A shortcut for engines that speak the protocol themselves: offered every
   * simple Query before it is split into statements. `undefined` declines
   * (the Query then goes through `prepare` and `execute` as usual); an
   * answer is written as given, then ReadyForQuery with its status. The
   * handler runs the whole string and ends its implicit transaction; a
   * failure is reported like a failed statement (the implicit transaction
   * already rolled back). A CancelRequest interrupts it as it does
   * `execute`.
   */
  readonly answerQuery?: ((request: AnswerQueryRequest) => Effect.Effect<QueryAnswer | undefined, PgError>) | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export type QueryHandlerOptions =
  & Pick<QueryHandlerShape, "prepare" | "execute">
  & Partial<Omit<QueryHandlerShape, "prepare" | "execute">>

/**
 * The default `endImplicitTransaction`: nothing to end. The session skips
 * the call when it sees this function.
 *
 * @since 0.1.0
 * @category constants
 */
export const noImplicitTransaction = (_session: Session, _outcome: "commit" | "rollback"): Effect.Effect<void, PgError> => Effect.void

/**
 * @since 0.1.0
 * @category services
 */
export class QueryHandler extends Context.Service<QueryHandler, QueryHandlerShape>()("effect-pgwire/server/QueryHandler") {
  /** A handler from `prepare` and `execute`; the hooks default to doing nothing. */
  static readonly make = (options: QueryHandlerOptions): QueryHandlerShape => ({
    prepare: options.prepare,
    execute: options.execute,
    endImplicitTransaction: options.endImplicitTransaction ?? noImplicitTransaction,
    startSession: options.startSession ?? (() => Effect.void),
    endSession: options.endSession ?? (() => Effect.void),
    splitStatements: options.splitStatements ?? splitStatements,
    relay: options.relay,
    answerQuery: options.answerQuery
  })

  /** A handler that relays every session (see `SessionRelay`); statements never reach it. */
  static readonly relay = (
    options: Pick<QueryHandlerShape, "startSession"> & Partial<Pick<QueryHandlerShape, "endSession">> & {
      readonly relay: NonNullable<QueryHandlerShape["relay"]>
    }
  ): QueryHandlerShape =>
    QueryHandler.make({
      prepare: () => Effect.fail(pgError(SqlState.internalError, "this session is relayed; no statement reaches the handler")),
      execute: () => Effect.fail(pgError(SqlState.internalError, "this session is relayed; no statement reaches the handler")),
      startSession: options.startSession,
      endSession: options.endSession ?? (() => Effect.void),
      relay: options.relay
    })

  static readonly layer = (options: QueryHandlerOptions): Layer.Layer<QueryHandler> =>
    Layer.succeed(QueryHandler)(QueryHandler.make(options))

  /** The default when no handler is given: every statement fails with 0A000. */
  static readonly unsupported: QueryHandlerShape = QueryHandler.make({
    prepare: ({ sql }) =>
      Effect.fail(pgError(SqlState.featureNotSupported, "this server has no query handler", { detail: sql.slice(0, 200) })),
    execute: () => Effect.fail(pgError(SqlState.featureNotSupported, "this server has no query handler"))
  })
}
