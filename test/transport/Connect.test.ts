/**
 * Plain connections: TCP and Unix-domain sockets, bytes both ways through
 * the effect Socket, connect failures and timeouts, keepalive, and closing.
 */
import { Buffer } from "node:buffer"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Scope from "effect/Scope"
import * as Socket from "effect/socket/Socket"
import { connect, fromSocketError } from "../../src/transport/index.ts"
import {
  await_,
  closed,
  echo,
  failsWith,
  listen,
  readExactly,
  receive,
  send,
  tempDir,
  unusedPort
} from "./support.ts"

describe("plain TCP", () => {
  it.live("carries bytes both ways through the effect Socket", () =>
    Effect.gen(function*() {
      const server = yield* listen(echo)
      const options = { host: "127.0.0.1", port: server.port }
      const transport = yield* connect(options)
      expect(transport.tls).toBeUndefined()
      expect(transport.remoteAddress).toBe("127.0.0.1")
      expect(transport.options).toBe(options)
      yield* send(transport, "hello, postgres")
      const echoed = yield* receive(transport, 15)
      expect(echoed.toString()).toBe("hello, postgres")
    }))

  it.live("resolves host names (localhost)", () =>
    Effect.gen(function*() {
      const server = yield* listen(echo)
      const transport = yield* connect({ host: "localhost", port: server.port })
      expect(transport.remoteAddress).toBe("127.0.0.1")
      yield* send(transport, "x")
      expect((yield* receive(transport, 1)).toString()).toBe("x")
    }))

  it.live("streams a megabyte each way with backpressure", () =>
    Effect.gen(function*() {
      const server = yield* listen(echo)
      const transport = yield* connect({ host: "127.0.0.1", port: server.port })
      const payload = Buffer.alloc(1 << 20)
      for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff
      const reading = yield* Effect.forkChild(receive(transport, payload.length))
      yield* send(transport, payload)
      const echoed = yield* Fiber.join(reading)
      expect(echoed.length).toBe(payload.length)
      expect(echoed.equals(payload)).toBe(true)
    }))

  it.live("writes before anyone reads (the reader is acquired by connect)", () =>
    Effect.gen(function*() {
      const server = yield* listen(async (socket) => {
        const got = await readExactly(socket, 5)
        socket.write(Buffer.concat([Buffer.from("got:"), got]))
      })
      const transport = yield* connect({ host: "127.0.0.1", port: server.port })
      yield* send(transport, "first")
      expect((yield* receive(transport, 9)).toString()).toBe("got:first")
    }))

  it.live("closing the scope closes the socket: the server sees the end", () =>
    Effect.gen(function*() {
      const server = yield* listen(() => {})
      const scope = yield* Scope.make()
      const transport = yield* Scope.provide(connect({ host: "127.0.0.1", port: server.port }), scope)
      yield* Scope.provide(send(transport, "bye"), scope)
      const accepted = yield* await_(() => server.connection(0))
      const ended = new Promise<string>((resolve) => {
        const chunks: Array<Buffer> = []
        accepted.on("data", (chunk: Buffer) => chunks.push(chunk))
        accepted.once("end", () => resolve(Buffer.concat(chunks).toString()))
      })
      yield* Scope.close(scope, Exit.void)
      // What was written before the close still arrives, then the FIN.
      expect(yield* await_(() => ended)).toBe("bye")
      yield* await_(() => closed(accepted))
    }))

  it.live("closing the scope flushes writes still buffered in Node before it destroys", () =>
    Effect.gen(function*() {
      const size = 8 << 20
      let received = 0
      let resolveDone: (n: number) => void = () => {}
      const done = new Promise<number>((resolve) => (resolveDone = resolve))
      const server = yield* listen((socket) => {
        // Read nothing for a while: the client's kernel buffers fill and the
        // rest of the write waits in Node when the scope closes.
        setTimeout(() => {
          socket.on("data", (chunk: Buffer) => (received += chunk.length))
          socket.on("end", () => resolveDone(received))
        }, 150)
      })
      const scope = yield* Scope.make()
      const transport = yield* Scope.provide(connect({ host: "127.0.0.1", port: server.port }), scope)
      const writer = yield* Scope.provide(transport.socket.writer, scope)
      yield* Effect.forkChild(writer.write(Buffer.alloc(size, 7)))
      yield* Effect.sleep("20 millis")
      yield* Scope.close(scope, Exit.void)
      expect(yield* await_(() => done)).toBe(size)
    }))

  it.live("a peer that stops reading cannot hold a closed transport open: destroyed after the grace period", () =>
    Effect.gen(function*() {
      const size = 32 << 20
      let received = 0
      let resolveDone: (n: number) => void = () => {}
      const done = new Promise<number>((resolve) => (resolveDone = resolve))
      const server = yield* listen((socket) => {
        // Start reading only well after the 1 s grace period.
        setTimeout(() => {
          socket.on("data", (chunk: Buffer) => (received += chunk.length))
          socket.on("close", () => resolveDone(received))
        }, 1_500)
      })
      const scope = yield* Scope.make()
      const transport = yield* Scope.provide(connect({ host: "127.0.0.1", port: server.port }), scope)
      const writer = yield* Scope.provide(transport.socket.writer, scope)
      yield* Effect.forkChild(writer.write(Buffer.alloc(size, 7)))
      yield* Effect.sleep("20 millis")
      yield* Scope.close(scope, Exit.void)
      // Only what the kernel had accepted gets through; the rest was dropped.
      const got = yield* await_(() => done)
      expect(got).toBeLessThan(size)
    }))

  it.live("a server that closes ends the reader with Closed", () =>
    Effect.gen(function*() {
      const server = yield* listen((socket) => {
        socket.end("last words")
      })
      const transport = yield* connect({ host: "127.0.0.1", port: server.port })
      expect((yield* receive(transport, 10)).toString()).toBe("last words")
      const reader = yield* transport.socket.reader
      const error = yield* Effect.flip(reader.pull)
      expect(Socket.isSocketError(error)).toBe(true)
      const mapped = fromSocketError(error)
      expect(mapped.reason).toBe("Closed")
    }))

  it.live("refused: ConnectFailed with the cause", () =>
    Effect.gen(function*() {
      const port = yield* unusedPort
      const error = yield* failsWith(connect({ host: "127.0.0.1", port }), "ConnectFailed")
      expect((error.cause as NodeJS.ErrnoException).code).toBe("ECONNREFUSED")
      expect(error.message).toContain(`127.0.0.1:${port}`)
    }))

  it.live("an invalid port: ConnectFailed, not a throw", () =>
    Effect.gen(function*() {
      yield* failsWith(connect({ host: "127.0.0.1", port: 70000 }), "ConnectFailed")
    }))

  it.live("an invalid connect timeout: ConnectFailed, not a throw", () =>
    Effect.gen(function*() {
      const server = yield* listen(echo)
      // Not a Duration.Input a type checker would accept; reaches us from untyped config.
      const bogus = "soon" as unknown as number
      yield* failsWith(connect({ host: "127.0.0.1", port: server.port, connectTimeout: bogus }), "ConnectFailed")
      expect(server.accepted.length).toBe(0)
    }))

  it.live("a server that accepts but never answers SSLRequest: ConnectTimeout, and the socket is closed", () =>
    Effect.gen(function*() {
      const server = yield* listen(() => {})
      const started = Date.now()
      const error = yield* failsWith(
        connect({
          host: "127.0.0.1",
          port: server.port,
          connectTimeout: "300 millis",
          tls: { negotiation: "postgres", required: true, verification: "none" }
        }),
        "ConnectTimeout"
      )
      expect(Date.now() - started).toBeLessThan(10_000)
      expect(error.message).toContain("300")
      yield* await_(() => server.connection(0).then(closed))
    }))

  it.live("a zero connect timeout means none (libpq's connect_timeout=0)", () =>
    Effect.gen(function*() {
      const server = yield* listen(echo)
      const transport = yield* connect({ host: "127.0.0.1", port: server.port, connectTimeout: 0 })
      yield* send(transport, "ok")
      expect((yield* receive(transport, 2)).toString()).toBe("ok")
    }))

  it.live("interrupting a connect closes the half-open socket", () =>
    Effect.gen(function*() {
      const server = yield* listen(() => {})
      const fiber = yield* Effect.forkChild(
        Effect.scoped(connect({
          host: "127.0.0.1",
          port: server.port,
          tls: { negotiation: "postgres", required: true, verification: "none" }
        }))
      )
      const accepted = yield* await_(() => server.connection(0))
      yield* Fiber.interrupt(fiber)
      yield* await_(() => closed(accepted))
    }))
})

/** The client's socket in /proc/net/tcp: the "tr" column is 2 while the keepalive timer runs. */
const keepAliveTimer = (localPort: number): { readonly active: number; readonly when: number } | undefined => {
  const lines = Fs.readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)
  for (const line of lines) {
    const fields = line.trim().split(/\s+/)
    const local = fields[1]
    if (local === undefined || parseInt(local.split(":")[1]!, 16) !== localPort) continue
    const state = fields[3]
    if (state !== "01") continue // ESTABLISHED
    const [active, when] = fields[5]!.split(":")
    return { active: parseInt(active!, 16), when: parseInt(when!, 16) }
  }
  return undefined
}

// Linux is the platform these tests run on; /proc/net/tcp shows the socket options the kernel holds.
describe("TCP keepalive (read back from /proc/net/tcp)", () => {
  const timerOf = (keepAlive: boolean | Duration.Input | undefined) =>
    Effect.gen(function*() {
      const server = yield* listen(() => {})
      const transport = yield* connect({
        host: "127.0.0.1",
        port: server.port,
        ...(keepAlive === undefined ? {} : { keepAlive })
      })
      const accepted = yield* await_(() => server.connection(0))
      expect(transport.remoteAddress).toBe("127.0.0.1")
      const timer = keepAliveTimer(accepted.remotePort!)
      expect(timer).toBeDefined()
      return timer!
    })

  it.live("is on by default", () =>
    Effect.gen(function*() {
      expect((yield* timerOf(undefined)).active).toBe(2)
    }))

  it.live("can be turned off", () =>
    Effect.gen(function*() {
      expect((yield* timerOf(false)).active).toBe(0)
    }))

  it.live("a duration sets the idle time before the first probe", () =>
    Effect.gen(function*() {
      const timer = yield* timerOf("30 seconds")
      expect(timer.active).toBe(2)
      // In clock ticks (USER_HZ, 100/s on Linux): at most 30 s away, and well above the 2 h default.
      expect(timer.when).toBeLessThanOrEqual(30 * 100)
      expect(timer.when).toBeGreaterThan(20 * 100)
    }))
})

describe("Unix-domain sockets", () => {
  it.live("connects to <dir>/.s.PGSQL.<port> and carries bytes both ways", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const path = Path.join(dir, ".s.PGSQL.5433")
      yield* listen(echo, { path, port: 5433 })
      const transport = yield* connect({ host: dir, port: 5433 })
      expect(transport.remoteAddress).toBe(path)
      expect(transport.tls).toBeUndefined()
      yield* send(transport, "over unix")
      expect((yield* receive(transport, 9)).toString()).toBe("over unix")
    }))

  it.live("a missing socket file: ConnectFailed", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const error = yield* failsWith(connect({ host: dir, port: 5433 }), "ConnectFailed")
      expect(error.message).toContain(".s.PGSQL.5433")
    }))

  it.live("TLS requested over a Unix socket stays plain: no SSLRequest is sent", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const server = yield* listen(echo, { path: Path.join(dir, ".s.PGSQL.5434"), port: 5434 })
      const transport = yield* connect({
        host: dir,
        port: 5434,
        tls: { negotiation: "postgres", required: true, verification: "full" }
      })
      expect(transport.tls).toBeUndefined()
      yield* send(transport, "startup")
      // The echo proves the server's first bytes were ours, not an SSLRequest.
      expect((yield* receive(transport, 7)).toString()).toBe("startup")
      expect(server.accepted.length).toBe(1)
    }))

  it.live("direct TLS requested over a Unix socket stays plain too", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      yield* listen(echo, { path: Path.join(dir, ".s.PGSQL.5435"), port: 5435 })
      const transport = yield* connect({
        host: dir,
        port: 5435,
        tls: { negotiation: "direct", required: true, verification: "full" }
      })
      expect(transport.tls).toBeUndefined()
      yield* send(transport, "plain")
      expect((yield* receive(transport, 5)).toString()).toBe("plain")
    }))

  it.live("a host starting with @ is the abstract namespace (Linux)", () =>
    Effect.gen(function*() {
      const name = `pgwire-test-${process.pid}-${Date.now()}`
      yield* listen(echo, { path: `\0${name}/.s.PGSQL.5432`, port: 5432 })
      const transport = yield* connect({ host: `@${name}`, port: 5432 })
      expect(transport.remoteAddress).toBe(`@${name}/.s.PGSQL.5432`)
      yield* send(transport, "abstract")
      expect((yield* receive(transport, 8)).toString()).toBe("abstract")
    }))
})

describe("the Node socket stays private", () => {
  it("only src/transport imports node:net or node:tls", () => {
    const root = Path.join(import.meta.dirname, "..", "..", "src")
    const offenders: Array<string> = []
    const walk = (dir: string): void => {
      for (const entry of Fs.readdirSync(dir, { withFileTypes: true })) {
        const full = Path.join(dir, entry.name)
        if (entry.isDirectory()) walk(full)
        else if (entry.name.endsWith(".ts") && /from "node:(net|tls)"/.test(Fs.readFileSync(full, "utf8"))) {
          offenders.push(Path.relative(root, full))
        }
      }
    }
    walk(root)
    expect(offenders).toContain(Path.join("transport", "Connect.ts"))
    expect(offenders.filter((file) => !file.startsWith(`transport${Path.sep}`))).toEqual([])
  })
})
