/**
 * Resolved configurations against the shared real PostgreSQL 18: a key word
 * string with a root certificate file for verify-full, a password found in a
 * real pgpass file (and ignored when the file is unsafe), and a service
 * file.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import { afterAll } from "vitest"
import { load, parseConnectionString, type ResolvedConfig } from "../../../src/client/Config.ts"
import { PgConnection } from "../../../src/client/PgConnection.ts"
import { postgres as server } from "../../support/context.ts"

const pg = server()
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pgwire-config-it-"))
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }))
const write = (name: string, text: string, mode = 0o600): string => {
  const file = path.join(tmp, name)
  fs.writeFileSync(file, text, { mode })
  fs.chmodSync(file, mode)
  return file
}

/** Connects to the first target of a resolved configuration (what a single-host connection does). */
const connectResolved = (config: ResolvedConfig) => {
  const target = config.targets[0]!
  return PgConnection.make({
    host: target.host,
    port: target.port,
    user: config.user,
    database: config.database,
    sslMode: "disable",
    ...(target.password !== undefined ? { password: target.password } : {}),
    parameters: config.startupParameters
  })
}

const whoami = "SELECT current_user AS who, current_setting('application_name') AS app"

describe("against a real server", () => {
  it.live("a key word string with sslrootcert names a file; verify-full succeeds", () =>
    Effect.scoped(Effect.gen(function*() {
      const { password, user } = pg.roles.scram
      const options = yield* parseConnectionString(
        `host=localhost port=${pg.port} user=${user} password='${password}' dbname=${pg.database} sslmode=verify-full sslrootcert='${pg.certs.ca.certFile}' application_name='from string'`
      )
      const c = yield* PgConnection.make(options)
      const row = (yield* c.query(`SELECT ssl, current_user AS who FROM pg_stat_ssl WHERE pid = pg_backend_pid()`)).rows[0]!
      expect(row).toEqual({ ssl: true, who: user })
    })))

  it.live("a password from a pgpass file, looked up for the socket directory", () =>
    Effect.scoped(Effect.gen(function*() {
      const { password, user } = pg.roles.password
      const passfile = write("pgpass", `# test\n${pg.socketDir}:${pg.port}:${pg.database}:${user}:${password.replaceAll(":", "\\:")}\n`)
      const config = yield* load(`host=${pg.socketDir} port=${pg.port} dbname=${pg.database} user=${user} application_name=pgpass`, {
        env: { PGPASSFILE: passfile },
        home: tmp,
        osUser: "nobody"
      })
      expect(config.targets[0]!.passwordFile).toBe(passfile)
      const c = yield* connectResolved(config)
      expect((yield* c.query(whoami)).rows[0]).toEqual({ who: user, app: "pgpass" })
    })))

  it.live("an unsafe pgpass file is ignored: the server's password request then fails", () =>
    Effect.gen(function*() {
      const { password, user } = pg.roles.password
      const passfile = write("pgpass-open", `*:*:*:*:${password}\n`, 0o644)
      const config = yield* load(`host=${pg.socketDir} port=${pg.port} dbname=${pg.database} user=${user}`, {
        env: { PGPASSFILE: passfile },
        home: tmp,
        osUser: "nobody"
      })
      expect(config.password).toBeUndefined()
      expect(config.warnings[0]).toContain("has group or world access")
      const error = yield* Effect.flip(Effect.scoped(connectResolved(config)))
      expect(error._tag).toBe("AuthError")
    }))

  it.live("a service file names the server; PGSERVICE picks it", () =>
    Effect.scoped(Effect.gen(function*() {
      const serviceFile = write(
        "services.conf",
        `[test]\nhost=${pg.socketDir}\nport=${pg.port}\nuser=${pg.roles.trust.user}\ndbname=${pg.database}\napplication_name=via service\n`
      )
      const config = yield* load("", { env: { PGSERVICE: "test", PGSERVICEFILE: serviceFile, PGAPPNAME: "from env" }, home: tmp, osUser: "nobody" })
      const c = yield* connectResolved(config)
      expect((yield* c.query(whoami)).rows[0]).toEqual({ who: pg.roles.trust.user, app: "via service" })
    })))
})
