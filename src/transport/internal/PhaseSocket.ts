/**
 * A Node socket as an `effect/socket` Socket: one phase of a server-side
 * connection (plain, then perhaps TLS), with a `detach` for the TLS upgrade
 * (`Listen.ts`), and a client's established connection (`Connect.ts`).
 *
 * @internal
 */
import type * as Net from "node:net"
import type * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Socket from "effect/socket/Socket"

/** Bytes queued while the session is not reading, before the socket is paused. */
const readHighWaterMark = 64 * 1024

const closeError = (code: number): Socket.SocketError =>
  new Socket.SocketError({ reason: new Socket.SocketCloseError({ code }) })

/**
 * One phase's stream (plain or TLS) as an effect Socket.
 *
 * The reader listens to `data` events and hands each chunk straight to a
 * waiting `pull` (one chunk, no copy); chunks that arrive while nobody
 * pulls are queued, and past 64 KiB the stream is paused, so a session busy
 * with a long statement stops the kernel from accepting more (end-to-end
 * backpressure). This is `NodeSocket.fromDuplex`'s contract without its
 * `readable`/`read()` round trip per chunk, which request/response traffic
 * pays on every query (measured: bench/server.ts, bench/client.ts).
 *
 * The writer waits for `drain` when Node's buffer is full. `detach` stops
 * reading (before a TLS upgrade) and reports how many bytes were queued
 * and never pulled.
 */
export const makePhaseSocket = (stream: Net.Socket) => {
  const queue: Array<Uint8Array> = []
  let queued = 0
  let waiter: ((effect: Effect.Effect<Arr.NonEmptyReadonlyArray<Uint8Array>, Socket.SocketError>) => void) | undefined
  let failure: Socket.SocketError | undefined
  let attached = true

  const wake = (effect: Effect.Effect<Arr.NonEmptyReadonlyArray<Uint8Array>, Socket.SocketError>) => {
    const resume = waiter
    waiter = undefined
    resume?.(effect)
  }
  const onData = (chunk: Buffer) => {
    if (waiter !== undefined) return wake(Effect.succeed([chunk]))
    queue.push(chunk)
    queued += chunk.length
    if (queued >= readHighWaterMark) stream.pause()
  }
  const onEnd = () => {
    failure ??= closeError(1000)
    if (waiter !== undefined) wake(Effect.fail(failure))
  }
  const onClose = (hadError: boolean) => {
    failure ??= closeError(hadError ? 1006 : 1000)
    if (waiter !== undefined) wake(Effect.fail(failure))
  }
  const onError = (cause: Error) => {
    failure ??= new Socket.SocketError({ reason: new Socket.SocketReadError({ cause }) })
    if (waiter !== undefined) wake(Effect.fail(failure))
  }
  stream.on("data", onData)
  stream.on("end", onEnd)
  stream.on("close", onClose)
  stream.on("error", onError)
  stream.resume()

  const pull: Effect.Effect<Arr.NonEmptyReadonlyArray<Uint8Array>, Socket.SocketError> = Effect.callback((resume) => {
    if (queue.length > 0) {
      const chunks = queue.splice(0) as unknown as Arr.NonEmptyReadonlyArray<Uint8Array>
      queued = 0
      if (attached && stream.isPaused()) stream.resume()
      return resume(Effect.succeed(chunks))
    }
    if (failure !== undefined) return resume(Effect.fail(failure))
    if (!attached) return resume(Effect.fail(closeError(1006)))
    waiter = resume
    return Effect.sync(() => {
      if (waiter === resume) waiter = undefined
    })
  })

  const reader: Socket.Reader<Uint8Array> = {
    pull,
    upgrade: () =>
      Effect.fail(new Socket.SocketError({ reason: new Socket.SocketUpgradeError({ cause: new Error("use ServerTransport.startTls") }) }))
  }

  const awaitDrain = Effect.callback<void, Socket.SocketError>((resume) => {
    const cleanup = () => {
      stream.off("drain", onDrain)
      stream.off("close", onClosed)
    }
    const onDrain = () => {
      cleanup()
      resume(Effect.void)
    }
    const onClosed = () => {
      cleanup()
      resume(Effect.fail(new Socket.SocketError({ reason: new Socket.SocketWriteError({ cause: new Error("socket closed") }) })))
    }
    stream.on("drain", onDrain)
    stream.on("close", onClosed)
    return Effect.sync(cleanup)
  })

  const writeFailed = (cause: unknown) => Effect.fail(new Socket.SocketError({ reason: new Socket.SocketWriteError({ cause }) }))

  const write = (chunk: Uint8Array | string | Socket.CloseEvent): Effect.Effect<void, Socket.SocketError> => {
    if (Socket.isCloseEvent(chunk)) {
      stream.destroy()
      return Effect.void
    }
    if (stream.destroyed || stream.writableEnded) return writeFailed(new Error("socket closed"))
    try {
      return stream.write(chunk) ? Effect.void : awaitDrain
    } catch (cause) {
      return writeFailed(cause)
    }
  }

  const writer: Socket.Writer = {
    write,
    writeAll: (chunks) => {
      if (stream.destroyed || stream.writableEnded) return writeFailed(new Error("socket closed"))
      let full = false
      stream.cork()
      try {
        for (const chunk of chunks) full = !stream.write(chunk) || full
      } catch (cause) {
        return writeFailed(cause)
      } finally {
        stream.uncork()
      }
      return full ? awaitDrain : Effect.void
    }
  }

  /** Stops reading; returns the bytes that arrived and were never pulled. */
  const detach = (): number => {
    attached = false
    stream.off("data", onData)
    stream.off("end", onEnd)
    stream.off("close", onClose)
    stream.off("error", onError)
    stream.pause()
    if (waiter !== undefined) wake(Effect.fail(closeError(1006)))
    return queued
  }

  const socket = Socket.make({ reader: Effect.succeed(reader), writer: Effect.succeed(writer) })
  return { socket, reader, writer, detach }
}
