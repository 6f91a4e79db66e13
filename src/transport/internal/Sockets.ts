/**
 * What the client side (`Connect.ts`) and the server side (`Listen.ts`) of
 * the transport share: error construction, Node buffer conversion, the
 * keepalive option, and the graceful close of a stack of sockets (TCP under
 * TLS).
 *
 * @internal
 */
import { Buffer } from "node:buffer"
import type * as Net from "node:net"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { ConnectionError, type ConnectionErrorReason } from "../ConnectionError.ts"

/** The ALPN protocol PostgreSQL 17+ registers; libpq 17 offers it in both negotiation modes, a server requires it for direct TLS. */
export const alpnProtocol = "postgresql"

/** How long a closed transport may take to flush what was written before it is destroyed. */
export const closeGraceMillis = 1_000

export const connectionError = (reason: ConnectionErrorReason, message: string, cause?: unknown): ConnectionError =>
  cause === undefined ? new ConnectionError({ reason, message }) : new ConnectionError({ reason, message, cause })

export const messageOf = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

export const codeOf = (cause: unknown): string | undefined => {
  if (typeof cause !== "object" || cause === null || !("code" in cause)) return undefined
  return typeof cause.code === "string" ? cause.code : undefined
}

/** Keeps an `error` event between two phases from crashing the process; the next phase sees `destroyed`. */
export const ignoreError = (): void => {}

export const toBuffer = (input: string | Uint8Array): string | Buffer =>
  typeof input === "string" ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength)

export const toBuffers = (input: string | Uint8Array | ReadonlyArray<string | Uint8Array>): Array<string | Buffer> =>
  typeof input === "string" || input instanceof Uint8Array ? [toBuffer(input)] : input.map(toBuffer)

/** `false` when off; otherwise the idle time before the first probe in ms (0: the OS default). */
export const keepAliveOf = (input: boolean | Duration.Input | undefined): Effect.Effect<number | false, ConnectionError> => {
  if (input === undefined || input === true) return Effect.succeed(0)
  if (input === false) return Effect.succeed(false)
  const duration = Duration.fromInput(input)
  if (Option.isNone(duration) || !Duration.isFinite(duration.value)) {
    return Effect.fail(connectionError("ConnectFailed", `invalid keepAlive: ${String(input)}`))
  }
  return Effect.succeed(Duration.toMillis(duration.value))
}

/**
 * Closes gracefully: what was written is flushed and the peer gets a FIN (and
 * a TLS close_notify) before the sockets are destroyed, outermost first; a
 * peer that stopped reading cannot hold them open beyond `closeGraceMillis`.
 */
export const release = (opened: ReadonlyArray<Net.Socket>): void => {
  const outer = opened[opened.length - 1]
  if (outer === undefined) return
  const destroyAll = () => {
    for (let i = opened.length - 1; i >= 0; i--) opened[i]!.destroy()
  }
  if (outer.destroyed || outer.writableFinished || !outer.writable && !outer.writableEnded) return destroyAll()
  const timer = setTimeout(destroyAll, closeGraceMillis)
  timer.unref()
  outer.once("close", () => {
    clearTimeout(timer)
    destroyAll()
  })
  outer.once("finish", destroyAll)
  if (!outer.writableEnded) outer.end()
}
