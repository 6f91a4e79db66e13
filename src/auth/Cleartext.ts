/**
 * Cleartext password authentication (AuthenticationCleartextPassword), both
 * sides.
 *
 * The client sends the password itself: only acceptable over TLS, which is
 * the client's policy to enforce, not this module's. The server checks it
 * against whatever it stores, as PostgreSQL's `password` method does: a
 * plain password (constant-time), an MD5 hash, or a SCRAM verifier (PBKDF2
 * on the thread pool, so this side returns an `Effect`).
 *
 * I/O-free.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { type AuthError, authError } from "./AuthError.ts"
import { concatBytes, constantTimeEqual, utf8Encode } from "./internal/encoding.ts"
import { type PasswordInput, passwordUtf8, scramPasswordBytes } from "./Password.ts"
import * as Keys from "./ScramKeys.ts"
import * as Verifier from "./ScramVerifier.ts"
import type { StoredPassword } from "./StoredPassword.ts"

/**
 * The PasswordMessage content for AuthenticationCleartextPassword: the
 * password's UTF-8 bytes, without the C-string terminator the codec adds.
 * A password containing NUL cannot be sent (`InvalidPassword`).
 *
 * @since 0.1.0
 * @category client
 */
export const clientPassword = (password: PasswordInput): Result.Result<Uint8Array, AuthError> => {
  const bytes = passwordUtf8(password)
  return bytes.includes(0)
    ? Result.fail(authError("InvalidPassword", "the password contains a NUL character and cannot be sent"))
    : Result.succeed(bytes)
}

const wrongPassword = (): AuthError => authError("WrongPassword", "password authentication failed")

// Comparing digests hides the stored password's length from timing.
const digest = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(bytes).digest())

const md5Hex = (data: Uint8Array): string => createHash("md5").update(data).digest("hex")

const verifyScram = (verifier: Verifier.ScramVerifier, received: Uint8Array): Effect.Effect<boolean, AuthError> =>
  Effect.map(
    Keys.saltedPassword(scramPasswordBytes(received), verifier.salt, verifier.iterations),
    // PostgreSQL compares the ServerKey computed from the password with
    // the stored one (scram_verify_plain_password).
    (salted) => constantTimeEqual(Keys.serverKey(salted), Redacted.value(verifier.serverKey))
  )

/**
 * Checks a received cleartext password (the PasswordMessage bytes) against
 * what is stored for `username`. `undefined` (unknown user) runs a SCRAM
 * check against a throwaway verifier with the default iteration count, then
 * fails like a wrong password, so that unknown users are not faster to
 * reject than users with default SCRAM verifiers. Bytes containing NUL
 * never match.
 *
 * @since 0.1.0
 * @category server
 */
export const verify = (
  stored: StoredPassword | undefined,
  username: string,
  received: Uint8Array
): Effect.Effect<void, AuthError> => {
  if (stored === undefined) {
    const mock = Verifier.mock(username, Verifier.generateMockSecret())
    return Effect.flatMap(verifyScram(mock, received), () => Effect.fail(wrongPassword()))
  }
  let matches: Effect.Effect<boolean, AuthError>
  switch (stored._tag) {
    case "PlainPassword":
      matches = Effect.succeed(constantTimeEqual(digest(received), digest(passwordUtf8(stored.password))))
      break
    case "Md5Hash":
      matches = Effect.succeed(
        constantTimeEqual(
          utf8Encode("md5" + md5Hex(concatBytes(received, utf8Encode(username)))),
          utf8Encode(Redacted.value(stored.hash))
        )
      )
      break
    case "ScramVerifier":
      matches = verifyScram(stored, received)
      break
  }
  // No password contains NUL (clients cannot send one); refused after the
  // same work, since PBKDF2's HMAC pads its key with zeros and would take
  // "secret\0" for "secret".
  const sendable = !received.includes(0)
  return Effect.flatMap(matches, (ok) => (ok && sendable ? Effect.void : Effect.fail(wrongPassword())))
}
