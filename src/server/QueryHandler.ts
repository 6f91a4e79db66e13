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
    splitStatements: options.splitStatements ?? splitStatements
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
