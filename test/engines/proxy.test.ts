/**
 * The proxy engine as a relayed session, in process, in front of the test
 * PostgreSQL 18: the query log read off the relayed messages (simple,
 * extended, errors and the skip to Sync, COPY), out-of-band pushes that
 * never split a relayed message, messages sent with the startup message,
 * Terminate, the message size limits, the idle timeouts and a graceful
 * shutdown that lets a running statement finish.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ProxyEngine, type QueryLogEntry } from "../../src/engines/index.ts"
import { type BackendMessage, StartupCode } from "../../src/protocol/index.ts"
import { AuthProvider, PgServer, type PgServerOptions, type PgServerShape, QueryHandler } from "../../src/server/index.ts"
import { connectPeer, errorCode, readyPeer, tags } from "../server/support/peer.ts"
import { postgres } from "../support/context.ts"

interface Proxy {
  readonly server: PgServerShape
  readonly port: number
  readonly log: Array<QueryLogEntry>
  readonly close: () => Promise<void>
}

const startProxy = async (options: Partial<PgServerOptions> = {}): Promise<Proxy> => {
  const info = postgres()
  const log: Array<QueryLogEntry> = []
  const scope = Effect.runSync(Scope.make())
  const server = await Effect.runPromise(Effect.gen(function*() {
    const engine = yield* ProxyEngine.make({
      upstream: `postgresql://${info.superuser.user}:${info.superuser.password}@127.0.0.1:${info.port}/${info.database}?sslmode=disable`,
      environment: false,
      log: (entry) => Effect.sync(() => log.push(entry))
    })
    return yield* PgServer.make({ host: "127.0.0.1", port: 0, parameters: engine.parameters, ...options }).pipe(
      Effect.provide(Layer.mergeAll(Layer.succeed(QueryHandler)(engine.handler), Layer.succeed(AuthProvider)(AuthProvider.trust)))
    )
  }).pipe(Scope.provide(scope)))
  return { server, port: server.tcp!.port, log, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

const run = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>): Promise<A> => Effect.runPromise(Effect.scoped(effect))

const client = async (port: number): Promise<pg.Client> => {
  const c = new pg.Client({ host: "127.0.0.1", port, user: "alice", database: "postgres" })
  await c.connect()
  return c
}

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))

describe("proxy engine: relayed sessions", () => {
  let proxy: Proxy
  beforeAll(async () => {
    proxy = await startProxy({ limits: { Query: 1_000 } })
  })
  afterAll(() => proxy?.close())

  it("logs a Query as one entry with every command tag, and each Execute with its statement", async () => {
    const c = await client(proxy.port)
    try {
      await c.query("CREATE TEMP TABLE logged (n int); INSERT INTO logged VALUES (1), (2)")
      await c.query({ text: "SELECT n FROM logged WHERE n > $1 ORDER BY n", values: [0] })
      await expect(c.query({ text: "SELECT n FROM no_such_table WHERE n = $1", values: [1] })).rejects.toMatchObject({ code: "42P01" })
      await expect(c.query({ text: "SELECT 1 / $1::int", values: [0] })).rejects.toMatchObject({ code: "22012" })
      await c.query({ text: "SELECT $1::int AS after", values: [7] })
    } finally {
      await c.end()
    }
    await sleep(50)
    const mine = proxy.log.filter((entry) => entry.user === "alice").map((entry) => `${entry.sql} => ${entry.outcome}`)
    expect(mine).toEqual([
      "CREATE TEMP TABLE logged (n int); INSERT INTO logged VALUES (1), (2) => CREATE TABLE; INSERT 0 2",
      "SELECT n FROM logged WHERE n > $1 ORDER BY n => SELECT 2",
      "SELECT n FROM no_such_table WHERE n = $1 => 42P01 relation \"no_such_table\" does not exist",
      "SELECT 1 / $1::int => 22012 division by zero",
      "SELECT $1::int AS after => SELECT 1"
    ])
    for (const entry of proxy.log) expect(entry.durationMillis).toBeGreaterThanOrEqual(0)
  })

  it("after an error the log skips to Sync with the upstream: a pipelined batch is logged as it ran", () =>
    run(Effect.gen(function*() {
      const before = proxy.log.length
      const { peer } = yield* readyPeer({ port: proxy.port }, { user: "bob", database: "postgres" })
      yield* peer.send(
        { _tag: "Parse", name: "", query: "SELECT 1/0", parameterTypes: [] },
        { _tag: "Bind", portal: "", statement: "", parameterFormats: [], parameters: [], resultFormats: [] },
        { _tag: "Execute", portal: "", maxRows: 0 },
        { _tag: "Parse", name: "", query: "SELECT 'skipped'", parameterTypes: [] },
        { _tag: "Bind", portal: "", statement: "", parameterFormats: [], parameters: [], resultFormats: [] },
        { _tag: "Execute", portal: "", maxRows: 0 },
        { _tag: "Sync" },
        { _tag: "Parse", name: "", query: "SELECT 'ran'", parameterTypes: [] },
        { _tag: "Bind", portal: "", statement: "", parameterFormats: [], parameters: [], resultFormats: [] },
        { _tag: "Execute", portal: "", maxRows: 0 },
        { _tag: "Sync" }
      )
      const first = yield* peer.receiveUntil("ReadyForQuery")
      expect(errorCode(first)).toBe("22012")
      const second = yield* peer.receiveUntil("ReadyForQuery")
      expect(tags(second)).toEqual(["ParseComplete", "BindComplete", "DataRow", "CommandComplete", "ReadyForQuery"])
      yield* Effect.sleep(50)
      expect(proxy.log.slice(before).map((entry) => `${entry.sql} => ${entry.outcome}`)).toEqual([
        "SELECT 1/0 => 22012 division by zero",
        "SELECT 'ran' => SELECT 1"
      ])
    })))

  it("COPY in and out pass through and are logged", async () => {
    const c = await client(proxy.port)
    try {
      await c.query("CREATE TEMP TABLE copied (n int)")
      const before = proxy.log.length
      const { from, to } = await import("pg-copy-streams")
      const { pipeline } = await import("node:stream/promises")
      const { Readable, Writable } = await import("node:stream")
      await pipeline(Readable.from(["1\n2\n3\n"]), c.query(from("COPY copied FROM STDIN")))
      let text = ""
      await pipeline(
        c.query(to("COPY copied TO STDOUT")),
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            text += chunk.toString()
            done()
          }
        })
      )
      expect(text).toBe("1\n2\n3\n")
      await sleep(50)
      expect(proxy.log.slice(before).map((entry) => entry.outcome)).toEqual(["COPY 3", "COPY 3"])
    } finally {
      await c.end()
    }
  })

  it("a notice pushed from outside while a large result streams arrives whole, between messages", () =>
    run(Effect.gen(function*() {
      const { peer, startup } = yield* readyPeer({ port: proxy.port }, { user: "carol", database: "postgres" })
      const key = startup.find((m): m is Extract<BackendMessage, { _tag: "BackendKeyData" }> => m._tag === "BackendKeyData")!
      const session = (yield* proxy.server.session(key.processId)).pipe((o) => (o._tag === "Some" ? o.value : undefined))!
      yield* peer.send({ _tag: "Query", query: "SELECT repeat('x', 1000) || n AS v FROM generate_series(1, 20000) AS n" })
      let pushed = 0
      const pusher = Effect.gen(function*() {
        while (pushed < 200) {
          yield* session.notice(`push ${pushed++}`)
          yield* Effect.yieldNow
        }
      })
      yield* Effect.forkChild(pusher)
      const answer = yield* peer.receiveUntil("ReadyForQuery")
      yield* Effect.sleep(100)
      const rest: Array<BackendMessage> = []
      while (peer.pending() > 0) rest.push(yield* peer.receive)
      const all = [...answer, ...rest]
      const rows = all.filter((m) => m._tag === "DataRow")
      expect(rows.length).toBe(20000)
      const notices = all.filter((m) => m._tag === "NoticeResponse").map((m) => (m as Extract<BackendMessage, { _tag: "NoticeResponse" }>).fields.message)
      expect(notices).toEqual(Array.from({ length: pushed }, (_, i) => `push ${i}`))
      expect(all.filter((m) => m._tag === "CommandComplete").length).toBe(1)
    })))

  it("messages sent with the startup message are relayed", () =>
    run(Effect.gen(function*() {
      const peer = yield* connectPeer({ port: proxy.port })
      yield* peer.send(
        { _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { user: "dave", database: "postgres" } },
        { _tag: "Query", query: "SELECT 'early' AS v" }
      )
      const startup = yield* peer.receiveUntil("ReadyForQuery")
      expect(startup.some((m) => m._tag === "AuthenticationOk")).toBe(true)
      const answer = yield* peer.receiveUntil("ReadyForQuery")
      expect(tags(answer)).toEqual(["RowDescription", "DataRow", "CommandComplete", "ReadyForQuery"])
    })))

  it("Terminate ends the session; bytes after it are not relayed", () =>
    run(Effect.gen(function*() {
      const { peer } = yield* readyPeer({ port: proxy.port }, { user: "erin", database: "postgres" })
      yield* peer.send({ _tag: "Terminate" }, { _tag: "Query", query: "SELECT pg_sleep(10)" })
      const closed = yield* peer.closed
      expect(closed).toEqual([])
    })))

  it("a message above its kind's limit is FATAL 08P01; the message before it in the same write was answered", () =>
    run(Effect.gen(function*() {
      const { peer } = yield* readyPeer({ port: proxy.port }, { user: "frank", database: "postgres" })
      yield* peer.send({ _tag: "Query", query: "SELECT 'before' AS v" }, { _tag: "Query", query: `SELECT '${"y".repeat(2_000)}'` })
      const messages = yield* peer.closed
      expect(tags(messages)).toEqual(["RowDescription", "DataRow", "CommandComplete", "ReadyForQuery", "ErrorResponse"])
      expect(errorCode(messages)).toBe("08P01")
    })))

  it("LISTEN on one session receives NOTIFY from another", async () => {
    const a = await client(proxy.port)
    const b = await client(proxy.port)
    try {
      const received = new Promise<string>((resolve) => a.on("notification", (n) => resolve(`${n.channel}:${n.payload}`)))
      await a.query("LISTEN relayed")
      await b.query("NOTIFY relayed, 'hello'")
      expect(await received).toBe("relayed:hello")
    } finally {
      await a.end()
      await b.end()
    }
  })
})

describe("proxy engine: timeouts and shutdown of relayed sessions", () => {
  it("idle in a transaction: FATAL 25P03; idle outside one: FATAL 57P05", async () => {
    const proxy = await startProxy({ idleInTransactionSessionTimeout: "300 millis", idleSessionTimeout: "600 millis" })
    try {
      await run(Effect.gen(function*() {
        const { peer } = yield* readyPeer({ port: proxy.port }, { user: "gina", database: "postgres" })
        yield* peer.send({ _tag: "Query", query: "BEGIN" })
        yield* peer.receiveUntil("ReadyForQuery")
        expect(errorCode(yield* peer.closed)).toBe("25P03")
        const idle = yield* readyPeer({ port: proxy.port }, { user: "hank", database: "postgres" })
        // A statement longer than the idle timeouts is not idle.
        yield* idle.peer.send({ _tag: "Query", query: "SELECT pg_sleep(0.8)" })
        const answer = yield* idle.peer.receiveUntil("ReadyForQuery")
        expect(errorCode(answer)).toBeUndefined()
        expect(errorCode(yield* idle.peer.closed)).toBe("57P05")
      }))
    } finally {
      await proxy.close()
    }
  })

  it("shutdown: an idle session gets 57P01 at once, a running statement finishes first", async () => {
    const proxy = await startProxy({ shutdownTimeout: "10 seconds" })
    try {
      await run(Effect.gen(function*() {
        const idle = yield* readyPeer({ port: proxy.port }, { user: "ivy", database: "postgres" })
        const busy = yield* readyPeer({ port: proxy.port }, { user: "jack", database: "postgres" })
        yield* busy.peer.send({ _tag: "Query", query: "SELECT pg_sleep(0.5) AS slept" })
        yield* Effect.sleep(100)
        const shutdown = yield* Effect.forkChild(proxy.server.shutdown)
        expect(errorCode(yield* idle.peer.closed)).toBe("57P01")
        const answer = yield* busy.peer.closed
        expect(tags(answer)).toEqual(["RowDescription", "DataRow", "CommandComplete", "ReadyForQuery", "ErrorResponse"])
        expect(errorCode(answer)).toBe("57P01")
        yield* Fiber.join(shutdown)
      }))
    } finally {
      await proxy.close()
    }
  })
})
