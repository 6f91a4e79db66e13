/**
 * What a server stores for a user, classified the way PostgreSQL's
 * `get_password_type` does for `pg_authid.rolpassword`: a SCRAM-SHA-256
 * verifier, an MD5 hash (`md5` + 32 lowercase hex digits), or a plain
 * password.
 *
 * One difference: text that starts like a SCRAM verifier but does not parse
 * is an `InvalidVerifier` error here, where PostgreSQL would silently treat
 * it as a plain password.
 *
 * Which method to run for which stored form is the server's choice (as in
 * PostgreSQL, an `md5` rule should run SCRAM for a user with a SCRAM
 * verifier, since an MD5 response cannot be checked against it).
 *
 * @since 0.1.0
 */
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import type { AuthError } from "./AuthError.ts"
import { type PasswordInput, toRedacted } from "./Password.ts"
import * as Verifier from "./ScramVerifier.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface PlainPassword {
  readonly _tag: "PlainPassword"
  readonly password: Redacted.Redacted<string>
}

/**
 * `md5` followed by 32 lowercase hex digits of `md5(password || username)`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Md5Hash {
  readonly _tag: "Md5Hash"
  readonly hash: Redacted.Redacted<string>
}

/**
 * @since 0.1.0
 * @category models
 */
export type StoredPassword = PlainPassword | Md5Hash | Verifier.ScramVerifier

/**
 * @since 0.1.0
 * @category constructors
 */
export const plain = (password: PasswordInput): PlainPassword => ({
  _tag: "PlainPassword",
  password: toRedacted(password)
})

const MD5_HASH = /^md5[0-9a-f]{32}$/

/**
 * Whether `text` has the shape of a stored MD5 hash.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isMd5Hash = (text: string): boolean => MD5_HASH.test(text)

/**
 * Classifies and parses a stored password text (e.g. copied from
 * `pg_authid.rolpassword`).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (text: PasswordInput): Result.Result<StoredPassword, AuthError> => {
  const value = Redacted.isRedacted(text) ? Redacted.value(text) : text
  if (value.startsWith(Verifier.PREFIX)) return Verifier.parse(value)
  if (isMd5Hash(value)) return Result.succeed({ _tag: "Md5Hash", hash: Redacted.make(value, { label: "md5" }) })
  return Result.succeed(plain(value))
}
