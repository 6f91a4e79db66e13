/**
 * The simple-query protocol against the demo engine, with our client and a
 * scripted peer: several statements per Query with a result each, the first
 * error stopping the rest, the implicit transaction (handlers told, rolled
 * back on error), transaction status I/T/E in ReadyForQuery, empty queries,
 * ParameterStatus after SET of a reported setting, handler defects, and the
 * refused function-call protocol.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { PgConnection } from "../../src/client/PgConnection.ts"
import { pgError } from "../../src/server/PgError.ts"
import { QueryHandler } from "../../src/server/QueryHandler.ts"
import * as Results from "../../src/server/Results.ts"
import { Oid } from "../../src/server/Values.ts"
import { errorCode, readyPeer, tags } from "./support/peer.ts"
import { startServer } from "./support/server.ts"

const client = (port: number) => PgConnection.make({ host: "127.0.0.1", port, user: "alice", sslMode: "disable" })

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined => {
  const found = Exit.isFailure(exit) ? Exit.findErrorOption(exit) : undefined
  return found?._tag === "Some" ? found.value : undefined
}

describe("statements of one Query", () => {
  it.live("each statement gets its own result, in order", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const c = yield* client(port)
      const results = yield* c.execute("INSERT INTO kv VALUES ('a', '1'), ('b', '2'); SELECT key, value FROM kv ORDER BY key; SELECT count(*) FROM kv")
      expect(results.map((r) => r.command)).toEqual(["INSERT 0 2", "SELECT 2", "SELECT 1"])
      expect(results[1]!.rows).toEqual([{ key: "a", value: "1" }, { key: "b", value: "2" }])
      expect(results[2]!.rows).toEqual([{ count: 2n }])
    })))

  it.live("the wire: RowDescription, DataRows and CommandComplete per statement, one ReadyForQuery", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      yield* peer.send({ _tag: "Query", query: "SELECT 1; SELECT * FROM generate_series(1, 2)" })
      expect(tags(yield* peer.receiveUntil("ReadyForQuery"))).toEqual([
        "RowDescription",
        "DataRow",
        "CommandComplete",
        "RowDescription",
        "DataRow",
        "DataRow",
        "CommandComplete",
        "ReadyForQuery"
      ])
    })))

  it.live("the first error stops the rest, and the implicit transaction is rolled back", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, engine } = yield* startServer()
      const c = yield* client(port)
      const error = failureOf(yield* Effect.exit(c.execute("INSERT INTO kv VALUES ('a', '1'); SELECT 1/0; INSERT INTO kv VALUES ('b', '2')")))
      expect(error).toMatchObject({ _tag: "PgServerError", code: "22012" })
      expect(engine.table.size).toBe(0)
      const [count] = yield* c.execute("SELECT count(*) FROM kv")
      expect(count!.rows).toEqual([{ count: 0n }])
      yield* c.execute("INSERT INTO kv VALUES ('a', '1'); INSERT INTO kv VALUES ('b', '2')")
      expect([...engine.table.keys()].sort()).toEqual(["a", "b"])
    })))

  it.live("handlers are told which statements run in the implicit transaction, and how it ends", () =>
    Effect.scoped(Effect.gen(function*() {
      const log: Array<string> = []
      const statement: Results.PreparedStatement = { sql: "", parameterTypes: [], fields: undefined }
      const handler = QueryHandler.make({
        prepare: ({ sql }) => Effect.succeed({ ...statement, sql }),
        execute: ({ implicitTransaction, statement }) => {
          log.push(`${statement.sql}:${implicitTransaction ? "implicit" : "block"}`)
          if (statement.sql === "FAIL") return Effect.fail(pgError("22000", "failed"))
          return Effect.succeed(Results.command(statement.sql))
        },
        endImplicitTransaction: (_, outcome) => Effect.sync(() => void log.push(`end:${outcome}`))
      })
      const { port } = yield* startServer({ handler })
      const { peer } = yield* readyPeer({ port })
      const run = (query: string) => Effect.andThen(peer.send({ _tag: "Query", query }), peer.receiveUntil("ReadyForQuery"))
      yield* run("A; B")
      yield* run("A; FAIL; B")
      yield* run("BEGIN; A; COMMIT; B")
      yield* run("A; BEGIN")
      yield* run("ROLLBACK")
      expect(log).toEqual([
        "A:implicit",
        "B:implicit",
        "end:commit",
        "A:implicit",
        "FAIL:implicit",
        "end:rollback",
        "BEGIN:implicit",
        "A:block",
        "COMMIT:block",
        "B:implicit",
        "end:commit",
        "A:implicit",
        "BEGIN:implicit",
        "ROLLBACK:block"
      ])
    })))

  it.live("an empty query string, a lone semicolon and a comment get EmptyQueryResponse", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      for (const query of ["", " ; ", "-- nothing here"]) {
        yield* peer.send({ _tag: "Query", query })
        expect(tags(yield* peer.receiveUntil("ReadyForQuery"))).toEqual(["EmptyQueryResponse", "ReadyForQuery"])
      }
    })))
})

describe("transaction status", () => {
  it.live("I, T and E in every ReadyForQuery, from BEGIN, errors, COMMIT and ROLLBACK", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, engine } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      const status = (query: string) =>
        Effect.gen(function*() {
          yield* peer.send({ _tag: "Query", query })
          const messages = yield* peer.receiveUntil("ReadyForQuery")
          const last = messages.at(-1)!
          return { status: last._tag === "ReadyForQuery" ? last.transactionStatus : "?", code: errorCode(messages), tags: tags(messages) }
        })
      expect((yield* status("SELECT 1")).status).toBe("I")
      expect((yield* status("BEGIN")).status).toBe("T")
      expect((yield* status("INSERT INTO kv VALUES ('x', '1')")).status).toBe("T")
      expect(yield* status("SELECT 1/0")).toMatchObject({ status: "E", code: "22012" })
      expect(yield* status("SELECT 1")).toMatchObject({ status: "E", code: "25P02" })
      const commit = yield* status("COMMIT")
      expect(commit.status).toBe("I")
      expect(engine.table.has("x")).toBe(false)
      expect((yield* status("BEGIN; INSERT INTO kv VALUES ('y', '1'); COMMIT")).status).toBe("I")
      expect(engine.table.has("y")).toBe(true)
      expect((yield* status("START TRANSACTION")).status).toBe("T")
      expect((yield* status("ROLLBACK")).status).toBe("I")
    })))

  it.live("our client follows the status", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const c = yield* client(port)
      yield* c.execute("BEGIN")
      expect(yield* c.transactionStatus).toBe("T")
      yield* Effect.exit(c.execute("SELECT 1/0"))
      expect(yield* c.transactionStatus).toBe("E")
      yield* c.execute("ROLLBACK")
      expect(yield* c.transactionStatus).toBe("I")
    })))
})

describe("settings", () => {
  it.live("SET of a reported setting sends ParameterStatus; SHOW reads it; other settings are not reported", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      yield* peer.send({ _tag: "Query", query: "SET application_name = 'reports'" })
      const set = yield* peer.receiveUntil("ReadyForQuery")
      expect(set[0]).toEqual({ _tag: "ParameterStatus", name: "application_name", value: "reports" })
      expect(tags(set)).toEqual(["ParameterStatus", "CommandComplete", "ReadyForQuery"])
      yield* peer.send({ _tag: "Query", query: "SET work_mem TO '8MB'" })
      expect(tags(yield* peer.receiveUntil("ReadyForQuery"))).toEqual(["CommandComplete", "ReadyForQuery"])
      yield* peer.send({ _tag: "Query", query: "SHOW work_mem" })
      const show = yield* peer.receiveUntil("ReadyForQuery")
      expect(show.find((m) => m._tag === "CommandComplete")).toEqual({ _tag: "CommandComplete", tag: "SHOW" })
      expect(show.find((m) => m._tag === "DataRow")).toEqual({ _tag: "DataRow", values: [new TextEncoder().encode("8MB")] })
    })))

  it.live("our client's parameters follow SET TimeZone", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const c = yield* client(port)
      yield* c.execute("SET TimeZone = 'Europe/Paris'")
      const parameters = yield* SubscriptionRef.get(c.parameters)
      expect(parameters.get("TimeZone")).toBe("Europe/Paris")
    })))
})

describe("failures that leave the session usable", () => {
  it.live("a handler defect is XX000 without its details; the session goes on", () =>
    Effect.scoped(Effect.gen(function*() {
      const handler = QueryHandler.make({
        prepare: ({ sql }) => Effect.succeed({ sql, parameterTypes: [], fields: [Results.field("v", Oid.int4)] }),
        execute: ({ statement }) => (statement.sql === "boom" ? Effect.die(new Error("secret detail")) : Effect.succeed(Results.rows([[7]])))
      })
      const { port } = yield* startServer({ handler })
      const { peer } = yield* readyPeer({ port })
      yield* peer.send({ _tag: "Query", query: "boom" })
      const failed = yield* peer.receiveUntil("ReadyForQuery")
      const error = failed.find((m) => m._tag === "ErrorResponse")
      expect(error?._tag === "ErrorResponse" && error.fields.code).toBe("XX000")
      expect(JSON.stringify(error)).not.toContain("secret detail")
      yield* peer.send({ _tag: "Query", query: "fine" })
      expect(tags(yield* peer.receiveUntil("ReadyForQuery"))).toEqual(["RowDescription", "DataRow", "CommandComplete", "ReadyForQuery"])
    })))

  it.live("a FunctionCall is refused with 0A000 and ReadyForQuery", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      yield* peer.send({ _tag: "FunctionCall", functionOid: 1, argumentFormats: [], arguments: [], resultFormat: 0 })
      const messages = yield* peer.receiveUntil("ReadyForQuery")
      expect(errorCode(messages)).toBe("0A000")
      yield* peer.send({ _tag: "Query", query: "SELECT 1" })
      expect(errorCode(yield* peer.receiveUntil("ReadyForQuery"))).toBeUndefined()
    })))

  it.live("a syntax error carries its position in the query string", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      yield* peer.send({ _tag: "Query", query: "SELECT 1 FROM nowhere" })
      const error = (yield* peer.receiveUntil("ReadyForQuery")).find((m) => m._tag === "ErrorResponse")
      expect(error?._tag === "ErrorResponse" && [error.fields.code, error.fields.position]).toEqual(["42601", "15"])
      // In a multi-statement string the position counts from the start of the whole string.
      yield* peer.send({ _tag: "Query", query: "SELECT 1; SELECT 1 FROM nowhere" })
      const second = (yield* peer.receiveUntil("ReadyForQuery")).find((m) => m._tag === "ErrorResponse")
      expect(second?._tag === "ErrorResponse" && second.fields.position).toBe("25")
    })))
})
