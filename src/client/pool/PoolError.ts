/**
 * `PoolError`: why the pool could not hand out a connection. A connection
 * that could not be opened is the connection's own error (`ConnectError`),
 * not a `PoolError`.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * - `AcquireTimeout`: no connection became free (or could be opened) within
 *   `acquireTimeout`.
 * - `QueueFull`: `maxWaiting` acquires were already waiting; this one was
 *   refused at once instead of joining them.
 * - `Closed`: the pool has shut down (its scope closed).
 *
 * @since 0.1.0
 * @category models
 */
export const PoolErrorReason = Schema.Literals(["AcquireTimeout", "QueueFull", "Closed"])

/**
 * @since 0.1.0
 * @category models
 */
export type PoolErrorReason = typeof PoolErrorReason.Type

/**
 * @since 0.1.0
 * @category errors
 */
export class PoolError extends Schema.TaggedError<PoolError>()("PoolError", {
  reason: PoolErrorReason,
  message: Schema.String
}) {}
