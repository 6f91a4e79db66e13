/**
 * Tools for hostile-client tests: a well-behaved client that keeps running
 * queries (and checks every answer) while an attack runs, raw byte
 * builders for malformed packets, and the process's open file descriptors
 * and resident memory.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as V8 from "node:v8"
import * as Vm from "node:vm"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import type { PgConnectionConfig } from "../../../src/client/Config.ts"
import { PgConnection, type PgConnectionShape } from "../../../src/client/PgConnection.ts"

/** The process's open file descriptors (sockets included). */
export const openFds = (): number => Fs.readdirSync("/proc/self/fd").length

/** Resident memory, in MiB. */
export const rssMiB = (): number => Math.round(process.memoryUsage().rss / (1024 * 1024))

V8.setFlagsFromString("--expose-gc")
const collectGarbage = Vm.runInNewContext("gc") as () => void

/**
 * Memory held by JavaScript after a full garbage collection, in MiB (one
 * decimal): the heap and the buffers outside it (socket and encoder buffers).
 */
export const heapAfterGcMiB = (): number => {
  collectGarbage()
  collectGarbage()
  const usage = process.memoryUsage()
  return Math.round((usage.heapUsed + usage.external) / (1024 * 1024) * 10) / 10
}

/** Samples `measure` every 10 ms while `effect` runs; returns its result and the largest sample. */
export const sampleMax = <A, E, R>(measure: () => number, effect: Effect.Effect<A, E, R>): Effect.Effect<readonly [A, number], E, R> =>
  Effect.gen(function*() {
    let max = measure()
    const sampler = yield* Effect.forkChild(Effect.forever(Effect.andThen(Effect.sleep("10 millis"), Effect.sync(() => {
      max = Math.max(max, measure())
    }))))
    const result = yield* effect.pipe(Effect.ensuring(Fiber.interrupt(sampler)))
    return [result, Math.max(max, measure())] as const
  })

/** Polls `check` every 20 ms until it holds, for at most `millis`; returns whether it held. */
export const eventually = (check: () => boolean, millis = 10_000): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    const deadline = Date.now() + millis
    while (!check()) {
      if (Date.now() > deadline) return false
      yield* Effect.sleep("20 millis")
    }
    return true
  })

/** What the well-behaved client did while an attack ran. */
export interface GoodReport<A> {
  readonly result: A
  /** Queries that returned the right answer while the attack ran. */
  readonly queries: number
  /** Every query that failed or returned a wrong answer. */
  readonly failures: ReadonlyArray<string>
}

export interface GoodClient {
  readonly connection: PgConnectionShape
  /**
   * Runs `attack` while the client loops on its query. The attack gets
   * `hold(n)`: it returns once `n` more queries have succeeded (the attack
   * is in full swing meanwhile), or fails when they do not within 20 s.
   */
  readonly during: <A, E, R>(
    attack: (hold: (n: number) => Effect.Effect<void, string>) => Effect.Effect<A, E, R>
  ) => Effect.Effect<GoodReport<A>, E | string, R>
}

const describeError = (error: unknown): string =>
  typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error)

/**
 * A PgConnection that, during an attack, runs `SELECT $1::int4 AS n` (or
 * `sql`, when given: it must return one row) in a loop, checking each
 * answer.
 */
export const goodClient = (
  port: number,
  config: Partial<PgConnectionConfig> = {},
  sql?: string
): Effect.Effect<GoodClient, unknown, Scope.Scope> =>
  Effect.gen(function*() {
    const connection = yield* PgConnection.make({ host: "127.0.0.1", port, user: "alice", sslMode: "disable", ...config })
    const during = <A, E, R>(
      attack: (hold: (n: number) => Effect.Effect<void, string>) => Effect.Effect<A, E, R>
    ): Effect.Effect<GoodReport<A>, E | string, R> =>
      Effect.gen(function*() {
        let ok = 0
        const failures: Array<string> = []
        const one = Effect.suspend(() => {
          const n = ok + failures.length
          const query = sql === undefined ? connection.query("SELECT $1::int4 AS n", [n]) : connection.query(sql)
          return query.pipe(
            Effect.match({
              onFailure: (error) => {
                failures.push(describeError(error))
              },
              onSuccess: (result) => {
                if (sql !== undefined ? result.rows.length === 1 : result.rows[0]?.["n"] === n) ok++
                else failures.push(`wrong answer to query ${n}: ${JSON.stringify(result.rows)}`)
              }
            })
          )
        })
        const loop = yield* Effect.forkChild(Effect.forever(one))
        const hold = (n: number): Effect.Effect<void, string> =>
          Effect.suspend(() => {
            const target = ok + n
            return Effect.flatMap(
              eventually(() => ok >= target || failures.length > 0, 20_000),
              () => (ok >= target ? Effect.void : Effect.fail(`the good client stalled at ${ok} queries: ${failures.join("; ")}`))
            )
          })
        const result = yield* attack(hold).pipe(Effect.ensuring(Fiber.interrupt(loop)))
        return { result, queries: ok, failures }
      })
    return { connection, during }
  })

// ---------------------------------------------------------------------------
// Raw packets

const encoder = new TextEncoder()

const int32 = (view: DataView, at: number, value: number) => view.setUint32(at, value >>> 0)

/** An untyped packet: the length word (`declared`, default the real length) and the body. */
export const untypedPacket = (body: Uint8Array, declared?: number): Uint8Array => {
  const out = new Uint8Array(4 + body.length)
  int32(new DataView(out.buffer), 0, declared ?? out.length)
  out.set(body, 4)
  return out
}

/** A typed message: type byte, length word (`declared`, default the real length), body. */
export const typedMessage = (type: string, body: Uint8Array, declared?: number): Uint8Array => {
  const out = new Uint8Array(5 + body.length)
  out[0] = type.charCodeAt(0)
  int32(new DataView(out.buffer), 1, declared ?? 4 + body.length)
  out.set(body, 5)
  return out
}

const concat = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

const cstring = (s: string) => concat(encoder.encode(s), new Uint8Array([0]))

/**
 * A protocol 3.0 StartupMessage for `user` whose length word is exactly
 * `total` (padded with an `x_pad` parameter).
 */
export const startupOfLength = (user: string, total: number): Uint8Array => {
  const fixed = 4 + 4 + cstring("user").length + cstring(user).length + cstring("x_pad").length + 1 + 1
  const pad = total - fixed
  if (pad < 0) throw new Error(`a startup packet for ${user} needs at least ${fixed} bytes`)
  const version = new Uint8Array([0, 3, 0, 0])
  const body = concat(version, cstring("user"), cstring(user), cstring("x_pad"), cstring("p".repeat(pad)), new Uint8Array([0]))
  return untypedPacket(body)
}

/** A CancelRequest with any key (malformed lengths included). */
export const cancelPacket = (processId: number, key: Uint8Array): Uint8Array => {
  const body = new Uint8Array(8 + key.length)
  const view = new DataView(body.buffer)
  int32(view, 0, 80877102)
  int32(view, 4, processId)
  body.set(key, 8)
  return untypedPacket(body)
}

/** A SASLInitialResponse ('p') naming `mechanism` with `data`. */
export const saslInitialResponse = (mechanism: string, data: Uint8Array): Uint8Array => {
  const length = new Uint8Array(4)
  int32(new DataView(length.buffer), 0, data.length)
  return typedMessage("p", concat(cstring(mechanism), length, data))
}

/** A PasswordMessage ('p') carrying `password`. */
export const passwordMessage = (password: string): Uint8Array => typedMessage("p", cstring(password))

// ---------------------------------------------------------------------------
// A server in a process of its own

export interface ChildServer {
  readonly port: number
  /** The child's open file descriptors. */
  readonly fds: Effect.Effect<number, string>
  /** After a garbage collection: the child's resident memory, and what JavaScript holds (heap and buffers), in MiB. */
  readonly memory: Effect.Effect<{ readonly rss: number; readonly live: number }, string>
  /** Whether the child is still running. */
  readonly alive: () => boolean
}

/**
 * Runs `support/demoServerMain.ts` in a child process whose open-file limit
 * is `fileLimit`, with `options` (JSON); stopped with the scope.
 */
export const childServer = (fileLimit: number, options: Record<string, unknown>): Effect.Effect<ChildServer, string, Scope.Scope> =>
  Effect.gen(function*() {
    const script = Path.join(import.meta.dirname, "demoServerMain.ts")
    const child = yield* Effect.acquireRelease(
      Effect.sync(() =>
        ChildProcess.spawn("sh", ["-c", `ulimit -n ${fileLimit} && exec "$0" "$1" "$2"`, process.execPath, script, JSON.stringify(options)], {
          stdio: ["pipe", "pipe", "inherit"]
        })
      ),
      (child) =>
        Effect.callback<void>((resume) => {
          if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
          const timer = setTimeout(() => child.kill("SIGKILL"), 5_000)
          child.once("exit", () => {
            clearTimeout(timer)
            resume(Effect.void)
          })
          child.stdin.end()
        })
    )
    const lines: Array<string> = []
    let partial = ""
    let wake: (() => void) | undefined
    child.stdout.on("data", (chunk: Buffer) => {
      partial += chunk.toString("utf8")
      for (let i = partial.indexOf("\n"); i >= 0; i = partial.indexOf("\n")) {
        lines.push(partial.slice(0, i))
        partial = partial.slice(i + 1)
      }
      wake?.()
    })
    child.once("exit", () => wake?.())
    const line = (prefix: string): Effect.Effect<string, string> =>
      Effect.callback<string, string>((resume) => {
        const attempt = () => {
          const at = lines.findIndex((l) => l.startsWith(prefix))
          if (at >= 0) return resume(Effect.succeed(lines.splice(at, 1)[0]!.slice(prefix.length + 1)))
          if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.fail(`the server process exited (${child.exitCode ?? child.signalCode})`))
          wake = attempt
        }
        attempt()
        return Effect.sync(() => {
          wake = undefined
        })
      }).pipe(Effect.timeoutOrElse({ duration: "20 seconds", orElse: () => Effect.fail(`no "${prefix}" line from the server process`) }))
    const port = Number(yield* line("port"))
    const fds = Effect.suspend(() => {
      child.stdin.write("fds\n")
      return Effect.map(line("fds"), Number)
    })
    const memory = Effect.suspend(() => {
      child.stdin.write("mem\n")
      return Effect.map(line("mem"), (text) => {
        const [rss, live] = text.split(" ").map(Number)
        return { rss: rss!, live: live! }
      })
    })
    return { port, fds, memory, alive: () => child.exitCode === null && child.signalCode === null }
  })
