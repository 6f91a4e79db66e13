/**
 * Errors of the command line: a message a person can act on (what failed,
 * and what to do about it), rendered by Effect's CLI runner instead of a
 * stack trace.
 *
 * @since 0.1.0
 */
import * as CliError from "effect/cli/CliError"

/**
 * A failure with a message for the person at the terminal.
 *
 * @since 0.1.0
 * @category constructors
 */
export const failure = (message: string, cause?: unknown): CliError.UserError =>
  new CliError.UserError({ cause: cause ?? new Error(message), userMessage: message })

/**
 * The message of an error from a lower layer, for a CLI message.
 *
 * @since 0.1.0
 * @category conversions
 */
export const messageOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "message" in error && typeof error.message === "string"
    ? error.message
    : String(error)

/**
 * Whether a listen error says the address is taken.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isAddressInUse = (error: unknown): boolean => /EADDRINUSE|address already in use/i.test(messageOf(error))
