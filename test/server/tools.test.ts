/**
 * libpq's own tools against our server with the demo engine: psql (a
 * multi-statement string, `\copy` both ways, sslmode=require against a
 * TLS-only server, a SCRAM password from PGPASSWORD, a Unix socket) and
 * pgbench with a custom `SELECT 1` script in the simple, extended and
 * prepared query modes. The binaries are located with `which`; a missing
 * one fails the test (CI installs them).
 */
import { execFile, execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { AuthProvider } from "../../src/server/AuthProvider.ts"
import { serverTls, startServer, tempDirectory } from "./support/server.ts"

const locate = (tool: string): Effect.Effect<string, string> =>
  Effect.try({
    try: () => execFileSync("which", [tool], { encoding: "utf8" }).trim(),
    catch: () => `${tool} is not installed: this test needs it (apt-get install postgresql-client)`
  }).pipe(Effect.filterOrFail((path) => path !== "", () => `${tool} is not on PATH`))

interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const run = (file: string, args: ReadonlyArray<string>, options: { readonly env?: Record<string, string>; readonly input?: string } = {}): Effect.Effect<Run> =>
  Effect.callback<Run>((resume) => {
    const child = execFile(file, [...args], {
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: process.env["HOME"] ?? "/tmp", PGCONNECT_TIMEOUT: "10", ...options.env },
      timeout: 60_000
    }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1
      resume(Effect.succeed({ code, stdout, stderr }))
    })
    if (options.input !== undefined) child.stdin?.end(options.input)
    else child.stdin?.end()
    return Effect.sync(() => void child.kill())
  })

const psqlArgs = (port: number, user = "alice", host = "127.0.0.1", extra = ""): Array<string> =>
  ["-X", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-d", `host=${host} port=${port} user=${user} dbname=demo ${extra}`]

describe("psql", () => {
  it.live("a multi-statement string; an error fails the run", () =>
    Effect.scoped(Effect.gen(function*() {
      const psql = yield* locate("psql")
      const { port, engine } = yield* startServer()
      const ok = yield* run(psql, [...psqlArgs(port), "-c", "INSERT INTO kv VALUES ('a', '1'), ('b', '2'); SELECT count(*) FROM kv"])
      expect(ok.stderr).toBe("")
      expect(ok.code).toBe(0)
      expect(ok.stdout).toBe("INSERT 0 2\n2\n")
      expect(engine.table.size).toBe(2)
      const selected = yield* run(psql, [...psqlArgs(port), "-c", "SELECT key, value FROM kv ORDER BY key"])
      expect(selected.stdout).toBe("a|1\nb|2\n")
      const failed = yield* run(psql, [...psqlArgs(port), "-c", "SELECT 1/0"])
      expect(failed.code).not.toBe(0)
      expect(failed.stderr).toContain("division by zero")
      // The caret points into the whole string: positions count from the start of the Query.
      const syntax = yield* run(psql, [...psqlArgs(port), "-c", "SELECT 1; SELECT 2 FROM nowhere"])
      expect(syntax.stderr).toBe("ERROR:  syntax error at or near \"nowhere\"\nLINE 1: SELECT 1; SELECT 2 FROM nowhere\n                                ^\n")
    })))

  it.live("\\copy from stdin and to stdout", () =>
    Effect.scoped(Effect.gen(function*() {
      const psql = yield* locate("psql")
      const { port, engine } = yield* startServer()
      const load = yield* run(psql, [...psqlArgs(port), "-c", "\\copy kv from stdin with (format csv)"], { input: "x,10\ny,\"twenty, quoted\"\nz,\n" })
      expect(load.stderr).toBe("")
      expect(load.stdout).toBe("COPY 3\n")
      expect(Object.fromEntries(engine.table)).toEqual({ x: "10", y: "twenty, quoted", z: null })
      const dump = yield* run(psql, [...psqlArgs(port), "-c", "\\copy kv to stdout"])
      expect(dump.stdout).toBe("x\t10\ny\ttwenty, quoted\nz\t\\N\n")
    })))

  it.live("sslmode=require against a server that accepts only TLS; sslmode=disable is refused", () =>
    Effect.scoped(Effect.gen(function*() {
      const psql = yield* locate("psql")
      const { port } = yield* startServer({ tls: { ...serverTls(), required: true } })
      const secure = yield* run(psql, [...psqlArgs(port, "alice", "127.0.0.1", "sslmode=require"), "-c", "SELECT 'over tls'"])
      expect(secure.stderr).toBe("")
      expect(secure.stdout).toBe("over tls\n")
      const plain = yield* run(psql, [...psqlArgs(port, "alice", "127.0.0.1", "sslmode=disable"), "-c", "SELECT 1"])
      expect(plain.code).not.toBe(0)
      expect(plain.stderr).toContain("only TLS connections")
    })))

  it.live("a SCRAM password from PGPASSWORD; a wrong one is refused", () =>
    Effect.scoped(Effect.gen(function*() {
      const psql = yield* locate("psql")
      const auth = yield* AuthProvider.passwords({ method: "scram-sha-256", users: { alice: "s3cret" } })
      const { port } = yield* startServer({ auth })
      const ok = yield* run(psql, [...psqlArgs(port), "-w", "-c", "SELECT 'in'"], { env: { PGPASSWORD: "s3cret" } })
      expect(ok.stderr).toBe("")
      expect(ok.stdout).toBe("in\n")
      const wrong = yield* run(psql, [...psqlArgs(port), "-w", "-c", "SELECT 1"], { env: { PGPASSWORD: "guess" } })
      expect(wrong.code).not.toBe(0)
      expect(wrong.stderr).toContain("password authentication failed for user \"alice\"")
    })))

  it.live("over the Unix socket, with the settings of PGOPTIONS", () =>
    Effect.scoped(Effect.gen(function*() {
      const psql = yield* locate("psql")
      const { port, socketDirectory } = yield* startServer({ unixSocket: true })
      const result = yield* run(psql, [...psqlArgs(port, "alice", socketDirectory!), "-c", "SHOW search_path"], { env: { PGOPTIONS: "-c search_path=from_options" } })
      expect(result.stderr).toBe("")
      expect(result.stdout).toBe("from_options\n")
    })))
})

describe("pgbench", () => {
  for (const mode of ["simple", "extended", "prepared"] as const) {
    it.live(`a custom SELECT 1 script, -M ${mode}, two clients`, () =>
      Effect.scoped(Effect.gen(function*() {
        const pgbench = yield* locate("pgbench")
        const { port } = yield* startServer()
        const dir = yield* tempDirectory
        const script = Path.join(dir, "select1.sql")
        Fs.writeFileSync(script, "SELECT 1;\n")
        const result = yield* run(pgbench, ["-n", "-f", script, "-M", mode, "-c", "2", "-t", "200", "-h", "127.0.0.1", "-p", String(port), "-U", "alice", "demo"])
        expect(result.code).toBe(0)
        expect(result.stdout).toContain(`query mode: ${mode}`)
        expect(result.stdout).toContain("number of transactions actually processed: 400/400")
        expect(result.stdout).toContain("number of failed transactions: 0")
      })))
  }
})
