/**
 * Client benchmark: effect-pgwire against node-postgres (`pg`), postgres.js
 * and `@effect/sql-pg`, on one real PostgreSQL 18 started here (embedded),
 * in one process, interleaved round by round with the order rotating.
 *
 * Workloads (the issue's):
 * - seq: 20,000 × `SELECT 1` on one connection, one at a time.
 * - param: 50,000 × `SELECT $1::int + 1`, 64 in flight over 4 connections
 *   (postgres.js pipelines by default; @effect/sql-pg with `multiplex: true`).
 * - large: `SELECT i, i::text, now() FROM generate_series(1, 1000000) i`, every row decoded.
 * - insert: 200,000 rows (int, text) as 1,000-row INSERTs in one transaction.
 *
 * Reports ops/s and the client's CPU time per operation (user + system of this
 * process). Run: `npm run bench:client` (or `-- --rounds 5 --only seq`);
 * pinned to one core with the server: `taskset -c 0 npm run bench:client`.
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import * as Effect from "effect/Effect"
import * as Scope from "effect/Scope"
import * as Exit from "effect/Exit"
import pg from "pg"
import postgresJs from "postgres"
import { PgConnection, type PgConnectionShape } from "../src/client/PgConnection.ts"
import { startPostgres } from "../test/support/postgres.ts"
import * as Reactivity from "effect/reactivity/Reactivity"
import * as Redacted from "effect/Redacted"
import { median } from "./median.ts"

const arg = (name: string) => {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? undefined : process.argv[at + 1]
}
const rounds = Number(arg("rounds") ?? 5)
const only = arg("only")?.split(",")

const server = await startPostgres({ settings: { max_connections: 100 } })
const conn = { host: server.host, port: server.port, user: server.superuser.user, password: server.superuser.password, database: server.database }

const counts = { seq: 20_000, param: 50_000, large: 1_000_000, insert: 200_000 } as const
type Workload = keyof typeof counts
const largeSql = "SELECT i, i::text AS t, now() AS at FROM generate_series(1, 1000000) i"
const insertBatch = 1000
const insertSql = `INSERT INTO bench_insert (a, b) VALUES ${Array.from({ length: insertBatch }, (_, i) => `($${2 * i + 1}, $${2 * i + 2})`).join(",")}`
const insertParams = (batch: number) => {
  const out: Array<unknown> = []
  for (let i = 0; i < insertBatch; i++) out.push(batch * insertBatch + i, `row-${i}`)
  return out
}

/** A peer: connect for a workload, run it, close. */
interface Peer {
  readonly name: string
  readonly setup: (workload: Workload) => Promise<{ run: () => Promise<number>; close: () => Promise<void> }>
}

const runEffect = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)

// --- effect-pgwire --------------------------------------------------------
const ours: Peer = {
  name: "effect-pgwire",
  setup: async (workload) => {
    const scope = Effect.runSync(Scope.make())
    const connections = await runEffect(
      Effect.all(Array.from({ length: workload === "param" ? 4 : 1 }, () => Scope.provide(PgConnection.make({ ...conn, sslMode: "disable" }), scope)))
    )
    const c0: PgConnectionShape = connections[0]!
    const run = (): Promise<number> => {
      switch (workload) {
        case "seq":
          return runEffect(Effect.gen(function*() {
            for (let i = 0; i < counts.seq; i++) yield* c0.query("SELECT 1")
            return counts.seq
          }))
        case "param":
          return runEffect(Effect.map(
            Effect.forEach(Array.from({ length: counts.param }, (_, i) => i), (i) => connections[i % 4]!.query("SELECT $1::int + 1", [i]), { concurrency: 64, discard: true }),
            () => counts.param
          ))
        case "large":
          return runEffect(Effect.map(c0.query(largeSql), (r) => r.rows.length))
        case "insert":
          return runEffect(Effect.gen(function*() {
            yield* c0.execute("BEGIN; CREATE TEMP TABLE IF NOT EXISTS bench_insert (a int, b text); TRUNCATE bench_insert")
            for (let b = 0; b < counts.insert / insertBatch; b++) yield* c0.query(insertSql, insertParams(b))
            yield* c0.execute("COMMIT")
            return counts.insert
          }))
      }
    }
    return { run, close: () => runEffect(Scope.close(scope, Exit.void)) }
  }
}

// --- node-postgres ----------------------------------------------------------
const nodePostgres: Peer = {
  name: "pg",
  setup: async (workload) => {
    const clients = Array.from({ length: workload === "param" ? 4 : 1 }, () => new pg.Client(conn))
    await Promise.all(clients.map((c) => c.connect()))
    const c0 = clients[0]!
    const run = async (): Promise<number> => {
      switch (workload) {
        case "seq":
          for (let i = 0; i < counts.seq; i++) await c0.query("SELECT 1")
          return counts.seq
        case "param": {
          let next = 0
          await Promise.all(Array.from({ length: 64 }, async (_, w) => {
            for (let i = next++; i < counts.param; i = next++) await clients[w % 4]!.query("SELECT $1::int + 1", [i])
          }))
          return counts.param
        }
        case "large":
          return (await c0.query(largeSql)).rows.length
        case "insert":
          await c0.query("BEGIN")
          await c0.query("CREATE TEMP TABLE IF NOT EXISTS bench_insert (a int, b text)")
          await c0.query("TRUNCATE bench_insert")
          for (let b = 0; b < counts.insert / insertBatch; b++) await c0.query({ text: insertSql, values: insertParams(b), name: "bench_insert" })
          await c0.query("COMMIT")
          return counts.insert
      }
    }
    return { run, close: async () => void (await Promise.all(clients.map((c) => c.end()))) }
  }
}

// --- postgres.js --------------------------------------------------------------
const postgresJsPeer: Peer = {
  name: "postgres.js",
  setup: async (workload) => {
    const sql = postgresJs({ ...conn, max: workload === "param" ? 4 : 1, prepare: true, onnotice: () => {} })
    await sql`SELECT 1`
    const run = async (): Promise<number> => {
      switch (workload) {
        case "seq":
          for (let i = 0; i < counts.seq; i++) await sql.unsafe("SELECT 1")
          return counts.seq
        case "param": {
          let next = 0
          await Promise.all(Array.from({ length: 64 }, async () => {
            for (let i = next++; i < counts.param; i = next++) await sql.unsafe("SELECT $1::int + 1", [i])
          }))
          return counts.param
        }
        case "large":
          return (await sql.unsafe(largeSql)).length
        case "insert":
          await sql.begin(async (tx) => {
            await tx.unsafe("CREATE TEMP TABLE IF NOT EXISTS bench_insert (a int, b text)")
            await tx.unsafe("TRUNCATE bench_insert")
            for (let b = 0; b < counts.insert / insertBatch; b++) await tx.unsafe(insertSql, insertParams(b) as Array<string | number>)
          })
          return counts.insert
      }
    }
    return { run, close: () => sql.end() }
  }
}

// --- @effect/sql-pg -----------------------------------------------------------
const sqlPg: Peer = {
  name: "@effect/sql-pg",
  setup: async (workload) => {
    const scope = Effect.runSync(Scope.make())
    const client = await runEffect(
      Scope.provide(
        PgClient.make({
          host: conn.host,
          port: conn.port,
          username: conn.user,
          password: Redacted.make(conn.password),
          database: conn.database,
          maxConnections: workload === "param" ? 4 : 1,
          minConnections: workload === "param" ? 4 : 1,
          multiplex: true
        }),
        scope
      ).pipe(Effect.provide(Reactivity.layer))
    )
    const run = (): Promise<number> => {
      switch (workload) {
        case "seq":
          return runEffect(Effect.gen(function*() {
            for (let i = 0; i < counts.seq; i++) yield* client.unsafe("SELECT 1")
            return counts.seq
          }))
        case "param":
          return runEffect(Effect.map(
            Effect.forEach(Array.from({ length: counts.param }, (_, i) => i), (i) => client.unsafe("SELECT $1::int + 1", [i]), { concurrency: 64, discard: true }),
            () => counts.param
          ))
        case "large":
          return runEffect(Effect.map(client.unsafe(largeSql), (rows) => rows.length))
        case "insert":
          return runEffect(client.withTransaction(Effect.gen(function*() {
            yield* client.unsafe("CREATE TEMP TABLE IF NOT EXISTS bench_insert (a int, b text)")
            yield* client.unsafe("TRUNCATE bench_insert")
            for (let b = 0; b < counts.insert / insertBatch; b++) yield* client.unsafe(insertSql, insertParams(b))
            return counts.insert
          })))
      }
    }
    return { run, close: () => runEffect(Scope.close(scope, Exit.void)) }
  }
}

const peers: ReadonlyArray<Peer> = [ours, nodePostgres, postgresJsPeer, sqlPg]
const workloads = (Object.keys(counts) as Array<Workload>).filter((w) => only === undefined || only.includes(w))
const results: Record<string, Record<string, Array<{ ms: number; cpu: number }>>> = {}

try {
  for (let round = 0; round <= rounds; round++) {
    for (const workload of workloads) {
      for (let k = 0; k < peers.length; k++) {
        const peer = peers[(k + round) % peers.length]!
        const { run, close } = await peer.setup(workload)
        try {
          const cpu0 = process.cpuUsage()
          const t0 = process.hrtime.bigint()
          const n = await run()
          const ms = Number(process.hrtime.bigint() - t0) / 1e6
          const cpu = process.cpuUsage(cpu0)
          if (n !== counts[workload]) throw new Error(`${peer.name} ${workload}: ${n} operations, expected ${counts[workload]}`)
          if (round > 0) ((results[workload] ??= {})[peer.name] ??= []).push({ ms, cpu: (cpu.user + cpu.system) / 1000 })
        } finally {
          await close()
        }
      }
    }
    console.error(`round ${round} done`)
  }
} finally {
  await server.stop()
}

const lines: Array<string> = []
lines.push(`Node ${process.version}, PostgreSQL ${server.version}, ${rounds} rounds after a warm-up; medians.`)
lines.push("")
lines.push(`| workload | ${peers.map((p) => p.name).join(" | ")} | effect-pgwire vs best peer | vs @effect/sql-pg |`)
lines.push(`|---|${peers.map(() => "---").join("|")}|---|---|`)
for (const workload of workloads) {
  const per = Object.fromEntries(peers.map((p) => {
    const xs = results[workload]![p.name]!
    const ms = median(xs.map((x) => x.ms))
    const cpu = median(xs.map((x) => x.cpu))
    return [p.name, { ops: (counts[workload] / ms) * 1000, cpuUs: (cpu * 1000) / counts[workload] }]
  }))
  const best = Math.max(...peers.filter((p) => p !== ours).map((p) => per[p.name]!.ops))
  lines.push(
    `| ${workload} | ${peers.map((p) => `${Math.round(per[p.name]!.ops).toLocaleString("en")} ops/s, ${per[p.name]!.cpuUs.toFixed(1)} µs CPU/op`).join(" | ")} | ${(per[ours.name]!.ops / best).toFixed(2)}× | ${(per[ours.name]!.ops / per["@effect/sql-pg"]!.ops).toFixed(2)}× |`
  )
}
console.log(lines.join("\n"))
process.exit(0)
