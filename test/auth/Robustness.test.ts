/**
 * Nothing throws across the public API: arbitrary bytes given to every
 * parsing step come back as a value or an AuthError.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { ChannelBinding, ScramClient, ScramServer, ScramVerifier, StoredPassword } from "../../src/auth/index.ts"
import { bytes, ok } from "./support.ts"

const Bytes = Schema.Array(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 255 })))
// SCRAM-looking text: attribute letters, '=', ',', base64 and digits, so
// that parsers get past their first check often.
const alphabet = "rsicpvemnay=,=,=,ABCabc019+/=-_ \u0000\u00e9"
const Picks = Schema.Array(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: alphabet.length - 1 })))

const isOutcome = (result: Result.Result<unknown, { readonly _tag: string }>): boolean =>
  Result.isSuccess(result) || result.failure._tag === "AuthError"

const clientState = ok(ScramClient.start(["SCRAM-SHA-256"], { password: "pw", nonce: "abc" })).state
const clientFinalState = ok(ScramClient.respondSync(clientState, bytes("r=abcdef,s=QUJD,i=4096"))).state
const verifier = ok(ScramVerifier.makeSync("pw", { salt: new Uint8Array(16) }))
const serverOptions = { username: "u", verifier, mockSecret: new Uint8Array(32), serverNonce: "srv" }
const serverState = ok(ScramServer.receiveClientFirst(serverOptions, "SCRAM-SHA-256", bytes("n,,n=,r=abc"))).state
const certificate = new Uint8Array(
  fs.readFileSync(path.join(import.meta.dirname, "fixtures", "certs", "rsa-pss-sha512.der"))
)

const everyStep = (input: Uint8Array): boolean => {
  const decoded = new TextDecoder().decode(input)
  return [
    ScramClient.receiveServerFirst(clientState, input),
    ScramClient.receiveServerFinal(clientFinalState, input),
    ScramServer.receiveClientFirst(serverOptions, "SCRAM-SHA-256", input),
    ScramServer.receiveClientFinal(serverState, input),
    ScramVerifier.parse(decoded),
    StoredPassword.parse(decoded),
    ChannelBinding.tlsServerEndPoint(input)
  ].every(isOutcome)
}

describe("robustness", () => {
  it.prop("random bytes: every step returns a Result", [Bytes], ([input]) => everyStep(new Uint8Array(input)))

  it.prop("SCRAM-shaped text: every step returns a Result", [Picks], ([picks]) =>
    everyStep(bytes(picks.map((i) => alphabet[i]!).join(""))))

  it.prop(
    "a certificate with one byte changed: a binding or InvalidCertificate",
    [Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 400 })), Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 255 }))],
    ([offset, value]) => {
      const mutated = certificate.slice()
      mutated[offset] = value
      return isOutcome(ChannelBinding.tlsServerEndPoint(mutated))
    }
  )

  it("the unmutated certificate binds (the property above starts from a valid input)", () => {
    expect(ok(ChannelBinding.tlsServerEndPoint(certificate)).byteLength).toBe(64)
  })
})
