/**
 * SCRAM-SHA-256 verifiers: what a server stores instead of a password, in
 * PostgreSQL's own text format (`pg_authid.rolpassword`):
 *
 *     SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
 *
 * with salt and keys in base64. Verifiers copied from PostgreSQL work here
 * and verifiers made here can be given to PostgreSQL
 * (`ALTER ROLE ... PASSWORD 'SCRAM-SHA-256$...'`).
 *
 * Also the mock verifier used for unknown users, so that they fail exactly
 * like a wrong password (see `ScramServer.ts`).
 *
 * Not here: the exchange itself, or how verifiers are looked up.
 *
 * @since 0.1.0
 */
import { createHash, randomBytes } from "node:crypto"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { type AuthError, authError } from "./AuthError.ts"
import { base64Decode, base64Encode, concatBytes, utf8Encode } from "./internal/encoding.ts"
import { type PasswordInput, scramPasswordBytes } from "./Password.ts"
import * as Keys from "./ScramKeys.ts"

/**
 * A parsed SCRAM-SHA-256 verifier. The keys are secrets (anyone holding them
 * can impersonate the server, and with a captured exchange, the user):
 * they stay `Redacted`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScramVerifier {
  readonly _tag: "ScramVerifier"
  readonly iterations: number
  readonly salt: Uint8Array
  readonly storedKey: Redacted.Redacted<Uint8Array>
  readonly serverKey: Redacted.Redacted<Uint8Array>
}

/**
 * The method prefix of the text form.
 *
 * @since 0.1.0
 * @category constants
 */
export const PREFIX = "SCRAM-SHA-256$"

const redact = (bytes: Uint8Array, label: string) => Redacted.make(bytes, { label })

const invalid = (detail: string): Result.Result<never, AuthError> =>
  Result.fail(authError("InvalidVerifier", `invalid SCRAM-SHA-256 verifier: ${detail}`))

/**
 * Parses PostgreSQL's verifier text. Fails with `InvalidVerifier`; the
 * message never repeats the input.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (text: string): Result.Result<ScramVerifier, AuthError> => {
  if (!text.startsWith(PREFIX)) return invalid("missing SCRAM-SHA-256$ prefix")
  const parts = text.slice(PREFIX.length).split("$")
  if (parts.length !== 2) return invalid("expected <iterations>:<salt>$<StoredKey>:<ServerKey>")
  const head = parts[0]!.split(":")
  const keys = parts[1]!.split(":")
  if (head.length !== 2 || keys.length !== 2) return invalid("expected <iterations>:<salt>$<StoredKey>:<ServerKey>")
  const iterationText = head[0]!
  if (!/^[1-9][0-9]{0,9}$/.test(iterationText) || Number(iterationText) > 2_147_483_647) {
    return invalid("bad iteration count")
  }
  const salt = base64Decode(head[1]!)
  if (salt === undefined || salt.byteLength === 0) return invalid("bad salt")
  const stored = base64Decode(keys[0]!)
  const server = base64Decode(keys[1]!)
  if (stored === undefined || stored.byteLength !== Keys.KEY_LENGTH) return invalid("bad StoredKey")
  if (server === undefined || server.byteLength !== Keys.KEY_LENGTH) return invalid("bad ServerKey")
  return Result.succeed({
    _tag: "ScramVerifier",
    iterations: Number(iterationText),
    salt,
    storedKey: redact(stored, "StoredKey"),
    serverKey: redact(server, "ServerKey")
  })
}

/**
 * Formats a verifier as PostgreSQL stores it. The result is a secret: keep
 * it out of logs.
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (verifier: ScramVerifier): string =>
  `${PREFIX}${verifier.iterations}:${base64Encode(verifier.salt)}$${
    base64Encode(Redacted.value(verifier.storedKey))
  }:${base64Encode(Redacted.value(verifier.serverKey))}`

/**
 * A verifier from an already salted password.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromSaltedPassword = (
  saltedPassword: Redacted.Redacted<Uint8Array>,
  salt: Uint8Array,
  iterations: number
): ScramVerifier => ({
  _tag: "ScramVerifier",
  iterations,
  salt,
  storedKey: redact(Keys.storedKey(Keys.clientKey(saltedPassword)), "StoredKey"),
  serverKey: redact(Keys.serverKey(saltedPassword), "ServerKey")
})

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 * @category models
 */
export interface MakeOptions {
  /** Default 4096, like PostgreSQL. At least 4096: clients refuse fewer. */
  readonly iterations?: number | undefined
  /** Default 16 random bytes. Give one only to reproduce a verifier. */
  readonly salt?: Uint8Array | undefined
}

const checkMakeOptions = (
  options: MakeOptions | undefined
): Result.Result<{ readonly iterations: number; readonly salt: Uint8Array }, AuthError> => {
  const iterations = options?.iterations ?? Keys.DEFAULT_ITERATIONS
  if (!Number.isSafeInteger(iterations) || iterations < Keys.MIN_ITERATIONS || iterations > 2_147_483_647) {
    return Result.fail(
      authError("InvalidConfiguration", `verifier iterations must be an integer in [${Keys.MIN_ITERATIONS}, 2147483647]`)
    )
  }
  const salt = options?.salt ?? new Uint8Array(randomBytes(Keys.DEFAULT_SALT_LENGTH))
  if (salt.byteLength === 0) return Result.fail(authError("InvalidConfiguration", "the salt must not be empty"))
  return Result.succeed({ iterations, salt })
}

/**
 * Makes a verifier from a password (SASLprep with PostgreSQL's raw-bytes
 * fallback, random 16-byte salt, 4096 iterations by default). PBKDF2 runs
 * on the thread pool.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (password: PasswordInput, options?: MakeOptions): Effect.Effect<ScramVerifier, AuthError> =>
  Effect.flatMap(Effect.fromResult(checkMakeOptions(options)), ({ iterations, salt }) =>
    Effect.map(
      Keys.saltedPassword(scramPasswordBytes(password), salt, iterations),
      (salted) => fromSaltedPassword(salted, salt, iterations)
    ))

/**
 * {@link make} on the calling thread.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeSync = (password: PasswordInput, options?: MakeOptions): Result.Result<ScramVerifier, AuthError> =>
  Result.flatMap(checkMakeOptions(options), ({ iterations, salt }) =>
    Result.map(
      Keys.saltedPasswordSync(scramPasswordBytes(password), salt, iterations),
      (salted) => fromSaltedPassword(salted, salt, iterations)
    ))

/**
 * The mock verifier for a user without a usable SCRAM verifier. Its salt is
 * `SHA-256(username || serverSecret)` cut to 16 bytes, as PostgreSQL derives
 * it: the same user always sees the same salt (a random one would reveal
 * that the user does not exist on a second attempt), and without the secret
 * nobody can tell it from a real one. The keys are random: the exchange is
 * marked doomed and fails anyway.
 *
 * The mock salt has the length of a default salt (16 bytes), as in
 * PostgreSQL 18, so it looks like any verifier made with the defaults.
 *
 * @since 0.1.0
 * @category constructors
 */
export const mock = (username: string, serverSecret: Uint8Array, iterations: number = Keys.DEFAULT_ITERATIONS): ScramVerifier => {
  const digest = createHash("sha256").update(concatBytes(utf8Encode(username), serverSecret)).digest()
  return {
    _tag: "ScramVerifier",
    iterations,
    salt: new Uint8Array(digest.subarray(0, Keys.DEFAULT_SALT_LENGTH)),
    storedKey: redact(new Uint8Array(randomBytes(Keys.KEY_LENGTH)), "StoredKey"),
    serverKey: redact(new Uint8Array(randomBytes(Keys.KEY_LENGTH)), "ServerKey")
  }
}

/**
 * A fresh secret for {@link mock}: make one per server (or share it across a
 * cluster of servers that front the same users) and keep it for the
 * server's life, like PostgreSQL's mock authentication nonce.
 *
 * @since 0.1.0
 * @category constructors
 */
export const generateMockSecret = (): Uint8Array => new Uint8Array(randomBytes(32))
