/**
 * The simple query protocol: one Query message that may hold several
 * statements, and every statement's result back. Rows come in text format
 * and are decoded by column type.
 *
 * As in PostgreSQL, the statements of one string run in one implicit
 * transaction unless they manage transactions themselves, and execution
 * stops at the first error.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { encodeFrontendInto } from "../protocol/Frontend.ts"
import type { FieldDescription } from "../protocol/messages/Query.ts"
import { makeRowDecoder } from "../protocol/RowDecoder.ts"
import type { Writer } from "../protocol/Writer.ts"
import { type Core, mayCopy } from "./internal/Core.ts"
import { unexpected, type Message, type Request, type Row, type Wire, type WireFailure } from "./internal/Wire.ts"
import { fromNoticeFields, type PgServerError } from "./PgServerError.ts"
import { type QueryResult, rowCountOf, writeCloses } from "./Query.ts"
import { type QueryError, type ValueDecodeError, valueDecodeError } from "./QueryErrors.ts"
import type { TypeRegistry } from "./types/Registry.ts"

export class SimpleRequest implements Request {
  private results: Array<QueryResult> = []
  /** Between a CopyOutResponse and its CopyDone. */
  private copyingOut = false
  private rows: Array<Row> = []
  private fields: ReadonlyArray<FieldDescription> = []
  /** A RowDescription announced the rows of the statement being answered. */
  private described = false
  private error: PgServerError | ValueDecodeError | undefined
  private dropped = false
  /**
   * What the Closes sent ahead of the Query still owe: a CloseComplete each,
   * then their Sync's ReadyForQuery (0 when none were sent).
   */
  private owed: number
  /** The caller stopped waiting: drain, and keep nothing of the result (what arrived so far included). */
  get abandoned(): boolean {
    return this.dropped
  }
  set abandoned(value: boolean) {
    this.dropped = value
    if (value) {
      this.rows = []
      this.results = []
    }
  }
  resume: ((effect: Effect.Effect<ReadonlyArray<QueryResult>, PgServerError | ValueDecodeError | WireFailure>) => void) | undefined
  readonly sql: string
  private readonly registry: TypeRegistry

  constructor(sql: string, registry: TypeRegistry, closes = 0) {
    this.sql = sql
    this.registry = registry
    this.owed = closes === 0 ? 0 : closes + 1
  }

  /**
   * The Query, after the Closes of statements the cache evicted (these ride
   * on the next write, whichever request makes it). A Close is an
   * extended-protocol message, so they get a Sync of their own: the Query
   * then starts from a clean state.
   */
  encode(w: Writer, closes: ReadonlyArray<string> = []): void {
    if (closes.length > 0) {
      writeCloses(w, closes)
      encodeFrontendInto(w, { _tag: "Sync" })
    }
    encodeFrontendInto(w, { _tag: "Query", query: this.sql })
  }

  private readonly reportValueError = (column: number, reason: string): void => {
    if (this.error === undefined) this.error = valueDecodeError(this.fields, column, reason, this.sql)
  }

  private endStatement(command: string): void {
    if (!this.abandoned) this.results.push({ rows: this.rows, command, rowCount: rowCountOf(command), fields: this.fields })
    this.rows = []
    this.fields = []
    this.described = false
  }

  onMessage(message: Message, wire: Wire): boolean {
    if (this.owed > 0) {
      if (message._tag === "CloseComplete" && this.owed > 1) this.owed--
      else if (message._tag === "ReadyForQuery" && this.owed === 1) this.owed = 0
      else if (message._tag === "ErrorResponse") {
        // The server skips the rest up to the Sync; the Query runs after it.
        this.error ??= fromNoticeFields(message.fields, this.sql)
        this.owed = 1
      } else throw unexpected(message, "while closing evicted statements")
      return false
    }
    switch (message._tag) {
      case "RowDescription": {
        const fields = message.fields
        this.fields = fields
        this.described = true
        wire.valueError = this.reportValueError
        wire.parser.setRowDecoder(
          makeRowDecoder(
            fields.map((f) => ({ ...(f.format === 1 ? this.registry.column(f.dataTypeOid).decoder : this.registry.textColumn(f.dataTypeOid)), name: f.name })),
            "object",
            (column, reason) => wire.valueError?.(column, reason)
          )
        )
        return false
      }
      case "DataRow":
        if (!this.described) throw unexpected(message, "before a RowDescription in a simple query result")
        if (!this.abandoned) this.rows.push(message.values as Row)
        return false
      case "CommandComplete":
        wire.parser.setRowDecoder(undefined)
        this.endStatement(message.tag)
        return false
      case "EmptyQueryResponse":
        this.endStatement("")
        return false
      case "ErrorResponse":
        if (this.error === undefined || this.error._tag === "ValueDecodeError") {
          this.error = fromNoticeFields(message.fields, this.sql)
        }
        return false
      case "CopyInResponse":
        // COPY FROM STDIN needs copyFrom; refuse it so the server does not wait forever.
        wire.submitRaw((w) =>
          encodeFrontendInto(w, { _tag: "CopyFail", message: "COPY FROM STDIN is not supported by execute(); use copyFrom" })
        )
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
        if (this.abandoned && this.error?._tag === "PgServerError" && this.error.code === "57014") wire.cancelled++
        return true
    }
    throw unexpected(message, "in a simple query result")
  }

  complete(): void {
    if (this.abandoned) return
    const resume = this.resume!
    resume(this.error !== undefined ? Exit.fail(this.error) : Exit.succeed(this.results))
  }

  onFailure(error: WireFailure): void {
    if (!this.abandoned) this.resume?.(Exit.fail(error))
  }
}

/**
 * `execute(sql)`: one Query message; every statement's result.
 *
 * @internal
 */
export const makeExecute = (core: Core) => (sql: string): Effect.Effect<ReadonlyArray<QueryResult>, QueryError> =>
  Effect.callback<ReadonlyArray<QueryResult>, QueryError>((resume) => {
    const closes = core.cache.takeCloses()
    const request = new SimpleRequest(sql, core.types, closes.length)
    request.resume = resume
    // COPY switches the server into a mode where a pipelined message would break it.
    const error = core.wire.submit(request, (w) => request.encode(w, closes), mayCopy(sql))
    if (error !== undefined) {
      core.cache.restoreCloses(closes)
      resume(Exit.fail(error))
      return
    }
    return core.abandon(request)
  })
