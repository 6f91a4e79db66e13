/**
 * From key words to a resolved configuration: every value checked as libpq
 * checks it (psql 15 as the oracle where noted), several hosts paired with
 * ports and addresses, and the files a configuration names read from real
 * temporary files.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { afterAll } from "vitest"
import { type PgConnectionConfig, parseConnectionString, resolve, type ResolvedConfig } from "../../../src/client/Config.ts"
import { addresses, forTarget, isIpAddress } from "../../../src/client/config/Resolve.ts"
import { toConfig } from "../../../src/client/config/Options.ts"
import type { ConnInfo } from "../../../src/client/config/Keywords.ts"

const configOf = (info: ConnInfo): PgConnectionConfig => {
  const result = toConfig(info)
  if (Result.isFailure(result)) throw new Error(result.failure.message)
  return result.success
}

const errorOf = (info: ConnInfo) => {
  const result = toConfig(info)
  if (Result.isSuccess(result)) throw new Error(`expected ${JSON.stringify(info)} to be refused`)
  return result.failure
}

const resolved = (text: string, defaultHost = "/var/run/postgresql") =>
  Effect.flatMap(parseConnectionString(text), (config) => resolve(config, { defaultHost }))

const refused = (text: string) => Effect.flip(resolved(text))

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pgwire-config-"))
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }))
const write = (name: string, text: string, mode = 0o600): string => {
  const file = path.join(tmp, name)
  fs.writeFileSync(file, text, { mode })
  fs.chmodSync(file, mode)
  return file
}

describe("values", () => {
  const invalid: ReadonlyArray<readonly [ConnInfo, string, string]> = [
    [{ sslmode: "bogus" }, "sslmode", `invalid sslmode value: "bogus"`],
    // psql: `invalid sslmode value: ""` (PGSSLMODE set but empty).
    [{ sslmode: "" }, "sslmode", `invalid sslmode value: ""`],
    [{ channel_binding: "maybe" }, "channel_binding", `invalid channel_binding value: "maybe"`],
    // psql: `invalid target_session_attrs value: "foo"`.
    [{ target_session_attrs: "foo" }, "target_session_attrs", `invalid target_session_attrs value: "foo"`],
    [{ load_balance_hosts: "yes" }, "load_balance_hosts", `invalid load_balance_hosts value: "yes"`],
    [{ sslnegotiation: "tls" }, "sslnegotiation", `invalid sslnegotiation value: "tls"`],
    [{ connect_timeout: "abc" }, "connect_timeout", `invalid integer value "abc" for connection option "connect_timeout"`],
    [{ connect_timeout: "1.5" }, "connect_timeout", `invalid integer value "1.5" for connection option "connect_timeout"`],
    [{ keepalives: "yes" }, "keepalives", `invalid integer value "yes" for connection option "keepalives"`],
    [{ keepalives_interval: "x" }, "keepalives_interval", `invalid integer value "x" for connection option "keepalives_interval"`],
    [{ tcp_user_timeout: "99999999999" }, "tcp_user_timeout", `invalid integer value "99999999999" for connection option "tcp_user_timeout"`],
    [{ ssl_min_protocol_version: "SSLv3" }, "ssl_min_protocol_version", `invalid ssl_min_protocol_version value: "SSLv3"`],
    [{ max_protocol_version: "3.1" }, "max_protocol_version", `invalid max_protocol_version value: "3.1"`],
    [{ gssencmode: "always" }, "gssencmode", `invalid gssencmode value: "always"`],
    [{ gssencmode: "require" }, "gssencmode", `gssencmode value "require" invalid: this client does not implement GSSAPI encryption`],
    [{ sslcertmode: "require" }, "sslcertmode", `sslcertmode value "require" is not supported: the TLS library does not say whether the server asked for a certificate`],
    [{ requirepeer: "postgres" }, "requirepeer", "requirepeer is not supported: Node.js cannot read the credentials of a Unix-domain socket's peer"],
    [{ replication: "sometimes" }, "replication", `invalid replication value: "sometimes"`]
  ]
  for (const [info, key, message] of invalid) {
    it(`refuses ${JSON.stringify(info)}`, () => {
      const error = errorOf(info)
      expect(error.key).toBe(key)
      expect(error.message).toBe(message)
    })
  }

  it("connect_timeout: seconds, at least 2; zero or negative waits forever; whitespace allowed", () => {
    expect(Duration.toMillis(Duration.fromInputUnsafe(configOf({ connect_timeout: "10" }).connectTimeout!))).toBe(10_000)
    expect(Duration.toMillis(Duration.fromInputUnsafe(configOf({ connect_timeout: " 7 " }).connectTimeout!))).toBe(7_000)
    expect(Duration.toMillis(Duration.fromInputUnsafe(configOf({ connect_timeout: "1" }).connectTimeout!))).toBe(2_000)
    expect(Duration.isFinite(Duration.fromInputUnsafe(configOf({ connect_timeout: "0" }).connectTimeout!))).toBe(false)
    expect(Duration.isFinite(Duration.fromInputUnsafe(configOf({ connect_timeout: "-3" }).connectTimeout!))).toBe(false)
  })

  it("keepalives and keepalives_idle", () => {
    expect(configOf({ keepalives: "0" }).keepAlive).toBe(false)
    expect(configOf({ keepalives: "1" }).keepAlive).toBe(true)
    expect(Duration.toSeconds(Duration.fromInputUnsafe(configOf({ keepalives_idle: "30" }).keepAlive as Duration.Input))).toBe(30)
    expect(configOf({ keepalives: "0", keepalives_idle: "30" }).keepAlive).toBe(false)
    // Accepted and validated, not acted on.
    expect(configOf({ keepalives_interval: "5", keepalives_count: "3", tcp_user_timeout: "1000", sslcompression: "1", gsslib: "gssapi", gssdelegation: "1", gssencmode: "prefer" })).toEqual({})
  })

  it("sslsni is on only for a value starting with 1 (libpq)", () => {
    expect(configOf({ sslsni: "1" }).sslSni).toBe(true)
    expect(configOf({ sslsni: "0" }).sslSni).toBe(false)
    expect(configOf({ sslsni: "yes" }).sslSni).toBe(false)
  })

  it("TLS and protocol versions: libpq's names, case-insensitive; latest is 3.2", () => {
    expect(configOf({ ssl_min_protocol_version: "tlsv1.3" }).sslMinProtocolVersion).toBe("TLSv1.3")
    expect(configOf({ ssl_max_protocol_version: "" }).sslMaxProtocolVersion).toBeUndefined()
    expect(configOf({ max_protocol_version: "latest", min_protocol_version: "3.0" })).toMatchObject({ maxProtocolVersion: "3.2", minProtocolVersion: "3.0" })
  })

  it("empty values of host, port, dbname, user, password and file key words mean unset (libpq's defaults apply)", () => {
    // psql: `PGPORT= psql host=/x` used 5432; `dbname=` defaulted to the user.
    expect(configOf({ host: "", port: "", dbname: "", user: "", password: "", passfile: "", sslrootcert: "" })).toEqual({})
  })

  it("replication", () => {
    expect(configOf({ replication: "database" }).replication).toBe("database")
    expect(configOf({ replication: "on" }).replication).toBe(true)
    expect(configOf({ replication: "false" }).replication).toBe(false)
  })
})

describe("resolve", () => {
  it.effect("defaults", () =>
    Effect.gen(function*() {
      const config = yield* resolve({})
      expect(config).toMatchObject({
        host: "localhost",
        port: 5432,
        user: "postgres",
        database: "postgres",
        sslMode: "prefer",
        targetSessionAttrs: "any",
        loadBalanceHosts: "disable",
        minProtocolVersion: "3.0",
        maxProtocolVersion: "3.2",
        sslMinProtocolVersion: "TLSv1.2",
        warnings: []
      })
      expect(config.targets).toEqual([{ host: "localhost", hostaddr: undefined, port: 5432, password: undefined, passwordFile: undefined }])
      expect(config.startupParameters).toEqual({ user: "postgres", database: "postgres", client_encoding: "UTF8" })
    }))

  it.effect("several hosts: one port for all, one each, empty entries are the defaults", () =>
    Effect.gen(function*() {
      const ports = (c: ResolvedConfig) => c.targets.map((t) => `${t.host}:${t.port}`)
      expect(ports(yield* resolved("host=a,b,c port=6000"))).toEqual(["a:6000", "b:6000", "c:6000"])
      expect(ports(yield* resolved("host=a,b,c port=1,2,3"))).toEqual(["a:1", "b:2", "c:3"])
      expect(ports(yield* resolved("host=a,b"))).toEqual(["a:5432", "b:5432"])
      // psql: socket /x port 5432 was tried, then /y port 5.
      expect(ports(yield* resolved("host=/x,/y port=,5"))).toEqual(["/x:5432", "/y:5"])
      // psql: /x port 1, then /var/run/postgresql port 1.
      expect(ports(yield* resolved("host=/x,,/y port=1"))).toEqual(["/x:1", "/var/run/postgresql:1", "/y:1"])
      expect(ports(yield* resolved("postgresql://a:1,b,[::1]:3/db"))).toEqual(["a:1", "b:5432", "::1:3"])
      const config = yield* resolved("host=a,b port=1,2")
      expect(forTarget(config, config.targets[1]!)).toMatchObject({ host: "b", port: 2, targets: [config.targets[1]] })
    }))

  it.effect("mismatched lists are refused", () =>
    Effect.gen(function*() {
      // psql: `could not match 3 port numbers to 2 hosts`.
      expect((yield* refused("host=/x,/y port=1,2,3")).message).toBe("could not match 3 port numbers to 2 hosts")
      // psql: `could not match 2 port numbers to 1 hosts`.
      expect((yield* refused("host=/x port=,5")).message).toBe("could not match 2 port numbers to 1 hosts")
      // psql: `could not match 1 host names to 2 hostaddr values`.
      expect((yield* refused("host=x hostaddr=1.2.3.4,5.6.7.8")).message).toBe("could not match 1 host names to 2 hostaddr values")
    }))

  it.effect("ports", () =>
    Effect.gen(function*() {
      // psql: `invalid port number: "70000"`.
      expect((yield* refused("host=h port=70000")).message).toBe(`invalid port number: "70000"`)
      // psql: `invalid integer value "abc" for connection option "port"`.
      expect((yield* refused("host=h port=abc")).message).toBe(`invalid integer value "abc" for connection option "port"`)
      // psql: connected to port 7.
      expect((yield* resolved("host=/x port=' 7 '")).port).toBe(7)
      expect((yield* Effect.flip(resolve({ port: 0 }))).key).toBe("port")
    }))

  it.effect("hostaddr: numeric only; it is the host when no host is given; host names stay for TLS and pgpass", () =>
    Effect.gen(function*() {
      const both = yield* resolved("host=db.example,db2.example hostaddr=10.0.0.1,")
      expect(both.targets.map((t) => [t.host, t.hostaddr])).toEqual([["db.example", "10.0.0.1"], ["db2.example", undefined]])
      const only = yield* resolved("hostaddr=10.0.0.1,::1 port=1,2")
      expect(only.targets.map((t) => [t.host, t.hostaddr, t.port])).toEqual([["10.0.0.1", "10.0.0.1", 1], ["::1", "::1", 2]])
      // psql: `could not parse network address "1.2.3.x"`.
      const bad = yield* refused("hostaddr=1.2.3.x")
      expect(bad.message).toBe(`could not parse network address "1.2.3.x"`)
      expect(bad.key).toBe("hostaddr")
      expect(["1.2.3.4", "255.255.255.255", "::1", "fe80::1", "2001:db8::8a2e:370:7334", "::ffff:1.2.3.4"].every(isIpAddress)).toBe(true)
      expect(["256.1.1.1", "1.2.3", "host", "::1]@evil", "1:2:3:4:5:6:7:8:9", ""].some(isIpAddress)).toBe(false)
    }))

  it("addresses() is pure", () => {
    expect(Result.isFailure(addresses({ host: "a,b", port: "1,2,3" }, "/tmp"))).toBe(true)
    expect(addresses({}, "/tmp")).toEqual(Result.succeed([{ host: "/tmp", hostaddr: undefined, port: 5432 }]))
  })

  it.effect("sslmode, sslnegotiation, sslrootcert=system, TLS ranges and protocol versions", () =>
    Effect.gen(function*() {
      expect((yield* refused("sslnegotiation=direct")).message).toBe(
        `weak sslmode "prefer" may not be used with sslnegotiation=direct (use "require", "verify-ca", or "verify-full")`
      )
      expect((yield* resolved("sslnegotiation=direct sslmode=require")).sslNegotiation).toBe("direct")
      expect((yield* refused("sslrootcert=system sslmode=require")).message).toBe(
        `weak sslmode "require" may not be used with sslrootcert=system (use "verify-full")`
      )
      const system = yield* resolved("sslrootcert=system")
      expect(system.sslMode).toBe("verify-full")
      expect(typeof system.sslRootCert).toBe("string")
      expect((yield* refused("ssl_min_protocol_version=TLSv1.3 ssl_max_protocol_version=TLSv1.2")).message).toBe("invalid SSL protocol version range")
      // libpq's default minimum is TLSv1.2, so a lower maximum is an empty range.
      expect((yield* refused("ssl_max_protocol_version=TLSv1.1")).message).toBe("invalid SSL protocol version range")
      expect((yield* refused("ssl_min_protocol_version=TLSv1 ssl_max_protocol_version=TLSv1.1")).key).toBe("ssl_max_protocol_version")
      expect((yield* resolved("ssl_min_protocol_version=TLSv1")).sslMinProtocolVersion).toBe("TLSv1.2")
      expect((yield* resolved("ssl_max_protocol_version=TLSv1.3")).sslMaxProtocolVersion).toBe("TLSv1.3")
      expect((yield* refused("min_protocol_version=3.2 max_protocol_version=3.0")).key).toBe("min_protocol_version")
      expect((yield* resolved("min_protocol_version=latest")).minProtocolVersion).toBe("3.2")
    }))

  it.effect("require_auth: libpq's rules", () =>
    Effect.gen(function*() {
      const allowed = yield* resolved("require_auth=scram-sha-256,md5")
      expect(allowed.authAllowed("scram-sha-256")).toBe(true)
      expect(allowed.authAllowed("md5")).toBe(true)
      expect(allowed.authAllowed("cleartext")).toBe(false)
      const refusedMethods = yield* resolved("require_auth=!password,!none")
      expect(refusedMethods.authAllowed("cleartext")).toBe(false)
      expect(refusedMethods.authAllowed("trust")).toBe(false)
      expect(refusedMethods.authAllowed("scram-sha-256")).toBe(true)
      expect((yield* refused("require_auth=md5,md5")).message).toBe(`require_auth method "md5" is specified more than once`)
      expect((yield* refused("require_auth=md5,!password")).message).toBe(
        `negative require_auth method "!password" cannot be mixed with non-negative methods`
      )
      expect((yield* refused("require_auth=!md5,password")).message).toBe(`require_auth method "password" cannot be mixed with negative methods`)
      expect((yield* refused("require_auth=kerberos")).message).toBe(`invalid require_auth value: "kerberos"`)
    }))

  it.effect("startup parameters: application_name, its fallback, options, replication, client_encoding", () =>
    Effect.gen(function*() {
      expect((yield* resolved("fallback_application_name=fb user=u")).startupParameters).toEqual({
        user: "u",
        database: "u",
        client_encoding: "UTF8",
        application_name: "fb"
      })
      // psql (which sets fallback_application_name=psql): `application_name=''` left it empty.
      expect((yield* resolved("application_name='' fallback_application_name=fb")).startupParameters.application_name).toBe("")
      expect((yield* resolved("application_name=app fallback_application_name=fb")).startupParameters.application_name).toBe("app")
      const params = (yield* resolved("options='-c search_path=app' replication=database client_encoding=utf8")).startupParameters
      expect(params.options).toBe("-c search_path=app")
      expect(params.replication).toBe("database")
      expect((yield* resolved("replication=off")).startupParameters.replication).toBeUndefined()
      expect((yield* refused("client_encoding=LATIN1")).key).toBe("client_encoding")
    }))

  it.effect("reads the certificate files a configuration names", () =>
    Effect.gen(function*() {
      const root = write("root.crt", "ROOT PEM")
      const cert = write("client.crt", "CERT PEM")
      const key = write("client.key", "KEY PEM")
      const crl = write("root.crl", "CRL PEM")
      const crlDir = path.join(tmp, "crls")
      fs.mkdirSync(crlDir)
      fs.writeFileSync(path.join(crlDir, "b.r0"), "CRL B")
      fs.writeFileSync(path.join(crlDir, "a.r0"), "CRL A")
      const config = yield* resolved(`sslrootcert=${root} sslcert=${cert} sslkey=${key} sslcrl=${crl} sslcrldir=${crlDir} sslpassword=pp`)
      expect(config.sslRootCert).toBe("ROOT PEM")
      expect(config.sslCert).toBe("CERT PEM")
      expect(Redacted.value(config.sslKey!)).toBe("KEY PEM")
      expect(config.sslCrl).toBe("CRL PEM\nCRL A\nCRL B")
      expect(Redacted.value(config.sslPassword!)).toBe("pp")
      // sslcertmode=disable: no client certificate at all.
      const disabled = yield* resolved(`sslcert=${cert} sslkey=${key} sslcertmode=disable`)
      expect(disabled.sslCert).toBeUndefined()
      expect(disabled.sslKey).toBeUndefined()
    }))

  it.effect("file errors name the key word", () =>
    Effect.gen(function*() {
      const missing = yield* refused(`sslrootcert=${path.join(tmp, "nope.crt")}`)
      expect(missing.key).toBe("sslrootcert")
      expect(missing.message).toContain("nope.crt")
      const cert = write("lonely.crt", "CERT")
      expect((yield* refused(`sslcert=${cert}`)).key).toBe("sslkey")
      expect((yield* Effect.flip(resolve({ sslRootCert: "PEM", sslRootCertFile: "/x" }))).message).toBe(
        "sslrootcert: give the content or the file, not both"
      )
    }))

  it.effect("a private key others may read is refused (0600, or 0640 when root owns it)", () =>
    Effect.gen(function*() {
      const cert = write("k.crt", "CERT")
      const worldReadable = write("world.key", "KEY", 0o604)
      const error = yield* refused(`sslcert=${cert} sslkey=${worldReadable}`)
      expect(error.key).toBe("sslkey")
      expect(error.message).toContain("has group or world access")
      const groupReadable = write("group.key", "KEY", 0o640)
      const ownedByRoot = fs.statSync(groupReadable).uid === 0
      const outcome = yield* Effect.result(resolved(`sslcert=${cert} sslkey=${groupReadable}`))
      expect(outcome._tag).toBe(ownedByRoot ? "Success" : "Failure")
      const dir = path.join(tmp, "keydir")
      fs.mkdirSync(dir, { mode: 0o700 })
      expect((yield* refused(`sslcert=${cert} sslkey=${dir}`)).message).toContain("is not a regular file")
    }))
})
