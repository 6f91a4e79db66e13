/**
 * The client's plain sockets read into one reused buffer (`onread`) and
 * hand copies to the phase socket: bytes that arrive before the phase
 * socket attaches are kept (the socket pauses meanwhile), every chunk is a
 * copy (the next read cannot overwrite what a consumer holds), and a slow
 * consumer still pushes back on the sender.
 */
import { Buffer } from "node:buffer"
import * as Net from "node:net"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { makeDirectReads, makePhaseSocket } from "../../src/transport/internal/PhaseSocket.ts"
import { listen } from "./support.ts"

/** A client socket reading through `direct`, connected to `port`; destroyed with the scope. */
const open = (port: number, direct: ReturnType<typeof makeDirectReads>) =>
  Effect.acquireRelease(
    Effect.callback<Net.Socket>((resume) => {
      const socket = Net.createConnection({ host: "127.0.0.1", port, onread: direct.onread })
      socket.once("connect", () => resume(Effect.succeed(socket)))
    }),
    (socket) => Effect.sync(() => socket.destroy())
  )

/** Pulls until `n` bytes arrived; the chunks as pulled. */
const pullBytes = (reader: { readonly pull: Effect.Effect<ReadonlyArray<Uint8Array>, unknown> }, n: number, pause?: () => Effect.Effect<void>) =>
  Effect.gen(function*() {
    const chunks: Array<Uint8Array> = []
    let total = 0
    while (total < n) {
      for (const chunk of yield* reader.pull) {
        chunks.push(chunk)
        total += chunk.length
      }
      if (pause !== undefined) yield* pause()
    }
    return chunks
  }).pipe(Effect.timeout("10 seconds"))

const pattern = (length: number, seed: number) => {
  const bytes = Buffer.alloc(length)
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed) & 0xff
  return bytes
}

describe("direct reads (onread)", () => {
  it.live("bytes sent before the phase socket attaches are kept, in order", () =>
    Effect.gen(function*() {
      const early = pattern(100_000, 1)
      const server = yield* listen((socket) => {
        socket.write(early)
      })
      const direct = makeDirectReads()
      const socket = yield* open(server.port, direct)
      // Let the server's bytes reach the client (and the first read pause the socket).
      yield* Effect.sleep("100 millis")
      const { reader } = makePhaseSocket(socket, direct)
      const chunks = yield* pullBytes(reader, early.length)
      expect(Buffer.concat(chunks).equals(early)).toBe(true)
    }))

  it.live("every chunk is a copy: chunks held across reads keep their bytes", () =>
    Effect.gen(function*() {
      const parts = Array.from({ length: 20 }, (_, i) => pattern(3000, i))
      const server = yield* listen(async (socket) => {
        for (const part of parts) {
          socket.write(part)
          await new Promise((resolve) => setTimeout(resolve, 2))
        }
      })
      const direct = makeDirectReads()
      const socket = yield* open(server.port, direct)
      const { reader } = makePhaseSocket(socket, direct)
      const total = parts.reduce((n, p) => n + p.length, 0)
      const chunks = yield* pullBytes(reader, total)
      expect(chunks.length).toBeGreaterThan(1)
      // Every chunk is its own memory, none a view into the reused buffer.
      expect(chunks.every((c) => c.buffer !== direct.onread.buffer.buffer)).toBe(true)
      expect(Buffer.concat(chunks).equals(Buffer.concat(parts))).toBe(true)
    }))

  it.live("a consumer that falls behind pauses the socket: the sender sees backpressure, and nothing is lost", () =>
    Effect.gen(function*() {
      const payload = pattern(8 << 20, 7)
      let writesBlocked = false
      const server = yield* listen((socket) => {
        if (!socket.write(payload)) writesBlocked = true
      })
      const direct = makeDirectReads()
      const socket = yield* open(server.port, direct)
      const { reader } = makePhaseSocket(socket, direct)
      // Nobody pulls for a while: the reader queues 64 KiB, pauses, and the kernel buffers fill.
      yield* Effect.sleep("200 millis")
      const accepted = yield* Effect.promise(() => server.connection(0))
      expect(writesBlocked).toBe(true)
      expect(accepted.writableLength).toBeGreaterThan(0)
      const chunks = yield* pullBytes(reader, payload.length)
      expect(Buffer.concat(chunks).equals(payload)).toBe(true)
    }))

  it.live("a peer that closes before the phase socket attaches: the reader ends, it does not wait forever", () =>
    Effect.gen(function*() {
      const server = yield* listen((socket) => {
        socket.end()
      })
      const direct = makeDirectReads()
      const socket = yield* open(server.port, direct)
      yield* Effect.sleep("100 millis")
      const { reader } = makePhaseSocket(socket, direct)
      const end = yield* Effect.flip(reader.pull).pipe(Effect.timeout("5 seconds"))
      expect(end.reason._tag).toBe("SocketCloseError")
    }))

  it.live("the same without direct reads (the data-event path)", () =>
    Effect.gen(function*() {
      const server = yield* listen((socket) => {
        socket.end()
      })
      const socket = yield* Effect.acquireRelease(
        Effect.callback<Net.Socket>((resume) => {
          const s = Net.createConnection({ host: "127.0.0.1", port: server.port })
          s.once("connect", () => resume(Effect.succeed(s)))
        }),
        (s) => Effect.sync(() => s.destroy())
      )
      yield* Effect.sleep("100 millis")
      const { reader } = makePhaseSocket(socket)
      const end = yield* Effect.flip(reader.pull).pipe(Effect.timeout("5 seconds"))
      expect(end.reason._tag).toBe("SocketCloseError")
    }))

  it.live("the end of the stream reaches the reader after the last bytes", () =>
    Effect.gen(function*() {
      const server = yield* listen((socket) => {
        socket.end(Buffer.from("last words"))
      })
      const direct = makeDirectReads()
      const socket = yield* open(server.port, direct)
      const { reader } = makePhaseSocket(socket, direct)
      const chunks = yield* pullBytes(reader, 10)
      expect(Buffer.concat(chunks).toString()).toBe("last words")
      const end = yield* Effect.flip(reader.pull)
      expect(end.reason._tag).toBe("SocketCloseError")
    }))
})
