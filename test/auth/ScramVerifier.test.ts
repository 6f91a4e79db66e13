/**
 * SCRAM verifiers in PostgreSQL's text format: parsing, formatting, making
 * them from passwords, and the mock verifier; stored-password classification.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { ScramVerifier, StoredPassword } from "../../src/auth/index.ts"
import { failsWith, ok } from "./support.ts"

// The RFC 7677 user "pencil" with salt W22ZaJ0SNY7soEsUEjb6gQ==.
const PENCIL =
  "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="

describe("ScramVerifier", () => {
  it("parses and formats PostgreSQL's format", () => {
    const verifier = ok(ScramVerifier.parse(PENCIL))
    expect(verifier.iterations).toBe(4096)
    expect(Buffer.from(verifier.salt).toString("base64")).toBe("W22ZaJ0SNY7soEsUEjb6gQ==")
    expect(ScramVerifier.format(verifier)).toBe(PENCIL)
  })

  it("rejects malformed verifiers without repeating them", () => {
    const [head, keys] = PENCIL.slice("SCRAM-SHA-256$".length).split("$") as [string, string]
    const [stored, server] = keys.split(":") as [string, string]
    const cases = [
      "",
      "md5abc",
      `SCRAM-SHA-1$${head}$${keys}`,
      `SCRAM-SHA-256$${head}`,
      `SCRAM-SHA-256$${head}$${keys}$extra`,
      `SCRAM-SHA-256$0:W22ZaJ0SNY7soEsUEjb6gQ==$${keys}`,
      `SCRAM-SHA-256$-1:W22ZaJ0SNY7soEsUEjb6gQ==$${keys}`,
      `SCRAM-SHA-256$abc:W22ZaJ0SNY7soEsUEjb6gQ==$${keys}`,
      `SCRAM-SHA-256$99999999999:W22ZaJ0SNY7soEsUEjb6gQ==$${keys}`,
      `SCRAM-SHA-256$4096:$${keys}`,
      `SCRAM-SHA-256$4096:not*base64$${keys}`,
      `SCRAM-SHA-256$4096$${keys}`,
      `SCRAM-SHA-256$${head}$${stored}`,
      `SCRAM-SHA-256$${head}$${stored}:AAAA`,
      `SCRAM-SHA-256$${head}$AAAA:${server}`
    ]
    for (const text of cases) {
      const error = failsWith(ScramVerifier.parse(text), "InvalidVerifier")
      if (text.length > 10) expect(error.message).not.toContain(text)
    }
  })

  it.effect("make: random 16-byte salt, 4096 iterations by default, different salts each time", () =>
    Effect.gen(function*() {
      const a = yield* ScramVerifier.make("pencil")
      const b = yield* ScramVerifier.make("pencil")
      expect(a.iterations).toBe(4096)
      expect(a.salt.byteLength).toBe(16)
      expect(ScramVerifier.format(a)).not.toBe(ScramVerifier.format(b))
      // Round-trips through PostgreSQL's text form.
      expect(ScramVerifier.format(ok(ScramVerifier.parse(ScramVerifier.format(a))))).toBe(ScramVerifier.format(a))
    }))

  it.effect("make: options are checked", () =>
    Effect.gen(function*() {
      const custom = yield* ScramVerifier.make("pencil", { iterations: 5000 })
      expect(custom.iterations).toBe(5000)
      for (const iterations of [4095, 0, 1.5, Number.NaN, 2 ** 31]) {
        const error = yield* Effect.flip(ScramVerifier.make("pencil", { iterations }))
        expect(error.reason).toBe("InvalidConfiguration")
      }
      const empty = yield* Effect.flip(ScramVerifier.make("pencil", { salt: new Uint8Array(0) }))
      expect(empty.reason).toBe("InvalidConfiguration")
      failsWith(ScramVerifier.makeSync("pencil", { iterations: 100 }), "InvalidConfiguration")
    }))

  it("mock: deterministic salt from user and secret, random keys", () => {
    const secret = new Uint8Array(32).fill(9)
    const a = ScramVerifier.mock("mallory", secret)
    const b = ScramVerifier.mock("mallory", secret)
    expect(Buffer.from(a.salt).equals(Buffer.from(b.salt))).toBe(true)
    expect(a.salt.byteLength).toBe(16)
    expect(a.iterations).toBe(4096)
    expect(ScramVerifier.format(a)).not.toBe(ScramVerifier.format(b))
    expect(Buffer.from(ScramVerifier.mock("trudy", secret).salt).equals(Buffer.from(a.salt))).toBe(false)
    expect(ScramVerifier.mock("mallory", secret, 10000).iterations).toBe(10000)
    expect(ScramVerifier.generateMockSecret().byteLength).toBe(32)
  })
})

describe("StoredPassword", () => {
  it("classifies SCRAM verifiers, MD5 hashes and plain passwords like PostgreSQL", () => {
    expect(ok(StoredPassword.parse(PENCIL))._tag).toBe("ScramVerifier")
    expect(ok(StoredPassword.parse("md5f4cc0392ede838197990ddcef479e58b"))._tag).toBe("Md5Hash")
    // Uppercase hex or a wrong length is not an MD5 hash in PostgreSQL either.
    expect(ok(StoredPassword.parse("md5F4CC0392EDE838197990DDCEF479E58B"))._tag).toBe("PlainPassword")
    expect(ok(StoredPassword.parse("md5f4cc"))._tag).toBe("PlainPassword")
    expect(ok(StoredPassword.parse("hunter2"))._tag).toBe("PlainPassword")
  })

  it("a broken SCRAM verifier is an error, not silently a plain password", () => {
    failsWith(StoredPassword.parse("SCRAM-SHA-256$4096:broken"), "InvalidVerifier")
  })
})
