/**
 * SCRAM channel binding of type `tls-server-end-point` (RFC 5929 section
 * 4): the binding data is the hash of the server's DER certificate, computed
 * with the hash of the certificate's signature algorithm, except that MD5 and
 * SHA-1 are replaced by SHA-256. PostgreSQL implements exactly this type.
 *
 * Also the client's policy: `disable | prefer | require`, as libpq's
 * `channel_binding` option.
 *
 * I/O-free: the caller (the transport layer) hands in the certificate bytes
 * it read from the TLS session; this module parses them with a bounded DER
 * reader and hashes them with node:crypto.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import * as Result from "effect/Result"
import { type AuthError, authError } from "./AuthError.ts"
import { decodeOid, readTlv, TAG_SEQUENCE } from "./internal/der.ts"

/**
 * The client's channel-binding policy (libpq's `channel_binding`):
 *
 * - `disable`: never bind; send the `n` GS2 flag.
 * - `prefer` (default): bind when the connection is TLS and the server offers
 *   SCRAM-SHA-256-PLUS; over TLS without PLUS, send `y` so that a server that
 *   does support binding detects the downgrade.
 * - `require`: fail unless SCRAM-SHA-256-PLUS is used.
 *
 * @since 0.1.0
 * @category models
 */
export type ChannelBindingMode = "disable" | "prefer" | "require"

/**
 * A hash algorithm name as node:crypto spells it.
 *
 * @since 0.1.0
 * @category models
 */
export type BindingHash = "sha224" | "sha256" | "sha384" | "sha512" | "sha3-224" | "sha3-256" | "sha3-384" | "sha3-512"

// Signature algorithm OID -> hash used for tls-server-end-point. MD5 and
// SHA-1 map to SHA-256 (RFC 5929 section 4.1).
const SIGNATURE_HASHES: ReadonlyMap<string, BindingHash> = new Map([
  ["1.2.840.113549.1.1.4", "sha256"], // md5WithRSAEncryption
  ["1.2.840.113549.1.1.5", "sha256"], // sha1WithRSAEncryption
  ["1.3.14.3.2.29", "sha256"], // sha1WithRSA (OIW)
  ["1.2.840.113549.1.1.14", "sha224"], // sha224WithRSAEncryption
  ["1.2.840.113549.1.1.11", "sha256"], // sha256WithRSAEncryption
  ["1.2.840.113549.1.1.12", "sha384"], // sha384WithRSAEncryption
  ["1.2.840.113549.1.1.13", "sha512"], // sha512WithRSAEncryption
  ["1.2.840.10045.4.1", "sha256"], // ecdsa-with-SHA1
  ["1.2.840.10045.4.3.1", "sha224"], // ecdsa-with-SHA224
  ["1.2.840.10045.4.3.2", "sha256"], // ecdsa-with-SHA256
  ["1.2.840.10045.4.3.3", "sha384"], // ecdsa-with-SHA384
  ["1.2.840.10045.4.3.4", "sha512"], // ecdsa-with-SHA512
  ["1.2.840.10040.4.3", "sha256"], // dsa-with-sha1
  ["2.16.840.1.101.3.4.3.1", "sha224"], // dsa-with-sha224
  ["2.16.840.1.101.3.4.3.2", "sha256"], // dsa-with-sha256
  ["2.16.840.1.101.3.4.3.9", "sha3-224"], // ecdsa-with-sha3-224
  ["2.16.840.1.101.3.4.3.10", "sha3-256"],
  ["2.16.840.1.101.3.4.3.11", "sha3-384"],
  ["2.16.840.1.101.3.4.3.12", "sha3-512"],
  ["2.16.840.1.101.3.4.3.13", "sha3-224"], // rsassa-pkcs1-v1_5-with-sha3-224
  ["2.16.840.1.101.3.4.3.14", "sha3-256"],
  ["2.16.840.1.101.3.4.3.15", "sha3-384"],
  ["2.16.840.1.101.3.4.3.16", "sha3-512"]
])

// Digest OIDs that can appear inside RSASSA-PSS parameters.
const DIGEST_HASHES: ReadonlyMap<string, BindingHash> = new Map([
  ["1.3.14.3.2.26", "sha256"], // sha1, replaced as RFC 5929 says
  ["2.16.840.1.101.3.4.2.4", "sha224"],
  ["2.16.840.1.101.3.4.2.1", "sha256"],
  ["2.16.840.1.101.3.4.2.2", "sha384"],
  ["2.16.840.1.101.3.4.2.3", "sha512"]
])

const RSASSA_PSS = "1.2.840.113549.1.1.10"

const invalid = (message: string): Result.Result<never, AuthError> =>
  Result.fail(authError("InvalidCertificate", message))

// RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] EXPLICIT
// AlgorithmIdentifier DEFAULT sha1, ... }
const pssHash = (der: Uint8Array, start: number, end: number): Result.Result<BindingHash, AuthError> => {
  // Parameters may be absent: the default hash is SHA-1 -> SHA-256.
  if (start === end) return Result.succeed("sha256")
  const params = readTlv(der, start, end)
  if (params === undefined || params.tag !== TAG_SEQUENCE) return invalid("malformed RSASSA-PSS parameters")
  const first = params.start < params.end ? readTlv(der, params.start, params.end) : undefined
  if (first === undefined || first.tag !== 0xa0) return Result.succeed("sha256")
  const algorithm = readTlv(der, first.start, first.end)
  if (algorithm === undefined || algorithm.tag !== TAG_SEQUENCE) return invalid("malformed RSASSA-PSS hash algorithm")
  const oidTlv = readTlv(der, algorithm.start, algorithm.end)
  const oid = oidTlv === undefined ? undefined : decodeOid(der, oidTlv)
  const hash = oid === undefined ? undefined : DIGEST_HASHES.get(oid)
  return hash === undefined ? invalid("unsupported RSASSA-PSS hash algorithm") : Result.succeed(hash)
}

/**
 * The signatureAlgorithm OID of a DER certificate, read from the outer
 * `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, ... }`.
 *
 * @since 0.1.0
 * @category certificates
 */
export const signatureAlgorithmOid = (der: Uint8Array): Result.Result<string, AuthError> =>
  Result.map(readSignatureAlgorithm(der), (algorithm) => algorithm.oid)

const readSignatureAlgorithm = (
  der: Uint8Array
): Result.Result<{ readonly oid: string; readonly paramsStart: number; readonly paramsEnd: number }, AuthError> => {
  const certificate = readTlv(der, 0, der.byteLength)
  if (certificate === undefined || certificate.tag !== TAG_SEQUENCE || certificate.end !== der.byteLength) {
    return invalid("not a DER certificate")
  }
  const tbs = readTlv(der, certificate.start, certificate.end)
  if (tbs === undefined || tbs.tag !== TAG_SEQUENCE) return invalid("malformed tbsCertificate")
  const algorithm = readTlv(der, tbs.end, certificate.end)
  if (algorithm === undefined || algorithm.tag !== TAG_SEQUENCE) return invalid("malformed signatureAlgorithm")
  const oidTlv = readTlv(der, algorithm.start, algorithm.end)
  const oid = oidTlv === undefined ? undefined : decodeOid(der, oidTlv)
  if (oid === undefined || oidTlv === undefined) return invalid("malformed signatureAlgorithm OID")
  return Result.succeed({ oid, paramsStart: oidTlv.end, paramsEnd: algorithm.end })
}

/**
 * The hash `tls-server-end-point` uses for this certificate. Fails with
 * `InvalidCertificate` for malformed input and for signature algorithms
 * that define no single hash (Ed25519, Ed448), as PostgreSQL does.
 *
 * @since 0.1.0
 * @category certificates
 */
export const certificateBindingHash = (der: Uint8Array): Result.Result<BindingHash, AuthError> =>
  Result.flatMap(readSignatureAlgorithm(der), ({ oid, paramsEnd, paramsStart }) => {
    if (oid === RSASSA_PSS) return pssHash(der, paramsStart, paramsEnd)
    const hash = SIGNATURE_HASHES.get(oid)
    return hash === undefined
      ? invalid(`signature algorithm ${oid} has no tls-server-end-point hash`)
      : Result.succeed(hash)
  })

/**
 * The `tls-server-end-point` channel-binding data for a server certificate
 * in DER form. The client computes it from the certificate the server
 * presented, the server from its own certificate.
 *
 * @since 0.1.0
 * @category certificates
 */
export const tlsServerEndPoint = (der: Uint8Array): Result.Result<Uint8Array, AuthError> =>
  Result.map(certificateBindingHash(der), (hash) => new Uint8Array(createHash(hash).update(der).digest()))

/**
 * An authentication method as the client sees it, for
 * {@link checkMethodAllowed}.
 *
 * @since 0.1.0
 * @category models
 */
export type ClientAuthMethod =
  | "trust"
  | "cleartext"
  | "md5"
  | "gss"
  | "sspi"
  | "kerberos-v5"
  | "scram-sha-256"
  | "scram-sha-256-plus"

/**
 * With `require`, every method but SCRAM-SHA-256-PLUS is refused, including
 * an AuthenticationOk that arrives without any SASL exchange (`trust`):
 * otherwise a man in the middle would just pick a weaker method. This is
 * libpq's rule; the client's startup state machine calls it for every
 * authentication request and for AuthenticationOk.
 *
 * @since 0.1.0
 * @category policy
 */
export const checkMethodAllowed = (
  mode: ChannelBindingMode,
  method: ClientAuthMethod
): Result.Result<void, AuthError> =>
  mode === "require" && method !== "scram-sha-256-plus"
    ? Result.fail(
      authError(
        "ChannelBindingRequired",
        `channel binding is required, but the server asked for ${method} authentication`
      )
    )
    : Result.void
