/**
 * `AuthError`: the one error type of `effect-pgwire/auth`.
 *
 * Every failure of the authentication steps (client and server side) is an
 * `AuthError` with a `reason` a program can branch on and a `message` a human
 * can read. It never carries a secret: no password, key, salted password,
 * proof or signature is ever put in a message, and strings chosen by the peer
 * are sanitized before they are quoted.
 *
 * This module is not the server's ErrorResponse: mapping a reason to a
 * SQLSTATE (28P01, 28000, 08P01) is the caller's job, see {@link sqlState}.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * Why authentication failed. Each reason names something the user can act on:
 *
 * - `WrongPassword`: the client proof, MD5 response or cleartext password did
 *   not match (also used for unknown users, so users cannot be enumerated).
 * - `PasswordMissing`: a password is needed and none was configured.
 * - `InvalidPassword`: the password cannot be sent (it contains a NUL byte).
 * - `ServerSignatureMismatch`: the server did not prove it knows the
 *   password's verifier: it may be an impostor.
 * - `NonceMismatch`: a SCRAM nonce does not extend or repeat the expected one.
 * - `IterationCountTooLow` / `IterationCountTooHigh`: the server asked for
 *   fewer than 4096 PBKDF2 iterations, or more than the configured cap.
 * - `InvalidServerMessage` / `InvalidClientMessage`: a SCRAM or GSS message
 *   of the peer is malformed (bad attribute, bad base64, wrong order...).
 * - `ChannelBindingRequired`: `channelBinding: "require"` but the connection
 *   is not TLS, or the server did not offer SCRAM-SHA-256-PLUS.
 * - `ChannelBindingMismatch`: the channel-binding data differs from what the
 *   server computed for its certificate (a TLS-terminating middlebox).
 * - `ChannelBindingUnsupported`: the client asked for a channel-binding type
 *   other than `tls-server-end-point`.
 * - `DowngradeDetected`: the client says it supports channel binding but
 *   believes the server does not, while the server offered it: someone
 *   removed SCRAM-SHA-256-PLUS from the mechanism list on the way.
 * - `InvalidCertificate`: a certificate could not be parsed, or its signature
 *   algorithm defines no hash for `tls-server-end-point` (e.g. Ed25519).
 * - `MethodNotSupported`: no mechanism in common, or a stored secret that
 *   cannot serve the requested method (an MD5 hash for SCRAM).
 * - `InvalidVerifier`: a stored SCRAM verifier or MD5 hash is malformed.
 * - `InvalidConfiguration`: an option is out of range (nonce, iterations...).
 * - `GssProviderMissing`: the server asked for GSSAPI/SSPI/Kerberos and no
 *   token provider is configured.
 * - `GssFailed`: the configured token provider failed.
 * - `TooManyGssRoundTrips`: the server kept asking for GSS tokens.
 * - `ServerError`: the server ended SCRAM with an `e=` error not covered by a
 *   more specific reason.
 * - `CryptoFailure`: the platform's PBKDF2/HMAC failed (should not happen).
 *
 * @since 0.1.0
 * @category models
 */
export const AuthErrorReason = Schema.Literals([
  "WrongPassword",
  "PasswordMissing",
  "InvalidPassword",
  "ServerSignatureMismatch",
  "NonceMismatch",
  "IterationCountTooLow",
  "IterationCountTooHigh",
  "InvalidServerMessage",
  "InvalidClientMessage",
  "ChannelBindingRequired",
  "ChannelBindingMismatch",
  "ChannelBindingUnsupported",
  "DowngradeDetected",
  "InvalidCertificate",
  "MethodNotSupported",
  "InvalidVerifier",
  "InvalidConfiguration",
  "GssProviderMissing",
  "GssFailed",
  "TooManyGssRoundTrips",
  "ServerError",
  "CryptoFailure"
])

/**
 * @since 0.1.0
 * @category models
 */
export type AuthErrorReason = typeof AuthErrorReason.Type

/**
 * An authentication failure. `reason` is the discriminant to branch on.
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthError extends Schema.TaggedError<AuthError>()("AuthError", {
  reason: AuthErrorReason,
  message: Schema.String,
  /** The server's own report, when the server refused (e.g. its ErrorResponse with every field). */
  cause: Schema.optional(Schema.Defect())
}) {}

/**
 * Shorthand constructor used by every module of `src/auth`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const authError = (reason: AuthErrorReason, message: string): AuthError =>
  new AuthError({ reason, message })

/**
 * The SQLSTATE a server should answer with for a failed authentication, as
 * PostgreSQL 18 does: 28P01 (invalid_password) for a failed proof, 08P01
 * (protocol_violation) for malformed messages and nonce or channel-binding
 * type errors, 28000 (invalid_authorization_specification) otherwise,
 * including a channel-binding mismatch and a downgrade.
 *
 * @since 0.1.0
 * @category utils
 */
export const sqlState = (error: AuthError): "28P01" | "08P01" | "28000" => {
  switch (error.reason) {
    case "WrongPassword":
      return "28P01"
    case "InvalidClientMessage":
    case "InvalidServerMessage":
    case "NonceMismatch":
    case "ChannelBindingUnsupported":
      return "08P01"
    default:
      return "28000"
  }
}
