/**
 * The server's startup phase, byte by byte with a scripted peer and end to
 * end with our client: TCP and Unix-socket listeners, SSLRequest and
 * GSSENCRequest answers, bytes stuffed after SSLRequest, direct TLS and its
 * ALPN rule, protocol 3.0 and 3.2 (key lengths), NegotiateProtocolVersion,
 * the required user, `options`, `replication`, and the reported parameters.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { PgConnection } from "../../src/client/PgConnection.ts"
import { StartupCode } from "../../src/protocol/index.ts"
import { QueryHandler } from "../../src/server/QueryHandler.ts"
import * as Results from "../../src/server/Results.ts"
import type { Session } from "../../src/server/Session.ts"
import { Oid } from "../../src/server/Values.ts"
import { connectPeer, errorCode, readyPeer, tags } from "./support/peer.ts"
import { certs, serverTls, startServer } from "./support/server.ts"

const sslRequest = new Uint8Array([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])
const gssencRequest = new Uint8Array([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30])

describe("listeners", () => {
  it.live("TCP and a Unix socket named .s.PGSQL.<port>, with our client on both", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, socketDirectory, server } = yield* startServer({ unixSocket: true })
      expect(server.unixSocketPath).toBe(Path.join(socketDirectory!, `.s.PGSQL.${port}`))
      expect(Fs.statSync(server.unixSocketPath!).isSocket()).toBe(true)
      for (const host of ["127.0.0.1", socketDirectory!]) {
        const rows = yield* Effect.scoped(Effect.flatMap(
          PgConnection.make({ host, port, user: "alice", sslMode: "disable" }),
          (c) => c.query("SELECT 42::int4 AS answer")
        ))
        expect(rows.rows).toEqual([{ answer: 42 }])
      }
    })))
})

describe("encryption requests", () => {
  it.live("SSLRequest without TLS configured is answered 'N' and startup goes on in plain", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const peer = yield* connectPeer({ port })
      yield* peer.sendRaw(sslRequest)
      expect(String.fromCharCode(yield* peer.readByte)).toBe("N")
      yield* peer.send({ _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { user: "alice" } })
      const messages = yield* peer.receiveUntil("ReadyForQuery")
      expect(tags(messages)[0]).toBe("AuthenticationOk")
    })))

  it.live("SSLRequest with TLS is answered 'S', then the handshake and the startup run over TLS", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer({ tls: serverTls() })
      const peer = yield* connectPeer({ port })
      yield* peer.sendRaw(sslRequest)
      expect(String.fromCharCode(yield* peer.readByte)).toBe("S")
      const secure = yield* peer.startTls({ ca: certs.ca.cert, servername: "localhost" })
      expect(secure.authorized).toBe(true)
      yield* peer.send({ _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { user: "alice" } })
      expect(tags(yield* peer.receiveUntil("ReadyForQuery"))).toContain("BackendKeyData")
    })))

  it.live("bytes stuffed after SSLRequest are a protocol violation, answered before any 'S'", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer({ tls: serverTls() })
      const peer = yield* connectPeer({ port })
      const startup = new Uint8Array([0, 0, 0, 9, 0, 3, 0, 0, 0])
      const both = new Uint8Array(sslRequest.length + startup.length)
      both.set(sslRequest)
      both.set(startup, sslRequest.length)
      yield* peer.sendRaw(both)
      const messages = yield* peer.closed
      expect(errorCode(messages)).toBe("08P01")
      const error = messages.find((m) => m._tag === "ErrorResponse")
      expect(error?._tag === "ErrorResponse" && error.fields.severity).toBe("FATAL")
    })))

  it.live("GSSENCRequest is answered 'N'", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer({ tls: serverTls() })
      const peer = yield* connectPeer({ port })
      yield* peer.sendRaw(gssencRequest)
      expect(String.fromCharCode(yield* peer.readByte)).toBe("N")
      yield* peer.send({ _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { user: "alice" } })
      expect(tags(yield* peer.receiveUntil("ReadyForQuery"))[0]).toBe("AuthenticationOk")
    })))

  it.live("direct TLS with ALPN postgresql works; our client connects with sslnegotiation=direct", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer({ tls: serverTls() })
      const result = yield* Effect.scoped(Effect.flatMap(
        PgConnection.make({
          host: "localhost",
          port,
          user: "alice",
          sslMode: "verify-full",
          sslNegotiation: "direct",
          sslRootCert: certs.ca.cert
        }),
        (c) => c.query("SELECT 'direct' AS how")
      ))
      expect(result.rows).toEqual([{ how: "direct" }])
    })))

  it.live("direct TLS without ALPN is refused with FATAL 08P01 after the handshake", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer({ tls: serverTls() })
      const peer = yield* connectPeer({ port })
      yield* peer.startTls({ ca: certs.ca.cert, servername: "localhost" })
      const messages = yield* peer.closed
      expect(errorCode(messages)).toBe("08P01")
    })))

  it.live("TLS required: a plain TCP client is refused with 28000", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer({ tls: { ...serverTls(), required: true } })
      const peer = yield* connectPeer({ port })
      yield* peer.send({ _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { user: "alice" } })
      expect(errorCode(yield* peer.closed)).toBe("28000")
    })))
})

describe("StartupMessage", () => {
  it.live("protocol 3.0: no negotiation, a 4-byte cancel key", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const { startup } = yield* readyPeer({ port })
      expect(tags(startup)).not.toContain("NegotiateProtocolVersion")
      const key = startup.find((m) => m._tag === "BackendKeyData")
      expect(key?._tag === "BackendKeyData" && key.secretKey.length).toBe(4)
    })))

  it.live("protocol 3.2 (our client): a 32-byte cancel key", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const info = yield* Effect.scoped(Effect.map(PgConnection.make({ host: "127.0.0.1", port, user: "alice", sslMode: "disable" }), (c) => c.info))
      expect(info.protocolVersion).toBe(StartupCode.Protocol3_2)
      expect(info.secretKey?.length).toBe(32)
    })))

  it.live("a newer minor version and unknown _pq_ options get NegotiateProtocolVersion naming them", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const { startup } = yield* readyPeer({ port }, { user: "alice", "_pq_.compression": "on", "_pq_.other": "1" }, 0x00030009)
      expect(startup[0]).toEqual({
        _tag: "NegotiateProtocolVersion",
        protocolVersion: StartupCode.Protocol3_2,
        unrecognizedOptions: ["_pq_.compression", "_pq_.other"]
      })
      expect(startup[1]?._tag).toBe("AuthenticationOk")
      const key = startup.find((m) => m._tag === "BackendKeyData")
      expect(key?._tag === "BackendKeyData" && key.secretKey.length).toBe(32)
    })))

  it.live("a StartupMessage without user is FATAL 28000", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const peer = yield* connectPeer({ port })
      yield* peer.send({ _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { database: "x" } })
      expect(errorCode(yield* peer.closed)).toBe("28000")
    })))

  it.live("protocol 4.0 is FATAL 0A000", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const peer = yield* connectPeer({ port })
      yield* peer.sendRaw(new Uint8Array([0, 0, 0, 14, 0, 4, 0, 0, 0x75, 0x73, 0x65, 0x72, 0, 0]))
      expect(errorCode(yield* peer.closed)).toBe("0A000")
    })))

  it.live("reported parameters, options (-c and --) as settings, application_name, database, replication reach the handler", () =>
    Effect.scoped(Effect.gen(function*() {
      const seen: Array<Session> = []
      const statement: Results.PreparedStatement = { sql: "", parameterTypes: [], fields: [Results.field("v", Oid.text)] }
      const handler = QueryHandler.make({
        prepare: () => Effect.succeed(statement),
        execute: ({ session }) => {
          seen.push(session)
          return Effect.succeed(Results.rows([[session.setting("search_path")]]))
        }
      })
      const { port } = yield* startServer({ handler })
      const { peer, startup } = yield* readyPeer({ port }, {
        user: "alice",
        database: "shop",
        application_name: "tests",
        replication: "database",
        options: "-c search_path=inventory --work-mem=64MB -cstatement_timeout=5s",
        DateStyle: "German"
      })
      const reported = new Map(startup.flatMap((m) => (m._tag === "ParameterStatus" ? [[m.name, m.value] as const] : [])))
      expect([...reported.keys()].sort()).toEqual([
        "DateStyle",
        "IntervalStyle",
        "TimeZone",
        "application_name",
        "client_encoding",
        "default_transaction_read_only",
        "in_hot_standby",
        "integer_datetimes",
        "is_superuser",
        "search_path",
        "server_encoding",
        "server_version",
        "session_authorization",
        "standard_conforming_strings"
      ])
      expect(reported.get("application_name")).toBe("tests")
      expect(reported.get("session_authorization")).toBe("alice")
      expect(reported.get("search_path")).toBe("inventory")
      expect(reported.get("DateStyle")).toBe("German")
      yield* peer.send({ _tag: "Query", query: "SHOW x" })
      const rows = yield* peer.receiveUntil("ReadyForQuery")
      expect(rows.find((m) => m._tag === "DataRow")).toEqual({ _tag: "DataRow", values: [new TextEncoder().encode("inventory")] })
      const session = seen[0]!
      expect(session.database).toBe("shop")
      expect(session.replication).toBe("database")
      expect(session.setting("work_mem")).toBe("64MB")
      expect(session.setting("STATEMENT_TIMEOUT")).toBe("5s")
      expect(session.protocolVersion).toBe(StartupCode.Protocol3_0)
    })))

  it.live("an invalid replication value is FATAL 22023", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const peer = yield* connectPeer({ port })
      yield* peer.send({ _tag: "StartupMessage", protocolVersion: StartupCode.Protocol3_0, parameters: { user: "alice", replication: "maybe" } })
      expect(errorCode(yield* peer.closed)).toBe("22023")
    })))

  it.live("a password message after startup is a protocol violation (FATAL 08P01)", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      yield* peer.send({ _tag: "PasswordMessage", password: "late" })
      expect(errorCode(yield* peer.closed)).toBe("08P01")
    })))
})
