/**
 * One session's connection to the upstream database: opened with the
 * client's configuration rules (`load`: URL, `PG*` variables, pgpass,
 * sslmode) and its startup handshake (`runStartup`), then used as a pipe
 * of bytes: the relayed session's messages go up as the client sent them,
 * and what the upstream sends comes back undecoded.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import type { ResolvedConfig } from "../../client/Config.ts"
import { sendCancelRequest } from "../../client/Cancel.ts"
import { tlsFor } from "../../client/config/Tls.ts"
import { runStartup, type SessionInfo, type StartupError } from "../../client/Startup.ts"
import { type BackendMessage, encodeBackend, encodeFrontend, makeBackendParser, type ProtocolError } from "../../protocol/index.ts"
import { fatal, type PgError } from "../../server/index.ts"
import { connect, type ConnectionError, type ConnectOptions, fromSocketError, readerAndWriter, type TlsOptions } from "../../transport/index.ts"

/** Terminate: 'X' and a length of 4. */
const terminate = new Uint8Array([0x58, 0, 0, 0, 4])

/**
 * @since 0.1.0
 * @category models
 */
export interface Upstream {
  readonly info: SessionInfo
  /** Bytes for the upstream, as the client sent them. */
  readonly send: (bytes: Uint8Array) => Effect.Effect<void, PgError>
  /** The upstream's next bytes; `undefined` once it closed the connection. */
  readonly receive: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, PgError>
  /** A CancelRequest for what the upstream session runs now. */
  readonly cancel: Effect.Effect<void>
  /** Terminate and close. */
  readonly close: Effect.Effect<void>
}

/** The TLS options of the connection: libpq's sslmode, tried once (allow: plain). */
const tlsOf = (config: ResolvedConfig): TlsOptions | undefined =>
  config.host.startsWith("/") ? undefined : tlsFor(config, config.sslMode !== "disable" && config.sslMode !== "allow")

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
export const open = (config: ResolvedConfig): Effect.Effect<Upstream, PgError> =>
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
      return { transport, ...(yield* readerAndWriter(transport)) }
    })))
    if (Exit.isFailure(opened)) {
      yield* Scope.close(scope, Exit.void)
      return yield* Effect.fail(fatal("08001", `cannot connect to the upstream database at ${options.host}:${options.port}`))
    }
    const { transport, reader, writer } = opened.value
    const parser = makeBackendParser()
    const startupQueue: Array<BackendMessage> = []
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
            const bytes = encodeFrontend(message)
            return Result.isSuccess(bytes) ? Effect.mapError(writer.write(bytes.success), fromSocketError) : Effect.fail(bytes.failure)
          })
      },
      config,
      transport.tls
    ).pipe(Effect.mapError(startupFailure), Effect.onError(() => Scope.close(scope, Exit.void)))

    // Whatever followed the startup's ReadyForQuery in the same read goes first, as bytes again.
    const early: Array<Uint8Array> = []
    if (startupQueue.length > 0) {
      const encoded = encodeBackend(...startupQueue.splice(0))
      if (Result.isFailure(encoded)) {
        yield* Scope.close(scope, Exit.void)
        return yield* Effect.fail(lost(encoded.failure.message))
      }
      early.push(encoded.success)
    }
    const partial = parser.takeBuffered()
    if (partial.length > 0) early.push(partial)

    let ended = false
    const receive: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, PgError> = Effect.suspend((): Effect.Effect<ReadonlyArray<Uint8Array> | undefined> => {
      if (early.length > 0) return Effect.succeed(early.splice(0))
      if (ended) return Effect.succeed(undefined)
      return Effect.catch(reader.pull, () => {
        ended = true
        return Effect.succeed(undefined)
      })
    })

    let closed = false
    return {
      info,
      send: (bytes) => Effect.mapError(writer.write(bytes), (error) => lost(fromSocketError(error).message)),
      receive,
      cancel: info.secretKey === undefined
        ? Effect.void
        : Effect.ignore(sendCancelRequest(connect, transport.options, info.processId, info.secretKey)),
      close: Effect.suspend(() => {
        if (closed) return Effect.void
        closed = true
        return Effect.andThen(Effect.ignore(writer.write(terminate)), Scope.close(scope, Exit.void))
      })
    } satisfies Upstream
  })
