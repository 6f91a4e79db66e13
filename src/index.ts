/**
 * effect-pgwire: PostgreSQL's frontend/backend protocol 3.0 and 3.2 for
 * Effect 4. Each layer has its own entry point (`effect-pgwire/protocol`,
 * `effect-pgwire/auth`, `effect-pgwire/transport`, `effect-pgwire/client`);
 * this module gathers them as namespaces.
 *
 * @since 0.1.0
 */
export * as Auth from "./auth/index.ts"
export * as Client from "./client/index.ts"
export * as Protocol from "./protocol/index.ts"
export * as Transport from "./transport/index.ts"
