/**
 * The password file, matched as libpq matches it. psql 15 was the oracle:
 * each case says what psql did with the same line (connecting to a server on
 * a Unix socket in a non-default directory, with a role whose pg_hba.conf
 * method is `password`). Permission checks run against real temporary
 * files.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { afterAll } from "vitest"
import { load, resolve } from "../../../src/client/Config.ts"
import { nodeFiles } from "../../../src/client/config/Files.ts"
import { DEFAULT_SOCKET_DIR } from "../../../src/client/config/Keywords.ts"
import { findPassword, passwordFromFile, pgpassHost } from "../../../src/client/config/PgPass.ts"

const socketDir = "/tmp/pgwire-pg-x/socket"
const query = { host: socketDir, port: 46403, database: "pgwire_test", user: "password_user" }

describe("matching", () => {
  const cases: ReadonlyArray<readonly [string, string | undefined]> = [
    // psql: "no password supplied": localhost is not a non-default socket directory.
    ["localhost:*:*:password_user:secret\n", undefined],
    // psql: connected.
    [`${socketDir}:*:*:password_user:secret\n`, "secret"],
    // psql: connected.
    ["*:46403:pgwire_test:password_user:secret\n", "secret"],
    // psql: "password authentication failed" with the first line's password: the first match wins.
    ["*:*:*:*:wrong\n*:*:*:password_user:secret\n", "wrong"],
    ["*:*:*:other_user:wrong\n*:*:*:password_user:secret\n", "secret"],
    // psql: "no password supplied": comment lines are skipped.
    ["#*:*:*:password_user:secret\n", undefined],
    // psql: "no password supplied": leading whitespace is part of the field.
    ["  *:*:*:password_user:secret\n", undefined],
    // psql: connected: the password ends at the next ":".
    ["*:*:*:password_user:secret:extra\n", "secret"],
    // psql: "password authentication failed": trailing spaces belong to the password.
    ["*:*:*:password_user:secret  \n", "secret  "],
    // psql: connected: CR LF line ends.
    ["*:*:*:password_user:secret\r\n", "secret"],
    ["*:*:*:password_user:secret", "secret"],
    // psql: "no password supplied": no password field.
    ["*:*:*:password_user\n", undefined],
    // psql: connected: `\u` in a field is a literal "u".
    ["*:*:*:password_\\user:secret\n", "secret"],
    // psql: "no password supplied": "*" is a wildcard only as the whole field.
    ["*:*:*:passwo*:secret\n", undefined],
    // psql: connected with "password-secret": escapes in the password.
    ["*:*:*:*:password\\-secret\n", "password-secret"],
    ["*:*:*:*:a\\:b\\\\c:d\n", "a:b\\c"],
    ["*:*:*:*:\n", ""],
    ["\n\n*:*:*:*:after-blank-lines\n", "after-blank-lines"],
    [`${socketDir}:46404:*:*:other-port\n*:*:*:*:any\n`, "any"],
    ["*:*:other_db:*:other-db\n*:*:pgwire_test:*:this-db\n", "this-db"]
  ]
  for (const [text, expected] of cases) {
    it(JSON.stringify(text), () => {
      expect(findPassword(text, query)).toBe(expected)
    })
  }

  it("colons in a host (IPv6): escaped, or even bare, since characters are compared before the separator", () => {
    const v6 = { host: "::1", port: 5432, database: "db", user: "u" }
    expect(findPassword("\\:\\:1:5432:db:u:v6\n", v6)).toBe("v6")
    expect(findPassword("::1:5432:db:u:v6\n", v6)).toBe("v6")
    // An escaped colon is never the end of the field.
    expect(findPassword("a\\:5432:5432:db:u:x\n", { host: "a", port: 5432, database: "db", user: "u" })).toBeUndefined()
    expect(findPassword("a\\:5432:5432:db:u:x\n", { host: "a:5432", port: 5432, database: "db", user: "u" })).toBe("x")
  })

  it("localhost stands for no host and for the default socket directory only", () => {
    expect(pgpassHost("")).toBe("localhost")
    expect(pgpassHost(DEFAULT_SOCKET_DIR)).toBe("localhost")
    expect(pgpassHost("/tmp")).toBe("/tmp")
    expect(pgpassHost("db.example")).toBe("db.example")
    const line = "localhost:5432:db:u:local\n"
    expect(findPassword(line, { host: DEFAULT_SOCKET_DIR, port: 5432, database: "db", user: "u" })).toBe("local")
    expect(findPassword(line, { host: "localhost", port: 5432, database: "db", user: "u" })).toBe("local")
  })

  it("no lookup without a database or user name", () => {
    expect(findPassword("*:*:*:*:x\n", { ...query, database: "" })).toBeUndefined()
    expect(findPassword("*:*:*:*:x\n", { ...query, user: "" })).toBeUndefined()
  })
})

describe("the file", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pgwire-pgpass-"))
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }))
  const write = (name: string, text: string, mode: number): string => {
    const file = path.join(tmp, name)
    fs.writeFileSync(file, text, { mode })
    fs.chmodSync(file, mode)
    return file
  }

  it.effect("mode 0600 is read", () =>
    Effect.gen(function*() {
      const file = write("ok", "*:*:*:*:secret\n", 0o600)
      expect(yield* passwordFromFile(nodeFiles, file, query)).toEqual({ password: "secret", warning: undefined })
    }))

  it.effect("group or world access: ignored with libpq's warning", () =>
    Effect.gen(function*() {
      // psql: `WARNING: password file "pgpass" has group or world access; permissions should be u=rw (0600) or less`.
      for (const mode of [0o640, 0o604, 0o660, 0o610]) {
        const file = write(`loose-${mode.toString(8)}`, "*:*:*:*:secret\n", mode)
        const result = yield* passwordFromFile(nodeFiles, file, query)
        expect(result.password).toBeUndefined()
        expect(result.warning).toBe(`password file "${file}" has group or world access; permissions should be u=rw (0600) or less`)
      }
    }))

  it.effect("not a plain file: ignored with a warning; missing: ignored silently", () =>
    Effect.gen(function*() {
      // psql: `WARNING: password file "pgdir" is not a plain file`.
      const dir = path.join(tmp, "dir")
      fs.mkdirSync(dir, { mode: 0o700 })
      expect(yield* passwordFromFile(nodeFiles, dir, query)).toEqual({ password: undefined, warning: `password file "${dir}" is not a plain file` })
      expect(yield* passwordFromFile(nodeFiles, path.join(tmp, "missing"), query)).toEqual({ password: undefined, warning: undefined })
    }))

  it.effect("resolve looks each host up on its own; an explicit password wins; an empty one does not count", () =>
    Effect.gen(function*() {
      const file = write("hosts", "a:5432:db:u:pw-a\nb:5433:db:u:pw-b\n", 0o600)
      const config = yield* resolve({ host: "a,b,c", port: "5432,5433,5434", database: "db", user: "u", passfile: file })
      expect(config.targets.map((t) => t.password === undefined ? undefined : Redacted.value(t.password))).toEqual(["pw-a", "pw-b", undefined])
      expect(config.targets.map((t) => t.passwordFile)).toEqual([file, file, undefined])
      expect(Redacted.value(config.password!)).toBe("pw-a")
      const explicit = yield* resolve({ host: "a,b", port: "5432,5433", database: "db", user: "u", passfile: file, password: "given" })
      expect(explicit.targets.map((t) => Redacted.value(t.password!))).toEqual(["given", "given"])
      expect(explicit.targets.every((t) => t.passwordFile === undefined)).toBe(true)
      const empty = yield* resolve({ host: "a", database: "db", user: "u", passfile: file, password: "" })
      expect(Redacted.value(empty.password!)).toBe("pw-a")
    }))

  it.effect("an unsafe file leaves a warning in the resolved configuration", () =>
    Effect.gen(function*() {
      const file = write("unsafe", "*:*:*:*:pw\n", 0o644)
      const config = yield* resolve({ host: "a,b", database: "db", user: "u", passfile: file })
      expect(config.password).toBeUndefined()
      expect(config.warnings).toEqual([`password file "${file}" has group or world access; permissions should be u=rw (0600) or less`])
    }))

  it.effect("load: passfile, then PGPASSFILE, then ~/.pgpass", () =>
    Effect.gen(function*() {
      const home = path.join(tmp, "home")
      fs.mkdirSync(home)
      write("home/.pgpass", "*:*:*:*:from-home\n", 0o600)
      const fromEnv = write("env-pgpass", "*:*:*:*:from-env\n", 0o600)
      const fromKeyword = write("kw-pgpass", "*:*:*:*:from-keyword\n", 0o600)
      const base = { home, osUser: "me" }
      const pw = (c: { readonly password: Redacted.Redacted<string> | undefined }) => c.password === undefined ? undefined : Redacted.value(c.password)
      expect(pw(yield* load("host=h", { ...base, env: {} }))).toBe("from-home")
      expect(pw(yield* load("host=h", { ...base, env: { PGPASSFILE: fromEnv } }))).toBe("from-env")
      expect(pw(yield* load(`host=h passfile=${fromKeyword}`, { ...base, env: { PGPASSFILE: fromEnv } }))).toBe("from-keyword")
      expect(pw(yield* load("host=h password=explicit", { ...base, env: { PGPASSFILE: fromEnv } }))).toBe("explicit")
      expect(pw(yield* load("host=h", { ...base, env: { PGPASSFILE: fromEnv, PGPASSWORD: "env-password" } }))).toBe("env-password")
    }))
})
