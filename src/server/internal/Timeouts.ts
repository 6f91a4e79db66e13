/**
 * The session's own timeouts and the errors that end a session from the
 * server's side, for the phase machine and for relayed sessions alike.
 *
 * @since 0.1.0
 */
import type { TransactionStatus } from "../../protocol/index.ts"
import { SqlState } from "../../protocol/SqlState.ts"
import { fatal, type PgError, protocolViolation } from "../PgError.ts"
import type { ResolvedOptions } from "../ServerOptions.ts"

/** @internal */
export interface Timeout {
  readonly millis: number
  readonly error: () => PgError
}

/** @internal */
export const adminShutdown = (): PgError => fatal(SqlState.adminShutdown, "terminating connection due to administrator command")

const stalled = () => protocolViolation("terminating connection: a message stopped arriving before it was complete")
const idleSession = () => fatal(SqlState.idleSessionTimeout, "terminating connection due to idle-session timeout")
const idleInTransaction = () => fatal(SqlState.idleInTransactionSessionTimeout, "terminating connection due to idle-in-transaction timeout")

/** How long a message may stop half way. */
export const stallTimeout = (config: ResolvedOptions): Timeout | undefined =>
  config.messageStallTimeoutMillis === undefined ? undefined : { millis: config.messageStallTimeoutMillis, error: stalled }

/**
 * How long a session waiting for its client may stay idle, by the status
 * its last ReadyForQuery reported.
 *
 * @internal
 */
export const idleTimeout = (config: ResolvedOptions, status: TransactionStatus): Timeout | undefined => {
  const millis = status === "I" ? config.idleSessionTimeoutMillis : config.idleInTransactionTimeoutMillis
  return millis === undefined ? undefined : { millis, error: status === "I" ? idleSession : idleInTransaction }
}
