/**
 * MD5 and cleartext password authentication, both sides.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { Cleartext, Md5, ScramVerifier, StoredPassword } from "../../src/auth/index.ts"
import { bytes, failsWith, ok, text } from "./support.ts"

const SALT = new Uint8Array([0x01, 0x02, 0x03, 0x04])

describe("MD5", () => {
  // Computed independently: `printf 'secretalice' | md5sum`, and in Python
  // "md5" + md5(inner_hex.encode() + bytes([1, 2, 3, 4])).hexdigest().
  const STORED = "md54a0a68b43b6cd5cf266fa02f196e2371"
  const RESPONSE = "md598a0412b9c31436fc53776e863350083"

  it("the stored hash is md5(password || username)", () => {
    expect(Md5.hashPassword("secret", "alice")).toBe(STORED)
    expect(Md5.hashPassword(Redacted.make("secret"), "alice")).toBe(STORED)
  })

  it("the client response for a fixed salt", () => {
    expect(text(ok(Md5.clientResponse("secret", "alice", SALT)))).toBe(RESPONSE)
  })

  it("a salt that is not 4 bytes is refused", () => {
    failsWith(Md5.clientResponse("secret", "alice", new Uint8Array(3)), "InvalidServerMessage")
    failsWith(Md5.verifyResponse(undefined, "alice", new Uint8Array(5), bytes("md5")), "InvalidConfiguration")
  })

  it("server: accepts the right response against an MD5 hash or a plain password", () => {
    const response = ok(Md5.clientResponse("secret", "alice", SALT))
    ok(Md5.verifyResponse(ok(StoredPassword.parse(Md5.hashPassword("secret", "alice"))), "alice", SALT, response))
    ok(Md5.verifyResponse(StoredPassword.plain("secret"), "alice", SALT, response))
  })

  it("server: wrong password, other salt, other user and unknown user fail alike", () => {
    const stored = ok(StoredPassword.parse(Md5.hashPassword("secret", "alice")))
    const wrong = failsWith(
      Md5.verifyResponse(stored, "alice", SALT, ok(Md5.clientResponse("wrong", "alice", SALT))),
      "WrongPassword"
    )
    failsWith(
      Md5.verifyResponse(stored, "alice", SALT, ok(Md5.clientResponse("secret", "alice", new Uint8Array([9, 9, 9, 9])))),
      "WrongPassword"
    )
    failsWith(Md5.verifyResponse(StoredPassword.plain("secret"), "bob", SALT, ok(Md5.clientResponse("secret", "alice", SALT))), "WrongPassword")
    const unknown = failsWith(Md5.verifyResponse(undefined, "alice", SALT, ok(Md5.clientResponse("secret", "alice", SALT))), "WrongPassword")
    expect(unknown.message).toBe(wrong.message)
    failsWith(Md5.verifyResponse(stored, "alice", SALT, bytes("md5")), "WrongPassword")
  })

  it("server: an MD5 response cannot be checked against a SCRAM verifier", () => {
    const verifier = ok(ScramVerifier.makeSync("secret"))
    failsWith(Md5.verifyResponse(verifier, "alice", SALT, ok(Md5.clientResponse("secret", "alice", SALT))), "MethodNotSupported")
  })

  it("generateSalt gives 4 random bytes", () => {
    expect(Md5.generateSalt().byteLength).toBe(4)
  })
})

describe("cleartext", () => {
  it("client: the password's UTF-8 bytes; NUL cannot be sent", () => {
    expect(Array.from(ok(Cleartext.clientPassword("p\u00E9")))).toEqual([0x70, 0xc3, 0xa9])
    expect(text(ok(Cleartext.clientPassword(Redacted.make("secret"))))).toBe("secret")
    failsWith(Cleartext.clientPassword("a\u0000b"), "InvalidPassword")
  })

  it.effect("server: plain, MD5 and SCRAM stored forms accept the right password", () =>
    Effect.gen(function*() {
      yield* Cleartext.verify(StoredPassword.plain("secret"), "alice", bytes("secret"))
      yield* Cleartext.verify(ok(StoredPassword.parse(Md5.hashPassword("secret", "alice"))), "alice", bytes("secret"))
      const verifier = yield* ScramVerifier.make("secret")
      yield* Cleartext.verify(verifier, "alice", bytes("secret"))
      // SASLprep applies to SCRAM verifiers: "\u2168" and "IX" are the same password.
      const roman = yield* ScramVerifier.make("IX")
      yield* Cleartext.verify(roman, "alice", bytes("\u2168"))
    }))

  it.effect("server: wrong passwords and unknown users fail alike", () =>
    Effect.gen(function*() {
      const verifier = yield* ScramVerifier.make("secret")
      const errors = [
        yield* Effect.flip(Cleartext.verify(StoredPassword.plain("secret"), "alice", bytes("secre"))),
        yield* Effect.flip(Cleartext.verify(StoredPassword.plain("secret"), "alice", bytes("secret "))),
        yield* Effect.flip(Cleartext.verify(ok(StoredPassword.parse(Md5.hashPassword("secret", "alice"))), "alice", bytes("wrong"))),
        yield* Effect.flip(Cleartext.verify(ok(StoredPassword.parse(Md5.hashPassword("secret", "alice"))), "bob", bytes("secret"))),
        yield* Effect.flip(Cleartext.verify(verifier, "alice", bytes("wrong"))),
        yield* Effect.flip(Cleartext.verify(undefined, "alice", bytes("secret")))
      ]
      for (const error of errors) {
        expect(error.reason).toBe("WrongPassword")
        expect(error.message).toBe(errors[0]!.message)
      }
    }))
})
