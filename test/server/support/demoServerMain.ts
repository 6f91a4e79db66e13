/**
 * A server with the demo engine in a process of its own, for tests that
 * need to see one process's resources (file descriptors under a low
 * limit, memory): it listens on 127.0.0.1 (a free port) with the limits
 * given as JSON in the first argument, prints `port <n>` once listening,
 * answers `fds` on stdin with `fds <n>` (its open descriptors) and `mem`
 * with `mem <rss> <live>` (after a garbage collection: resident memory, and
 * the memory JavaScript holds, heap and buffers, in MiB), and exits when
 * stdin closes.
 */
import * as Fs from "node:fs"
import * as Readline from "node:readline"
import * as V8 from "node:v8"
import * as Vm from "node:vm"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as DemoEngine from "../../../src/server/demo/DemoEngine.ts"
import { PgServer } from "../../../src/server/PgServer.ts"
import { QueryHandler } from "../../../src/server/QueryHandler.ts"
import type { PgServerOptions } from "../../../src/server/ServerOptions.ts"

V8.setFlagsFromString("--expose-gc")
const collectGarbage = Vm.runInNewContext("gc") as () => void

const options = JSON.parse(process.argv[2] ?? "{}") as Pick<PgServerOptions, "maxConnections" | "startupTimeout">

const program = Effect.gen(function*() {
  const server = yield* PgServer.make({ ...options, host: "127.0.0.1", port: 0 })
  process.stdout.write(`port ${server.tcp!.port}\n`)
  yield* Effect.callback<void>((resume) => {
    const lines = Readline.createInterface({ input: process.stdin })
    lines.on("line", (line) => {
      if (line.trim() === "fds") process.stdout.write(`fds ${Fs.readdirSync("/proc/self/fd").length}\n`)
      if (line.trim() === "mem") {
        collectGarbage()
        const usage = process.memoryUsage()
        const mib = (bytes: number) => Math.round(bytes / (1024 * 1024) * 10) / 10
        process.stdout.write(`mem ${mib(usage.rss)} ${mib(usage.heapUsed + usage.external)}\n`)
      }
    })
    lines.on("close", () => resume(Effect.void))
  })
}).pipe(Effect.scoped, Effect.provide(Layer.succeed(QueryHandler)(DemoEngine.make().handler)))

Effect.runPromise(program).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`)
    process.exit(1)
  }
)
