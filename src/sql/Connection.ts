/**
 * `effect/sql`'s `Connection` over one `PgConnection`: what the SqlClient
 * runs compiled statements on.
 *
 * - `execute`, `executeRaw`, `executeValues`: the extended protocol, with
 *   the statement prepared once per connection and cached (the
 *   connection's LRU). `executeRaw` returns the connection's `QueryResult`;
 *   `executeValues` takes rows as arrays straight from the wire (the
 *   connection's `values`), so repeated column names keep every value.
 * - `executeUnprepared` and `executeValuesUnprepared`: without parameters,
 *   the simple protocol (several statements allowed; the rows of the last
 *   one are returned); with parameters, the extended protocol as above.
 * - `executeStream`: the connection's `stream` (a portal fetched in
 *   batches, memory bounded by two batches).
 *
 * Failures become `SqlError`s (`SqlErrors.ts`). When the statement's span
 * is the current span (effect/sql's `SpanPropagationEnabled`), a failure
 * also records `db.response.status_code` and `error.type` on it.
 *
 * @since 0.1.0
 */
import type * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { Connection as SqlConnection } from "effect/sql/SqlConnection"
import type * as SqlError from "effect/sql/SqlError"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import type { Row } from "../client/internal/Wire.ts"
import type { PgConnectionShape } from "../client/PgConnection.ts"
import { recordFailure } from "../client/pool/Tracing.ts"
import type { QueryResult } from "../client/Query.ts"
import { type PgFailure, toSqlError } from "./SqlErrors.ts"

type TransformRows = (<A extends object>(rows: ReadonlyArray<A>) => ReadonlyArray<A>) | undefined

/** Records the failure on the statement's span when it is the current one. */
const annotateStatementSpan = (sql: string, error: PgFailure): Effect.Effect<void> =>
  Effect.map(Effect.serviceOption(Tracer.ParentSpan), (span) => {
    if (Option.isSome(span) && span.value._tag === "Span" && span.value.attributes.get("db.query.text") === sql) {
      recordFailure(span.value, error)
    }
  })

const failWith = (sql: string, operation: string) => (error: PgFailure): Effect.Effect<never, SqlError.SqlError> =>
  Effect.andThen(annotateStatementSpan(sql, error), Effect.fail(toSqlError(error, operation)))

const valuesOf = (result: QueryResult): ReadonlyArray<ReadonlyArray<unknown>> =>
  result.rows.map((row) => result.fields.map((field) => row[field.name]))

/**
 * @since 0.1.0
 * @category models
 */
export class PgSqlConnection implements SqlConnection {
  /** The connection underneath. */
  readonly pg: PgConnectionShape

  constructor(pg: PgConnectionShape) {
    this.pg = pg
  }

  /** Whether a transaction block is open on a working session (what a ROLLBACK would end). */
  inTransaction(): boolean {
    // Both are synchronous reads of the connection's state.
    return Effect.runSync(Effect.zipWith(this.pg.transactionStatus, this.pg.failure, (status, failure) => status !== "I" && failure === undefined))
  }

  private query(sql: string, params: ReadonlyArray<unknown>, operation: string): Effect.Effect<QueryResult, SqlError.SqlError> {
    return Effect.catch(this.pg.query(sql, params), failWith(sql, operation))
  }

  private simple(sql: string, params: ReadonlyArray<unknown>, operation: string): Effect.Effect<QueryResult, SqlError.SqlError> {
    if (params.length > 0) return this.query(sql, params, operation)
    return Effect.catch(
      Effect.map(this.pg.execute(sql), (results) => results[results.length - 1] ?? emptyResult),
      failWith(sql, operation)
    )
  }

  execute(sql: string, params: ReadonlyArray<unknown>, transformRows: TransformRows): Effect.Effect<ReadonlyArray<Row>, SqlError.SqlError> {
    const rows = Effect.map(this.query(sql, params, "execute"), (result) => result.rows)
    return transformRows === undefined ? rows : Effect.map(rows, transformRows)
  }

  executeRaw(sql: string, params: ReadonlyArray<unknown>): Effect.Effect<QueryResult, SqlError.SqlError> {
    return this.query(sql, params, "executeRaw")
  }

  executeStream(sql: string, params: ReadonlyArray<unknown>, transformRows: TransformRows): Stream.Stream<Row, SqlError.SqlError> {
    const fail = failWith(sql, "executeStream")
    const rows: Stream.Stream<Row, SqlError.SqlError> = Stream.catch(this.pg.stream(sql, params), (error) => Stream.fromEffect(fail(error)))
    return transformRows === undefined
      ? rows
      : Stream.mapArray(rows, (chunk) => transformRows(chunk) as Arr.NonEmptyReadonlyArray<Row>)
  }

  executeValues(sql: string, params: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<ReadonlyArray<unknown>>, SqlError.SqlError> {
    return Effect.catch(Effect.map(this.pg.values(sql, params), (result) => result.rows), failWith(sql, "executeValues"))
  }

  executeValuesUnprepared(sql: string, params: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<ReadonlyArray<unknown>>, SqlError.SqlError> {
    return Effect.map(this.simple(sql, params, "executeValuesUnprepared"), valuesOf)
  }

  executeUnprepared(sql: string, params: ReadonlyArray<unknown>, transformRows: TransformRows): Effect.Effect<ReadonlyArray<Row>, SqlError.SqlError> {
    const rows = Effect.map(this.simple(sql, params, "executeUnprepared"), (result) => result.rows)
    return transformRows === undefined ? rows : Effect.map(rows, transformRows)
  }
}

const emptyResult: QueryResult = { rows: [], command: "", rowCount: undefined, fields: [] }
