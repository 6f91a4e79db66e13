/**
 * Authentication through the AuthProvider service, with our client and a
 * scripted peer: trust, cleartext, MD5, SCRAM-SHA-256, SCRAM-SHA-256-PLUS
 * (offered only over TLS, bound to the server certificate), MD5 rules
 * upgraded to SCRAM for users with a verifier, client certificates (CN or a
 * mapping), reject, a custom conversation, and the failure rules: FATAL
 * 28P01 with the same message for a wrong password and an unknown user.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import * as ScramVerifier from "../../src/auth/ScramVerifier.ts"
import type { PgConnectionConfig } from "../../src/client/Config.ts"
import { PgConnection } from "../../src/client/PgConnection.ts"
import { StartupCode } from "../../src/protocol/index.ts"
import { AuthMethod, AuthProvider, type AuthProviderShape, storedPassword } from "../../src/server/AuthProvider.ts"
import { fatal } from "../../src/server/PgError.ts"
import { connectPeer, errorCode } from "./support/peer.ts"
import { certs, serverTls, startServer } from "./support/server.ts"

const users = { alice: "alice-secret", bob: "bob-secret" }

const connect = (port: number, config: Partial<PgConnectionConfig>) =>
  Effect.scoped(Effect.flatMap(
    PgConnection.make({ host: "127.0.0.1", port, sslMode: "disable", ...config }),
    (c) => Effect.map(c.query("SELECT 1::int4 AS one"), (result) => ({ info: c.info, rows: result.rows }))
  ))

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined => {
  const found = Exit.isFailure(exit) ? Exit.findErrorOption(exit) : undefined
  return found?._tag === "Some" ? found.value : undefined
}

const codeOfCause = (error: unknown): string | undefined => {
  if (typeof error !== "object" || error === null || !("cause" in error)) return undefined
  const cause = error.cause
  return typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string" ? cause.code : undefined
}

describe("password methods with our client", () => {
  for (const method of ["password", "md5", "scram-sha-256"] as const) {
    it.live(`${method}: right password in, wrong password and unknown user refused with 28P01`, () =>
      Effect.scoped(Effect.gen(function*() {
        const auth = yield* AuthProvider.passwords({ method, users })
        const { port } = yield* startServer({ auth })
        const ok = yield* connect(port, { user: "alice", password: "alice-secret" })
        expect(ok.rows).toEqual([{ one: 1 }])
        expect(ok.info.authMethod).toBe(method === "password" ? "cleartext" : method)
        const wrong = failureOf(yield* Effect.exit(connect(port, { user: "alice", password: "nope" })))
        const unknown = failureOf(yield* Effect.exit(connect(port, { user: "mallory", password: "nope" })))
        expect(wrong).toMatchObject({ _tag: "AuthError", reason: "WrongPassword" })
        expect(unknown).toMatchObject({ _tag: "AuthError", reason: "WrongPassword" })
        expect(codeOfCause(wrong)).toBe("28P01")
        expect(codeOfCause(unknown)).toBe("28P01")
      })))
  }

  it.live("an MD5 rule runs SCRAM for a user whose secret is a SCRAM verifier", () =>
    Effect.scoped(Effect.gen(function*() {
      const verifier = ScramVerifier.format(yield* ScramVerifier.make("carol-secret"))
      const auth = AuthProvider.make({ method: AuthMethod.md5, lookup: (user) => Effect.succeed(user === "carol" ? storedPassword(verifier) : undefined) })
      const { port } = yield* startServer({ auth })
      const ok = yield* connect(port, { user: "carol", password: "carol-secret" })
      expect(ok.info.authMethod).toBe("scram-sha-256")
    })))

  it.live("many SCRAM logins at once each keep their own state", () =>
    Effect.scoped(Effect.gen(function*() {
      const auth = yield* AuthProvider.passwords({ method: "scram-sha-256", users })
      const { port } = yield* startServer({ auth })
      const results = yield* Effect.forEach(
        Array.from({ length: 12 }, (_, i) => i),
        (i) => Effect.exit(connect(port, i % 3 === 2 ? { user: "bob", password: "wrong" } : { user: i % 2 === 0 ? "alice" : "bob", password: i % 2 === 0 ? "alice-secret" : "bob-secret" })),
        { concurrency: "unbounded" }
      )
      expect(results.map((exit, i) => (i % 3 === 2 ? Exit.isFailure(exit) : Exit.isSuccess(exit)))).toEqual(Array(12).fill(true))
    })))
})

describe("the same refusal for a wrong password and an unknown user", () => {
  it.live("cleartext: identical ErrorResponse fields but for the user name", () =>
    Effect.scoped(Effect.gen(function*() {
      const auth = yield* AuthProvider.passwords({ method: "password", users })
      const { port } = yield* startServer({ auth })
      const attempt = (user: string) =>
        Effect.gen(function*() {
          const peer = yield* connectPeer({ port })
          yield* peer.send({ _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { user } })
          expect((yield* peer.receive)._tag).toBe("AuthenticationCleartextPassword")
          yield* peer.send({ _tag: "PasswordMessage", password: "guess" })
          const messages = yield* peer.closed
          const error = messages.find((m) => m._tag === "ErrorResponse")
          return error?._tag === "ErrorResponse" ? { ...error.fields, message: error.fields.message?.replace(user, "<user>") } : undefined
        })
      const wrong = yield* attempt("alice")
      const unknown = yield* attempt("nobody")
      expect(wrong).toEqual({ severity: "FATAL", severityNonLocalized: "FATAL", code: "28P01", message: "password authentication failed for user \"<user>\"" })
      expect(unknown).toEqual(wrong)
    })))
})

describe("SCRAM-SHA-256-PLUS", () => {
  it.live("offered only over TLS; our client binds to the server certificate with channel_binding=require", () =>
    Effect.scoped(Effect.gen(function*() {
      const auth = yield* AuthProvider.passwords({ method: "scram-sha-256", users })
      const { port } = yield* startServer({ auth, tls: serverTls() })
      const plus = yield* connect(port, { host: "localhost", user: "alice", password: "alice-secret", sslMode: "verify-full", sslRootCert: certs.ca.cert, channelBinding: "require" })
      expect(plus.info.authMethod).toBe("scram-sha-256-plus")
      const plain = failureOf(yield* Effect.exit(connect(port, { user: "alice", password: "alice-secret", channelBinding: "require" })))
      expect(plain).toMatchObject({ _tag: "AuthError", reason: "ChannelBindingRequired" })
      const peer = yield* connectPeer({ port })
      yield* peer.send({ _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { user: "alice" } })
      expect(yield* peer.receive).toEqual({ _tag: "AuthenticationSASL", mechanisms: ["SCRAM-SHA-256"] })
    })))
})

describe("client certificates", () => {
  const certAuth = (map?: (cn: string, user: string) => boolean): AuthProviderShape => AuthProvider.make({ method: AuthMethod.certificate(map) })
  const withCert = (user: string, cert = certs.client): Partial<PgConnectionConfig> => ({
    host: "localhost",
    user,
    sslMode: "verify-full",
    sslRootCert: certs.ca.cert,
    sslCert: cert.cert,
    sslKey: Redacted.make(cert.key)
  })

  it.live("the certificate's CN must be the user", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer({ auth: certAuth(), tls: serverTls() })
      expect((yield* connect(port, withCert("cert_user"))).rows).toEqual([{ one: 1 }])
      expect(codeOfCause(failureOf(yield* Effect.exit(connect(port, withCert("alice")))))).toBe("28000")
      const noCert = failureOf(yield* Effect.exit(connect(port, { host: "localhost", user: "cert_user", sslMode: "verify-full", sslRootCert: certs.ca.cert })))
      expect(codeOfCause(noCert)).toBe("28000")
      const untrusted = failureOf(yield* Effect.exit(connect(port, withCert("cert_user", certs.untrustedClient))))
      expect(codeOfCause(untrusted)).toBe("28000")
    })))

  it.live("or a mapping allows it", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer({ auth: certAuth((cn, user) => cn === "cert_user" && user === "app"), tls: serverTls() })
      expect((yield* connect(port, withCert("app"))).rows).toEqual([{ one: 1 }])
      expect(codeOfCause(failureOf(yield* Effect.exit(connect(port, withCert("cert_user")))))).toBe("28000")
    })))
})

describe("policy", () => {
  it.live("a method per client, reject, and a custom conversation", () =>
    Effect.scoped(Effect.gen(function*() {
      const auth = AuthProvider.make({
        method: (client) =>
          Effect.succeed(
            client.user === "blocked"
              ? AuthMethod.reject()
              : client.user === "token"
              ? AuthMethod.custom({
                start: Effect.succeed({ _tag: "Send", message: { _tag: "AuthenticationCleartextPassword" }, expect: "PasswordMessage" }),
                receive: (response) =>
                  response._tag === "PasswordMessage" && response.password === "t0ken"
                    ? Effect.succeed({ _tag: "Done" })
                    : Effect.fail(fatal("28P01", "invalid token"))
              })
              : AuthMethod.trust
          )
      })
      const { port } = yield* startServer({ auth })
      expect((yield* connect(port, { user: "anyone" })).info.authMethod).toBe("trust")
      expect(codeOfCause(failureOf(yield* Effect.exit(connect(port, { user: "blocked" }))))).toBe("28000")
      expect((yield* connect(port, { user: "token", password: "t0ken" })).rows).toEqual([{ one: 1 }])
      const bad = failureOf(yield* Effect.exit(connect(port, { user: "token", password: "nope" })))
      expect(bad).toMatchObject({ _tag: "AuthError", message: "invalid token" })
    })))

  it.live("a message other than a password answer while authenticating is FATAL 08P01", () =>
    Effect.scoped(Effect.gen(function*() {
      const auth = yield* AuthProvider.passwords({ method: "password", users })
      const { port } = yield* startServer({ auth })
      const peer = yield* connectPeer({ port })
      yield* peer.send({ _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { user: "alice" } })
      yield* peer.receive
      yield* peer.send({ _tag: "Query", query: "SELECT 1" })
      expect(errorCode(yield* peer.closed)).toBe("08P01")
    })))
})
