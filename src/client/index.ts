/**
 * `effect-pgwire/client`: a PostgreSQL connection as an Effect service.
 *
 * @since 0.1.0
 */
export * from "./Config.ts"
export * as Hosts from "./Hosts.ts"
export { type CopyFromOptions, type CopyResult } from "./CopyIn.ts"
export { type CopyToOptions } from "./CopyOut.ts"
export * as CopyFormat from "./CopyFormat.ts"
export { type ListenEvent, type ListenGap, type ListenNotification, type ListenOptions, quoteIdentifier } from "./Listen.ts"
export * from "./PgConnection.ts"
export * from "./PgServerError.ts"
export {
  type AcquireError,
  type CloseReason,
  metrics,
  type PgPoolConfig,
  PgPool,
  type PgPoolShape,
  PoolError,
  PoolErrorReason,
  poolNameAttribute,
  type PoolSettings,
  type PoolStats,
  stateAttribute
} from "./Pool.ts"
export { type QueryResult } from "./Query.ts"
export * from "./QueryErrors.ts"
export { type StreamOptions } from "./QueryStream.ts"
export * from "./RowSchema.ts"
export { type SessionInfo } from "./Startup.ts"
export { type PreparedStatement } from "./StatementCache.ts"
export * from "./types/index.ts"
