/**
 * The exchanges of the built-in authentication methods, as conversations
 * the session drives one message at a time: each is made for one session
 * and keeps its state (salt, nonce, SCRAM state) in its own closure.
 *
 * Failures are FATAL `PgError`s: 28P01 `password authentication failed for
 * user "<user>"` for a wrong password and for an unknown user alike (the
 * same work is done for both), 28000 for a refused certificate or method,
 * 08P01 for a malformed exchange.
 *
 * What it is not: the policy (`AuthProvider.ts`) or the cryptography
 * (`src/auth`).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import { type AuthError, sqlState } from "../auth/AuthError.ts"
import * as ChannelBinding from "../auth/ChannelBinding.ts"
import * as Cleartext from "../auth/Cleartext.ts"
import * as Md5 from "../auth/Md5.ts"
import * as ScramKeys from "../auth/ScramKeys.ts"
import * as ScramServer from "../auth/ScramServer.ts"
import * as ScramVerifier from "../auth/ScramVerifier.ts"
import type { StoredPassword } from "../auth/StoredPassword.ts"
import { AuthenticationCleartextPassword } from "../protocol/index.ts"
import type { AuthConversation, AuthMethod, AuthProviderShape, AuthStep, ClientIdentity } from "./AuthProvider.ts"
import { fatal, type PgError, protocolViolation } from "./PgError.ts"
import { SqlState } from "../protocol/SqlState.ts"

const encoder = new TextEncoder()

const done: AuthStep = { _tag: "Done" }

const wrongPassword = (user: string): PgError =>
  fatal(SqlState.invalidPassword, `password authentication failed for user "${user}"`)

/** An `AuthError` as the FATAL error the client sees; a wrong password never says more than that. */
const fromAuthError = (user: string) => (error: AuthError): PgError =>
  error.reason === "WrongPassword" ? wrongPassword(user) : fatal(sqlState(error), error.message)

const unexpected = (expected: string, got: string): PgError =>
  protocolViolation(`expected ${expected}, got ${got}`)

/** The `tls-server-end-point` data of the server's certificate, when the session is TLS and it has one. */
const channelBindingData = (client: ClientIdentity): Uint8Array | undefined => {
  const certificate = client.tls?.localCertificate
  if (certificate === undefined) return undefined
  const data = ChannelBinding.tlsServerEndPoint(certificate)
  // A certificate without a usable hash (Ed25519) cannot bind: PLUS is not offered.
  return Result.isSuccess(data) ? data.success : undefined
}

const trust: AuthConversation = {
  start: Effect.succeed(done),
  receive: (response) => Effect.fail(unexpected("no password message", response._tag))
}

const cleartext = (client: ClientIdentity, provider: AuthProviderShape): AuthConversation => ({
  start: Effect.succeed({ _tag: "Send", message: AuthenticationCleartextPassword, expect: "PasswordMessage" }),
  receive: (response) =>
    response._tag !== "PasswordMessage"
      ? Effect.fail(unexpected("a password", response._tag))
      : Effect.flatMap(provider.lookup(client.user), (stored) =>
        Cleartext.verify(stored, client.user, encoder.encode(response.password)).pipe(
          Effect.mapError(fromAuthError(client.user)),
          Effect.as(done)
        ))
})

const md5 = (client: ClientIdentity, stored: StoredPassword | undefined): AuthConversation => {
  const salt = Md5.generateSalt()
  return {
    start: Effect.succeed({ _tag: "Send", message: { _tag: "AuthenticationMD5Password", salt }, expect: "PasswordMessage" }),
    receive: (response) => {
      if (response._tag !== "PasswordMessage") return Effect.fail(unexpected("an MD5 password", response._tag))
      const verified = Md5.verifyResponse(stored, client.user, salt, encoder.encode(response.password))
      return Result.isSuccess(verified) ? Effect.succeed(done) : Effect.fail(fromAuthError(client.user)(verified.failure))
    }
  }
}

const verifierOf = (
  stored: StoredPassword | undefined,
  user: string,
  mockSecret: Uint8Array
): Effect.Effect<ScramVerifier.ScramVerifier | undefined> => {
  if (stored === undefined) return Effect.succeed(undefined)
  switch (stored._tag) {
    case "ScramVerifier":
      return Effect.succeed(stored)
    case "PlainPassword":
      // A verifier made for this attempt (`AuthProvider.passwords` makes them
      // once instead), salted like the mock one: a fresh salt on every
      // attempt would tell this user apart from an unknown one, whose salt
      // never changes.
      return Effect.orElseSucceed(
        ScramVerifier.make(stored.password, { salt: ScramVerifier.mock(user, mockSecret).salt }),
        () => undefined
      )
    case "Md5Hash":
      // An MD5 hash cannot serve SCRAM: the exchange runs against a mock and fails.
      return Effect.succeed(undefined)
  }
}

const scram = (
  client: ClientIdentity,
  provider: AuthProviderShape,
  mockSecret: Uint8Array,
  known?: StoredPassword | undefined
): AuthConversation => {
  const binding = channelBindingData(client)
  let state: ScramServer.ServerFirstSent | undefined
  return {
    start: Effect.succeed({
      _tag: "Send",
      message: { _tag: "AuthenticationSASL", mechanisms: ScramServer.mechanisms(binding) },
      expect: "SASLInitialResponse"
    }),
    receive: (response) => {
      if (response._tag === "SASLInitialResponse" && state === undefined) {
        const data = response.data
        if (data === null) return Effect.fail(protocolViolation("the SASL initial response carries no data"))
        return Effect.gen(function*() {
          const stored = known ?? (yield* provider.lookup(client.user))
          const verifier = yield* verifierOf(stored, client.user, mockSecret)
          const first = ScramServer.receiveClientFirst(
            { username: client.user, verifier, mockSecret, serverNonce: ScramKeys.generateNonce(), channelBindingData: binding },
            response.mechanism,
            data
          )
          if (Result.isFailure(first)) return yield* Effect.fail(fromAuthError(client.user)(first.failure))
          state = first.success.state
          return { _tag: "Send", message: { _tag: "AuthenticationSASLContinue", data: first.success.message }, expect: "SASLResponse" } as const
        })
      }
      if (response._tag === "SASLResponse" && state !== undefined) {
        const final = ScramServer.receiveClientFinal(state, response.data)
        if (Result.isFailure(final)) return Effect.fail(fromAuthError(client.user)(final.failure))
        return Effect.succeed({ _tag: "Done", final: { _tag: "AuthenticationSASLFinal", data: final.success.message } })
      }
      return Effect.fail(unexpected(state === undefined ? "a SASL initial response" : "a SASL response", response._tag))
    }
  }
}

const certificate = (client: ClientIdentity, map: ((commonName: string, user: string) => boolean) | undefined): AuthConversation => ({
  start: Effect.suspend(() => {
    const tls = client.tls
    if (tls === undefined || tls.peerCertificate === undefined) {
      return Effect.fail(fatal(SqlState.invalidAuthorizationSpecification, "connection requires a valid client certificate"))
    }
    const cn = tls.peerCommonName
    const allowed = tls.peerCertificateAuthorized && cn !== undefined && (map === undefined ? cn === client.user : map(cn, client.user))
    return allowed
      ? Effect.succeed(done)
      : Effect.fail(fatal(SqlState.invalidAuthorizationSpecification, `certificate authentication failed for user "${client.user}"`))
  }),
  receive: (response) => Effect.fail(unexpected("no password message", response._tag))
})

/**
 * The conversation for `method`, made for one session.
 *
 * @since 0.1.0
 * @category constructors
 */
export const conversation = (
  method: AuthMethod,
  client: ClientIdentity,
  provider: AuthProviderShape,
  mockSecret: Uint8Array
): Effect.Effect<AuthConversation, PgError> => {
  switch (method._tag) {
    case "Trust":
      return Effect.succeed(trust)
    case "Password":
      return Effect.succeed(cleartext(client, provider))
    case "Md5":
      // As PostgreSQL: a user whose secret is a SCRAM verifier is asked for SCRAM instead.
      return Effect.map(provider.lookup(client.user), (stored) =>
        stored?._tag === "ScramVerifier" ? scram(client, provider, mockSecret, stored) : md5(client, stored))
    case "ScramSha256":
      return Effect.succeed(scram(client, provider, mockSecret))
    case "Certificate":
      return Effect.succeed(certificate(client, method.map))
    case "Reject":
      return Effect.fail(
        fatal(
          SqlState.invalidAuthorizationSpecification,
          method.message ?? `no authentication method allows user "${client.user}" to connect to database "${client.database}"`
        )
      )
    case "Custom":
      return Effect.succeed(method.conversation)
  }
}
