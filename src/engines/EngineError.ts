/**
 * The error of an engine that could not start or stop: PGlite failed to
 * load or to open its data directory, an upstream database is unreachable,
 * a configuration value is invalid. Errors of statements are `PgError`s, sent
 * to the client; this one is for whoever starts the engine.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * @since 0.1.0
 * @category errors
 */
export class EngineError extends Schema.TaggedError<EngineError>()("EngineError", {
  /** Which engine: `pglite`, `postgres`, `proxy`. */
  engine: Schema.String,
  message: Schema.String,
  cause: Schema.optional(Schema.Unknown)
}) {}
