/**
 * `effect-pgwire/sql`: effect/sql's `SqlClient` for PostgreSQL on the
 * pgwire pool, with the `PgClient` extras (COPY, streams, LISTEN/NOTIFY).
 *
 * ```ts
 * import { PgClient } from "effect-pgwire/sql"
 * const SqlLive = PgClient.layer({ connection: "postgres://app@localhost/app", maxSize: 10 })
 * ```
 *
 * @since 0.1.0
 */
export * as PgClient from "./PgClient.ts"
export { json, makeCompiler, type PgJson, quoteIdentifier } from "./Compiler.ts"
export { PgSqlConnection } from "./Connection.ts"
export { type PgFailure, reasonOf, toSqlError } from "./SqlErrors.ts"
