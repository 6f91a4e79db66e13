/**
 * The GSS / SSPI token seam: a scripted provider drives the exchange; the
 * driver caps round trips, never sends an empty token and reports a missing
 * provider clearly.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { authError, Gss } from "../../src/auth/index.ts"
import { bytes, text } from "./support.ts"

const request: Gss.GssRequest = { method: "GSS", host: "db.example.com", serviceName: "postgres", user: "alice" }

interface Script {
  /** The steps the context returns, in order. */
  readonly steps: ReadonlyArray<Gss.GssStep>
}

/** A provider that records what it was given and replays a script. */
const scripted = (script: Script) => {
  const seen: Array<string | undefined> = []
  const requests: Array<Gss.GssRequest> = []
  let index = 0
  const provider: Gss.GssTokenProvider = {
    initialize: (r) =>
      Effect.sync(() => {
        requests.push(r)
        return {
          step: (token) =>
            Effect.suspend(() => {
              seen.push(token === undefined ? undefined : text(token))
              const step = script.steps[index++]
              return step === undefined
                ? Effect.fail(authError("GssFailed", "script exhausted"))
                : Effect.succeed(step)
            })
        }
      })
  }
  return { provider, requests, seen }
}

const step = (token: string, complete = false): Gss.GssStep => ({ token: bytes(token), complete })

describe("GSS driver", () => {
  it.effect("runs a scripted exchange: initial token, continue tokens, no empty final token", () =>
    Effect.gen(function*() {
      const { provider, requests, seen } = scripted({ steps: [step("t1"), step("t2"), step("", true)] })
      const first = yield* Gss.start(provider, request)
      expect(requests).toEqual([request])
      expect(text(first.token!)).toBe("t1")
      const second = yield* Gss.receiveContinue(first.driver, bytes("s1"))
      expect(text(second.token!)).toBe("t2")
      const third = yield* Gss.receiveContinue(second.driver, bytes("s2"))
      // The context completed with nothing to say: nothing is sent.
      expect(third.token).toBeUndefined()
      expect(third.driver.complete).toBe(true)
      expect(third.driver.roundTrips).toBe(3)
      expect(seen).toEqual([undefined, "s1", "s2"])
    }))

  it.effect("a final non-empty token is sent", () =>
    Effect.gen(function*() {
      const { provider } = scripted({ steps: [step("only", true)] })
      const first = yield* Gss.start(provider, { ...request, method: "SSPI" })
      expect(text(first.token!)).toBe("only")
      expect(first.driver.complete).toBe(true)
      expect(first.driver.method).toBe("SSPI")
    }))

  it.effect("no provider: GssProviderMissing naming the requested method", () =>
    Effect.gen(function*() {
      for (const method of ["GSS", "SSPI", "KerberosV5"] as const) {
        const error = yield* Effect.flip(Gss.start(undefined, { ...request, method }))
        expect(error.reason).toBe("GssProviderMissing")
        expect(error.message).toContain(method)
      }
    }))

  it.effect("at most 32 server messages by default, then TooManyGssRoundTrips", () =>
    Effect.gen(function*() {
      const { provider, seen } = scripted({ steps: Array.from({ length: 40 }, (_, i) => step(`t${i}`)) })
      let output = yield* Gss.start(provider, request)
      for (let i = 1; i < 32; i++) output = yield* Gss.receiveContinue(output.driver, bytes(`s${i}`))
      expect(output.driver.roundTrips).toBe(32)
      const error = yield* Effect.flip(Gss.receiveContinue(output.driver, bytes("s32")))
      expect(error.reason).toBe("TooManyGssRoundTrips")
      // The provider was not asked for a 33rd token.
      expect(seen.length).toBe(32)
    }))

  it.effect("the cap is configurable", () =>
    Effect.gen(function*() {
      const { provider } = scripted({ steps: [step("a"), step("b"), step("c")] })
      const first = yield* Gss.start(provider, request, { maxRoundTrips: 2 })
      const second = yield* Gss.receiveContinue(first.driver, bytes("x"))
      const error = yield* Effect.flip(Gss.receiveContinue(second.driver, bytes("y")))
      expect(error.reason).toBe("TooManyGssRoundTrips")
      const bad = yield* Effect.flip(Gss.start(provider, request, { maxRoundTrips: 0 }))
      expect(bad.reason).toBe("InvalidConfiguration")
    }))

  it.effect("a continue after the context completed is a server error", () =>
    Effect.gen(function*() {
      const { provider } = scripted({ steps: [step("t", true)] })
      const first = yield* Gss.start(provider, request)
      const error = yield* Effect.flip(Gss.receiveContinue(first.driver, bytes("more")))
      expect(error.reason).toBe("InvalidServerMessage")
    }))

  it.effect("provider failures pass through", () =>
    Effect.gen(function*() {
      const { provider } = scripted({ steps: [step("t")] })
      const first = yield* Gss.start(provider, request)
      const error = yield* Effect.flip(Gss.receiveContinue(first.driver, bytes("s")))
      expect(error.reason).toBe("GssFailed")
    }))
})
