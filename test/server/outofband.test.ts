/**
 * Messages the server pushes outside the request/response flow: LISTEN /
 * NOTIFY between sessions (delivered at commit), NoticeResponse from a
 * handler in order with its results, and NotificationResponse, NoticeResponse,
 * ParameterStatus and termination pushed to a session from code outside any
 * handler (through `PgServer.sessions`), written at once to an idle client.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { PgConnection } from "../../src/client/PgConnection.ts"
import { readyPeer, tags } from "./support/peer.ts"
import { startServer } from "./support/server.ts"

const client = (port: number) => PgConnection.make({ host: "127.0.0.1", port, user: "alice", sslMode: "disable" })

describe("LISTEN / NOTIFY", () => {
  it.live("a notification reaches the listening session with the notifier's process id; inside a transaction, at commit", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const listener = yield* client(port)
      const notifier = yield* client(port)
      yield* listener.execute("LISTEN jobs")
      const received = yield* Effect.forkChild(Stream.runCollect(Stream.take(listener.notifications, 2)))
      yield* notifier.execute("NOTIFY jobs, 'first'")
      yield* notifier.execute("BEGIN; NOTIFY jobs, 'second'; SELECT pg_notify('other', 'ignored')")
      yield* notifier.execute("COMMIT")
      const notifications = yield* Fiber.join(received)
      expect(notifications).toEqual([
        { channel: "jobs", payload: "first", processId: notifier.info.processId },
        { channel: "jobs", payload: "second", processId: notifier.info.processId }
      ])
    })))
})

describe("notices", () => {
  it.live("a handler's notice comes before the rows of its statement", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      yield* peer.send({ _tag: "Query", query: "SELECT demo_notice('careful')" })
      const messages = yield* peer.receiveUntil("ReadyForQuery")
      expect(tags(messages)).toEqual(["NoticeResponse", "RowDescription", "DataRow", "CommandComplete", "ReadyForQuery"])
      expect(messages[0]).toMatchObject({ _tag: "NoticeResponse", fields: { severity: "NOTICE", code: "00000", message: "careful" } })
    })))
})

describe("from outside any handler", () => {
  it.live("notice, notification and ParameterStatus pushed to an idle session arrive at once", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, server } = yield* startServer()
      const c = yield* client(port)
      const session = yield* Effect.flatMap(server.session(c.info.processId), (found) =>
        found._tag === "Some" ? Effect.succeed(found.value) : Effect.fail("no such session"))
      expect(session.user).toBe("alice")
      expect((yield* server.sessions).map((s) => s.processId)).toEqual([c.info.processId])
      const notices = yield* Effect.forkChild(Stream.runCollect(Stream.take(c.notices, 1)))
      const notifications = yield* Effect.forkChild(Stream.runCollect(Stream.take(c.notifications, 1)))
      yield* Effect.sleep("20 millis")
      yield* session.notice({ severity: "WARNING", message: "disk almost full" })
      yield* session.notify("broadcast", "hello", 1)
      yield* session.set("TimeZone", "Asia/Tokyo")
      expect((yield* Fiber.join(notices))[0]).toMatchObject({ severity: "WARNING", message: "disk almost full" })
      expect(yield* Fiber.join(notifications)).toEqual([{ channel: "broadcast", payload: "hello", processId: 1 }])
      for (let i = 0; i < 100 && (yield* SubscriptionRef.get(c.parameters)).get("TimeZone") !== "Asia/Tokyo"; i++) {
        yield* Effect.sleep("10 millis")
      }
      expect((yield* SubscriptionRef.get(c.parameters)).get("TimeZone")).toBe("Asia/Tokyo")
      const [shown] = yield* c.execute("SHOW TimeZone")
      expect(shown!.rows).toEqual([{ TimeZone: "Asia/Tokyo" }])
    })))

  it.live("terminating a session from outside sends FATAL 57P01 and closes it", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, server } = yield* startServer()
      const { peer, startup } = yield* readyPeer({ port })
      const key = startup.find((m) => m._tag === "BackendKeyData")
      const pid = key?._tag === "BackendKeyData" ? key.processId : -1
      const session = yield* server.session(pid)
      if (session._tag === "None") return yield* Effect.fail("no such session")
      yield* session.value.terminate()
      const messages = yield* peer.closed
      expect(messages).toMatchObject([{ _tag: "ErrorResponse", fields: { severity: "FATAL", code: "57P01" } }])
      for (let i = 0; i < 100 && (yield* server.connections) > 0; i++) yield* Effect.sleep("10 millis")
      expect(yield* server.sessions).toEqual([])
    })))
})
