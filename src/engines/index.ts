/**
 * `effect-pgwire/engines`: query handlers that do real work behind
 * `PgServer`.
 *
 * - {@link PgliteEngine}: one embedded PGlite database served to many
 *   sessions (loaded when started, so client users never load it).
 * - {@link ProxyEngine}: each session on its own session of an upstream
 *   PostgreSQL, TLS and authentication ending at our server.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export { EngineError } from "./EngineError.ts"

/** @since 0.1.0 */
export { PgliteEngine, type PgliteEngineOptions, type PgliteEngineShape } from "./pglite/PgliteEngine.ts"

/** @since 0.1.0 */
export * as PgliteStatement from "./pglite/Statement.ts"

/** @since 0.1.0 */
export { ProxyEngine, type ProxyEngineOptions, type ProxyEngineShape, type QueryLogEntry } from "./proxy/ProxyEngine.ts"

/** @since 0.1.0 */
export { type Upstream } from "./proxy/Upstream.ts"
