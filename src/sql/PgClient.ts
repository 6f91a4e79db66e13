/**
 * `effect/sql`'s `SqlClient` for PostgreSQL on the `PgPool`, and a
 * `PgClient` service with the PostgreSQL extras: COPY in and out, row
 * streams of raw SQL, LISTEN and NOTIFY, and `json` fragments.
 *
 * - Statements borrow a pooled connection each; `withTransaction` holds one
 *   for the whole transaction (`BEGIN`, then `SAVEPOINT effect_sql_N` for
 *   each nested level, rolled back to on failure and released on success);
 *   `stream` holds one until the stream ends. Statements are prepared once
 *   per connection and cached. `COMMIT` of a transaction the server already
 *   aborted (it answers `ROLLBACK`) fails.
 * - The compiler (`Compiler.ts`) writes `$n` placeholders and quoted
 *   identifiers; failures are `SqlError`s with a reason chosen by SQLSTATE
 *   (`SqlErrors.ts`).
 * - Spans: effect/sql's statement and `sql.transaction` spans carry
 *   `db.system.name`, `db.namespace`, `server.address`, `server.port` (and
 *   `db.query.text`); with span propagation (on by default) a failed
 *   statement's span also gets `db.response.status_code`. Connecting runs in
 *   `pgwire.connect` spans.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Reactivity from "effect/reactivity/Reactivity"
import type * as Scope from "effect/Scope"
import * as Sink from "effect/Sink"
import * as SqlClient from "effect/sql/SqlClient"
import type { Connection } from "effect/sql/SqlConnection"
import * as SqlError from "effect/sql/SqlError"
import * as Statement from "effect/sql/Statement"
import * as Stream from "effect/Stream"
import type { CopyFromOptions, CopyResult } from "../client/CopyIn.ts"
import type { CopyToOptions } from "../client/CopyOut.ts"
import type { Row } from "../client/internal/Wire.ts"
import type { ListenEvent, ListenOptions } from "../client/Listen.ts"
import type { PgConnectionShape } from "../client/PgConnection.ts"
import { make as makePool, PgPool, type PgPoolConfig, type PgPoolShape } from "../client/Pool.ts"
import { spanQueryText, tracedStream } from "../client/pool/Tracing.ts"
import type { StreamOptions } from "../client/QueryStream.ts"
import { json, makeCompiler } from "./Compiler.ts"
import { PgSqlConnection } from "./Connection.ts"
import { type PgFailure, toSqlError } from "./SqlErrors.ts"

/**
 * @since 0.1.0
 * @category type IDs
 */
export const TypeId: "~effect-pgwire/PgClient" = "~effect-pgwire/PgClient"

/**
 * A `SqlClient` with PostgreSQL's extras. Inside `withTransaction` the
 * extras run on the transaction's connection, so a COPY is part of the
 * transaction.
 *
 * @since 0.1.0
 * @category models
 */
export interface PgClient extends SqlClient.SqlClient {
  readonly [TypeId]: typeof TypeId
  /** The pool underneath. */
  readonly pool: PgPoolShape
  /** A value as a `jsonb` parameter (`$n::jsonb`). */
  readonly json: (value: unknown) => Statement.Fragment
  /** The rows of raw SQL with `$n` parameters, fetched in batches through a portal. */
  readonly stream: (sql: string, params?: ReadonlyArray<unknown>, options?: StreamOptions) => Stream.Stream<Row, SqlError.SqlError>
  /** `COPY ... FROM STDIN` as a Sink of bytes (see `CopyFormat` for row encoders). */
  readonly copyFrom: (sql: string, options?: CopyFromOptions) => Sink.Sink<CopyResult, Uint8Array, never, SqlError.SqlError>
  /** `COPY ... TO STDOUT` as a Stream of bytes. */
  readonly copyTo: (sql: string, options?: CopyToOptions) => Stream.Stream<Uint8Array, SqlError.SqlError>
  /** Notifications of the channels, on a dedicated session that reconnects (emitting a gap marker). */
  readonly listen: (channels: string | ReadonlyArray<string>, options?: ListenOptions) => Stream.Stream<ListenEvent, SqlError.SqlError>
  /** `pg_notify(channel, payload)`. */
  readonly notify: (channel: string, payload: string) => Effect.Effect<void, SqlError.SqlError>
}

/**
 * The PgClient service (provided together with `SqlClient` by the layers).
 *
 * @since 0.1.0
 * @category services
 */
export const PgClient: Context.Service<PgClient, PgClient> = Context.Service<PgClient>("effect-pgwire/PgClient")

/**
 * What the SqlClient adds to the pool's options.
 *
 * @since 0.1.0
 * @category models
 */
export interface PgClientOptions {
  /** More attributes for every statement and transaction span. */
  readonly spanAttributes?: Readonly<Record<string, unknown>> | undefined
  /** Renames result columns (e.g. snake_case to camelCase). */
  readonly transformResultNames?: ((name: string) => string) | undefined
  /** Renames identifiers in statements (e.g. camelCase to snake_case). */
  readonly transformQueryNames?: ((name: string) => string) | undefined
  /** Whether the transforms also rename keys inside `json` values. Default true. */
  readonly transformJson?: boolean | undefined
  /**
   * Whether the layers turn on effect/sql's `SpanPropagationEnabled` (driver
   * spans under the statement's span, connection wait time, the SQLSTATE
   * of a failure on the statement's span). Default true.
   */
  readonly spanPropagation?: boolean | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface PgClientConfig extends PgPoolConfig, PgClientOptions {}

/** A failure of the borrower's own effect, told apart from the pool's. */
class Borrowed<E> {
  readonly error: E
  constructor(error: E) {
    this.error = error
  }
}

const commit = (conn: Connection): Effect.Effect<void, SqlError.SqlError> =>
  conn instanceof PgSqlConnection
    ? Effect.flatMap(conn.executeRaw("COMMIT", []), (result) =>
      // A transaction already aborted ends with ROLLBACK whatever the client asked for.
      result.command === "ROLLBACK"
        ? Effect.fail(
          new SqlError.SqlError({
            reason: new SqlError.UnknownError({
              cause: result,
              message: "COMMIT rolled back a transaction the server had aborted",
              operation: "commit"
            })
          })
        )
        : Effect.void)
    : Effect.asVoid(conn.executeUnprepared("COMMIT", [], undefined))

/**
 * A PgClient on an existing pool (the pool outlives it).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromPool = (
  pool: PgPoolShape,
  options: PgClientOptions = {}
): Effect.Effect<PgClient, never, Reactivity.Reactivity> =>
  Effect.gen(function*() {
    const wrappers = new WeakMap<PgConnectionShape, PgSqlConnection>()
    const wrap = (pg: PgConnectionShape): PgSqlConnection => {
      let connection = wrappers.get(pg)
      if (connection === undefined) {
        connection = new PgSqlConnection(pg)
        wrappers.set(pg, connection)
      }
      return connection
    }
    const sqlError = (operation: string) => (error: PgFailure) => toSqlError(error, operation)
    const acquirer: Effect.Effect<Connection, SqlError.SqlError, Scope.Scope> = Effect.map(
      Effect.mapError(pool.get, sqlError("acquire")),
      wrap
    )
    const client = yield* SqlClient.make({
      acquirer,
      // One statement borrows without a scope of its own; the borrower's failures pass through boxed.
      borrower: (f) =>
        Effect.catch(
          pool.withConnection((pg) => Effect.mapError(f(wrap(pg)), (error) => new Borrowed(error))),
          (error) => Effect.fail(error instanceof Borrowed ? error.error : toSqlError(error, "acquire"))
        ),
      compiler: makeCompiler(options.transformQueryNames, options.transformJson),
      driver: "pgwire",
      spanAttributes: [
        ...(options.spanAttributes === undefined ? [] : Object.entries(options.spanAttributes)),
        ...Object.entries(pool.attributes)
      ],
      prepareTransactionControls: true,
      commit,
      releaseSavepoint: (name) => `RELEASE SAVEPOINT ${name}`,
      // A session that failed has no transaction left to roll back: skip the ROLLBACK instead of dying on it.
      isTransaction: (conn) => !(conn instanceof PgSqlConnection) || conn.inTransaction(),
      transformRows: options.transformResultNames === undefined
        ? undefined
        : Statement.defaultTransforms(options.transformResultNames, options.transformJson).array
    })

    /** The transaction's connection inside `withTransaction`, else a pooled one for the scope. */
    const connection: Effect.Effect<PgConnectionShape, SqlError.SqlError, Scope.Scope> = Effect.flatMap(
      Effect.serviceOption(client.transactionService),
      (transaction) =>
        Option.isSome(transaction) && transaction.value[0] instanceof PgSqlConnection
          ? Effect.succeed(transaction.value[0].pg)
          : Effect.mapError(pool.get, sqlError("acquire"))
    )
    const attributes = pool.attributes

    const extras = {
      [TypeId]: TypeId,
      pool,
      json,
      stream: (sql: string, params?: ReadonlyArray<unknown>, streamOptions?: StreamOptions) =>
        tracedStream(
          Stream.unwrap(Effect.map(connection, (c) => Stream.mapError(c.stream(sql, params, streamOptions), sqlError("stream")))),
          "pgwire.stream",
          attributes,
          spanQueryText(pool.settings.spanQueryText, sql)
        ),
      copyFrom: (sql: string, copyOptions?: CopyFromOptions) =>
        Sink.unwrap<CopyResult, Uint8Array, never, SqlError.SqlError, Scope.Scope, never>(
          Effect.map(connection, (c) => Sink.mapError(c.copyFrom(sql, copyOptions), sqlError("copyFrom")))
        ),
      copyTo: (sql: string, copyOptions?: CopyToOptions) =>
        tracedStream(
          Stream.unwrap(Effect.map(connection, (c) => Stream.mapError(c.copyTo(sql, copyOptions), sqlError("copyTo")))),
          "pgwire.copyTo",
          attributes,
          spanQueryText(pool.settings.spanQueryText, sql)
        ),
      listen: (channels: string | ReadonlyArray<string>, listenOptions?: ListenOptions) =>
        Stream.mapError(pool.listen(channels, listenOptions), sqlError("listen")),
      notify: (channel: string, payload: string) =>
        Effect.asVoid(Effect.mapError(pool.query("SELECT pg_notify($1, $2)", [channel, payload]), sqlError("notify")))
    }
    return Object.assign(client, extras) satisfies PgClient
  })

/**
 * A PgClient with a pool of its own; both close with the scope. A bad
 * configuration fails as a `SqlError` (`UnknownError` with the
 * `ConfigError` as cause).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (config: PgClientConfig): Effect.Effect<PgClient, SqlError.SqlError, Scope.Scope | Reactivity.Reactivity> =>
  Effect.flatMap(Effect.mapError(makePool(config), (error) => toSqlError(error, "connect")), (pool) => fromPool(pool, config))

const clientLayer = <E, R>(
  acquire: Effect.Effect<PgClient, E, R>,
  options: PgClientOptions
): Layer.Layer<PgClient | SqlClient.SqlClient, E, Exclude<Exclude<R, Scope.Scope>, Reactivity.Reactivity>> => {
  const services = Layer.effectContext(
    Effect.map(acquire, (client) => Context.make(PgClient, client).pipe(Context.add(SqlClient.SqlClient, client)))
  ).pipe(Layer.provide(Reactivity.layer))
  return options.spanPropagation === false
    ? services
    : Layer.merge(services, Layer.succeed(Statement.SpanPropagationEnabled, true))
}

/**
 * `PgClient` and `SqlClient`, with a pool of their own.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (config: PgClientConfig): Layer.Layer<PgClient | SqlClient.SqlClient, SqlError.SqlError> =>
  clientLayer(make(config), config)

/**
 * `PgClient` and `SqlClient` on the `PgPool` service, shared with code that
 * uses the pool directly.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromPool = (options: PgClientOptions = {}): Layer.Layer<PgClient | SqlClient.SqlClient, never, PgPool> =>
  clientLayer(Effect.flatMap(Effect.service(PgPool), (pool) => fromPool(pool, options)), options)
