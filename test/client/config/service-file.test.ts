/**
 * Connection service files, read as libpq reads them, from real temporary
 * files. psql 15 was the oracle (`PGSERVICEFILE=... psql service=svc`); each
 * case says what it did.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import { afterAll } from "vitest"
import { load } from "../../../src/client/Config.ts"
import { nodeFiles } from "../../../src/client/config/Files.ts"
import { lookupService, parseServiceFile } from "../../../src/client/config/ServiceFile.ts"

const parse = (text: string, service = "svc") => parseServiceFile(text, service, "test.conf")

describe("parsing", () => {
  it("a section's key words; comments, blank lines and surrounding whitespace ignored", () => {
    // psql: connected with host, port, user, dbname and application_name "from service".
    const text = "# comment\n[svc]\nhost=/s\nport=5432\nuser=trust_user\ndbname=pgwire_test\napplication_name=from service\n\n[other]\nuser=postgres\n"
    expect(parse(text)).toEqual(Result.succeed({
      found: true,
      values: { host: "/s", port: "5432", user: "trust_user", dbname: "pgwire_test", application_name: "from service" }
    }))
    // psql: connected: leading and trailing whitespace of a line are dropped.
    expect(parse("[svc]\n  host=/s  \n\tport=1\n")).toEqual(Result.succeed({ found: true, values: { host: "/s", port: "1" } }))
    expect(parse("[other]\nhost=/s\n")).toEqual(Result.succeed({ found: false, values: {} }))
  })

  it("the first value of a key word wins; the section ends at the next one", () => {
    // psql: port 1 both times.
    expect(parse("[svc]\nport=1\nport=2\n")).toEqual(Result.succeed({ found: true, values: { port: "1" } }))
    expect(parse("[svc]\nport=1\n[svc]\nport=2\n")).toEqual(Result.succeed({ found: true, values: { port: "1" } }))
    expect(parse("[a]\nport=9\n[svc]\nport=1\n[b]\nport=2\n")).toEqual(Result.succeed({ found: true, values: { port: "1" } }))
  })

  it("section names: compared as libpq does", () => {
    // psql: `[svc]junk` is the service svc.
    expect(parse("[svc]junk\nport=1\n")).toEqual(Result.succeed({ found: true, values: { port: "1" } }))
    // psql: `definition of service "svc" not found` for `[ svc ]`.
    expect(parse("[ svc ]\nport=1\n")).toEqual(Result.succeed({ found: false, values: {} }))
    expect(parse("[svcx]\nport=1\n")).toEqual(Result.succeed({ found: false, values: {} }))
    expect(parse("[]\nport=1\n", "")).toEqual(Result.succeed({ found: true, values: { port: "1" } }))
  })

  it("values are taken verbatim after the first =", () => {
    expect(parse("[svc]\noptions=-c search_path=a,b\napplication_name='quoted'\n")).toEqual(
      Result.succeed({ found: true, values: { options: "-c search_path=a,b", application_name: "'quoted'" } })
    )
  })

  const errors: ReadonlyArray<readonly [string, string]> = [
    // psql: `syntax error in service file "svc2.conf", line 2` (a space before "=" makes the key word unknown).
    ["[svc]\nhost = /s\n", `syntax error in service file "test.conf", line 2`],
    // psql: `syntax error in service file "svc4.conf", line 2`.
    ["[svc]\nfoo=1\n", `syntax error in service file "test.conf", line 2`],
    // psql: `syntax error in service file "svc6.conf", line 2`.
    ["[svc]\nhost\n", `syntax error in service file "test.conf", line 2`],
    // psql: `nested service specifications not supported in service file "svc5.conf", line 2`.
    ["[svc]\nservice=x\n", `nested service specifications not supported in service file "test.conf", line 2`],
    ["# c\n\n[svc]\nport=1\nrequiressl=1\n", `syntax error in service file "test.conf", line 5`]
  ]
  for (const [text, message] of errors) {
    it(`fails: ${JSON.stringify(text)}`, () => {
      const result = parse(text)
      expect(Result.isFailure(result) && result.failure.message).toBe(message)
    })
  }

  it("errors in other sections do not matter", () => {
    expect(Result.isSuccess(parse("[other]\nfoo bar\n[svc]\nport=1\n"))).toBe(true)
  })
})

describe("finding the service", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pgwire-service-"))
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }))
  const write = (name: string, text: string): string => {
    const file = path.join(tmp, name)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, text)
    return file
  }
  const userFile = write("user.conf", "[svc]\nport=1\n[both]\nport=10\n")
  const sysconfDir = path.join(tmp, "sys")
  write("sys/pg_service.conf", "[sys]\nport=3\n[svc]\nport=4\n[both]\nport=20\n")
  const home = path.join(tmp, "home")
  write("home/.pg_service.conf", "[svc]\nport=5\n")

  it.effect("the user's file first, then the system's", () =>
    Effect.gen(function*() {
      // psql: port 3 (only in the system file), port 1 (the user file wins).
      expect(yield* lookupService(nodeFiles, "sys", { serviceFile: userFile, home, sysconfDir })).toEqual({ port: "3" })
      expect(yield* lookupService(nodeFiles, "svc", { serviceFile: userFile, home, sysconfDir })).toEqual({ port: "1" })
      expect(yield* lookupService(nodeFiles, "both", { serviceFile: userFile, home, sysconfDir })).toEqual({ port: "10" })
      // No PGSERVICEFILE: ~/.pg_service.conf.
      expect(yield* lookupService(nodeFiles, "svc", { serviceFile: undefined, home, sysconfDir })).toEqual({ port: "5" })
      // No home file at all: straight to the system file.
      expect(yield* lookupService(nodeFiles, "svc", { serviceFile: undefined, home: path.join(tmp, "nohome"), sysconfDir })).toEqual({ port: "4" })
    }))

  it.effect("errors", () =>
    Effect.gen(function*() {
      // psql: `service file "missing.conf" not found`: a named service file must exist.
      const missing = path.join(tmp, "missing.conf")
      const noFile = yield* Effect.flip(lookupService(nodeFiles, "svc", { serviceFile: missing, home, sysconfDir }))
      expect(noFile.message).toBe(`service file "${missing}" not found`)
      // psql: `definition of service "nope" not found`.
      const noService = yield* Effect.flip(lookupService(nodeFiles, "nope", { serviceFile: userFile, home, sysconfDir }))
      expect(noService.message).toBe(`definition of service "nope" not found`)
      expect(noService.key).toBe("service")
      const broken = write("broken.conf", "[svc]\nbogus=1\n")
      expect((yield* Effect.flip(lookupService(nodeFiles, "svc", { serviceFile: broken, home, sysconfDir }))).message).toBe(
        `syntax error in service file "${broken}", line 2`
      )
    }))

  it.effect("precedence: explicit values, then the service, then the environment", () =>
    Effect.gen(function*() {
      const file = write("apps.conf", `[app]\nhost=/from-service\napplication_name=from service\nport=7\n`)
      const base = { home, osUser: "me", files: nodeFiles }
      // psql: "from service" even with PGAPPNAME=env.
      const viaEnv = yield* load("service=app", { ...base, env: { PGSERVICEFILE: file, PGAPPNAME: "env", PGDATABASE: "envdb" } })
      expect(viaEnv.startupParameters.application_name).toBe("from service")
      expect(viaEnv.database).toBe("envdb")
      expect(viaEnv.host).toBe("/from-service")
      // psql: "explicit".
      const explicit = yield* load("service=app application_name=explicit port=8", { ...base, env: { PGSERVICEFILE: file } })
      expect(explicit.startupParameters.application_name).toBe("explicit")
      expect(explicit.port).toBe(8)
      // psql: PGSERVICE alone selects the service.
      const fromPgservice = yield* load("", { ...base, env: { PGSERVICEFILE: file, PGSERVICE: "app" } })
      expect(fromPgservice.port).toBe(7)
      // libpq 18's servicefile key word.
      const keyword = yield* load(`service=app servicefile=${file}`, { ...base, env: {} })
      expect(keyword.port).toBe(7)
      // PGSYSCONFDIR.
      const system = yield* load("service=sys", { ...base, env: { PGSYSCONFDIR: sysconfDir } })
      expect(system.port).toBe(3)
      // An options object: its fields win over the service.
      const object = yield* load({ service: "app", port: 9 }, { ...base, env: { PGSERVICEFILE: file } })
      expect([object.host, object.port]).toEqual(["/from-service", 9])
      const unknown = yield* Effect.flip(load("service=ghost", { ...base, env: { PGSERVICEFILE: file } }))
      expect(unknown.message).toBe(`definition of service "ghost" not found`)
    }))
})
