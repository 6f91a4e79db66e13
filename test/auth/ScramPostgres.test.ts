/**
 * Replays exchanges recorded once against a real PostgreSQL 18 (see
 * `record-scram-fixture.ts`): our client, with the recorded client nonce,
 * must produce the bytes PostgreSQL accepted and accept PostgreSQL's
 * signatures; our server, fed the recorded client messages and
 * PostgreSQL's own verifiers from pg_authid, must answer exactly what
 * PostgreSQL answered. Also checks SASLprep and the raw-bytes fallback
 * against verifiers PostgreSQL computed, and MD5.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import {
  ChannelBinding,
  Md5,
  ScramClient,
  ScramServer,
  ScramVerifier,
  sqlState,
  StoredPassword
} from "../../src/auth/index.ts"
import { bytes, failsWith, ok, text } from "./support.ts"

interface Exchange {
  readonly name: string
  readonly user: string
  readonly password: string
  readonly certificate?: string
  readonly channelBinding: "disable" | "prefer" | "require"
  readonly offerFilter?: string
  readonly clientNonce: string
  readonly mechanisms: ReadonlyArray<string>
  readonly mechanism: string
  readonly clientFirst: string
  readonly serverFirst?: string
  readonly clientFinal?: string
  readonly serverFinal?: string
  readonly authenticationOk?: boolean
  readonly error?: { readonly code: string; readonly message: string }
}

interface Fixture {
  readonly postgresVersion: string
  readonly roles: ReadonlyArray<{ readonly name: string; readonly password: string; readonly rolpassword: string }>
  readonly scram: ReadonlyArray<Exchange>
  readonly md5: {
    readonly user: string
    readonly password: string
    readonly salt: string
    readonly response: string
    readonly authenticationOk: boolean
  }
}

const dir = path.join(import.meta.dirname, "fixtures")
const fixture = JSON.parse(fs.readFileSync(path.join(dir, "postgres18-auth.json"), "utf8")) as Fixture
const exchange = (name: string): Exchange => fixture.scram.find((e) => e.name === name)!
const role = (name: string) => fixture.roles.find((r) => r.name === name)!
const certificate = (name: string | undefined): Uint8Array | undefined =>
  name === undefined ? undefined : new Uint8Array(fs.readFileSync(path.join(dir, "certs", `${name}.der`)))
const bindingData = (e: Exchange) => {
  const der = certificate(e.certificate)
  return der === undefined ? undefined : ok(ChannelBinding.tlsServerEndPoint(der))
}
const offered = (e: Exchange) => e.offerFilter === undefined ? e.mechanisms : e.mechanisms.filter((m) => m === e.offerFilter)

const successful = ["scram-sha-256", "scram-sha-256-plus", "saslprep", "rawbytes"]

describe(`replay of PostgreSQL ${fixture.postgresVersion} exchanges`, () => {
  it("the fixture holds what the tests below rely on", () => {
    expect(fixture.postgresVersion).toMatch(/^18\./)
    for (const name of successful) expect(exchange(name).authenticationOk).toBe(true)
    expect(exchange("scram-sha-256-plus").clientFirst.startsWith("p=tls-server-end-point,,")).toBe(true)
    expect(fixture.md5.authenticationOk).toBe(true)
  })

  for (const name of successful) {
    it(`client side: ${name}`, () => {
      const e = exchange(name)
      const first = ok(ScramClient.start(offered(e), {
        password: e.password,
        nonce: e.clientNonce,
        channelBinding: e.channelBinding,
        channelBindingData: bindingData(e)
      }))
      expect(first.mechanism).toBe(e.mechanism)
      expect(text(first.message)).toBe(e.clientFirst)
      const final = ok(ScramClient.respondSync(first.state, bytes(e.serverFirst!)))
      expect(text(final.message)).toBe(e.clientFinal)
      ok(ScramClient.receiveServerFinal(final.state, bytes(e.serverFinal!)))
    })

    it(`server side: ${name}`, () => {
      const e = exchange(name)
      const verifier = ok(ScramVerifier.parse(role(e.user).rolpassword))
      const fullNonce = e.serverFirst!.split(",")[0]!.slice(2)
      const first = ok(ScramServer.receiveClientFirst(
        {
          username: e.user,
          verifier,
          mockSecret: new Uint8Array(32),
          serverNonce: fullNonce.slice(e.clientNonce.length),
          channelBindingData: bindingData(e)
        },
        e.mechanism,
        bytes(e.clientFirst)
      ))
      expect(text(first.message)).toBe(e.serverFirst)
      const final = ok(ScramServer.receiveClientFinal(first.state, bytes(e.clientFinal!)))
      expect(text(final.message)).toBe(e.serverFinal)
    })
  }

  it("the PLUS exchange carried the SHA-384 hash of the server certificate", () => {
    const e = exchange("scram-sha-256-plus")
    const c = Buffer.from(e.clientFinal!.split(",")[0]!.slice(2), "base64")
    const header = Buffer.from("p=tls-server-end-point,,")
    expect(c.subarray(0, header.length).equals(header)).toBe(true)
    const expected = fs.readFileSync(path.join(dir, "certs", "expected-bindings.txt"), "utf8")
      .split("\n").find((line) => line.startsWith("rsa-sha384 "))!.split(" ")[2]
    expect(c.subarray(header.length).toString("hex")).toBe(expected)
  })

  const scramRoles = fixture.roles.filter((r) => r.rolpassword.startsWith("SCRAM-SHA-256$")).map((r) => r.name)

  it.each(scramRoles)("our verifier for %s equals PostgreSQL's for the same salt", (name) => {
    const stored = ok(ScramVerifier.parse(role(name).rolpassword))
    const ours = ok(ScramVerifier.makeSync(role(name).password, { salt: stored.salt, iterations: stored.iterations }))
    expect(ScramVerifier.format(ours)).toBe(role(name).rolpassword)
  })

  it("the fixture has PostgreSQL verifiers for ASCII, SASLprep, raw-bytes and pre-NFKC cases", () => {
    expect(scramRoles).toEqual(expect.arrayContaining([
      "scram_user",
      "saslprep_user",
      "rawbytes_user",
      "prenfkc_prohibited_user",
      "prenfkc_bidi_user",
      "empty_after_mapping_user"
    ]))
  })

  it("verifiers round-trip through parse and format", () => {
    for (const name of scramRoles) {
      expect(ScramVerifier.format(ok(ScramVerifier.parse(role(name).rolpassword)))).toBe(role(name).rolpassword)
    }
  })

  it("wrong password: PostgreSQL answers 28P01, so does our server, with the same reason as an unknown user", () => {
    const wrong = exchange("wrong-password")
    const unknown = exchange("unknown-user")
    expect(wrong.error?.code).toBe("28P01")
    expect(unknown.error?.code).toBe("28P01")
    // PostgreSQL's mock salt looks like a real one: 16 bytes, default iterations.
    expect(Buffer.from(unknown.serverFirst!.split(",")[1]!.slice(2), "base64").length).toBe(16)
    expect(unknown.serverFirst!.endsWith(",i=4096")).toBe(true)

    const verifier = ok(ScramVerifier.parse(role("scram_user").rolpassword))
    const replay = (e: Exchange, v: ScramVerifier.ScramVerifier | undefined) => {
      const fullNonce = e.serverFirst!.split(",")[0]!.slice(2)
      const first = ok(ScramServer.receiveClientFirst(
        { username: e.user, verifier: v, mockSecret: new Uint8Array(32), serverNonce: fullNonce.slice(e.clientNonce.length) },
        e.mechanism,
        bytes(e.clientFirst)
      ))
      return ScramServer.receiveClientFinal(first.state, bytes(e.clientFinal!))
    }
    const wrongError = failsWith(replay(wrong, verifier), "WrongPassword")
    const unknownError = failsWith(replay(unknown, undefined), "WrongPassword")
    expect(sqlState(wrongError)).toBe(wrong.error!.code)
    expect(unknownError.message).toBe(wrongError.message)
  })

  it("a 'y' flag over TLS is refused by PostgreSQL (28000) and by our server (DowngradeDetected, 28000)", () => {
    const e = exchange("downgrade-y-over-tls")
    expect(e.clientFirst.startsWith("y,,")).toBe(true)
    expect(e.error?.code).toBe("28000")
    const error = failsWith(
      ScramServer.receiveClientFirst(
        {
          username: e.user,
          verifier: ok(ScramVerifier.parse(role(e.user).rolpassword)),
          mockSecret: new Uint8Array(32),
          serverNonce: "server",
          channelBindingData: bindingData(e)
        },
        e.mechanism,
        bytes(e.clientFirst)
      ),
      "DowngradeDetected"
    )
    expect(sqlState(error)).toBe(e.error!.code)
  })

  it("MD5: our stored hash equals pg_authid's, our response is the one PostgreSQL accepted", () => {
    const { password, response, salt, user } = fixture.md5
    expect(Md5.hashPassword(password, user)).toBe(role(user).rolpassword)
    expect(text(ok(Md5.clientResponse(password, user, Buffer.from(salt, "hex"))))).toBe(response)
    const stored = ok(StoredPassword.parse(role(user).rolpassword))
    expect(stored._tag).toBe("Md5Hash")
    ok(Md5.verifyResponse(stored, user, Buffer.from(salt, "hex"), bytes(response)))
  })
})
