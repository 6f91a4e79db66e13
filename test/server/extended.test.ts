/**
 * The extended-query protocol with a scripted peer: named and unnamed
 * statements and portals, Describe of statements (ParameterDescription then
 * RowDescription or NoData) and portals, parameter types (0 unspecified),
 * text and binary parameters and results, Execute with a row limit and
 * PortalSuspended, Close, Flush, Sync; an error reported at once and the
 * rest of the batch skipped until Sync; the implicit transaction ended by
 * Sync; portals dropped at the end of a transaction.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type { BackendMessage, FrontendMessage } from "../../src/protocol/index.ts"
import { Oid } from "../../src/server/Values.ts"
import { errorCode, type Peer, readyPeer, tags } from "./support/peer.ts"
import { startServer } from "./support/server.ts"

const text = (s: string) => new TextEncoder().encode(s)
const int4 = (n: number) => {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setInt32(0, n)
  return b
}

const parse = (query: string, name = "", parameterTypes: ReadonlyArray<number> = []): FrontendMessage => ({ _tag: "Parse", name, query, parameterTypes })
const bind = (options: { portal?: string; statement?: string; parameters?: ReadonlyArray<Uint8Array | null>; parameterFormats?: ReadonlyArray<number>; resultFormats?: ReadonlyArray<number> } = {}): FrontendMessage => ({
  _tag: "Bind",
  portal: options.portal ?? "",
  statement: options.statement ?? "",
  parameterFormats: options.parameterFormats ?? [],
  parameters: options.parameters ?? [],
  resultFormats: options.resultFormats ?? []
})
const execute = (portal = "", maxRows = 0): FrontendMessage => ({ _tag: "Execute", portal, maxRows })
const sync: FrontendMessage = { _tag: "Sync" }

const roundTrip = (peer: Peer, ...messages: ReadonlyArray<FrontendMessage>): Effect.Effect<Array<BackendMessage>, string> =>
  Effect.andThen(peer.send(...messages), peer.receiveUntil("ReadyForQuery"))

const dataRows = (messages: ReadonlyArray<BackendMessage>) =>
  messages.flatMap((m) => (m._tag === "DataRow" ? [m.values.map((v) => (v === null ? null : Array.from(v)))] : []))

describe("statements and portals", () => {
  it.live("Parse, Describe statement, Bind, Describe portal, Execute, Sync", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      const messages = yield* roundTrip(
        peer,
        parse("SELECT $1::int4 AS n, $2 AS label", "s1", [0, 0]),
        { _tag: "Describe", target: "statement", name: "s1" },
        bind({ statement: "s1", parameters: [int4(7), text("seven")], parameterFormats: [1, 0], resultFormats: [1, 0] }),
        { _tag: "Describe", target: "portal", name: "" },
        execute(),
        sync
      )
      expect(tags(messages)).toEqual([
        "ParseComplete",
        "ParameterDescription",
        "RowDescription",
        "BindComplete",
        "RowDescription",
        "DataRow",
        "CommandComplete",
        "ReadyForQuery"
      ])
      expect(messages[1]).toEqual({ _tag: "ParameterDescription", parameterTypes: [Oid.int4, Oid.text] })
      const statementColumns = messages[2]!._tag === "RowDescription" ? messages[2].fields.map((f) => [f.name, f.dataTypeOid, f.format]) : []
      expect(statementColumns).toEqual([["n", Oid.int4, 0], ["label", Oid.text, 0]])
      const portalColumns = messages[4]!._tag === "RowDescription" ? messages[4].fields.map((f) => f.format) : []
      expect(portalColumns).toEqual([1, 0])
      expect(dataRows(messages)).toEqual([[[0, 0, 0, 7], Array.from(text("seven"))]])
      expect(messages[6]).toEqual({ _tag: "CommandComplete", tag: "SELECT 1" })
    })))

  it.live("Describe of a statement without rows answers NoData; the named statement is reused", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, engine } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      const first = yield* roundTrip(peer, parse("INSERT INTO kv VALUES ($1, $2)", "ins"), { _tag: "Describe", target: "statement", name: "ins" }, sync)
      expect(tags(first)).toEqual(["ParseComplete", "ParameterDescription", "NoData", "ReadyForQuery"])
      for (const key of ["a", "b"]) {
        const done = yield* roundTrip(peer, bind({ statement: "ins", parameters: [text(key), text("v")] }), execute(), sync)
        expect(tags(done)).toEqual(["BindComplete", "CommandComplete", "ReadyForQuery"])
      }
      expect([...engine.table.keys()].sort()).toEqual(["a", "b"])
    })))

  it.live("the unnamed statement and portal are replaced; a named duplicate is 42P05; unknown names 26000 and 34000", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      const replaced = yield* roundTrip(peer, parse("SELECT 1"), parse("SELECT 2"), bind(), bind(), execute(), sync)
      expect(dataRows(replaced)).toEqual([[Array.from(text("2"))]])
      yield* roundTrip(peer, parse("SELECT 1", "dup"), sync)
      expect(errorCode(yield* roundTrip(peer, parse("SELECT 2", "dup"), sync))).toBe("42P05")
      expect(errorCode(yield* roundTrip(peer, bind({ statement: "missing" }), sync))).toBe("26000")
      expect(errorCode(yield* roundTrip(peer, execute("missing"), sync))).toBe("34000")
      expect(errorCode(yield* roundTrip(peer, { _tag: "Describe", target: "portal", name: "missing" }, sync))).toBe("34000")
      expect(errorCode(yield* roundTrip(peer, parse("SELECT 1; SELECT 2"), sync))).toBe("42601")
    })))

  it.live("Bind checks: parameter count (08P01, not fatal), format codes, binary results of a type without a binary format", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      const count = yield* roundTrip(peer, parse("SELECT $1::int4"), bind({ parameters: [] }), sync)
      expect(errorCode(count)).toBe("08P01")
      expect(count.at(-1)).toEqual({ _tag: "ReadyForQuery", transactionStatus: "I" })
      expect(errorCode(yield* roundTrip(peer, parse("SELECT 1"), bind({ resultFormats: [2] }), sync))).toBe("22023")
      expect(errorCode(yield* roundTrip(peer, parse("SELECT 1.5 AS x"), bind({ resultFormats: [1] }), sync))).toBe("42883")
      expect(errorCode(yield* roundTrip(peer, parse("SELECT $1::int4"), bind({ parameters: [text("x")], parameterFormats: [0] }), sync))).toBe("22P02")
      expect(errorCode(yield* roundTrip(peer, parse("SELECT $1::int4"), bind({ parameters: [new Uint8Array(3)], parameterFormats: [1] }), sync))).toBe("22P03")
    })))

  it.live("Close of statements and portals, existing or not, answers CloseComplete", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      const closed = yield* roundTrip(
        peer,
        parse("SELECT 1", "s"),
        { _tag: "Close", target: "statement", name: "s" },
        { _tag: "Close", target: "portal", name: "nothing" },
        bind({ statement: "s" }),
        sync
      )
      expect(tags(closed)).toEqual(["ParseComplete", "CloseComplete", "CloseComplete", "ErrorResponse", "ReadyForQuery"])
      expect(errorCode(closed)).toBe("26000")
    })))

  it.live("Flush sends what is pending without a Sync", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      yield* peer.send(parse("SELECT 1"), { _tag: "Flush" })
      expect(yield* peer.receive).toEqual({ _tag: "ParseComplete" })
      yield* peer.send(sync)
      expect(yield* peer.receive).toEqual({ _tag: "ReadyForQuery", transactionStatus: "I" })
    })))
})

describe("row limits", () => {
  it.live("Execute with a row limit answers PortalSuspended and the next Execute resumes", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      yield* peer.send(parse("SELECT * FROM generate_series(1, 5)"), bind({ portal: "p" }), execute("p", 2), { _tag: "Flush" })
      const first = yield* peer.receiveUntil("PortalSuspended")
      expect(tags(first)).toEqual(["ParseComplete", "BindComplete", "DataRow", "DataRow", "PortalSuspended"])
      yield* peer.send(execute("p", 2), { _tag: "Flush" })
      expect(dataRows(yield* peer.receiveUntil("PortalSuspended"))).toEqual([[Array.from(text("3"))], [Array.from(text("4"))]])
      const last = yield* roundTrip(peer, execute("p", 2), sync)
      expect(tags(last)).toEqual(["DataRow", "CommandComplete", "ReadyForQuery"])
      expect(last[1]).toEqual({ _tag: "CommandComplete", tag: "SELECT 5" })
    })))

  it.live("array results obey the limit too; a finished portal returns no more rows", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      yield* roundTrip(peer, { _tag: "Query", query: "INSERT INTO kv VALUES ('a','1'), ('b','2'), ('c','3')" })
      const messages = yield* roundTrip(peer, { _tag: "Query", query: "BEGIN" })
      expect(messages.at(-1)).toEqual({ _tag: "ReadyForQuery", transactionStatus: "T" })
      const limited = yield* roundTrip(peer, parse("SELECT key FROM kv"), bind({ portal: "c" }), execute("c", 2), execute("c", 2), execute("c", 2), sync)
      expect(tags(limited)).toEqual([
        "ParseComplete",
        "BindComplete",
        "DataRow",
        "DataRow",
        "PortalSuspended",
        "DataRow",
        "CommandComplete",
        "CommandComplete",
        "ReadyForQuery"
      ])
      expect(limited[6]).toEqual({ _tag: "CommandComplete", tag: "SELECT 3" })
      // The portal lives until the end of the transaction.
      expect(errorCode(yield* roundTrip(peer, execute("c"), sync))).toBeUndefined()
      yield* roundTrip(peer, { _tag: "Query", query: "COMMIT" })
      expect(errorCode(yield* roundTrip(peer, execute("c"), sync))).toBe("34000")
    })))
})

describe("errors in a pipeline", () => {
  it.live("the ErrorResponse is sent at once, the rest of the batch is skipped, Sync answers ReadyForQuery", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, engine } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      yield* peer.send(
        parse("INSERT INTO kv VALUES ('a', '1')"),
        bind(),
        execute(),
        parse("SELECT 1/0"),
        bind(),
        execute(),
        parse("INSERT INTO kv VALUES ('b', '2')"),
        bind(),
        execute()
      )
      const upToError = yield* peer.receiveUntil("ErrorResponse")
      expect(tags(upToError)).toEqual(["ParseComplete", "BindComplete", "CommandComplete", "ParseComplete", "BindComplete", "ErrorResponse"])
      expect(errorCode(upToError)).toBe("22012")
      yield* peer.send(sync)
      expect(yield* peer.receive).toEqual({ _tag: "ReadyForQuery", transactionStatus: "I" })
      // Sync rolled back the implicit transaction: the first INSERT is gone too.
      expect(engine.table.size).toBe(0)
      const after = yield* roundTrip(peer, parse("SELECT 1"), bind(), execute(), sync)
      expect(dataRows(after)).toEqual([[Array.from(text("1"))]])
    })))

  it.live("without an error, Sync commits the implicit transaction of the batch", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, engine } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      yield* peer.send(parse("INSERT INTO kv VALUES ($1, 'v')", "i"), bind({ statement: "i", parameters: [text("a")] }), execute())
      yield* peer.send(bind({ statement: "i", parameters: [text("b")] }), execute(), { _tag: "Flush" })
      yield* peer.receiveUntil("CommandComplete")
      yield* peer.receiveUntil("CommandComplete")
      expect(engine.table.size).toBe(0)
      yield* peer.send(sync)
      yield* peer.receiveUntil("ReadyForQuery")
      expect([...engine.table.keys()].sort()).toEqual(["a", "b"])
    })))

  it.live("in an explicit transaction an error makes the status E until ROLLBACK", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      expect((yield* roundTrip(peer, parse("BEGIN"), bind(), execute(), sync)).at(-1)).toEqual({ _tag: "ReadyForQuery", transactionStatus: "T" })
      expect((yield* roundTrip(peer, parse("SELECT 1/0"), bind(), execute(), sync)).at(-1)).toEqual({ _tag: "ReadyForQuery", transactionStatus: "E" })
      const refused = yield* roundTrip(peer, parse("SELECT 1"), bind(), execute(), sync)
      expect(errorCode(refused)).toBe("25P02")
      expect((yield* roundTrip(peer, parse("ROLLBACK"), bind(), execute(), sync)).at(-1)).toEqual({ _tag: "ReadyForQuery", transactionStatus: "I" })
    })))

  it.live("copy messages outside COPY and startup packets after startup are protocol violations", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      yield* peer.send({ _tag: "CopyData", data: text("x") })
      expect(errorCode(yield* peer.closed)).toBe("08P01")
    })))
})
