/**
 * The PGlite engine behind a real `PgServer`, with real clients:
 * statements of one Query share one transaction; a session idling in a
 * transaction makes the others wait, then fail with 55P03 (not a
 * deadlock); COPY FROM STDIN inside a transaction block follows it; a
 * cancel answers 57014 and undoes the canceled statement; a data directory
 * keeps its data across restarts.
 */
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import pg from "pg"
import { from as copyFrom } from "pg-copy-streams"
import postgres from "postgres"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { PgliteEngine, type PgliteEngineOptions } from "../../src/engines/index.ts"
import { PgServer, QueryHandler } from "../../src/server/index.ts"
import { type Running, startCli } from "../cli/support.ts"

interface Served {
  readonly port: number
  readonly close: () => Promise<void>
}

const serveEngine = async (options: PgliteEngineOptions = {}): Promise<Served> => {
  const scope = Effect.runSync(Scope.make())
  const port = await Effect.runPromise(Effect.gen(function*() {
    const engine = yield* PgliteEngine.make(options)
    const server = yield* PgServer.make({ host: "127.0.0.1", port: 0, parameters: engine.parameters }).pipe(
      Effect.provideService(QueryHandler, engine.handler)
    )
    return server.tcp!.port
  }).pipe(Scope.provide(scope)))
  return { port, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

const connect = async (port: number) => {
  const client = new pg.Client({ host: "127.0.0.1", port, user: "postgres", database: "postgres" })
  await client.connect()
  return client
}

describe("PGlite engine", () => {
  let served: Served
  beforeAll(async () => {
    served = await serveEngine({ turnTimeout: "300 millis" })
  })
  afterAll(() => served?.close())

  it("runs the statements of one Query in one transaction", async () => {
    const client = await connect(served.port)
    try {
      await client.query("CREATE TABLE atomic (n int)")
      await expect(client.query("INSERT INTO atomic VALUES (1); SELECT 1/0")).rejects.toMatchObject({ code: "22012" })
      expect((await client.query("SELECT count(*)::int AS n FROM atomic")).rows[0].n).toBe(0)
      await client.query("INSERT INTO atomic VALUES (2); INSERT INTO atomic VALUES (3)")
      expect((await client.query("SELECT count(*)::int AS n FROM atomic")).rows[0].n).toBe(2)
    } finally {
      await client.end()
    }
  })

  it("makes others wait for an open transaction, then fail with 55P03 instead of a deadlock", async () => {
    const holder = await connect(served.port)
    const waiter = await connect(served.port)
    try {
      await holder.query("CREATE TABLE held (n int)")
      await holder.query("BEGIN")
      await holder.query("INSERT INTO held VALUES (1)")
      const error = await waiter.query("SELECT count(*) FROM held").then(() => undefined, (e: { code?: string; message: string }) => e)
      expect(error?.code).toBe("55P03")
      expect(error?.message).toContain("held the engine in a transaction")
      await holder.query("COMMIT")
      expect((await waiter.query("SELECT count(*)::int AS n FROM held")).rows[0].n).toBe(1)
    } finally {
      await holder.end()
      await waiter.end()
    }
  })

  // A one-statement read on the simple protocol goes to PGlite as sent (the engine's answerQuery).
  it("answers a one-statement read straight from PGlite: notifications routed, errors, positions and settings per session", async () => {
    const listener = await connect(served.port)
    const other = await connect(served.port)
    const reader = await connect(served.port)
    try {
      const heard: Array<string> = []
      const overheard: Array<string> = []
      listener.on("notification", (n) => heard.push(`${n.channel}:${n.payload}`))
      other.on("notification", (n) => overheard.push(`${n.channel}:${n.payload}`))
      reader.on("notification", (n) => overheard.push(`${n.channel}:${n.payload}`))
      await listener.query("LISTEN fast")
      await other.query("LISTEN elsewhere")
      const sent = await reader.query("SELECT pg_notify('fast', 'one') AS sent")
      expect(sent.rows).toEqual([{ sent: "" }])
      await listener.query("SELECT 1")
      expect(heard).toEqual(["fast:one"])
      expect(overheard).toEqual([])

      await expect(reader.query("SELECT 1/0")).rejects.toMatchObject({ code: "22012" })
      await expect(reader.query("SELECT 1 FROM nowhere")).rejects.toMatchObject({ code: "42P01", position: "15" })
      expect((await reader.query("SELECT 2 AS two")).rows).toEqual([{ two: 2 }])

      const [{ search_path: initial }] = (await reader.query("SHOW search_path")).rows
      await listener.query("SET search_path = fast_path, public")
      expect((await listener.query("SHOW search_path")).rows).toEqual([{ search_path: "fast_path, public" }])
      expect((await reader.query("SHOW search_path")).rows).toEqual([{ search_path: initial }])
      expect(initial).not.toBe("fast_path, public")
      expect((await listener.query("SELECT current_setting('search_path') AS s")).rows).toEqual([{ s: "fast_path, public" }])

      // A read inside another session's transaction waits for it, as statements do.
      await other.query("BEGIN")
      await other.query("CREATE TABLE fast_held (n int)")
      const waiting = reader.query("SELECT count(*)::int AS n FROM pg_class WHERE relname = 'fast_held'")
      await new Promise((resolve) => setTimeout(resolve, 50))
      await other.query("COMMIT")
      expect((await waiting).rows).toEqual([{ n: 1 }])
    } finally {
      await listener.end()
      await other.end()
      await reader.end()
    }
  })

  it("keeps COPY FROM STDIN inside a transaction block with the block", async () => {
    const client = await connect(served.port)
    try {
      await client.query("CREATE TABLE copied_tx (n int, s text)")
      await client.query("BEGIN")
      await pipeline(Readable.from(["1\ta\n", "2\tb\n"]), client.query(copyFrom("COPY copied_tx FROM STDIN")))
      expect((await client.query("SELECT count(*)::int AS n FROM copied_tx")).rows[0].n).toBe(2)
      await client.query("ROLLBACK")
      expect((await client.query("SELECT count(*)::int AS n FROM copied_tx")).rows[0].n).toBe(0)
      await client.query("BEGIN")
      await pipeline(Readable.from(["3\tc\n"]), client.query(copyFrom("COPY copied_tx (n, s) FROM STDIN")))
      await client.query("COMMIT")
      expect((await client.query("SELECT n, s FROM copied_tx")).rows).toEqual([{ n: 3, s: "c" }])
    } finally {
      await client.end()
    }
  })

  it("keeps a data directory's data across restarts", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pgwire-pglite-"))
    try {
      const first = await serveEngine({ dataDir: dir })
      const a = await connect(first.port)
      await a.query("CREATE TABLE kept (s text)")
      await a.query("INSERT INTO kept VALUES ('still here')")
      await a.end()
      await first.close()
      const second = await serveEngine({ dataDir: dir })
      const b = await connect(second.port)
      expect((await b.query("SELECT s FROM kept")).rows).toEqual([{ s: "still here" }])
      await b.end()
      await second.close()
    } finally {
      await fs.rm(dir, { recursive: true, force: true })
    }
  }, 30_000)
})

describe("PGlite engine: cancel (serve in its own process)", () => {
  let server: Running
  beforeAll(async () => {
    server = await startCli(["serve", "--port", "0"])
  })
  afterAll(() => server?.stop())

  it("answers 57014 when PGlite returns, and undoes the canceled statement", async () => {
    const sql = postgres({ host: "127.0.0.1", port: server.port, user: "postgres", database: "postgres", max: 1, onnotice: () => {} })
    try {
      await sql`CREATE TABLE slow (n int)`
      const running = sql`INSERT INTO slow SELECT 1 FROM pg_sleep(1)`.execute()
      setTimeout(() => void running.cancel(), 200)
      await expect(running).rejects.toMatchObject({ code: "57014" })
      expect((await sql`SELECT count(*)::int AS n FROM slow`)[0]!.n).toBe(0)
      expect((await sql`SELECT 1 AS still`)[0]!.still).toBe(1)
    } finally {
      await sql.end({ timeout: 5 })
    }
  })

  it("answers 57014 for a one-statement read on the simple protocol (answered straight from PGlite)", async () => {
    const client = await connect(server.port)
    const canceller = new pg.Client({ host: "127.0.0.1", port: server.port, user: "postgres", database: "postgres" })
    try {
      const query = new pg.Query("SELECT pg_sleep(1)")
      const running = new Promise((resolve, reject) => {
        query.on("end", resolve)
        query.on("error", reject)
      })
      void client.query(query)
      await new Promise((resolve) => setTimeout(resolve, 200))
      // pg's own cancel (missing from @types/pg): a side connection with the session's key.
      if (!("cancel" in canceller) || typeof canceller.cancel !== "function") throw new Error("this pg has no Client.cancel")
      canceller.cancel(client, query)
      await expect(running).rejects.toMatchObject({ code: "57014" })
      expect((await client.query("SELECT 1 AS still")).rows).toEqual([{ still: 1 }])
    } finally {
      await client.end()
    }
  })
})
