/**
 * Row streams through portals, COPY in both directions with the three
 * formats, and LISTEN as a stream, on a real PostgreSQL 18.
 */
import { createHash } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as CopyFormat from "../../src/client/CopyFormat.ts"
import type { ListenEvent } from "../../src/client/Listen.ts"
import type { PgConnectionShape } from "../../src/client/PgConnection.ts"
import { Oid } from "../../src/client/TypeMap.ts"
import { withConnection } from "../support/connection.ts"

const errorOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined => {
  const found = Exit.isFailure(exit) ? Exit.findErrorOption(exit) : undefined
  return found?._tag === "Some" ? found.value : undefined
}

let tables = 0
const freshTable = (c: PgConnectionShape) =>
  Effect.gen(function*() {
    const name = `copy_${process.pid}_${++tables}`
    yield* c.execute(`DROP TABLE IF EXISTS ${name}; CREATE TABLE ${name} (i int, t text)`)
    return name
  })

describe("stream", () => {
  it.live("emits every row in order, in batches, and the connection goes on", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const rows = yield* Stream.runCollect(c.stream("SELECT i FROM generate_series(1, $1::int) i", [10_005], { batchSize: 1000 }))
        expect(rows.length).toBe(10_005)
        expect(rows.every((row, index) => row.i === index + 1)).toBe(true)
        expect((yield* c.query("SELECT 2 AS two")).rows).toEqual([{ two: 2 }])
        expect(yield* c.transactionStatus).toBe("I")
      })
    ))

  it.live("an empty result and a statement without rows end the stream", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        expect(yield* Stream.runCollect(c.stream("SELECT 1 AS x WHERE false"))).toEqual([])
        expect(yield* Stream.runCollect(c.stream("SET application_name = 'streaming'"))).toEqual([])
      })
    ))

  it.live("stopping early closes the portal; a query queued meanwhile runs after it", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const first = yield* c.stream("SELECT i FROM generate_series(1, 1000000) i", [], { batchSize: 100 }).pipe(
          Stream.take(250),
          Stream.runCollect
        )
        expect(first.map((r) => r.i)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1))
        expect(yield* c.transactionStatus).toBe("I")
        // A query submitted while a stream holds the connection waits for it, then runs.
        const streaming = c.stream("SELECT i FROM generate_series(1, 5000) i", [], { batchSize: 500 })
        const [rows, other] = yield* Effect.all([Stream.runCollect(streaming), c.query("SELECT 'after' AS a")], { concurrency: 2 })
        expect(rows.length).toBe(5000)
        expect(other.rows).toEqual([{ a: "after" }])
        const stats = yield* c.stats
        expect(stats.pendingRequests).toBe(0)
      })
    ))

  it.live("an error part-way fails the stream after the rows before it; the connection stays usable", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const seen: Array<unknown> = []
        const exit = yield* c.stream("SELECT 10 / (i - 450) AS q, i FROM generate_series(1, 1000) i", [], { batchSize: 100 }).pipe(
          Stream.runForEach((row) => Effect.sync(() => seen.push(row.i))),
          Effect.exit
        )
        const error = errorOf(exit)
        expect(error?._tag).toBe("PgServerError")
        expect(error?._tag === "PgServerError" ? error.code : undefined).toBe("22012")
        expect(seen.length).toBe(400)
        expect((yield* c.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }])
      })
    ))

  it.live("interrupting a stream whose first batch is slow cancels it on the server", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const exit = yield* c.stream("SELECT pg_sleep(30)").pipe(Stream.runCollect, Effect.timeout("200 millis"), Effect.exit)
        expect(Exit.isFailure(exit)).toBe(true)
        expect((yield* c.query("SELECT 'usable' AS state")).rows).toEqual([{ state: "usable" }])
        expect((yield* c.stats).cancelsSent).toBe(1)
      })
    ))

  it.live("inside a transaction block the stream sees the transaction's own writes", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const table = yield* freshTable(c)
        yield* c.execute(`BEGIN; INSERT INTO ${table} SELECT i, 'x' FROM generate_series(1, 300) i`)
        const rows = yield* Stream.runCollect(c.stream(`SELECT i FROM ${table} ORDER BY i`, [], { batchSize: 64 }))
        expect(rows.length).toBe(300)
        expect(yield* c.transactionStatus).toBe("T")
        yield* c.execute("ROLLBACK")
        yield* c.execute(`DROP TABLE ${table}`)
      })
    ))

  it.live("a bad batch size is a typed error", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(Stream.runCollect(c.stream("SELECT 1", [], { batchSize: 0 })))
        expect(errorOf(exit)?._tag).toBe("ParameterError")
      })
    ))
})

// ---------------------------------------------------------------------------

const ROWS = 1_000_000
const sourceRows = (count: number) =>
  Stream.range(1, count).pipe(
    Stream.rechunk(4096),
    Stream.map((i): ReadonlyArray<unknown> => [i, i % 97 === 0 ? null : `row ${i}\tTab "quoted", back\\slash\nline`])
  )

/** What the table holds, as the server computes it. */
const serverChecksum = (c: PgConnectionShape, table: string) =>
  Effect.map(
    c.query(`SELECT count(*)::int AS n, sum(i)::text AS s, md5(string_agg(coalesce(t, '<null>'), '|' ORDER BY i)) AS h FROM ${table}`),
    (r) => r.rows[0]
  )

/** The same checksum over rows decoded from COPY TO STDOUT. */
const clientChecksum = (rows: ReadonlyArray<ReadonlyArray<unknown>>) => {
  const sorted = [...rows].sort((a, b) => Number(a[0]) - Number(b[0]))
  const hash = createHash("md5")
  let sum = 0n
  sorted.forEach((row, index) => {
    if (index > 0) hash.update("|")
    hash.update(row[1] === null ? "<null>" : String(row[1]))
    sum += BigInt(String(row[0]))
  })
  return { n: rows.length, s: String(sum), h: hash.digest("hex") }
}

const formats = [
  { name: "text", option: "", encode: CopyFormat.encodeText, decode: CopyFormat.decodeText },
  { name: "csv", option: "(FORMAT csv)", encode: CopyFormat.encodeCsv, decode: CopyFormat.decodeCsv },
  {
    name: "binary",
    option: "(FORMAT binary)",
    encode: CopyFormat.encodeBinary([Oid.int4, Oid.text]),
    decode: CopyFormat.decodeBinary([Oid.int4, Oid.text])
  }
] as const

describe("COPY", () => {
  for (const format of formats) {
    it.live(`${format.name}: 1,000,000 rows in and back out, checksums equal`, () =>
      withConnection((c) =>
        Effect.gen(function*() {
          const table = yield* freshTable(c)
          const result = yield* Stream.run(format.encode(sourceRows(ROWS)), c.copyFrom(`COPY ${table} FROM STDIN ${format.option}`))
          expect(result.rowCount).toBe(ROWS)
          const stored = yield* serverChecksum(c, table)
          expect(stored?.n).toBe(ROWS)
          expect(stored?.s).toBe(String((BigInt(ROWS) * BigInt(ROWS + 1)) / 2n))
          const back = yield* Stream.runCollect(format.decode(c.copyTo(`COPY ${table} TO STDOUT ${format.option}`)))
          expect(clientChecksum(back)).toEqual(stored)
          // The source rows hash the same as what the server stored.
          const source = yield* Stream.runCollect(sourceRows(ROWS))
          expect(clientChecksum(source)).toEqual(stored)
          yield* c.execute(`DROP TABLE ${table}`)
        })
      ), 120_000)
  }

  it.live("a source that fails half-way sends CopyFail: the table is unchanged", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const table = yield* freshTable(c)
        yield* c.execute(`INSERT INTO ${table} VALUES (0, 'before')`)
        const failing = Stream.concat(sourceRows(50_000), Stream.fail("source broke" as const))
        const exit = yield* Effect.exit(Stream.run(CopyFormat.encodeText(failing), c.copyFrom(`COPY ${table} FROM STDIN`)))
        expect(errorOf(exit)).toBe("source broke")
        expect((yield* c.query(`SELECT count(*)::int AS n FROM ${table}`)).rows).toEqual([{ n: 1 }])
        yield* c.execute(`DROP TABLE ${table}`)
      })
    ))

  it.live("an interrupted COPY commits nothing and the connection stays usable", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const table = yield* freshTable(c)
        const endless = Stream.forever(Stream.succeed<ReadonlyArray<unknown>>([1, "x"])).pipe(Stream.rechunk(1000))
        const fiber = yield* Effect.forkChild(Stream.run(CopyFormat.encodeText(endless), c.copyFrom(`COPY ${table} FROM STDIN`)))
        // Wait until the server has received some data, then interrupt.
        yield* Effect.sleep("300 millis")
        yield* Fiber.interrupt(fiber)
        expect((yield* c.query(`SELECT count(*)::int AS n FROM ${table}`)).rows).toEqual([{ n: 0 }])
        yield* c.execute(`DROP TABLE ${table}`)
      })
    ))

  it.live("data the server rejects fails with its error; the connection stays usable", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const table = yield* freshTable(c)
        const bytes = Stream.make(new TextEncoder().encode("1\tok\nnot-a-number\tbad\n"))
        const exit = yield* Effect.exit(Stream.run(bytes, c.copyFrom(`COPY ${table} FROM STDIN`)))
        const error = errorOf(exit)
        expect(error?._tag === "PgServerError" ? error.code : error).toBe("22P02")
        expect((yield* c.query(`SELECT count(*)::int AS n FROM ${table}`)).rows).toEqual([{ n: 0 }])
        yield* c.execute(`DROP TABLE ${table}`)
      })
    ))

  it.live("the wrong kind of statement is a CopyError", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const table = yield* freshTable(c)
        const notCopy = yield* Effect.exit(Stream.run(Stream.empty, c.copyFrom("SELECT 1")))
        expect(errorOf(notCopy)?._tag).toBe("CopyError")
        const copiesOut = yield* Effect.exit(Stream.run(Stream.empty, c.copyFrom(`COPY ${table} TO STDOUT`)))
        expect(errorOf(copiesOut)?._tag).toBe("CopyError")
        const copiesIn = yield* Effect.exit(Stream.runCollect(c.copyTo(`COPY ${table} FROM STDIN`)))
        expect(errorOf(copiesIn)?._tag).toBe("CopyError")
        expect((yield* c.query("SELECT 'fine' AS s")).rows).toEqual([{ s: "fine" }])
        yield* c.execute(`DROP TABLE ${table}`)
      })
    ))

  it.live("COPY FROM STDIN through query() with requests pipelined behind it leaves them intact", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const table = yield* freshTable(c)
        const results = yield* Effect.all(
          [
            Effect.exit(c.query(`COPY ${table} FROM STDIN`)),
            c.query("SELECT 1 AS a"),
            c.query("SELECT 2 AS b"),
            Effect.exit(c.execute(`COPY ${table} FROM STDIN`)),
            c.query("SELECT 3 AS c")
          ],
          { concurrency: "unbounded" }
        )
        expect(errorOf(results[0])?._tag).toBe("PgServerError")
        expect(results[1].rows).toEqual([{ a: 1 }])
        expect(results[2].rows).toEqual([{ b: 2 }])
        expect(errorOf(results[3])?._tag).toBe("PgServerError")
        expect(results[4].rows).toEqual([{ c: 3 }])
        yield* c.execute(`DROP TABLE ${table}`)
      })
    ))

  it.live("stopping a COPY TO STDOUT early leaves the connection usable", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const chunks = yield* c.copyTo("COPY (SELECT i, repeat('x', 100) FROM generate_series(1, 2000000) i) TO STDOUT", { highWaterMark: 64 * 1024 }).pipe(
          Stream.take(3),
          Stream.runCollect
        )
        expect(chunks.length).toBe(3)
        expect((yield* c.query("SELECT 'next' AS n")).rows).toEqual([{ n: "next" }])
      })
    ))
})

describe("COPY formats", () => {
  const roundTrip = <A>(encode: typeof CopyFormat.encodeText, decode: (s: Stream.Stream<Uint8Array>) => Stream.Stream<A, CopyFormat.CopyFormatError>, rows: ReadonlyArray<ReadonlyArray<unknown>>, split: number) =>
    Effect.gen(function*() {
      const bytes = yield* Stream.runCollect(encode(Stream.fromIterable(rows)))
      const all = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0))
      let at = 0
      for (const b of bytes) {
        all.set(b, at)
        at += b.length
      }
      // Re-chunk at every `split` bytes to cross field, escape and row boundaries.
      const pieces: Array<Uint8Array> = []
      for (let i = 0; i < all.length; i += split) pieces.push(all.subarray(i, i + split))
      return yield* Stream.runCollect(decode(Stream.fromIterable(pieces)))
    })
  const tricky: ReadonlyArray<ReadonlyArray<unknown>> = [
    ["plain", "", null],
    ["tab\there", "new\nline", "carriage\rreturn"],
    ["back\\slash", "\\N", '"quoted", comma'],
    ["\\.", "ünïcødé 😀", " spaces "]
  ]

  it.effect("text and CSV keep every character, NULL apart from '' and '\\N', at any chunking", () =>
    Effect.gen(function*() {
      for (const split of [1, 2, 3, 7, 1000]) {
        expect(yield* roundTrip(CopyFormat.encodeText, CopyFormat.decodeText, tricky, split)).toEqual(tricky)
        expect(yield* roundTrip(CopyFormat.encodeCsv, CopyFormat.decodeCsv, tricky, split)).toEqual(tricky)
      }
    }))

  it.effect("malformed input is a CopyFormatError", () =>
    Effect.gen(function*() {
      const unclosed = yield* Effect.exit(Stream.runCollect(CopyFormat.decodeCsv(Stream.make(new TextEncoder().encode('a,"open\n')))))
      expect(errorOf(unclosed)?._tag).toBe("CopyFormatError")
      const badBinary = yield* Effect.exit(Stream.runCollect(CopyFormat.decodeBinary()(Stream.make(new TextEncoder().encode("PGCOPY\nnot really binary")))))
      expect(errorOf(badBinary)?._tag).toBe("CopyFormatError")
      const wrongWidth = yield* Effect.exit(Stream.runCollect(CopyFormat.encodeBinary([Oid.int4])(Stream.make([1, 2]))))
      expect(errorOf(wrongWidth)?._tag).toBe("CopyFormatError")
    }))
})

// ---------------------------------------------------------------------------

describe("listen", () => {
  it.live("receives NOTIFY from another connection in order", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const channel = `jobs_${process.pid}`
        const fiber = yield* c.listen(channel).pipe(Stream.take(100), Stream.runCollect, Effect.forkChild)
        // Wait until the listening session is registered, then notify.
        yield* waitForListener(c, channel)
        for (let i = 0; i < 100; i++) yield* c.query("SELECT pg_notify($1, $2)", [channel, String(i)])
        const events = yield* Fiber.join(fiber)
        expect(events.map((e) => (e._tag === "Notification" ? e.payload : "gap"))).toEqual(Array.from({ length: 100 }, (_, i) => String(i)))
        expect(events.every((e) => e._tag === "Notification" && e.channel === channel)).toBe(true)
      })
    ))

  it.live("a terminated listening backend: reconnect, a gap marker, then later notifications", () =>
    withConnection((c) =>
      Effect.gen(function*() {
        const channel = `gap_${process.pid}`
        const seen: Array<ListenEvent> = []
        const fiber = yield* c.listen(channel, { reconnectDelay: "50 millis" }).pipe(
          Stream.tap((e) => Effect.sync(() => seen.push(e))),
          Stream.takeUntil((e) => e._tag === "Notification" && e.payload === "after"),
          Stream.runDrain,
          Effect.forkChild
        )
        const pid = yield* waitForListener(c, channel)
        yield* c.query("SELECT pg_notify($1, 'before')", [channel])
        yield* waitUntil(() => seen.length === 1)
        yield* c.query("SELECT pg_terminate_backend($1)", [pid])
        const next = yield* waitForListener(c, channel, pid)
        expect(next).not.toBe(pid)
        yield* waitUntil(() => seen.some((e) => e._tag === "Gap"))
        yield* c.query("SELECT pg_notify($1, 'after')", [channel])
        yield* Fiber.join(fiber)
        expect(seen.map((e) => (e._tag === "Notification" ? e.payload : e._tag))).toEqual(["before", "Gap", "after"])
        const gap = seen[1]
        expect(gap?._tag === "Gap" ? gap.cause._tag : undefined).toBeDefined()
        // The stream ended: its session is gone.
        yield* waitUntilEffect(Effect.map(listeners(c, channel), (pids) => pids.length === 0))
      })
    ))
})

const listeners = (c: PgConnectionShape, channel: string) =>
  Effect.map(
    c.query("SELECT pid FROM pg_stat_activity WHERE query = $1", [`LISTEN "${channel}"`]),
    (r) => r.rows.map((row) => row.pid as number)
  )

const waitUntilEffect = (check: Effect.Effect<boolean, unknown>): Effect.Effect<void, unknown> =>
  Effect.flatMap(check, (ok) => (ok ? Effect.void : Effect.andThen(Effect.sleep("20 millis"), waitUntilEffect(check))))

const waitUntil = (check: () => boolean) => waitUntilEffect(Effect.sync(check))

/** The pid of the session listening on `channel` (other than `not`), once there is one. */
const waitForListener = (c: PgConnectionShape, channel: string, not?: number): Effect.Effect<number, unknown> =>
  Effect.flatMap(listeners(c, channel), (pids) => {
    const pid = pids.find((p) => p !== not)
    return pid !== undefined ? Effect.succeed(pid) : Effect.andThen(Effect.sleep("20 millis"), waitForListener(c, channel, not))
  })
