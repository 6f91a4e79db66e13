/**
 * SASLprep (RFC 4013): the stringprep profile SCRAM applies to passwords.
 *
 * Steps, in RFC order: map (C.1.2 non-ASCII spaces to U+0020, B.1 to
 * nothing), normalize with NFKC, reject prohibited output (C.1.2, C.2.1,
 * C.2.2, C.3 to C.9) and unassigned code points (A.1), then check the
 * bidirectional rules (RFC 3454 section 6 with D.1 / D.2).
 *
 * Two variants. {@link saslprep} follows RFC 4013 to the letter.
 * {@link saslprepPostgres} reproduces PostgreSQL's `pg_saslprep` (libpq and
 * the server both use it): it checks prohibited, unassigned and bidi on the
 * mapped code points *before* NFKC, rejects an input that maps to nothing,
 * and returns the normalized string. The two differ only for rare inputs
 * whose table membership changes under NFKC (e.g. U+0340, U+FB1D), verified
 * against PostgreSQL 18 by the recorded fixture; SCRAM must use the
 * PostgreSQL variant or such passwords would not match PostgreSQL's
 * verifiers.
 *
 * This module is the pure string algorithm. It does not decide what a
 * failure means for a password: PostgreSQL then hashes the raw UTF-8 bytes
 * instead, which `Password.ts` implements on top of this.
 *
 * NFKC uses the platform's Unicode tables (newer than 3.2). Every code point
 * that changed meaning after 3.2 is unassigned in 3.2 and so is rejected by
 * A.1 anyway; PostgreSQL also normalizes with its own, current tables.
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import * as Tables from "./SaslPrepTables.ts"

/**
 * Why a string failed SASLprep. Deliberately without the offending code
 * point or its position: the input is usually a password. `Empty` only comes
 * from {@link saslprepPostgres}.
 *
 * @since 0.1.0
 * @category models
 */
export interface SaslPrepFailure {
  readonly _tag: "SaslPrepFailure"
  readonly reason: "Prohibited" | "Unassigned" | "Bidi" | "Empty"
}

/**
 * Whether `codePoint` lies in a flat `[start, end, ...]` range table
 * (binary search over the range pairs).
 *
 * @since 0.1.0
 * @category utils
 */
export const inTable = (table: ReadonlyArray<number>, codePoint: number): boolean => {
  let low = 0
  let high = (table.length >> 1) - 1
  while (low <= high) {
    const mid = (low + high) >> 1
    if (codePoint < table[mid * 2]!) high = mid - 1
    else if (codePoint > table[mid * 2 + 1]!) low = mid + 1
    else return true
  }
  return false
}

const fail = (reason: SaslPrepFailure["reason"]): Result.Result<never, SaslPrepFailure> =>
  Result.fail({ _tag: "SaslPrepFailure", reason })

// Step 1, map. C.1.2 is checked before B.1 like PostgreSQL: U+200B is in
// both tables in RFC 3454, and agreeing with PostgreSQL is what matters.
const map = (input: string): string => {
  let mapped = ""
  for (const char of input) {
    const codePoint = char.codePointAt(0)!
    if (codePoint >= 0x80 && inTable(Tables.nonAsciiSpace, codePoint)) mapped += " "
    else if (codePoint >= 0x80 && inTable(Tables.mappedToNothing, codePoint)) continue
    else mapped += char
  }
  return mapped
}

// Steps 3 and 4, prohibit and bidi, over the code points of `text`.
const check = (text: string): SaslPrepFailure["reason"] | undefined => {
  let hasRandAL = false
  let hasL = false
  let first = -1
  let last = -1
  for (const char of text) {
    const codePoint = char.codePointAt(0)!
    if (inTable(Tables.prohibited, codePoint)) return "Prohibited"
    if (inTable(Tables.unassigned, codePoint)) return "Unassigned"
    const isRandAL = inTable(Tables.randALCat, codePoint)
    if (isRandAL) hasRandAL = true
    else if (inTable(Tables.lCat, codePoint)) hasL = true
    if (first === -1) first = isRandAL ? 1 : 0
    last = isRandAL ? 1 : 0
  }
  // RFC 3454 section 6: a string with any RandALCat character contains no
  // LCat character and starts and ends with a RandALCat character.
  if (hasRandAL && (hasL || first !== 1 || last !== 1)) return "Bidi"
  return undefined
}

/**
 * Applies SASLprep to `input` exactly as RFC 4013 says (as a "stored
 * string": unassigned code points are prohibited): map, NFKC, then check the
 * normalized output. Lone surrogates in the JavaScript string count as C.5
 * (surrogate codes) and are prohibited. An input that maps to nothing
 * succeeds with `""`.
 *
 * @since 0.1.0
 * @category SASLprep
 */
export const saslprep = (input: string): Result.Result<string, SaslPrepFailure> => {
  const normalized = map(input).normalize("NFKC")
  const failure = check(normalized)
  return failure === undefined ? Result.succeed(normalized) : fail(failure)
}

/**
 * SASLprep as PostgreSQL's `pg_saslprep` computes it: map, fail with `Empty`
 * if nothing is left, check prohibited / unassigned / bidi on the mapped
 * (not yet normalized) code points, then return the NFKC form. This is the
 * variant SCRAM password hashing uses (`Password.scramPasswordBytes`).
 *
 * @since 0.1.0
 * @category SASLprep
 */
export const saslprepPostgres = (input: string): Result.Result<string, SaslPrepFailure> => {
  const mapped = map(input)
  if (mapped.length === 0) return fail("Empty")
  const failure = check(mapped)
  return failure === undefined ? Result.succeed(mapped.normalize("NFKC")) : fail(failure)
}
