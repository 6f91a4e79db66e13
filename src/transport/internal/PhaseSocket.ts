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

/** The size of a direct reader's receive buffer (what Node allocates per read otherwise). */
const directBufferSize = 64 * 1024

/**
 * Reads into one reused buffer through `net.connect`'s `onread` option,
 * handing each chunk (a copy of the bytes read) straight to the phase
 * socket: no `Readable` push and `data` event per read, which a
 * request/response client pays on every query (measured with
 * bench/client.ts, seq: about 1.5 µs of CPU per query). Only for a socket
 * that stays plain: TLS reads through its own layer.
 *
 * Chunks that arrive before `makePhaseSocket` attaches are kept, and the
 * socket pauses until then.
 *
 * @internal
 */
export interface DirectReads {
  /** Pass as `onread` to `net.connect`. */
  readonly onread: { readonly buffer: Uint8Array; readonly callback: (bytes: number, buffer: Uint8Array) => boolean }
  /** Sends every chunk (the kept ones first) to `f` from now on; `undefined` stops (chunks are kept again). */
  readonly attach: (f: ((chunk: Uint8Array) => void) | undefined) => void
}

/** @internal */
export const makeDirectReads = (): DirectReads => {
  let target: ((chunk: Uint8Array) => void) | undefined
  const early: Array<Uint8Array> = []
  return {
    onread: {
      buffer: new Uint8Array(directBufferSize),
      callback: (bytes, buffer) => {
        const chunk = buffer.slice(0, bytes)
        if (target !== undefined) {
          target(chunk)
          return true
        }
        early.push(chunk)
        return false
      }
    },
    attach: (f) => {
      target = f
      if (f !== undefined) for (const chunk of early.splice(0)) f(chunk)
    }
  }
}

const closeError = (code: number): Socket.SocketError =>
  new Socket.SocketError({ reason: new Socket.SocketCloseError({ code }) })

/**
 * One phase's stream (plain or TLS) as an effect Socket.
 *
 * The reader listens to `data` events (or takes the chunks of `direct`
 * reads) and hands each chunk straight to a waiting `pull`; chunks that arrive while nobody
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
export const makePhaseSocket = (stream: Net.Socket, direct?: DirectReads) => {
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
  const onData = (chunk: Uint8Array) => {
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
  if (direct === undefined) stream.on("data", onData)
  else direct.attach(onData)
  stream.on("end", onEnd)
  stream.on("close", onClose)
  stream.on("error", onError)
  // A peer that closed before this phase attached (its `end` or `close`
  // already emitted): the reader ends after the bytes kept, instead of
  // waiting for events that will not come again.
  if (stream.readableEnded || stream.destroyed) failure = closeError(stream.errored === null ? 1000 : 1006)
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
    if (direct === undefined) stream.off("data", onData)
    else direct.attach(undefined)
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
