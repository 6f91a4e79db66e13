/**
 * Runs the `effect-pgwire` command as a child process, the way a person
 * does, and reads its start-up line (the psql connection string); locates
 * psql and pgbench (a test that needs them fails when they are absent).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"

const root = path.resolve(import.meta.dirname, "../..")
/** Node 24 from the devDependency when present (the CLI runs TypeScript directly). */
export const nodeBinary = fs.existsSync(path.join(root, "node_modules/.bin/node")) ? path.join(root, "node_modules/.bin/node") : process.execPath
export const cliMain = path.join(root, "src/cli/main.ts")

export interface Running {
  readonly port: number
  readonly url: string
  readonly line: string
  readonly child: ChildProcess
  /** Everything printed so far. */
  readonly output: () => string
  /** SIGTERM (unless another signal is given), then the exit. */
  readonly stop: (signal?: NodeJS.Signals) => Promise<{ readonly code: number | null; readonly output: string }>
}

/** Starts `effect-pgwire <args>` and waits for its start-up line. */
export const startCli = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv = {}): Promise<Running> =>
  new Promise((resolve, reject) => {
    const child = spawn(nodeBinary, [cliMain, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let settled = false
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)))
    const timer = setTimeout(() => {
      if (settled) return
      settled = true
      child.kill("SIGKILL")
      reject(new Error(`no start-up line after 60 s:\n${out}`))
    }, 60_000)
    const onData = (chunk: Buffer) => {
      out += chunk.toString()
      const match = /psql "(postgresql:\/\/[^"]+)"/.exec(out)
      if (match !== null && !settled) {
        settled = true
        clearTimeout(timer)
        const url = match[1]!
        const port = Number(/:(\d+)\//.exec(url)![1])
        resolve({
          port,
          url,
          line: out,
          child,
          output: () => out,
          stop: async (signal = "SIGTERM") => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal)
            const code = await exited
            return { code, output: out }
          }
        })
      }
    }
    child.stdout!.on("data", onData)
    child.stderr!.on("data", onData)
    void exited.then((code) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      reject(new Error(`effect-pgwire exited (${code}) before its start-up line:\n${out}`))
    })
  })

/** Runs `effect-pgwire <args>` to its end (for commands that fail at start-up). */
export const runCli = (args: ReadonlyArray<string>): Promise<{ readonly code: number | null; readonly output: string }> =>
  new Promise((resolve) => {
    execFile(nodeBinary, [cliMain, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, output: stdout + stderr })
    })
  })

/** The path of a PostgreSQL client program; throws (the test fails) when it is not installed. */
export const locate = (program: "psql" | "pgbench"): string => {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), "/usr/bin", "/usr/local/bin", "/usr/lib/postgresql/18/bin"]
  for (const dir of dirs) {
    const candidate = path.join(dir, program)
    if (dir !== "" && fs.existsSync(candidate)) return candidate
  }
  throw new Error(`${program} is not installed (looked in PATH and /usr/bin): install the PostgreSQL client programs`)
}

/** Runs a program to its end; input goes to its stdin. */
export const run = (
  file: string,
  args: ReadonlyArray<string>,
  options: { readonly input?: string; readonly env?: NodeJS.ProcessEnv } = {}
): Promise<{ readonly code: number; readonly stdout: string; readonly stderr: string }> =>
  new Promise((resolve) => {
    const child = execFile(file, args, { timeout: 60_000, env: { ...process.env, ...options.env } }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr })
    })
    child.stdin!.end(options.input ?? "")
  })
