/**
 * `LISTEN` as a `Stream`: notifications of one or more channels, received on
 * a connection of their own (a LISTEN session would otherwise delay the
 * queries of the connection it shares, and a lost connection would lose the
 * subscription with it).
 *
 * The stream opens its connection, runs `LISTEN` for each channel and emits
 * every NotificationResponse in the order the server sent it. When the
 * connection is lost (the backend was terminated, the server restarted, the
 * network failed), it reconnects with an exponential back-off, listens
 * again, and emits a `ListenGap` first: notifications sent while no session
 * was listening are lost, and the consumer should re-read whatever state it
 * follows. When the stream ends (its scope closes) the session runs
 * `UNLISTEN *` and closes.
 *
 * Channel names are identifiers taken verbatim (quoted), so `listen("Jobs")`
 * listens to `"Jobs"`, not `jobs`.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { WireFailure } from "./internal/Wire.ts"
import type { QueryError } from "./QueryErrors.ts"

/**
 * A notification, as `listen` emits it.
 *
 * @since 0.1.0
 * @category models
 */
export interface ListenNotification {
  readonly _tag: "Notification"
  readonly channel: string
  readonly payload: string
  /** The notifying backend's process id. */
  readonly processId: number
}

/**
 * The listening session was lost and a new one listens now: notifications
 * sent in between were missed.
 *
 * @since 0.1.0
 * @category models
 */
export interface ListenGap {
  readonly _tag: "Gap"
  /** Why the previous session ended. */
  readonly cause: WireFailure
  /** How many connection attempts the reconnect took. */
  readonly attempts: number
}

/**
 * @since 0.1.0
 * @category models
 */
export type ListenEvent = ListenNotification | ListenGap

/**
 * @since 0.1.0
 * @category models
 */
export interface ListenOptions {
  /** The first reconnect delay; it doubles up to `maxReconnectDelay`. Default 100 ms. */
  readonly reconnectDelay?: Duration.Input | undefined
  /** Default 5 seconds. */
  readonly maxReconnectDelay?: Duration.Input | undefined
  /** Give up (fail the stream) after this many failed attempts in a row. Default: never. */
  readonly maxReconnectAttempts?: number | undefined
}

/** What `listen` needs of a connection. */
export interface ListenSession {
  readonly execute: (sql: string) => Effect.Effect<unknown, QueryError>
  /** Completes with the failure that ended the connection. */
  readonly closed: Effect.Effect<WireFailure>
}

/** Opens a dedicated connection that hands every notification to `onNotification`. */
export type OpenListenSession<E> = (
  onNotification: (notification: ListenNotification) => void
) => Effect.Effect<ListenSession, E, Scope.Scope>

/**
 * Quotes an identifier for SQL: `"` around it, inner `"` doubled.
 *
 * @since 0.1.0
 * @category utils
 */
export const quoteIdentifier = (name: string): string => `"${name.replace(/"/g, '""')}"`

/**
 * The listen stream over `open`.
 *
 * @internal
 */
export const listenWith = <E>(
  open: OpenListenSession<E>,
  channels: string | ReadonlyArray<string>,
  options?: ListenOptions
): Stream.Stream<ListenEvent, E | QueryError> => {
  const names = typeof channels === "string" ? [channels] : channels
  const firstDelay = Duration.toMillis(options?.reconnectDelay ?? "100 millis")
  const maxDelay = Duration.toMillis(options?.maxReconnectDelay ?? "5 seconds")
  const maxAttempts = options?.maxReconnectAttempts ?? Infinity
  return Stream.callback<ListenEvent, E | QueryError>((queue) => {
    const emit = (event: ListenEvent) => {
      Queue.offerUnsafe(queue, event)
    }
    /** One session: listen, then wait for it to end; the scope runs UNLISTEN and closes it. */
    const session = (gap: Omit<ListenGap, "_tag"> | undefined): Effect.Effect<WireFailure, E | QueryError> =>
      Effect.scoped(Effect.gen(function*() {
        const connection = yield* open(emit)
        for (const name of names) yield* connection.execute(`LISTEN ${quoteIdentifier(name)}`)
        if (gap !== undefined) emit({ _tag: "Gap", ...gap })
        yield* Effect.addFinalizer(() =>
          connection.execute("UNLISTEN *").pipe(Effect.ignore, Effect.timeoutOrElse({ duration: Duration.seconds(1), orElse: () => Effect.void }))
        )
        return yield* connection.closed
      }))
    const reconnect = (cause: WireFailure, attempt: number): Effect.Effect<never, E | QueryError> =>
      Effect.sleep(Duration.millis(Math.min(maxDelay, firstDelay * 2 ** (attempt - 1)))).pipe(
        Effect.andThen(session({ cause, attempts: attempt })),
        Effect.matchEffect({
          onFailure: (error) => (attempt >= maxAttempts ? Effect.fail(error) : reconnect(cause, attempt + 1)),
          onSuccess: (lost) => reconnect(lost, 1)
        })
      )
    // The first session must work; later ones are retried.
    return Effect.flatMap(session(undefined), (lost) => reconnect(lost, 1))
  })
}
