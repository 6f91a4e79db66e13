/**
 * `effect-pgwire/auth`: PostgreSQL authentication as I/O-free steps, for
 * both the client and the server side.
 *
 * - {@link ScramClient} / {@link ScramServer}: SCRAM-SHA-256 and
 *   SCRAM-SHA-256-PLUS step functions with injected nonces.
 * - {@link ScramVerifier}: PostgreSQL's `SCRAM-SHA-256$...` verifiers.
 * - {@link ChannelBinding}: `tls-server-end-point` data from a certificate,
 *   the client's `disable | prefer | require` policy.
 * - {@link SaslPrep} and {@link Password}: RFC 4013 and the bytes SCRAM
 *   hashes (with PostgreSQL's raw-bytes fallback).
 * - {@link Md5}, {@link Cleartext}, {@link StoredPassword}: the older
 *   password methods and stored forms.
 * - {@link Gss}: the GSSAPI / SSPI token-provider seam.
 * - {@link AuthError}: the single error type, with a `reason`.
 *
 * Sockets, TLS and message framing live elsewhere (`transport`, `protocol`);
 * this entry point only computes what to send and checks what was received.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export { AuthError, AuthErrorReason, authError, sqlState } from "./AuthError.ts"

/** @since 0.1.0 */
export * as ChannelBinding from "./ChannelBinding.ts"

/** @since 0.1.0 */
export * as Cleartext from "./Cleartext.ts"

/** @since 0.1.0 */
export * as Gss from "./Gss.ts"

/** @since 0.1.0 */
export * as Md5 from "./Md5.ts"

/** @since 0.1.0 */
export * as Password from "./Password.ts"

/** @since 0.1.0 */
export * as SaslPrep from "./SaslPrep.ts"

/** @since 0.1.0 */
export * as ScramClient from "./ScramClient.ts"

/** @since 0.1.0 */
export * as ScramKeys from "./ScramKeys.ts"

/** @since 0.1.0 */
export * as ScramMessages from "./ScramMessages.ts"

/** @since 0.1.0 */
export * as ScramServer from "./ScramServer.ts"

/** @since 0.1.0 */
export * as ScramVerifier from "./ScramVerifier.ts"

/** @since 0.1.0 */
export * as StoredPassword from "./StoredPassword.ts"
