/**
 * `fromSocketError`: what the effect Socket's failures become.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Socket from "effect/socket/Socket"
import { fromSocketError } from "../../src/transport/index.ts"

const socketError = (reason: Socket.SocketErrorReason) => new Socket.SocketError({ reason })

describe("fromSocketError", () => {
  it("a clean close is Closed", () => {
    const error = fromSocketError(socketError(new Socket.SocketCloseError({ code: 1000 })))
    expect(error.reason).toBe("Closed")
    expect(error.message).toBe("the server closed the connection")
  })

  it("an abrupt close is Closed, and says so", () => {
    const error = fromSocketError(socketError(new Socket.SocketCloseError({ code: 1006 })))
    expect(error.reason).toBe("Closed")
    expect(error.message).toContain("abruptly")
  })

  it("read and write failures are SocketError with the cause's message", () => {
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })
    const read = fromSocketError(socketError(new Socket.SocketReadError({ cause: reset })))
    expect(read.reason).toBe("SocketError")
    expect(read.message).toContain("ECONNRESET")
    const write = fromSocketError(socketError(new Socket.SocketWriteError({ cause: new Error("EPIPE") })))
    expect(write.reason).toBe("SocketError")
    expect(write.message).toContain("writing")
  })

  it("open failures keep timeout apart", () => {
    expect(fromSocketError(socketError(new Socket.SocketOpenError({ kind: "Timeout", cause: null }))).reason)
      .toBe("ConnectTimeout")
    expect(fromSocketError(socketError(new Socket.SocketOpenError({ kind: "Unknown", cause: null }))).reason)
      .toBe("ConnectFailed")
  })

  it("an upgrade failure is TlsHandshakeFailed", () => {
    expect(fromSocketError(socketError(new Socket.SocketUpgradeError({}))).reason).toBe("TlsHandshakeFailed")
  })

  it("keeps the socket error as the cause", () => {
    const original = socketError(new Socket.SocketCloseError({ code: 1000 }))
    expect(fromSocketError(original).cause).toBe(original)
  })
})
