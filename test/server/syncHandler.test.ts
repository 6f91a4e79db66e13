/**
 * Handlers that answer at once (effect's `succeed`, as a server answering
 * from memory does) through the simple protocol: a Query of 20,000
 * statements answers every one (no stack growth across statements), the
 * first error stops the rest, a handler that throws is XX000 and the
 * session goes on, a statement that suspends after ones answered at once
 * can still be cancelled (57014), and rows past the flush threshold all
 * arrive in order.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { pgError } from "../../src/server/PgError.ts"
import { QueryHandler } from "../../src/server/QueryHandler.ts"
import * as Results from "../../src/server/Results.ts"
import { Oid } from "../../src/server/Values.ts"
import { cancelFrom, errorCode, readyPeer, tags } from "./support/peer.ts"
import { startServer } from "./support/server.ts"

const handler = (log: Array<string>) =>
  QueryHandler.make({
    prepare: ({ sql }) => Effect.succeed({ sql, parameterTypes: [], fields: [Results.field("v", Oid.int4)] }),
    execute: ({ statement }) => {
      const sql = statement.sql
      log.push(sql)
      if (sql === "fail") return Effect.fail(pgError("22012", "division by zero"))
      if (sql === "throw") throw new Error("a handler bug")
      if (sql === "sleep") return Effect.as(Effect.sleep("30 seconds"), Results.rows([[0]]))
      if (sql === "many rows") return Effect.succeed(Results.rows(Array.from({ length: 50_000 }, (_, i) => [i])))
      return Effect.succeed(Results.rows([[Number(sql.slice(1))]]))
    }
  })

describe("handlers that answer at once", () => {
  it.live("a Query of 20,000 statements answers every one, then ReadyForQuery", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer({ handler: handler([]) })
      const { peer } = yield* readyPeer({ port })
      const count = 20_000
      yield* peer.send({ _tag: "Query", query: Array.from({ length: count }, (_, i) => `v${i}`).join("; ") })
      const messages = yield* peer.receiveUntil("ReadyForQuery")
      const rows = messages.filter((m) => m._tag === "DataRow")
      expect(rows.length).toBe(count)
      expect(rows.at(-1)?._tag === "DataRow" && new TextDecoder().decode(rows.at(-1)!.values[0]!)).toBe(String(count - 1))
      expect(messages.filter((m) => m._tag === "CommandComplete").length).toBe(count)
      expect(messages.at(-1)).toEqual({ _tag: "ReadyForQuery", transactionStatus: "I" })
    })))

  it.live("the first error stops the rest; a handler that throws is XX000; the session goes on", () =>
    Effect.scoped(Effect.gen(function*() {
      const log: Array<string> = []
      const { port } = yield* startServer({ handler: handler(log) })
      const { peer } = yield* readyPeer({ port })
      yield* peer.send({ _tag: "Query", query: "v1; fail; v2" })
      const failed = yield* peer.receiveUntil("ReadyForQuery")
      expect(tags(failed)).toEqual(["RowDescription", "DataRow", "CommandComplete", "ErrorResponse", "ReadyForQuery"])
      expect(errorCode(failed)).toBe("22012")
      yield* peer.send({ _tag: "Query", query: "v3; throw; v4" })
      const thrown = yield* peer.receiveUntil("ReadyForQuery")
      expect(tags(thrown)).toEqual(["RowDescription", "DataRow", "CommandComplete", "ErrorResponse", "ReadyForQuery"])
      expect(errorCode(thrown)).toBe("XX000")
      expect(log).toEqual(["v1", "fail", "v3", "throw"])
      yield* peer.send({ _tag: "Query", query: "v5" })
      expect(tags(yield* peer.receiveUntil("ReadyForQuery"))).toEqual(["RowDescription", "DataRow", "CommandComplete", "ReadyForQuery"])
    })))

  it.live("after statements answered at once, one that suspends can be cancelled: 57014, the rest not run", () =>
    Effect.scoped(Effect.gen(function*() {
      const log: Array<string> = []
      const { port } = yield* startServer({ handler: handler(log) })
      const { peer, startup } = yield* readyPeer({ port })
      yield* peer.send({ _tag: "Query", query: "v1; v2; sleep; v3" })
      yield* Effect.sleep("100 millis")
      yield* cancelFrom({ port }, startup)
      const messages = yield* peer.receiveUntil("ReadyForQuery")
      expect(tags(messages)).toEqual([
        "RowDescription",
        "DataRow",
        "CommandComplete",
        "RowDescription",
        "DataRow",
        "CommandComplete",
        "ErrorResponse",
        "ReadyForQuery"
      ])
      expect(errorCode(messages)).toBe("57014")
      expect(log).toEqual(["v1", "v2", "sleep"])
    })))

  it.live("rows past the flush threshold all arrive, in order", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer({ handler: handler([]) })
      const { peer } = yield* readyPeer({ port })
      yield* peer.send({ _tag: "Query", query: "many rows; v9" })
      const messages = yield* peer.receiveUntil("ReadyForQuery")
      const values = messages.flatMap((m) => (m._tag === "DataRow" ? [Number(new TextDecoder().decode(m.values[0]!))] : []))
      expect(values.length).toBe(50_001)
      expect(values.slice(0, 50_000).every((v, i) => v === i)).toBe(true)
      expect(values.at(-1)).toBe(9)
    })))
})
