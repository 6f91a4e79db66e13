/**
 * A scripted client built on our codec, for protocol-level server tests:
 * it sends exactly the bytes a test asks for (including malformed ones)
 * and hands back every backend message, so a test sees what the server
 * wrote, in order. Every wait is bounded; the socket closes with the scope.
 */
import * as Net from "node:net"
import * as Tls from "node:tls"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import type * as Scope from "effect/Scope"
import {
  type BackendMessage,
  encodeFrontend,
  type FrontendMessage,
  makeBackendParser,
  StartupCode
} from "../../../src/protocol/index.ts"

export interface Peer {
  readonly socket: Net.Socket
  readonly send: (...messages: ReadonlyArray<FrontendMessage>) => Effect.Effect<void>
  readonly sendRaw: (bytes: Uint8Array) => Effect.Effect<void>
  /** The next backend message. */
  readonly receive: Effect.Effect<BackendMessage, string>
  /** Messages up to and including the first with this tag. */
  readonly receiveUntil: (tag: BackendMessage["_tag"]) => Effect.Effect<Array<BackendMessage>, string>
  /** Waits until the server closes; returns the messages it sent before. */
  readonly closed: Effect.Effect<Array<BackendMessage>, string>
  /** The next raw byte (an SSLRequest answer), before any message parsing. */
  readonly readByte: Effect.Effect<number, string>
  /** Whether the server has closed the connection. */
  readonly isClosed: () => boolean
  /** Messages received and not taken yet. */
  readonly pending: () => number
  /** Upgrades to TLS as a client (after 'S', or for direct TLS with `alpn`). */
  readonly startTls: (options: Tls.ConnectionOptions) => Effect.Effect<Tls.TLSSocket, string>
}

const wait = 10_000

export const connectPeer = (target: { readonly port: number } | { readonly path: string }): Effect.Effect<Peer, string, Scope.Scope> =>
  Effect.gen(function*() {
    let socket: Net.Socket = yield* Effect.acquireRelease(
      Effect.callback<Net.Socket, string>((resume) => {
        const s = "path" in target ? Net.createConnection({ path: target.path }) : Net.createConnection({ host: "127.0.0.1", port: target.port })
        s.once("connect", () => resume(Effect.succeed(s)))
        s.once("error", (e) => resume(Effect.fail(`connect failed: ${e.message}`)))
      }),
      (s) => Effect.sync(() => s.destroy())
    )
    const parser = makeBackendParser()
    const inbox: Array<BackendMessage> = []
    const raw: Array<number> = []
    let rawMode = false
    let closed = false
    let failure: string | undefined
    let wake: (() => void) | undefined
    const notify = () => {
      const w = wake
      wake = undefined
      w?.()
    }
    const attach = (s: Net.Socket) => {
      s.on("data", (chunk: Buffer) => {
        if (rawMode) {
          for (const b of chunk) raw.push(b)
        } else {
          const error = parser.push(new Uint8Array(chunk), (m) => inbox.push(m as BackendMessage))
          if (error !== undefined) failure = `unparsable server bytes: ${error.message}`
        }
        notify()
      })
      s.on("close", () => {
        closed = true
        notify()
      })
      s.on("error", () => {})
    }
    attach(socket)
    const until = <A>(check: () => A | undefined, what: string): Effect.Effect<A, string> =>
      Effect.callback<A, string>((resume) => {
        const attempt = () => {
          const value = check()
          if (value !== undefined) return resume(Effect.succeed(value))
          if (failure !== undefined) return resume(Effect.fail(failure))
          if (closed) return resume(Effect.fail(`the server closed the connection while waiting for ${what}`))
          wake = attempt
        }
        attempt()
        return Effect.sync(() => {
          wake = undefined
        })
      }).pipe(Effect.timeoutOrElse({ duration: wait, orElse: () => Effect.fail(`timed out waiting for ${what}`) }))
    const receive = until(() => inbox.shift(), "a message")
    const peer: Peer = {
      get socket() {
        return socket
      },
      send: (...messages) =>
        Effect.sync(() => {
          socket.write(Result.getOrThrow(encodeFrontend(...messages)))
        }),
      sendRaw: (bytes) => Effect.sync(() => void socket.write(bytes)),
      receive,
      receiveUntil: (tag) =>
        Effect.gen(function*() {
          const out: Array<BackendMessage> = []
          for (;;) {
            const m = yield* receive
            out.push(m)
            if (m._tag === tag) return out
          }
        }),
      closed: until(() => (closed ? inbox.splice(0) : undefined), "the close"),
      readByte: Effect.suspend(() => {
        rawMode = true
        return until(() => raw.shift(), "a byte")
      }).pipe(Effect.ensuring(Effect.sync(() => {
        rawMode = false
      }))),
      isClosed: () => closed,
      pending: () => inbox.length,
      startTls: (options) =>
        Effect.callback<Tls.TLSSocket, string>((resume) => {
          socket.removeAllListeners("data")
          socket.removeAllListeners("close")
          const secure = Tls.connect({ ...options, socket })
          secure.once("secureConnect", () => {
            socket = secure
            attach(secure)
            resume(Effect.succeed(secure))
          })
          secure.once("error", (e) => resume(Effect.fail(`TLS failed: ${e.message}`)))
        })
    }
    return peer
  })

/** Connects and runs the startup as `user` (trust), up to ReadyForQuery. */
export const readyPeer = (
  target: { readonly port: number } | { readonly path: string },
  parameters: Readonly<Record<string, string>> = { user: "alice" },
  protocolVersion: number = StartupCode.Protocol3_0
): Effect.Effect<{ readonly peer: Peer; readonly startup: Array<BackendMessage> }, string, Scope.Scope> =>
  Effect.gen(function*() {
    const peer = yield* connectPeer(target)
    yield* peer.send({ _tag: "StartupMessage", protocolVersion, parameters })
    const startup = yield* peer.receiveUntil("ReadyForQuery")
    return { peer, startup }
  })

/** Sends a CancelRequest with the key from `startup` (its BackendKeyData) on a side connection. */
export const cancelFrom = (
  target: { readonly port: number } | { readonly path: string },
  startup: ReadonlyArray<BackendMessage>
): Effect.Effect<void, string, Scope.Scope> =>
  Effect.gen(function*() {
    const key = startup.find((m) => m._tag === "BackendKeyData")
    if (key?._tag !== "BackendKeyData") return yield* Effect.fail("no BackendKeyData")
    const side = yield* connectPeer(target)
    yield* side.send({ _tag: "CancelRequest", processId: key.processId, secretKey: key.secretKey })
  })

/** The tags of messages, for compact assertions. */
export const tags = (messages: ReadonlyArray<BackendMessage>): Array<string> => messages.map((m) => m._tag)

/** The SQLSTATE of an ErrorResponse among messages. */
export const errorCode = (messages: ReadonlyArray<BackendMessage>): string | undefined => {
  for (const m of messages) if (m._tag === "ErrorResponse") return m.fields.code
  return undefined
}
