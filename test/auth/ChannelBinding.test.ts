/**
 * tls-server-end-point (RFC 5929) from committed test certificates
 * (`fixtures/certs/generate.sh`): the binding data must equal the hash that
 * openssl computed independently (`expected-bindings.txt`), and node:crypto
 * must agree on the signature algorithm we read from the DER.
 */
import { createHash, X509Certificate } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { ChannelBinding } from "../../src/auth/index.ts"
import { failsWith, ok } from "./support.ts"

const certs = path.join(import.meta.dirname, "fixtures", "certs")
const der = (name: string) => new Uint8Array(fs.readFileSync(path.join(certs, `${name}.der`)))
const expected = fs.readFileSync(path.join(certs, "expected-bindings.txt"), "utf8")
  .trim().split("\n").map((line) => {
    const [name, hash, hex] = line.split(" ")
    return { name: name!, hash: hash!, hex: hex! }
  })

describe("tls-server-end-point", () => {
  it("covers SHA-256/384/512, SHA-1, MD5, ECDSA and RSA-PSS certificates", () => {
    expect(expected.map((e) => e.name).sort()).toEqual([
      "ecdsa-sha384",
      "rsa-md5",
      "rsa-pss-sha512",
      "rsa-sha1",
      "rsa-sha256",
      "rsa-sha384",
      "rsa-sha512"
    ])
  })

  for (const { hash, hex, name } of expected) {
    it(`${name}: binding data is ${hash} of the DER, as openssl computed`, () => {
      const data = ok(ChannelBinding.tlsServerEndPoint(der(name)))
      expect(Buffer.from(data).toString("hex")).toBe(hex)
      expect(ok(ChannelBinding.certificateBindingHash(der(name)))).toBe(hash)
      // And node:crypto, hashing the DER node:crypto itself extracted from the PEM.
      const raw = new X509Certificate(fs.readFileSync(path.join(certs, `${name}.pem`))).raw
      expect(createHash(hash).update(raw).digest("hex")).toBe(hex)
    })
  }

  it("MD5 and SHA-1 signed certificates are bound with SHA-256 (RFC 5929 4.1)", () => {
    expect(ok(ChannelBinding.certificateBindingHash(der("rsa-md5")))).toBe("sha256")
    expect(ok(ChannelBinding.certificateBindingHash(der("rsa-sha1")))).toBe("sha256")
    expect(ok(ChannelBinding.tlsServerEndPoint(der("rsa-sha1"))).byteLength).toBe(32)
    expect(ok(ChannelBinding.tlsServerEndPoint(der("rsa-sha512"))).byteLength).toBe(64)
  })

  it("reads the same signatureAlgorithm OID as node:crypto", () => {
    for (const name of [...expected.map((e) => e.name), "ed25519"]) {
      const x509 = new X509Certificate(fs.readFileSync(path.join(certs, `${name}.pem`)))
      expect(ok(ChannelBinding.signatureAlgorithmOid(der(name)))).toBe(x509.signatureAlgorithmOid)
    }
  })

  it("Ed25519 defines no hash: InvalidCertificate (as PostgreSQL)", () => {
    failsWith(ChannelBinding.tlsServerEndPoint(der("ed25519")), "InvalidCertificate")
  })

  it("malformed DER: InvalidCertificate, never a throw", () => {
    const good = der("rsa-sha256")
    const cases: Array<Uint8Array> = [
      new Uint8Array(0),
      new Uint8Array([0x30]),
      new Uint8Array([0x30, 0x80, 0x00, 0x00]), // indefinite length
      new Uint8Array([0x30, 0x85, 1, 1, 1, 1, 1]), // 5 length bytes
      good.subarray(0, good.byteLength - 1), // truncated
      new Uint8Array([...good, 0]), // trailing byte
      new Uint8Array([0x04, ...good.subarray(1)]) // not a SEQUENCE
    ]
    for (const bytes of cases) failsWith(ChannelBinding.tlsServerEndPoint(bytes), "InvalidCertificate")
    // Every truncation point fails cleanly.
    for (let n = 0; n < good.byteLength; n += 7) {
      failsWith(ChannelBinding.tlsServerEndPoint(good.subarray(0, n)), "InvalidCertificate")
    }
  })

  it("channel binding require refuses every method but SCRAM-SHA-256-PLUS", () => {
    for (const method of ["trust", "cleartext", "md5", "gss", "sspi", "kerberos-v5", "scram-sha-256"] as const) {
      failsWith(ChannelBinding.checkMethodAllowed("require", method), "ChannelBindingRequired")
      ok(ChannelBinding.checkMethodAllowed("prefer", method))
    }
    ok(ChannelBinding.checkMethodAllowed("require", "scram-sha-256-plus"))
  })
})
