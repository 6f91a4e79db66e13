/**
 * `effect-pgwire/client`: a PostgreSQL connection as an Effect service.
 *
 * @since 0.1.0
 */
export * from "./Config.ts"
export * from "./PgConnection.ts"
export * from "./PgServerError.ts"
export { type QueryResult } from "./Query.ts"
export * from "./QueryErrors.ts"
export { type SessionInfo } from "./Startup.ts"
export { type PreparedStatement } from "./StatementCache.ts"
export { Oid } from "./TypeMap.ts"
