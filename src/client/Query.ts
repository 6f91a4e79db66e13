/**
 * Queries on the extended protocol: preparing a statement (Parse, Describe,
 * Sync) and running it (Bind, Execute, Sync), each as a request with its own
 * Sync so that one failing request does not fail the requests pipelined
 * around it.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type { FieldDescription } from "../protocol/messages/Query.ts"
import { writeBind } from "../protocol/messages/Extended.ts"
import { encodeFrontendInto } from "../protocol/Frontend.ts"
import { ProtocolError } from "../protocol/ProtocolError.ts"
import { makeRowDecoder } from "../protocol/RowDecoder.ts"
import type { Writer } from "../protocol/Writer.ts"
import { type Core, mayCopy } from "./internal/Core.ts"
import { unexpected, type Message, type Request, type Row, type Wire, type WireFailure } from "./internal/Wire.ts"
import { fromNoticeFields, type PgServerError } from "./PgServerError.ts"
import { ParameterError, type QueryError, StaleStatementError, type ValueDecodeError, valueDecodeError } from "./QueryErrors.ts"
import type { PreparedStatement } from "./StatementCache.ts"
import * as TypeMap from "./TypeMap.ts"

/**
 * The result of one statement.
 *
 * @since 0.1.0
 * @category models
 */
export interface QueryResult<R = Row> {
  readonly rows: ReadonlyArray<R>
  /** The command tag, e.g. "SELECT 3", "INSERT 0 1". */
  readonly command: string
  /** Rows affected or returned, from the command tag (undefined for commands that report none). */
  readonly rowCount: number | undefined
  readonly fields: ReadonlyArray<FieldDescription>
}

/** The count at the end of a command tag ("INSERT 0 5" → 5, "CREATE TABLE" → undefined). */
export const rowCountOf = (tag: string): number | undefined => {
  const space = tag.lastIndexOf(" ")
  if (space === -1) return undefined
  const n = Number(tag.slice(space + 1))
  return Number.isInteger(n) && tag.slice(space + 1).length > 0 ? n : undefined
}

type Resume<A, E> = (effect: Effect.Effect<A, E>) => void

/** Writes Close for statements evicted from the cache: they ride on this request. */
export const writeCloses = (w: Writer, names: ReadonlyArray<string>): void => {
  for (const name of names) encodeFrontendInto(w, { _tag: "Close", target: "statement", name })
}

// ---------------------------------------------------------------------------
// Prepare

/**
 * Parse + Describe(statement) + Sync: learns the parameter and result types
 * and chooses the result formats.
 */
export class PrepareRequest implements Request {
  private closes: number
  private parameterTypes: ReadonlyArray<number> | undefined
  private fields: ReadonlyArray<FieldDescription> | undefined
  private error: PgServerError | undefined
  resume: Resume<PreparedStatement, PgServerError | WireFailure> | undefined
  readonly name: string
  readonly sql: string
  private readonly types: ReadonlyArray<number>

  constructor(name: string, sql: string, types: ReadonlyArray<number>, closes: number) {
    this.name = name
    this.sql = sql
    this.types = types
    this.closes = closes
  }

  encode(w: Writer, closes: ReadonlyArray<string>): void {
    writeCloses(w, closes)
    encodeFrontendInto(w, { _tag: "Parse", name: this.name, query: this.sql, parameterTypes: this.types })
    encodeFrontendInto(w, { _tag: "Describe", target: "statement", name: this.name })
    encodeFrontendInto(w, { _tag: "Sync" })
  }

  onMessage(message: Message, wire: Wire): boolean {
    switch (message._tag) {
      case "CloseComplete":
        if (this.closes-- <= 0) throw unexpected(message, "while preparing")
        return false
      case "ParseComplete":
        return false
      case "ParameterDescription":
        this.parameterTypes = message.parameterTypes
        return false
      case "RowDescription":
        this.fields = message.fields
        return false
      case "NoData":
        this.fields = []
        return false
      case "ErrorResponse":
        this.error = fromNoticeFields(message.fields, this.sql)
        return false
      case "ReadyForQuery":
        this.wire = wire
        return true
    }
    throw unexpected(message, "while preparing a statement")
  }

  private wire: Wire | undefined

  complete(): void {
    const wire = this.wire!
    const resume = this.resume!
    if (this.error !== undefined) return resume(failWith(this.error))
    if (this.parameterTypes === undefined || this.fields === undefined) {
      return resume(failWith(new ProtocolError({ reason: "InvalidValue", message: "Describe answered without ParameterDescription and RowDescription/NoData", offset: -1 })))
    }
    const fields = this.fields
    const columns = fields.map((f) => TypeMap.resultColumn(f.dataTypeOid))
    resume(succeedWith({
      name: this.name,
      sql: this.sql,
      parameterTypes: this.parameterTypes,
      fields,
      resultFormats: columns.length === 0 ? [] : columns.map((c) => c.format),
      rowDecoder: columns.length === 0
        ? undefined
        : makeRowDecoder(
          columns.map((c, i) => ({ ...c.decoder, name: fields[i]!.name })),
          "object",
          (column, reason) => wire.valueError?.(column, reason)
        )
    }))
  }

  onFailure(error: WireFailure): void {
    this.resume?.(failWith(error))
  }
}

// ---------------------------------------------------------------------------
// Execute a prepared statement

/**
 * Bind + Execute + Sync on a prepared statement; collects the rows.
 */
export class BoundRequest implements Request {
  private closes: number
  private rows: Array<Row> = []
  private command = ""
  private error: PgServerError | ValueDecodeError | undefined
  private copyRefused = false
  /** The caller stopped waiting: drain and drop. */
  abandoned = false
  /** The transaction status its ReadyForQuery reported. */
  endStatus: "I" | "T" | "E" = "I"
  resume: Resume<QueryResult, PgServerError | ValueDecodeError | WireFailure> | undefined
  readonly statement: PreparedStatement
  private readonly params: ReadonlyArray<unknown>

  constructor(statement: PreparedStatement, params: ReadonlyArray<unknown>, closes: number) {
    this.statement = statement
    this.params = params
    this.closes = closes
  }

  encode(w: Writer, closes: ReadonlyArray<string>): void {
    writeCloses(w, closes)
    const types = this.statement.parameterTypes
    const params = this.params
    const formats: Array<number> = new Array(params.length)
    let binary = false
    for (let i = 0; i < params.length; i++) {
      formats[i] = TypeMap.parameterFormat(types[i]!, params[i])
      if (formats[i] === 1) binary = true
    }
    writeBind(w, "", this.statement.name, binary ? formats : noFormats, params, (writer, value, i) => TypeMap.writeValue(writer, types[i]!, value), this.statement.resultFormats)
    encodeFrontendInto(w, executeAll)
    encodeFrontendInto(w, sync)
  }

  private readonly reportValueError = (column: number, reason: string): void => {
    if (this.error === undefined) this.error = valueDecodeError(this.statement.fields, column, reason, this.statement.sql)
  }

  private readonly pushRow = (row: Row): void => {
    if (!this.abandoned) this.rows.push(row)
  }

  onMessage(message: Message, wire: Wire): boolean {
    switch (message._tag) {
      case "DataRow":
        if (!this.abandoned) this.rows.push(message.values as Row)
        return false
      case "CloseComplete":
        if (this.closes-- <= 0) throw unexpected(message, "while binding")
        return false
      case "BindComplete":
        wire.valueError = this.reportValueError
        // Rows go straight into the result: no DataRow message per row.
        if (this.statement.rowDecoder !== undefined) wire.parser.setRowDecoder(this.statement.rowDecoder, this.pushRow)
        return false
      case "CommandComplete":
        this.command = message.tag
        return false
      case "EmptyQueryResponse":
      case "PortalSuspended":
        return false
      case "ErrorResponse":
        if (this.error === undefined || this.error._tag === "ValueDecodeError") {
          this.error = fromNoticeFields(message.fields, this.statement.sql)
        }
        return false
      case "CopyInResponse":
        // COPY FROM STDIN needs copyFrom. Refuse it so the server does not wait for data forever;
        // during copy-in the server ignores the Sync already sent, so send another.
        if (!this.copyRefused) {
          this.copyRefused = true
          wire.submitRaw((w) => {
            encodeFrontendInto(w, { _tag: "CopyFail", message: "COPY FROM STDIN is not supported by query(); use copyFrom" })
            encodeFrontendInto(w, sync)
          })
        }
        return false
      case "CopyOutResponse":
      case "CopyData":
      case "CopyDone":
        return false
      case "ReadyForQuery":
        wire.valueError = undefined
        this.endStatus = message.transactionStatus
        if (this.abandoned && this.error?._tag === "PgServerError" && this.error.code === "57014") wire.cancelled++
        return true
    }
    throw unexpected(message, "in a query result")
  }

  complete(): void {
    if (this.abandoned) return
    const resume = this.resume!
    if (this.error !== undefined) return resume(failWith(this.error))
    resume(succeedWith({ rows: this.rows, command: this.command, rowCount: rowCountOf(this.command), fields: this.statement.fields }))
  }

  onFailure(error: WireFailure): void {
    if (!this.abandoned) this.resume?.(failWith(error))
  }
}

const noFormats: ReadonlyArray<number> = []
const executeAll = { _tag: "Execute", portal: "", maxRows: 0 } as const
const sync = { _tag: "Sync" } as const

const succeedWith = <A>(value: A): Effect.Effect<A> => Exit.succeed(value)
const failWith = <E>(error: E): Effect.Effect<never, E> => Exit.fail(error)

// ---------------------------------------------------------------------------
// The operation

/**
 * Whether a statement failed because the cached plan went stale: the table
 * changed shape (0A000 "cached plan must not change result type") or the
 * statement vanished after a pooler or failover (26000).
 */
export const isStale = (error: PgServerError): boolean =>
  error.code === "26000" || (error.code === "0A000" && /cached plan must not change result type/.test(error.message))

/** The ParameterError for a bad parameter count, or undefined. */
export const checkParameterCount = (statement: PreparedStatement, params: ReadonlyArray<unknown>): ParameterError | undefined =>
  params.length === statement.parameterTypes.length
    ? undefined
    : new ParameterError({
      message: `the statement has ${statement.parameterTypes.length} parameter(s), ${params.length} given`,
      query: statement.sql
    })

/** An encoding failure of a parameter is the caller's ParameterError. */
export const parameterFailure = (error: WireFailure, sql: string): QueryError =>
  error._tag === "ProtocolError" && error.reason === "EncodeFailed" ? new ParameterError({ message: error.message, query: sql }) : error

/**
 * Forgets a stale statement; says whether to prepare it again and retry
 * (once, outside a transaction block) or the error to fail with.
 */
export const afterStale = (
  core: Core,
  statement: PreparedStatement,
  stale: PgServerError,
  status: "I" | "T" | "E",
  retried: boolean
): StaleStatementError | undefined => {
  core.cache.evict(statement.sql, statement, stale.code !== "26000")
  if (!retried && status === "I") return undefined
  return new StaleStatementError({
    message: `a cached prepared statement went stale inside a transaction (${stale.message}); retry the transaction`,
    query: statement.sql,
    cause: stale
  })
}

type Outcome = { readonly result: QueryResult } | { readonly stale: PgServerError; readonly status: "I" | "T" | "E" }

const runPrepared = (core: Core, statement: PreparedStatement, params: ReadonlyArray<unknown>): Effect.Effect<Outcome, QueryError> =>
  Effect.callback<Outcome, QueryError>((resume) => {
    const { cache, wire } = core
    const closes = cache.takeCloses()
    const request = new BoundRequest(statement, params, closes.length)
    request.resume = (effect) => {
      const exit = effect as Exit.Exit<QueryResult, QueryError>
      if (Exit.isSuccess(exit)) return resume(Exit.succeed({ result: exit.value }))
      const error = Exit.findErrorOption(exit)
      if (error._tag === "Some" && error.value._tag === "PgServerError" && isStale(error.value)) {
        return resume(Exit.succeed({ stale: error.value, status: request.endStatus }))
      }
      resume(Exit.failCause(exit.cause))
    }
    // COPY switches the server into a mode where a pipelined message would break it.
    const error = wire.submit(request, (w) => request.encode(w, closes), mayCopy(statement.sql))
    if (error !== undefined) {
      cache.restoreCloses(closes)
      resume(Exit.fail(parameterFailure(error, statement.sql)))
      return
    }
    return core.abandon(request)
  })

/**
 * `query(sql, params)`: prepares (or reuses) the statement, then binds and
 * executes it; a stale cached statement heals once outside a transaction.
 *
 * @internal
 */
export const makeQuery = (core: Core) => (sql: string, params: ReadonlyArray<unknown> = []): Effect.Effect<QueryResult, QueryError> => {
  const run = (retried: boolean): Effect.Effect<QueryResult, QueryError> =>
    Effect.flatMap(core.prepare(sql), (statement) => {
      const countError = checkParameterCount(statement, params)
      if (countError !== undefined) return Effect.fail(countError)
      return Effect.flatMap(runPrepared(core, statement, params), (outcome) => {
        if ("result" in outcome) return Effect.succeed(outcome.result)
        const error = afterStale(core, statement, outcome.stale, outcome.status, retried)
        return error === undefined ? run(true) : Effect.fail(error)
      })
    })
  return run(false)
}
