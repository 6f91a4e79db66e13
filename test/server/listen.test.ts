/**
 * The server side of the transport (`src/transport/Listen.ts`) on its own:
 * plain accept and read, the CVE-2021-23214 check when bytes arrive after
 * the SSLRequest was read but before the upgrade, the peer certificate of a
 * client that sent one, a Unix socket left over by a dead process replaced
 * while a live one is not, and closing the listener.
 */
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Path from "node:path"
import * as Tls from "node:tls"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { listen } from "../../src/transport/Listen.ts"
import { certs, serverTls, tempDirectory } from "./support/server.ts"

const connect = (port: number) =>
  Effect.acquireRelease(
    Effect.callback<Net.Socket>((resume) => {
      const socket = Net.createConnection({ host: "127.0.0.1", port })
      socket.on("error", () => {})
      socket.once("connect", () => resume(Effect.succeed(socket)))
    }),
    (socket) => Effect.sync(() => socket.destroy())
  )

const sslRequest = new Uint8Array([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])

describe("listen", () => {
  it.live("accepts on TCP; the first read is what the client sent", () =>
    Effect.scoped(Effect.gen(function*() {
      const listener = yield* listen({ host: "127.0.0.1", port: 0 })
      const client = yield* connect(listener.tcp!.port)
      client.write("hello")
      const incoming = yield* listener.accept
      const transport = yield* incoming.open
      expect(transport.kind).toBe("tcp")
      expect(transport.remoteAddress).toBe("127.0.0.1")
      const chunks = yield* transport.reader.pull
      expect(Buffer.concat(chunks.map((c) => (typeof c === "string" ? Buffer.from(c) : c))).toString()).toBe("hello")
    })))

  it.live("bytes that arrive after the SSLRequest was read refuse the upgrade, before any 'S'", () =>
    Effect.scoped(Effect.gen(function*() {
      const listener = yield* listen({ host: "127.0.0.1", port: 0, tls: serverTls() })
      const client = yield* connect(listener.tcp!.port)
      const received: Array<Buffer> = []
      client.on("data", (chunk: Buffer) => received.push(chunk))
      client.write(sslRequest)
      const transport = yield* Effect.flatMap(listener.accept, (incoming) => incoming.open)
      yield* transport.reader.pull
      client.write("injected")
      // Let the injected bytes reach the server's socket buffer.
      yield* Effect.sleep("50 millis")
      const exit = yield* Effect.exit(transport.startTls)
      expect(Exit.isFailure(exit)).toBe(true)
      const error = Exit.isFailure(exit) ? Exit.findErrorOption(exit) : undefined
      expect(error?._tag === "Some" && error.value._tag).toBe("ProtocolError")
      yield* Effect.sleep("20 millis")
      expect(received).toEqual([])
    })))

  it.live("after 'S', the handshake; a client certificate is reported with its CN", () =>
    Effect.scoped(Effect.gen(function*() {
      const listener = yield* listen({ host: "127.0.0.1", port: 0, tls: serverTls() })
      const client = yield* connect(listener.tcp!.port)
      client.write(sslRequest)
      const transport = yield* Effect.flatMap(listener.accept, (incoming) => incoming.open)
      yield* transport.reader.pull
      const answered = Effect.callback<number>((resume) => {
        client.once("data", (chunk: Buffer) => resume(Effect.succeed(chunk[0]!)))
      })
      const upgrading = yield* Effect.forkChild(transport.startTls)
      const answer = yield* answered
      expect(String.fromCharCode(answer)).toBe("S")
      const secure = Tls.connect({ socket: client, ca: certs.ca.cert, servername: "localhost", cert: certs.client.cert, key: certs.client.key })
      secure.on("error", () => {})
      const upgraded = yield* Fiber.await(upgrading)
      const tls = Exit.isSuccess(upgraded) ? upgraded.value.tls : undefined
      expect(tls?.negotiation).toBe("postgres")
      expect(tls?.peerCommonName).toBe("cert_user")
      expect(tls?.peerCertificateAuthorized).toBe(true)
      expect(tls?.localCertificate).toBeInstanceOf(Uint8Array)
      secure.destroy()
    })))

  it.live("a Unix socket left by a dead process is replaced; one with a live listener is not", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = yield* tempDirectory
      const path = Path.join(dir, ".s.PGSQL.7777")
      // A process that binds the socket and dies without removing it.
      yield* Effect.callback<void>((resume) => {
        const child = spawn(process.execPath, ["-e", `require("net").createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, "SIGKILL"))`])
        child.once("exit", () => resume(Effect.void))
      })
      expect(Fs.existsSync(path)).toBe(true)
      const listener = yield* listen({ unixSocketDirectory: dir, port: 7777 })
      expect(listener.unixSocketPath).toBe(path)
      const second = yield* Effect.exit(Effect.scoped(listen({ unixSocketDirectory: dir, port: 7777 })))
      const error = Exit.isFailure(second) ? Exit.findErrorOption(second) : undefined
      expect(error?._tag === "Some" && error.value.reason).toBe("ConnectFailed")
      yield* listener.close
      expect(Fs.existsSync(path)).toBe(false)
    })))

  it.live("after close, accept fails with Closed and nothing is accepted", () =>
    Effect.scoped(Effect.gen(function*() {
      const listener = yield* listen({ host: "127.0.0.1", port: 0 })
      yield* listener.close
      const exit = yield* Effect.exit(listener.accept)
      const error = Exit.isFailure(exit) ? Exit.findErrorOption(exit) : undefined
      expect(error?._tag === "Some" && error.value.reason).toBe("Closed")
    })))
})
