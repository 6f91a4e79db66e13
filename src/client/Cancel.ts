/**
 * Cancelling the query a session is running: a CancelRequest (process id and
 * secret key, 4 bytes in 3.0, up to 256 in 3.2) on a new connection to the
 * same server, over TLS when the session uses TLS. The server answers
 * nothing and closes the connection; the cancelled query then ends with
 * SQLSTATE 57014 on the session itself.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import { encodeFrontend } from "../protocol/Frontend.ts"
import { sendAndAwaitClose } from "../transport/Connect.ts"
import { ConnectionError } from "../transport/ConnectionError.ts"
import type { Connect, ConnectOptions } from "../transport/Transport.ts"

/**
 * Sends a CancelRequest and waits (at most `timeout`) for the server to close
 * the side connection, so the request has arrived when this returns.
 *
 * @since 0.1.0
 * @category cancellation
 */
export const sendCancelRequest = (
  connect: Connect,
  options: ConnectOptions,
  processId: number,
  secretKey: Uint8Array,
  timeout: Duration.Input = Duration.seconds(10)
): Effect.Effect<void, ConnectionError> => {
  const packet = encodeFrontend({ _tag: "CancelRequest", processId, secretKey })
  if (Result.isFailure(packet)) {
    return Effect.fail(new ConnectionError({ reason: "SocketError", message: `cannot encode CancelRequest: ${packet.failure.message}` }))
  }
  return sendAndAwaitClose(options, packet.success, connect).pipe(
    Effect.timeoutOrElse({ duration: timeout, orElse: () => Effect.void })
  )
}
