/**
 * Rows as a `Stream`, fetched through a portal in batches: Bind, then
 * Execute with a row limit and Flush; the server answers a batch and
 * PortalSuspended and waits. The next batch is asked for while the consumer
 * works on the current one, and never more than one ahead, so memory stays
 * bounded by two batches whatever the size of the result, and a slow
 * consumer holds the server back.
 *
 * The portal lives in the implicit transaction its Bind opened (or in the
 * caller's transaction block), which ends with the Sync sent after the last
 * batch. Meanwhile the connection belongs to the stream: requests from other
 * fibers queue behind it and go out after that Sync. A query run on the same
 * connection from inside the stream's consumer therefore waits for the
 * stream to end; use a second connection for that.
 *
 * Ending the stream early (take, interruption, a failing consumer) closes
 * the portal: Close and Sync when the server is waiting, or after the batch
 * in flight arrives (with a CancelRequest if no row of the portal has arrived
 * yet: the query itself is slow). The connection stays usable.
 *
 * @since 0.1.0
 */
import type * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Channel from "effect/Channel"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { encodeFrontendInto } from "../protocol/Frontend.ts"
import { ProtocolError } from "../protocol/ProtocolError.ts"
import type { Writer } from "../protocol/Writer.ts"
import type { Core } from "./internal/Core.ts"
import { unexpected, type Message, type Request, type Row, type Wire, type WireFailure } from "./internal/Wire.ts"
import { fromNoticeFields, type PgServerError } from "./PgServerError.ts"
import { afterStale, checkParameterCount, isStale, parameterFailure, prepareFor, writeBindFor, writeCloses } from "./Query.ts"
import { ParameterError, type QueryError, type ValueDecodeError, valueDecodeError } from "./QueryErrors.ts"
import type { PreparedStatement } from "./StatementCache.ts"
import type { TypeRegistry } from "./types/Registry.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface StreamOptions {
  /** Rows per Execute (the portal's row limit). Default 1,000. */
  readonly batchSize?: number | undefined
}

/** What a pull gets: a batch, the end, or a failure. */
type Step =
  | { readonly _tag: "Rows"; readonly rows: Arr.NonEmptyReadonlyArray<Row> }
  | { readonly _tag: "End" }
  | { readonly _tag: "Failed"; readonly error: PgServerError | ValueDecodeError | WireFailure; readonly status: "I" | "T" | "E" }

const closePortal = { _tag: "Close", target: "portal", name: "" } as const
const flush = { _tag: "Flush" } as const
const sync = { _tag: "Sync" } as const

/**
 * Bind + Execute(limit) + Flush, then one Execute + Flush per batch, then
 * Sync. Completes at its ReadyForQuery.
 */
export class PortalRequest implements Request {
  private readonly steps: Array<Step> = []
  private waiter: ((step: Step) => void) | undefined
  private rows: Array<Row> = []
  /** An Execute is outstanding: the server is producing a batch. */
  private executing = true
  /** Whether any row of the portal has arrived yet. */
  private started = false
  /** Rows of the Execute in flight. */
  private batchRows = 0
  /** Batches delivered or waiting to be taken, not yet pulled. */
  private buffered = 0
  /** The server finished the portal (CommandComplete) or failed; Sync is sent. */
  private synced = false
  private error: PgServerError | ValueDecodeError | undefined
  private closes: number
  private wire: Wire | undefined
  /** The consumer is gone: drop rows, close the portal at the next chance. */
  abandoned = false
  done = false
  /** Rows handed to the consumer so far. */
  emitted = 0
  endStatus: "I" | "T" | "E" = "I"
  readonly statement: PreparedStatement
  private readonly params: ReadonlyArray<unknown>
  private readonly batchSize: number
  private readonly registry: TypeRegistry

  constructor(statement: PreparedStatement, params: ReadonlyArray<unknown>, batchSize: number, closes: number, registry: TypeRegistry) {
    this.registry = registry
    this.statement = statement
    this.params = params
    this.batchSize = batchSize
    this.closes = closes
  }

  encode(w: Writer, closes: ReadonlyArray<string>): void {
    writeCloses(w, closes)
    writeBindFor(w, this.registry, this.statement, this.params)
    encodeFrontendInto(w, { _tag: "Execute", portal: "", maxRows: this.batchSize })
    encodeFrontendInto(w, flush)
  }

  private readonly reportValueError = (column: number, reason: string): void => {
    if (this.error === undefined) this.error = valueDecodeError(this.statement.fields, column, reason, this.statement.sql)
  }

  /** Ends the exchange: Sync, and the held requests may follow. */
  private sendSync(wire: Wire, close: boolean): void {
    if (this.synced) return
    this.synced = true
    wire.submitRaw((w) => {
      if (close) encodeFrontendInto(w, closePortal)
      encodeFrontendInto(w, sync)
    })
    wire.release(this)
  }

  private executeNext(wire: Wire): void {
    this.executing = true
    wire.submitRaw((w) => {
      encodeFrontendInto(w, { _tag: "Execute", portal: "", maxRows: this.batchSize })
      encodeFrontendInto(w, flush)
    })
  }

  private push(wire: Wire, step: Step): void {
    this.buffered++
    this.steps.push(step)
    const waiter = this.waiter
    if (waiter !== undefined) {
      this.waiter = undefined
      wire.defer(() => this.take(waiter))
    }
  }

  onMessage(message: Message, wire: Wire): boolean {
    this.wire = wire
    switch (message._tag) {
      case "CloseComplete":
        if (this.closes-- <= 0 && !this.synced) throw unexpected(message, "while streaming")
        return false
      case "BindComplete":
        wire.valueError = this.reportValueError
        if (this.statement.rowDecoder !== undefined) wire.parser.setRowDecoder(this.statement.rowDecoder)
        return false
      case "DataRow":
        // At most batchSize rows answer an Execute: a server that ignores the
        // limit (or sends rows no Execute asked for) would grow the batch
        // without bound while the consumer waits for its end.
        if (!this.executing || ++this.batchRows > this.batchSize) {
          throw new ProtocolError({
            reason: "InvalidValue",
            message: `the server sent more rows than the portal's limit of ${this.batchSize} per Execute`,
            offset: -1,
            messageType: "DataRow"
          })
        }
        this.started = true
        if (!this.abandoned && this.error === undefined) this.rows.push(message.values as Row)
        return false
      case "PortalSuspended": {
        this.executing = false
        this.batchRows = 0
        if (this.abandoned || this.error !== undefined) {
          this.sendSync(wire, true)
          return false
        }
        const rows = this.rows
        this.rows = []
        if (rows.length > 0) this.push(wire, { _tag: "Rows", rows: rows as unknown as Arr.NonEmptyReadonlyArray<Row> })
        // One batch ahead: ask for the next while the consumer works on this one.
        if (this.buffered < 2) this.executeNext(wire)
        return false
      }
      case "CommandComplete":
      case "EmptyQueryResponse": {
        this.executing = false
        const rows = this.rows
        this.rows = []
        if (rows.length > 0 && !this.abandoned && this.error === undefined) {
          this.push(wire, { _tag: "Rows", rows: rows as unknown as Arr.NonEmptyReadonlyArray<Row> })
        }
        this.sendSync(wire, false)
        return false
      }
      case "ErrorResponse":
        this.executing = false
        if (this.error === undefined || this.error._tag === "ValueDecodeError") {
          this.error = fromNoticeFields(message.fields, this.statement.sql)
        }
        // The server skips everything up to a Sync now.
        this.sendSync(wire, false)
        return false
      case "CopyInResponse":
      case "CopyOutResponse":
      case "CopyBothResponse":
        throw unexpected(message, "while streaming rows (COPY needs copyFrom / copyTo)")
      case "ReadyForQuery":
        wire.valueError = undefined
        this.endStatus = message.transactionStatus
        this.done = true
        if (this.abandoned && this.error?._tag === "PgServerError" && this.error.code === "57014") wire.cancelled++
        return true
    }
    throw unexpected(message, "while streaming rows")
  }

  complete(): void {
    const step: Step = this.error !== undefined ? { _tag: "Failed", error: this.error, status: this.endStatus } : { _tag: "End" }
    this.deliver(step)
  }

  onFailure(error: WireFailure): void {
    this.done = true
    this.deliver({ _tag: "Failed", error, status: "I" })
  }

  private deliver(step: Step): void {
    this.steps.push(step)
    const waiter = this.waiter
    if (waiter !== undefined) {
      this.waiter = undefined
      this.take(waiter)
    }
  }

  /** The consumer asks for the next step. */
  take(resume: (step: Step) => void): void {
    const step = this.steps.shift()
    if (step === undefined) {
      this.waiter = resume
      return
    }
    if (step._tag === "Rows") {
      this.buffered--
      this.emitted += step.rows.length
      // The server waits for us: ask for the next batch now.
      const wire = this.wire
      if (wire !== undefined && !this.executing && !this.synced && this.buffered < 2) this.executeNext(wire)
    }
    resume(step)
  }

  /**
   * The consumer is gone. Returns true when the server is still working
   * towards the portal's first row (a slow query: the caller may send a
   * CancelRequest). A later batch is left to finish: it is bounded, and a
   * CancelRequest arriving after it would hit the next statement.
   */
  abandon(wire: Wire): boolean {
    if (this.done || this.abandoned) return false
    this.abandoned = true
    this.steps.length = 0
    this.rows = []
    if (this.synced) return false
    if (!this.executing) {
      this.sendSync(wire, true)
      return false
    }
    return !this.started
  }
}

/**
 * `stream(sql, params, options)`.
 *
 * @internal
 */
export const makeStream = (core: Core) =>
(sql: string, params: ReadonlyArray<unknown> = [], options?: StreamOptions): Stream.Stream<Row, QueryError> => {
  const batchSize = options?.batchSize ?? 1000
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 2147483647) {
    return Stream.fail(new ParameterError({ message: `batchSize must be a positive 32-bit integer, got ${batchSize}`, query: sql }))
  }
  return Stream.fromChannel(Channel.fromTransformBracket((_upstream, _scope, forkedScope) =>
    Effect.gen(function*() {
      let request = yield* start(core, sql, params, batchSize, forkedScope)
      let retried = false
      const next: Effect.Effect<Arr.NonEmptyReadonlyArray<Row>, QueryError | Cause.Done> = Effect.callback<Step>((resume) => {
        request.take((step) => resume(Exit.succeed(step)))
      }).pipe(
        Effect.flatMap((step): Effect.Effect<Arr.NonEmptyReadonlyArray<Row>, QueryError | Cause.Done> => {
          switch (step._tag) {
            case "Rows":
              return Effect.succeed(step.rows)
            case "End":
              return Cause.done()
            case "Failed": {
              const error = step.error
              if (error._tag === "PgServerError" && isStale(error) && request.emitted === 0) {
                const stale = afterStale(core, request.statement, error, step.status, retried)
                if (stale !== undefined) return Effect.fail(stale)
                retried = true
                return Effect.flatMap(start(core, sql, params, batchSize, forkedScope), (fresh) => {
                  request = fresh
                  return next
                })
              }
              return Effect.fail(error)
            }
          }
        })
      )
      return next
    })
  ))
}

/** Prepares, submits the portal request and arranges its closing with `scope`. */
const start = (
  core: Core,
  sql: string,
  params: ReadonlyArray<unknown>,
  batchSize: number,
  scope: Scope.Scope
): Effect.Effect<PortalRequest, QueryError> =>
  Effect.flatMap(prepareFor(core, sql, params), (statement) =>
    Effect.suspend(() => {
      const countError = checkParameterCount(statement, params)
      if (countError !== undefined) return Effect.fail(countError)
      const { cache, wire } = core
      const closes = cache.takeCloses()
      const request = new PortalRequest(statement, params, batchSize, closes.length, core.types)
      const error = wire.submit(request, (w) => request.encode(w, closes), true)
      if (error !== undefined) {
        cache.restoreCloses(closes)
        return Effect.fail(parameterFailure(error, sql))
      }
      return Effect.as(
        Scope.addFinalizer(
          scope,
          Effect.suspend(() => {
            const cancel = request.abandon(wire) && wire.isCurrent(request) && wire.failure === undefined
            if (!cancel) return Effect.void
            // Later requests wait until the cancel has landed (see Wire.fence).
            const lift = wire.fence()
            return Effect.asVoid(Effect.forkIn(Effect.ensuring(Effect.ignore(core.cancel), Effect.sync(lift)), core.scope))
          })
        ),
        request
      )
    }))
