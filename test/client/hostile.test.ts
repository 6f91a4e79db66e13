/**
 * The client against a hostile server (test/support/hostileServer.ts): every
 * malformed or malicious answer a real PostgreSQL never gives must end in a
 * typed error (ProtocolError, AuthError, ConnectionError, or the caller's
 * own timeout) without waiting for the bytes a length promises, without
 * growing memory with what the server pushes, and with the client's socket
 * closed afterwards (the server sees the close without the test closing the
 * connection's scope).
 *
 * Memory is measured as the V8 heap after a full garbage collection (`gc`
 * exposed at run time through `v8.setFlagsFromString`), and as the bytes the
 * server managed to write: a client that read and buffered a declared 2 GiB
 * message would let the server write all of its 256 MiB flood.
 */
import { describe, expect, it } from "@effect/vitest"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Result from "effect/Result"
import * as Stream from "effect/Stream"
import * as ScramMessages from "../../src/auth/ScramMessages.ts"
import * as ScramServer from "../../src/auth/ScramServer.ts"
import * as ScramVerifier from "../../src/auth/ScramVerifier.ts"
import type { PgConnectionConfig } from "../../src/client/Config.ts"
import { PgConnection } from "../../src/client/PgConnection.ts"
import { PgPool } from "../../src/client/Pool.ts"
import { type BackendMessage, BackendType, type FieldDescription } from "../../src/protocol/index.ts"
import { bytesOf, encode, header, type HostilePeer, type HostileServer, startHostileServer, textField } from "../support/hostileServer.ts"

v8.setFlagsFromString("--expose-gc")
const gc = vm.runInNewContext("gc") as () => void
/** Heap in use after a full collection, in MB. */
const heapMb = (): number => {
  gc()
  return process.memoryUsage().heapUsed / (1024 * 1024)
}

const MiB = 1024 * 1024

/** A guard against hanging: what must happen fails the test if it has not within 10 seconds. */
const bounded = <A, E, R>(effect: Effect.Effect<A, E, R>, what: string): Effect.Effect<A, E, R> =>
  Effect.timeoutOrElse(effect, { duration: Duration.seconds(10), orElse: () => Effect.die(`${what} did not happen within 10 seconds`) })

const errorOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const found = Exit.findErrorOption(exit)
  return found._tag === "Some" ? found.value : undefined
}

/** Connects, expecting failure; returns the error. */
const connectFails = (config: PgConnectionConfig) =>
  Effect.map(bounded(Effect.exit(Effect.scoped(PgConnection.make(config))), "the connect failure"), (exit) => {
    expect(Exit.isFailure(exit)).toBe(true)
    return errorOf(exit)
  })

const columns = [textField("a"), textField("b")]

/** Handshake, then the prepare of one statement with `fields`, then the Bind/Execute/Sync of its run. */
const untilExecute = (peer: HostilePeer, fields: ReadonlyArray<FieldDescription> = columns) =>
  Effect.gen(function*() {
    yield* peer.trust
    yield* peer.answerPrepare(fields)
    return yield* peer.untilSync
  })

/** `count` DataRows of two text columns (the second `width` characters), encoded once. */
const rows = (count: number, width = 48): Uint8Array =>
  encode(...Array.from({ length: count }, (_, i): BackendMessage => ({ _tag: "DataRow", values: [bytesOf(`row ${i}`), bytesOf("x".repeat(width))] })))

const floodChunk = 64 * 1024

describe("a declared length of 2 GiB fails at once", () => {
  const lengths = [0x7fffffff, 0x80000000, 0xffffffff]

  for (const length of lengths) {
    it.live(`during startup: 'R' of length 0x${length.toString(16)}`, () =>
      Effect.scoped(Effect.gen(function*() {
        const before = heapMb()
        const server = yield* startHostileServer((peer) =>
          Effect.gen(function*() {
            yield* peer.expect("StartupMessage")
            yield* peer.sendRaw(header("R", length))
            // The body the length promises: 256 MiB of it, as fast as the client reads.
            yield* peer.flood(new Uint8Array(floodChunk), 256 * MiB)
          })
        )
        const error = yield* connectFails(server.config)
        expect(error?._tag).toBe("ProtocolError")
        expect(error?._tag === "ProtocolError" && error.reason).toBe(length > 0x7fffffff ? "InvalidLength" : "MessageTooLarge")
        const peer = server.peers[0]!
        yield* bounded(peer.clientClosed, "the client's close")
        // The client stopped reading at the header: the flood stalled in the socket buffers.
        expect(peer.bytesSent()).toBeLessThan(32 * MiB)
        expect(heapMb() - before).toBeLessThan(50)
      })))

    it.live(`after ReadyForQuery, mid-result: 'D' of length 0x${length.toString(16)}`, () =>
      Effect.scoped(Effect.gen(function*() {
        const before = heapMb()
        const server = yield* startHostileServer((peer) =>
          Effect.gen(function*() {
            yield* untilExecute(peer)
            yield* peer.sendRaw(encode({ _tag: "BindComplete" }, { _tag: "DataRow", values: [bytesOf("1"), bytesOf("2")] }))
            yield* peer.sendRaw(header("D", length))
            yield* peer.flood(new Uint8Array(floodChunk), 256 * MiB)
          })
        )
        const c = yield* PgConnection.make(server.config)
        const exit = yield* bounded(Effect.exit(c.query("SELECT a, b")), "the query failure")
        const error = errorOf(exit)
        expect(error?._tag).toBe("ProtocolError")
        expect((yield* c.failure)?._tag).toBe("ProtocolError")
        const peer = server.peers[0]!
        yield* bounded(peer.clientClosed, "the client's close")
        expect(peer.bytesSent()).toBeLessThan(32 * MiB)
        expect(heapMb() - before).toBeLessThan(50)
      })))
  }
})

describe("SCRAM from a hostile server", () => {
  const saslStart = (peer: HostilePeer) =>
    Effect.gen(function*() {
      yield* peer.expect("StartupMessage")
      yield* peer.send({ _tag: "AuthenticationSASL", mechanisms: ["SCRAM-SHA-256"] })
      return yield* peer.expect("SASLInitialResponse")
    })
  const clientNonce = (data: Uint8Array | null): string => /,r=([^,]+)/.exec(new TextDecoder().decode(data ?? new Uint8Array(0)))![1]!

  /** Answers client-first with a server-first asking for `iterations`; returns what the client sends next, if anything. */
  const iterationsScript = (iterations: number, afterFirst: Array<string>) => (peer: HostilePeer) =>
    Effect.gen(function*() {
      const initial = yield* saslStart(peer)
      const serverFirst = ScramMessages.formatServerFirst(`${clientNonce(initial.data)}hostile`, new Uint8Array(16).fill(3), iterations)
      yield* peer.send({ _tag: "AuthenticationSASLContinue", data: bytesOf(serverFirst) })
      const next = yield* Effect.result(peer.expect("SASLResponse"))
      afterFirst.push(Result.isSuccess(next) ? next.success._tag : next.failure)
      yield* peer.end
    })

  it.live("an iteration count of 1,000,000,000 is refused by the cap before any PBKDF2 work", () =>
    Effect.scoped(Effect.gen(function*() {
      const afterFirst: Array<string> = []
      const server = yield* startHostileServer(iterationsScript(1_000_000_000, afterFirst))
      const error = yield* connectFails(server.config)
      expect(error?._tag).toBe("AuthError")
      expect(error?._tag === "AuthError" && error.reason).toBe("IterationCountTooHigh")
      expect(error?.message).toContain("1000000000 iterations, more than the configured maximum of 100000 (maxScramIterations)")
      const peer = server.peers[0]!
      yield* bounded(peer.clientClosed, "the client's close")
      // No SASLResponse: the client closed instead of computing a proof.
      expect(afterFirst).toEqual(["the client closed the connection"])
    })))

  it.live("maxScramIterations sets the cap", () =>
    Effect.scoped(Effect.gen(function*() {
      const afterFirst: Array<string> = []
      const server = yield* startHostileServer(iterationsScript(10_000, afterFirst))
      const refused = yield* connectFails({ ...server.config, maxScramIterations: 9_999 })
      expect(refused?._tag === "AuthError" && refused.reason).toBe("IterationCountTooHigh")
      expect(refused?.message).toContain("configured maximum of 9999")
      // Within the cap the client computes its proof and answers (the server then hangs up).
      const closed = yield* connectFails({ ...server.config, maxScramIterations: 10_000 })
      expect(closed?._tag === "ConnectionError" && closed.reason).toBe("Closed")
      yield* bounded(server.peers[1]!.clientClosed, "the client's close")
      expect(afterFirst).toEqual(["the client closed the connection", "SASLResponse"])
    })))

  /** A genuine exchange up to the server's final message, which `final` may alter. */
  const scramScript = (final: (genuine: Uint8Array) => ReadonlyArray<BackendMessage>) => (peer: HostilePeer) =>
    Effect.gen(function*() {
      const verifier = yield* Effect.orDie(ScramVerifier.make("secret", { iterations: 4096 }))
      const initial = yield* saslStart(peer)
      const first = Result.getOrThrow(
        ScramServer.receiveClientFirst(
          { username: "hostile", verifier, mockSecret: new Uint8Array(32), serverNonce: "hostilenonce" },
          initial.mechanism,
          initial.data ?? new Uint8Array(0)
        )
      )
      yield* peer.send({ _tag: "AuthenticationSASLContinue", data: first.message })
      const response = yield* peer.expect("SASLResponse")
      const genuine = Result.getOrThrow(ScramServer.receiveClientFinal(first.state, response.data))
      yield* peer.send(...final(genuine.message))
    })

  it.live("a wrong server signature in SASLFinal is an AuthError", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* startHostileServer(scramScript(() => [
        { _tag: "AuthenticationSASLFinal", data: bytesOf(ScramMessages.formatServerFinal(new Uint8Array(32).fill(0xab))) },
        { _tag: "AuthenticationOk" },
        { _tag: "ReadyForQuery", transactionStatus: "I" }
      ]))
      const error = yield* connectFails(server.config)
      expect(error?._tag).toBe("AuthError")
      expect(error?._tag === "AuthError" && error.reason).toBe("ServerSignatureMismatch")
      yield* bounded(server.peers[0]!.clientClosed, "the client's close")
    })))

  it.live("the genuine exchange of the same script connects (the script itself is sound)", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* startHostileServer(scramScript((genuine) => [
        { _tag: "AuthenticationSASLFinal", data: genuine },
        { _tag: "AuthenticationOk" },
        { _tag: "BackendKeyData", processId: 7, secretKey: new Uint8Array(32) },
        { _tag: "ReadyForQuery", transactionStatus: "I" }
      ]))
      const c = yield* bounded(PgConnection.make(server.config), "the connect")
      expect(c.info.authMethod).toBe("scram-sha-256")
    })))

  it.live("AuthenticationOk before SASLFinal (right after client-first) is a ProtocolError", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* startHostileServer((peer) =>
        Effect.gen(function*() {
          yield* saslStart(peer)
          yield* peer.send({ _tag: "AuthenticationOk" }, { _tag: "ReadyForQuery", transactionStatus: "I" })
        })
      )
      const error = yield* connectFails(server.config)
      expect(error?._tag).toBe("ProtocolError")
      expect(error?.message).toMatch(/AuthenticationOk before the server's SCRAM final message/)
      yield* bounded(server.peers[0]!.clientClosed, "the client's close")
    })))

  it.live("AuthenticationOk instead of SASLFinal (after client-final) is a ProtocolError", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* startHostileServer(scramScript(() => [{ _tag: "AuthenticationOk" }, { _tag: "ReadyForQuery", transactionStatus: "I" }]))
      const error = yield* connectFails(server.config)
      expect(error?._tag).toBe("ProtocolError")
      expect(error?.message).toMatch(/AuthenticationOk before the server's SCRAM final message/)
      yield* bounded(server.peers[0]!.clientClosed, "the client's close")
    })))
})

describe("bytes after the 'S' answer to SSLRequest (CVE-2021-23222)", () => {
  it.live("are refused before any TLS", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* startHostileServer((peer) =>
        Effect.gen(function*() {
          yield* peer.expect("SSLRequest")
          // 'S', then a plaintext "authenticated session" in the same write.
          yield* peer.sendRaw(new Uint8Array([0x53, ...encode({ _tag: "AuthenticationOk" }, { _tag: "ReadyForQuery", transactionStatus: "I" })]))
        })
      )
      const error = yield* connectFails({ ...server.config, sslMode: "require" })
      expect(error?._tag).toBe("ConnectionError")
      expect(error?._tag === "ConnectionError" && error.reason).toBe("UnexpectedDataAfterSslResponse")
      const peer = server.peers[0]!
      yield* bounded(peer.clientClosed, "the client's close")
      // The 8-byte SSLRequest and nothing else: no TLS ClientHello, no StartupMessage.
      expect(peer.bytesReceived()).toBe(8)
    })))
})

/** `count` byte strings of 1 to 64 random bytes, the same for a seed (mulberry32). */
const junk = (count: number, seed: number): Array<Uint8Array> => {
  let state = seed
  const next = () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return Array.from({ length: count }, () => Uint8Array.from({ length: 1 + Math.floor(next() * 64) }, () => Math.floor(next() * 256)))
}

describe("garbage mid-result", () => {
  const backendTypes = new Set<number>(Object.values(BackendType))
  const unknownTypes = Array.from({ length: 256 }, (_, i) => i).filter((i) => !backendTypes.has(i))

  it.live(`each of the ${unknownTypes.length} bytes that are no backend message type, after BindComplete and a row`, () =>
    Effect.scoped(Effect.gen(function*() {
      let next = 0
      const server = yield* startHostileServer((peer) =>
        Effect.gen(function*() {
          const type = unknownTypes[next++]!
          yield* untilExecute(peer)
          yield* peer.sendRaw(encode({ _tag: "BindComplete" }, { _tag: "DataRow", values: [bytesOf("1"), bytesOf("2")] }))
          yield* peer.sendRaw(new Uint8Array([type, 0, 0, 0, 4]))
          yield* peer.clientClosed
        })
      )
      const reasons = new Set<string>()
      for (const _ of unknownTypes) {
        const exit = yield* bounded(Effect.exit(Effect.scoped(Effect.flatMap(PgConnection.make(server.config), (c) => c.query("SELECT a, b")))), "the query failure")
        const error = errorOf(exit)
        expect(error?._tag).toBe("ProtocolError")
        if (error?._tag === "ProtocolError") reasons.add(error.reason)
      }
      expect([...reasons]).toEqual(["UnknownMessageType"])
      expect(server.sessions()).toBe(unknownTypes.length)
      for (const peer of server.peers) yield* bounded(peer.clientClosed, "the client's close")
      expect(server.scriptErrors).toEqual([])
    })))

  /** Well-formed messages a query result never holds. */
  const outOfPlace: ReadonlyArray<BackendMessage> = [
    { _tag: "AuthenticationOk" },
    { _tag: "AuthenticationSASL", mechanisms: ["SCRAM-SHA-256"] },
    { _tag: "BackendKeyData", processId: 1, secretKey: new Uint8Array(32) },
    { _tag: "NegotiateProtocolVersion", protocolVersion: 0x30000, unrecognizedOptions: [] },
    { _tag: "ParseComplete" },
    { _tag: "ParameterDescription", parameterTypes: [] },
    { _tag: "RowDescription", fields: columns },
    { _tag: "NoData" },
    { _tag: "CloseComplete" },
    { _tag: "CopyBothResponse", format: 0, columnFormats: [] },
    { _tag: "FunctionCallResponse", result: null },
    // COPY data that no CopyOutResponse announced.
    { _tag: "CopyData", data: bytesOf("1\t2\n") },
    { _tag: "CopyDone" }
  ]

  for (const message of outOfPlace) {
    it.live(`a well-formed ${message._tag} after a row: ProtocolError, socket closed`, () =>
      Effect.scoped(Effect.gen(function*() {
        const server = yield* startHostileServer((peer) =>
          Effect.gen(function*() {
            yield* untilExecute(peer)
            yield* peer.send({ _tag: "BindComplete" }, { _tag: "DataRow", values: [bytesOf("1"), bytesOf("2")] }, message)
            yield* peer.clientClosed
          })
        )
        const c = yield* PgConnection.make(server.config)
        const error = errorOf(yield* bounded(Effect.exit(c.query("SELECT a, b")), "the query failure"))
        expect(error?._tag).toBe("ProtocolError")
        yield* bounded(server.peers[0]!.clientClosed, "the client's close")
      })))
  }

  it.live("random bytes after RowDescription (simple protocol): a typed error, never a hang", () =>
    Effect.scoped(Effect.gen(function*() {
      const samples = junk(40, 23222)
      let next = 0
      const server = yield* startHostileServer((peer) =>
        Effect.gen(function*() {
          const junk = samples[next++]!
          yield* peer.trust
          yield* peer.expect("Query")
          yield* peer.send({ _tag: "RowDescription", fields: columns })
          yield* peer.sendRaw(junk)
          // A junk prefix of a message would wait for the rest: the server ends the connection.
          yield* peer.end
        })
      )
      const tags = new Map<string, number>()
      for (const _ of samples) {
        const exit = yield* bounded(Effect.exit(Effect.scoped(Effect.flatMap(PgConnection.make(server.config), (c) => c.execute("SELECT 1")))), "the execute failure")
        const error = errorOf(exit)
        expect(error?._tag === "ProtocolError" || error?._tag === "ConnectionError").toBe(true)
        tags.set(error!._tag, (tags.get(error!._tag) ?? 0) + 1)
      }
      expect(tags.get("ProtocolError")).toBeGreaterThan(0)
    })))
})

describe("a preparation that fails after its Parse (a cancel landing on the Describe)", () => {
  it.live("the statement the server still holds is closed with the next write", () =>
    Effect.scoped(Effect.gen(function*() {
      const closed: Array<string> = []
      let parsedName = ""
      const server = yield* startHostileServer((peer) =>
        Effect.gen(function*() {
          yield* peer.trust
          const first = yield* peer.untilSync
          const parse = first.find((m) => m._tag === "Parse")
          if (parse?._tag !== "Parse") return yield* Effect.fail("expected a Parse")
          parsedName = parse.name
          yield* peer.send(
            { _tag: "ParseComplete" },
            { _tag: "ErrorResponse", fields: { severity: "ERROR", code: "57014", message: "canceling statement due to user request" } },
            { _tag: "ReadyForQuery", transactionStatus: "I" }
          )
          const next = yield* peer.untilSync
          for (const m of next) if (m._tag === "Close" && m.target === "statement") closed.push(m.name)
          const replies: Array<BackendMessage> = []
          for (const m of next) {
            if (m._tag === "Close") replies.push({ _tag: "CloseComplete" })
            else if (m._tag === "Parse") replies.push({ _tag: "ParseComplete" }, { _tag: "ParameterDescription", parameterTypes: [] })
            else if (m._tag === "Describe") replies.push({ _tag: "RowDescription", fields: columns })
            else if (m._tag === "Sync") replies.push({ _tag: "ReadyForQuery", transactionStatus: "I" })
          }
          yield* peer.send(...replies)
          yield* peer.untilSync
          yield* peer.send({ _tag: "BindComplete" }, { _tag: "DataRow", values: [bytesOf("1"), bytesOf("2")] }, { _tag: "CommandComplete", tag: "SELECT 1" }, {
            _tag: "ReadyForQuery",
            transactionStatus: "I"
          })
          yield* peer.clientClosed
        })
      )
      const c = yield* PgConnection.make(server.config)
      const error = errorOf(yield* bounded(Effect.exit(c.query("SELECT a, b")), "the failed preparation"))
      expect(error).toMatchObject({ _tag: "PgServerError", code: "57014" })
      const result = yield* bounded(c.query("SELECT b, a"), "the next query")
      expect(result.rows).toEqual([{ a: "1", b: "2" }])
      expect(parsedName).not.toBe("")
      expect(closed).toEqual([parsedName])
    })))
})

describe("a DataRow whose column count disagrees with RowDescription", () => {
  const wrongCounts: ReadonlyArray<readonly [string, ReadonlyArray<Uint8Array | null>]> = [
    ["one column of two", [bytesOf("1")]],
    ["three columns of two", [bytesOf("1"), bytesOf("2"), bytesOf("3")]],
    ["no column of two", []]
  ]
  for (const [name, values] of wrongCounts) {
    it.live(`query(): ${name}`, () =>
      Effect.scoped(Effect.gen(function*() {
        const server = yield* startHostileServer((peer) =>
          Effect.gen(function*() {
            yield* untilExecute(peer)
            yield* peer.send({ _tag: "BindComplete" }, { _tag: "DataRow", values }, { _tag: "CommandComplete", tag: "SELECT 1" }, {
              _tag: "ReadyForQuery",
              transactionStatus: "I"
            })
            yield* peer.clientClosed
          })
        )
        const c = yield* PgConnection.make(server.config)
        const error = errorOf(yield* bounded(Effect.exit(c.query("SELECT a, b")), "the query failure"))
        expect(error?._tag).toBe("ProtocolError")
        yield* bounded(server.peers[0]!.clientClosed, "the client's close")
      })))

    it.live(`execute(): ${name}`, () =>
      Effect.scoped(Effect.gen(function*() {
        const server = yield* startHostileServer((peer) =>
          Effect.gen(function*() {
            yield* peer.trust
            yield* peer.expect("Query")
            yield* peer.send({ _tag: "RowDescription", fields: columns }, { _tag: "DataRow", values }, { _tag: "CommandComplete", tag: "SELECT 1" }, {
              _tag: "ReadyForQuery",
              transactionStatus: "I"
            })
            yield* peer.clientClosed
          })
        )
        const c = yield* PgConnection.make(server.config)
        const error = errorOf(yield* bounded(Effect.exit(c.execute("SELECT a, b")), "the execute failure"))
        expect(error?._tag).toBe("ProtocolError")
        yield* bounded(server.peers[0]!.clientClosed, "the client's close")
      })))
  }

  it.live("query(): a DataRow for a statement described with NoData", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* startHostileServer((peer) =>
        Effect.gen(function*() {
          yield* untilExecute(peer, [])
          yield* peer.send({ _tag: "BindComplete" }, { _tag: "DataRow", values: [bytesOf("1")] }, { _tag: "CommandComplete", tag: "SELECT 1" }, {
            _tag: "ReadyForQuery",
            transactionStatus: "I"
          })
          yield* peer.clientClosed
        })
      )
      const c = yield* PgConnection.make(server.config)
      const error = errorOf(yield* bounded(Effect.exit(c.query("CREATE TABLE t ()")), "the query failure"))
      expect(error?._tag).toBe("ProtocolError")
      yield* bounded(server.peers[0]!.clientClosed, "the client's close")
    })))

  it.live("execute(): a DataRow before any RowDescription", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* startHostileServer((peer) =>
        Effect.gen(function*() {
          yield* peer.trust
          yield* peer.expect("Query")
          yield* peer.send({ _tag: "DataRow", values: [bytesOf("1")] }, { _tag: "CommandComplete", tag: "SELECT 1" }, {
            _tag: "ReadyForQuery",
            transactionStatus: "I"
          })
          yield* peer.clientClosed
        })
      )
      const c = yield* PgConnection.make(server.config)
      const error = errorOf(yield* bounded(Effect.exit(c.execute("SELECT")), "the execute failure"))
      expect(error?._tag).toBe("ProtocolError")
      yield* bounded(server.peers[0]!.clientClosed, "the client's close")
    })))
})

describe("an endless result under Effect.timeout", () => {
  const quickCancel = { cancelTimeout: "500 millis" } as const

  for (const after of ["keeps sending rows", "goes silent"] as const) {
    it.live(`query(): the timeout fires, a CancelRequest goes out, the server ${after}: the connection closes with a ConnectionError`, () =>
      Effect.scoped(Effect.gen(function*() {
        const held = 100_000
        const server: HostileServer = yield* startHostileServer((peer) =>
          Effect.gen(function*() {
            yield* untilExecute(peer)
            yield* peer.send({ _tag: "BindComplete" })
            // 100,000 rows (about 22 MB) the client collects, then nothing until the cancel, which is ignored.
            const batch = rows(1000, 200)
            for (let i = 0; i < held / 1000; i++) yield* peer.sendRaw(batch)
            yield* server.awaitCancels(1)
            if (after === "keeps sending rows") yield* peer.flood(rows(1000))
          })
        )
        const c = yield* PgConnection.make({ ...server.config, ...quickCancel })
        const before = heapMb()
        const exit = yield* bounded(Effect.exit(c.query("SELECT a, b").pipe(Effect.timeout("500 millis"))), "the timeout")
        expect(errorOf(exit)?._tag).toBe("TimeoutError")
        const peer = server.peers[0]!
        const cancels = yield* bounded(server.awaitCancels(1), "the CancelRequest")
        expect(cancels).toEqual([{ processId: peer.processId, secretKey: peer.secretKey }])
        // The abandoned request keeps none of its 100,000 rows while the connection drains.
        expect(heapMb() - before).toBeLessThan(8)
        // A request queued behind the cancelled one fails with the connection, not never.
        const queued = yield* bounded(Effect.exit(c.query("SELECT a, b")), "the queued query's end")
        const error = errorOf(queued)
        expect(error?._tag).toBe("ConnectionError")
        expect(error?._tag === "ConnectionError" && error.reason).toBe("Timeout")
        expect((yield* bounded(c.closed, "the connection's end"))._tag).toBe("ConnectionError")
        yield* bounded(peer.clientClosed, "the client's close")
        expect(heapMb() - before).toBeLessThan(8)
      })))
  }

  it.live("a cancelTimeout that is no duration is a ConfigError", () =>
    Effect.gen(function*() {
      const error = yield* connectFails({ host: "127.0.0.1", port: 1, cancelTimeout: "soon" as Duration.Input })
      expect(error?._tag).toBe("ConfigError")
      expect(error?.message).toMatch(/invalid cancelTimeout soon/)
    }))

  it.live("stream(): a server ignoring the row limit fails the stream at once with a ProtocolError", () =>
    Effect.scoped(Effect.gen(function*() {
      const before = heapMb()
      const server = yield* startHostileServer((peer) =>
        Effect.gen(function*() {
          yield* peer.trust
          yield* peer.answerPrepare(columns)
          yield* peer.expect("Bind")
          yield* peer.expect("Execute")
          yield* peer.expect("Flush")
          yield* peer.send({ _tag: "BindComplete" })
          yield* peer.flood(rows(1000), 256 * MiB)
        })
      )
      const c = yield* PgConnection.make(server.config)
      let seen = 0
      const exit = yield* bounded(
        Effect.exit(c.stream("SELECT a, b", [], { batchSize: 100 }).pipe(Stream.runForEach(() => Effect.sync(() => seen++)), Effect.timeout("2 seconds"))),
        "the stream's end"
      )
      const error = errorOf(exit)
      expect(error?._tag).toBe("ProtocolError")
      expect(error?.message).toMatch(/more rows than the portal's limit of 100/)
      expect(seen).toBe(0)
      const peer = server.peers[0]!
      yield* bounded(peer.clientClosed, "the client's close")
      expect(peer.bytesSent()).toBeLessThan(32 * MiB)
      expect(heapMb() - before).toBeLessThan(50)
    })))

  it.live("stream(): an endless result within the protocol stays bounded; after the timeout the connection is usable", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* startHostileServer((peer) =>
        Effect.gen(function*() {
          yield* peer.trust
          for (;;) {
            const message = yield* peer.receive
            switch (message._tag) {
              case "Parse":
                yield* peer.send({ _tag: "ParseComplete" }, { _tag: "ParameterDescription", parameterTypes: [] })
                break
              case "Describe":
                yield* peer.send({ _tag: "RowDescription", fields: columns })
                break
              case "Bind":
                yield* peer.send({ _tag: "BindComplete" })
                break
              case "Execute":
                // Every batch it is asked for, forever; an unlimited Execute gets one row.
                if (message.maxRows > 0) yield* peer.sendRaw(new Uint8Array([...rows(message.maxRows), ...encode({ _tag: "PortalSuspended" })]))
                else yield* peer.send({ _tag: "DataRow", values: [bytesOf("after"), bytesOf("stream")] }, { _tag: "CommandComplete", tag: "SELECT 1" })
                break
              case "Close":
                yield* peer.send({ _tag: "CloseComplete" })
                break
              case "Sync":
                yield* peer.send({ _tag: "ReadyForQuery", transactionStatus: "I" })
                break
              case "Flush":
                break
              default:
                return yield* Effect.fail(`unexpected ${message._tag}`)
            }
          }
        })
      )
      const c = yield* PgConnection.make(server.config)
      const before = heapMb()
      let seen = 0
      let peak = 0
      const exit = yield* bounded(
        Effect.exit(
          c.stream("SELECT a, b", [], { batchSize: 1000 }).pipe(
            Stream.runForEach(() =>
              Effect.sync(() => {
                if (++seen % 1000 === 0) peak = Math.max(peak, heapMb())
              })
            ),
            Effect.timeout("1 second")
          )
        ),
        "the timeout"
      )
      expect(errorOf(exit)?._tag).toBe("TimeoutError")
      expect(seen).toBeGreaterThan(0)
      // Two batches of 1,000 rows at most are held, whatever the number of rows that went by.
      expect(seen).toBeGreaterThanOrEqual(1000)
      expect(peak - before).toBeLessThan(16)
      const after = yield* bounded(c.query("SELECT a, b"), "the next query")
      expect(after.rows).toEqual([{ a: "after", b: "stream" }])
      expect(yield* c.failure).toBeUndefined()
      expect(server.cancels).toEqual([])
      expect(heapMb() - before).toBeLessThan(16)
    })))
})

describe("the pool after a protocol error", () => {
  it.live("discards the connection: the next acquire gets a fresh one", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* startHostileServer((peer) =>
        Effect.gen(function*() {
          yield* untilExecute(peer)
          if (peer.index === 1) {
            // The first session answers with garbage.
            yield* peer.sendRaw(new Uint8Array([0x01, 0, 0, 0, 4]))
            return
          }
          yield* peer.send(
            { _tag: "BindComplete" },
            { _tag: "DataRow", values: [bytesOf("fresh"), bytesOf(String(peer.index))] },
            { _tag: "CommandComplete", tag: "SELECT 1" },
            { _tag: "ReadyForQuery", transactionStatus: "I" }
          )
          yield* peer.clientClosed
        })
      )
      const pool = yield* PgPool.make({ connection: server.config, minSize: 0, maxSize: 1 })
      const first = errorOf(yield* bounded(Effect.exit(pool.query("SELECT a, b")), "the first query's end"))
      expect(first?._tag).toBe("ProtocolError")
      yield* bounded(server.peers[0]!.clientClosed, "the broken connection's close")
      const second = yield* bounded(pool.query("SELECT a, b"), "the second query")
      expect(second.rows).toEqual([{ a: "fresh", b: "2" }])
      expect(server.sessions()).toBe(2)
      expect(server.scriptErrors).toEqual([])
    })))
})
