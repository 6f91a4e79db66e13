/**
 * SSLRequest negotiation against scripted servers: the exact request bytes,
 * each possible one-byte answer, and the CVE-2021-23222 protection (no
 * unencrypted byte may ride along with the 'S').
 */
import { Buffer } from "node:buffer"
import type * as Net from "node:net"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { connect, type TlsOptions } from "../../src/transport/index.ts"
import {
  await_,
  closed,
  echo,
  failsWith,
  listen,
  pem,
  readExactly,
  receive,
  send,
  serverCredentials,
  sslRequestBytes,
  sslServer
} from "./support.ts"

const required: TlsOptions = { negotiation: "postgres", required: true, verification: "none" }
const preferred: TlsOptions = { negotiation: "postgres", required: false, verification: "none" }

/** Reads the SSLRequest, checks it, and answers with `answer` in one write. */
const answering = (answer: string | Buffer, then: (socket: Net.Socket) => void = () => {}) =>
async (socket: Net.Socket): Promise<void> => {
  const request = await readExactly(socket, 8)
  if (!request.equals(sslRequestBytes)) throw new Error(`not an SSLRequest: ${request.toString("hex")}`)
  socket.write(answer)
  then(socket)
}

describe("SSLRequest", () => {
  it.live("sends exactly 00 00 00 08 04 d2 16 2f first", () =>
    Effect.gen(function*() {
      const seen: Array<Buffer> = []
      const server = yield* listen(async (socket) => {
        seen.push(await readExactly(socket, 8))
        socket.write("N")
        echo(socket)
      })
      const transport = yield* connect({ host: "127.0.0.1", port: server.port, tls: preferred })
      yield* send(transport, "after")
      expect((yield* receive(transport, 5)).toString()).toBe("after")
      expect(seen.map((b) => b.toString("hex"))).toEqual(["00000008" + "04d2162f"])
      expect(server.scriptErrors).toEqual([])
    }))

  it.live("'N' with TLS required: SslRefused, and the socket is closed", () =>
    Effect.gen(function*() {
      const server = yield* listen(answering("N"))
      const error = yield* failsWith(connect({ host: "127.0.0.1", port: server.port, tls: required }), "SslRefused")
      expect(error.message).toContain("does not accept TLS")
      yield* await_(() => server.connection(0).then(closed))
    }))

  it.live("'N' with TLS preferred: the plain connection works and no byte after the 'N' is lost", () =>
    Effect.gen(function*() {
      // The 'N' and the server's next bytes in one write: they arrive in one chunk.
      const server = yield* listen(answering(Buffer.from("Nearly-sent bytes"), echo))
      const transport = yield* connect({ host: "127.0.0.1", port: server.port, tls: preferred })
      expect(transport.tls).toBeUndefined()
      expect((yield* receive(transport, 16)).toString()).toBe("early-sent bytes")
      yield* send(transport, "and then")
      expect((yield* receive(transport, 8)).toString()).toBe("and then")
    }))

  it.live("'N' then bytes in a later write: delivered in order too", () =>
    Effect.gen(function*() {
      const server = yield* listen(answering("N", (socket) => {
        setTimeout(() => socket.write("later"), 20)
      }))
      const transport = yield* connect({ host: "127.0.0.1", port: server.port, tls: preferred })
      expect((yield* receive(transport, 5)).toString()).toBe("later")
    }))

  it.live("'S' with extra bytes in the same write: UnexpectedDataAfterSslResponse (CVE-2021-23222)", () =>
    Effect.gen(function*() {
      const server = yield* listen(answering(Buffer.from("S\x00\x00\x00injected")))
      const error = yield* failsWith(
        connect({ host: "127.0.0.1", port: server.port, tls: required }),
        "UnexpectedDataAfterSslResponse"
      )
      expect(error.message).toContain("CVE-2021-23222")
      yield* await_(() => server.connection(0).then(closed))
    }))

  it.live("'S' with extra bytes is refused even when TLS is only preferred", () =>
    Effect.gen(function*() {
      const server = yield* listen(answering(Buffer.from("SE")))
      yield* failsWith(
        connect({ host: "127.0.0.1", port: server.port, tls: preferred }),
        "UnexpectedDataAfterSslResponse"
      )
    }))

  it.live("'S' then plaintext in a second write before any handshake: the connect fails, never reads it as TLS data", () =>
    Effect.gen(function*() {
      const server = yield* listen(answering("S", (socket) => {
        socket.write("injected")
      }))
      const error = yield* Effect.flip(connect({ host: "127.0.0.1", port: server.port, tls: required }))
      // Depending on when the second segment lands it is caught before the
      // handshake starts, or fed to TLS as a malformed record.
      expect(["UnexpectedDataAfterSslResponse", "TlsHandshakeFailed"]).toContain(error.reason)
    }))

  it.live("an invalid answer byte: InvalidSslResponse", () =>
    Effect.gen(function*() {
      const server = yield* listen(answering("X"))
      const error = yield* failsWith(
        connect({ host: "127.0.0.1", port: server.port, tls: preferred }),
        "InvalidSslResponse"
      )
      expect(error.message).toContain("SSLRequest")
    }))

  it.live("'E' (an old server's ErrorResponse): refused even when TLS is only preferred", () =>
    Effect.gen(function*() {
      const errorResponse = Buffer.concat([
        Buffer.from("E"),
        Buffer.from([0, 0, 0, 0x1d]),
        Buffer.from("SFATAL\0C08P01\0Munsupported\0\0")
      ])
      const server = yield* listen(answering(errorResponse, (socket) => socket.end()))
      const error = yield* failsWith(
        connect({ host: "127.0.0.1", port: server.port, tls: preferred }),
        "SslRefused"
      )
      expect(error.message).toContain("ErrorResponse")
      // The unauthenticated text is not shown to the user.
      expect(error.message).not.toContain("unsupported")
    }))

  it.live("a server that closes without answering: Closed", () =>
    Effect.gen(function*() {
      const server = yield* listen(async (socket) => {
        await readExactly(socket, 8)
        socket.end()
      })
      const error = yield* failsWith(connect({ host: "127.0.0.1", port: server.port, tls: required }), "Closed")
      expect(error.message).toContain("SSLRequest")
    }))

  it.live("'S' and a handshake that never comes: ConnectTimeout covers the TLS handshake", () =>
    Effect.gen(function*() {
      const server = yield* listen(answering("S"))
      yield* failsWith(
        connect({ host: "127.0.0.1", port: server.port, tls: required, connectTimeout: "300 millis" }),
        "ConnectTimeout"
      )
      yield* await_(() => server.connection(0).then(closed))
    }))

  it.live("'S' then a TLS handshake on the same socket", () =>
    Effect.gen(function*() {
      const server = yield* listen(sslServer(serverCredentials("server")))
      const transport = yield* connect({
        host: "localhost",
        port: server.port,
        tls: { negotiation: "postgres", required: true, verification: "full", rootCertificates: pem("ca.pem") }
      })
      expect(transport.tls?.protocol).toMatch(/^TLSv1\.[23]$/)
      yield* send(transport, "encrypted")
      expect((yield* receive(transport, 9)).toString()).toBe("encrypted")
    }))
})
