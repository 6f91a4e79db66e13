/**
 * Every comparison of a secret, through the public function that makes it:
 * equal, unequal (a difference in the first and in the last byte), shorter,
 * longer and empty inputs. Each comparison is made with
 * `crypto.timingSafeEqual` behind a length check (`constantTimeEqual` in
 * src/auth/internal/encoding.ts, or inline in CancelRegistry.ts); these tests
 * show that each one decides right and that no length mismatch throws
 * (Node's `timingSafeEqual` throws a RangeError on unequal lengths).
 *
 * The comparisons (audited with grep for `===`, `!==` and `.equals(` on
 * secrets in src/auth, src/server and src/client):
 *
 * | secret                        | where                                   |
 * | ----------------------------- | --------------------------------------- |
 * | SCRAM client proof            | ScramServer.receiveClientFinal          |
 * | SCRAM channel-binding input   | ScramServer.receiveClientFinal          |
 * | SCRAM server signature        | ScramClient.receiveServerFinal          |
 * | MD5 response                  | Md5.verifyResponse                      |
 * | cleartext vs plain password   | Cleartext.verify (SHA-256 digests)      |
 * | cleartext vs MD5 hash         | Cleartext.verify                        |
 * | cleartext vs SCRAM ServerKey  | Cleartext.verify                        |
 * | cancel key                    | CancelRegistry.memory `cancel`          |
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import { type AuthError, Cleartext, Md5, ScramClient, ScramServer, ScramVerifier, StoredPassword } from "../../src/auth/index.ts"
import { CancelRegistry } from "../../src/server/CancelRegistry.ts"
import { bytes, ok, text } from "../auth/support.ts"

/** The variants of a secret every comparison is tried with. */
const variants = (secret: Uint8Array): Record<string, Uint8Array> => {
  const first = secret.slice()
  first[0] = first[0]! ^ 0x01
  const last = secret.slice()
  last[last.length - 1] = last[last.length - 1]! ^ 0x80
  return {
    "equal": secret.slice(),
    "first byte differs": first,
    "last byte differs": last,
    "one byte shorter": secret.slice(0, -1),
    "one byte longer": new Uint8Array([...secret, 0x41]),
    "NUL appended": new Uint8Array([...secret, 0]),
    "empty": new Uint8Array(0)
  }
}

const outcome = (result: Result.Result<unknown, AuthError>): string => (Result.isSuccess(result) ? "ok" : result.failure.reason)

const b64 = (data: Uint8Array) => Buffer.from(data).toString("base64")

/** A SCRAM exchange run up to the client-final and server-final messages. */
const exchange = () => {
  const verifier = ok(ScramVerifier.makeSync("pencil", { salt: new Uint8Array(16).fill(3) }))
  const first = ok(ScramClient.start(["SCRAM-SHA-256"], { password: "pencil", nonce: "clientnonce" }))
  const server = ok(ScramServer.receiveClientFirst(
    { username: "user", verifier, mockSecret: new Uint8Array(32), serverNonce: "servernonce" },
    first.mechanism,
    first.message
  ))
  const clientFinal = ok(ScramClient.respondSync(first.state, server.message))
  return { server, clientFinal }
}

/** `name=<base64 of value>` replaced in a SCRAM message. */
const withAttribute = (message: string, name: string, value: Uint8Array): Uint8Array =>
  bytes(message.split(",").map((part) => (part.startsWith(`${name}=`) ? `${name}=${b64(value)}` : part)).join(","))

const attribute = (message: string, name: string): Uint8Array =>
  new Uint8Array(Buffer.from(message.split(",").find((part) => part.startsWith(`${name}=`))!.slice(2), "base64"))

/** The server's verdict on the client-final message with each variant of one attribute. */
const clientFinalOutcomes = (attributeName: "p" | "c") => {
  const { server, clientFinal } = exchange()
  const message = text(clientFinal.message)
  return Object.fromEntries(Object.entries(variants(attribute(message, attributeName))).map(([name, value]) => [
    name,
    outcome(ScramServer.receiveClientFinal(server.state, withAttribute(message, attributeName, value)))
  ]))
}

describe("SCRAM", () => {
  it("the client proof (ScramServer.receiveClientFinal)", () => {
    expect(clientFinalOutcomes("p")).toEqual({
      "equal": "ok",
      "first byte differs": "WrongPassword",
      "last byte differs": "WrongPassword",
      // A proof is 32 bytes: other lengths are malformed messages.
      "one byte shorter": "InvalidClientMessage",
      "one byte longer": "InvalidClientMessage",
      "NUL appended": "InvalidClientMessage",
      "empty": "InvalidClientMessage"
    })
  })

  it("the channel-binding input (ScramServer.receiveClientFinal)", () => {
    expect(clientFinalOutcomes("c")).toEqual({
      // The proof covers c=, so only the unchanged value gets past the binding check to a valid proof.
      "equal": "ok",
      "first byte differs": "ChannelBindingMismatch",
      "last byte differs": "ChannelBindingMismatch",
      "one byte shorter": "ChannelBindingMismatch",
      "one byte longer": "ChannelBindingMismatch",
      "NUL appended": "ChannelBindingMismatch",
      "empty": "ChannelBindingMismatch"
    })
  })

  it("the server signature (ScramClient.receiveServerFinal)", () => {
    const { server, clientFinal } = exchange()
    const serverFinal = text(ok(ScramServer.receiveClientFinal(server.state, clientFinal.message)).message)
    const results = Object.fromEntries(Object.entries(variants(attribute(serverFinal, "v"))).map(([name, signature]) => [
      name,
      outcome(ScramClient.receiveServerFinal(clientFinal.state, bytes(`v=${b64(signature)}`)))
    ]))
    expect(results).toEqual({
      "equal": "ok",
      "first byte differs": "ServerSignatureMismatch",
      "last byte differs": "ServerSignatureMismatch",
      "one byte shorter": "InvalidServerMessage",
      "one byte longer": "InvalidServerMessage",
      "NUL appended": "InvalidServerMessage",
      "empty": "InvalidServerMessage"
    })
  })
})

describe("MD5 and cleartext", () => {
  const SALT = new Uint8Array([9, 8, 7, 6])

  it("the MD5 response (Md5.verifyResponse), against an MD5 hash and a plain password", () => {
    const response = ok(Md5.clientResponse("secret", "alice", SALT))
    for (const stored of [ok(StoredPassword.parse(Md5.hashPassword("secret", "alice"))), StoredPassword.plain("secret")]) {
      const results = Object.fromEntries(Object.entries(variants(response)).map(([name, candidate]) => [
        name,
        outcome(Md5.verifyResponse(stored, "alice", SALT, candidate))
      ]))
      expect(results).toEqual({
        "equal": "ok",
        "first byte differs": "WrongPassword",
        "last byte differs": "WrongPassword",
        "one byte shorter": "WrongPassword",
        "one byte longer": "WrongPassword",
        "NUL appended": "WrongPassword",
        "empty": "WrongPassword"
      })
    }
  })

  it.effect("a cleartext password (Cleartext.verify) against a plain password, an MD5 hash and a SCRAM verifier", () =>
    Effect.gen(function*() {
      const stored = [
        StoredPassword.plain("secret"),
        ok(StoredPassword.parse(Md5.hashPassword("secret", "alice"))),
        yield* ScramVerifier.make("secret")
      ]
      for (const secret of stored) {
        const results: Record<string, string> = {}
        for (const [name, candidate] of Object.entries(variants(bytes("secret")))) {
          const exit = yield* Effect.result(Cleartext.verify(secret, "alice", candidate))
          results[name] = outcome(exit)
        }
        expect({ stored: secret._tag, results }).toEqual({
          stored: secret._tag,
          results: {
            "equal": "ok",
            "first byte differs": "WrongPassword",
            "last byte differs": "WrongPassword",
            "one byte shorter": "WrongPassword",
            "one byte longer": "WrongPassword",
            "NUL appended": "WrongPassword",
            "empty": "WrongPassword"
          }
        })
      }
    }))
})

describe("cancel keys", () => {
  for (const keyLength of [4, 32]) {
    it.effect(`CancelRegistry.memory: a ${keyLength}-byte key matches only itself; an unknown process id matches nothing`, () =>
      Effect.gen(function*() {
        const registry = yield* CancelRegistry.memory
        const scope = yield* Scope.make()
        let cancelled = 0
        const key = yield* Scope.provide(registry.register(keyLength, Effect.sync(() => cancelled++)), scope)
        expect(key.secretKey.length).toBe(keyLength)
        const results: Record<string, boolean> = {}
        for (const [name, candidate] of Object.entries(variants(key.secretKey))) {
          results[name] = yield* registry.cancel(key.processId, candidate)
        }
        expect(results).toEqual({
          "equal": true,
          "first byte differs": false,
          "last byte differs": false,
          "one byte shorter": false,
          "one byte longer": false,
          "NUL appended": false,
          "empty": false
        })
        expect(cancelled).toBe(1)
        const otherId = key.processId === 1 ? 2 : key.processId - 1
        expect(yield* registry.cancel(otherId, key.secretKey)).toBe(false)
        // Unregistered with its scope: the same key no longer matches.
        yield* Scope.close(scope, Exit.void)
        expect(yield* registry.cancel(key.processId, key.secretKey)).toBe(false)
        expect(cancelled).toBe(1)
      }))
  }
})
