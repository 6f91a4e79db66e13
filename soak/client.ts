/**
 * The client soak: many operations over one `PgPool` against a real
 * PostgreSQL, a share of them interrupted at a random moment or given a
 * timeout shorter than they need, then the end conditions:
 *
 * - no socket left open to the server, and no more file descriptors than
 *   before the pool (after the pool closed);
 * - no fiber left running (counted with `FiberCounter`), none ended with a
 *   defect;
 * - on every pooled connection, the server's `pg_prepared_statements` holds
 *   at most the statement cache size, and exactly what the client's cache
 *   believes it holds;
 * - heap growth after a full GC under a bound;
 * - no unexpected error: the expected ones are the interruptions and
 *   timeouts the soak caused and the division by zero it asks for; every
 *   other failure (and every wrong result) is counted by kind.
 *
 * Operations (weights in `mix`): parameterised queries over more distinct
 * texts than the statement cache holds (so it evicts), `pg_sleep`s, simple
 * protocol strings, division by zero, transactions left open when
 * interrupted, COPY FROM (in a rolled back transaction, or straight into a
 * table), COPY TO, and row streams read to the end or stopped early.
 *
 * `runClientSoak` is used by `soak/run.ts` (the full run) and by
 * `test/soak/soak.test.ts` (a short one).
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Metric from "effect/Metric"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as Sink from "effect/Sink"
import type { PgConnectionConfig } from "../src/client/Config.ts"
import type { CopyResult } from "../src/client/CopyIn.ts"
import type { Row } from "../src/client/internal/Wire.ts"
import { PgConnection, type PgConnectionShape } from "../src/client/PgConnection.ts"
import { PgPool } from "../src/client/Pool.ts"
import type { QueryResult } from "../src/client/Query.ts"
import type { StreamOptions } from "../src/client/QueryStream.ts"
import { FiberCounter, fileDescriptors, mb, memoryAfterGc, prng, settle, socketsOnPort } from "./measure.ts"

export interface ClientSoakOptions {
  readonly connection: PgConnectionConfig
  /** Operations to run. */
  readonly queries: number
  /** Stop earlier after this many seconds (default: no limit). */
  readonly seconds?: number | undefined
  readonly poolSize: number
  readonly statementCacheSize: number
  /** Fibers issuing operations at once (more than `poolSize`: some wait for a connection). */
  readonly concurrency: number
  /** Share of operations interrupted at a random moment. Default 0.1. */
  readonly interruptRate?: number | undefined
  /** Share of operations run under a timeout. Default 0.05. */
  readonly timeoutRate?: number | undefined
  readonly seed?: number | undefined
  /** Progress lines (every `progressSeconds`). */
  readonly progress?: ((line: string) => void) | undefined
  readonly progressSeconds?: number | undefined
}

export interface ClientSoakReport {
  readonly operations: number
  readonly byKind: Readonly<Record<string, number>>
  /** Outcomes: ok, interrupted, timedOut, completedDespiteInterrupt, completedDespiteTimeout, expectedServerError. */
  readonly outcomes: Readonly<Record<string, number>>
  readonly interruptsInjected: number
  readonly timeoutsInjected: number
  /** Unexpected failures by kind (tag, SQLSTATE or reason), with a sample message each. */
  readonly unexpected: Readonly<Record<string, { readonly count: number; readonly sample: string }>>
  readonly unexpectedTotal: number
  readonly seconds: number
  readonly operationsPerSecond: number
  readonly fds: { readonly before: number; readonly after: number; readonly socketsBefore: number; readonly socketsAfter: number }
  /** Sockets to the server's port still open after the pool closed. */
  readonly serverSocketsAfter: number
  readonly fibers: { readonly started: number; readonly liveAtEnd: number; readonly defects: number; readonly defectSamples: ReadonlyArray<string> }
  readonly preparedStatements: {
    readonly bound: number
    readonly connections: number
    /** Per connection: what the server holds, and what the client's cache holds. */
    readonly perConnection: ReadonlyArray<{ readonly server: number; readonly client: number }>
    readonly maxServer: number
    readonly mismatches: number
  }
  /** Summed over the connections open at the end. */
  readonly cache: {
    readonly hits: number
    readonly misses: number
    readonly evictions: number
    readonly cancelsSent: number
    /** Interrupted requests the server confirmed as cancelled (57014). */
    readonly queriesCancelled: number
  }
  readonly heap: { readonly before: number; readonly after: number; readonly growth: number; readonly samples: ReadonlyArray<number> }
  /** Memory outside the heap (Buffers, ArrayBuffers) after a full GC. */
  readonly external: { readonly before: number; readonly after: number }
  readonly rss: { readonly before: number; readonly after: number }
}

/** A wrong answer from the server (or the driver). */
class WrongResult extends Error {
  readonly _tag = "WrongResult"
}


const expect = (ok: boolean, what: string): Effect.Effect<void, WrongResult> =>
  ok ? Effect.void : Effect.fail(new WrongResult(what))

/** What an operation runs on: the pool (each call borrows a connection) or one borrowed connection. */
interface Target {
  readonly query: (sql: string, params?: ReadonlyArray<unknown>) => Effect.Effect<QueryResult, unknown>
  readonly execute: (sql: string) => Effect.Effect<ReadonlyArray<QueryResult>, unknown>
  readonly stream: (sql: string, params?: ReadonlyArray<unknown>, options?: StreamOptions) => Stream.Stream<Row, unknown>
  readonly copyFrom: (sql: string) => Sink.Sink<CopyResult, Uint8Array, never, unknown>
  readonly copyTo: (sql: string) => Stream.Stream<Uint8Array, unknown>
  readonly withConnection: <A, E>(f: (c: PgConnectionShape) => Effect.Effect<A, E>) => Effect.Effect<A, unknown>
}

const onConnection = (c: PgConnectionShape): Target => ({
  query: c.query,
  execute: c.execute,
  stream: c.stream,
  copyFrom: c.copyFrom,
  copyTo: c.copyTo,
  withConnection: (f) => f(c)
})

interface Op {
  readonly kind: string
  readonly run: (target: Target) => Effect.Effect<void, unknown>
  /** The server-side sleep of this op, in ms (0 when none). */
  readonly sleepMillis: number
  /** The SQLSTATE this op is meant to fail with. */
  readonly expectedCode?: string
}

const encoder = new TextEncoder()

/** Weights of the operation kinds. */
const mix: ReadonlyArray<readonly [string, number]> = [
  ["query", 62],
  ["sleep", 8],
  ["execute", 5],
  ["divisionByZero", 2],
  ["transaction", 5],
  ["copyFromRolledBack", 3],
  ["copyFrom", 2],
  ["copyTo", 5],
  ["stream", 5],
  ["streamEarlyExit", 3]
]
const mixTotal = mix.reduce((sum, [, w]) => sum + w, 0)

const makeOps = (random: () => number, table: string, distinctTexts: number) => {
  const int = (below: number) => Math.floor(random() * below)
  const pick = (): string => {
    let r = random() * mixTotal
    for (const [kind, w] of mix) {
      if ((r -= w) < 0) return kind
    }
    return "query"
  }
  const copyRows = (n: number, start: number): Uint8Array => {
    let text = ""
    for (let i = 0; i < n; i++) text += `${start + i}\tcopied ${start + i}\n`
    return encoder.encode(text)
  }
  return (forceSleepMillis?: number): Op => {
    const kind = forceSleepMillis === undefined ? pick() : "sleep"
    switch (kind) {
      case "query": {
        // 80% from a few hot texts, 20% from many cold ones: hits and evictions both.
        const k = random() < 0.8 ? int(8) : 8 + int(distinctTexts - 8)
        const x = int(1_000_000)
        return {
          kind,
          sleepMillis: 0,
          run: (t) =>
            Effect.flatMap(t.query(`SELECT $1::int + ${k} AS v`, [x]), (r) =>
              expect(r.rows.length === 1 && r.rows[0]!["v"] === x + k, `SELECT $1::int + ${k} with ${x} gave ${JSON.stringify(r.rows)}`))
        }
      }
      case "sleep": {
        const millis = forceSleepMillis ?? 1 + int(20)
        const x = int(1000)
        return {
          kind,
          sleepMillis: millis,
          run: (t) =>
            Effect.flatMap(t.query("SELECT $2::int AS v FROM pg_sleep($1::float8 / 1000)", [millis, x]), (r) =>
              expect(r.rows[0]?.["v"] === x, `pg_sleep row ${JSON.stringify(r.rows)}`))
        }
      }
      case "execute":
        return {
          kind,
          sleepMillis: 0,
          run: (t) =>
            Effect.flatMap(t.execute("SELECT 1 AS a; SELECT 'two' AS b"), (rs) =>
              expect(rs.length === 2 && rs[0]!.rows[0]?.["a"] === 1 && rs[1]!.rows[0]?.["b"] === "two", `execute gave ${rs.length} results`))
        }
      case "divisionByZero":
        return {
          kind,
          sleepMillis: 0,
          expectedCode: "22012",
          run: (t) => Effect.flatMap(t.query("SELECT 1 / $1::int AS v", [0]), () => Effect.fail(new WrongResult("1 / 0 succeeded")))
        }
      case "transaction": {
        const x = int(1_000_000)
        const millis = int(3)
        return {
          kind,
          sleepMillis: millis,
          run: (t) =>
            t.withConnection((c) =>
              Effect.gen(function*() {
                yield* c.execute("BEGIN")
                yield* c.query(`INSERT INTO ${table} (a, b) VALUES ($1, 'tx')`, [x])
                if (millis > 0) yield* c.query("SELECT 1 AS one FROM pg_sleep($1::float8 / 1000)", [millis])
                const r = yield* c.query(`SELECT count(*)::int AS n FROM ${table} WHERE a = $1 AND b = 'tx'`, [x])
                yield* expect(r.rows[0]?.["n"] === 1, `transaction saw ${JSON.stringify(r.rows)}`)
                yield* c.execute("ROLLBACK")
              })
            )
        }
      }
      case "copyFromRolledBack":
      case "copyFrom": {
        const n = 1 + int(50)
        const chunks = [copyRows(Math.ceil(n / 2), 0), copyRows(Math.floor(n / 2), Math.ceil(n / 2))].filter((c) => c.length > 0)
        const copy = (sink: Sink.Sink<CopyResult, Uint8Array, never, unknown>) =>
          Effect.flatMap(Stream.run(Stream.fromIterable(chunks), sink), (result) =>
            expect(result.rowCount === n, `COPY FROM copied ${result.rowCount} of ${n}`))
        const sql = `COPY ${table} (a, b) FROM STDIN`
        return {
          kind,
          sleepMillis: 0,
          run: (t) =>
            kind === "copyFrom"
              ? copy(t.copyFrom(sql))
              : t.withConnection((c) =>
                Effect.gen(function*() {
                  yield* c.execute("BEGIN")
                  yield* copy(c.copyFrom(sql))
                  yield* c.execute("ROLLBACK")
                })
              )
        }
      }
      case "copyTo": {
        const n = [1, 10, 100, 1000][int(4)]!
        return {
          kind,
          sleepMillis: 0,
          run: (t) =>
            Effect.flatMap(
              Stream.runFold(
                t.copyTo(`COPY (SELECT i, 'row ' || i FROM generate_series(1, ${n}) i) TO STDOUT`),
                () => 0,
                (lines, chunk) => {
                  let count = lines
                  for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) count++
                  return count
                }
              ),
              (lines) => expect(lines === n, `COPY TO gave ${lines} lines of ${n}`)
            )
        }
      }
      case "stream": {
        const n = 1 + int(500)
        return {
          kind,
          sleepMillis: 0,
          run: (t) =>
            Effect.flatMap(
              Stream.runCount(t.stream("SELECT i FROM generate_series(1, $1::int) i", [n], { batchSize: 64 })),
              (count) => expect(count === n, `stream gave ${count} rows of ${n}`)
            )
        }
      }
      default: {
        const n = 100 + int(5000)
        const k = 1 + int(50)
        return {
          kind: "streamEarlyExit",
          sleepMillis: 0,
          run: (t) =>
            Effect.flatMap(
              Stream.runCollect(Stream.take(t.stream("SELECT i FROM generate_series(1, $1::int) i", [n], { batchSize: 32 }), k)),
              (rows) => expect(rows.length === k && rows[k - 1]?.["i"] === k, `early exit gave ${rows.length} rows of ${k}`)
            )
        }
      }
    }
  }
}

/** The kind of an unexpected failure: tag plus SQLSTATE or reason. */
const kindOf = (error: unknown): string => {
  if (typeof error === "object" && error !== null && "_tag" in error) {
    const e = error as { _tag: string; code?: unknown; reason?: unknown }
    return [e._tag, typeof e.code === "string" ? e.code : typeof e.reason === "string" ? e.reason : undefined].filter(Boolean).join(" ")
  }
  return error instanceof Error ? error.name : typeof error
}

export const runClientSoak = async (options: ClientSoakOptions): Promise<ClientSoakReport> => {
  const random = prng(options.seed ?? 1)
  const interruptRate = options.interruptRate ?? 0.1
  const timeoutRate = options.timeoutRate ?? 0.05
  const port = Number(options.connection.port ?? 5432)
  const table = `soak_copy_${process.pid}`
  const log = options.progress ?? (() => {})

  // Warm up: load and run every code path once on a connection of its own, so
  // the baseline below already counts what stays loaded.
  await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const c = yield* PgConnection.make(options.connection)
    yield* c.execute(`DROP TABLE IF EXISTS ${table}; CREATE UNLOGGED TABLE ${table} (a int, b text); CREATE INDEX ON ${table} (a)`)
    yield* c.query("SELECT $1::int AS v", [1])
    yield* Stream.runDrain(c.stream("SELECT i FROM generate_series(1, 10) i"))
    yield* Stream.run(Stream.make(encoder.encode("1\tx\n")), c.copyFrom(`COPY ${table} (a, b) FROM STDIN`))
    yield* Stream.runDrain(c.copyTo(`COPY ${table} TO STDOUT`))
    yield* c.execute(`TRUNCATE ${table}`)
  })))
  await settle(() => socketsOnPort(port).connections === 0)

  const fdsBefore = fileDescriptors()
  const memBefore = memoryAfterGc()
  const counter = new FiberCounter()

  const byKind: Record<string, number> = {}
  const outcomes: Record<string, number> = {}
  const unexpected: Record<string, { count: number; sample: string }> = {}
  let interruptsInjected = 0
  let timeoutsInjected = 0
  let issued = 0
  let done = 0
  const heapSamples: Array<number> = []
  const bump = (record: Record<string, number>, key: string) => (record[key] = (record[key] ?? 0) + 1)
  const unexpectedOne = (key: string, sample: string) => {
    const entry = (unexpected[key] ??= { count: 0, sample })
    entry.count++
  }

  const started = Date.now()
  const deadline = options.seconds === undefined ? Infinity : started + options.seconds * 1000

  const program = Effect.gen(function*() {
    const poolScope = yield* Scope.make()
    const pool = yield* Scope.provide(
      PgPool.make({
        connection: { ...options.connection, statementCacheSize: options.statementCacheSize },
        maxSize: options.poolSize,
        name: `soak-${process.pid}`
      }),
      poolScope
    )
    const nextOp = makeOps(random, table, options.statementCacheSize * 3)
    const poolTarget: Target = pool

    // How long operations take (moving averages, ms): whole, with the wait for a
    // connection, and on a borrowed connection. Interrupts and timeouts land at a
    // random moment within twice that, so they hit every phase: waiting for a
    // connection, preparing, running on the server, streaming, draining.
    let meanWhole = 5
    let meanOnConnection = 2
    const timed = <A, E>(effect: Effect.Effect<A, E>, record: (ms: number) => void) =>
      Effect.suspend(() => {
        const t = performance.now()
        return Effect.ensuring(effect, Effect.sync(() => record(performance.now() - t)))
      })
    const recordWhole = (ms: number) => (meanWhole += (ms - meanWhole) / 100)
    const recordOnConnection = (ms: number) => (meanOnConnection += (ms - meanOnConnection) / 100)
    const momentWithin = (mean: number): Effect.Effect<void> => {
      const r = random()
      if (r < 0.05) return Effect.void
      if (r < 0.1) return Effect.yieldNow
      return Effect.sleep(Duration.micros(BigInt(Math.floor(random() * 2 * mean * 1000))))
    }
    const interruptAt = (effect: Effect.Effect<void, unknown>, mean: number) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.forkChild(effect)
        yield* momentWithin(mean)
        yield* Fiber.interrupt(fiber)
        return yield* Fiber.await(fiber)
      })

    /** Runs one operation with its fate (plain, interrupted, or under a timeout) and files the outcome. */
    const one = Effect.suspend(() => {
      const fate = random()
      if (fate < interruptRate) {
        interruptsInjected++
        const op = nextOp()
        bump(byKind, op.kind)
        // Half on the whole operation (the wait for a connection included), half on a borrowed connection.
        if (fate < interruptRate / 2) return Effect.flatMap(interruptAt(op.run(poolTarget), meanWhole), (exit) => classify(op, exit, "interrupt"))
        return Effect.flatMap(
          Effect.exit(pool.withConnection((c) => interruptAt(op.run(onConnection(c)), meanOnConnection))),
          (exit) => classify(op, Exit.isSuccess(exit) ? exit.value : exit, "interrupt")
        )
      }
      if (fate < interruptRate + timeoutRate) {
        timeoutsInjected++
        if (fate < interruptRate + timeoutRate / 2) {
          // A pg_sleep on a borrowed connection, with a timeout a quarter of its length: it runs on the server when the timeout fires.
          const op = nextOp(10 + Math.floor(random() * 40))
          bump(byKind, op.kind)
          const limit = Duration.millis(Math.max(1, Math.floor(op.sleepMillis / 4)))
          return Effect.flatMap(Effect.exit(pool.withConnection((c) => Effect.timeout(op.run(onConnection(c)), limit))), (exit) => classify(op, exit, "timeout"))
        }
        const op = nextOp()
        bump(byKind, op.kind)
        const limit = Duration.micros(BigInt(Math.floor(random() * 2 * meanWhole * 1000)))
        return Effect.flatMap(Effect.exit(Effect.timeout(op.run(poolTarget), limit)), (exit) => classify(op, exit, "timeout"))
      }
      const op = nextOp()
      bump(byKind, op.kind)
      const plain = random() < 0.5
        ? timed(op.run(poolTarget), recordWhole)
        : timed(pool.withConnection((c) => timed(op.run(onConnection(c)), recordOnConnection)), recordWhole)
      return Effect.flatMap(Effect.exit(plain), (exit) => classify(op, exit, "none"))
    })

    const classify = (op: Op, exit: Exit.Exit<void, unknown>, fate: "interrupt" | "timeout" | "none"): Effect.Effect<void> =>
      Effect.sync(() => {
        done++
        if (Exit.isSuccess(exit)) {
          bump(outcomes, fate === "interrupt" ? "completedDespiteInterrupt" : fate === "timeout" ? "completedDespiteTimeout" : "ok")
          return
        }
        const cause = exit.cause
        if (fate === "interrupt" && Cause.hasInterruptsOnly(cause)) return void bump(outcomes, "interrupted")
        if (Cause.hasDies(cause)) return unexpectedOne("defect", Cause.pretty(cause).slice(0, 500))
        const error = Cause.findErrorOption(cause)
        if (error._tag === "None") return unexpectedOne(`interrupted without being asked (${op.kind})`, Cause.pretty(cause).slice(0, 500))
        const e = error.value
        if (fate === "timeout" && Cause.isTimeoutError(e)) return void bump(outcomes, "timedOut")
        if (op.expectedCode !== undefined && typeof e === "object" && e !== null && (e as { code?: unknown }).code === op.expectedCode) {
          return void bump(outcomes, "expectedServerError")
        }
        unexpectedOne(`${kindOf(e)} (${op.kind}, ${fate})`, e instanceof Error ? e.message : String(e))
      })

    const worker = Effect.whileLoop({
      while: () => issued < options.queries && Date.now() < deadline,
      body: () => Effect.suspend(() => (issued++, one)),
      step: () => {}
    })

    const progress = Effect.forever(
      Effect.delay(
        Effect.sync(() => {
          const heap = process.memoryUsage().heapUsed
          heapSamples.push(heap)
          const secs = (Date.now() - started) / 1000
          log(`client soak: ${done.toLocaleString("en")} ops in ${secs.toFixed(0)} s (${Math.round(done / secs).toLocaleString("en")}/s), heap ${mb(heap)}, unexpected ${Object.values(unexpected).reduce((s, u) => s + u.count, 0)}`)
        }),
        Duration.seconds(options.progressSeconds ?? 10)
      )
    )
    const progressFiber = yield* Effect.forkChild(progress)
    yield* Effect.all(Array.from({ length: options.concurrency }, () => worker), { concurrency: "unbounded", discard: true })
    yield* Fiber.interrupt(progressFiber)
    const elapsed = (Date.now() - started) / 1000

    // Every open connection at once: the server's statements against the client's cache.
    const stats = yield* pool.stats
    const perConnection = yield* Effect.scoped(Effect.gen(function*() {
      const connections = yield* Effect.forEach(Array.from({ length: stats.idle + stats.used }), () => pool.get, { concurrency: "unbounded" })
      return yield* Effect.forEach(connections, (c) =>
        Effect.gen(function*() {
          const [r] = yield* c.execute("SELECT count(*)::int AS n FROM pg_prepared_statements")
          const s = yield* c.stats
          return { server: Number(r!.rows[0]!["n"]), client: s.preparedStatements, stats: s }
        }))
    }))
    yield* Effect.ignore(pool.execute(`DROP TABLE IF EXISTS ${table}`))
    yield* Scope.close(poolScope, Exit.void)
    return { elapsed, perConnection }
  })

  const { elapsed, perConnection } = await Effect.runPromise(program.pipe(Effect.provideService(Metric.FiberRuntimeMetrics, counter)))

  const serverSocketsClosed = await settle(() => socketsOnPort(port).connections === 0)
  await settle(() => fileDescriptors().total <= fdsBefore.total)
  const fdsAfter = fileDescriptors()
  const serverSocketsAfter = serverSocketsClosed ? 0 : socketsOnPort(port).connections
  await settle(() => counter.live === 0)
  const memAfter = memoryAfterGc()

  const cache = perConnection.reduce(
    (t, p) => ({
      hits: t.hits + p.stats.statementCacheHits,
      misses: t.misses + p.stats.statementCacheMisses,
      evictions: t.evictions + p.stats.statementCacheEvictions,
      cancelsSent: t.cancelsSent + p.stats.cancelsSent,
      queriesCancelled: t.queriesCancelled + p.stats.queriesCancelled
    }),
    { hits: 0, misses: 0, evictions: 0, cancelsSent: 0, queriesCancelled: 0 }
  )
  const unexpectedTotal = Object.values(unexpected).reduce((s, u) => s + u.count, 0)
  return {
    operations: done,
    byKind,
    outcomes,
    interruptsInjected,
    timeoutsInjected,
    unexpected,
    unexpectedTotal,
    seconds: elapsed,
    operationsPerSecond: done / elapsed,
    fds: { before: fdsBefore.total, after: fdsAfter.total, socketsBefore: fdsBefore.sockets, socketsAfter: fdsAfter.sockets },
    serverSocketsAfter,
    fibers: { started: counter.started, liveAtEnd: counter.live, defects: counter.defects, defectSamples: counter.defectSamples },
    preparedStatements: {
      bound: options.statementCacheSize,
      connections: perConnection.length,
      perConnection: perConnection.map(({ client, server }) => ({ client, server })),
      maxServer: Math.max(0, ...perConnection.map((p) => p.server)),
      mismatches: perConnection.filter((p) => p.server !== p.client).length
    },
    cache,
    heap: { before: memBefore.heapUsed, after: memAfter.heapUsed, growth: memAfter.heapUsed - memBefore.heapUsed, samples: heapSamples },
    external: { before: memBefore.external, after: memAfter.external },
    rss: { before: memBefore.rss, after: memAfter.rss }
  }
}

/** The report as text lines. */
export const describeClientSoak = (r: ClientSoakReport): string => {
  const lines = [
    `operations: ${r.operations.toLocaleString("en")} in ${r.seconds.toFixed(1)} s (${Math.round(r.operationsPerSecond).toLocaleString("en")} ops/s)`,
    `by kind: ${JSON.stringify(r.byKind)}`,
    `outcomes: ${JSON.stringify(r.outcomes)}`,
    `injected: ${r.interruptsInjected.toLocaleString("en")} interrupts, ${r.timeoutsInjected.toLocaleString("en")} timeouts`,
    `unexpected errors: ${r.unexpectedTotal}${r.unexpectedTotal > 0 ? ` ${JSON.stringify(r.unexpected, null, 1)}` : ""}`,
    `file descriptors: ${r.fds.before} before, ${r.fds.after} after (sockets ${r.fds.socketsBefore} -> ${r.fds.socketsAfter}); sockets to the server after close: ${r.serverSocketsAfter}`,
    `fibers: ${r.fibers.started.toLocaleString("en")} started, ${r.fibers.liveAtEnd} live at the end, ${r.fibers.defects} ended with a defect`,
    `prepared statements: bound ${r.preparedStatements.bound}, ${r.preparedStatements.connections} connections, max on the server ${r.preparedStatements.maxServer}, server/client mismatches ${r.preparedStatements.mismatches}`,
    `statement cache: ${r.cache.hits.toLocaleString("en")} hits, ${r.cache.misses.toLocaleString("en")} misses, ${r.cache.evictions.toLocaleString("en")} evictions; cancels sent ${r.cache.cancelsSent.toLocaleString("en")}, confirmed by the server (57014) ${r.cache.queriesCancelled.toLocaleString("en")} (connections open at the end)`,
    `heap after GC: ${mb(r.heap.before)} before, ${mb(r.heap.after)} after (growth ${mb(r.heap.growth)}); outside the heap ${mb(r.external.before)} -> ${mb(r.external.after)}; RSS ${mb(r.rss.before)} -> ${mb(r.rss.after)}`,
    `heap samples (no GC): ${r.heap.samples.map(mb).join(", ")}`
  ]
  for (const sample of r.fibers.defectSamples) lines.push(`defect: ${sample}`)
  return lines.join("\n")
}
