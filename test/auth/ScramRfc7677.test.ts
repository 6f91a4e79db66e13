/**
 * RFC 7677 section 3: the SCRAM-SHA-256 test vector, replayed on the client
 * and the server side with the RFC's nonces and salt, message for message.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { ScramClient, ScramServer, ScramVerifier } from "../../src/auth/index.ts"
import { bytes, failsWith, ok, text } from "./support.ts"

const CLIENT_NONCE = "rOprNGfwEbeRWgbNEkqO"
const SERVER_NONCE = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
const SALT = Buffer.from("W22ZaJ0SNY7soEsUEjb6gQ==", "base64")

const CLIENT_FIRST = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
const SERVER_FIRST = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
const CLIENT_FINAL =
  "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
const SERVER_FINAL = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

const clientOptions = {
  username: "user",
  password: "pencil",
  nonce: CLIENT_NONCE,
  channelBinding: "disable"
} as const

describe("RFC 7677 test vector", () => {
  it("client: exact client-first and client-final, server signature accepted", () => {
    const first = ok(ScramClient.start(["SCRAM-SHA-256"], clientOptions))
    expect(first.mechanism).toBe("SCRAM-SHA-256")
    expect(text(first.message)).toBe(CLIENT_FIRST)
    const final = ok(ScramClient.respondSync(first.state, bytes(SERVER_FIRST)))
    expect(text(final.message)).toBe(CLIENT_FINAL)
    ok(ScramClient.receiveServerFinal(final.state, bytes(SERVER_FINAL)))
  })

  it.effect("client: the asynchronous PBKDF2 path gives the same client-final", () =>
    Effect.gen(function*() {
      const first = ok(ScramClient.start(["SCRAM-SHA-256"], clientOptions))
      const final = yield* ScramClient.respond(first.state, bytes(SERVER_FIRST))
      expect(text(final.message)).toBe(CLIENT_FINAL)
      ok(ScramClient.receiveServerFinal(final.state, bytes(SERVER_FINAL)))
    }))

  it("client: a server signature off by one bit is refused", () => {
    const first = ok(ScramClient.start(["SCRAM-SHA-256"], clientOptions))
    const final = ok(ScramClient.respondSync(first.state, bytes(SERVER_FIRST)))
    // 'G4=' -> 'G5=' flips the last byte's low bits of the signature.
    failsWith(
      ScramClient.receiveServerFinal(final.state, bytes(SERVER_FINAL.replace("95G4=", "95G8="))),
      "ServerSignatureMismatch"
    )
  })

  it("server: exact server-first and server-final from a verifier", () => {
    const verifier = ok(ScramVerifier.makeSync("pencil", { salt: SALT, iterations: 4096 }))
    const options = {
      username: "user",
      verifier,
      mockSecret: new Uint8Array(32),
      serverNonce: SERVER_NONCE
    }
    const first = ok(ScramServer.receiveClientFirst(options, "SCRAM-SHA-256", bytes(CLIENT_FIRST)))
    expect(text(first.message)).toBe(SERVER_FIRST)
    const final = ok(ScramServer.receiveClientFinal(first.state, bytes(CLIENT_FINAL)))
    expect(text(final.message)).toBe(SERVER_FINAL)
  })

  it.effect("server: the verifier is the same through the asynchronous path", () =>
    Effect.gen(function*() {
      const viaAsync = yield* ScramVerifier.make("pencil", { salt: SALT })
      const viaSync = ok(ScramVerifier.makeSync("pencil", { salt: SALT }))
      expect(ScramVerifier.format(viaAsync)).toBe(ScramVerifier.format(viaSync))
      expect(ScramVerifier.format(viaAsync)).toMatch(/^SCRAM-SHA-256\$4096:W22ZaJ0SNY7soEsUEjb6gQ==\$/)
    }))
})
