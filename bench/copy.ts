/**
 * COPY benchmark: 200,000 rows (int, text) loaded with COPY FROM STDIN by
 * effect-pgwire (`copyFrom` fed by `CopyFormat.encodeText`), node-postgres
 * with pg-copy-streams, and postgres.js's `.writable()`, on one real
 * PostgreSQL 18 started here, in one process, interleaved round by round
 * with the order rotating. Every peer gets the same rows in chunks of 1,000
 * and turns them into COPY text its own way (the peers have no row encoder:
 * a template string per row, as their users write it).
 *
 * Reports rows/s and client CPU µs per row. Run: `npm run bench:copy`
 * (`-- --rounds 5`); pinned: `taskset -c 0 npm run bench:copy`.
 */
import { Readable, type Writable } from "node:stream"
import { pipeline } from "node:stream/promises"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import pg from "pg"
import { from as copyFrom } from "pg-copy-streams"
import postgresJs from "postgres"
import * as CopyFormat from "../src/client/CopyFormat.ts"
import { PgConnection } from "../src/client/PgConnection.ts"
import { startPostgres } from "../test/support/postgres.ts"
import { median } from "./median.ts"

const arg = (name: string) => {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? undefined : process.argv[at + 1]
}
const rounds = Number(arg("rounds") ?? 5)
const ROWS = 200_000
const CHUNK = 1000

const server = await startPostgres()
const conn = { host: server.host, port: server.port, user: server.superuser.user, password: server.superuser.password, database: server.database }

/** The rows, as every peer receives them: chunks of [int, text]. */
const chunks: ReadonlyArray<ReadonlyArray<readonly [number, string]>> = Array.from(
  { length: ROWS / CHUNK },
  (_, c) => Array.from({ length: CHUNK }, (_, i) => [c * CHUNK + i, `row-${c * CHUNK + i}`] as const)
)
const asText = (chunk: ReadonlyArray<readonly [number, string]>) => {
  let out = ""
  for (const [i, t] of chunk) out += `${i}\t${t}\n`
  return out
}

interface Peer {
  readonly name: string
  readonly setup: () => Promise<{ run: () => Promise<number>; close: () => Promise<void> }>
}

const countRows = async () => {
  const c = new pg.Client(conn)
  await c.connect()
  const { rows } = await c.query<{ n: number }>("SELECT count(*)::int AS n FROM bench_copy")
  await c.end()
  return rows[0]!.n
}

const reset = async () => {
  const c = new pg.Client(conn)
  await c.connect()
  await c.query("DROP TABLE IF EXISTS bench_copy; CREATE UNLOGGED TABLE bench_copy (a int, b text)")
  await c.end()
}

const ours: Peer = {
  name: "effect-pgwire",
  setup: async () => {
    const scope = Effect.runSync(Scope.make())
    const c = await Effect.runPromise(Scope.provide(PgConnection.make({ ...conn, sslMode: "disable" }), scope))
    return {
      run: () =>
        Effect.runPromise(Effect.map(
          Stream.run(
            CopyFormat.encodeText(Stream.fromArrays(...chunks)),
            c.copyFrom("COPY bench_copy FROM STDIN")
          ),
          (r) => r.rowCount
        )),
      close: () => Effect.runPromise(Scope.close(scope, Exit.void))
    }
  }
}

const nodePostgres: Peer = {
  name: "pg + pg-copy-streams",
  setup: async () => {
    const client = new pg.Client(conn)
    await client.connect()
    return {
      run: async () => {
        const stream = client.query(copyFrom("COPY bench_copy FROM STDIN"))
        await pipeline(Readable.from(chunks.map(asText)), stream)
        return Number(stream.rowCount)
      },
      close: () => client.end()
    }
  }
}

const postgresJsPeer: Peer = {
  name: "postgres.js",
  setup: async () => {
    const sql = postgresJs({ ...conn, max: 1, onnotice: () => {} })
    return {
      run: async () => {
        const writable: Writable = await sql`COPY bench_copy FROM STDIN`.writable()
        await pipeline(Readable.from(chunks.map(asText)), writable)
        return ROWS // checked by counting the table after the timed run
      },
      close: () => sql.end()
    }
  }
}

const peers: ReadonlyArray<Peer> = [ours, nodePostgres, postgresJsPeer]
const results: Record<string, Array<{ ms: number; cpu: number }>> = {}

try {
  for (let round = 0; round <= rounds; round++) {
    for (let k = 0; k < peers.length; k++) {
      const peer = peers[(k + round) % peers.length]!
      await reset()
      const { run, close } = await peer.setup()
      try {
        const cpu0 = process.cpuUsage()
        const t0 = process.hrtime.bigint()
        const n = await run()
        const ms = Number(process.hrtime.bigint() - t0) / 1e6
        const cpu = process.cpuUsage(cpu0)
        const stored = await countRows()
        if (n !== ROWS || stored !== ROWS) throw new Error(`${peer.name}: ${n} rows reported, ${stored} stored, expected ${ROWS}`)
        if (round > 0) (results[peer.name] ??= []).push({ ms, cpu: (cpu.user + cpu.system) / 1000 })
      } finally {
        await close()
      }
    }
    console.error(`round ${round} done`)
  }
} finally {
  await server.stop()
}

const per = Object.fromEntries(peers.map((p) => {
  const xs = results[p.name]!
  return [p.name, { rows: (ROWS / median(xs.map((x) => x.ms))) * 1000, cpuUs: (median(xs.map((x) => x.cpu)) * 1000) / ROWS }]
}))
const best = Math.max(...peers.filter((p) => p !== ours).map((p) => per[p.name]!.rows))
console.log(`Node ${process.version}, PostgreSQL ${server.version}, ${rounds} rounds after a warm-up; medians.\n`)
console.log(`| workload | ${peers.map((p) => p.name).join(" | ")} | effect-pgwire vs faster peer |`)
console.log(`|---|${peers.map(() => "---").join("|")}|---|`)
console.log(
  `| copy (${ROWS.toLocaleString("en")} rows) | ${peers.map((p) => `${Math.round(per[p.name]!.rows).toLocaleString("en")} rows/s, ${per[p.name]!.cpuUs.toFixed(2)} µs CPU/row`).join(" | ")} | ${(per[ours.name]!.rows / best).toFixed(2)}× |`
)
process.exit(0)
