/**
 * TLS: libpq's verification levels against certificates that are right, for
 * the wrong name, from an untrusted CA, expired or revoked; SNI; client
 * certificates; protocol versions; direct TLS with ALPN; the peer
 * certificate for channel binding; a CancelRequest-style side connection.
 */
import { Buffer } from "node:buffer"
import * as Tls from "node:tls"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import {
  connect,
  type ConnectionErrorReason,
  type ConnectOptions,
  sendAndAwaitClose,
  systemRootCertificates,
  type TlsOptions,
  type TlsVerification
} from "../../src/transport/index.ts"
import {
  await_,
  closed,
  echo,
  failsWith,
  fixture,
  listen,
  pem,
  readExactly,
  receive,
  send,
  serverCredentials,
  sslServer,
  unusedPort
} from "./support.ts"

const ca = pem("ca.pem")

const tlsOptions = (verification: TlsVerification, extra: Partial<TlsOptions> = {}): TlsOptions => ({
  negotiation: "postgres",
  required: true,
  verification,
  rootCertificates: ca,
  ...extra
})

/** Connects through SSLRequest to a server presenting `certificate`; echoes a round trip on success. */
const roundTrip = (certificate: string, host: string, tls: TlsOptions) =>
  Effect.gen(function*() {
    const server = yield* listen(sslServer(serverCredentials(certificate)))
    const transport = yield* connect({ host, port: server.port, tls })
    yield* send(transport, "ping")
    expect((yield* receive(transport, 4)).toString()).toBe("ping")
    return transport
  })

const refused = (certificate: string, host: string, tls: TlsOptions, reason: ConnectionErrorReason) =>
  Effect.gen(function*() {
    const server = yield* listen(sslServer(serverCredentials(certificate)))
    const error = yield* failsWith(connect({ host, port: server.port, tls }), reason)
    yield* await_(() => server.connection(0).then(closed))
    return error
  })

describe("verification (SSLRequest then TLS)", () => {
  describe("full (verify-full)", () => {
    it.live("trusted chain, matching name: connects; peerCertificate is the server's DER", () =>
      Effect.gen(function*() {
        const transport = yield* roundTrip("server", "localhost", tlsOptions("full"))
        expect(transport.tls).toBeDefined()
        expect(Buffer.from(transport.tls!.peerCertificate!).equals(fixture("server.der"))).toBe(true)
        expect(transport.tls!.peerCertificate).toBeInstanceOf(Uint8Array)
        expect(transport.tls!.protocol).toBe("TLSv1.3")
        // A server without ALPN is fine with SSLRequest negotiation.
        expect(transport.tls!.alpnProtocol).toBeUndefined()
      }))

    it.live("an IP address host matches the certificate's IP SAN", () =>
      roundTrip("server", "127.0.0.1", tlsOptions("full")))

    it.live("wrong host name: HostnameMismatch", () =>
      Effect.gen(function*() {
        const error = yield* refused("wrong-name", "localhost", tlsOptions("full"), "HostnameMismatch")
        expect(error.message).toContain("localhost")
      }))

    it.live("an IP address not in the certificate: HostnameMismatch", () =>
      refused("wrong-name", "127.0.0.1", tlsOptions("full"), "HostnameMismatch"))

    it.live("serverName overrides the host for the check", () =>
      roundTrip("wrong-name", "127.0.0.1", tlsOptions("full", { serverName: "wrong.example" })))

    it.live("untrusted CA: CertificateNotTrusted", () =>
      Effect.gen(function*() {
        const error = yield* refused("untrusted", "localhost", tlsOptions("full"), "CertificateNotTrusted")
        expect(error.message).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/)
      }))

    it.live("expired: CertificateNotTrusted", () =>
      Effect.gen(function*() {
        const error = yield* refused("expired", "localhost", tlsOptions("full"), "CertificateNotTrusted")
        expect(error.message).toContain("CERT_HAS_EXPIRED")
      }))

    it.live("revoked in the CRL: CertificateNotTrusted", () =>
      Effect.gen(function*() {
        const error = yield* refused(
          "revoked",
          "localhost",
          tlsOptions("full", { crl: pem("crl.pem") }),
          "CertificateNotTrusted"
        )
        expect(error.message).toContain("CERT_REVOKED")
      }))

    it.live("a certificate the CRL does not list still connects with the CRL given", () =>
      roundTrip("server", "localhost", tlsOptions("full", { crl: pem("crl.pem") })))

    it.live("no rootCertificates: Node's default store, which does not know the test CA", () =>
      refused("server", "localhost", { negotiation: "postgres", required: true, verification: "full" }, "CertificateNotTrusted"))

    it.live("systemRootCertificates reads the OS store as PEM strings (possibly none in a container)", () =>
      Effect.gen(function*() {
        const roots = yield* systemRootCertificates
        expect(Array.isArray(roots)).toBe(true)
        for (const root of roots) expect(root).toContain("BEGIN CERTIFICATE")
        // Our test CA is in no system store.
        yield* refused("server", "localhost", tlsOptions("full", { rootCertificates: [...roots] }), "CertificateNotTrusted")
      }))

    it.live("roots as bytes and as a list are accepted", () =>
      Effect.gen(function*() {
        yield* roundTrip("server", "localhost", tlsOptions("full", { rootCertificates: new Uint8Array(fixture("ca.pem")) }))
        yield* roundTrip("server", "localhost", tlsOptions("full", { rootCertificates: [pem("untrusted-ca.pem"), ca] }))
      }))
  })

  describe("ca (verify-ca)", () => {
    it.live("trusted chain, wrong host name: connects", () => roundTrip("wrong-name", "localhost", tlsOptions("ca")))

    it.live("untrusted CA: CertificateNotTrusted", () =>
      refused("untrusted", "localhost", tlsOptions("ca"), "CertificateNotTrusted"))

    it.live("expired: CertificateNotTrusted", () =>
      refused("expired", "localhost", tlsOptions("ca"), "CertificateNotTrusted"))
  })

  describe("none (require without a root certificate)", () => {
    it.live("untrusted CA: connects", () => roundTrip("untrusted", "localhost", tlsOptions("none")))
    it.live("wrong host name: connects", () => roundTrip("wrong-name", "localhost", tlsOptions("none")))
    it.live("expired: connects", () => roundTrip("expired", "localhost", tlsOptions("none")))
    it.live("ignores rootCertificates", () =>
      roundTrip("untrusted", "localhost", tlsOptions("none", { rootCertificates: ca })))
  })
})

describe("SNI", () => {
  const sniSeen = (connectHost: string, extra: Partial<TlsOptions>) =>
    Effect.gen(function*() {
      const names: Array<string | false | null> = []
      const server = yield* listen(sslServer(serverCredentials("server"), (secure) => {
        names.push(secure.servername)
        echo(secure)
      }))
      const transport = yield* connect({ host: connectHost, port: server.port, tls: tlsOptions("ca", extra) })
      yield* send(transport, "x")
      yield* receive(transport, 1)
      return names
    })

  it.live("sends the host name", () =>
    Effect.gen(function*() {
      expect(yield* sniSeen("localhost", {})).toEqual(["localhost"])
    }))

  it.live("sends serverName when given", () =>
    Effect.gen(function*() {
      expect(yield* sniSeen("127.0.0.1", { serverName: "db.example" })).toEqual(["db.example"])
    }))

  it.live("not for an IP address", () =>
    Effect.gen(function*() {
      expect(yield* sniSeen("127.0.0.1", {})).toEqual([false])
    }))

  it.live("not with sni: false (libpq's sslsni=0)", () =>
    Effect.gen(function*() {
      expect(yield* sniSeen("localhost", { sni: false })).toEqual([false])
    }))
})

describe("client certificates and protocol versions", () => {
  const clientCertServer = () =>
    Effect.gen(function*() {
      const subjects: Array<string | ReadonlyArray<string> | undefined> = []
      const server = yield* listen(sslServer(
        { ...serverCredentials("server"), requestCert: true, rejectUnauthorized: true, ca: [ca] },
        (secure) => {
          subjects.push(secure.getPeerCertificate().subject?.CN)
          echo(secure)
        }
      ))
      return { server, subjects }
    })

  it.live("presents the certificate, with an encrypted key and its passphrase", () =>
    Effect.gen(function*() {
      const { server, subjects } = yield* clientCertServer()
      const transport = yield* connect({
        host: "localhost",
        port: server.port,
        tls: tlsOptions("full", {
          certificate: pem("client.pem"),
          key: Redacted.make(pem("client.key")),
          passphrase: Redacted.make("secret")
        })
      })
      yield* send(transport, "cert")
      expect((yield* receive(transport, 4)).toString()).toBe("cert")
      expect(subjects).toEqual(["pgclient"])
    }))

  it.live("a wrong passphrase: TlsHandshakeFailed before anything is sent", () =>
    Effect.gen(function*() {
      const { server } = yield* clientCertServer()
      const error = yield* failsWith(
        connect({
          host: "localhost",
          port: server.port,
          tls: tlsOptions("full", {
            certificate: pem("client.pem"),
            key: Redacted.make(new Uint8Array(fixture("client.key"))),
            passphrase: Redacted.make("wrong")
          })
        }),
        "TlsHandshakeFailed"
      )
      expect(error.message).not.toContain("wrong")
    }))

  it.live("maxProtocolVersion TLSv1.2 is honoured", () =>
    Effect.gen(function*() {
      const transport = yield* roundTrip("server", "localhost", tlsOptions("full", { maxProtocolVersion: "TLSv1.2" }))
      expect(transport.tls?.protocol).toBe("TLSv1.2")
    }))

  it.live("minProtocolVersion TLSv1.3 against a TLS 1.2 server: TlsHandshakeFailed", () =>
    Effect.gen(function*() {
      const server = yield* listen(sslServer({ ...serverCredentials("server"), maxVersion: "TLSv1.2" }))
      yield* failsWith(
        connect({ host: "localhost", port: server.port, tls: tlsOptions("full", { minProtocolVersion: "TLSv1.3" }) }),
        "TlsHandshakeFailed"
      )
    }))
})

describe("direct TLS (sslnegotiation=direct)", () => {
  const direct = (extra: Partial<TlsOptions> = {}): TlsOptions => tlsOptions("full", { negotiation: "direct", ...extra })

  it.live("handshakes at once with ALPN postgresql", () =>
    Effect.gen(function*() {
      const server = yield* listen(echo, { tls: { ...serverCredentials("server"), ALPNProtocols: ["postgresql"] } })
      const transport = yield* connect({ host: "localhost", port: server.port, tls: direct() })
      expect(transport.tls?.alpnProtocol).toBe("postgresql")
      expect(Buffer.from(transport.tls!.peerCertificate!).equals(fixture("server.der"))).toBe(true)
      yield* send(transport, "direct")
      expect((yield* receive(transport, 6)).toString()).toBe("direct")
    }))

  it.live("a server without ALPN: AlpnMismatch", () =>
    Effect.gen(function*() {
      const server = yield* listen(echo, { tls: serverCredentials("server") })
      const error = yield* failsWith(connect({ host: "localhost", port: server.port, tls: direct() }), "AlpnMismatch")
      expect(error.message).toContain("postgresql")
    }))

  it.live("a server speaking another protocol: AlpnMismatch", () =>
    Effect.gen(function*() {
      const server = yield* listen(echo, { tls: { ...serverCredentials("server"), ALPNProtocols: ["http/1.1"] } })
      yield* failsWith(connect({ host: "localhost", port: server.port, tls: direct() }), "AlpnMismatch")
    }))

  it.live("verification still applies", () =>
    Effect.gen(function*() {
      const server = yield* listen(echo, { tls: { ...serverCredentials("wrong-name"), ALPNProtocols: ["postgresql"] } })
      yield* failsWith(connect({ host: "localhost", port: server.port, tls: direct() }), "HostnameMismatch")
    }))

  it.live("a plain server (no TLS at all): TlsHandshakeFailed or Closed, within the timeout", () =>
    Effect.gen(function*() {
      const server = yield* listen((socket) => {
        socket.once("data", () => socket.end("not tls"))
      })
      const error = yield* Effect.flip(
        connect({ host: "localhost", port: server.port, tls: direct(), connectTimeout: "5 seconds" })
      )
      expect(error.reason).toBe("TlsHandshakeFailed")
    }))
})

describe("lifecycle", () => {
  it.live("closing the scope sends close_notify and FIN: the server sees the end", () =>
    Effect.gen(function*() {
      const ended: Array<string> = []
      let serverSide: Tls.TLSSocket | undefined
      const server = yield* listen(sslServer(serverCredentials("server"), (secure) => {
        serverSide = secure
        secure.on("data", () => {})
        secure.on("end", () => ended.push("end"))
      }))
      const scope = yield* Scope.make()
      const transport = yield* Scope.provide(connect({ host: "localhost", port: server.port, tls: tlsOptions("full") }), scope)
      yield* Scope.provide(send(transport, "bye"), scope)
      yield* Scope.close(scope, Exit.void)
      yield* await_(() => server.connection(0).then(closed))
      expect(serverSide).toBeDefined()
      yield* await_(() => closed(serverSide!))
      expect(ended).toEqual(["end"])
    }))

  it.live("a side connection for CancelRequest: a fresh TLS connection with the same options", () =>
    Effect.gen(function*() {
      const packets: Array<string> = []
      const server = yield* listen(sslServer(serverCredentials("server"), (secure) => {
        // The second connection plays PostgreSQL's cancel: read 16 bytes, close without a word.
        if (server.accepted.length === 2) {
          void readExactly(secure, 16).then((packet) => {
            packets.push(packet.toString("hex"))
            secure.end()
          })
        } else {
          echo(secure)
        }
      }))
      const session = yield* connect({ host: "localhost", port: server.port, tls: tlsOptions("full") })
      const cancel = Buffer.from("0000001004d2162e0000002a00000007", "hex")
      yield* sendAndAwaitClose(session.options, cancel)
      expect(packets).toEqual([cancel.toString("hex")])
      // The session is untouched.
      yield* send(session, "still here")
      expect((yield* receive(session, 10)).toString()).toBe("still here")
    }))

  it.live("sendAndAwaitClose to nobody: ConnectFailed", () =>
    Effect.gen(function*() {
      const port = yield* unusedPort
      const options: ConnectOptions = { host: "127.0.0.1", port }
      yield* failsWith(sendAndAwaitClose(options, new Uint8Array(16)), "ConnectFailed")
    }))
})
