/**
 * `effect-pgwire/server`: PostgreSQL's wire protocol on the server side, for
 * Postgres-compatible servers, proxies and test doubles.
 *
 * - {@link PgServer}: listen (TCP, Unix socket, TLS), sessions, limits,
 *   graceful shutdown.
 * - {@link QueryHandler}: the user logic (prepare and execute statements);
 *   {@link Results} builds what it returns, {@link Values} encodes values.
 * - {@link AuthProvider}: trust, password, MD5, SCRAM-SHA-256(-PLUS),
 *   client certificates, custom exchanges.
 * - {@link CancelRegistry}: the cancel keys, shareable across processes.
 * - {@link Session}: a connected client, with out-of-band messages.
 * - {@link CopyFormat}: COPY text, CSV and binary rows.
 *
 * What it is not: a SQL engine; `src/server/demo` holds a small one used by
 * the tests and the docs.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * from "./AuthProvider.ts"

/** @since 0.1.0 */
export { CancelRegistry, type BackendKey, type CancelRegistryShape } from "./CancelRegistry.ts"

/** @since 0.1.0 */
export * as CopyFormat from "./CopyFormat.ts"

/** @since 0.1.0 */
export * from "./PgError.ts"

/** @since 0.1.0 */
export { PgServer, type PgServerShape } from "./PgServer.ts"

/** @since 0.1.0 */
export * from "./QueryHandler.ts"

/** @since 0.1.0 */
export * as Results from "./Results.ts"

/** @since 0.1.0 */
export type { CopyFormat as CopyDataFormat, Field, PreparedStatement, QueryResult, Row } from "./Results.ts"

/** @since 0.1.0 */
export { defaultParameters, type PgServerOptions } from "./ServerOptions.ts"

/** @since 0.1.0 */
export type { Session } from "./Session.ts"

/** @since 0.1.0 */
export { readStartupMessage, type StartupRequest } from "./Startup.ts"

/** @since 0.1.0 */
export { splitStatements } from "./Statements.ts"

/** @since 0.1.0 */
export * as Values from "./Values.ts"

/** @since 0.1.0 */
export { ArrayOid, decodeParameter, Oid } from "./Values.ts"
