/**
 * The one error of configuration: a connection string that does not parse,
 * an unknown key, a value libpq would refuse, a service that is not defined,
 * a file that cannot be read. The message names the key (or the file) at
 * fault, as libpq's messages do.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * An invalid configuration (bad connection string, unknown key, value out of
 * range, contradictory options, missing service or file).
 *
 * @since 0.1.0
 * @category errors
 */
export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  message: Schema.String,
  /** The libpq key word (or environment variable, or file) at fault, when there is one. */
  key: Schema.optional(Schema.String)
}) {}
