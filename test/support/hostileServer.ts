/**
 * A scripted hostile PostgreSQL server for client tests: a real TCP server
 * on 127.0.0.1 that runs a script per session connection. A script sends
 * well-formed messages (through the codec's encoder), raw bytes (lengths,
 * type bytes and bodies no real server sends), or floods the socket, and
 * reads what the client sends through the codec's frontend parser.
 *
 * The server records what a test needs to check from the outside: how many
 * sessions were opened, every CancelRequest received on a side connection,
 * the bytes each connection received and sent, and whether the client
 * closed its socket. Everything stops with the scope.
 */
import * as Net from "node:net"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import * as Result from "effect/Result"
import type * as Scope from "effect/Scope"
import type { PgConnectionConfig } from "../../src/client/Config.ts"
import {
  type BackendMessage,
  encodeBackend,
  type FieldDescription,
  type FrontendMessage,
  makeFrontendParser,
  Oid,
  refinePasswordMessage
} from "../../src/protocol/index.ts"

/** A CancelRequest received on a side connection. */
export interface CancelRecord {
  readonly processId: number
  readonly secretKey: Uint8Array
}

/** One session connection, as its script sees it. */
export interface HostilePeer {
  /** 1 for the first session the server accepted, 2 for the next... */
  readonly index: number
  /** The process id and secret key `trust` announces in BackendKeyData. */
  readonly processId: number
  readonly secretKey: Uint8Array
  /** The next message from the client; fails when the client closed or sent bytes the parser refuses. */
  readonly receive: Effect.Effect<FrontendMessage, string>
  /** The next message, which must have this tag. */
  readonly expect: <T extends FrontendMessage["_tag"]>(tag: T) => Effect.Effect<Extract<FrontendMessage, { readonly _tag: T }>, string>
  /** Messages up to and including the next Sync. */
  readonly untilSync: Effect.Effect<Array<FrontendMessage>, string>
  /** Encodes and writes messages (waits while the socket is full). */
  readonly send: (...messages: ReadonlyArray<BackendMessage>) => Effect.Effect<void, string>
  /** Writes bytes as they are. */
  readonly sendRaw: (bytes: Uint8Array) => Effect.Effect<void, string>
  /** A trust handshake: reads the StartupMessage, sends AuthenticationOk, parameters, BackendKeyData, ReadyForQuery. */
  readonly trust: Effect.Effect<void, string>
  /** Answers Parse/Describe/Sync for a statement with these result columns (none: NoData). */
  readonly answerPrepare: (fields: ReadonlyArray<FieldDescription>) => Effect.Effect<void, string>
  /**
   * Writes `chunk` again and again, with TCP backpressure, until the client
   * closes or `limit` bytes were written; returns the bytes written.
   */
  readonly flood: (chunk: Uint8Array, limit?: number) => Effect.Effect<number>
  /** Ends the server's side once what was written is sent (FIN); the client reads on to the end. */
  readonly end: Effect.Effect<void>
  /** Waits until the client closes its socket. */
  readonly clientClosed: Effect.Effect<void>
  /** Whether the socket closed (by the client, unless the script ended it). */
  readonly isClosed: () => boolean
  readonly bytesReceived: () => number
  readonly bytesSent: () => number
}

export interface HostileServer {
  readonly port: number
  /** A configuration that reaches this server (plain TCP, protocol 3.2, a password for SCRAM scripts). */
  readonly config: PgConnectionConfig
  /** Session connections accepted (CancelRequest side connections not counted). */
  readonly sessions: () => number
  /** The peers of the sessions, in order. */
  readonly peers: ReadonlyArray<HostilePeer>
  readonly cancels: ReadonlyArray<CancelRecord>
  /** Waits until `count` CancelRequests have arrived. */
  readonly awaitCancels: (count: number) => Effect.Effect<ReadonlyArray<CancelRecord>>
  /** Script failures other than the client closing (a script expecting a message the client never sent). */
  readonly scriptErrors: ReadonlyArray<string>
}

export type Script = (peer: HostilePeer) => Effect.Effect<void, string>

/** A text column. */
export const textField = (name: string): FieldDescription => ({
  name,
  tableOid: 0,
  columnAttributeNumber: 0,
  dataTypeOid: Oid.text,
  dataTypeSize: -1,
  typeModifier: -1,
  format: 0
})

/** Encodes messages for a raw write; the test's own messages always encode. */
export const encode = (...messages: ReadonlyArray<BackendMessage>): Uint8Array => Result.getOrThrow(encodeBackend(...messages))

/** A 5-byte message header: type byte and a length word as given (any 32-bit value). */
export const header = (type: string, length: number): Uint8Array => {
  const bytes = new Uint8Array(5)
  bytes[0] = type.charCodeAt(0)
  new DataView(bytes.buffer).setUint32(1, length >>> 0)
  return bytes
}

const utf8 = new TextEncoder()

const passwordKinds = ["PasswordMessage", "SASLInitialResponse", "SASLResponse", "GSSResponse"] as const
const isPasswordKind = (tag: string): tag is (typeof passwordKinds)[number] => (passwordKinds as ReadonlyArray<string>).includes(tag)

/** The parameters a PostgreSQL 18 server reports at startup. */
const startupParameters: ReadonlyArray<readonly [string, string]> = [
  ["server_version", "18.0"],
  ["server_encoding", "UTF8"],
  ["client_encoding", "UTF8"],
  ["DateStyle", "ISO, MDY"],
  ["integer_datetimes", "on"],
  ["TimeZone", "UTC"],
  ["standard_conforming_strings", "on"]
]

const makePeer = (socket: Net.Socket, index: number, inbox: Array<FrontendMessage>, state: {
  received: number
  sent: number
  closed: boolean
  error: string | undefined
  wake: Array<() => void>
}): HostilePeer => {
  const processId = 1000 + index
  const secretKey = new Uint8Array(32).fill(index)
  const receive: Effect.Effect<FrontendMessage, string> = Effect.callback<FrontendMessage, string>((resume) => {
    const attempt = (): boolean => {
      const message = inbox.shift()
      if (message !== undefined) {
        resume(Effect.succeed(message))
        return true
      }
      if (state.error !== undefined || state.closed) {
        resume(Effect.fail(state.error ?? "the client closed the connection"))
        return true
      }
      return false
    }
    if (attempt()) return
    const waiter = () => {
      if (!attempt()) state.wake.push(waiter)
    }
    state.wake.push(waiter)
    return Effect.sync(() => {
      const at = state.wake.indexOf(waiter)
      if (at !== -1) state.wake.splice(at, 1)
    })
  })
  const expect = <T extends FrontendMessage["_tag"]>(tag: T) =>
    Effect.flatMap(receive, (message): Effect.Effect<Extract<FrontendMessage, { readonly _tag: T }>, string> => {
      if (message._tag === tag) return Effect.succeed(message as Extract<FrontendMessage, { readonly _tag: T }>)
      // 'p' messages decode as one family; the step that expects one refines it.
      if (message._tag === "PasswordMessageFamily" && isPasswordKind(tag)) {
        const refined = refinePasswordMessage(message, tag)
        return Result.isSuccess(refined)
          ? Effect.succeed(refined.success as Extract<FrontendMessage, { readonly _tag: T }>)
          : Effect.fail(`expected ${tag}: ${refined.failure.message}`)
      }
      return Effect.fail(`expected ${tag}, got ${message._tag}`)
    })
  const untilSync = Effect.gen(function*() {
    const messages: Array<FrontendMessage> = []
    for (;;) {
      const message = yield* receive
      messages.push(message)
      if (message._tag === "Sync") return messages
    }
  })
  const sendRaw = (bytes: Uint8Array) =>
    Effect.callback<void, string>((resume) => {
      if (state.closed || socket.destroyed) return resume(Effect.fail("the client closed the connection"))
      state.sent += bytes.length
      if (socket.write(bytes)) return resume(Effect.void)
      const done = () => {
        socket.off("drain", done)
        socket.off("close", done)
        resume(state.closed ? Effect.fail("the client closed the connection") : Effect.void)
      }
      socket.on("drain", done)
      socket.on("close", done)
      return Effect.sync(() => {
        socket.off("drain", done)
        socket.off("close", done)
      })
    })
  const send = (...messages: ReadonlyArray<BackendMessage>) => sendRaw(encode(...messages))
  const trust = Effect.gen(function*() {
    yield* expect("StartupMessage")
    yield* send(
      { _tag: "AuthenticationOk" },
      ...startupParameters.map(([name, value]): BackendMessage => ({ _tag: "ParameterStatus", name, value })),
      { _tag: "BackendKeyData", processId, secretKey },
      { _tag: "ReadyForQuery", transactionStatus: "I" }
    )
  })
  const answerPrepare = (fields: ReadonlyArray<FieldDescription>) =>
    Effect.gen(function*() {
      const messages = yield* untilSync
      const replies: Array<BackendMessage> = []
      for (const message of messages) {
        switch (message._tag) {
          case "Close":
            replies.push({ _tag: "CloseComplete" })
            break
          case "Parse":
            replies.push({ _tag: "ParseComplete" }, { _tag: "ParameterDescription", parameterTypes: message.parameterTypes })
            break
          case "Describe":
            replies.push(fields.length === 0 ? { _tag: "NoData" } : { _tag: "RowDescription", fields })
            break
          case "Sync":
            replies.push({ _tag: "ReadyForQuery", transactionStatus: "I" })
            break
          default:
            return yield* Effect.fail(`expected a statement to prepare, got ${message._tag}`)
        }
      }
      yield* send(...replies)
    })
  const flood = (chunk: Uint8Array, limit = Infinity) =>
    Effect.gen(function*() {
      let written = 0
      while (written < limit) {
        const ok = yield* Effect.result(sendRaw(chunk))
        if (Result.isFailure(ok)) break
        written += chunk.length
      }
      return written
    })
  const clientClosed = Effect.callback<void>((resume) => {
    if (state.closed) return resume(Effect.void)
    const done = () => resume(Effect.void)
    socket.once("close", done)
    return Effect.sync(() => socket.off("close", done))
  })
  return {
    index,
    processId,
    secretKey,
    receive,
    expect,
    untilSync,
    send,
    sendRaw,
    trust,
    answerPrepare,
    flood,
    end: Effect.sync(() => {
      socket.end()
    }),
    clientClosed,
    isClosed: () => state.closed,
    bytesReceived: () => state.received,
    bytesSent: () => state.sent
  }
}

/**
 * Starts a hostile server running `script` for every session connection.
 * A connection whose first packet is a CancelRequest is recorded and closed
 * (as PostgreSQL does), without running the script.
 */
export const startHostileServer = (script: Script): Effect.Effect<HostileServer, string, Scope.Scope> =>
  Effect.gen(function*() {
    const run = yield* FiberSet.makeRuntime<never, void, string>()
    const peers: Array<HostilePeer> = []
    const cancels: Array<CancelRecord> = []
    const cancelWaiters: Array<() => void> = []
    const scriptErrors: Array<string> = []
    const sockets = new Set<Net.Socket>()

    const onConnection = (socket: Net.Socket) => {
      sockets.add(socket)
      socket.setNoDelay(true)
      socket.on("error", () => {})
      const parser = makeFrontendParser()
      const inbox: Array<FrontendMessage> = []
      const state = { received: 0, sent: 0, closed: false, error: undefined as string | undefined, wake: [] as Array<() => void> }
      let peer: HostilePeer | undefined
      const wakeAll = () => {
        const waiting = state.wake
        state.wake = []
        for (const w of waiting) w()
      }
      socket.on("data", (chunk: Buffer) => {
        state.received += chunk.length
        if (state.error !== undefined) return
        const error = parser.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length), (m) => inbox.push(m))
        if (error !== undefined) state.error = `the client sent bytes the parser refuses: ${error.message}`
        if (peer === undefined && inbox.length > 0) {
          const first = inbox[0]!
          if (first._tag === "CancelRequest") {
            inbox.shift()
            cancels.push({ processId: first.processId, secretKey: first.secretKey })
            socket.destroy()
            for (const w of cancelWaiters.splice(0)) w()
            return
          }
          peer = makePeer(socket, peers.length + 1, inbox, state)
          peers.push(peer)
          const started = peer
          run(
            script(started).pipe(
              Effect.catch((e: string) => Effect.sync(() => {
                if (!state.closed) scriptErrors.push(`session ${started.index}: ${e}`)
              }))
            )
          )
        }
        wakeAll()
      })
      socket.on("close", () => {
        state.closed = true
        sockets.delete(socket)
        wakeAll()
      })
    }

    const server = yield* Effect.acquireRelease(
      Effect.callback<Net.Server, string>((resume) => {
        const s = Net.createServer(onConnection)
        s.once("error", (e) => resume(Effect.fail(`listen failed: ${e.message}`)))
        s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
      }),
      (s) =>
        Effect.callback<void>((resume) => {
          for (const socket of sockets) socket.destroy()
          s.close(() => resume(Effect.void))
        })
    )
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0

    const awaitCancels = (count: number) =>
      Effect.callback<ReadonlyArray<CancelRecord>>((resume) => {
        const check = () => {
          if (cancels.length >= count) resume(Effect.succeed(cancels.slice()))
          else cancelWaiters.push(check)
        }
        check()
      })

    return {
      port,
      config: {
        host: "127.0.0.1",
        port,
        user: "hostile",
        database: "hostile",
        password: "secret",
        sslMode: "disable",
        connectTimeout: "5 seconds"
      },
      sessions: () => peers.length,
      peers,
      cancels,
      awaitCancels,
      scriptErrors
    } satisfies HostileServer
  })

/** Bytes of `text` as UTF-8. */
export const bytesOf = (text: string): Uint8Array => utf8.encode(text)
