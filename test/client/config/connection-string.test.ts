/**
 * Connection strings in both of libpq's forms, checked against libpq's
 * documented behaviour. Where the documentation is silent, psql 15 (libpq
 * 15, Debian) was the oracle: the comment after a case records what psql
 * did with the same string.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { fromUrl, parseConnectionString } from "../../../src/client/Config.ts"
import { parseConnInfo, parseKeyValue, parseUri, percentDecode } from "../../../src/client/config/ConnectionString.ts"
import type { ConnInfo } from "../../../src/client/config/Keywords.ts"

const ok = (text: string): ConnInfo => {
  const result = parseConnInfo(text)
  if (Result.isFailure(result)) throw new Error(`expected ${JSON.stringify(text)} to parse: ${result.failure.message}`)
  return result.success
}

const failure = (text: string) => {
  const result = parseConnInfo(text)
  if (Result.isSuccess(result)) throw new Error(`expected ${JSON.stringify(text)} to fail, got ${JSON.stringify(result.success)}`)
  return result.failure
}

describe("key=value", () => {
  const cases: ReadonlyArray<readonly [string, ConnInfo]> = [
    ["", {}],
    ["   \t\n", {}],
    ["host=localhost port=5432 dbname=mydb connect_timeout=10", { host: "localhost", port: "5432", dbname: "mydb", connect_timeout: "10" }],
    // psql: connected to socket /x, port 1: whitespace may surround "=".
    ["host = /x   port= 1", { host: "/x", port: "1" }],
    // psql: `could not translate host name "port=5432"`: whitespace after "=" is skipped, so the next pair is the value.
    ["host= port=5432", { host: "port=5432" }],
    // psql: application_name was `a b'c\d`.
    ["application_name='a b\\'c\\\\d'", { application_name: "a b'c\\d" }],
    // psql: `a b`.
    ["application_name=a\\ b", { application_name: "a b" }],
    // psql: empty application_name (and no fallback).
    ["application_name=''", { application_name: "" }],
    // psql: `x'y'`: a quote inside a bare value is an ordinary character.
    ["application_name=x'y'", { application_name: "x'y'" }],
    // psql: `x`: a trailing backslash escapes nothing.
    ["application_name=x\\", { application_name: "x" }],
    // A quoted value needs no whitespace after it.
    ["user='1'dbname=2", { user: "1", dbname: "2" }],
    // psql: the later user wins.
    ["\thost=/s port=1\nuser=a dbname=d  application_name=x user=b", { host: "/s", port: "1", user: "b", dbname: "d", application_name: "x" }],
    ["host='/path with spaces' sslmode=require", { host: "/path with spaces", sslmode: "require" }],
    ["requiressl=1", { sslmode: "require" }],
    ["requiressl=0", { sslmode: "prefer" }],
    ["sslmode=disable requiressl=1", { sslmode: "require" }]
  ]
  for (const [text, expected] of cases) {
    it(JSON.stringify(text), () => {
      expect(ok(text)).toEqual(expected)
      expect(Result.isSuccess(parseKeyValue(text))).toBe(true)
    })
  }

  const errors: ReadonlyArray<readonly [string, string, string | undefined]> = [
    // psql: `missing "=" after "y" in connection info string`.
    ["application_name='x'y", `missing "=" after "y" in connection info string`, "y"],
    // psql: `unterminated quoted string in connection info string`.
    ["application_name='x", "unterminated quoted string in connection info string", "application_name"],
    // psql: `missing "=" after "port" in connection info string`.
    ["host=/x port", `missing "=" after "port" in connection info string`, "port"],
    ["host x=1", `missing "=" after "host" in connection info string`, "host"],
    // psql (with password='it''s'): `missing "=" after "'s'" in connection info string`: SQL's doubled quote is no escape here.
    ["application_name='it''s'", `missing "=" after "'s'" in connection info string`, "'s'"],
    // psql: `invalid connection option "foo"`.
    ["host=/x foo=1", `invalid connection option "foo"`, "foo"],
    ["oauth_issuer=https://x", `connection option "oauth_issuer" is not supported: OAuth authentication is not supported`, "oauth_issuer"],
    ["host=a\0b", "the connection string contains a NUL character", undefined]
  ]
  for (const [text, message, key] of errors) {
    it(`fails: ${JSON.stringify(text)}`, () => {
      const error = failure(text)
      expect(error._tag).toBe("ConfigError")
      expect(error.message).toBe(message)
      expect(error.key).toBe(key)
    })
  }
})

describe("URI", () => {
  const cases: ReadonlyArray<readonly [string, ConnInfo]> = [
    // The examples of libpq's documentation.
    ["postgresql://", {}],
    ["postgresql://localhost", { host: "localhost" }],
    ["postgresql://localhost:5433", { host: "localhost", port: "5433" }],
    ["postgresql://localhost/mydb", { host: "localhost", dbname: "mydb" }],
    ["postgresql://user@localhost", { user: "user", host: "localhost" }],
    ["postgresql://user:secret@localhost", { user: "user", password: "secret", host: "localhost" }],
    [
      "postgresql://other@localhost/otherdb?connect_timeout=10&application_name=myapp",
      { user: "other", host: "localhost", dbname: "otherdb", connect_timeout: "10", application_name: "myapp" }
    ],
    [
      "postgresql://host1:123,host2:456/somedb?target_session_attrs=any&application_name=myapp",
      { host: "host1,host2", port: "123,456", dbname: "somedb", target_session_attrs: "any", application_name: "myapp" }
    ],
    ["postgresql:///mydb?host=localhost&port=5433", { dbname: "mydb", host: "localhost", port: "5433" }],
    ["postgresql://[2001:db8::1234]/database", { host: "2001:db8::1234", dbname: "database" }],
    ["postgresql://%2Fvar%2Flib%2Fpostgresql/dbname", { host: "/var/lib/postgresql", dbname: "dbname" }],
    ["postgres://localhost/mydb", { host: "localhost", dbname: "mydb" }],
    // psql: connected to [::1] port 1.
    ["postgresql://[::1]:1/db", { host: "::1", port: "1", dbname: "db" }],
    // psql: tried "a" then "b" (port 1, then the default).
    ["postgresql://a:1,b/db", { host: "a,b", port: "1,", dbname: "db" }],
    ["postgresql://a,b:2", { host: "a,b", port: ",2" }],
    ["postgresql://[::1]:1,[::2],h:3", { host: "::1,::2,h", port: "1,,3" }],
    // psql: socket "/x y/.s.PGSQL.7".
    ["postgresql://%2Fx%20y:7/db", { host: "/x y", port: "7", dbname: "db" }],
    // psql: socket /q, default port.
    ["postgresql://u@/db?host=/q", { user: "u", dbname: "db", host: "/q" }],
    // psql: socket /var/run/postgresql port 5 (no host given).
    ["postgresql://:5/db", { port: "5", dbname: "db" }],
    // psql: socket /q port 6: query parameters override the parts before them.
    ["postgresql://%2Fq:5/db?port=6", { host: "/q", port: "6", dbname: "db" }],
    // psql: application_name was `a+b c`: "+" is not a space.
    ["postgresql://h/db?application_name=a+b%20c", { host: "h", dbname: "db", application_name: "a+b c" }],
    // psql: logged in with password `pw:x`; options -c search_path=foo applied.
    [
      "postgresql://trust_user:pw%3Ax@/pgwire_test?host=/s&options=-c%20search_path%3Dfoo",
      { user: "trust_user", password: "pw:x", dbname: "pgwire_test", host: "/s", options: "-c search_path=foo" }
    ],
    ["postgresql://u:p:q@h", { user: "u", password: "p:q", host: "h" }],
    ["postgresql://h/?dbname=x", { host: "h", dbname: "x" }],
    ["postgresql://h/db?", { host: "h", dbname: "db" }],
    ["postgresql://h?port=1", { host: "h", port: "1" }],
    ["postgresql://h/db?ssl=true", { host: "h", dbname: "db", sslmode: "require" }],
    // psql: connection attempted (sslmode=disable given after ssl=true wins).
    ["postgres://h/db?ssl=true&sslmode=disable", { host: "h", dbname: "db", sslmode: "disable" }],
    ["postgresql://%E2%82%AC@h/%C3%A9", { user: "€", host: "h", dbname: "é" }],
    ["postgresql://h/db?%61pplication_name=x", { host: "h", dbname: "db", application_name: "x" }],
    ["postgresql://h/db?host=%2Fa,%2Fb&port=1,2", { host: "/a,/b", dbname: "db", port: "1,2" }]
  ]
  for (const [text, expected] of cases) {
    it(text, () => {
      expect(ok(text)).toEqual(expected)
      expect(Result.isSuccess(parseUri(text))).toBe(true)
    })
  }

  const errors: ReadonlyArray<readonly [string, string]> = [
    // psql: `invalid URI query parameter: "foo"`.
    ["postgresql://h/db?foo=1", `invalid URI query parameter: "foo"`],
    ["postgresql://h/db?ssl=false", `invalid URI query parameter: "ssl"`],
    // psql: `missing key/value separator "=" in URI query parameter: "port"`.
    ["postgresql://h/db?port", `missing key/value separator "=" in URI query parameter: "port"`],
    // psql: `extra key/value separator "=" in URI query parameter: "port"`.
    ["postgresql://h/db?port=1=2", `extra key/value separator "=" in URI query parameter: "port"`],
    // psql: `invalid percent-encoded token: "%zz"`.
    ["postgresql://h/db?port=%zz", `invalid percent-encoded token: "%zz"`],
    ["postgresql://h/db?port=%2", `invalid percent-encoded token: "%2"`],
    // psql: `forbidden value %00 in percent-encoded value: "%00"`.
    ["postgresql://h/db?port=%00", `forbidden value %00 in percent-encoded value: "%00"`],
    // psql: `end of string reached when looking for matching "]" in IPv6 host address in URI: "postgresql://[::1/db"`.
    ["postgresql://[::1/db", `end of string reached when looking for matching "]" in IPv6 host address in URI: "postgresql://[::1/db"`],
    ["postgresql://[]/db", `IPv6 host address may not be empty in URI: "postgresql://[]/db"`],
    ["postgresql://[::1]x/db", `unexpected character "x" at position 19 in URI (expected ":" or "/"): "postgresql://[::1]x/db"`],
    ["postgresql://h/%FF", `percent-encoded value is not valid UTF-8: "%FF"`]
  ]
  for (const [text, message] of errors) {
    it(`fails: ${text}`, () => {
      expect(failure(text).message).toBe(message)
    })
  }

  it("never repeats the password in a message", () => {
    for (const text of ["postgresql://u:s3cret@[::1/db", "postgresql://u:s3cret%zz@h/db", "postgresql://h/db?password=s3cret%zz"]) {
      const message = failure(text).message
      expect(message).not.toContain("s3cret")
    }
    expect(failure("postgresql://u:s3cret@[::1/db").message).toContain("postgresql://u:****@[::1/db")
  })

  it("never repeats a fragment of a password in a key=value message", () => {
    for (const text of ["password=abc def", "password=abc def=1", "sslpassword=abc def host=h", "password='it''def'"]) {
      const message = failure(text).message
      expect(message).not.toContain("def")
      expect(message).toContain("password")
    }
    // After an ordinary value the offending word is named, as in libpq.
    expect(failure("user=abc def").message).toBe(`missing "=" after "def" in connection info string`)
  })

  it("percent-decoding leaves text without escapes alone and decodes UTF-8 sequences", () => {
    expect(percentDecode("plain")).toEqual(Result.succeed("plain"))
    expect(percentDecode("%41%62c%e2%82%ac")).toEqual(Result.succeed("Abc€"))
  })
})

describe("as options", () => {
  it.effect("parseConnectionString maps key words to fields; files stay paths; the password is Redacted", () =>
    Effect.gen(function*() {
      const config = yield* parseConnectionString(
        "host=a,b port=1,2 dbname=d user=u password=pw sslmode=verify-full sslrootcert=/r.pem sslcert=/c.pem sslkey=/k.pem target_session_attrs=read-write load_balance_hosts=random application_name=app"
      )
      expect(config).toMatchObject({
        host: "a,b",
        port: "1,2",
        database: "d",
        user: "u",
        sslMode: "verify-full",
        sslRootCertFile: "/r.pem",
        sslCertFile: "/c.pem",
        sslKeyFile: "/k.pem",
        targetSessionAttrs: "read-write",
        loadBalanceHosts: "random",
        applicationName: "app"
      })
      expect(Redacted.isRedacted(config.password)).toBe(true)
      expect(String(config.password)).not.toContain("pw")
      expect(Redacted.value(config.password as Redacted.Redacted<string>)).toBe("pw")
    }))

  it.effect("fromUrl accepts URIs only, with libpq's key words as query parameters", () =>
    Effect.gen(function*() {
      const config = yield* fromUrl("postgres://u:p@h:5433/db?sslmode=require&application_name=x&keepalives=0")
      expect(config).toMatchObject({ host: "h", port: "5433", user: "u", database: "db", sslMode: "require", applicationName: "x", keepAlive: false })
      const notUri = yield* Effect.flip(fromUrl("host=h"))
      expect(notUri.message).toMatch(/postgresql:\/\//)
      const badScheme = yield* Effect.flip(fromUrl("mysql://u:secret@h/db"))
      expect(badScheme.message).not.toContain("secret")
      const unknown = yield* Effect.flip(fromUrl("postgres://h/db?nope=1"))
      expect(unknown.message).toBe(`invalid URI query parameter: "nope"`)
      expect(unknown.key).toBe("nope")
    }))
})
