/**
 * `effect-pgwire proxy` run as a person runs it, in front of the test
 * PostgreSQL 18: TLS and SCRAM end at the proxy (its own users file; a
 * wrong password is refused there), the client checks of the PGlite engine
 * pass unchanged through it (pg and postgres.js pools of 8), a cancel
 * reaches the upstream statement, and the query log names what ran.
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import pg from "pg"
import postgres from "postgres"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { pgChecks, postgresJsChecks, type Target } from "../engines/clientChecks.ts"
import { postgres as upstreamInfo } from "../support/context.ts"
import { locate, run, runCli, type Running, startCli } from "./support.ts"

let proxy: Running
let dir: string
let target: Target

beforeAll(async () => {
  const info = upstreamInfo()
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "pgwire-proxy-"))
  const users = path.join(dir, "users.txt")
  await fs.writeFile(users, "# proxy users\nalice:alice-secret\n\"bob\" \"bob-secret\"\n")
  const upstream = `postgresql://${info.superuser.user}:${info.superuser.password}@127.0.0.1:${info.port}/${info.database}?sslmode=disable`
  proxy = await startCli([
    "proxy",
    "--upstream", upstream,
    "--listen", "127.0.0.1:0",
    "--users", users,
    "--tls-cert", info.certs.serverLocalhost.certFile,
    "--tls-key", info.certs.serverLocalhost.keyFile,
    "--log"
  ])
  target = { host: "127.0.0.1", port: proxy.port, user: "alice", password: "alice-secret", database: info.database, ssl: { ca: info.certs.ca.cert } }
})

afterAll(async () => {
  await proxy?.stop()
  if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true })
})

describe("proxy in front of PostgreSQL 18", () => {
  it("names the upstream on its start-up line", () => {
    expect(proxy.line).toMatch(/effect-pgwire proxy: 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+\/pgwire_test \(PostgreSQL 18/)
    expect(proxy.line).toContain("SCRAM-SHA-256, TLS")
  })

  it("ends TLS and SCRAM at the proxy: the session is encrypted, a wrong password is refused", async () => {
    const client = new pg.Client({ ...target, ssl: { ca: target.ssl!.ca, servername: "localhost" } })
    await client.connect()
    try {
      expect((await client.query("SELECT current_user AS upstream_user")).rows[0].upstream_user).toBe(upstreamInfo().superuser.user)
    } finally {
      await client.end()
    }
    const wrong = new pg.Client({ ...target, password: "nope", ssl: { ca: target.ssl!.ca, servername: "localhost" } })
    await expect(wrong.connect()).rejects.toMatchObject({ code: "28P01" })
    const psql = await run(locate("psql"), ["-X", "-c", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
      `postgresql://bob@127.0.0.1:${proxy.port}/${target.database}?sslmode=verify-full&sslrootcert=${upstreamInfo().certs.ca.certFile}&host=localhost&hostaddr=127.0.0.1`
    ], { env: { PGPASSWORD: "bob-secret" } })
    expect(psql.stderr).toBe("")
    // The proxy's upstream session is not encrypted (sslmode=disable); the client's is, at the proxy.
    expect(psql.stdout).toMatch(/ssl\s*\n-+\n\s*f\n/)
  })

  it("passes the pg pool checks", () => pgChecks(target), 30_000)

  it("passes the postgres.js pool checks", () => postgresJsChecks(target), 30_000)

  it("forwards a cancel to the upstream statement", async () => {
    const sql = postgres({ ...target, ssl: { ca: target.ssl!.ca, servername: "localhost" }, max: 1, onnotice: () => {} })
    try {
      const running = sql`SELECT pg_sleep(30)`.execute()
      setTimeout(() => void running.cancel(), 200)
      await expect(running).rejects.toMatchObject({ code: "57014" })
      expect((await sql`SELECT 1 AS still`)[0]!.still).toBe(1)
    } finally {
      await sql.end({ timeout: 5 })
    }
  })

  it("logs statements with their durations", () => {
    expect(proxy.output()).toMatch(/\[\d+ alice\] \d+\.\d\d ms SELECT 1: SELECT current_user AS upstream_user/)
  })

  it("reports a bad upstream URL in words", async () => {
    const result = await runCli(["proxy", "--upstream", "postgresql://x@127.0.0.1:1/db?sslmode=bogus", "--listen", "127.0.0.1:0"])
    expect(result.code).not.toBe(0)
    expect(result.output).toContain("invalid upstream connection string")
  })
})
