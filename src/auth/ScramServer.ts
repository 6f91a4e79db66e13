/**
 * The server side of SCRAM-SHA-256 and SCRAM-SHA-256-PLUS as step
 * functions, checked against a stored verifier (`ScramVerifier.ts`).
 *
 * The exchange, with the PostgreSQL messages that carry each step:
 *
 * 1. The server sends AuthenticationSASL with {@link mechanisms}.
 * 2. SASLInitialResponse (mechanism + client-first) -> {@link receiveClientFirst}
 *    returns server-first (AuthenticationSASLContinue data).
 * 3. SASLResponse (client-final) -> {@link receiveClientFinal} verifies the
 *    proof in constant time and returns server-final (AuthenticationSASLFinal
 *    data), after which the server sends AuthenticationOk.
 *
 * No PBKDF2 runs here: the verifier already holds StoredKey and ServerKey.
 *
 * A user without a verifier (unknown, or with only an MD5 hash) goes
 * through a mock exchange with a deterministic fake salt and fails at the
 * proof with the same `WrongPassword` error as a wrong password, after the
 * same work, so clients cannot enumerate users (PostgreSQL does the same).
 *
 * Channel binding: PLUS is offered only when the caller passes the
 * `tls-server-end-point` data of its certificate. A client that answers `y`
 * although PLUS was offered is refused (`DowngradeDetected`).
 *
 * Not here: the ErrorResponse a failure turns into (see `AuthError.sqlState`),
 * message framing, verifier lookup. Each exchange's state is a value owned by
 * its session; nothing is shared between sessions.
 *
 * @since 0.1.0
 */
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { type AuthError, authError } from "./AuthError.ts"
import { concatBytes, constantTimeEqual, utf8Decode, utf8Encode, xorBytes } from "./internal/encoding.ts"
import * as Keys from "./ScramKeys.ts"
import * as Messages from "./ScramMessages.ts"
import * as Verifier from "./ScramVerifier.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface ScramServerOptions {
  /** The user named in the startup message; used for the mock salt. */
  readonly username: string
  /** The user's verifier; `undefined` runs the mock exchange (always fails). */
  readonly verifier: Verifier.ScramVerifier | undefined
  /** The server's mock secret (`ScramVerifier.generateMockSecret()`). */
  readonly mockSecret: Uint8Array
  /** Iterations the mock exchange advertises. Default 4096: keep it equal to your verifiers'. */
  readonly mockIterations?: number | undefined
  /** The server nonce part (`ScramKeys.generateNonce()`). */
  readonly serverNonce: string
  /**
   * `tls-server-end-point` data of this server's certificate when the
   * connection is TLS (`ChannelBinding.tlsServerEndPoint`). Enables PLUS.
   */
  readonly channelBindingData?: Uint8Array | undefined
}

/**
 * The mechanisms to list in AuthenticationSASL, most preferred first:
 * SCRAM-SHA-256-PLUS only when channel-binding data is available.
 *
 * @since 0.1.0
 * @category steps
 */
export const mechanisms = (channelBindingData: Uint8Array | undefined): ReadonlyArray<Messages.Mechanism> =>
  channelBindingData === undefined
    ? [Messages.SCRAM_SHA_256]
    : [Messages.SCRAM_SHA_256_PLUS, Messages.SCRAM_SHA_256]

/**
 * After server-first: waiting for client-final.
 *
 * @since 0.1.0
 * @category models
 */
export interface ServerFirstSent {
  readonly _tag: "ServerFirstSent"
  /** True for the mock exchange: the proof check fails whatever it says. */
  readonly doomed: boolean
  readonly storedKey: Redacted.Redacted<Uint8Array>
  readonly serverKey: Redacted.Redacted<Uint8Array>
  /** client nonce + server nonce. */
  readonly nonce: string
  /** What the client's `c=` must decode to. */
  readonly channelBindingInput: Uint8Array
  readonly clientFirstBare: string
  readonly serverFirst: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ServerFirst {
  /** server-first-message, the AuthenticationSASLContinue data. */
  readonly message: Uint8Array
  readonly state: ServerFirstSent
}

const invalidClient = (message: string): Result.Result<never, AuthError> =>
  Result.fail(authError("InvalidClientMessage", message))

/**
 * Step 2: check the mechanism and client-first, answer with server-first.
 *
 * @since 0.1.0
 * @category steps
 */
export const receiveClientFirst = (
  options: ScramServerOptions,
  mechanism: string,
  message: Uint8Array
): Result.Result<ServerFirst, AuthError> => {
  if (!Keys.isValidNonce(options.serverNonce)) {
    return Result.fail(authError("InvalidConfiguration", "the SCRAM nonce must be printable ASCII without ','"))
  }
  const offered = mechanisms(options.channelBindingData)
  if (!(offered as ReadonlyArray<string>).includes(mechanism)) {
    return Result.fail(authError("MethodNotSupported", "client selected an invalid SASL authentication mechanism"))
  }
  const plus = mechanism === Messages.SCRAM_SHA_256_PLUS
  const text = utf8Decode(message)
  if (text === undefined) return invalidClient("client-first-message is not UTF-8")
  return Result.flatMap(Messages.parseClientFirst(text), (clientFirst) => {
    const gs2 = clientFirst.gs2
    switch (gs2._tag) {
      case "n":
        if (plus) return invalidClient("the client selected SCRAM-SHA-256-PLUS but sent no channel binding")
        break
      case "y":
        if (plus) return invalidClient("the client selected SCRAM-SHA-256-PLUS but sent no channel binding")
        // The client could bind but saw no PLUS in our list, which we did
        // send: the list was altered on the way.
        if (options.channelBindingData !== undefined) {
          return Result.fail(
            authError(
              "DowngradeDetected",
              "the client supports channel binding but thinks the server does not, yet the server offered SCRAM-SHA-256-PLUS"
            )
          )
        }
        break
      case "p":
        if (!plus) return invalidClient("the client selected SCRAM-SHA-256 but sent channel-binding data")
        if (gs2.cbName !== Messages.TLS_SERVER_END_POINT) {
          return Result.fail(
            authError("ChannelBindingUnsupported", "unsupported SCRAM channel-binding type (only tls-server-end-point)")
          )
        }
        break
    }
    const doomed = options.verifier === undefined
    const verifier = options.verifier ??
      Verifier.mock(options.username, options.mockSecret, options.mockIterations ?? Keys.DEFAULT_ITERATIONS)
    const nonce = clientFirst.nonce + options.serverNonce
    const serverFirst = Messages.formatServerFirst(nonce, verifier.salt, verifier.iterations)
    const bindingData = plus ? options.channelBindingData! : new Uint8Array(0)
    return Result.succeed({
      message: utf8Encode(serverFirst),
      state: {
        _tag: "ServerFirstSent",
        doomed,
        storedKey: verifier.storedKey,
        serverKey: verifier.serverKey,
        nonce,
        channelBindingInput: concatBytes(utf8Encode(clientFirst.gs2Header), bindingData),
        clientFirstBare: clientFirst.bare,
        serverFirst
      }
    })
  })
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ServerFinal {
  /** server-final-message, the AuthenticationSASLFinal data. */
  readonly message: Uint8Array
}

/**
 * Step 3: check client-final (channel binding, nonce, proof) and answer with
 * server-final. A wrong proof, and every mock exchange, fails with
 * `WrongPassword` and the same message.
 *
 * @since 0.1.0
 * @category steps
 */
export const receiveClientFinal = (state: ServerFirstSent, message: Uint8Array): Result.Result<ServerFinal, AuthError> => {
  const text = utf8Decode(message)
  if (text === undefined) return invalidClient("client-final-message is not UTF-8")
  return Result.flatMap(Messages.parseClientFinal(text), (clientFinal) => {
    if (!constantTimeEqual(clientFinal.channelBinding, state.channelBindingInput)) {
      return Result.fail(authError("ChannelBindingMismatch", "SCRAM channel binding check failed"))
    }
    if (clientFinal.nonce !== state.nonce) {
      return Result.fail(authError("NonceMismatch", "the final nonce does not match the nonce of the exchange"))
    }
    const authMessage = utf8Encode(`${state.clientFirstBare},${state.serverFirst},${clientFinal.withoutProof}`)
    const storedKey = Redacted.value(state.storedKey)
    // ClientKey = proof XOR HMAC(StoredKey, AuthMessage); valid iff
    // H(ClientKey) = StoredKey. Computed for mock exchanges too, so both take
    // the same time.
    const clientKey = xorBytes(clientFinal.proof, Keys.hmac(storedKey, authMessage))
    const proofMatches = constantTimeEqual(Keys.storedKey(clientKey), storedKey)
    if (!proofMatches || state.doomed) {
      return Result.fail(authError("WrongPassword", "password authentication failed"))
    }
    const signature = Keys.hmac(Redacted.value(state.serverKey), authMessage)
    return Result.succeed({ message: utf8Encode(Messages.formatServerFinal(signature)) })
  })
}
