/**
 * Passwords: how they are accepted (`string` or `Redacted<string>`, held as
 * `Redacted`) and which bytes SCRAM hashes for them.
 *
 * SCRAM hashes the SASLprep form of the password, computed the way
 * PostgreSQL computes it (`SaslPrep.saslprepPostgres`). Like PostgreSQL, a
 * password that SASLprep rejects (prohibited or unassigned characters, bidi
 * errors, empty after mapping, not valid UTF-8) is hashed as its raw UTF-8
 * bytes instead. Client, server and verifier creation all call
 * {@link scramPasswordBytes}, so the three always agree with each other and
 * with PostgreSQL (checked against PostgreSQL 18's own verifiers).
 *
 * MD5 and cleartext do not use SASLprep: they use the UTF-8 bytes as typed.
 *
 * @since 0.1.0
 */
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { utf8Decode, utf8Encode } from "./internal/encoding.ts"
import { saslprepPostgres } from "./SaslPrep.ts"

/**
 * A password as a user supplies it. Plain strings are wrapped in `Redacted`
 * on entry so that a logged state or error can never show them.
 *
 * @since 0.1.0
 * @category models
 */
export type PasswordInput = string | Redacted.Redacted<string>

/**
 * @since 0.1.0
 * @category constructors
 */
export const toRedacted = (password: PasswordInput): Redacted.Redacted<string> =>
  Redacted.isRedacted(password) ? password : Redacted.make(password, { label: "password" })

const isAscii = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false
  return true
}

/**
 * The bytes SCRAM feeds to PBKDF2 for `password`: its SASLprep form as UTF-8,
 * or the raw UTF-8 bytes when SASLprep rejects it (or it is empty after
 * mapping), both as PostgreSQL does. A `Uint8Array` input is a password received as
 * bytes (a server reading a cleartext PasswordMessage): invalid UTF-8 is used
 * as-is.
 *
 * Pure ASCII skips SASLprep like PostgreSQL's fast path: no ASCII character
 * is mapped, and a rejected one would fall back to the same bytes.
 *
 * @since 0.1.0
 * @category SCRAM
 */
export const scramPasswordBytes = (password: PasswordInput | Uint8Array): Uint8Array => {
  if (password instanceof Uint8Array) {
    const text = utf8Decode(password)
    return text === undefined ? password.slice() : scramPasswordBytes(text)
  }
  const text = Redacted.isRedacted(password) ? Redacted.value(password) : password
  if (isAscii(text)) return utf8Encode(text)
  const prepared = saslprepPostgres(text)
  return utf8Encode(Result.isFailure(prepared) ? text : prepared.success)
}

/**
 * The raw UTF-8 bytes of a password (MD5 and cleartext).
 *
 * @since 0.1.0
 * @category utils
 */
export const passwordUtf8 = (password: PasswordInput): Uint8Array =>
  utf8Encode(Redacted.isRedacted(password) ? Redacted.value(password) : password)
