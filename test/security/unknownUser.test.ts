/**
 * An unknown user cannot be told from a known user with a wrong password,
 * as with PostgreSQL's mock authentication: the server runs the whole
 * exchange for a user it does not know and fails at the same step with the
 * same FATAL 28P01.
 *
 * Each method is tried with one user name, first while the user exists
 * (wrong password), then after it is gone, against the same server, and
 * the raw bytes the server sent are compared:
 *
 * - SCRAM-SHA-256: AuthenticationSASL is identical; server-first has the
 *   same shape (a 16-byte salt, 4096 iterations, a nonce of the same
 *   length), the unknown user's salt is the same on every attempt (derived
 *   from the name and a server secret) and differs between names; the
 *   ErrorResponse after the client's proof is byte-identical.
 * - MD5: the salt request is sent for the unknown user too; the
 *   ErrorResponse after the response is byte-identical.
 * - cleartext: the password is asked for; the ErrorResponse is
 *   byte-identical.
 *
 * Also: a user whose stored secret is a plain password keeps one SCRAM salt
 * across attempts (a fresh one each time would give it away).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { Md5, ScramClient, ScramVerifier, StoredPassword } from "../../src/auth/index.ts"
import { StartupCode } from "../../src/protocol/index.ts"
import { AuthMethod, AuthProvider, type PasswordMethodName } from "../../src/server/AuthProvider.ts"
import { connectPeer } from "../server/support/peer.ts"
import { startServer } from "../server/support/server.ts"

/** A backend frame as sent: type byte and the whole message. */
interface Frame {
  readonly type: string
  readonly bytes: Uint8Array
}

const splitFrames = (data: Uint8Array): Array<Frame> => {
  const frames: Array<Frame> = []
  let offset = 0
  while (offset + 5 <= data.length) {
    const length = new DataView(data.buffer, data.byteOffset + offset + 1, 4).getInt32(0)
    frames.push({ type: String.fromCharCode(data[offset]!), bytes: data.slice(offset, offset + 1 + length) })
    offset += 1 + length
  }
  expect(offset).toBe(data.length)
  return frames
}

const decoder = new TextDecoder()
const clientNonce = "fixedclientnonce"

/** The attributes of a SCRAM server-first-message (r, s, i). */
const serverFirstOf = (frame: Frame): Record<string, string> => {
  // 'R', length, int32 11 (SASLContinue), then the message.
  expect(new DataView(frame.bytes.buffer, frame.bytes.byteOffset + 5, 4).getInt32(0)).toBe(11)
  const text = decoder.decode(frame.bytes.subarray(9))
  return Object.fromEntries(text.split(",").map((part) => [part.slice(0, 1), part.slice(2)]))
}

/**
 * One login attempt with a wrong password, as a scripted client: the
 * startup, then an answer to whatever the server asks; returns every frame
 * the server sent until it closed.
 */
const attempt = (port: number, user: string): Effect.Effect<Array<Frame>, string, Scope.Scope> =>
  Effect.gen(function*() {
    const peer = yield* connectPeer({ port })
    const chunks: Array<Uint8Array> = []
    peer.socket.on("data", (chunk: Buffer) => chunks.push(new Uint8Array(chunk)))
    yield* peer.send({ _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { user } })
    const request = yield* peer.receive
    switch (request._tag) {
      case "AuthenticationCleartextPassword":
        yield* peer.send({ _tag: "PasswordMessage", password: "wrong password" })
        break
      case "AuthenticationMD5Password": {
        const response = Md5.clientResponse("wrong password", user, request.salt)
        if (response._tag === "Failure") return yield* Effect.fail("cannot answer the MD5 request")
        yield* peer.send({ _tag: "PasswordMessage", password: decoder.decode(response.success) })
        break
      }
      case "AuthenticationSASL": {
        const first = ScramClient.start(request.mechanisms, { password: "wrong password", nonce: clientNonce })
        if (first._tag === "Failure") return yield* Effect.fail("cannot start SCRAM")
        yield* peer.send({ _tag: "SASLInitialResponse", mechanism: first.success.mechanism, data: first.success.message })
        const serverFirst = yield* peer.receive
        if (serverFirst._tag !== "AuthenticationSASLContinue") return yield* Effect.fail(`expected SASLContinue, got ${serverFirst._tag}`)
        const final = ScramClient.respondSync(first.success.state, serverFirst.data)
        if (final._tag === "Failure") return yield* Effect.fail(`cannot answer server-first: ${final.failure.message}`)
        yield* peer.send({ _tag: "SASLResponse", data: final.success.message })
        break
      }
      default:
        return yield* Effect.fail(`unexpected ${request._tag}`)
    }
    yield* peer.closed
    const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
    let offset = 0
    for (const chunk of chunks) {
      all.set(chunk, offset)
      offset += chunk.length
    }
    return splitFrames(all)
  })

/** A server whose one user, carol, can be made to exist or not between attempts. */
const serverWithCarol = (method: PasswordMethodName) =>
  Effect.gen(function*() {
    const present = new Set<string>()
    // As PostgreSQL stores them: a verifier, an MD5 hash, a plain password.
    const secret: StoredPassword.StoredPassword = method === "scram-sha-256"
      ? yield* ScramVerifier.make("right password")
      : method === "md5"
      ? { _tag: "Md5Hash", hash: Redacted.make(Md5.hashPassword("right password", "carol")) }
      : StoredPassword.plain("right password")
    const auth = AuthProvider.make({
      method: method === "password" ? AuthMethod.password : method === "md5" ? AuthMethod.md5 : AuthMethod.scramSha256,
      lookup: (user) => Effect.succeed(present.has(user) ? secret : undefined)
    })
    const { port } = yield* startServer({ auth })
    return { port, present }
  })

const typesOf = (frames: ReadonlyArray<Frame>) => frames.map((f) => f.type).join("")

describe("an unknown user fails exactly like a wrong password", () => {
  it.live("SCRAM-SHA-256: same messages, a stable mock salt of the real shape, a byte-identical error", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, present } = yield* serverWithCarol("scram-sha-256")
      present.add("carol")
      const known = yield* attempt(port, "carol")
      present.delete("carol")
      const unknown = yield* attempt(port, "carol")
      const again = yield* attempt(port, "carol")
      const other = yield* attempt(port, "dave")

      // AuthenticationSASL, SASLContinue (server-first), then the ErrorResponse.
      expect(typesOf(known)).toBe("RRE")
      expect(typesOf(unknown)).toBe(typesOf(known))
      expect(unknown[0]!.bytes).toEqual(known[0]!.bytes)
      const [realFirst, mockFirst, mockAgain, otherFirst] = [known, unknown, again, other].map((frames) => serverFirstOf(frames[1]!))
      expect(Buffer.from(realFirst!["s"]!, "base64").length).toBe(16)
      expect(Buffer.from(mockFirst!["s"]!, "base64").length).toBe(16)
      expect(mockFirst!["i"]).toBe(realFirst!["i"])
      expect(mockFirst!["i"]).toBe("4096")
      expect(mockFirst!["r"]!.length).toBe(realFirst!["r"]!.length)
      expect(known[1]!.bytes.length).toBe(unknown[1]!.bytes.length)
      // The mock salt is the same for the same name, and another name's differs.
      expect(mockAgain!["s"]).toBe(mockFirst!["s"])
      expect(otherFirst!["s"]).not.toBe(mockFirst!["s"])
      expect(mockFirst!["s"]).not.toBe(realFirst!["s"])
      // The refusal: the same bytes, FATAL 28P01.
      expect(unknown[2]!.bytes).toEqual(known[2]!.bytes)
      expect(again[2]!.bytes).toEqual(known[2]!.bytes)
      const error = decoder.decode(known[2]!.bytes)
      expect(error).toContain("28P01")
      expect(error).toContain("password authentication failed for user \"carol\"")
    })))

  it.live("MD5: the salt request is sent for an unknown user too; a byte-identical error", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, present } = yield* serverWithCarol("md5")
      present.add("carol")
      const known = yield* attempt(port, "carol")
      present.delete("carol")
      const unknown = yield* attempt(port, "carol")
      expect(typesOf(known)).toBe("RE")
      expect(typesOf(unknown)).toBe("RE")
      // AuthenticationMD5Password: 'R', length 12, code 5, a 4-byte salt (random per attempt).
      for (const frames of [known, unknown]) {
        expect(Array.from(frames[0]!.bytes.subarray(0, 9))).toEqual([0x52, 0, 0, 0, 12, 0, 0, 0, 5])
      }
      expect(unknown[1]!.bytes).toEqual(known[1]!.bytes)
      expect(decoder.decode(known[1]!.bytes)).toContain("28P01")
    })))

  it.live("cleartext: the password is asked for; a byte-identical error", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, present } = yield* serverWithCarol("password")
      present.add("carol")
      const known = yield* attempt(port, "carol")
      present.delete("carol")
      const unknown = yield* attempt(port, "carol")
      expect(typesOf(known)).toBe("RE")
      expect(unknown[0]!.bytes).toEqual(known[0]!.bytes)
      expect(unknown[1]!.bytes).toEqual(known[1]!.bytes)
      expect(decoder.decode(known[1]!.bytes)).toContain("28P01")
    })))

  it.live("AuthProvider.passwords: an unknown user against a table of verifiers gets the same shapes and error", () =>
    Effect.scoped(Effect.gen(function*() {
      const auth = yield* AuthProvider.passwords({ method: "scram-sha-256", users: { alice: "alice-secret" } })
      const { port } = yield* startServer({ auth })
      const known = yield* attempt(port, "alice")
      const unknown = yield* attempt(port, "alicf")
      expect(typesOf(unknown)).toBe(typesOf(known))
      const [real, mock] = [known, unknown].map((frames) => serverFirstOf(frames[1]!))
      expect(Buffer.from(mock!["s"]!, "base64").length).toBe(Buffer.from(real!["s"]!, "base64").length)
      expect(mock!["i"]).toBe(real!["i"])
      // The same error but for the name (same length here).
      expect(decoder.decode(unknown[2]!.bytes).replace("alicf", "alice")).toBe(decoder.decode(known[2]!.bytes))
    })))
})

describe("a known user's SCRAM salt does not change between attempts", () => {
  it.live("a plain stored password is salted the same way every time", () =>
    Effect.scoped(Effect.gen(function*() {
      const auth = AuthProvider.make({
        method: AuthMethod.scramSha256,
        lookup: (user) => Effect.succeed(user === "erin" ? StoredPassword.plain("erin-secret") : undefined)
      })
      const { port } = yield* startServer({ auth })
      const salts = yield* Effect.forEach([1, 2, 3], () => Effect.map(attempt(port, "erin"), (frames) => serverFirstOf(frames[1]!)["s"]))
      expect(Buffer.from(salts[0]!, "base64").length).toBe(16)
      expect(salts[1]).toBe(salts[0])
      expect(salts[2]).toBe(salts[0])
    })))
})
