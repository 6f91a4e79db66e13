/**
 * One session's connection to the upstream database: opened with the
 * client's configuration rules (`load`: URL, `PG*` variables, pgpass,
 * sslmode) and its startup handshake (`runStartup`), then used as a raw
 * message pipe. A reader fiber splits off what the upstream sends at any
 * time (notifications, ParameterStatus) and queues the rest for the
 * statement waiting for it.
 *
 * @since 0.1.0
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import type * as Socket from "effect/socket/Socket"
import type { ResolvedConfig } from "../../client/Config.ts"
import { sendCancelRequest } from "../../client/Cancel.ts"
import { runStartup, type SessionInfo, type StartupError } from "../../client/Startup.ts"
import { type BackendMessage, type FrontendMessage, makeBackendParser, ProtocolError } from "../../protocol/index.ts"
import { fatal, type PgError } from "../../server/index.ts"
import { connect, type ConnectionError, type ConnectOptions, fromSocketError, type TlsOptions } from "../../transport/index.ts"
import { encode } from "../pglite/internal/Wire.ts"

/** Messages waiting for the statement that asked for them. */
class Inbox {
  private items: Array<BackendMessage> = []
  private head = 0
  private waiter: Deferred.Deferred<void> | undefined
  failure: PgError | undefined

  push(message: BackendMessage): void {
    this.items.push(message)
    this.wake()
  }

  fail(error: PgError): void {
    this.failure ??= error
    this.wake()
  }

  private wake(): void {
    const waiter = this.waiter
    this.waiter = undefined
    if (waiter !== undefined) Deferred.doneUnsafe(waiter, Exit.void)
  }

  readonly take: Effect.Effect<BackendMessage, PgError> = Effect.suspend(() => {
    if (this.head < this.items.length) {
      const message = this.items[this.head++]!
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head)
        this.head = 0
      }
      return Effect.succeed(message)
    }
    if (this.failure !== undefined) return Effect.fail(this.failure)
    this.waiter ??= Deferred.makeUnsafe<void>()
    return Effect.andThen(Deferred.await(this.waiter), this.take)
  })
}

/**
 * @since 0.1.0
 * @category models
 */
export interface UpstreamHooks {
  readonly onNotification: (channel: string, payload: string, processId: number) => Effect.Effect<void>
  readonly onParameter: (name: string, value: string) => Effect.Effect<void>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Upstream {
  readonly info: SessionInfo
  /** Sends messages (in one write) and collects the answer up to the first message `done` accepts. */
  readonly exchange: (
    messages: ReadonlyArray<FrontendMessage>,
    done: (message: BackendMessage) => boolean
  ) => Effect.Effect<Array<BackendMessage>, PgError>
  /** Sends messages that get no answer (CopyData). */
  readonly send: (messages: ReadonlyArray<FrontendMessage>) => Effect.Effect<void, PgError>
  /** Reads the rest of an answer. */
  readonly collect: (done: (message: BackendMessage) => boolean) => Effect.Effect<Array<BackendMessage>, PgError>
  /** A CancelRequest for what the upstream session runs now. */
  readonly cancel: Effect.Effect<void>
  /** Terminate and close. */
  readonly close: Effect.Effect<void>
}

/** The TLS options of one connection attempt, from libpq's sslmode (prefer: TLS when offered). */
export const tlsOf = (config: ResolvedConfig): TlsOptions | undefined => {
  const mode = config.sslMode
  if (mode === "disable" || mode === "allow" || config.host.startsWith("/")) return undefined
  return {
    negotiation: config.sslNegotiation,
    required: mode !== "prefer",
    verification: mode === "verify-full" ? "full" : mode === "verify-ca" || (mode === "require" && config.sslRootCert !== undefined) ? "ca" : "none",
    rootCertificates: config.sslRootCert,
    certificate: config.sslCert,
    key: config.sslKey,
    passphrase: config.sslPassword,
    crl: config.sslCrl,
    sni: config.sslSni,
    ...(config.hostaddr !== undefined ? { serverName: config.host } : {}),
    minProtocolVersion: config.sslMinProtocolVersion,
    maxProtocolVersion: config.sslMaxProtocolVersion
  }
}

const lost = (message: string) => fatal("08006", `the upstream connection was lost: ${message}`)

const startupFailure = (error: StartupError): PgError => {
  if (error._tag === "PgServerError") return fatal(error.code, `upstream: ${error.message}`)
  return fatal("08001", `cannot connect to the upstream database: ${error.message}`)
}

/**
 * Opens an upstream session; it lives until `close`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const open = (config: ResolvedConfig, hooks: UpstreamHooks): Effect.Effect<Upstream, PgError> =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const options: ConnectOptions = {
      host: config.hostaddr ?? config.host,
      port: config.port,
      connectTimeout: config.connectTimeout,
      keepAlive: config.keepAlive,
      tls: tlsOf(config)
    }
    const opened = yield* Effect.exit(Scope.provide(scope)(Effect.gen(function*() {
      const transport = yield* connect(options)
      const reader = yield* Effect.mapError(transport.socket.reader, fromSocketError) as Effect.Effect<
        Socket.Reader<Uint8Array>,
        ConnectionError,
        Scope.Scope
      >
      const writer = yield* transport.socket.writer
      return { transport, reader, writer }
    })))
    if (Exit.isFailure(opened)) {
      yield* Scope.close(scope, Exit.void)
      return yield* Effect.fail(fatal("08001", `cannot connect to the upstream database at ${options.host}:${options.port}`))
    }
    const { transport, reader, writer } = opened.value
    const parser = makeBackendParser()
    const inbox = new Inbox()
    const startupQueue: Array<BackendMessage> = []
    const write = (bytes: Uint8Array): Effect.Effect<void, PgError> =>
      Effect.mapError(writer.write(bytes), (error) => lost(fromSocketError(error).message))
    const next: Effect.Effect<BackendMessage<unknown>, ConnectionError | ProtocolError> = Effect.suspend(() => {
      const message = startupQueue.shift()
      if (message !== undefined) return Effect.succeed(message)
      return Effect.flatMap(Effect.mapError(reader.pull, fromSocketError), (chunks) => {
        for (const chunk of chunks) {
          const error = parser.push(chunk, (m) => {
            startupQueue.push(m)
          })
          if (error !== undefined) return Effect.fail(error)
        }
        return next
      })
    })
    const info = yield* runStartup(
      {
        next,
        send: (message) =>
          Effect.suspend((): Effect.Effect<void, ConnectionError | ProtocolError> => {
            const bytes = encode([message])
            return bytes instanceof Uint8Array
              ? Effect.mapError(writer.write(bytes), fromSocketError)
              : Effect.fail(new ProtocolError({ reason: "InvalidValue", message: bytes.message, offset: -1 }))
          })
      },
      config,
      transport.tls
    ).pipe(Effect.mapError(startupFailure), Effect.onError(() => Scope.close(scope, Exit.void)))

    const dispatch = (message: BackendMessage): Effect.Effect<void> | undefined => {
      switch (message._tag) {
        case "NotificationResponse":
          return hooks.onNotification(message.channel, message.payload, message.processId)
        case "ParameterStatus":
          return hooks.onParameter(message.name, message.value)
        default:
          inbox.push(message)
          return undefined
      }
    }
    for (const message of startupQueue.splice(0)) yield* dispatch(message) ?? Effect.void

    const readLoop: Effect.Effect<void> = Effect.gen(function*() {
      while (true) {
        const chunks = yield* Effect.result(reader.pull)
        if (chunks._tag === "Failure") {
          inbox.fail(lost(fromSocketError(chunks.failure).message))
          return
        }
        const out: Array<BackendMessage> = []
        for (const chunk of chunks.success) {
          const error = parser.push(chunk, (m) => {
            out.push(m)
          })
          if (error !== undefined) {
            inbox.fail(lost(error.message))
            return
          }
        }
        for (const message of out) {
          const effect = dispatch(message)
          if (effect !== undefined) yield* effect
        }
      }
    })
    yield* Effect.forkIn(readLoop, scope)

    const collect = (done: (message: BackendMessage) => boolean): Effect.Effect<Array<BackendMessage>, PgError> =>
      Effect.suspend(() => {
        const out: Array<BackendMessage> = []
        const loop: Effect.Effect<Array<BackendMessage>, PgError> = Effect.flatMap(inbox.take, (message) => {
          out.push(message)
          return done(message) ? Effect.succeed(out) : loop
        })
        return loop
      })

    const send = (messages: ReadonlyArray<FrontendMessage>): Effect.Effect<void, PgError> =>
      Effect.suspend(() => {
        const bytes = encode(messages)
        return bytes instanceof Uint8Array ? write(bytes) : Effect.fail(bytes)
      })

    let closed = false
    return {
      info,
      send,
      collect,
      exchange: (messages, done) => Effect.andThen(send(messages), collect(done)),
      cancel: info.secretKey === undefined
        ? Effect.void
        : Effect.ignore(sendCancelRequest(connect, transport.options, info.processId, info.secretKey)),
      close: Effect.suspend(() => {
        if (closed) return Effect.void
        closed = true
        return Effect.andThen(Effect.ignore(send([{ _tag: "Terminate" }])), Scope.close(scope, Exit.void))
      })
    } satisfies Upstream
  })
