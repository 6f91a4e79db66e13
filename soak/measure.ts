/**
 * What the soak runs measure about this process: open file descriptors,
 * TCP sockets to a port (matched by inode between `/proc/self/fd` and
 * `/proc/net/tcp{,6}`), live Effect fibers, and the heap after a full GC.
 *
 * Fibers are counted with effect's `Metric.FiberRuntimeMetrics` hook: a
 * `FiberRuntimeMetricsService` provided to a program is told of every fiber
 * created in it (they inherit it from their parent) and of every fiber's
 * end with its exit. Live fibers = started - ended. The fiber that provides
 * the service is not counted (it was created before). Fibers that end with a
 * defect (`Cause` with a `Die`) are counted apart: a defect is a crash.
 *
 * Linux only (`/proc`).
 */
import * as fs from "node:fs"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import * as Exit from "effect/Exit"
import type * as Metric from "effect/Metric"

/** Runs a full garbage collection (no `--expose-gc` needed). */
export const gc: () => void = (() => {
  const exposed = (globalThis as { gc?: () => void }).gc
  if (typeof exposed === "function") return exposed
  v8.setFlagsFromString("--expose-gc")
  const fromContext: unknown = vm.runInNewContext("gc")
  if (typeof fromContext !== "function") throw new Error("cannot reach the garbage collector")
  return fromContext as () => void
})()

/** Heap used, memory outside the heap (Buffers, ArrayBuffers) and RSS, in bytes, after two full collections. */
export const memoryAfterGc = (): { readonly heapUsed: number; readonly external: number; readonly rss: number } => {
  gc()
  gc()
  const usage = process.memoryUsage()
  return { heapUsed: usage.heapUsed, external: usage.external, rss: usage.rss }
}

/** Links of this process's open file descriptors. */
const fdLinks = (): Array<string> => {
  const out: Array<string> = []
  for (const fd of fs.readdirSync("/proc/self/fd")) {
    try {
      out.push(fs.readlinkSync(`/proc/self/fd/${fd}`))
    } catch {
      // closed between readdir and readlink (the readdir's own fd among them)
    }
  }
  return out
}

/** Open file descriptors of this process, and how many are sockets. */
export const fileDescriptors = (): { readonly total: number; readonly sockets: number } => {
  const links = fdLinks()
  return { total: links.length, sockets: links.filter((l) => l.startsWith("socket:")).length }
}

const tcpTable = (file: string): Array<{ readonly local: number; readonly remote: number; readonly inode: string; readonly state: string }> => {
  let text: string
  try {
    text = fs.readFileSync(file, "utf8")
  } catch {
    return []
  }
  const rows: Array<{ local: number; remote: number; inode: string; state: string }> = []
  for (const line of text.split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/)
    if (cols.length < 10) continue
    const port = (address: string) => Number.parseInt(address.slice(address.lastIndexOf(":") + 1), 16)
    rows.push({ local: port(cols[1]!), remote: port(cols[2]!), state: cols[3]!, inode: cols[9]! })
  }
  return rows
}

/**
 * TCP sockets this process holds open with `port` at either end (a client
 * socket to it, or a server socket accepted on it), and the listening
 * socket apart.
 */
export const socketsOnPort = (port: number): { readonly connections: number; readonly listening: number } => {
  const mine = new Set<string>()
  for (const link of fdLinks()) {
    const match = /^socket:\[(\d+)\]$/.exec(link)
    if (match !== null) mine.add(match[1]!)
  }
  let connections = 0
  let listening = 0
  for (const row of [...tcpTable("/proc/net/tcp"), ...tcpTable("/proc/net/tcp6")]) {
    if (!mine.has(row.inode) || (row.local !== port && row.remote !== port)) continue
    if (row.state === "0A") listening++
    else connections++
  }
  return { connections, listening }
}

/** Counts fibers through effect's fiber runtime hook (see the module). */
export class FiberCounter implements Metric.FiberRuntimeMetricsService {
  started = 0
  ended = 0
  /** Fibers that ended with a defect, and the first few of those defects. */
  defects = 0
  readonly defectSamples: Array<string> = []

  get live(): number {
    return this.started - this.ended
  }

  readonly recordFiberStart = (_context: Context.Context<never>): void => {
    this.started++
  }

  readonly recordFiberEnd = (_context: Context.Context<never>, exit: Exit.Exit<unknown, unknown>): void => {
    this.ended++
    if (Exit.isFailure(exit) && Cause.hasDies(exit.cause)) {
      this.defects++
      if (this.defectSamples.length < 5) this.defectSamples.push(Cause.pretty(exit.cause).slice(0, 2000))
    }
  }
}

/** Polls `done` every 20 ms until it holds or `millis` pass; whether it held. */
export const settle = async (done: () => boolean, millis = 5_000): Promise<boolean> => {
  const deadline = Date.now() + millis
  while (!done()) {
    if (Date.now() >= deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return true
}

export const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`

/** A small seeded PRNG (mulberry32), so a run's choices can be repeated. */
export const prng = (seed: number) => {
  let a = seed >>> 0
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
