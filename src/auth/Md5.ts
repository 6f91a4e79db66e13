/**
 * MD5 password authentication (AuthenticationMD5Password), both sides.
 *
 * PostgreSQL stores `"md5" + md5hex(password || username)` and the client
 * answers a 4-byte salt with `"md5" + md5hex(md5hex(password || username) || salt)`.
 * The stored hash is password-equivalent for this method, and the method
 * itself is deprecated by PostgreSQL: prefer SCRAM. Passwords are used as
 * their UTF-8 bytes, without SASLprep.
 *
 * I/O-free; MD5 comes from node:crypto.
 *
 * @since 0.1.0
 */
import { createHash, randomBytes } from "node:crypto"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { type AuthError, authError } from "./AuthError.ts"
import { concatBytes, constantTimeEqual, utf8Encode } from "./internal/encoding.ts"
import { type PasswordInput, passwordUtf8 } from "./Password.ts"
import type { StoredPassword } from "./StoredPassword.ts"

/**
 * Length of the salt of AuthenticationMD5Password.
 *
 * @since 0.1.0
 * @category constants
 */
export const SALT_LENGTH = 4

const md5Hex = (data: Uint8Array): string => createHash("md5").update(data).digest("hex")

/**
 * The stored form, `"md5" + md5hex(password || username)`, as PostgreSQL
 * computes it with `password_encryption = 'md5'`. A secret: keep it out of
 * logs.
 *
 * @since 0.1.0
 * @category server
 */
export const hashPassword = (password: PasswordInput, username: string): string =>
  "md5" + md5Hex(concatBytes(passwordUtf8(password), utf8Encode(username)))

// "md5" + md5hex(innerHex || salt), where innerHex is the stored hash
// without its prefix.
const saltedResponse = (innerHex: string, salt: Uint8Array): Uint8Array =>
  utf8Encode("md5" + md5Hex(concatBytes(utf8Encode(innerHex), salt)))

const checkSalt = (
  salt: Uint8Array,
  reason: "InvalidServerMessage" | "InvalidConfiguration"
): Result.Result<Uint8Array, AuthError> =>
  salt.byteLength === SALT_LENGTH
    ? Result.succeed(salt)
    : Result.fail(authError(reason, `the MD5 salt must be ${SALT_LENGTH} bytes`))

/**
 * The client's PasswordMessage content for AuthenticationMD5Password
 * (35 ASCII bytes, without the C-string terminator the codec adds).
 *
 * @since 0.1.0
 * @category client
 */
export const clientResponse = (
  password: PasswordInput,
  username: string,
  salt: Uint8Array
): Result.Result<Uint8Array, AuthError> =>
  Result.map(checkSalt(salt, "InvalidServerMessage"), (checked) => saltedResponse(hashPassword(password, username).slice(3), checked))

/**
 * A fresh random salt for AuthenticationMD5Password.
 *
 * @since 0.1.0
 * @category server
 */
export const generateSalt = (): Uint8Array => new Uint8Array(randomBytes(SALT_LENGTH))

/**
 * Checks an MD5 response against what is stored for the user: an MD5 hash
 * or a plain password. `undefined` (unknown user) fails like a wrong
 * password after the same work. A SCRAM verifier cannot answer MD5: that is
 * `MethodNotSupported` (run SCRAM for such users instead).
 *
 * @since 0.1.0
 * @category server
 */
export const verifyResponse = (
  stored: StoredPassword | undefined,
  username: string,
  salt: Uint8Array,
  response: Uint8Array
): Result.Result<void, AuthError> => {
  if (stored?._tag === "ScramVerifier") {
    return Result.fail(authError("MethodNotSupported", "MD5 authentication is not possible with a SCRAM verifier"))
  }
  return Result.flatMap(checkSalt(salt, "InvalidConfiguration"), (checked) => {
    const innerHex = stored === undefined
      ? md5Hex(new Uint8Array(randomBytes(16)))
      : stored._tag === "Md5Hash"
      ? Redacted.value(stored.hash).slice(3)
      : hashPassword(stored.password, username).slice(3)
    const matches = constantTimeEqual(saltedResponse(innerHex, checked), response)
    return matches && stored !== undefined
      ? Result.void
      : Result.fail(authError("WrongPassword", "password authentication failed"))
  })
}
