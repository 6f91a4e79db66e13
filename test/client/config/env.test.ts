/**
 * The `PG*` environment variables and libpq's precedence and defaults, with
 * the environment passed in explicitly. psql 15 was the oracle where the
 * documentation leaves a case open (recorded next to the case).
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { afterAll } from "vitest"
import { load, type LoadOptions } from "../../../src/client/Config.ts"
import { ENV_VARIABLES, fromEnv, startupParametersFromEnv } from "../../../src/client/config/Env.ts"
import { DEFAULT_SOCKET_DIR, type Keyword } from "../../../src/client/config/Keywords.ts"

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pgwire-env-"))
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }))
const emptyHome = path.join(tmp, "home")
fs.mkdirSync(emptyHome)

const options = (env: Record<string, string>): LoadOptions => ({ env, home: emptyHome, osUser: "osuser" })

describe("fromEnv", () => {
  // libpq-envars: the variable of every key word that has one.
  const table: ReadonlyArray<readonly [string, Keyword]> = [
    ["PGHOST", "host"],
    ["PGHOSTADDR", "hostaddr"],
    ["PGPORT", "port"],
    ["PGDATABASE", "dbname"],
    ["PGUSER", "user"],
    ["PGPASSWORD", "password"],
    ["PGPASSFILE", "passfile"],
    ["PGSERVICE", "service"],
    ["PGSERVICEFILE", "servicefile"],
    ["PGOPTIONS", "options"],
    ["PGAPPNAME", "application_name"],
    ["PGSSLMODE", "sslmode"],
    ["PGSSLNEGOTIATION", "sslnegotiation"],
    ["PGSSLCOMPRESSION", "sslcompression"],
    ["PGSSLCERT", "sslcert"],
    ["PGSSLKEY", "sslkey"],
    ["PGSSLCERTMODE", "sslcertmode"],
    ["PGSSLROOTCERT", "sslrootcert"],
    ["PGSSLCRL", "sslcrl"],
    ["PGSSLCRLDIR", "sslcrldir"],
    ["PGSSLSNI", "sslsni"],
    ["PGREQUIREPEER", "requirepeer"],
    ["PGSSLMINPROTOCOLVERSION", "ssl_min_protocol_version"],
    ["PGSSLMAXPROTOCOLVERSION", "ssl_max_protocol_version"],
    ["PGMINPROTOCOLVERSION", "min_protocol_version"],
    ["PGMAXPROTOCOLVERSION", "max_protocol_version"],
    ["PGGSSENCMODE", "gssencmode"],
    ["PGKRBSRVNAME", "krbsrvname"],
    ["PGGSSLIB", "gsslib"],
    ["PGGSSDELEGATION", "gssdelegation"],
    ["PGCONNECT_TIMEOUT", "connect_timeout"],
    ["PGCLIENTENCODING", "client_encoding"],
    ["PGREQUIREAUTH", "require_auth"],
    ["PGCHANNELBINDING", "channel_binding"],
    ["PGTARGETSESSIONATTRS", "target_session_attrs"],
    ["PGLOADBALANCEHOSTS", "load_balance_hosts"]
  ]

  it("maps every variable to its key word, and only those", () => {
    const env = Object.fromEntries(table.map(([variable], i) => [variable, `v${i}`]))
    const info = fromEnv({ ...env, HOME: "/home/x", PGSYSCONFDIR: "/etc/x", PGTZ: "UTC", UNRELATED: "1" })
    expect(info).toEqual(Object.fromEntries(table.map(([, keyword], i) => [keyword, `v${i}`])))
    expect(new Map([...ENV_VARIABLES].map(([k, v]) => [v, k]))).toEqual(new Map(table))
  })

  it("a variable that is set counts even when empty", () => {
    expect(fromEnv({ PGHOST: "", PGSSLMODE: "" })).toEqual({ host: "", sslmode: "" })
  })

  it("PGREQUIRESSL=1 is sslmode=require unless PGSSLMODE is set", () => {
    expect(fromEnv({ PGREQUIRESSL: "1" })).toEqual({ sslmode: "require" })
    expect(fromEnv({ PGREQUIRESSL: "0" })).toEqual({})
    expect(fromEnv({ PGREQUIRESSL: "1", PGSSLMODE: "disable" })).toEqual({ sslmode: "disable" })
  })

  it("PGDATESTYLE, PGTZ, PGGEQO become startup parameters unless 'default'", () => {
    expect(startupParametersFromEnv({ PGDATESTYLE: "ISO, DMY", PGTZ: "Europe/Paris", PGGEQO: "DEFAULT" })).toEqual({
      datestyle: "ISO, DMY",
      timezone: "Europe/Paris"
    })
  })
})

describe("load: precedence and defaults", () => {
  it.effect("defaults: the OS user, dbname = user, the Debian socket directory, port 5432", () =>
    Effect.gen(function*() {
      const config = yield* load("", options({}))
      expect(config).toMatchObject({ host: DEFAULT_SOCKET_DIR, port: 5432, user: "osuser", database: "osuser", sslMode: "prefer" })
      expect(config.targets).toHaveLength(1)
      expect(config.password).toBeUndefined()
    }))

  it.effect("the environment fills what the connection string leaves out", () =>
    Effect.gen(function*() {
      const config = yield* load(
        "host=/explicit application_name=explicit",
        options({ PGHOST: "/env", PGPORT: "6543", PGUSER: "envuser", PGDATABASE: "envdb", PGPASSWORD: "envpw", PGAPPNAME: "env", PGSSLMODE: "disable", PGCONNECT_TIMEOUT: "5" })
      )
      expect(config).toMatchObject({ host: "/explicit", port: 6543, user: "envuser", database: "envdb", sslMode: "disable" })
      expect(Redacted.value(config.password!)).toBe("envpw")
      expect(config.startupParameters.application_name).toBe("explicit")
      expect(Duration.toMillis(config.connectTimeout)).toBe(5_000)
    }))

  it.effect("an empty variable is the default where libpq treats it so, and an error where it does not", () =>
    Effect.gen(function*() {
      // psql: `PGHOST= psql port=3` used /var/run/postgresql/.s.PGSQL.3.
      expect((yield* load("port=3", options({ PGHOST: "" }))).host).toBe(DEFAULT_SOCKET_DIR)
      // psql: `PGPORT= psql host=/x` used port 5432.
      expect((yield* load("host=/x", options({ PGPORT: "" }))).port).toBe(5432)
      // psql: `invalid sslmode value: ""`.
      const error = yield* Effect.flip(load("host=/x", options({ PGSSLMODE: "" })))
      expect(error.message).toBe(`invalid sslmode value: ""`)
    }))

  it.effect("URIs merge with the environment the same way", () =>
    Effect.gen(function*() {
      const config = yield* load("postgresql://u@h1:1,h2/db", options({ PGPORT: "9", PGTARGETSESSIONATTRS: "read-write", PGLOADBALANCEHOSTS: "random" }))
      // The URI gave the ports "1,": the empty second entry is 5432, not PGPORT.
      expect(config.targets.map((t) => `${t.host}:${t.port}`)).toEqual(["h1:1", "h2:5432"])
      expect(config.targetSessionAttrs).toBe("read-write")
      expect(config.loadBalanceHosts).toBe("random")
      // A URI without a database leaves PGDATABASE in force.
      expect((yield* load("postgresql://u@h/", options({ PGDATABASE: "envdb" }))).database).toBe("envdb")
    }))

  it.effect("an options object: a field that is set hides the variables for it", () =>
    Effect.gen(function*() {
      const config = yield* load(
        { host: "/obj", sslRootCert: "PEM", keepAlive: false },
        options({ PGHOST: "/env", PGUSER: "envuser", PGSSLROOTCERT: path.join(tmp, "does-not-exist.crt") })
      )
      expect(config).toMatchObject({ host: "/obj", user: "envuser", sslRootCert: "PEM", keepAlive: false })
      // An empty string is no value (libpq's PQconnectdbParams): the variable applies.
      const empty = yield* load({ host: "/obj", password: "", applicationName: "" }, options({ PGPASSWORD: "envpw", PGAPPNAME: "envapp" }))
      expect(Redacted.value(empty.password!)).toBe("envpw")
      expect(empty.startupParameters.application_name).toBe("envapp")
      // The same variable is read (and fails) when nothing hides it.
      const error = yield* Effect.flip(load({ host: "/obj" }, options({ PGSSLROOTCERT: path.join(tmp, "does-not-exist.crt") })))
      expect(error.key).toBe("sslrootcert")
    }))

  it.effect("PGDATESTYLE and friends reach the startup packet; explicit parameters win", () =>
    Effect.gen(function*() {
      const config = yield* load({ parameters: { timezone: "UTC" } }, options({ PGTZ: "Asia/Tokyo", PGDATESTYLE: "ISO" }))
      expect(config.startupParameters).toMatchObject({ timezone: "UTC", datestyle: "ISO" })
    }))

  it.effect("~/.postgresql: root.crt, postgresql.crt and postgresql.key are used when they exist", () =>
    Effect.gen(function*() {
      const home = path.join(tmp, "with-certs")
      fs.mkdirSync(path.join(home, ".postgresql"), { recursive: true })
      fs.writeFileSync(path.join(home, ".postgresql", "root.crt"), "HOME ROOT")
      fs.writeFileSync(path.join(home, ".postgresql", "postgresql.crt"), "HOME CERT")
      fs.writeFileSync(path.join(home, ".postgresql", "postgresql.key"), "HOME KEY", { mode: 0o600 })
      fs.chmodSync(path.join(home, ".postgresql", "postgresql.key"), 0o600)
      const config = yield* load("host=h sslmode=require", { env: {}, home, osUser: "me" })
      expect(config.sslRootCert).toBe("HOME ROOT")
      expect(config.sslCert).toBe("HOME CERT")
      expect(Redacted.value(config.sslKey!)).toBe("HOME KEY")
      // Explicit settings win over the home files.
      const explicit = yield* load({ host: "h", sslRootCert: "MINE" }, { env: {}, home, osUser: "me" })
      expect(explicit.sslRootCert).toBe("MINE")
    }))

  it.effect("sslrootcert=system from the environment makes verify-full the default", () =>
    Effect.gen(function*() {
      expect((yield* load("host=h", options({ PGSSLROOTCERT: "system" }))).sslMode).toBe("verify-full")
      // An explicit weaker sslmode is refused, as libpq does.
      expect((yield* Effect.flip(load("host=h sslmode=prefer", options({ PGSSLROOTCERT: "system" })))).key).toBe("sslmode")
    }))

  it.effect("errors name the key word, whatever the source", () =>
    Effect.gen(function*() {
      expect((yield* Effect.flip(load("", options({ PGTARGETSESSIONATTRS: "nope" })))).key).toBe("target_session_attrs")
      expect((yield* Effect.flip(load("host=a,b port=1,2,3", options({})))).key).toBe("port")
      expect((yield* Effect.flip(load("bogus=1", options({})))).key).toBe("bogus")
    }))
})
