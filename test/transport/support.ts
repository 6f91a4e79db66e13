/**
 * Scripted servers for the transport tests: plain `node:net` / `node:tls`
 * listeners on 127.0.0.1 (or a Unix-domain socket) that play just the part of
 * PostgreSQL the transport sees (the SSLRequest answer, the TLS handshake),
 * then echo. Every server, and every socket it accepted, is closed with the
 * test's scope.
 */
import { Buffer } from "node:buffer"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Tls from "node:tls"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Scope from "effect/Scope"
import { expect } from "vitest"
import type { ConnectionError, ConnectionErrorReason, Transport } from "../../src/transport/index.ts"

const fixtures = Path.join(import.meta.dirname, "fixtures")

/** A PEM (or DER) file of `test/transport/fixtures`. */
export const fixture = (name: string): Buffer => Fs.readFileSync(Path.join(fixtures, name))

export const pem = (name: string): string => fixture(name).toString("utf8")

/** A server TLS context for one of the fixture certificates (`server`, `wrong-name`, ...). */
export const serverCredentials = (name: string): { readonly key: Buffer; readonly cert: Buffer } => ({
  key: fixture(`${name}.key`),
  cert: fixture(`${name}.pem`)
})

export const sslRequestBytes = Buffer.from([0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f])

export interface ScriptedServer {
  /** The TCP port (or, for a Unix-domain server, the port in the socket's name). */
  readonly port: number
  /** Every connection accepted so far, in order. */
  readonly accepted: ReadonlyArray<Net.Socket>
  /** The n-th accepted connection (0-based), once it is accepted. */
  readonly connection: (index: number) => Promise<Net.Socket>
  /** Errors thrown by the script, for assertions that the script ran cleanly. */
  readonly scriptErrors: ReadonlyArray<unknown>
}

export interface ListenOptions {
  /** A Unix-domain socket path instead of 127.0.0.1:0; `port` is then reported as given. */
  readonly path?: string
  readonly port?: number
  /** A TLS server (direct TLS) instead of a plain one. */
  readonly tls?: Tls.TlsOptions
}

/**
 * Listens and runs `script` for each accepted connection. Errors on the
 * accepted sockets are swallowed (clients abort handshakes on purpose here).
 */
export const listen = (
  script: (socket: Net.Socket) => void | Promise<void>,
  options: ListenOptions = {}
): Effect.Effect<ScriptedServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.callback<{ server: Net.Server; state: ScriptedServer }>((resume) => {
      const accepted: Array<Net.Socket> = []
      const scriptErrors: Array<unknown> = []
      const waiting = new Map<number, Array<(socket: Net.Socket) => void>>()
      const onSocket = (socket: Net.Socket) => {
        socket.on("error", () => {})
        accepted.push(socket)
        const index = accepted.length - 1
        for (const wake of waiting.get(index) ?? []) wake(socket)
        waiting.delete(index)
        Promise.resolve()
          .then(() => script(socket))
          .catch((error: unknown) => {
            scriptErrors.push(error)
            socket.destroy()
          })
      }
      const server = options.tls === undefined
        ? Net.createServer(onSocket)
        : Tls.createServer(options.tls, onSocket)
      server.on("tlsClientError", () => {})
      const connection = (index: number) =>
        new Promise<Net.Socket>((resolve) => {
          const socket = accepted[index]
          if (socket !== undefined) return resolve(socket)
          waiting.set(index, [...(waiting.get(index) ?? []), resolve])
        })
      const done = () => {
        const address = server.address()
        const port = options.port ?? (typeof address === "object" && address !== null ? address.port : 0)
        resume(Effect.succeed({ server, state: { port, accepted, connection, scriptErrors } }))
      }
      if (options.path !== undefined) server.listen(options.path, done)
      else server.listen(0, "127.0.0.1", done)
    }),
    ({ server, state }) =>
      Effect.callback<void>((resume) => {
        for (const socket of state.accepted) socket.destroy()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ state }) => state))

/** A fresh temporary directory, removed with the scope. */
export const tempDir: Effect.Effect<string, never, Scope.Scope> = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "pgwire-transport-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

/** Reads exactly `n` bytes from a server-side socket (paused mode, nothing more is consumed). */
export const readExactly = (socket: Net.Socket, n: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const cleanup = () => {
      socket.off("readable", onReadable)
      socket.off("end", onEnd)
    }
    const onReadable = () => {
      const chunk: Buffer | null = socket.read(n)
      if (chunk === null) return
      cleanup()
      resolve(chunk)
    }
    const onEnd = () => {
      cleanup()
      reject(new Error(`connection ended before ${n} bytes arrived`))
    }
    socket.on("readable", onReadable)
    socket.once("end", onEnd)
  })

/** Echoes everything back. */
export const echo = (socket: Net.Socket): void => {
  socket.on("data", (chunk: Buffer) => socket.write(chunk))
  socket.on("end", () => socket.end())
}

/** Upgrades an accepted plain socket to TLS (the server side of SSLRequest 'S'). */
export const upgradeToTls = (socket: Net.Socket, options: Tls.TlsOptions): Promise<Tls.TLSSocket> =>
  new Promise((resolve, reject) => {
    const secure = new Tls.TLSSocket(socket, { ...options, isServer: true })
    secure.on("error", reject)
    secure.once("secure", () => resolve(secure))
  })

/**
 * The usual SSLRequest server: checks the request bytes, answers 'S', runs the
 * handshake with `tls`, then hands the TLS socket to `then` (echo by default).
 */
export const sslServer = (
  tls: Tls.TlsOptions,
  then: (secure: Tls.TLSSocket) => void = echo
) =>
async (socket: Net.Socket): Promise<void> => {
  const request = await readExactly(socket, 8)
  if (!request.equals(sslRequestBytes)) throw new Error(`not an SSLRequest: ${request.toString("hex")}`)
  socket.write("S")
  then(await upgradeToTls(socket, tls))
}

/**
 * Resolves when the server-side socket is closed (the client went away).
 * Drains what is unread, or a paused socket would never see the EOF.
 */
export const closed = (socket: Net.Socket): Promise<void> =>
  new Promise((resolve) => {
    if (socket.destroyed || socket.closed) return resolve()
    socket.once("close", () => resolve())
    socket.resume()
  })

export const await_ = <A>(promise: () => Promise<A>): Effect.Effect<A> => Effect.promise(promise)

/** Writes through the transport's effect Socket. */
export const send = (transport: Transport, data: string | Uint8Array) =>
  Effect.gen(function*() {
    const writer = yield* transport.socket.writer
    yield* writer.write(typeof data === "string" ? Buffer.from(data) : data)
  })

/** Pulls from the transport's reader until `n` bytes have arrived; returns exactly what arrived. */
export const receive = (transport: Transport, n: number) =>
  Effect.gen(function*() {
    const reader = yield* transport.socket.reader
    const chunks: Array<Uint8Array> = []
    let total = 0
    while (total < n) {
      const batch = yield* reader.pull
      for (const chunk of batch) {
        chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk)
        total += chunk.length
      }
    }
    return Buffer.concat(chunks)
  })

/** Runs `effect` expecting a ConnectionError of `reason`; returns the error. */
export const failsWith = <A, R>(
  effect: Effect.Effect<A, ConnectionError, R>,
  reason: ConnectionErrorReason
): Effect.Effect<ConnectionError, never, R> =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(effect)
    if (Exit.isSuccess(exit)) throw new Error(`expected ConnectionError ${reason}, got success`)
    const error = exit.cause.reasons.find((r) => r._tag === "Fail")
    if (error === undefined || error._tag !== "Fail") throw new Error(`expected ConnectionError ${reason}, got ${String(exit.cause)}`)
    expect(error.error._tag).toBe("ConnectionError")
    expect(error.error.reason, error.error.message).toBe(reason)
    return error.error
  })

/** A port nobody listens on: bound, then released. */
export const unusedPort: Effect.Effect<number> = Effect.callback<number>((resume) => {
  const server = Net.createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})
