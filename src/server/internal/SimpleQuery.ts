/**
 * The simple-query protocol: a Query string is split into statements that
 * run one after the other, each prepared and executed by the handler with
 * text results; the first error stops the rest. Outside an explicit
 * transaction block the statements share one implicit transaction, ended
 * (committed, or rolled back after an error) before ReadyForQuery. A COPY
 * FROM STDIN in the middle suspends the rest until the copy ends.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { SqlState } from "../../protocol/SqlState.ts"
import type { ConnectionError } from "../../transport/ConnectionError.ts"
import { makeFrameScanner } from "../../protocol/FrameScanner.ts"
import { backendLimitTable } from "../../protocol/Limits.ts"
import { BackendType } from "../../protocol/MessageType.ts"
import { internalError, pgError, type PgError, withPosition } from "../PgError.ts"
import { noImplicitTransaction, type QueryAnswer, type QueryHandlerShape } from "../QueryHandler.ts"
import { columnWriter, type ColumnWriter } from "../Values.ts"
import { cancellable, closePortal, complete, type Outcome, writeResult } from "./Execution.ts"
import type { Field } from "../Results.ts"
import type { Portal, SessionState } from "./SessionState.ts"

const noParameters: ReadonlyArray<never> = []

/** Text formats and writers of a field list, computed once per list (handlers usually reuse theirs). */
const textPlans = new WeakMap<ReadonlyArray<Field>, { readonly formats: ReadonlyArray<number>; readonly writers: ReadonlyArray<ColumnWriter> }>()

const textPlan = (fields: ReadonlyArray<Field>) => {
  let plan = textPlans.get(fields)
  if (plan === undefined) {
    plan = { formats: fields.map(() => 0), writers: fields.map((field) => columnWriter(field.type, 0)!) }
    textPlans.set(fields, plan)
  }
  return plan
}

/** Prepares and executes one statement of a simple query, writing its whole result. */
const runStatement = (state: SessionState, sql: string, implicit: boolean, last: boolean): Effect.Effect<Outcome, PgError | ConnectionError> => {
  const handler = state.context.handler
  const session = state.handle!
  return Effect.flatMap(handler.prepare({ session, sql, parameterTypes: noParameters, protocol: "simple" }), (statement) => {
    if (statement.parameterTypes.length > 0) {
      return Effect.fail(pgError(SqlState.undefinedParameter, "there is no parameter $1"))
    }
    return Effect.flatMap(
      handler.execute({
        session,
        statement,
        parameters: noParameters,
        rawParameters: noParameters,
        parameterFormats: noParameters,
        resultFormats: noParameters,
        protocol: "simple",
        implicitTransaction: implicit,
        endsImplicitTransaction: implicit && last
      }),
      (result) => {
        const fields = result._tag === "Rows" ? result.fields ?? statement.fields : statement.fields
        const plan = fields === undefined ? undefined : textPlan(fields)
        const portal: Portal = {
          name: "",
          statement,
          parameters: noParameters,
          rawParameters: noParameters,
          parameterFormats: noParameters,
          resultFormats: plan?.formats ?? noParameters,
          writers: plan?.writers,
          state: "ready",
          result: undefined,
          source: undefined,
          rowsSent: 0
        }
        return writeResult(state, portal, result, 0, true)
      }
    )
  })
}

/**
 * Ends the implicit transaction of a Query or Sync batch, if a statement
 * opened one. A failing commit is reported like a failed statement.
 */
export const endImplicit = (state: SessionState, outcome: "commit" | "rollback"): Effect.Effect<void> => {
  if (!state.implicitOpen) return Effect.void
  state.implicitOpen = false
  const end = state.context.handler.endImplicitTransaction
  if (end === noImplicitTransaction) return Effect.void
  return Effect.catchTag(
    end(state.handle!, outcome),
    "PgError",
    (error) => Effect.sync(() => state.appendError(error))
  )
}

/** Portals live as long as their transaction: once outside a block, they end. */
export const dropPortalsOutsideTransaction = (state: SessionState): Effect.Effect<void> => {
  if (state.status !== "I" || state.portals.size === 0) return Effect.void
  // Only a suspended row stream has something to release.
  let streams: Array<Portal> | undefined
  for (const portal of state.portals.values()) if (portal.source?._tag === "Pull") (streams ??= []).push(portal)
  state.portals.clear()
  return streams === undefined ? Effect.void : Effect.forEach(streams, closePortal, { discard: true })
}

/** After a failed statement: the error, the transaction status, the end of the implicit transaction. */
export const statementFailed = (state: SessionState, error: PgError): Effect.Effect<void> => {
  state.appendError(error)
  if (error.severity === "FATAL") {
    state.phase = { _tag: "Closed" }
    return Effect.void
  }
  if (state.status === "T") state.status = "E"
  return endImplicit(state, "rollback")
}

/**
 * An error position counts characters of the whole query string, as in
 * PostgreSQL, not of the statement the handler saw.
 */
const relativeToQuery = (error: PgError, statements: ReadonlyArray<string>, index: number, sql: string | undefined): PgError => {
  if (error.position === undefined || sql === undefined) return error
  let from = 0
  for (let i = 0; i <= index; i++) {
    const at = sql.indexOf(statements[i]!, from)
    if (at === -1) return error
    if (i === index) return at === 0 ? error : withPosition(error, error.position + at)
    from = at + statements[i]!.length
  }
  return error
}

const readyPhase = { _tag: "Ready" } as const

/** ReadyForQuery after a Query, unless the session closed. */
const readyAgain = (state: SessionState): Effect.Effect<void> => {
  if (state.phase._tag === "Closed") return Effect.void
  state.readyForQuery()
  state.phase = readyPhase
  return dropPortalsOutsideTransaction(state)
}

/** Runs statements `from` onwards, then ReadyForQuery; stops at an error or a COPY FROM STDIN. */
export const runStatements = (
  state: SessionState,
  statements: ReadonlyArray<string>,
  from: number,
  sql?: string
): Effect.Effect<void, ConnectionError> => {
  if (from >= statements.length) {
    const end = endImplicit(state, "commit")
    return end === Effect.void ? readyAgain(state) : Effect.flatMap(end, () => readyAgain(state))
  }
  const implicit = state.status === "I"
  if (implicit) state.implicitOpen = true
  return Effect.flatMap(cancellable(state, runStatement(state, statements[from]!, implicit, from === statements.length - 1)), (outcome) => {
    // A statement that moved the session into a block (BEGIN) turned the implicit transaction into it.
    if (state.status !== "I") state.implicitOpen = false
    switch (outcome._tag) {
      case "Failed":
        return Effect.flatMap(statementFailed(state, relativeToQuery(outcome.error, statements, from, sql)), () => readyAgain(state))
      case "CopyIn":
        state.phase = { _tag: "CopyIn", receiver: outcome.receiver, then: { _tag: "Simple", statements, next: from + 1 } }
        return Effect.void
      case "Complete":
      case "Suspended":
        return runStatements(state, statements, from + 1, sql)
    }
  })
}

/** The messages a handler's own answer to a Query may hold. */
const answerTypes = new Set<number>([
  BackendType.RowDescription,
  BackendType.DataRow,
  BackendType.CommandComplete,
  BackendType.EmptyQueryResponse,
  BackendType.NoticeResponse,
  BackendType.ErrorResponse
])

const backendLimits = backendLimitTable(undefined)

/** Whether `bytes` are whole messages of the kinds an answer may hold. */
const wellFramed = (bytes: Uint8Array): boolean => {
  const scanner = makeFrameScanner({ limits: backendLimits })
  let kinds = true
  const scanned = scanner.push(bytes, (type) => {
    if (!answerTypes.has(type)) kinds = false
  })
  return kinds && typeof scanned === "number" && scanner.atBoundary()
}

/** `answerQuery` declined (compared by identity). */
const declined: Outcome = { _tag: "Complete" }

const write = (state: SessionState, result: QueryAnswer | undefined): Effect.Effect<Outcome> => {
  if (result === undefined) return Effect.succeed(declined)
  if (!wellFramed(result.messages)) {
    return Effect.as(
      Effect.logError("query handler answered with bytes that are not whole result messages"),
      { _tag: "Failed", error: internalError() } as const
    )
  }
  state.output.buffer.raw(result.messages)
  state.status = result.status
  return Effect.succeed(complete)
}

/**
 * The handler's `answerQuery`: its answer written as given, or `declined`.
 * An answer already made is written at once (and then needs no fiber, see
 * `cancellable`).
 */
const answered = (state: SessionState, answer: NonNullable<QueryHandlerShape["answerQuery"]>, sql: string): Effect.Effect<Outcome, ConnectionError> => {
  const effect = answer({ session: state.handle!, sql })
  return cancellable(
    state,
    Exit.isExit(effect) && Exit.isSuccess(effect) ? write(state, effect.value as QueryAnswer | undefined) : Effect.flatMap(effect, (result) => write(state, result))
  )
}

const emptyQuery = (state: SessionState) =>
  Effect.sync(() => {
    state.output.append({ _tag: "EmptyQueryResponse" })
    state.readyForQuery()
    state.phase = readyPhase
  })

/** Splits the Query and runs its statements through `prepare` and `execute`. */
const statementByStatement = (state: SessionState, sql: string): Effect.Effect<void, ConnectionError> => {
  const statements = state.context.handler.splitStatements(sql)
  return statements.length === 0 ? emptyQuery(state) : runStatements(state, statements, 0, sql)
}

/** A Query message. */
export const onQuery = (state: SessionState, sql: string): Effect.Effect<void, ConnectionError> | undefined => {
  // A simple Query drops the unnamed statement and portal, as in PostgreSQL.
  state.statements.delete("")
  const unnamed = state.portals.get("")
  state.portals.delete("")
  const answer = state.context.handler.answerQuery
  const run = () =>
    answer === undefined
      ? statementByStatement(state, sql)
      : Effect.flatMap(answered(state, answer, sql), (outcome) => {
        if (outcome === declined) return statementByStatement(state, sql)
        return outcome._tag === "Failed" ? Effect.flatMap(statementFailed(state, outcome.error), () => readyAgain(state)) : readyAgain(state)
      })
  return unnamed === undefined ? run() : Effect.andThen(closePortal(unnamed), Effect.suspend(run))
}
