/**
 * What every client operation (query, execute, stream, COPY, LISTEN) needs
 * from the connection that owns it: the wire, the statement cache, the
 * connection's scope, preparation and cancellation. `PgConnection.ts` builds
 * one per connection and hands it to the operation files, so each operation
 * lives in a file of its own.
 *
 * @internal
 */
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { ConnectionError } from "../../transport/ConnectionError.ts"
import type { ResolvedConfig } from "../Config.ts"
import type { PreparedStatement, PrepareFailure, StatementCache } from "../StatementCache.ts"
import type { TypeRegistry } from "../types/Registry.ts"
import type { Request, Wire } from "./Wire.ts"

/** A request the caller may stop waiting for. */
export interface Abandonable {
  abandoned: boolean
}

export interface Core {
  readonly wire: Wire
  readonly cache: StatementCache
  readonly config: ResolvedConfig
  /** How values travel on this connection: built-in codecs, custom types learnt from the catalog, user codecs. */
  readonly types: TypeRegistry
  /** The connection's scope: background work (draining, cancels) is forked here. */
  readonly scope: Scope.Scope
  /**
   * The cached prepared statement for `sql` with the stated parameter types
   * (0 = the server infers), preparing it (once) if needed.
   */
  readonly prepare: (sql: string, parameterTypes: ReadonlyArray<number>) => Effect.Effect<PreparedStatement, PrepareFailure>
  /** Sends a CancelRequest for whatever the session runs now. */
  readonly cancel: Effect.Effect<void, ConnectionError>
  /**
   * On interruption of the caller: marks the request abandoned and, if the
   * server is working on it, sends a CancelRequest in the background. The
   * connection drains the request's remaining responses.
   */
  readonly abandon: (request: Request & Abandonable) => Effect.Effect<void>
}

/** Whether a statement may switch the connection into COPY mode (checked cheaply, erring on yes). */
export const mayCopy = (sql: string): boolean => /copy/i.test(sql)
