/**
 * CancelRequest: no reply and a close on the cancel connection; a matching
 * key interrupts the target session's running statement (an endless row
 * stream, a sleep), which answers 57014 and stays usable; a wrong key does
 * nothing. From `pg` and from our client.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import pg from "pg"
import { PgConnection } from "../../src/client/PgConnection.ts"
import { StartupCode } from "../../src/protocol/index.ts"
import { connectPeer, errorCode, readyPeer, tags } from "./support/peer.ts"
import { settle, startServer } from "./support/server.ts"

interface Cancels {
  cancel(client: pg.Client, query: pg.Query): void
}

const hasCancel = (client: object): client is Cancels => "cancel" in client && typeof client.cancel === "function"

/** Polls until `check` holds (at most ~10 s). */
const eventually = (check: () => boolean): Effect.Effect<void, string> =>
  Effect.gen(function*() {
    for (let i = 0; i < 500; i++) {
      if (check()) return
      yield* Effect.sleep("20 millis")
    }
    return yield* Effect.fail("condition not reached")
  })

describe("CancelRequest", () => {
  it.live("gets no reply: the server closes the cancel connection", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const peer = yield* connectPeer({ port })
      yield* peer.send({ _tag: "CancelRequest", processId: 12345, secretKey: new Uint8Array([1, 2, 3, 4]) })
      expect(yield* peer.closed).toEqual([])
    })))

  it.live("from pg: the endless generator stops with 57014 and the connection is usable again", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, engine } = yield* startServer()
      const client = new pg.Client({ host: "127.0.0.1", port, user: "alice" })
      yield* Effect.acquireRelease(Effect.promise(() => client.connect()), () => Effect.promise(() => client.end()))
      const query = new pg.Query("SELECT * FROM endless")
      const running = client.query(query)
      const outcome = settle(() => new Promise((resolve, reject) => {
        running.on("end", resolve)
        running.on("error", reject)
      }))
      const fiber = yield* Effect.forkChild(outcome)
      yield* eventually(() => engine.endlessRowsProduced() > 10_000)
      // pg's own cancel (missing from @types/pg): a side connection with the session's key.
      const canceller = new pg.Client({ host: "127.0.0.1", port, user: "alice" })
      if (!hasCancel(canceller)) return yield* Effect.fail("this pg has no Client.cancel")
      canceller.cancel(client, query)
      const result = yield* Fiber.join(fiber)
      expect(result.ok).toBe(false)
      expect(!result.ok && (result.error as { code?: string }).code).toBe("57014")
      const again = yield* Effect.promise(() => client.query("SELECT 'still here' AS s"))
      expect(again.rows).toEqual([{ s: "still here" }])
    })))

  it.live("from our client: interrupting the query cancels the endless stream on the server", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, engine } = yield* startServer()
      const c = yield* PgConnection.make({ host: "127.0.0.1", port, user: "alice", sslMode: "disable" })
      const fiber = yield* Effect.forkChild(c.query("SELECT * FROM endless"))
      yield* eventually(() => engine.endlessRowsProduced() > 10_000)
      yield* c.cancel
      const exit = yield* Fiber.await(fiber)
      const error = Exit.isFailure(exit) ? Exit.findErrorOption(exit) : undefined
      expect(error?._tag === "Some" && error.value).toMatchObject({ _tag: "PgServerError", code: "57014" })
      const produced = engine.endlessRowsProduced()
      const again = yield* c.query("SELECT 2::int4 AS two")
      expect(again.rows).toEqual([{ two: 2 }])
      // The stream was interrupted, not left running in the background.
      yield* Effect.sleep("100 millis")
      expect(engine.endlessRowsProduced()).toBe(produced)
    })))

  it.live("Effect.timeout on our client's query cancels pg_sleep; the next query runs at once", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const c = yield* PgConnection.make({ host: "127.0.0.1", port, user: "alice", sslMode: "disable" })
      const timedOut = yield* Effect.exit(c.query("SELECT pg_sleep(30)").pipe(Effect.timeout("200 millis")))
      expect(Exit.isFailure(timedOut)).toBe(true)
      const again = yield* c.query("SELECT 3::int4 AS three")
      expect(again.rows).toEqual([{ three: 3 }])
      const stats = yield* c.stats
      expect(stats.cancelsSent).toBe(1)
    })))

  it.live("a wrong secret does not cancel; the right one does (3.2, 32-byte keys)", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const { peer, startup } = yield* readyPeer({ port }, { user: "alice" }, StartupCode.Protocol3_2)
      const key = startup.find((m) => m._tag === "BackendKeyData")
      if (key?._tag !== "BackendKeyData") return yield* Effect.fail("no BackendKeyData")
      expect(key.secretKey.length).toBe(32)
      yield* peer.send({ _tag: "Query", query: "SELECT pg_sleep(30)" })
      const wrong = key.secretKey.slice()
      wrong[31] = wrong[31]! ^ 1
      const cancel = (secretKey: Uint8Array) =>
        Effect.scoped(Effect.gen(function*() {
          const side = yield* connectPeer({ port })
          yield* side.send({ _tag: "CancelRequest", processId: key.processId, secretKey })
          expect(yield* side.closed).toEqual([])
        }))
      yield* cancel(wrong)
      yield* cancel(new Uint8Array(4))
      yield* Effect.sleep("100 millis")
      expect(peer.pending()).toBe(0)
      expect(peer.isClosed()).toBe(false)
      yield* cancel(key.secretKey)
      const messages = yield* peer.receiveUntil("ReadyForQuery")
      expect(tags(messages)).toEqual(["ErrorResponse", "ReadyForQuery"])
      expect(errorCode(messages)).toBe("57014")
    })))
})
