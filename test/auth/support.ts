/**
 * Small helpers shared by the auth tests: text <-> bytes and unwrapping
 * `Result`s with a readable failure.
 */
import * as Result from "effect/Result"
import { expect } from "vitest"
import type { AuthError } from "../../src/auth/index.ts"

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
export const text = (data: Uint8Array): string => new TextDecoder().decode(data)

export const ok = <A, E>(result: Result.Result<A, E>): A => {
  if (Result.isFailure(result)) throw new Error(`expected success, got ${JSON.stringify(result.failure)}`)
  return result.success
}

/** Asserts a failed Result with an AuthError of the given reason; returns the error. */
export const failsWith = <A>(result: Result.Result<A, AuthError>, reason: AuthError["reason"]): AuthError => {
  if (Result.isSuccess(result)) throw new Error(`expected failure ${reason}, got success`)
  expect(result.failure._tag).toBe("AuthError")
  expect(result.failure.reason).toBe(reason)
  return result.failure
}
