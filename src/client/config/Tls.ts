/**
 * What the transport needs to know about TLS, from a resolved
 * configuration: whether TLS is required, how the server's certificate is
 * verified (libpq's sslmode meanings), and the files and limits the ssl*
 * settings name. Used by every connection attempt and by the proxy's
 * upstream.
 *
 * @since 0.1.0
 */
import type { TlsOptions } from "../../transport/Transport.ts"
import type { ResolvedConfig } from "../Config.ts"

/**
 * The TLS options of one connection attempt, from libpq's sslmode and the
 * ssl* settings.
 *
 * @since 0.1.0
 */
export const tlsFor = (config: ResolvedConfig, attemptTls: boolean): TlsOptions | undefined => {
  if (!attemptTls) return undefined
  const mode = config.sslMode
  const verification = mode === "verify-full"
    ? "full" as const
    // libpq: with a root certificate every mode that tries TLS verifies the
    // chain (require behaves like verify-ca; prefer and allow then fall back
    // to plain when the chain is not trusted).
    : mode === "verify-ca" || config.sslRootCert !== undefined
    ? "ca" as const
    : "none" as const
  return {
    negotiation: config.sslNegotiation,
    required: mode === "require" || mode === "verify-ca" || mode === "verify-full" || mode === "allow",
    verification,
    rootCertificates: config.sslRootCert,
    certificate: config.sslCert,
    key: config.sslKey,
    passphrase: config.sslPassword,
    crl: config.sslCrl,
    sni: config.sslSni,
    // With hostaddr the socket goes to the address; the certificate is checked against the host name.
    ...(config.hostaddr !== undefined ? { serverName: config.host } : {}),
    minProtocolVersion: config.sslMinProtocolVersion,
    maxProtocolVersion: config.sslMaxProtocolVersion
  }
}
