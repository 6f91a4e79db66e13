/**
 * Server benchmark: pgbench with a custom `SELECT 1` script against three
 * servers started here, interleaved round by round (the order rotating):
 *
 * - effect-pgwire: `PgServer` with a trivial handler (one prepared
 *   statement, one constant row), in a child process;
 * - pg-gateway 0.2.4: every Query (and, in extended mode, every batch)
 *   answered with one pre-encoded reply written from `onMessage`: the upper
 *   bound of what it can do, in a child process;
 * - PostgreSQL 18 (embedded, `trust` auth).
 *
 * Scenarios per query mode (`-M simple`, `-M extended`): 1 client with the
 * server and pgbench pinned to CPU 0 (`taskset`), 1 client unpinned, and 8
 * clients. Reports the median over the rounds of tps and of the server's
 * CPU time per query: `process.cpuUsage()` of the child for the Node
 * servers, `/proc` (the postmaster, its live children and its reaped
 * backends) for PostgreSQL.
 *
 * Run: `node bench/server.ts [--rounds 5] [--seconds 5] [--modes simple,extended]`
 * (pgbench and taskset on PATH; Linux).
 */
import { execFileSync, fork, type ChildProcess } from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { PgServer } from "../src/server/PgServer.ts"
import { QueryHandler } from "../src/server/QueryHandler.ts"
import * as Results from "../src/server/Results.ts"
import { Oid } from "../src/server/Values.ts"
import { median } from "./median.ts"

const arg = (name: string) => {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? undefined : process.argv[at + 1]
}

// ---------------------------------------------------------------------------
// Child processes: the two Node servers

const reportCpu = () => {
  process.on("message", (message) => {
    if (message === "cpu") process.send?.({ cpu: process.cpuUsage() })
  })
}

/** effect-pgwire with the smallest handler: the framework's cost, nothing else. */
const serveOurs = (port: number) => {
  const statement: Results.PreparedStatement = { sql: "SELECT 1", parameterTypes: [], fields: [Results.field("?column?", Oid.int4)] }
  const result = Results.rows([[1]])
  const handler = QueryHandler.layer({
    prepare: () => Effect.succeed(statement),
    execute: () => Effect.succeed(result)
  })
  const program = Effect.gen(function*() {
    const server = yield* PgServer
    process.send?.({ ready: server.tcp!.port })
    return yield* Effect.never
  })
  reportCpu()
  Effect.runFork(Effect.provide(program, PgServer.layer({ host: "127.0.0.1", port, maxConnections: 200 }).pipe(Layer.provide(handler))))
}

/** pg-gateway answering with pre-encoded bytes: its upper bound. */
const serveGateway = async (port: number) => {
  const { PostgresConnection } = await import("pg-gateway")
  const hex = (s: string) => Buffer.from(s.replace(/\s/g, ""), "hex")
  const rowDescription = Buffer.concat([Buffer.from("T"), hex("00000021 0001"), Buffer.from("?column?\0"), hex("00000000 0000 00000017 0004 ffffffff 0000")])
  const dataRow = Buffer.concat([Buffer.from("D"), hex("0000000b 0001 00000001"), Buffer.from("1")])
  const commandComplete = Buffer.concat([Buffer.from("C"), hex("0000000d"), Buffer.from("SELECT 1\0")])
  const ready = Buffer.concat([Buffer.from("Z"), hex("00000005"), Buffer.from("I")])
  const simple = Buffer.concat([rowDescription, dataRow, commandComplete, ready])
  const extended = Buffer.concat([hex("3100000004 3200000004"), rowDescription, dataRow, commandComplete, ready])
  const server = Net.createServer((socket) => {
    new PostgresConnection(socket, {
      authMode: "none",
      serverVersion: "18.0",
      onMessage(data, state) {
        if (!state.isAuthenticated) return false
        // pg-gateway 0.2.4 hands every message after the first of a chunk as an
        // empty view (its framing slices from the wrong end), so pgbench's
        // Parse/Bind/Describe/Execute/Sync batch is answered on its Parse.
        switch (data[0]) {
          case 0x51: // Query
            socket.write(simple)
            return true
          case 0x50: // Parse
            socket.write(extended)
            return true
          case 0x58: // Terminate
            socket.end()
            return true
          default:
            return true
        }
      }
    })
  })
  reportCpu()
  server.listen(port, "127.0.0.1", () => {
    const address = server.address()
    process.send?.({ ready: typeof address === "object" && address !== null ? address.port : port })
  })
}

// ---------------------------------------------------------------------------
// The orchestrator

interface Target {
  readonly name: string
  readonly port: number
  readonly user: string
  readonly database: string
  /** Processes to pin for the pinned scenario. */
  readonly pids: () => ReadonlyArray<number>
  /** CPU time of the server so far, in µs. */
  readonly cpu: () => Promise<number>
}

interface Scenario {
  readonly name: string
  readonly clients: number
  readonly pinned: boolean
}

const scenarios: ReadonlyArray<Scenario> = [
  { name: "1 client, pinned", clients: 1, pinned: true },
  { name: "1 client", clients: 1, pinned: false },
  { name: "8 clients", clients: 8, pinned: false }
]

const cpus = Os.cpus().length
const allCpus = `0-${cpus - 1}`

const which = (tool: string): string => {
  try {
    return execFileSync("which", [tool], { encoding: "utf8" }).trim()
  } catch {
    throw new Error(`${tool} is required on PATH`)
  }
}

const pin = (pids: ReadonlyArray<number>, list: string) => {
  for (const pid of pids) {
    try {
      execFileSync("taskset", ["-a", "-p", "-c", list, String(pid)], { stdio: "ignore" })
    } catch {
      // A backend that exited in between.
    }
  }
}

const childNode = (kind: "ours" | "gateway"): Promise<{ child: ChildProcess; target: Target }> =>
  new Promise((resolve, reject) => {
    const child = fork(import.meta.filename, ["--serve", kind, "--port", "0"], { stdio: ["ignore", "inherit", "inherit", "ipc"] })
    const onReady = (message: unknown) => {
      if (typeof message !== "object" || message === null || !("ready" in message) || typeof message.ready !== "number") return
      child.off("message", onReady)
      const port = message.ready
      const cpu = () =>
        new Promise<number>((done) => {
          const onCpu = (reply: unknown) => {
            if (typeof reply !== "object" || reply === null || !("cpu" in reply)) return
            child.off("message", onCpu)
            const usage = reply.cpu as NodeJS.CpuUsage
            done(usage.user + usage.system)
          }
          child.on("message", onCpu)
          child.send("cpu")
        })
      resolve({
        child,
        target: {
          name: kind === "ours" ? "effect-pgwire" : "pg-gateway 0.2.4",
          port,
          user: "bench",
          database: "bench",
          pids: () => [child.pid!],
          cpu
        }
      })
    }
    child.on("message", onReady)
    child.once("exit", (code) => reject(new Error(`${kind} server exited with ${code}`)))
  })

const ticks = 100

/** utime+stime (+ reaped children's) of a process, in µs; 0 when it is gone. */
const procCpu = (pid: number, withChildren: boolean): number => {
  try {
    const stat = Fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    // Fields after the command: state is index 0, utime 11, stime 12, cutime 13, cstime 14.
    const own = Number(fields[11]) + Number(fields[12])
    const children = withChildren ? Number(fields[13]) + Number(fields[14]) : 0
    return ((own + children) * 1_000_000) / ticks
  } catch {
    return 0
  }
}

const childrenOf = (pid: number): Array<number> => {
  try {
    return execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" })
      .split("\n")
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0)
  } catch {
    return []
  }
}

interface Sample {
  readonly tps: number
  readonly cpuPerQuery: number
}

const runPgbench = async (pgbench: string, target: Target, mode: string, scenario: Scenario, seconds: number, script: string): Promise<Sample> => {
  if (scenario.pinned) pin(target.pids(), "0")
  const before = await target.cpu()
  const args = [
    "-n", "-f", script, "-M", mode, "-T", String(seconds), "-c", String(scenario.clients), "-j", String(Math.min(scenario.clients, cpus)),
    "-h", "127.0.0.1", "-p", String(target.port), "-U", target.user, target.database
  ]
  const output = scenario.pinned
    ? execFileSync("taskset", ["-c", "0", pgbench, ...args], { encoding: "utf8" })
    : execFileSync(pgbench, args, { encoding: "utf8" })
  // Let PostgreSQL reap its backends so their time is counted.
  await new Promise((r) => setTimeout(r, 200))
  const after = await target.cpu()
  if (scenario.pinned) pin(target.pids(), allCpus)
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(output)?.[1] ?? NaN)
  const transactions = Number(/number of transactions actually processed: (\d+)/.exec(output)?.[1] ?? NaN)
  return { tps, cpuPerQuery: (after - before) / transactions }
}


const main = async () => {
  const rounds = Number(arg("rounds") ?? 5)
  const seconds = Number(arg("seconds") ?? 5)
  const modes = (arg("modes") ?? "simple,extended").split(",")
  const only = arg("only")?.split(",")
  const pgbench = which("pgbench")
  which("taskset")
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "pgwire-bench-"))
  const script = Path.join(dir, "select1.sql")
  Fs.writeFileSync(script, "SELECT 1;\n")

  const { startPostgres } = await import("../test/support/postgres.ts")
  const postgres = await startPostgres({ settings: { max_connections: 100 } })
  const postmaster = Number(Fs.readFileSync(Path.join(postgres.dataDir, "postmaster.pid"), "utf8").split("\n")[0])
  const pgTarget: Target = {
    name: "PostgreSQL 18",
    port: postgres.port,
    user: postgres.roles.trust.user,
    database: postgres.database,
    pids: () => [postmaster, ...childrenOf(postmaster)],
    cpu: async () => procCpu(postmaster, true) + childrenOf(postmaster).reduce((sum, pid) => sum + procCpu(pid, false), 0)
  }
  const ours = await childNode("ours")
  const gateway = await childNode("gateway")
  const targets = [ours.target, gateway.target, pgTarget].filter((t) => only === undefined || only.some((o) => t.name.startsWith(o)))

  const samples = new Map<string, Array<Sample>>()
  const key = (target: Target, mode: string, scenario: Scenario) => `${target.name}|${mode}|${scenario.name}`
  try {
    for (let round = 0; round < rounds; round++) {
      for (const mode of modes) {
        for (const scenario of scenarios) {
          const order = targets.map((_, i) => targets[(i + round) % targets.length]!)
          for (const target of order) {
            const sample = await runPgbench(pgbench, target, mode, scenario, seconds, script)
            const list = samples.get(key(target, mode, scenario)) ?? []
            list.push(sample)
            samples.set(key(target, mode, scenario), list)
            console.error(`round ${round + 1} ${mode} ${scenario.name} ${target.name}: ${sample.tps.toFixed(0)} tps, ${sample.cpuPerQuery.toFixed(2)} µs/query`)
          }
        }
      }
    }
  } finally {
    ours.child.kill()
    gateway.child.kill()
    await postgres.stop()
    Fs.rmSync(dir, { recursive: true, force: true })
  }

  const lines = [
    `pgbench -n -f select1.sql (SELECT 1), ${seconds} s per run, median of ${rounds} interleaved rounds; ${cpus} CPUs; Node ${process.version}`,
    "",
    "| mode | scenario | server | tps | server CPU µs/query | tps vs pg-gateway |",
    "|---|---|---|---:|---:|---:|"
  ]
  for (const mode of modes) {
    for (const scenario of scenarios) {
      const gatewayTps = median((samples.get(key(gateway.target, mode, scenario)) ?? []).map((s) => s.tps))
      for (const target of targets) {
        const list = samples.get(key(target, mode, scenario)) ?? []
        const tps = median(list.map((s) => s.tps))
        const cpu = median(list.map((s) => s.cpuPerQuery))
        lines.push(`| ${mode} | ${scenario.name} | ${target.name} | ${tps.toFixed(0)} | ${cpu.toFixed(1)} | ${(tps / gatewayTps).toFixed(2)}× |`)
      }
    }
  }
  console.log(lines.join("\n"))
  process.exit(0)
}

const serve = arg("serve")
if (serve === "ours") serveOurs(Number(arg("port") ?? 0))
else if (serve === "gateway") void serveGateway(Number(arg("port") ?? 0))
else await main()
