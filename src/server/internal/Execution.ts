/**
 * Running one statement and writing its result: rows (with the portal's
 * row limit and PortalSuspended), command tags, empty queries, COPY TO
 * STDOUT, and the start of COPY FROM STDIN. Statements run in their own
 * fiber so that a CancelRequest can interrupt them, row streaming included.
 *
 * Rows are encoded straight into the session's output buffer by a plain
 * loop (no Effect per row) and written when the buffer passes the flush
 * threshold; the write waits for the socket to drain, and a row stream is
 * pulled only after that, so a slow client slows the producer down.
 *
 * @internal
 */
import type * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { BackendType } from "../../protocol/MessageType.ts"
import { SqlState } from "../../protocol/SqlState.ts"
import type { ConnectionError } from "../../transport/ConnectionError.ts"
import { internalError, pgError, PgError, queryCanceled } from "../PgError.ts"
import { type CopyReceiver, type QueryResult, type Row, statusAfterTag } from "../Results.ts"
import { ValueError } from "../Values.ts"
import { appendRowDescription, type Portal, type RowSource, type SessionState } from "./SessionState.ts"

/** What running a statement left the session with. */
export type Outcome =
  | { readonly _tag: "Complete" }
  | { readonly _tag: "Suspended" }
  | { readonly _tag: "CopyIn"; readonly receiver: CopyReceiver }
  | { readonly _tag: "Failed"; readonly error: PgError }

export const complete: Outcome = { _tag: "Complete" }
const suspended: Outcome = { _tag: "Suspended" }

const failed = (error: PgError): Outcome => ({ _tag: "Failed", error })

const isConnectionError = (u: unknown): u is ConnectionError =>
  typeof u === "object" && u !== null && "_tag" in u && u._tag === "ConnectionError"

/**
 * Runs `effect` in a fiber a CancelRequest can interrupt. A cancel becomes
 * 57014; a handler's `PgError` and any defect (reported as XX000) become a
 * failed outcome; a socket error ends the session. An effect that is
 * already an `Exit` (made while it was built) needs no fiber: no cancel can
 * reach it.
 */
export const cancellable = (
  state: SessionState,
  effect: Effect.Effect<Outcome, PgError | ConnectionError>
): Effect.Effect<Outcome, ConnectionError> =>
  Exit.isExit(effect)
    ? outcomeOf(state, effect as Exit.Exit<Outcome, PgError | ConnectionError>)
    : Effect.flatMap(Effect.forkChild(effect, { startImmediately: true }), (fiber) => {
    // Finished without suspending: no cancel could have reached it.
    const done = fiber.pollUnsafe()
    if (done !== undefined) return outcomeOf(state, done)
    state.running = fiber
    state.cancelRequested = false
    return Effect.flatMap(Fiber.await(fiber), (exit) => {
      state.running = undefined
      return outcomeOf(state, exit)
    })
  })

const outcomeOf = (state: SessionState, exit: Exit.Exit<Outcome, PgError | ConnectionError>): Effect.Effect<Outcome, ConnectionError> => {
  if (Exit.isSuccess(exit)) return Effect.succeed(exit.value)
  const cause = exit.cause
  const error = Cause.findErrorOption(cause)
  if (Option.isSome(error)) {
    return isConnectionError(error.value) ? Effect.fail(error.value) : Effect.succeed(failed(error.value))
  }
  if (Cause.hasInterrupts(cause) && !Cause.hasDies(cause)) {
    if (state.cancelRequested) {
      state.cancelRequested = false
      return Effect.succeed(failed(queryCanceled()))
    }
    return Effect.interrupt
  }
  return Effect.as(Effect.logError("query handler defect", cause), failed(internalError()))
}

/** Turns what a row encoder threw into an ErrorResponse's error. */
const encodeFailure = (thrown: unknown): PgError =>
  thrown instanceof ValueError
    ? pgError(thrown.code, thrown.message)
    : pgError(SqlState.internalError, `cannot encode a row: ${thrown instanceof Error ? thrown.message : String(thrown)}`)

/**
 * Encodes `rows[from, to)` as DataRows; stops early once the buffer passes
 * the flush threshold. Returns the index reached, or the error (the row that
 * failed leaves nothing in the buffer).
 */
const encodeRows = (state: SessionState, portal: Portal, rows: ReadonlyArray<Row>, from: number, to: number): number | PgError => {
  const w = state.output.buffer
  const writers = portal.writers!
  const n = writers.length
  const threshold = state.context.config.flushThreshold
  let i = from
  let mark = w.mark()
  try {
    while (i < to) {
      const row = rows[i]!
      if (row.length !== n) return pgError(SqlState.internalError, `a row has ${row.length} values for ${n} columns`)
      mark = w.mark()
      const at = w.begin(BackendType.DataRow)
      w.i16(n)
      for (let c = 0; c < n; c++) writers[c]!(w, row[c])
      w.end(at)
      i++
      if (w.length >= threshold) break
    }
  } catch (thrown) {
    w.rollback(mark)
    return encodeFailure(thrown)
  }
  return i
}

const closeSource = (portal: Portal): Effect.Effect<void> =>
  Effect.suspend(() => {
    const source = portal.source
    portal.source = undefined
    return source?._tag === "Pull" ? Scope.close(source.scope, Exit.void) : Effect.void
  })

/** Releases what a portal holds (a suspended row stream). */
export const closePortal = closeSource

/** CommandComplete for a portal whose rows are all sent. */
const finishRows = (state: SessionState, portal: Portal): Outcome => {
  portal.state = "done"
  const result = portal.result
  const rows = result?._tag === "Rows" ? result : undefined
  const command = rows?.command ?? "SELECT"
  state.output.append({ _tag: "CommandComplete", tag: rows?.omitCount === true ? command : `${command} ${portal.rowsSent}` })
  if (rows?.transactionStatus !== undefined) state.status = rows.transactionStatus
  return complete
}

/**
 * Writes rows of the portal's source, at most `maxRows` (0: all), then
 * CommandComplete or PortalSuspended. Rows that are at hand are encoded in
 * a plain loop; an Effect runs only to write a full buffer or to pull the
 * next chunk of a stream.
 */
export const writeRows = (state: SessionState, portal: Portal, maxRows: number): Effect.Effect<Outcome, PgError | ConnectionError> => {
  const output = state.output
  const threshold = state.context.config.flushThreshold
  let remaining = maxRows > 0 ? maxRows : Infinity
  const step = (): Effect.Effect<Outcome, PgError | ConnectionError> => {
    for (;;) {
      const source = portal.source
      if (source === undefined) return Effect.succeed(finishRows(state, portal))
      let rows: ReadonlyArray<Row>
      if (source._tag === "Array") {
        rows = source.rows
      } else {
        if (source.index >= source.buffer.length) return pullNext(source)
        rows = source.buffer
      }
      const end = Math.min(rows.length, source.index + remaining)
      const next = encodeRows(state, portal, rows, source.index, end)
      if (typeof next !== "number") return Effect.andThen(closeSource(portal), Effect.fail(next))
      const count = next - source.index
      source.index = next
      portal.rowsSent += count
      remaining -= count
      if (source._tag === "Array" && source.index >= rows.length) portal.source = undefined
      else if (remaining === 0) {
        portal.state = "suspended"
        output.append({ _tag: "PortalSuspended" })
        return Effect.succeed(suspended)
      }
      if (output.buffer.length >= threshold) return Effect.flatMap(output.flush, step)
    }
  }
  const pullNext = (source: Extract<RowSource, { _tag: "Pull" }>): Effect.Effect<Outcome, PgError | ConnectionError> =>
    Effect.flatMap(Effect.result(source.pull), (chunk) => {
      if (Result.isSuccess(chunk)) {
        source.buffer = chunk.success
        source.index = 0
        return step()
      }
      const failure = chunk.failure
      return Effect.andThen(
        closeSource(portal),
        Cause.isDone(failure) ? Effect.sync(() => finishRows(state, portal)) : Effect.fail(failure instanceof PgError ? failure : internalError())
      )
    })
  return Effect.suspend(step)
}

const copyFormats = (format: "text" | "csv" | "binary", columns: number) => {
  const code = format === "binary" ? 1 : 0
  return { format: code, columnFormats: new Array<number>(columns).fill(code) }
}

const copyData = (state: SessionState, data: Uint8Array): void => {
  const w = state.output.buffer
  const at = w.begin(BackendType.CopyData)
  w.bytes(data)
  w.end(at)
}

const copyOut = (state: SessionState, result: Extract<QueryResult, { _tag: "CopyOut" }>): Effect.Effect<Outcome, PgError | ConnectionError> =>
  Effect.gen(function*() {
    const output = state.output
    const threshold = state.context.config.flushThreshold
    output.append({ _tag: "CopyOutResponse", ...copyFormats(result.format, result.columns) })
    let count = 0
    const previous = state.phase
    state.phase = { _tag: "CopyOut" }
    if (Array.isArray(result.data)) {
      const data: ReadonlyArray<Uint8Array> = result.data
      for (const chunk of data) {
        copyData(state, chunk)
        count++
        if (output.buffer.length >= threshold) yield* output.flush
      }
    } else {
      const stream = result.data as Stream.Stream<Uint8Array, PgError>
      yield* Stream.runForEachArray(stream, (chunks: Arr.NonEmptyReadonlyArray<Uint8Array>) => {
        for (const chunk of chunks) copyData(state, chunk)
        count += chunks.length
        return output.buffer.length >= threshold ? output.flush : Effect.void
      })
    }
    state.phase = previous
    output.append({ _tag: "CopyDone" })
    output.append({ _tag: "CommandComplete", tag: result.tag ?? `COPY ${result.rowCount ?? count}` })
    return complete
  })

/**
 * Writes the start of a result (and all of it, up to `maxRows`). With
 * `describe` (simple protocol) a Rows result is preceded by its
 * RowDescription; in the extended protocol Describe sent it.
 */
export const writeResult = (
  state: SessionState,
  portal: Portal,
  result: QueryResult,
  maxRows: number,
  describe: boolean
): Effect.Effect<Outcome, PgError | ConnectionError> => {
  portal.result = result
  switch (result._tag) {
    case "Rows": {
      const fields = describe ? result.fields ?? portal.statement.fields : portal.statement.fields
      if (fields === undefined || portal.writers === undefined) {
        return Effect.fail(pgError(SqlState.internalError, "the statement returned rows but describes no columns"))
      }
      if (describe && !appendRowDescription(state.output, fields, portal.resultFormats)) {
        return Effect.fail(pgError(SqlState.internalError, "the result columns cannot be described (a NUL in a column name?)"))
      }
      if (Array.isArray(result.rows)) {
        portal.source = { _tag: "Array", rows: result.rows, index: 0 }
        return writeRows(state, portal, maxRows)
      }
      const stream = result.rows as Stream.Stream<Row, PgError>
      const run = Effect.flatMap(Scope.make(), (scope) =>
        Effect.flatMap(Scope.provide(Stream.toPull(stream), scope), (pull) => {
          portal.source = { _tag: "Pull", pull, scope, buffer: [], index: 0 }
          return writeRows(state, portal, maxRows)
        }))
      // A simple query's portal lives for this call only; an extended one keeps its stream while suspended.
      return describe ? Effect.ensuring(run, closeSource(portal)) : Effect.onError(run, () => closeSource(portal))
    }
    case "Command":
      portal.state = "done"
      state.output.append({ _tag: "CommandComplete", tag: result.tag })
      state.status = result.transactionStatus ?? statusAfterTag(result.tag, state.status)
      return Effect.succeed(complete)
    case "Empty":
      portal.state = "done"
      state.output.append({ _tag: "EmptyQueryResponse" })
      return Effect.succeed(complete)
    case "CopyOut":
      portal.state = "done"
      return copyOut(state, result)
    case "CopyIn":
      portal.state = "done"
      state.output.append({ _tag: "CopyInResponse", ...copyFormats(result.format, result.columns) })
      return Effect.succeed({ _tag: "CopyIn", receiver: result.receiver })
  }
}
