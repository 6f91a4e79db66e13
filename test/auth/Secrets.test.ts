/**
 * No secret leaks: states, verifiers and errors never show the password,
 * the salted password, keys, proofs or signatures, whether logged with
 * util.inspect, String() or JSON.stringify.
 */
import * as util from "node:util"
import { describe, expect, it } from "@effect/vitest"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { type AuthError, Cleartext, Md5, ScramClient, ScramServer, ScramVerifier } from "../../src/auth/index.ts"
import { bytes, ok } from "./support.ts"

const PASSWORD = "hunter2-very-secret"
const SALT = new Uint8Array(16).fill(5)

const renderings = (value: unknown): ReadonlyArray<string> => [
  util.inspect(value, { depth: 10, showHidden: true }),
  String(value),
  JSON.stringify(value, (_, v) => (v instanceof Uint8Array ? Buffer.from(v).toString("base64") : v)) ?? ""
]

describe("secrets stay out of logs", () => {
  it("client and server states, verifiers and errors never contain the password or keys", () => {
    const verifier = ok(ScramVerifier.makeSync(PASSWORD, { salt: SALT }))
    const storedKey = Buffer.from(Redacted.value(verifier.storedKey)).toString("base64")
    const serverKey = Buffer.from(Redacted.value(verifier.serverKey)).toString("base64")
    const serverOptions = { username: "u", verifier, mockSecret: SALT, serverNonce: "s" }
    const first = ok(ScramClient.start(["SCRAM-SHA-256"], { password: PASSWORD, nonce: "c" }))
    const serverFirst = ok(ScramServer.receiveClientFirst(serverOptions, first.mechanism, first.message))
    const clientFinal = ok(ScramClient.respondSync(first.state, serverFirst.message))
    const serverFinal = ok(ScramServer.receiveClientFinal(serverFirst.state, clientFinal.message))
    const signature = new TextDecoder().decode(serverFinal.message).slice(2)

    const wrongClient = ok(ScramClient.start(["SCRAM-SHA-256"], { password: PASSWORD + "x", nonce: "c" }))
    const wrongFinal = ok(ScramClient.respondSync(wrongClient.state, serverFirst.message))
    const results: ReadonlyArray<Result.Result<unknown, AuthError>> = [
      ScramServer.receiveClientFinal(serverFirst.state, wrongFinal.message),
      ScramClient.receiveServerFinal(clientFinal.state, bytes("v=" + Buffer.alloc(32).toString("base64"))),
      Cleartext.clientPassword(PASSWORD + "\u0000"),
      Md5.verifyResponse(undefined, "u", new Uint8Array(4), ok(Md5.clientResponse(PASSWORD, "u", new Uint8Array(4)))),
      ScramVerifier.parse(ScramVerifier.format(verifier) + "$")
    ]
    const errors = results.map((result) => {
      if (Result.isSuccess(result)) throw new Error("expected a failure")
      return result.failure
    })

    const secrets = [PASSWORD, storedKey, serverKey, signature]
    const values = [first.state, clientFinal.state, serverFirst.state, verifier, ...errors]
    for (const value of values) {
      for (const rendering of renderings(value)) {
        for (const secret of secrets) expect(rendering).not.toContain(secret)
      }
    }
  })
})
