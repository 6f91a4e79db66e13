/**
 * SCRAM-SHA-256 key derivation (RFC 5802 section 3, RFC 7677): `Hi()`
 * (PBKDF2-HMAC-SHA-256), ClientKey, StoredKey, ServerKey, signatures and
 * nonces, plus the mechanism's constants.
 *
 * `Hi()` is the one expensive step. {@link saltedPassword} runs it with
 * node:crypto's asynchronous `pbkdf2`, on libuv's thread pool, so a
 * 100,000-iteration exchange does not stall the event loop;
 * {@link saltedPasswordSync} is the same computation for tests and tools.
 * Everything else is a few HMACs and runs synchronously.
 *
 * No message parsing here (see `ScramMessages.ts`), no I/O.
 *
 * @since 0.1.0
 */
import { createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes } from "node:crypto"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { type AuthError, authError } from "./AuthError.ts"
import { base64Encode, utf8Encode } from "./internal/encoding.ts"

/**
 * Output length of SHA-256, so of every SCRAM key, proof and signature.
 *
 * @since 0.1.0
 * @category constants
 */
export const KEY_LENGTH = 32

/**
 * RFC 7677: the iteration count SHOULD be at least 4096; clients refuse less.
 *
 * @since 0.1.0
 * @category constants
 */
export const MIN_ITERATIONS = 4096

/**
 * Iterations of a new verifier, PostgreSQL's default (`scram_iterations`).
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_ITERATIONS = 4096

/**
 * The most iterations a client computes unless configured otherwise, so that
 * an untrusted server cannot make it burn CPU.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_MAX_ITERATIONS = 100_000

/**
 * Salt length of new verifiers, as PostgreSQL (`SCRAM_DEFAULT_SALT_LEN`).
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_SALT_LENGTH = 16

// Largest count node:crypto's pbkdf2 accepts (a signed 32-bit int).
const PBKDF2_MAX_ITERATIONS = 2_147_483_647

const checkIterations = (iterations: number): Result.Result<number, AuthError> =>
  Number.isSafeInteger(iterations) && iterations >= 1 && iterations <= PBKDF2_MAX_ITERATIONS
    ? Result.succeed(iterations)
    : Result.fail(authError("InvalidConfiguration", `iteration count must be an integer in [1, ${PBKDF2_MAX_ITERATIONS}]`))

/**
 * `Hi(password, salt, i)` computed synchronously. `password` is the byte
 * form from `Password.scramPasswordBytes`.
 *
 * @since 0.1.0
 * @category key derivation
 */
export const saltedPasswordSync = (
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number
): Result.Result<Redacted.Redacted<Uint8Array>, AuthError> =>
  Result.flatMap(checkIterations(iterations), (count) => {
    try {
      const key = pbkdf2Sync(password, salt, count, KEY_LENGTH, "sha256")
      return Result.succeed(Redacted.make(new Uint8Array(key), { label: "SaltedPassword" }))
    } catch {
      return Result.fail(authError("CryptoFailure", "PBKDF2 failed"))
    }
  })

/**
 * `Hi(password, salt, i)` on the thread pool. Interrupting the fiber does not
 * stop the computation already queued (node:crypto cannot cancel it), it only
 * drops the result.
 *
 * @since 0.1.0
 * @category key derivation
 */
export const saltedPassword = (
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number
): Effect.Effect<Redacted.Redacted<Uint8Array>, AuthError> =>
  Effect.flatMap(Effect.fromResult(checkIterations(iterations)), (count) =>
    Effect.callback<Redacted.Redacted<Uint8Array>, AuthError>((resume) => {
      try {
        pbkdf2(password, salt, count, KEY_LENGTH, "sha256", (error, key) => {
          resume(
            error === null
              ? Effect.succeed(Redacted.make(new Uint8Array(key), { label: "SaltedPassword" }))
              : Effect.fail(authError("CryptoFailure", "PBKDF2 failed"))
          )
        })
      } catch {
        resume(Effect.fail(authError("CryptoFailure", "PBKDF2 failed")))
      }
    }))

/**
 * `H(data)`: SHA-256.
 *
 * @since 0.1.0
 * @category primitives
 */
export const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(data).digest())

/**
 * `HMAC(key, data)` with SHA-256.
 *
 * @since 0.1.0
 * @category primitives
 */
export const hmac = (key: Uint8Array, data: Uint8Array): Uint8Array =>
  new Uint8Array(createHmac("sha256", key).update(data).digest())

const CLIENT_KEY = utf8Encode("Client Key")
const SERVER_KEY = utf8Encode("Server Key")

/**
 * `ClientKey = HMAC(SaltedPassword, "Client Key")`.
 *
 * @since 0.1.0
 * @category key derivation
 */
export const clientKey = (salted: Redacted.Redacted<Uint8Array>): Uint8Array => hmac(Redacted.value(salted), CLIENT_KEY)

/**
 * `ServerKey = HMAC(SaltedPassword, "Server Key")`.
 *
 * @since 0.1.0
 * @category key derivation
 */
export const serverKey = (salted: Redacted.Redacted<Uint8Array>): Uint8Array => hmac(Redacted.value(salted), SERVER_KEY)

/**
 * `StoredKey = H(ClientKey)`.
 *
 * @since 0.1.0
 * @category key derivation
 */
export const storedKey = (key: Uint8Array): Uint8Array => sha256(key)

// 18 random bytes give a 24-character base64 nonce, the size libpq and the
// PostgreSQL server use (SCRAM_RAW_NONCE_LEN).
const NONCE_BYTES = 18

/**
 * A fresh random nonce: 18 random bytes, base64 (printable, no comma). The
 * SCRAM steps take the nonce as an argument; this is what callers pass
 * outside of tests.
 *
 * @since 0.1.0
 * @category nonce
 */
export const generateNonce = (): string => base64Encode(new Uint8Array(randomBytes(NONCE_BYTES)))

/**
 * Whether `nonce` is a valid SCRAM nonce: non-empty printable ASCII without a
 * comma (RFC 5802 `printable`).
 *
 * @since 0.1.0
 * @category nonce
 */
export const isValidNonce = (nonce: string): boolean => {
  if (nonce.length === 0) return false
  for (let i = 0; i < nonce.length; i++) {
    const code = nonce.charCodeAt(i)
    if (code < 0x21 || code > 0x7e || code === 0x2c) return false
  }
  return true
}
