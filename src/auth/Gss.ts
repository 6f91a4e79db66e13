/**
 * The GSSAPI / SSPI / Kerberos V5 seam: the interface a token provider
 * implements, and a small driver the client's startup loop calls for
 * AuthenticationGSS, AuthenticationSSPI, AuthenticationKerberosV5 and each
 * AuthenticationGSSContinue.
 *
 * There is no Kerberos here. A provider wraps whatever the application uses
 * (a native binding, a sidecar, a test script); the driver only enforces the
 * protocol's rules around it:
 *
 * - no provider configured -> `GssProviderMissing`, with a message that says
 *   what the server asked for;
 * - at most 32 server messages per exchange (configurable), then
 *   `TooManyGssRoundTrips`, so a hostile server cannot loop forever;
 * - an empty output token is never sent (when the context completes with
 *   nothing to say, the client just waits for AuthenticationOk), as libpq.
 *
 * Not here: GSS encryption (GSSENCRequest), which is a transport concern.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { type AuthError, authError } from "./AuthError.ts"

/**
 * Which request started the exchange.
 *
 * @since 0.1.0
 * @category models
 */
export type GssMethod = "GSS" | "SSPI" | "KerberosV5"

/**
 * What a provider needs to start a security context, as libpq builds it:
 * the target is `serviceName@host` (`krbsrvname`, default `postgres`).
 *
 * @since 0.1.0
 * @category models
 */
export interface GssRequest {
  readonly method: GssMethod
  readonly host: string
  readonly serviceName: string
  readonly user: string
}

/**
 * One step of a security context: the token to send (possibly empty) and
 * whether the context is established.
 *
 * @since 0.1.0
 * @category models
 */
export interface GssStep {
  readonly token: Uint8Array
  readonly complete: boolean
}

/**
 * A security context in progress. `step(undefined)` produces the initial
 * token; later calls get the server's token from AuthenticationGSSContinue.
 *
 * @since 0.1.0
 * @category models
 */
export interface GssContext {
  readonly step: (serverToken: Uint8Array | undefined) => Effect.Effect<GssStep, AuthError>
}

/**
 * What the application plugs in. Failures should use the `GssFailed` reason.
 *
 * @since 0.1.0
 * @category models
 */
export interface GssTokenProvider {
  readonly initialize: (request: GssRequest) => Effect.Effect<GssContext, AuthError>
}

/**
 * Default cap on server messages in one GSS exchange.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_MAX_ROUND_TRIPS = 32

/**
 * The driver's state between server messages.
 *
 * @since 0.1.0
 * @category models
 */
export interface GssDriver {
  readonly _tag: "GssDriver"
  readonly context: GssContext
  readonly method: GssMethod
  /** Server messages handled so far (the initial request counts). */
  readonly roundTrips: number
  readonly maxRoundTrips: number
  readonly complete: boolean
}

/**
 * The result of a driver step: a token to send in a GSSResponse, or
 * `undefined` to send nothing and wait for the server.
 *
 * @since 0.1.0
 * @category models
 */
export interface GssOutput {
  readonly token: Uint8Array | undefined
  readonly driver: GssDriver
}

const output = (driver: GssDriver, step: GssStep): GssOutput => ({
  token: step.token.byteLength === 0 ? undefined : step.token,
  driver: { ...driver, complete: step.complete }
})

/**
 * Handles AuthenticationGSS / AuthenticationSSPI / AuthenticationKerberosV5:
 * starts a context with the provider and produces the first token.
 *
 * @since 0.1.0
 * @category driver
 */
export const start = (
  provider: GssTokenProvider | undefined,
  request: GssRequest,
  options?: { readonly maxRoundTrips?: number | undefined }
): Effect.Effect<GssOutput, AuthError> => {
  if (provider === undefined) {
    return Effect.fail(
      authError(
        "GssProviderMissing",
        `the server requested ${request.method} authentication, but no GSS token provider is configured`
      )
    )
  }
  const maxRoundTrips = options?.maxRoundTrips ?? DEFAULT_MAX_ROUND_TRIPS
  if (!Number.isSafeInteger(maxRoundTrips) || maxRoundTrips < 1) {
    return Effect.fail(authError("InvalidConfiguration", "maxRoundTrips must be a positive integer"))
  }
  return Effect.flatMap(provider.initialize(request), (context) =>
    Effect.map(
      context.step(undefined),
      (step) =>
        output({ _tag: "GssDriver", context, method: request.method, roundTrips: 1, maxRoundTrips, complete: false }, step)
    ))
}

/**
 * Handles AuthenticationGSSContinue: feeds the server's token to the
 * context. Fails with `TooManyGssRoundTrips` past the cap and with
 * `InvalidServerMessage` when the context was already complete.
 *
 * @since 0.1.0
 * @category driver
 */
export const receiveContinue = (driver: GssDriver, serverToken: Uint8Array): Effect.Effect<GssOutput, AuthError> => {
  if (driver.roundTrips >= driver.maxRoundTrips) {
    return Effect.fail(
      authError("TooManyGssRoundTrips", `the server sent more than ${driver.maxRoundTrips} GSS messages`)
    )
  }
  if (driver.complete) {
    return Effect.fail(
      authError("InvalidServerMessage", "the server sent AuthenticationGSSContinue after the GSS context was complete")
    )
  }
  const next: GssDriver = { ...driver, roundTrips: driver.roundTrips + 1 }
  return Effect.map(next.context.step(serverToken), (step) => output(next, step))
}
