/**
 * The client side of SCRAM-SHA-256 and SCRAM-SHA-256-PLUS as step functions.
 *
 * The exchange, with the PostgreSQL messages that carry each step:
 *
 * 1. AuthenticationSASL lists mechanisms -> {@link start} picks one and
 *    returns the client-first-message (SASLInitialResponse data).
 * 2. AuthenticationSASLContinue carries server-first -> {@link respond}
 *    checks it, derives the keys (PBKDF2 off the event loop) and returns the
 *    client-final-message (SASLResponse data).
 * 3. AuthenticationSASLFinal carries server-final -> {@link receiveServerFinal}
 *    verifies the server signature in constant time.
 *
 * The nonce is an argument (use `ScramKeys.generateNonce()`), so a recorded
 * exchange replays byte for byte. States are immutable values; secrets in
 * them are `Redacted`. Steps return `Result`, except the one that runs
 * PBKDF2, which returns an `Effect` (and has a `...Sync` twin).
 *
 * Not here: message framing, the order of backend messages (an
 * AuthenticationOk before SASLFinal is the client state machine's error),
 * and the server side (`ScramServer.ts`).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { type AuthError, authError } from "./AuthError.ts"
import type { ChannelBindingMode } from "./ChannelBinding.ts"
import {
  concatBytes,
  constantTimeEqual,
  sanitizeForMessage,
  utf8Decode,
  utf8Encode,
  xorBytes
} from "./internal/encoding.ts"
import { type PasswordInput, scramPasswordBytes, toRedacted } from "./Password.ts"
import * as Keys from "./ScramKeys.ts"
import * as Messages from "./ScramMessages.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface ScramClientOptions {
  readonly password: PasswordInput
  /** The client nonce: printable ASCII without comma. */
  readonly nonce: string
  /**
   * The SCRAM username. PostgreSQL ignores it (the startup message names the
   * user) and libpq sends an empty one, which is the default.
   */
  readonly username?: string | undefined
  /** Default `"prefer"`. */
  readonly channelBinding?: ChannelBindingMode | undefined
  /**
   * `tls-server-end-point` data of the certificate the server presented
   * (`ChannelBinding.tlsServerEndPoint`); absent when the connection is not
   * TLS or the certificate allows no binding.
   */
  readonly channelBindingData?: Uint8Array | undefined
  /** Refuse servers asking for more PBKDF2 iterations. Default 100,000. */
  readonly maxIterations?: number | undefined
}

/**
 * The chosen mechanism and GS2 flag.
 *
 * @since 0.1.0
 * @category models
 */
export interface MechanismChoice {
  readonly mechanism: Messages.Mechanism
  readonly gs2: Messages.Gs2Header
}

/**
 * Picks the mechanism among those the server offered (libpq's rules):
 * SCRAM-SHA-256-PLUS when the server offers it, binding is not disabled and
 * the client has binding data; otherwise SCRAM-SHA-256 with the `y` flag if
 * the client could have bound, `n` if not. `require` fails unless PLUS is
 * chosen. Unknown mechanisms (e.g. OAUTHBEARER) are ignored.
 *
 * @since 0.1.0
 * @category steps
 */
export const selectMechanism = (
  offered: ReadonlyArray<string>,
  mode: ChannelBindingMode,
  channelBindingData: Uint8Array | undefined
): Result.Result<MechanismChoice, AuthError> => {
  const canBind = mode !== "disable" && channelBindingData !== undefined
  if (canBind && offered.includes(Messages.SCRAM_SHA_256_PLUS)) {
    return Result.succeed({
      mechanism: Messages.SCRAM_SHA_256_PLUS,
      gs2: { _tag: "p", cbName: Messages.TLS_SERVER_END_POINT }
    })
  }
  if (mode === "require") {
    return Result.fail(
      authError(
        "ChannelBindingRequired",
        channelBindingData === undefined
          ? "channel binding is required, but the connection offers no channel-binding data (not TLS?)"
          : "channel binding is required, but the server did not offer SCRAM-SHA-256-PLUS"
      )
    )
  }
  if (offered.includes(Messages.SCRAM_SHA_256)) {
    return Result.succeed({ mechanism: Messages.SCRAM_SHA_256, gs2: canBind ? { _tag: "y" } : { _tag: "n" } })
  }
  const names = offered.map((name) => sanitizeForMessage(name, 32)).join(", ")
  return Result.fail(authError("MethodNotSupported", `no supported SASL mechanism offered by the server (${names})`))
}

/**
 * After {@link start}: waiting for server-first.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientFirstSent {
  readonly _tag: "ClientFirstSent"
  readonly mechanism: Messages.Mechanism
  readonly password: Redacted.Redacted<string>
  readonly nonce: string
  readonly clientFirstBare: string
  /** GS2 header followed by the binding data: what `c=` carries. */
  readonly channelBindingInput: Uint8Array
  readonly maxIterations: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ClientFirst {
  /** Mechanism name for SASLInitialResponse. */
  readonly mechanism: Messages.Mechanism
  /** client-first-message, the SASLInitialResponse data. */
  readonly message: Uint8Array
  readonly state: ClientFirstSent
}

/**
 * Step 1: choose a mechanism and build the client-first-message.
 *
 * @since 0.1.0
 * @category steps
 */
export const start = (
  offered: ReadonlyArray<string>,
  options: ScramClientOptions
): Result.Result<ClientFirst, AuthError> => {
  const maxIterations = options.maxIterations ?? Keys.DEFAULT_MAX_ITERATIONS
  if (!Number.isSafeInteger(maxIterations) || maxIterations < Keys.MIN_ITERATIONS) {
    return Result.fail(authError("InvalidConfiguration", `maxIterations must be an integer >= ${Keys.MIN_ITERATIONS}`))
  }
  if (!Keys.isValidNonce(options.nonce)) {
    return Result.fail(authError("InvalidConfiguration", "the SCRAM nonce must be printable ASCII without ','"))
  }
  return Result.map(
    selectMechanism(offered, options.channelBinding ?? "prefer", options.channelBindingData),
    ({ gs2, mechanism }) => {
      const first = Messages.formatClientFirst(gs2, options.username ?? "", options.nonce)
      const bindingData = gs2._tag === "p" ? options.channelBindingData! : new Uint8Array(0)
      return {
        mechanism,
        message: utf8Encode(first.message),
        state: {
          _tag: "ClientFirstSent",
          mechanism,
          password: toRedacted(options.password),
          nonce: options.nonce,
          clientFirstBare: first.bare,
          channelBindingInput: concatBytes(utf8Encode(first.gs2Header), bindingData),
          maxIterations
        }
      }
    }
  )
}

/**
 * server-first checked: what PBKDF2 needs, and the AuthMessage.
 *
 * @since 0.1.0
 * @category models
 */
export interface ServerFirstReceived {
  readonly _tag: "ServerFirstReceived"
  readonly password: Redacted.Redacted<string>
  readonly salt: Uint8Array
  readonly iterations: number
  readonly clientFinalWithoutProof: string
  readonly authMessage: Uint8Array
}

/**
 * Step 2a: parse and check server-first. Fails with `NonceMismatch` unless
 * the server nonce strictly extends ours, `IterationCountTooLow` below 4096,
 * `IterationCountTooHigh` above `maxIterations`, `InvalidServerMessage` for
 * anything malformed.
 *
 * @since 0.1.0
 * @category steps
 */
export const receiveServerFirst = (
  state: ClientFirstSent,
  message: Uint8Array
): Result.Result<ServerFirstReceived, AuthError> => {
  const text = utf8Decode(message)
  if (text === undefined) return Result.fail(authError("InvalidServerMessage", "server-first-message is not UTF-8"))
  return Result.flatMap(Messages.parseServerFirst(text), (serverFirst) => {
    // The server must add its own part: an echo of our nonce alone would let
    // a replayed exchange through.
    if (serverFirst.nonce.length <= state.nonce.length || !serverFirst.nonce.startsWith(state.nonce)) {
      return Result.fail(authError("NonceMismatch", "the server nonce does not extend the client nonce"))
    }
    if (serverFirst.iterations < Keys.MIN_ITERATIONS) {
      return Result.fail(
        authError("IterationCountTooLow", `the server asked for ${serverFirst.iterations} iterations, fewer than ${Keys.MIN_ITERATIONS}`)
      )
    }
    if (serverFirst.iterations > state.maxIterations) {
      return Result.fail(
        authError(
          "IterationCountTooHigh",
          `the server asked for ${
            Number.isFinite(serverFirst.iterations) ? serverFirst.iterations : "over 10^15"
          } iterations, more than the configured maximum of ${state.maxIterations}`
        )
      )
    }
    const withoutProof = Messages.formatClientFinalWithoutProof(state.channelBindingInput, serverFirst.nonce)
    return Result.succeed({
      _tag: "ServerFirstReceived",
      password: state.password,
      salt: serverFirst.salt,
      iterations: serverFirst.iterations,
      clientFinalWithoutProof: withoutProof,
      authMessage: utf8Encode(`${state.clientFirstBare},${text},${withoutProof}`)
    })
  })
}

/**
 * After the client-final-message: waiting for server-final.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientFinalSent {
  readonly _tag: "ClientFinalSent"
  readonly expectedServerSignature: Redacted.Redacted<Uint8Array>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ClientFinal {
  /** client-final-message, the SASLResponse data. */
  readonly message: Uint8Array
  readonly state: ClientFinalSent
}

/**
 * Step 2b: from the salted password, compute the proof and the expected
 * server signature.
 *
 * @since 0.1.0
 * @category steps
 */
export const finish = (state: ServerFirstReceived, saltedPassword: Redacted.Redacted<Uint8Array>): ClientFinal => {
  const clientKey = Keys.clientKey(saltedPassword)
  const clientSignature = Keys.hmac(Keys.storedKey(clientKey), state.authMessage)
  const proof = xorBytes(clientKey, clientSignature)
  const serverSignature = Keys.hmac(Keys.serverKey(saltedPassword), state.authMessage)
  clientKey.fill(0)
  return {
    message: utf8Encode(Messages.formatClientFinal(state.clientFinalWithoutProof, proof)),
    state: {
      _tag: "ClientFinalSent",
      expectedServerSignature: Redacted.make(serverSignature, { label: "ServerSignature" })
    }
  }
}

/**
 * Step 2 in one call: {@link receiveServerFirst}, PBKDF2 on the thread pool,
 * {@link finish}.
 *
 * @since 0.1.0
 * @category steps
 */
export const respond = (state: ClientFirstSent, message: Uint8Array): Effect.Effect<ClientFinal, AuthError> =>
  Effect.flatMap(Effect.fromResult(receiveServerFirst(state, message)), (received) =>
    Effect.map(
      Keys.saltedPassword(scramPasswordBytes(received.password), received.salt, received.iterations),
      (salted) => finish(received, salted)
    ))

/**
 * {@link respond} with PBKDF2 on the calling thread (tests, tools).
 *
 * @since 0.1.0
 * @category steps
 */
export const respondSync = (state: ClientFirstSent, message: Uint8Array): Result.Result<ClientFinal, AuthError> =>
  Result.flatMap(receiveServerFirst(state, message), (received) =>
    Result.map(
      Keys.saltedPasswordSync(scramPasswordBytes(received.password), received.salt, received.iterations),
      (salted) => finish(received, salted)
    ))

// RFC 5802 server-error-value -> the reason a user can act on. A Map, not an
// object literal: the key comes from the server ("constructor" must miss).
const serverErrorReasons: ReadonlyMap<string, AuthError["reason"]> = new Map([
  ["invalid-proof", "WrongPassword"],
  ["channel-bindings-dont-match", "ChannelBindingMismatch"],
  ["server-does-support-channel-binding", "DowngradeDetected"],
  ["channel-binding-not-supported", "ChannelBindingUnsupported"],
  ["unsupported-channel-binding-type", "ChannelBindingUnsupported"]
])

/**
 * Step 3: check server-final. `v=` must equal the signature we computed
 * (constant time), else `ServerSignatureMismatch`; an `e=` error becomes the
 * matching reason (`invalid-proof` -> `WrongPassword`, ...), or `ServerError`.
 *
 * @since 0.1.0
 * @category steps
 */
export const receiveServerFinal = (state: ClientFinalSent, message: Uint8Array): Result.Result<void, AuthError> => {
  const text = utf8Decode(message)
  if (text === undefined) return Result.fail(authError("InvalidServerMessage", "server-final-message is not UTF-8"))
  return Result.flatMap(Messages.parseServerFinal(text), (serverFinal) => {
    if (serverFinal._tag === "Error") {
      const reason = serverErrorReasons.get(serverFinal.error) ?? "ServerError"
      return Result.fail(authError(reason, `SCRAM server error: ${sanitizeForMessage(serverFinal.error)}`))
    }
    return constantTimeEqual(serverFinal.signature, Redacted.value(state.expectedServerSignature))
      ? Result.void
      : Result.fail(authError("ServerSignatureMismatch", "the server signature is wrong: the server does not know the password's verifier"))
  })
}
