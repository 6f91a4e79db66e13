/**
 * Our SCRAM client against our SCRAM server, in-process: the successful
 * paths (with and without channel binding) and every refusal, each with the
 * reason a user would act on.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import {
  type AuthError,
  ChannelBinding,
  ScramClient,
  ScramServer,
  ScramVerifier
} from "../../src/auth/index.ts"
import { bytes, failsWith, ok, text } from "./support.ts"

const certs = path.join(import.meta.dirname, "fixtures", "certs")
const binding = (name: string) =>
  ok(ChannelBinding.tlsServerEndPoint(new Uint8Array(fs.readFileSync(path.join(certs, `${name}.der`)))))
const SERVER_CERT = binding("rsa-sha384")
const OTHER_CERT = binding("rsa-sha256")

const SALT = new Uint8Array(16).fill(7)
const verifier = ok(ScramVerifier.makeSync("correct horse", { salt: SALT }))
const MOCK_SECRET = new Uint8Array(32).fill(42)

interface Setup {
  readonly password?: string
  readonly user?: string
  readonly known?: boolean
  readonly clientMode?: ChannelBinding.ChannelBindingMode
  readonly clientBinding?: Uint8Array | undefined
  readonly serverBinding?: Uint8Array | undefined
  /** What the client sees of the server's mechanism list. */
  readonly filterOffered?: (mechanisms: ReadonlyArray<string>) => ReadonlyArray<string>
  readonly tamperClientFinal?: (message: string) => string
  readonly tamperServerFinal?: (message: string) => string
}

const serverOptions = (setup: Setup): ScramServer.ScramServerOptions => ({
  username: setup.user ?? "alice",
  verifier: setup.known === false ? undefined : verifier,
  mockSecret: MOCK_SECRET,
  serverNonce: "serverNonce123",
  channelBindingData: setup.serverBinding
})

/** Runs a whole exchange; returns the first failure, or the mechanism used. */
const run = (setup: Setup): Result.Result<string, AuthError> =>
  Result.gen(function*() {
    const options = serverOptions(setup)
    const offered = ScramServer.mechanisms(options.channelBindingData)
    const first = yield* ScramClient.start(setup.filterOffered ? setup.filterOffered(offered) : offered, {
      password: setup.password ?? "correct horse",
      nonce: "clientNonce456",
      channelBinding: setup.clientMode ?? "prefer",
      channelBindingData: setup.clientBinding
    })
    const serverFirst = yield* ScramServer.receiveClientFirst(options, first.mechanism, first.message)
    const clientFinal = yield* ScramClient.respondSync(first.state, serverFirst.message)
    const tamperedFinal = setup.tamperClientFinal
      ? bytes(setup.tamperClientFinal(text(clientFinal.message)))
      : clientFinal.message
    const serverFinal = yield* ScramServer.receiveClientFinal(serverFirst.state, tamperedFinal)
    const tamperedServerFinal = setup.tamperServerFinal
      ? bytes(setup.tamperServerFinal(text(serverFinal.message)))
      : serverFinal.message
    yield* ScramClient.receiveServerFinal(clientFinal.state, tamperedServerFinal)
    return first.mechanism
  })

// Flips one bit of the base64 value of attribute `name` in a SCRAM message.
const flipBit = (message: string, name: string): string =>
  message.split(",").map((part) => {
    if (!part.startsWith(`${name}=`)) return part
    const raw = Buffer.from(part.slice(2), "base64")
    raw[0] = raw[0]! ^ 1
    return `${name}=${raw.toString("base64")}`
  }).join(",")

describe("SCRAM client against SCRAM server", () => {
  it("right password: SCRAM-SHA-256 without TLS", () => {
    expect(ok(run({}))).toBe("SCRAM-SHA-256")
  })

  it("right password: SCRAM-SHA-256-PLUS when both sides see the same certificate", () => {
    expect(ok(run({ clientBinding: SERVER_CERT, serverBinding: SERVER_CERT }))).toBe("SCRAM-SHA-256-PLUS")
    expect(ok(run({ clientMode: "require", clientBinding: SERVER_CERT, serverBinding: SERVER_CERT }))).toBe(
      "SCRAM-SHA-256-PLUS"
    )
  })

  it("channelBinding disable over TLS: plain SCRAM with the n flag is accepted", () => {
    expect(ok(run({ clientMode: "disable", clientBinding: SERVER_CERT, serverBinding: SERVER_CERT }))).toBe(
      "SCRAM-SHA-256"
    )
  })

  it("the y flag is accepted by a server that cannot bind (no TLS on its side)", () => {
    // The client is on TLS (e.g. to a TLS-terminating proxy) but this server has no binding.
    expect(ok(run({ clientBinding: SERVER_CERT, serverBinding: undefined }))).toBe("SCRAM-SHA-256")
  })

  it.effect("the asynchronous client path authenticates too", () =>
    Effect.gen(function*() {
      const options = serverOptions({})
      const first = ok(ScramClient.start(ScramServer.mechanisms(undefined), { password: "correct horse", nonce: "abc" }))
      const serverFirst = ok(ScramServer.receiveClientFirst(options, first.mechanism, first.message))
      const clientFinal = yield* ScramClient.respond(first.state, serverFirst.message)
      const serverFinal = ok(ScramServer.receiveClientFinal(serverFirst.state, clientFinal.message))
      ok(ScramClient.receiveServerFinal(clientFinal.state, serverFinal.message))
    }))

  it("wrong password: WrongPassword", () => {
    failsWith(run({ password: "wrong horse" }), "WrongPassword")
  })

  it("unknown user: the same failure as a wrong password", () => {
    const unknown = failsWith(run({ known: false, user: "mallory" }), "WrongPassword")
    const wrong = failsWith(run({ password: "wrong horse" }), "WrongPassword")
    expect(unknown.message).toBe(wrong.message)
    // Even the right password of some other user cannot succeed on a mock exchange.
    failsWith(run({ known: false, password: "correct horse" }), "WrongPassword")
  })

  it("a doomed (mock) exchange fails even when the proof happens to verify", () => {
    const options = serverOptions({})
    const first = ok(ScramClient.start(["SCRAM-SHA-256"], { password: "correct horse", nonce: "abc" }))
    const serverFirst = ok(ScramServer.receiveClientFirst(options, first.mechanism, first.message))
    const clientFinal = ok(ScramClient.respondSync(first.state, serverFirst.message))
    ok(ScramServer.receiveClientFinal(serverFirst.state, clientFinal.message))
    failsWith(ScramServer.receiveClientFinal({ ...serverFirst.state, doomed: true }, clientFinal.message), "WrongPassword")
  })

  it("unknown user: the mock salt is stable per user, secret-dependent, and shaped like a real one", () => {
    const serverFirst = (user: string, secret: Uint8Array) => {
      const first = ok(ScramClient.start(["SCRAM-SHA-256"], { password: "x", nonce: "n" }))
      return text(ok(ScramServer.receiveClientFirst(
        { username: user, verifier: undefined, mockSecret: secret, serverNonce: "s" },
        "SCRAM-SHA-256",
        first.message
      )).message)
    }
    const a1 = serverFirst("mallory", MOCK_SECRET)
    expect(serverFirst("mallory", MOCK_SECRET)).toBe(a1)
    expect(serverFirst("trudy", MOCK_SECRET)).not.toBe(a1)
    expect(serverFirst("mallory", new Uint8Array(32).fill(1))).not.toBe(a1)
    const salt = a1.split(",")[1]!.slice(2)
    expect(Buffer.from(salt, "base64").length).toBe(16)
    expect(a1.endsWith(",i=4096")).toBe(true)
  })

  it("tampered server signature: ServerSignatureMismatch", () => {
    failsWith(run({ tamperServerFinal: (m) => flipBit(m, "v") }), "ServerSignatureMismatch")
  })

  it("tampered client proof: WrongPassword", () => {
    failsWith(run({ tamperClientFinal: (m) => flipBit(m, "p") }), "WrongPassword")
  })

  it("client-final with another nonce: NonceMismatch on the server", () => {
    failsWith(run({ tamperClientFinal: (m) => m.replace(",r=clientNonce456", ",r=clientNonce457") }), "NonceMismatch")
  })

  it("PLUS with a different certificate on each side (a TLS-terminating middlebox): ChannelBindingMismatch", () => {
    failsWith(run({ clientBinding: OTHER_CERT, serverBinding: SERVER_CERT }), "ChannelBindingMismatch")
  })

  it("a c= that does not repeat the GS2 header: ChannelBindingMismatch", () => {
    // client-first said "n,,", client-final claims "y,," (eSws).
    failsWith(run({ tamperClientFinal: (m) => m.replace("c=biws", "c=eSws") }), "ChannelBindingMismatch")
  })

  it("PLUS stripped from the mechanism list on the way: the y flag gives DowngradeDetected", () => {
    failsWith(
      run({
        clientBinding: SERVER_CERT,
        serverBinding: SERVER_CERT,
        filterOffered: (ms) => ms.filter((m) => m !== "SCRAM-SHA-256-PLUS")
      }),
      "DowngradeDetected"
    )
  })

  it("channelBinding require: refused without TLS and when PLUS is not offered", () => {
    failsWith(run({ clientMode: "require" }), "ChannelBindingRequired")
    failsWith(run({ clientMode: "require", clientBinding: SERVER_CERT, serverBinding: undefined }), "ChannelBindingRequired")
    failsWith(
      run({
        clientMode: "require",
        clientBinding: SERVER_CERT,
        serverBinding: SERVER_CERT,
        filterOffered: (ms) => ms.filter((m) => m !== "SCRAM-SHA-256-PLUS")
      }),
      "ChannelBindingRequired"
    )
  })
})

describe("SCRAM client: refusing a bad server", () => {
  const start = (options: Partial<ScramClient.ScramClientOptions> = {}) =>
    ok(ScramClient.start(["SCRAM-SHA-256"], { password: "pw", nonce: "abc", channelBinding: "disable", ...options }))
  const serverFirst = (message: string, options: Partial<ScramClient.ScramClientOptions> = {}) =>
    ScramClient.receiveServerFirst(start(options).state, bytes(message))
  const SALT_B64 = "QSXCR+Q6sek8bf92"

  it("accepts a well-formed server-first (with an unknown extension)", () => {
    const received = ok(serverFirst(`r=abcXYZ,s=${SALT_B64},i=4096,x=ext`))
    expect(received.iterations).toBe(4096)
  })

  it("a nonce that does not extend ours: NonceMismatch", () => {
    failsWith(serverFirst(`r=xyzXYZ,s=${SALT_B64},i=4096`), "NonceMismatch")
    failsWith(serverFirst(`r=ab,s=${SALT_B64},i=4096`), "NonceMismatch")
    // Echoing our nonce without a server part is no extension either.
    failsWith(serverFirst(`r=abc,s=${SALT_B64},i=4096`), "NonceMismatch")
  })

  it("iteration counts under 4096 and over the cap", () => {
    failsWith(serverFirst(`r=abcX,s=${SALT_B64},i=4095`), "IterationCountTooLow")
    failsWith(serverFirst(`r=abcX,s=${SALT_B64},i=1`), "IterationCountTooLow")
    failsWith(serverFirst(`r=abcX,s=${SALT_B64},i=100001`), "IterationCountTooHigh")
    failsWith(serverFirst(`r=abcX,s=${SALT_B64},i=99999999999999999999999`), "IterationCountTooHigh")
    ok(serverFirst(`r=abcX,s=${SALT_B64},i=100000`))
    // The cap is configurable.
    failsWith(serverFirst(`r=abcX,s=${SALT_B64},i=5000`, { maxIterations: 4096 }), "IterationCountTooHigh")
    ok(serverFirst(`r=abcX,s=${SALT_B64},i=200000`, { maxIterations: 200_000 }))
  })

  it("malformed server-first: InvalidServerMessage", () => {
    const cases = [
      "", // empty
      `s=${SALT_B64},i=4096`, // missing r
      "r=abcX,i=4096", // missing s
      `r=abcX,s=${SALT_B64}`, // missing i
      `s=${SALT_B64},r=abcX,i=4096`, // wrong order
      "r=abcX,s=not*base64!,i=4096", // bad base64
      "r=abcX,s=QSXCR+Q6sek8bf9,i=4096", // bad base64 length
      "r=abcX,s=,i=4096", // empty salt
      `r=abcX,s=${SALT_B64},i=abc`, // non-numeric count
      `r=abcX,s=${SALT_B64},i=04096`, // leading zero
      `r=abcX,s=${SALT_B64},i=-4096`, // negative
      `m=ext,r=abcX,s=${SALT_B64},i=4096`, // mandatory extension
      `r=abcX,s=${SALT_B64},i=4096,`, // trailing comma
      `r=abc X,s=${SALT_B64},i=4096`, // unprintable nonce
      `r=abcX,s=${SALT_B64},i=4096,m=ext`, // mandatory extension after
      `rr=abcX,s=${SALT_B64},i=4096` // bad attribute syntax
    ]
    for (const message of cases) failsWith(serverFirst(message), "InvalidServerMessage")
    failsWith(ScramClient.receiveServerFirst(start().state, new Uint8Array([0x72, 0x3d, 0xff, 0xfe])), "InvalidServerMessage")
  })

  const final = () => ok(ScramClient.respondSync(start().state, bytes(`r=abcX,s=${SALT_B64},i=4096`))).state

  it("malformed server-final: InvalidServerMessage", () => {
    for (const message of ["", "v=", "v=not*base64", "v=AAAA", "x=1", "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=,m=1"]) {
      failsWith(ScramClient.receiveServerFinal(final(), bytes(message)), "InvalidServerMessage")
    }
  })

  it("a server e= error maps to a reason", () => {
    failsWith(ScramClient.receiveServerFinal(final(), bytes("e=invalid-proof")), "WrongPassword")
    failsWith(ScramClient.receiveServerFinal(final(), bytes("e=channel-bindings-dont-match")), "ChannelBindingMismatch")
    failsWith(ScramClient.receiveServerFinal(final(), bytes("e=server-does-support-channel-binding")), "DowngradeDetected")
    for (const inherited of ["constructor", "__proto__", "toString"]) {
      failsWith(ScramClient.receiveServerFinal(final(), bytes(`e=${inherited}`)), "ServerError")
    }
    const other = failsWith(ScramClient.receiveServerFinal(final(), bytes("e=other-error")), "ServerError")
    expect(other.message).toContain("other-error")
    // Peer text is sanitized before it reaches a message.
    const weird = failsWith(ScramClient.receiveServerFinal(final(), bytes("e=\u001b[31mred")), "ServerError")
    expect(weird.message).not.toContain("\u001b")
  })

  it("mechanism selection", () => {
    const choose = (offered: ReadonlyArray<string>, mode: ChannelBinding.ChannelBindingMode, data?: Uint8Array) =>
      ScramClient.selectMechanism(offered, mode, data)
    const both = ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"]
    expect(ok(choose(both, "prefer", SERVER_CERT))).toEqual({
      mechanism: "SCRAM-SHA-256-PLUS",
      gs2: { _tag: "p", cbName: "tls-server-end-point" }
    })
    expect(ok(choose(both, "disable", SERVER_CERT)).gs2).toEqual({ _tag: "n" })
    expect(ok(choose(both, "prefer")).gs2).toEqual({ _tag: "n" })
    expect(ok(choose(["SCRAM-SHA-256"], "prefer", SERVER_CERT)).gs2).toEqual({ _tag: "y" })
    expect(ok(choose(["OAUTHBEARER", "SCRAM-SHA-256"], "prefer")).mechanism).toBe("SCRAM-SHA-256")
    failsWith(choose(["OAUTHBEARER"], "prefer"), "MethodNotSupported")
    failsWith(choose([], "prefer"), "MethodNotSupported")
    failsWith(choose(["SCRAM-SHA-256-PLUS"], "prefer"), "MethodNotSupported")
    failsWith(choose(both, "require"), "ChannelBindingRequired")
  })

  it("client-first GS2 headers and username escaping", () => {
    const first = (mode: ChannelBinding.ChannelBindingMode, offered: ReadonlyArray<string>, data?: Uint8Array) =>
      text(ok(ScramClient.start(offered, { password: "pw", nonce: "abc", channelBinding: mode, channelBindingData: data })).message)
    expect(first("prefer", ["SCRAM-SHA-256"])).toBe("n,,n=,r=abc")
    expect(first("prefer", ["SCRAM-SHA-256"], SERVER_CERT)).toBe("y,,n=,r=abc")
    expect(first("prefer", ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"], SERVER_CERT)).toBe("p=tls-server-end-point,,n=,r=abc")
    const named = ok(ScramClient.start(["SCRAM-SHA-256"], { password: "pw", nonce: "abc", username: "a=b,c" }))
    expect(text(named.message)).toBe("n,,n=a=3Db=2Cc,r=abc")
  })

  it("bad options: InvalidConfiguration", () => {
    for (const nonce of ["", "a,b", "caf\u00e9", "a b"]) {
      failsWith(ScramClient.start(["SCRAM-SHA-256"], { password: "pw", nonce }), "InvalidConfiguration")
    }
    failsWith(ScramClient.start(["SCRAM-SHA-256"], { password: "pw", nonce: "abc", maxIterations: 4095 }), "InvalidConfiguration")
  })
})

describe("SCRAM server: refusing a bad client", () => {
  const options = (binding?: Uint8Array): ScramServer.ScramServerOptions => ({
    username: "alice",
    verifier,
    mockSecret: MOCK_SECRET,
    serverNonce: "srv",
    channelBindingData: binding
  })
  const clientFirst = (message: string, mechanism = "SCRAM-SHA-256", binding?: Uint8Array) =>
    ScramServer.receiveClientFirst(options(binding), mechanism, bytes(message))

  it("offers PLUS only with channel-binding data", () => {
    expect(ScramServer.mechanisms(undefined)).toEqual(["SCRAM-SHA-256"])
    expect(ScramServer.mechanisms(SERVER_CERT)).toEqual(["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"])
  })

  it("a p= header with another channel-binding type: ChannelBindingUnsupported", () => {
    failsWith(clientFirst("p=tls-unique,,n=,r=abc", "SCRAM-SHA-256-PLUS", SERVER_CERT), "ChannelBindingUnsupported")
    failsWith(clientFirst("p=tls-exporter,,n=,r=abc", "SCRAM-SHA-256-PLUS", SERVER_CERT), "ChannelBindingUnsupported")
  })

  it("mechanism and GS2 flag must agree", () => {
    failsWith(clientFirst("n,,n=,r=abc", "SCRAM-SHA-256-PLUS", SERVER_CERT), "InvalidClientMessage")
    failsWith(clientFirst("y,,n=,r=abc", "SCRAM-SHA-256-PLUS", SERVER_CERT), "InvalidClientMessage")
    failsWith(clientFirst("p=tls-server-end-point,,n=,r=abc", "SCRAM-SHA-256", SERVER_CERT), "InvalidClientMessage")
  })

  it("a mechanism that was not offered: MethodNotSupported", () => {
    failsWith(clientFirst("p=tls-server-end-point,,n=,r=abc", "SCRAM-SHA-256-PLUS"), "MethodNotSupported")
    failsWith(clientFirst("n,,n=,r=abc", "SCRAM-SHA-1"), "MethodNotSupported")
  })

  it("malformed client-first: InvalidClientMessage", () => {
    const cases = [
      "",
      "n,",
      "x,,n=,r=abc", // unknown flag
      "n,a=admin,n=,r=abc", // authzid
      "n,,r=abc", // missing n
      "n,,n=", // missing r
      "n,,n=,r=", // empty nonce
      "n,,n=,r=a,b", // bad attribute
      "n,,m=ext,n=,r=abc", // mandatory extension
      "n,,n=bad=name,r=abc", // bad saslname escape
      "n,,n=,r=abc\u0000" // NUL
    ]
    for (const message of cases) failsWith(clientFirst(message), "InvalidClientMessage")
    failsWith(ScramServer.receiveClientFirst(options(), "SCRAM-SHA-256", new Uint8Array([0x6e, 0x2c, 0x2c, 0xff])), "InvalidClientMessage")
  })

  it("malformed client-final: InvalidClientMessage", () => {
    const state = ok(clientFirst("n,,n=,r=abc")).state
    const proof = Buffer.alloc(32).toString("base64")
    const cases = [
      "",
      `r=abcsrv,p=${proof}`, // missing c
      `c=biws,p=${proof}`, // missing r
      "c=biws,r=abcsrv", // missing p
      `c=biws,r=abcsrv,p=${proof},x=1`, // p not last
      "c=biws,r=abcsrv,p=AAAA", // short proof
      `c=bi*s,r=abcsrv,p=${proof}` // bad base64
    ]
    for (const message of cases) failsWith(ScramServer.receiveClientFinal(state, bytes(message)), "InvalidClientMessage")
  })

  it("a bad server nonce option: InvalidConfiguration", () => {
    failsWith(
      ScramServer.receiveClientFirst({ ...options(), serverNonce: "a,b" }, "SCRAM-SHA-256", bytes("n,,n=,r=abc")),
      "InvalidConfiguration"
    )
  })
})
