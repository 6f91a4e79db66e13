/**
 * Queries on the extended protocol: preparing a statement (Parse, Describe,
 * Sync) and running it (Bind, Execute, Sync), each as a request with its own
 * Sync so that one failing request does not fail the requests pipelined
 * around it.
 *
 * @since 0.1.0
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type { FieldDescription } from "../protocol/messages/Query.ts"
import { writeBind } from "../protocol/messages/Extended.ts"
import { encodeFrontendInto } from "../protocol/Frontend.ts"
import { ProtocolError } from "../protocol/ProtocolError.ts"
import { makeRowDecoder, type RowDecoder } from "../protocol/RowDecoder.ts"
import type { Writer } from "../protocol/Writer.ts"
import { ConnectionError } from "../transport/ConnectionError.ts"
import { type Core, mayCopy } from "./internal/Core.ts"
import { unexpected, type Message, type Request, type Row, type Wire, type WireFailure } from "./internal/Wire.ts"
import { fromNoticeFields, type PgServerError } from "./PgServerError.ts"
import { ParameterError, type QueryError, StaleStatementError, type ValueDecodeError, valueDecodeError } from "./QueryErrors.ts"
import type { PreparedStatement, PrepareFailure } from "./StatementCache.ts"
import type { CatalogQuery } from "./types/Catalog.ts"
import { Typed } from "./types/Typed.ts"
import type { TypeRegistry } from "./types/Registry.ts"

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

/** What Describe(statement) told: the parameter types and the result columns. */
export interface Description {
  readonly parameterTypes: ReadonlyArray<number>
  readonly fields: ReadonlyArray<FieldDescription>
}

/**
 * Parse + Describe(statement) + Sync: learns the parameter and result types.
 */
export class PrepareRequest implements Request {
  private closes: number
  private parameterTypes: ReadonlyArray<number> | undefined
  private fields: ReadonlyArray<FieldDescription> | undefined
  private error: PgServerError | undefined
  /** ParseComplete came: the statement exists on the server, whatever happens next. */
  parsed = false
  resume: Resume<Description, PgServerError | WireFailure> | undefined
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

  onMessage(message: Message): boolean {
    switch (message._tag) {
      case "CloseComplete":
        if (this.closes-- <= 0) throw unexpected(message, "while preparing")
        return false
      case "ParseComplete":
        this.parsed = true
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
        return true
    }
    throw unexpected(message, "while preparing a statement")
  }

  complete(): void {
    const resume = this.resume!
    if (this.error !== undefined) return resume(failWith(this.error))
    if (this.parameterTypes === undefined || this.fields === undefined) {
      return resume(failWith(new ProtocolError({ reason: "InvalidValue", message: "Describe answered without ParameterDescription and RowDescription/NoData", offset: -1 })))
    }
    resume(succeedWith({ parameterTypes: this.parameterTypes, fields: this.fields }))
  }

  onFailure(error: WireFailure): void {
    this.resume?.(failWith(error))
  }
}

/** A prepared statement from its description: result formats and the row decoder, from the connection's types. */
export const buildStatement = (core: Pick<Core, "types" | "wire">, name: string, key: string, sql: string, description: Description): PreparedStatement => {
  const { fields, parameterTypes } = description
  const columns = fields.map((f) => core.types.column(f.dataTypeOid))
  const wire = core.wire
  return {
    name,
    sql,
    key,
    parameterTypes,
    fields,
    mayCopy: mayCopy(sql),
    resultFormats: columns.length === 0 ? [] : columns.map((c) => c.format),
    rowDecoder: columns.length === 0
      ? undefined
      : makeRowDecoder(
        columns.map((c, i) => ({ ...c.decoder, name: fields[i]!.name })),
        "object",
        (column, reason) => wire.valueError?.(column, reason)
      ),
    arrayRowDecoder: columns.length === 0
      ? undefined
      : makeRowDecoder(columns.map((c) => c.decoder), "array", (column, reason) => wire.valueError?.(column, reason))
  }
}

/** The cache key of a statement: its text, plus the stated parameter types when any is stated. */
export const statementKey = (sql: string, types: ReadonlyArray<number>): string => {
  for (let i = 0; i < types.length; i++) if (types[i] !== 0) return `${sql}\u0000${types.join(",")}`
  return sql
}

/**
 * `prepare(sql, types)`: the cached statement, or Parse + Describe once
 * (concurrent callers share the preparation). Types the description names
 * that the registry does not know yet (enums, domains, composites, ...) are
 * looked up in the catalog first, through `runCatalog`; if that fails they
 * read as text.
 *
 * @internal
 */
export const makePrepare = (
  core: Omit<Core, "prepare">,
  runCatalog: CatalogQuery<QueryError>
) =>
(sql: string, types: ReadonlyArray<number>): Effect.Effect<PreparedStatement, PrepareFailure> =>
  Effect.suspend(() => {
    const { cache, wire } = core
    const key = statementKey(sql, types)
    const entry = cache.lookup(key)
    if (entry?._tag === "Ready") return Effect.succeed(entry.statement)
    if (entry?._tag === "Preparing") return Deferred.await(entry.deferred)
    const deferred = Deferred.makeUnsafe<PreparedStatement, PrepareFailure>()
    cache.preparing(key, deferred)
    const closes = cache.takeCloses()
    const name = cache.nextName()
    const request = new PrepareRequest(name, sql, types, closes.length)
    const described = Deferred.makeUnsafe<Description, PrepareFailure>()
    request.resume = (effect) => Deferred.doneUnsafe(described, effect as Exit.Exit<Description, PrepareFailure>)
    const error = wire.submit(request, (w) => request.encode(w, closes))
    if (error !== undefined) {
      cache.restoreCloses(closes)
      cache.abandon(key, deferred)
      return Effect.fail(error)
    }
    // Unknown types in the description are learnt from the catalog before the decoders are
    // built. This runs in the connection's scope: an interrupted caller does not abandon a
    // preparation that others may share.
    const giveUp = (exit: Exit.Exit<PreparedStatement, PrepareFailure>): void => {
      cache.abandon(key, deferred)
      // Parsed, then failed (a cancel landing on the Describe, say): the server still has it.
      if (request.parsed) cache.closeLater(name)
      Deferred.doneUnsafe(deferred, exit)
    }
    const build = Deferred.await(described).pipe(
      Effect.flatMap((description) => {
        const missing = core.types.missing(description.parameterTypes.concat(description.fields.map((f) => f.dataTypeOid)))
        const statement = Effect.sync(() => buildStatement(core, name, key, sql, description))
        return missing.length === 0 ? statement : Effect.andThen(Effect.ignore(core.types.resolve(missing, runCatalog)), statement)
      }),
      Effect.onExit((exit) =>
        Effect.sync(() => {
          if (Exit.isFailure(exit)) return giveUp(exit)
          cache.store(key, exit.value)
          Deferred.doneUnsafe(deferred, exit)
        })
      )
    )
    // A build interrupted before it ran (the connection closing at that moment) settles nothing
    // itself: the preparation then ends as the connection did.
    return Effect.flatMap(Effect.forkIn(build, core.scope), (fiber) => {
      fiber.addObserver(() => {
        if (!Deferred.isDoneUnsafe(deferred)) {
          giveUp(Exit.fail(wire.failure ?? new ConnectionError({ reason: "Closed", message: "the connection was closed" })))
        }
      })
      return Deferred.await(deferred)
    })
  })

// ---------------------------------------------------------------------------
// Execute a prepared statement

/**
 * Bind + Execute + Sync on a prepared statement; collects the rows.
 */
export class BoundRequest implements Request {
  private closes: number
  private rows: Array<Row | ReadonlyArray<unknown>> = []
  private command = ""
  private error: PgServerError | ValueDecodeError | undefined
  private copyRefused = false
  /** Between a CopyOutResponse and its CopyDone. */
  private copyingOut = false
  private dropped = false
  /** The caller stopped waiting: drain and drop (the rows that arrived so far too). */
  get abandoned(): boolean {
    return this.dropped
  }
  set abandoned(value: boolean) {
    this.dropped = value
    if (value) this.rows = []
  }
  /** The transaction status its ReadyForQuery reported. */
  endStatus: "I" | "T" | "E" = "I"
  resume: Resume<QueryResult<Row | ReadonlyArray<unknown>>, PgServerError | ValueDecodeError | WireFailure> | undefined
  readonly statement: PreparedStatement
  private readonly params: ReadonlyArray<unknown>
  private readonly registry: TypeRegistry

  /** Rows as objects keyed by column name, or as arrays in column order. */
  private readonly arrays: boolean

  constructor(statement: PreparedStatement, params: ReadonlyArray<unknown>, closes: number, registry: TypeRegistry, arrays = false) {
    this.statement = statement
    this.params = params
    this.closes = closes
    this.registry = registry
    this.arrays = arrays
  }

  encode(w: Writer, closes: ReadonlyArray<string>): void {
    writeCloses(w, closes)
    writeBindFor(w, this.registry, this.statement, this.params)
    encodeFrontendInto(w, executeAll)
    encodeFrontendInto(w, sync)
  }

  private readonly reportValueError = (column: number, reason: string): void => {
    if (this.error === undefined) this.error = valueDecodeError(this.statement.fields, column, reason, this.statement.sql)
  }

  private readonly pushRow = (row: Row | ReadonlyArray<unknown>): void => {
    if (!this.abandoned) this.rows.push(row)
  }

  onMessage(message: Message, wire: Wire): boolean {
    switch (message._tag) {
      case "DataRow":
        // Rows of a statement with columns go through the row decoder; one that arrives here
        // must match the statement's zero columns (NoData included).
        if (Array.isArray(message.values) && message.values.length !== this.statement.fields.length) {
          throw unexpected(message, `of ${message.values.length} column(s) for a statement of ${this.statement.fields.length}`)
        }
        if (!this.abandoned) this.rows.push(message.values as Row)
        return false
      case "CloseComplete":
        if (this.closes-- <= 0) throw unexpected(message, "while binding")
        return false
      case "BindComplete":
        wire.valueError = this.reportValueError
        // Rows go straight into the result: no DataRow message per row.
        if (this.arrays) {
          if (this.statement.arrayRowDecoder !== undefined) {
            // The wire's parser is typed for object rows; array rows take the same path to the sink.
            wire.parser.setRowDecoder(this.statement.arrayRowDecoder as unknown as RowDecoder<Row>, this.pushRow)
          }
        } else if (this.statement.rowDecoder !== undefined) wire.parser.setRowDecoder(this.statement.rowDecoder, this.pushRow)
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
        // The rows of a COPY TO STDOUT are not this call's to keep (copyTo streams them).
        this.copyingOut = true
        return false
      case "CopyData":
      case "CopyDone":
        if (!this.copyingOut) break
        if (message._tag === "CopyDone") this.copyingOut = false
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

/** Bind of the unnamed portal to `statement` with `params`, encoded for the described parameter types. */
export const writeBindFor = (w: Writer, registry: TypeRegistry, statement: PreparedStatement, params: ReadonlyArray<unknown>): void => {
  const types = statement.parameterTypes
  const formats: Array<number> = new Array(params.length)
  let binary = false
  for (let i = 0; i < params.length; i++) {
    formats[i] = registry.parameterFormat(types[i]!, params[i])
    if (formats[i] === 1) binary = true
  }
  writeBind(w, "", statement.name, binary ? formats : noFormats, params, (writer, value, i) => registry.writeValue(writer, types[i]!, value), statement.resultFormats)
}

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
  core.cache.evict(statement.key, statement, stale.code !== "26000")
  if (!retried && status === "I") return undefined
  return new StaleStatementError({
    message: `a cached prepared statement went stale inside a transaction (${stale.message}); retry the transaction`,
    query: statement.sql,
    cause: stale
  })
}

/**
 * The statement for `sql` with the parameter types `params` state
 * (`typed(...)` wrappers, bigint, boolean, bytes; 0 for the rest, which the
 * server infers). Type names not known yet are looked up first.
 */
export const prepareFor = (core: Core, sql: string, params: ReadonlyArray<unknown>): Effect.Effect<PreparedStatement, QueryError> => {
  // The common case (no typed(...) wrapper, nothing inferred) allocates nothing here.
  let stated: Array<number> | undefined
  for (let i = 0; i < params.length; i++) {
    const value = params[i]
    if (value instanceof Typed && typeof value.type === "string") return prepareTyped(core, sql, params)
    const oid = core.types.parameterOid(value)
    if (oid !== 0) (stated ??= new Array<number>(params.length).fill(0))[i] = oid ?? 0
  }
  return core.prepare(sql, stated ?? noTypes)
}

const noTypes: ReadonlyArray<number> = []

/** With type names among the parameters: look up the ones not known yet, then state every type. */
const prepareTyped = (core: Core, sql: string, params: ReadonlyArray<unknown>): Effect.Effect<PreparedStatement, QueryError> => {
  const state = (): Effect.Effect<PreparedStatement, QueryError> => {
    const types: Array<number> = new Array(params.length)
    for (let i = 0; i < params.length; i++) {
      const oid = core.types.parameterOid(params[i])
      if (oid === undefined) {
        return Effect.fail(new ParameterError({ message: `parameter $${i + 1}: unknown type ${describeTyped(params[i])}`, query: sql }))
      }
      types[i] = oid
    }
    return core.prepare(sql, types)
  }
  const names = core.types.unresolvedNames(params)
  return names.length === 0 ? state() : Effect.flatMap(core.types.resolve(names, makeQuery(core)), state)
}

const describeTyped = (value: unknown): string =>
  typeof value === "object" && value !== null && "type" in value ? JSON.stringify((value as { readonly type: unknown }).type) : "?"

type Outcome<R> = { readonly result: QueryResult<R> } | { readonly stale: PgServerError; readonly status: "I" | "T" | "E" }

const runPrepared = <R extends Row | ReadonlyArray<unknown>>(
  core: Core,
  statement: PreparedStatement,
  params: ReadonlyArray<unknown>,
  arrays: boolean
): Effect.Effect<Outcome<R>, QueryError> =>
  Effect.callback<Outcome<R>, QueryError>((resume) => {
    const { cache, wire } = core
    const closes = cache.takeCloses()
    const request = new BoundRequest(statement, params, closes.length, core.types, arrays)
    request.resume = (effect) => {
      // The rows are of the shape `arrays` asked for.
      const exit = effect as Exit.Exit<QueryResult<R>, QueryError>
      if (Exit.isSuccess(exit)) return resume(Exit.succeed({ result: exit.value }))
      const error = Exit.findErrorOption(exit)
      if (error._tag === "Some" && error.value._tag === "PgServerError" && isStale(error.value)) {
        return resume(Exit.succeed({ stale: error.value, status: request.endStatus }))
      }
      resume(Exit.failCause(exit.cause))
    }
    // COPY switches the server into a mode where a pipelined message would break it.
    const error = wire.submit(request, (w) => request.encode(w, closes), statement.mayCopy)
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
export const makeQuery = (core: Core) => (sql: string, params: ReadonlyArray<unknown> = []): Effect.Effect<QueryResult, QueryError> =>
  runWithHealing<Row>(core, sql, params, false)

/**
 * `values(sql, params)`: as `query`, with each row an array in column order
 * (every value kept when column names repeat).
 *
 * @internal
 */
export const makeValues = (core: Core) =>
(sql: string, params: ReadonlyArray<unknown> = []): Effect.Effect<QueryResult<ReadonlyArray<unknown>>, QueryError> =>
  runWithHealing<ReadonlyArray<unknown>>(core, sql, params, true)

const runWithHealing = <R extends Row | ReadonlyArray<unknown>>(
  core: Core,
  sql: string,
  params: ReadonlyArray<unknown>,
  arrays: boolean
): Effect.Effect<QueryResult<R>, QueryError> => {
  const run = (retried: boolean): Effect.Effect<QueryResult<R>, QueryError> =>
    Effect.flatMap(prepareFor(core, sql, params), (statement) => {
      const countError = checkParameterCount(statement, params)
      if (countError !== undefined) return Effect.fail(countError)
      return Effect.flatMap(runPrepared<R>(core, statement, params, arrays), (outcome) => {
        if ("result" in outcome) return Effect.succeed(outcome.result)
        const error = afterStale(core, statement, outcome.stale, outcome.status, retried)
        return error === undefined ? run(true) : Effect.fail(error)
      })
    })
  return run(false)
}
