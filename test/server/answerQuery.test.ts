/**
 * `QueryHandlerShape.answerQuery`: a handler answering a whole simple Query
 * with encoded messages. An answer made at once (an `Exit`) and one made
 * later (an Effect) are written as given, with ReadyForQuery carrying the
 * answer's status; a declined Query goes through prepare and execute; a
 * failure is an ErrorResponse and the session goes on; bytes that are not
 * whole result messages are refused with XX000; a CancelRequest interrupts
 * an answer under way (57014).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Result from "effect/Result"
import { type BackendMessage, encodeBackend } from "../../src/protocol/index.ts"
import { pgError } from "../../src/server/PgError.ts"
import { type QueryAnswer, QueryHandler } from "../../src/server/QueryHandler.ts"
import * as Results from "../../src/server/Results.ts"
import { Oid } from "../../src/server/Values.ts"
import { cancelFrom, errorCode, readyPeer, tags } from "./support/peer.ts"
import { startServer } from "./support/server.ts"

const encoded = (...messages: ReadonlyArray<BackendMessage>): Uint8Array => {
  const bytes = encodeBackend(...messages)
  if (Result.isFailure(bytes)) throw new Error(bytes.failure.message)
  return bytes.success
}

const utf8 = new TextEncoder()

/** One row of one text column, as a handler's own encoder would write it. */
const oneRow = (value: string): Uint8Array =>
  encoded(
    {
      _tag: "RowDescription",
      fields: [{ name: "v", tableOid: 0, columnAttributeNumber: 0, dataTypeOid: Oid.text, dataTypeSize: -1, typeModifier: -1, format: 0 }]
    },
    { _tag: "DataRow", values: [utf8.encode(value)] },
    { _tag: "CommandComplete", tag: "SELECT 1" }
  )

const makeHandler = (log: Array<string>) =>
  QueryHandler.make({
    prepare: ({ sql }) => Effect.succeed({ sql, parameterTypes: [], fields: [Results.field("v", Oid.int4)] }),
    execute: ({ statement }) => Effect.sync(() => {
      log.push(`execute ${statement.sql}`)
      return Results.rows([[7]])
    }),
    answerQuery: ({ sql }) => {
      log.push(`answer ${sql}`)
      switch (sql) {
        case "now":
          return Exit.succeed<QueryAnswer>({ messages: oneRow("at once"), status: "I" })
        case "later":
          return Effect.as(Effect.sleep("10 millis"), { messages: oneRow("later"), status: "I" } satisfies QueryAnswer)
        case "open":
          return Exit.succeed<QueryAnswer>({ messages: encoded({ _tag: "CommandComplete", tag: "BEGIN" }), status: "T" })
        case "fail":
          return Exit.fail(pgError("22012", "division by zero"))
        case "ready inside":
          return Exit.succeed<QueryAnswer>({ messages: encoded({ _tag: "ReadyForQuery", transactionStatus: "I" }), status: "I" })
        case "cut short":
          return Exit.succeed<QueryAnswer>({ messages: oneRow("x").subarray(0, 10), status: "I" })
        case "forever":
          return Effect.as(Effect.never, undefined)
        default:
          return Exit.succeed(undefined)
      }
    }
  })

describe("answerQuery", () => {
  it.live("an answer made at once and one made later are written as given, then ReadyForQuery with the answer's status", () =>
    Effect.scoped(Effect.gen(function*() {
      const log: Array<string> = []
      const { port } = yield* startServer({ handler: makeHandler(log) })
      const { peer } = yield* readyPeer({ port })
      for (const [query, value] of [["now", "at once"], ["later", "later"]] as const) {
        yield* peer.send({ _tag: "Query", query })
        const messages = yield* peer.receiveUntil("ReadyForQuery")
        expect(tags(messages)).toEqual(["RowDescription", "DataRow", "CommandComplete", "ReadyForQuery"])
        const row = messages[1]
        expect(row?._tag === "DataRow" && new TextDecoder().decode(row.values[0]!)).toBe(value)
      }
      yield* peer.send({ _tag: "Query", query: "open" })
      const opened = yield* peer.receiveUntil("ReadyForQuery")
      expect(opened.at(-1)).toEqual({ _tag: "ReadyForQuery", transactionStatus: "T" })
      expect(log).toEqual(["answer now", "answer later", "answer open"])
    })))

  it.live("a declined Query runs statement by statement through prepare and execute", () =>
    Effect.scoped(Effect.gen(function*() {
      const log: Array<string> = []
      const { port } = yield* startServer({ handler: makeHandler(log) })
      const { peer } = yield* readyPeer({ port })
      yield* peer.send({ _tag: "Query", query: "a; b" })
      expect(tags(yield* peer.receiveUntil("ReadyForQuery"))).toEqual([
        "RowDescription",
        "DataRow",
        "CommandComplete",
        "RowDescription",
        "DataRow",
        "CommandComplete",
        "ReadyForQuery"
      ])
      expect(log).toEqual(["answer a; b", "execute a", "execute b"])
    })))

  it.live("a failure is an ErrorResponse; wrong framing is XX000; the session goes on", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer({ handler: makeHandler([]) })
      const { peer } = yield* readyPeer({ port })
      for (const [query, code] of [["fail", "22012"], ["ready inside", "XX000"], ["cut short", "XX000"]] as const) {
        yield* peer.send({ _tag: "Query", query })
        const messages = yield* peer.receiveUntil("ReadyForQuery")
        expect(tags(messages)).toEqual(["ErrorResponse", "ReadyForQuery"])
        expect(errorCode(messages)).toBe(code)
        expect(messages.at(-1)).toEqual({ _tag: "ReadyForQuery", transactionStatus: "I" })
      }
      yield* peer.send({ _tag: "Query", query: "now" })
      expect(tags(yield* peer.receiveUntil("ReadyForQuery"))).toEqual(["RowDescription", "DataRow", "CommandComplete", "ReadyForQuery"])
    })))

  it.live("a CancelRequest interrupts an answer under way: 57014, and the session goes on", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer({ handler: makeHandler([]) })
      const { peer, startup } = yield* readyPeer({ port })
      yield* peer.send({ _tag: "Query", query: "forever" })
      yield* Effect.sleep("50 millis")
      yield* cancelFrom({ port }, startup)
      const messages = yield* peer.receiveUntil("ReadyForQuery")
      expect(tags(messages)).toEqual(["ErrorResponse", "ReadyForQuery"])
      expect(errorCode(messages)).toBe("57014")
      yield* peer.send({ _tag: "Query", query: "now" })
      expect(tags(yield* peer.receiveUntil("ReadyForQuery"))).toEqual(["RowDescription", "DataRow", "CommandComplete", "ReadyForQuery"])
    })))
})
