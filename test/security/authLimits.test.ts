/**
 * The limits of the authentication phase, each at its boundary:
 *
 * - the size of password-family messages ('p': SASLInitialResponse,
 *   SASLResponse, PasswordMessage), PostgreSQL's PG_MAX_AUTH_TOKEN_LENGTH
 *   (a length word of 65,535 accepted, 65,536 refused with FATAL 08P01
 *   from the header), and a configured lower limit; a message at the limit
 *   goes through a whole SCRAM login;
 * - on the client, an authentication request above its limit from a
 *   server is a ProtocolError;
 * - the authentication timeout (`startupTimeout`, PostgreSQL's
 *   `authentication_timeout`): a client that stops in the middle of SCRAM
 *   (after server-first) or never answers a cleartext or MD5 request gets
 *   FATAL 57014 and its slot back; the time counts from the connection, not
 *   from the last message; a session past startup is not affected.
 *
 * Not here (test/server/limits.test.ts and test/server/hostile.test.ts):
 * connection count, startup packet size and a stalled startup packet,
 * stalling right after AuthenticationSASL, per-kind sizes of other
 * messages, idle timeouts.
 */
import * as Net from "node:net"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { ScramKeys } from "../../src/auth/index.ts"
import { PgConnection } from "../../src/client/PgConnection.ts"
import { type BackendMessage, StartupCode } from "../../src/protocol/index.ts"
import { AuthProvider, type PasswordMethodName } from "../../src/server/AuthProvider.ts"
import type { PgServerOptions } from "../../src/server/ServerOptions.ts"
import { connectPeer, errorCode, type Peer, readyPeer, tags } from "../server/support/peer.ts"
import { startServer } from "../server/support/server.ts"
import { failureOf } from "./support.ts"

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const PASSWORD = "alice-secret"

/** A 'p' message from its body, with the length word it declares. */
const passwordFrame = (body: Uint8Array): Uint8Array => {
  const out = new Uint8Array(5 + body.length)
  out[0] = 0x70
  new DataView(out.buffer).setInt32(1, 4 + body.length)
  out.set(body, 5)
  return out
}

const saslInitialBody = (data: Uint8Array): Uint8Array => {
  const mechanism = encoder.encode("SCRAM-SHA-256\0")
  const out = new Uint8Array(mechanism.length + 4 + data.length)
  out.set(mechanism)
  new DataView(out.buffer).setInt32(mechanism.length, data.length)
  out.set(data, mechanism.length + 4)
  return out
}

const errorOf = (messages: ReadonlyArray<BackendMessage>) => {
  const error = messages.find((m) => m._tag === "ErrorResponse")
  return error?._tag === "ErrorResponse" ? { code: error.fields.code, message: error.fields.message ?? "" } : undefined
}

const serverWith = (method: PasswordMethodName, options: Omit<PgServerOptions, "host" | "port"> = {}) =>
  Effect.gen(function*() {
    const auth = yield* AuthProvider.passwords({ method, users: { alice: PASSWORD } })
    return yield* startServer({ auth, ...options })
  })

/**
 * A SCRAM login written out by hand, so that each message can be padded to
 * an exact length word with an extension attribute (`x=...`, allowed by
 * RFC 5802): `first` and `final` are the length words of SASLInitialResponse
 * and SASLResponse (undefined: no padding). Returns what the server sent
 * after the padded message, up to ReadyForQuery or the close.
 */
const scramLogin = (
  port: number,
  sizes: { readonly first?: number; readonly final?: number }
): Effect.Effect<Array<BackendMessage>, string, Scope.Scope> =>
  Effect.gen(function*() {
    const peer = yield* connectPeer({ port })
    yield* peer.send({ _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { user: "alice" } })
    expect((yield* peer.receive)._tag).toBe("AuthenticationSASL")
    const clientNonce = "c".repeat(24)
    const plainBare = `n=,r=${clientNonce}`
    const pad = (base: number, target: number | undefined) => (target === undefined ? "" : `,x=${"a".repeat(target - base - 3)}`)
    // Length word of SASLInitialResponse: 4 + "SCRAM-SHA-256\0" + 4 + "n,," + bare.
    const bare = plainBare + pad(4 + 14 + 4 + 3 + plainBare.length, sizes.first)
    const initial = passwordFrame(saslInitialBody(encoder.encode(`n,,${bare}`)))
    if (sizes.first !== undefined) expect(new DataView(initial.buffer).getInt32(1)).toBe(sizes.first)
    yield* peer.sendRaw(initial)
    const continued = yield* receiveOrClose(peer)
    if (continued[0]?._tag !== "AuthenticationSASLContinue") return continued
    const serverFirst = decoder.decode(continued[0].data)
    const attributes = Object.fromEntries(serverFirst.split(",").map((part) => [part[0], part.slice(2)]))
    const salt = new Uint8Array(Buffer.from(attributes["s"]!, "base64"))
    const salted = ScramKeys.saltedPasswordSync(encoder.encode(PASSWORD), salt, Number(attributes["i"]))
    if (salted._tag === "Failure") return yield* Effect.fail("PBKDF2 failed")
    const plainWithoutProof = `c=biws,r=${attributes["r"]}`
    // Length word of SASLResponse: 4 + without-proof + ",p=" + 44 base64 characters.
    const withoutProof = plainWithoutProof + pad(4 + plainWithoutProof.length + 3 + 44, sizes.final)
    const clientKey = ScramKeys.clientKey(salted.success)
    const signature = ScramKeys.hmac(ScramKeys.storedKey(clientKey), encoder.encode(`${bare},${serverFirst},${withoutProof}`))
    const proof = clientKey.map((byte, i) => byte ^ signature[i]!)
    const final = passwordFrame(encoder.encode(`${withoutProof},p=${Buffer.from(proof).toString("base64")}`))
    if (sizes.final !== undefined) expect(new DataView(final.buffer).getInt32(1)).toBe(sizes.final)
    yield* peer.sendRaw(final)
    return yield* receiveOrClose(peer)
  })

/** Messages up to ReadyForQuery or SASLContinue, or all of them up to the close. */
const receiveOrClose = (peer: Peer): Effect.Effect<Array<BackendMessage>, string> =>
  Effect.gen(function*() {
    const out: Array<BackendMessage> = []
    for (;;) {
      if (peer.isClosed() && peer.pending() === 0) return out
      const next = yield* Effect.result(peer.receive)
      if (next._tag === "Failure") return out
      out.push(next.success)
      if (next.success._tag === "ReadyForQuery" || next.success._tag === "AuthenticationSASLContinue") return out
      if (next.success._tag === "ErrorResponse") return [...out, ...(yield* Effect.orElseSucceed(peer.closed, () => []))]
    }
  })

const loggedIn = ["AuthenticationSASLFinal", "AuthenticationOk"]

describe("password-family message size", () => {
  it.live("SASLInitialResponse: a length word of 65,535 logs in, 65,536 is FATAL 08P01 from the header", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* serverWith("scram-sha-256")
      const atLimit = yield* scramLogin(port, { first: 65_535 })
      expect(tags(atLimit).slice(0, 2)).toEqual(loggedIn)
      expect(tags(atLimit).at(-1)).toBe("ReadyForQuery")
      const over = yield* scramLogin(port, { first: 65_536 })
      expect(errorOf(over)).toEqual({ code: "08P01", message: "message length 65536 exceeds the limit of 65535 for p" })
    })))

  it.live("SASLResponse: a length word of 65,535 logs in, 65,536 is FATAL 08P01 from the header", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* serverWith("scram-sha-256")
      const atLimit = yield* scramLogin(port, { final: 65_535 })
      expect(tags(atLimit).slice(0, 2)).toEqual(loggedIn)
      const over = yield* scramLogin(port, { final: 65_536 })
      expect(errorOf(over)).toEqual({ code: "08P01", message: "message length 65536 exceeds the limit of 65535 for p" })
    })))

  it.live("PasswordMessage: a 65,530-byte password is checked (28P01), one byte more is refused (08P01)", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* serverWith("password")
      const attempt = (length: number) =>
        Effect.gen(function*() {
          const peer = yield* connectPeer({ port })
          yield* peer.send({ _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { user: "alice" } })
          expect((yield* peer.receive)._tag).toBe("AuthenticationCleartextPassword")
          yield* peer.sendRaw(passwordFrame(encoder.encode(`${"p".repeat(length)}\0`)))
          return errorOf(yield* peer.closed)
        })
      expect(yield* attempt(65_530)).toEqual({ code: "28P01", message: "password authentication failed for user \"alice\"" })
      expect((yield* attempt(65_531))?.code).toBe("08P01")
    })))

  it.live("a configured limit (limits.PasswordMessageFamily) applies at its own boundary", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* serverWith("scram-sha-256", { limits: { PasswordMessageFamily: 1024 } })
      expect(tags(yield* scramLogin(port, { first: 1024 })).slice(0, 2)).toEqual(loggedIn)
      expect(errorOf(yield* scramLogin(port, { first: 1025 }))).toEqual({
        code: "08P01",
        message: "message length 1025 exceeds the limit of 1024 for p"
      })
      expect(errorOf(yield* scramLogin(port, { final: 1025 }))?.code).toBe("08P01")
    })))
})

describe("the client's limit on authentication requests", () => {
  it.live("a server sending a SASL message above 65,544 bytes fails our client with a ProtocolError", () =>
    Effect.scoped(Effect.gen(function*() {
      // A scripted server: answers any startup with the header of a huge AuthenticationSASLContinue.
      const server = yield* Effect.acquireRelease(
        Effect.callback<Net.Server>((resume) => {
          const s = Net.createServer((socket) => {
            socket.on("error", () => {})
            socket.once("data", () => {
              const header = new Uint8Array(9)
              header[0] = 0x52
              new DataView(header.buffer).setInt32(1, 100_000)
              new DataView(header.buffer).setInt32(5, 11)
              socket.write(header)
            })
          })
          s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
        }),
        (s) => Effect.callback<void>((resume) => void s.close(() => resume(Effect.void)))
      )
      const port = (server.address() as Net.AddressInfo).port
      const exit = yield* Effect.exit(Effect.scoped(PgConnection.make({ host: "127.0.0.1", port, user: "alice", password: "x", sslMode: "disable", connectTimeout: "5 seconds" })))
      const error = failureOf(exit) as { readonly _tag?: string; readonly message?: string } | undefined
      expect(error?._tag).toBe("ProtocolError")
      expect(error?.message).toContain("exceeds the limit")
    })))
})

describe("authentication timeout", () => {
  it.live("a client that stops after server-first gets FATAL 57014 and its slot back", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, server } = yield* serverWith("scram-sha-256", { startupTimeout: "300 millis" })
      const peer = yield* connectPeer({ port })
      yield* peer.send({ _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { user: "alice" } })
      yield* peer.receive
      yield* peer.sendRaw(passwordFrame(saslInitialBody(encoder.encode("n,,n=,r=abcdefghijklmnopqrstuvwx"))))
      expect((yield* peer.receive)._tag).toBe("AuthenticationSASLContinue")
      expect(errorOf(yield* peer.closed)).toEqual({ code: "57014", message: "canceling authentication due to timeout" })
      for (let i = 0; i < 100 && (yield* server.connections) > 0; i++) yield* Effect.sleep("10 millis")
      expect(yield* server.connections).toBe(0)
    })))

  for (const method of ["password", "md5"] as const) {
    it.live(`${method}: a request never answered gets FATAL 57014`, () =>
      Effect.scoped(Effect.gen(function*() {
        const { port } = yield* serverWith(method, { startupTimeout: "300 millis" })
        const peer = yield* connectPeer({ port })
        yield* peer.send({ _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { user: "alice" } })
        expect((yield* peer.receive)._tag).toBe(method === "password" ? "AuthenticationCleartextPassword" : "AuthenticationMD5Password")
        expect(errorOf(yield* peer.closed)?.code).toBe("57014")
      })))
  }

  it.live("the time counts from the connection: steps each within the timeout but together past it are cut off", () =>
    Effect.scoped(Effect.gen(function*() {
      // Each pause (450 ms) is shorter than the timeout (800 ms); the two together are longer.
      const { port } = yield* serverWith("password", { startupTimeout: "800 millis" })
      const peer = yield* connectPeer({ port })
      yield* Effect.sleep("450 millis")
      yield* peer.send({ _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { user: "alice" } })
      expect((yield* peer.receive)._tag).toBe("AuthenticationCleartextPassword")
      yield* Effect.sleep("450 millis")
      if (!peer.isClosed()) yield* peer.send({ _tag: "PasswordMessage", password: PASSWORD })
      const messages = yield* peer.closed
      expect(tags(messages)).toEqual(["ErrorResponse"])
      expect(errorCode(messages)).toBe("57014")
    })))

  it.live("a session past startup outlives the authentication timeout", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer({ startupTimeout: "200 millis" })
      const { peer } = yield* readyPeer({ port })
      yield* Effect.sleep("400 millis")
      yield* peer.send({ _tag: "Query", query: "SELECT 1" })
      expect(tags(yield* peer.receiveUntil("ReadyForQuery"))).toEqual(["RowDescription", "DataRow", "CommandComplete", "ReadyForQuery"])
    })))
})
