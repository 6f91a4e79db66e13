/**
 * The example server of docs/server.md (`src/server/demo/Hello.ts`) does
 * what the docs say: SCRAM login, a greeting notice, `SELECT $1` echoed
 * through the extended protocol, SET and SHOW, and a syntax error for the
 * rest.
 */
import { execFile, execFileSync } from "node:child_process"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { PgConnection } from "../../src/client/PgConnection.ts"
import { HelloServer } from "../../src/server/demo/Hello.ts"
import { PgServer } from "../../src/server/PgServer.ts"

describe("the docs' example server", () => {
  it.live("greets, echoes, sets and shows", () =>
    Effect.scoped(Effect.gen(function*() {
      const context = yield* Layer.build(HelloServer(0))
      const server = yield* Effect.provide(PgServer, context)
      const port = server.tcp!.port
      const c = yield* PgConnection.make({ host: "127.0.0.1", port, user: "alice", password: "secret", sslMode: "disable" })
      expect(c.info.authMethod).toBe("scram-sha-256")
      const echoed = yield* c.query("SELECT $1", ["hi there"])
      expect(echoed.rows).toEqual([{ echo: "hi there" }])
      yield* c.execute("SET application_name = 'docs'")
      const [shown] = yield* c.execute("SHOW application_name")
      expect(shown!.rows).toEqual([{ application_name: "docs" }])
      const unknown = yield* Effect.exit(c.execute("DROP TABLE x"))
      const error = Exit.isFailure(unknown) ? Exit.findErrorOption(unknown) : undefined
      expect(error?._tag === "Some" && error.value).toMatchObject({ code: "42601" })
      const wrong = yield* Effect.exit(Effect.scoped(PgConnection.make({ host: "127.0.0.1", port, user: "alice", password: "nope", sslMode: "disable" })))
      expect(Exit.isFailure(wrong)).toBe(true)
    })))

  it.live("the greeting is a notice at connect (psql prints it)", () =>
    Effect.scoped(Effect.gen(function*() {
      const context = yield* Layer.build(HelloServer(0))
      const server = yield* Effect.provide(PgServer, context)
      const psql = execFileSync("which", ["psql"], { encoding: "utf8" }).trim()
      const output = yield* Effect.callback<{ stdout: string; stderr: string }>((resume) => {
        execFile(psql, ["-X", "-A", "-t", "-d", `host=127.0.0.1 port=${server.tcp!.port} user=alice`, "-c", "SHOW application_name"], {
          env: { PATH: process.env["PATH"] ?? "/usr/bin", PGPASSWORD: "secret" }
        }, (_, stdout, stderr) => resume(Effect.succeed({ stdout, stderr })))
      })
      expect(output.stderr).toBe("NOTICE:  hello, alice\n")
      expect(output.stdout).toBe("psql\n")
    })))
})
