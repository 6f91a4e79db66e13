/**
 * The extended-query protocol: named and unnamed prepared statements and
 * portals kept per session, Parse (with parameter types, 0 unspecified),
 * Bind (text and binary parameters and results), Describe of statements and
 * portals, Execute with a row limit answered by PortalSuspended and resumed
 * by the next Execute, Close, Flush and Sync.
 *
 * After an error the ErrorResponse is written at once and every message up
 * to Sync is skipped (the `AwaitingSync` phase). Sync ends the implicit
 * transaction of the batch and, outside a transaction block, drops the
 * portals, as PostgreSQL does at the end of a transaction.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { Bind, Close, Describe, Execute, Parse } from "../../protocol/index.ts"
import { SqlState } from "../../protocol/SqlState.ts"
import type { ConnectionError } from "../../transport/ConnectionError.ts"
import { pgError, type PgError } from "../PgError.ts"
import type { Field, PreparedStatement } from "../Results.ts"
import { type ColumnWriter, columnWriter, decodeParameter, ValueError } from "../Values.ts"
import { cancellable, closePortal, type Outcome, writeResult, writeRows } from "./Execution.ts"
import type { Portal, SessionState } from "./SessionState.ts"
import { appendRowDescription } from "./SessionState.ts"
import { dropPortalsOutsideTransaction, endImplicit } from "./SimpleQuery.ts"

/** An error inside a batch: reported at once, then everything up to Sync is skipped. */
export const batchFailed = (state: SessionState, error: PgError): Effect.Effect<void, ConnectionError> => {
  state.appendError(error)
  if (error.severity === "FATAL") {
    state.phase = { _tag: "Closed" }
    return Effect.void
  }
  if (state.status === "T") state.status = "E"
  state.phase = { _tag: "AwaitingSync" }
  return state.output.flush
}

const undescribable = () => pgError(SqlState.internalError, "the result columns cannot be described (a NUL in a column name?)")

const fail = (state: SessionState, error: PgError): Effect.Effect<void, ConnectionError> => batchFailed(state, error)

const onParse = (state: SessionState, message: Parse): Effect.Effect<void, ConnectionError> | undefined => {
  if (message.name !== "" && state.statements.has(message.name)) {
    return fail(state, pgError(SqlState.duplicatePreparedStatement, `prepared statement "${message.name}" already exists`))
  }
  const statements = state.context.handler.splitStatements(message.query)
  if (statements.length > 1) {
    return fail(state, pgError(SqlState.syntaxError, "cannot insert multiple commands into a prepared statement"))
  }
  const prepared = state.context.handler.prepare({
    session: state.handle!,
    sql: statements[0] ?? "",
    parameterTypes: message.parameterTypes,
    protocol: "extended"
  })
  return Effect.matchEffect(prepared, {
    onFailure: (error) => fail(state, error),
    onSuccess: (statement) => {
      state.statements.set(message.name, statement)
      state.output.append(parseComplete)
      return Effect.void
    }
  })
}

const parseComplete = { _tag: "ParseComplete" } as const

/** All-text and all-binary format lists by length, shared (they are never written). */
const uniform: ReadonlyArray<Array<ReadonlyArray<number>>> = [[], []]

const uniformFormats = (format: 0 | 1, count: number): ReadonlyArray<number> =>
  count > 64 ? new Array<number>(count).fill(format) : (uniform[format]![count] ??= new Array<number>(count).fill(format))

/** Format codes as one per item: none means all text, one applies to all. */
const expandFormats = (formats: ReadonlyArray<number>, count: number, what: string): ReadonlyArray<number> | PgError => {
  if (formats.length === count) return formats
  if (formats.length === 0) return uniformFormats(0, count)
  if (formats.length === 1) {
    const format = formats[0]!
    return format === 0 || format === 1 ? uniformFormats(format, count) : new Array<number>(count).fill(format)
  }
  return pgError(SqlState.protocolViolation, `bind message has ${formats.length} ${what} formats but ${count} ${what}s`)
}

const checkFormats = (formats: ReadonlyArray<number>): PgError | undefined => {
  for (const format of formats) {
    if (format !== 0 && format !== 1) return pgError(SqlState.invalidParameterValue, `unsupported format code: ${format}`)
  }
  return undefined
}

/** Column writers by field list and formats, computed once per pair. */
const writerCache = new WeakMap<ReadonlyArray<Field>, Map<string, ReadonlyArray<ColumnWriter>>>()

const writersOf = (statement: PreparedStatement, formats: ReadonlyArray<number>): ReadonlyArray<ColumnWriter> | PgError | undefined => {
  const fields = statement.fields
  if (fields === undefined) return undefined
  let byFormats = writerCache.get(fields)
  if (byFormats === undefined) writerCache.set(fields, byFormats = new Map())
  const key = formats.join()
  const cached = byFormats.get(key)
  if (cached !== undefined) return cached
  const writers: Array<ColumnWriter> = new Array(fields.length)
  for (let i = 0; i < fields.length; i++) {
    const writer = columnWriter(fields[i]!.type, formats[i]!)
    if (writer === undefined) {
      return pgError(SqlState.undefinedFunction, `no binary output function available for type ${fields[i]!.type}`)
    }
    writers[i] = writer
  }
  byFormats.set(key, writers)
  return writers
}

const bindPortal = (state: SessionState, message: Bind): Portal | PgError => {
  const statement = state.statements.get(message.statement)
  if (statement === undefined) return pgError(SqlState.invalidSqlStatementName, `prepared statement "${message.statement}" does not exist`)
  if (message.portal !== "" && state.portals.has(message.portal)) {
    return pgError(SqlState.duplicateCursor, `portal "${message.portal}" already exists`)
  }
  const count = statement.parameterTypes.length
  if (message.parameters.length !== count) {
    return pgError(
      SqlState.protocolViolation,
      `bind message supplies ${message.parameters.length} parameters, but prepared statement "${message.statement}" requires ${count}`
    )
  }
  const parameterFormats = expandFormats(message.parameterFormats, count, "parameter")
  if (!Array.isArray(parameterFormats)) return parameterFormats as PgError
  const columns = statement.fields?.length ?? 0
  const resultFormats = expandFormats(message.resultFormats, columns, "result")
  if (!Array.isArray(resultFormats)) {
    return pgError(SqlState.protocolViolation, `bind message has ${message.resultFormats.length} result formats but query has ${columns} columns`)
  }
  const invalid = checkFormats(parameterFormats) ?? checkFormats(resultFormats)
  if (invalid !== undefined) return invalid
  const parameters: Array<unknown> = new Array(count)
  try {
    for (let i = 0; i < count; i++) parameters[i] = decodeParameter(statement.parameterTypes[i]!, parameterFormats[i]!, message.parameters[i]!)
  } catch (thrown) {
    if (thrown instanceof ValueError) return pgError(thrown.code, thrown.message)
    throw thrown
  }
  const writers = writersOf(statement, resultFormats)
  if (writers !== undefined && !Array.isArray(writers)) return writers as PgError
  return {
    name: message.portal,
    statement,
    parameters,
    rawParameters: message.parameters,
    parameterFormats,
    resultFormats,
    writers: writers as ReadonlyArray<ColumnWriter> | undefined,
    state: "ready",
    result: undefined,
    source: undefined,
    rowsSent: 0
  }
}

const onBind = (state: SessionState, message: Bind): Effect.Effect<void, ConnectionError> | undefined => {
  const portal = bindPortal(state, message)
  if (!("statement" in portal)) return fail(state, portal)
  const replaced = state.portals.get(portal.name)
  state.portals.set(portal.name, portal)
  state.output.append({ _tag: "BindComplete" })
  // The unnamed portal is replaced by the next one.
  return replaced === undefined ? undefined : closePortal(replaced)
}

const onDescribe = (state: SessionState, message: Describe): Effect.Effect<void, ConnectionError> | undefined => {
  const output = state.output
  if (message.target === "statement") {
    const statement = state.statements.get(message.name)
    if (statement === undefined) return fail(state, pgError(SqlState.invalidSqlStatementName, `prepared statement "${message.name}" does not exist`))
    output.append({ _tag: "ParameterDescription", parameterTypes: statement.parameterTypes })
    const fields = statement.fields
    if (fields === undefined) output.append({ _tag: "NoData" })
    else if (!appendRowDescription(output, fields, [])) return fail(state, undescribable())
    return undefined
  }
  const portal = state.portals.get(message.name)
  if (portal === undefined) return fail(state, pgError(SqlState.invalidCursorName, `portal "${message.name}" does not exist`))
  const fields = portal.statement.fields
  if (fields === undefined) output.append({ _tag: "NoData" })
  else if (!appendRowDescription(output, fields, portal.resultFormats)) return fail(state, undescribable())
  return undefined
}

const executePortal = (state: SessionState, portal: Portal, maxRows: number, implicit: boolean): Effect.Effect<Outcome, PgError | ConnectionError> => {
  if (portal.state === "suspended" || (portal.state === "done" && portal.result?._tag === "Rows")) {
    // The rest of a portal's rows belongs to its transaction: a failed block refuses it, as any other command.
    if (state.status === "E") {
      return Effect.fail(pgError(SqlState.inFailedSqlTransaction, "current transaction is aborted, commands ignored until end of transaction block"))
    }
    return writeRows(state, portal, maxRows)
  }
  if (portal.state === "done") {
    return Effect.fail(pgError(SqlState.objectNotInPrerequisiteState, `portal "${portal.name}" cannot be run`))
  }
  return Effect.flatMap(
    state.context.handler.execute({
      session: state.handle!,
      statement: portal.statement,
      parameters: portal.parameters,
      rawParameters: portal.rawParameters,
      parameterFormats: portal.parameterFormats,
      resultFormats: portal.resultFormats,
      protocol: "extended",
      implicitTransaction: implicit,
      endsImplicitTransaction: implicit && maxRows === 0 && state.syncFollows
    }),
    (result) => writeResult(state, portal, result, maxRows, false)
  )
}

const onExecute = (state: SessionState, message: Execute): Effect.Effect<void, ConnectionError> | undefined => {
  const portal = state.portals.get(message.portal)
  if (portal === undefined) return fail(state, pgError(SqlState.invalidCursorName, `portal "${message.portal}" does not exist`))
  const implicit = state.status === "I"
  if (implicit) state.implicitOpen = true
  return Effect.flatMap(cancellable(state, executePortal(state, portal, message.maxRows, implicit)), (outcome) => {
    if (state.status !== "I") state.implicitOpen = false
    switch (outcome._tag) {
      case "Failed":
        return Effect.andThen(closePortal(portal), fail(state, outcome.error))
      case "CopyIn":
        state.phase = { _tag: "CopyIn", receiver: outcome.receiver, then: { _tag: "Extended" } }
        return state.output.flush
      case "Complete":
      case "Suspended":
        // A COMMIT or ROLLBACK ended the block: its portals end with it, this one included, as in PostgreSQL.
        return !implicit && state.status === "I" ? dropPortalsOutsideTransaction(state) : Effect.void
    }
  })
}

const onClose = (state: SessionState, message: Close): Effect.Effect<void, ConnectionError> | undefined => {
  state.output.append({ _tag: "CloseComplete" })
  if (message.target === "statement") {
    state.statements.delete(message.name)
    return undefined
  }
  const portal = state.portals.get(message.name)
  if (portal === undefined) return undefined
  state.portals.delete(message.name)
  return closePortal(portal)
}

/** Sync: the end of the batch (also after an error). */
export const onSync = (state: SessionState): Effect.Effect<void, ConnectionError> => {
  const failed = state.phase._tag === "AwaitingSync"
  return Effect.flatMap(endImplicit(state, failed ? "rollback" : "commit"), () => {
    state.phase = { _tag: "Ready" }
    state.readyForQuery()
    return dropPortalsOutsideTransaction(state)
  })
}

/** A message of the extended protocol, in the Ready or ExtendedQuery phase. */
export const onExtended = (
  state: SessionState,
  message: Parse | Bind | Describe | Execute | Close
): Effect.Effect<void, ConnectionError> | undefined => {
  state.phase = { _tag: "ExtendedQuery" }
  switch (message._tag) {
    case "Parse":
      return onParse(state, message)
    case "Bind":
      return onBind(state, message)
    case "Describe":
      return onDescribe(state, message)
    case "Execute":
      return onExecute(state, message)
    case "Close":
      return onClose(state, message)
  }
}
