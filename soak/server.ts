/**
 * The server soak: `PgServer` with an engine (the demo engine, or PGlite)
 * and many concurrent clients for a while, each in a loop of sessions:
 * connect, run a few statements (constants, parameters, a series, a short
 * transaction on `kv`, a `pg_sleep` cancelled at a random moment), then
 * disconnect, politely or by dropping the socket (sometimes mid-statement
 * or inside a transaction). A few connections send half a startup packet
 * and drop. The clients are this project's `PgConnection`, node-postgres
 * (`pg`) and postgres.js, in turn. (A dropped `PgConnection` closes its
 * scope, which sends Terminate; the other two drop the socket.)
 *
 * End conditions: the server still answers (no crash), no fiber ended with
 * a defect, no session or connection left on the server once the clients
 * are gone, no more open file descriptors (server up and idle) than before
 * the clients came, no socket and no fiber left once it shut down, memory
 * (heap and RSS after a full GC, sampled during the run) flat, and no
 * unexpected client error: the expected ones are the cancels the soak asked
 * for (57014) and the failures of statements whose socket it dropped. A
 * client step (connect, statement, cancel, end) that does not settle within
 * a minute counts as hung, an unexpected error.
 *
 * `runServerSoak` is used by `soak/run.ts` and `test/soak/soak.test.ts`.
 */
import * as net from "node:net"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import * as Scope from "effect/Scope"
import pg from "pg"
import postgres from "postgres"
import { PgConnection } from "../src/client/PgConnection.ts"
import { PgliteEngine } from "../src/engines/pglite/PgliteEngine.ts"
import * as DemoEngine from "../src/server/demo/DemoEngine.ts"
import { PgServer, type PgServerShape } from "../src/server/PgServer.ts"
import { QueryHandler } from "../src/server/QueryHandler.ts"
import { FiberCounter, fileDescriptors, mb, memoryAfterGc, prng, settle, socketsOnPort } from "./measure.ts"

export interface ServerSoakOptions {
  readonly engine: "demo" | "pglite"
  /** Concurrent clients. */
  readonly clients: number
  readonly seconds: number
  readonly seed?: number | undefined
  /** Memory samples over the run (default 10). */
  readonly samples?: number | undefined
  readonly progress?: ((line: string) => void) | undefined
}

export interface ServerSoakReport {
  readonly engine: string
  readonly clients: number
  readonly seconds: number
  /** Sessions opened, per driver (and `raw` half-startups). */
  readonly sessions: Readonly<Record<string, number>>
  readonly statements: number
  readonly cancelsRequested: number
  /** Cancels that ended the statement with 57014 (or as an interruption). */
  readonly cancelsConfirmed: number
  readonly abruptDisconnects: number
  readonly expectedErrors: Readonly<Record<string, number>>
  readonly unexpected: Readonly<Record<string, { readonly count: number; readonly sample: string }>>
  readonly unexpectedTotal: number
  /** The server stopped answering a fresh client after the run. */
  readonly crashed: boolean
  readonly sessionsAfter: number
  readonly connectionsAfter: number
  /** Open file descriptors with the server up and idle: before the clients came, and after they left. */
  readonly fds: { readonly before: number; readonly after: number }
  readonly serverSocketsAfter: number
  readonly fibers: { readonly started: number; readonly liveAtEnd: number; readonly defects: number; readonly defectSamples: ReadonlyArray<string> }
  /** Heap and RSS after a full GC: at the start, during the run, and after the clients left. */
  readonly memory: ReadonlyArray<{ readonly at: number; readonly heapUsed: number; readonly external: number; readonly rss: number }>
}


/** What a driver does in a session; all Promise-based so the three drivers share one loop. */
interface Session {
  readonly query: (sql: string, params: ReadonlyArray<string | number>) => Promise<ReadonlyArray<Record<string, unknown>>>
  /**
   * Runs `sql` and cancels it after `afterMillis`: "cancelled" when the
   * cancel took, "completed" when the statement won, "completedCancelInFlight"
   * when it won and the driver cannot tell whether its CancelRequest has
   * reached the server yet (the session must not run another statement).
   */
  readonly cancelled: (sql: string, afterMillis: number) => Promise<"cancelled" | "completed" | "completedCancelInFlight">
  /** Ends the session with Terminate. */
  readonly end: () => Promise<void>
  /** Drops the socket without Terminate. */
  readonly drop: () => void
}

class Unexpected extends Error {}

/** A step that did not settle within `stepTimeoutMillis`. */
class Hung extends Error {
  readonly step: string
  constructor(step: string) {
    super(`${step} did not settle within ${stepTimeoutMillis / 1000} s`)
    this.step = step
  }
}

/** No single step of a client (connect, a statement, a cancel, an end) may take longer: past it, it hangs. */
const stepTimeoutMillis = 60_000

/** `promise`, or a `Hung` failure once it has taken `stepTimeoutMillis`. */
const guard = <A>(step: string, promise: Promise<A>): Promise<A> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Hung(step)), stepTimeoutMillis)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      }
    )
  })

/** An error's SQLSTATE, if it carries one. */
const codeOf = (error: unknown): string | undefined => {
  if (typeof error !== "object" || error === null) return undefined
  const code = (error as { code?: unknown }).code
  return typeof code === "string" ? code : undefined
}

/** The OID of `void`. */
const voidOid = 2278

const sleep = (millis: number) => new Promise<void>((resolve) => setTimeout(resolve, millis))

const driverOurs = async (port: number, counter: FiberCounter): Promise<Session> => {
  const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect.pipe(Effect.provideService(Metric.FiberRuntimeMetrics, counter)))
  const scope = await run(Scope.make())
  const c = await run(Scope.provide(PgConnection.make({ host: "127.0.0.1", port, user: "soak", database: "soak", sslMode: "disable" }), scope)).catch(
    async (error: unknown) => {
      await run(Scope.close(scope, Exit.void))
      throw error
    }
  )
  // pg_sleep returns void, a type the client has no codec for: without one, preparing a
  // pg_sleep looks void up in pg_type, which the demo engine does not have, and inside a
  // transaction block that failed lookup aborts the caller's transaction (a known defect of
  // the client's catalog lookups; an interrupted preparation finishes its lookup in the
  // background, inside whatever transaction the session runs next).
  c.types.register({ type: voidOid, fromText: () => null })
  return {
    query: (sql, params) => run(Effect.map(c.query(sql, params), (r) => r.rows)),
    cancelled: (sql, afterMillis) =>
      run(Effect.gen(function*() {
        const fiber = yield* Effect.forkChild(c.query(sql))
        yield* Effect.sleep(Duration.millis(afterMillis))
        yield* Fiber.interrupt(fiber)
        const exit = yield* Fiber.await(fiber)
        if (Exit.isSuccess(exit)) return "completed" as const
        if (Cause.hasInterruptsOnly(exit.cause)) return "cancelled" as const
        return yield* Effect.fail(Cause.squash(exit.cause))
      })),
    end: () => run(Scope.close(scope, Exit.void)),
    drop: () => void run(Scope.close(scope, Exit.void))
  }
}

const driverPg = async (port: number): Promise<Session> => {
  const client = new pg.Client({ host: "127.0.0.1", port, user: "soak", database: "soak" })
  client.on("error", () => {})
  // On a failed connect node-postgres has closed the socket already (and its end() would wait for a close that came before).
  await client.connect()
  return {
    query: async (sql, params) => (await client.query(sql, params as Array<unknown>)).rows as ReadonlyArray<Record<string, unknown>>,
    // node-postgres has no cancel of its own: the statement runs to its end.
    cancelled: async (sql) => {
      await client.query(sql)
      return "completed"
    },
    end: () => client.end(),
    drop: () => (client as unknown as { connection: { stream: net.Socket } }).connection.stream.destroy()
  }
}

const driverPostgresJs = async (port: number): Promise<Session> => {
  const sql = postgres({ host: "127.0.0.1", port, user: "soak", database: "soak", max: 1, fetch_types: false, onnotice: () => {}, idle_timeout: 0, connect_timeout: 30 })
  await sql.unsafe("SELECT 1 AS v").catch(async (error: unknown) => {
    await sql.end({ timeout: 0 }).catch(() => {})
    throw error
  })
  return {
    query: async (text, params) => (await sql.unsafe(text, params as Array<string | number>)) as unknown as ReadonlyArray<Record<string, unknown>>,
    cancelled: async (text, afterMillis) => {
      const pending = sql.unsafe(text)
      let sent = false
      const timer = setTimeout(() => {
        sent = true
        pending.cancel()
      }, afterMillis)
      try {
        await pending
        // postgres.js does not say when its CancelRequest has landed: it may still cancel the next statement.
        return sent ? "completedCancelInFlight" : "completed"
      } catch (error) {
        if (codeOf(error) === "57014") return "cancelled"
        throw error
      } finally {
        clearTimeout(timer)
      }
    },
    end: () => sql.end({ timeout: 5 }),
    drop: () => void sql.end({ timeout: 0 })
  }
}

/** Half a startup packet, then the socket is dropped. */
const halfStartup = (port: number): Promise<void> =>
  new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port })
    socket.on("error", () => resolve())
    socket.on("connect", () => {
      socket.write(Buffer.from([0, 0, 0, 40, 0, 3, 0, 0, 117, 115]))
      setTimeout(() => {
        socket.destroy()
        resolve()
      }, 1)
    })
  })

export const runServerSoak = async (options: ServerSoakOptions): Promise<ServerSoakReport> => {
  const random = prng(options.seed ?? 1)
  const int = (below: number) => Math.floor(random() * below)
  const log = options.progress ?? (() => {})
  const counter = new FiberCounter()
  const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect.pipe(Effect.provideService(Metric.FiberRuntimeMetrics, counter)))

  const start = async (): Promise<{ readonly server: PgServerShape; readonly scope: Scope.Closeable }> => {
    const scope = await run(Scope.make())
    const server = await run(Effect.gen(function*() {
      const served = options.engine === "demo"
        ? { handler: DemoEngine.make().handler, parameters: {} }
        : yield* PgliteEngine.make({})
      const server = yield* PgServer.make({ host: "127.0.0.1", port: 0, maxConnections: options.clients * 2 + 20, parameters: served.parameters }).pipe(
        Effect.provideService(QueryHandler, served.handler)
      )
      if (options.engine === "pglite") {
        yield* Effect.promise(async () => {
          const setup = await driverPg(server.tcp!.port)
          await setup.query("CREATE TABLE kv (key text PRIMARY KEY, value text)", [])
          await setup.end()
        })
      }
      return server
    }).pipe(Scope.provide(scope)))
    return { server, scope }
  }

  const fibersBefore = counter.live
  const { server, scope } = await start()
  const port = server.tcp!.port
  // Baselines with the server up and idle, after one session of each driver
  // (so they count what stays loaded: modules, the engine).
  for (const open of [() => driverOurs(port, counter), () => driverPg(port), () => driverPostgresJs(port)]) {
    const session = await open()
    await session.query("SELECT $1::int4 AS v", [1])
    await session.end()
  }
  await halfStartup(port)
  await settle(() => socketsOnPort(port).connections === 0 && Effect.runSync(server.connections) === 0)
  const fdsBefore = fileDescriptors()
  const memory: Array<{ at: number; heapUsed: number; external: number; rss: number }> = []
  const t0 = Date.now()
  const sample = () => {
    const m = memoryAfterGc()
    memory.push({ at: (Date.now() - t0) / 1000, heapUsed: m.heapUsed, external: m.external, rss: m.rss })
  }
  sample()
  const sessions: Record<string, number> = {}
  const expectedErrors: Record<string, number> = {}
  const unexpected: Record<string, { count: number; sample: string }> = {}
  let statements = 0
  let cancelsRequested = 0
  let cancelsConfirmed = 0
  let abruptDisconnects = 0
  const bump = (record: Record<string, number>, key: string) => (record[key] = (record[key] ?? 0) + 1)
  const unexpectedOne = (key: string, error: unknown) => {
    const entry = (unexpected[key] ??= { count: 0, sample: error instanceof Error ? `${error.message}` : String(error) })
    entry.count++
  }
  const deadline = t0 + options.seconds * 1000
  const sleepScale = options.engine === "pglite" ? 0.02 : 0.2

  const client = async (id: number): Promise<void> => {
    let n = 0
    while (Date.now() < deadline) {
      const choice = random()
      if (choice < 0.03) {
        bump(sessions, "raw")
        await guard("half startup", halfStartup(port)).catch((error: unknown) => unexpectedOne("hung: half startup", error))
        continue
      }
      const driver = choice < 0.4 ? "ours" : choice < 0.7 ? "pg" : "postgres.js"
      let session: Session
      try {
        session = await guard(`${driver} connect`, driver === "ours" ? driverOurs(port, counter) : driver === "pg" ? driverPg(port) : driverPostgresJs(port))
      } catch (error) {
        unexpectedOne(error instanceof Hung ? `hung: ${error.step}` : `connect ${driver}: ${codeOf(error) ?? (error as { _tag?: string })._tag ?? "error"}`, error)
        continue
      }
      bump(sessions, driver)
      const actions = 1 + int(8)
      let dropped = false
      let action = "connect"
      const q = (sql: string, params: ReadonlyArray<string | number>) => guard(`${driver} ${action}`, session.query(sql, params))
      try {
        for (let a = 0; a < actions && Date.now() < deadline; a++) {
          const what = random()
          if (what < 0.3) {
            action = "select"
            const rows = await q("SELECT 1 AS v", [])
            if (rows.length !== 1 || Number(rows[0]!["v"]) !== 1) throw new Unexpected(`SELECT 1 gave ${JSON.stringify(rows)}`)
          } else if (what < 0.55) {
            action = "parameter"
            const x = int(1_000_000)
            const rows = await q("SELECT $1::int4 AS v", [x])
            if (Number(rows[0]?.["v"]) !== x) throw new Unexpected(`SELECT $1 gave ${JSON.stringify(rows)} for ${x}`)
          } else if (what < 0.7) {
            action = "series"
            const count = 1 + int(50)
            const rows = await q(`SELECT * FROM generate_series(1, ${count})`, [])
            if (rows.length !== count) throw new Unexpected(`generate_series gave ${rows.length} rows of ${count}`)
          } else if (what < 0.82) {
            action = "transaction"
            const key = `c${id}-${n++}`
            await q("BEGIN", [])
            await q("INSERT INTO kv VALUES ($1, $2)", [key, "v"])
            if (random() < 0.1) {
              // Gone inside a transaction: the server must roll back and free the session.
              dropped = true
              abruptDisconnects++
              session.drop()
              break
            }
            const rows = await q("SELECT value FROM kv WHERE key = $1", [key])
            if (rows[0]?.["value"] !== "v") throw new Unexpected(`kv read gave ${JSON.stringify(rows)}`)
            await q(random() < 0.5 ? "COMMIT" : "ROLLBACK", [])
            await q("DELETE FROM kv WHERE key = $1", [key])
          } else if (what < 0.95 && driver !== "pg") {
            action = "cancel"
            cancelsRequested++
            const outcome = await guard(`${driver} cancel`, session.cancelled(`SELECT pg_sleep(${(sleepScale * (0.5 + random())).toFixed(3)})`, int(Math.ceil(sleepScale * 300))))
            if (outcome === "cancelled") cancelsConfirmed++
            else bump(expectedErrors, "cancel too late (statement completed)")
            if (outcome === "completedCancelInFlight") break
          } else {
            // Dropped mid-statement.
            action = "drop"
            dropped = true
            abruptDisconnects++
            const pending = session.query(`SELECT pg_sleep(${(sleepScale / 2).toFixed(3)})`, []).then(
              () => bump(expectedErrors, "statement completed before the drop"),
              () => bump(expectedErrors, "statement failed by the drop")
            )
            await sleep(int(5))
            session.drop()
            await guard(`${driver} drop`, pending)
            break
          }
          statements++
        }
      } catch (error) {
        if (error instanceof Hung) unexpectedOne(`hung: ${error.step}`, error)
        else if (error instanceof Unexpected) unexpectedOne(`wrong result (${driver} ${action})`, error)
        else unexpectedOne(`${driver} ${action}: ${codeOf(error) ?? (error as { _tag?: string })._tag ?? (error as Error).name}`, error)
      }
      if (!dropped) {
        await guard(`${driver} end`, session.end()).catch((error: unknown) =>
          unexpectedOne(error instanceof Hung ? `hung: ${error.step}` : `end ${driver}`, error)
        )
      }
    }
  }

  const sampleEvery = (options.seconds * 1000) / (options.samples ?? 10)
  const sampler = setInterval(() => {
    sample()
    const last = memory[memory.length - 1]!
    log(
      `server soak (${options.engine}): ${statements.toLocaleString("en")} statements, ${Object.values(sessions).reduce((a, b) => a + b, 0).toLocaleString("en")} sessions, heap ${mb(last.heapUsed)}, RSS ${mb(last.rss)}, unexpected ${Object.values(unexpected).reduce((s, u) => s + u.count, 0)}`
    )
  }, sampleEvery)
  await Promise.all(Array.from({ length: options.clients }, (_, id) => client(id)))
  clearInterval(sampler)

  // The clients are gone: the server must notice every one of them.
  const sessionsGone = () => Effect.runSync(server.sessions).length === 0 && Effect.runSync(server.connections) === 0
  await settle(sessionsGone, 10_000)
  const sessionsAfter = Effect.runSync(server.sessions).length
  const connectionsAfter = Effect.runSync(server.connections)
  // Still answering?
  let crashed = false
  try {
    const probe = await driverPg(port)
    await probe.query("SELECT 1 AS v", [])
    await probe.end()
  } catch {
    crashed = true
  }
  await settle(() => sessionsGone() && socketsOnPort(port).connections === 0, 5_000)
  await settle(() => fileDescriptors().total <= fdsBefore.total)
  const fdsAfter = fileDescriptors()
  sample()

  await run(Scope.close(scope, Exit.void))
  const socketsClosed = await settle(() => socketsOnPort(port).connections === 0 && socketsOnPort(port).listening === 0)
  await settle(() => counter.live === fibersBefore)

  return {
    engine: options.engine,
    clients: options.clients,
    seconds: (Date.now() - t0) / 1000,
    sessions,
    statements,
    cancelsRequested,
    cancelsConfirmed,
    abruptDisconnects,
    expectedErrors,
    unexpected,
    unexpectedTotal: Object.values(unexpected).reduce((s, u) => s + u.count, 0),
    crashed,
    sessionsAfter,
    connectionsAfter,
    fds: { before: fdsBefore.total, after: fdsAfter.total },
    serverSocketsAfter: socketsClosed ? 0 : socketsOnPort(port).connections,
    fibers: { started: counter.started, liveAtEnd: counter.live - fibersBefore, defects: counter.defects, defectSamples: counter.defectSamples },
    memory
  }
}

export const describeServerSoak = (r: ServerSoakReport): string => {
  const first = r.memory[0]!
  const last = r.memory[r.memory.length - 1]!
  const lines = [
    `${r.clients} clients for ${r.seconds.toFixed(1)} s: ${Object.values(r.sessions).reduce((a, b) => a + b, 0).toLocaleString("en")} sessions ${JSON.stringify(r.sessions)}, ${r.statements.toLocaleString("en")} statements`,
    `cancels: ${r.cancelsRequested.toLocaleString("en")} requested, ${r.cancelsConfirmed.toLocaleString("en")} took; abrupt disconnects ${r.abruptDisconnects.toLocaleString("en")}`,
    `expected errors: ${JSON.stringify(r.expectedErrors)}`,
    `unexpected errors: ${r.unexpectedTotal}${r.unexpectedTotal > 0 ? ` ${JSON.stringify(r.unexpected, null, 1)}` : ""}`,
    `crashed: ${r.crashed}; sessions left ${r.sessionsAfter}, connections left ${r.connectionsAfter}; sockets on the port after shutdown ${r.serverSocketsAfter}`,
    `file descriptors: ${r.fds.before} before, ${r.fds.after} after`,
    `fibers: ${r.fibers.started.toLocaleString("en")} started, ${r.fibers.liveAtEnd} live after shutdown, ${r.fibers.defects} ended with a defect`,
    `memory after GC: heap ${mb(first.heapUsed)} first, ${mb(last.heapUsed)} last; outside the heap ${mb(first.external)} first, ${mb(last.external)} last; RSS ${mb(first.rss)} first, ${mb(last.rss)} last`,
    `samples (s: heap/outside/RSS): ${r.memory.map((m) => `${m.at.toFixed(0)}: ${mb(m.heapUsed)}/${mb(m.external)}/${mb(m.rss)}`).join(", ")}`
  ]
  for (const sample of r.fibers.defectSamples) lines.push(`defect: ${sample}`)
  return lines.join("\n")
}
