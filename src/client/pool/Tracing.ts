/**
 * Spans of the pool's operations with OpenTelemetry's database attributes:
 * `db.system.name` (`postgresql`), `db.namespace` (the database),
 * `server.address`, `server.port`, `db.query.text` for statements, and on
 * failure `db.response.status_code` (the SQLSTATE, when the server sent one)
 * and `error.type`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import { sanitizeSql } from "../../protocol/SqlLexer.ts"
import type { ResolvedConfig } from "../Config.ts"
import type { SpanQueryText } from "./Options.ts"

/**
 * The attributes every span of a pool (and of the SqlClient on it) carries.
 *
 * @since 0.1.0
 * @category tracing
 */
export const databaseAttributes = (config: Pick<ResolvedConfig, "database" | "host" | "port">): Readonly<Record<string, unknown>> => ({
  "db.system.name": "postgresql",
  "db.namespace": config.database,
  "server.address": config.host,
  "server.port": config.port
})

/**
 * What a statement's span records as `db.query.text` under `mode`:
 * the text with its literals replaced by `?` (`"sanitized"`), as written
 * (`"full"`), or nothing (`"none"`).
 *
 * @since 0.1.0
 * @category tracing
 */
export const spanQueryText = (mode: SpanQueryText, sql: string): string | undefined =>
  mode === "sanitized" ? sanitizeSql(sql) : mode === "full" ? sql : undefined

/**
 * The SQLSTATE of a failure, if it carries one: a server error, or an error
 * caused by one (a stale statement, a refused password).
 *
 * @since 0.1.0
 * @category tracing
 */
export const sqlStateOf = (error: unknown): string | undefined => {
  if (typeof error !== "object" || error === null) return undefined
  if ("_tag" in error && error._tag === "PgServerError" && "code" in error && typeof error.code === "string") return error.code
  if ("cause" in error && error.cause !== error) return sqlStateOf(error.cause)
  return undefined
}

/**
 * Writes the failure attributes on `span`: `db.response.status_code` when
 * there is a SQLSTATE, and `error.type` (the SQLSTATE, else the error's tag).
 *
 * @since 0.1.0
 * @category tracing
 */
export const recordFailure = (span: Tracer.Span, error: unknown): void => {
  const code = sqlStateOf(error)
  if (code !== undefined) span.attribute("db.response.status_code", code)
  const tag = typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string" ? error._tag : "Error"
  span.attribute("error.type", code ?? tag)
}

const withText = (attributes: Readonly<Record<string, unknown>>, text: string | undefined): Readonly<Record<string, unknown>> =>
  text === undefined ? attributes : { ...attributes, "db.query.text": text }

/**
 * Runs `effect` in a client span `name` with `attributes` (and `text` as
 * `db.query.text`, if given: see `spanQueryText`); a failure adds the
 * status code.
 *
 * @since 0.1.0
 * @category tracing
 */
export const traced = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  name: string,
  attributes: Readonly<Record<string, unknown>>,
  text?: string
): Effect.Effect<A, E, R> =>
  Effect.useSpan(
    name,
    { kind: "client", attributes: withText(attributes, text) },
    (span) =>
      Effect.tapError(Effect.withParentSpan(effect, span, { captureStackTrace: false }), (error) => Effect.sync(() => recordFailure(span, error)))
  )

/**
 * A stream in a client span that lasts as long as the stream (with `text`
 * as `db.query.text`, if given); a failure adds the status code.
 *
 * @since 0.1.0
 * @category tracing
 */
export const tracedStream = <A, E, R>(
  stream: Stream.Stream<A, E, R>,
  name: string,
  attributes: Readonly<Record<string, unknown>>,
  text: string | undefined
): Stream.Stream<A, E, R> =>
  Stream.unwrap(
    Effect.map(
      Effect.makeSpanScoped(name, { kind: "client", attributes: withText(attributes, text) }),
      (span) =>
        stream.pipe(
          Stream.tapError((error) => Effect.sync(() => recordFailure(span, error))),
          Stream.provideService(Tracer.ParentSpan, span)
        )
    )
  )
