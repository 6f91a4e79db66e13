/**
 * A connection to PostgreSQL as an Effect service: `PgConnection.layer(config)`
 * is a scoped Layer, `PgConnection.make(config)` the Effect behind it.
 *
 * Connecting runs the startup handshake (`Startup.ts`) over the transport;
 * then one reader fiber owns the socket's input and routes each message to
 * the request at the head of a FIFO (`internal/Wire.ts`), and one writer
 * fiber sends whatever requests have queued, so requests from many fibers
 * are pipelined in one write. Interrupting a running query sends a
 * CancelRequest on a side connection and returns at once; the connection
 * drains the cancelled request in the background and stays usable.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as PubSub from "effect/PubSub"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import type * as Sink from "effect/Sink"
import * as Socket from "effect/socket/Socket"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type { AuthError } from "../auth/AuthError.ts"
import { encodeFrontend, type FrontendMessage } from "../protocol/Frontend.ts"
import type { NoticeFields, NotificationResponse } from "../protocol/messages/Notice.ts"
import type { TransactionStatus } from "../protocol/messages/Session.ts"
import { StartupCode } from "../protocol/MessageType.ts"
import { ProtocolError } from "../protocol/ProtocolError.ts"
import { readerAndWriter, connect as transportConnect } from "../transport/Connect.ts"
import { ConnectionError, fromSocketError } from "../transport/ConnectionError.ts"
import type { Connect, ConnectOptions, Transport } from "../transport/Transport.ts"
import { sendCancelRequest } from "./Cancel.ts"
import { tlsFor } from "./config/Tls.ts"
import { type ConfigError, forTarget, load, type LoadOptions, parseConnectionString, type PgConnectionConfig, resolve, type ResolvedConfig } from "./Config.ts"
import * as Hosts from "./Hosts.ts"
import type { HostsError } from "./Hosts.ts"
import { type CopyFromOptions, type CopyResult, makeCopyFrom } from "./CopyIn.ts"
import { type CopyToOptions, makeCopyTo } from "./CopyOut.ts"
import { makeExecute } from "./Execute.ts"
import { type ListenEvent, type ListenNotification, type ListenOptions, listenWith, type OpenListenSession } from "./Listen.ts"
import { makeStream, type StreamOptions } from "./QueryStream.ts"
import { type Abandonable, type Core } from "./internal/Core.ts"
import { type Message, type Request, type Row, UnexpectedMessage, Wire, type WireFailure } from "./internal/Wire.ts"
import { fromNoticeFields, type PgServerError } from "./PgServerError.ts"
import { makePrepare, makeQuery, makeValues, type QueryResult } from "./Query.ts"
import type { QueryError } from "./QueryErrors.ts"
import { rejectsNewerProtocol, runStartup, type SessionInfo, type StartupError } from "./Startup.ts"
import { StatementCache } from "./StatementCache.ts"
import type { CatalogQuery } from "./types/Catalog.ts"
import { TypeRegistry, type TypeRegistryOptions } from "./types/Registry.ts"

/**
 * A notice or warning the server sent (RAISE NOTICE, deprecation warnings...).
 *
 * @since 0.1.0
 * @category models
 */
export type PgNotice = NoticeFields

/**
 * A NOTIFY delivered to this session.
 *
 * @since 0.1.0
 * @category models
 */
export interface PgNotification {
  readonly channel: string
  readonly payload: string
  /** The notifying backend's process id. */
  readonly processId: number
}

/**
 * What connecting can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type ConnectError = ConnectionError | ProtocolError | AuthError | PgServerError | ConfigError | HostsError

/**
 * Counters of one connection.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectionStats {
  readonly statementCacheHits: number
  readonly statementCacheMisses: number
  readonly statementCacheEvictions: number
  readonly preparedStatements: number
  readonly cancelsSent: number
  /** Interrupted queries the server confirmed as cancelled (SQLSTATE 57014). */
  readonly queriesCancelled: number
  readonly pendingRequests: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface PgConnectionShape {
  /** What the startup handshake established: protocol version, cancel key, server parameters. */
  readonly info: SessionInfo
  /** Runs one statement on the extended protocol (prepared and cached), with `$1...` parameters. */
  readonly query: (sql: string, params?: ReadonlyArray<unknown>) => Effect.Effect<QueryResult, QueryError>
  /** As `query`, with each row an array of values in column order (repeated column names keep every value). */
  readonly values: (sql: string, params?: ReadonlyArray<unknown>) => Effect.Effect<QueryResult<ReadonlyArray<unknown>>, QueryError>
  /** Runs a string of statements on the simple protocol; every statement's result comes back. */
  readonly execute: (sql: string) => Effect.Effect<ReadonlyArray<QueryResult>, QueryError>
  /** Notices and warnings from the server. */
  readonly notices: Stream.Stream<PgNotice>
  /** NOTIFY messages for the channels this session listens to. */
  readonly notifications: Stream.Stream<PgNotification>
  /** The server's reported parameters (server_version, TimeZone, ...), kept current. */
  readonly parameters: SubscriptionRef.SubscriptionRef<ReadonlyMap<string, string>>
  /** The transaction status of the latest ReadyForQuery: I idle, T in a transaction, E failed transaction. */
  readonly transactionStatus: Effect.Effect<TransactionStatus>
  /** Every change of the transaction status. */
  readonly transactionStatusChanges: Stream.Stream<TransactionStatus>
  /** Asks the server to cancel whatever this session is running now. */
  readonly cancel: Effect.Effect<void, ConnectionError>
  readonly stats: Effect.Effect<ConnectionStats>
  /** Why the connection stopped working, if it did. */
  readonly failure: Effect.Effect<WireFailure | undefined>
  /** This connection's type registry: register codecs, inspect or reset what was learnt from the catalog. */
  readonly types: TypeRegistry
  /** Waits until the connection stops working (lost, closed, or failed) and says why. */
  readonly closed: Effect.Effect<WireFailure>
  /**
   * Runs one statement and streams its rows, fetched in batches of
   * `batchSize` through a portal: memory stays bounded on any result size.
   * The connection belongs to the stream until it ends (see `QueryStream.ts`).
   */
  readonly stream: (sql: string, params?: ReadonlyArray<unknown>, options?: StreamOptions) => Stream.Stream<Row, QueryError>
  /** `COPY ... FROM STDIN` as a Sink of bytes; a failing or interrupted source sends CopyFail (nothing is committed). */
  readonly copyFrom: (sql: string, options?: CopyFromOptions) => Sink.Sink<CopyResult, Uint8Array, never, QueryError>
  /** `COPY ... TO STDOUT` as a Stream of bytes, with backpressure on the socket. */
  readonly copyTo: (sql: string, options?: CopyToOptions) => Stream.Stream<Uint8Array, QueryError>
  /**
   * Notifications of the channels, on a dedicated connection with the same
   * configuration; it reconnects after a loss and emits a ListenGap first.
   */
  readonly listen: (channels: string | ReadonlyArray<string>, options?: ListenOptions) => Stream.Stream<ListenEvent, QueryError | ConnectError>
}

interface Session {
  readonly transport: Transport
  readonly reader: Socket.Reader<Uint8Array>
  readonly writer: Socket.Writer
  readonly wire: Wire
  readonly info: SessionInfo
  readonly leftover: ReadonlyArray<Message>
}

/** The hooks a Wire calls, filled in once the session is up. */
interface Hooks {
  onNotice: (fields: NoticeFields) => void
  onNotification: (message: NotificationResponse) => void
  onParameter: (name: string, value: string) => void
  onStatus: (status: TransactionStatus) => void
  wakeWriter: () => void
}

const attempt = (
  connect: Connect,
  config: ResolvedConfig,
  options: ConnectOptions,
  protocolVersion: number,
  hooks: Hooks
): Effect.Effect<Session, StartupError, Scope.Scope> =>
  Effect.gen(function*() {
    const transport = yield* connect(options)
    const { reader, writer } = yield* readerAndWriter(transport)
    const wire = new Wire({
      onNotice: (f) => hooks.onNotice(f),
      onNotification: (m) => hooks.onNotification(m),
      onParameter: (n, v) => hooks.onParameter(n, v),
      onStatus: (s) => hooks.onStatus(s),
      wakeWriter: () => hooks.wakeWriter()
    })
    const inbox: Array<Message> = []
    const next: Effect.Effect<Message, ConnectionError | ProtocolError> = Effect.suspend(() => {
      const message = inbox.shift()
      if (message !== undefined) return Effect.succeed(message)
      return Effect.flatMap(Effect.mapError(reader.pull, fromSocketError), (chunks) => {
        for (const chunk of chunks) {
          const error = wire.parser.push(chunk, (m) => {
            inbox.push(m)
          })
          if (error !== undefined) return Effect.fail(error)
        }
        return next
      })
    })
    const send = (message: FrontendMessage): Effect.Effect<void, ConnectionError | ProtocolError> => {
      const bytes = encodeFrontend(message)
      if (Result.isFailure(bytes)) return Effect.fail(bytes.failure)
      return Effect.mapError(writer.write(bytes.success), fromSocketError)
    }
    const info = yield* runStartup({ next, send }, config, transport.tls, protocolVersion)
    wire.status = info.transactionStatus
    return { transport, reader, writer, wire, info, leftover: inbox }
  })

/**
 * Opens a session in `scope`: sslmode retries (allow, prefer) and the
 * fallback to protocol 3.0 for servers that refuse 3.2.
 */
const openSession = (
  connect: Connect,
  config: ResolvedConfig,
  hooks: Hooks,
  scope: Scope.Scope
): Effect.Effect<Session, StartupError> => {
  const unix = config.hostaddr === undefined && (config.host.startsWith("/") || config.host.startsWith("@"))
  const base = { host: config.hostaddr ?? config.host, port: config.port, connectTimeout: config.connectTimeout, keepAlive: config.keepAlive }
  const tryOnce = (tls: boolean, version: number) =>
    Effect.gen(function*() {
      const child = yield* Scope.fork(scope)
      const exit = yield* Effect.exit(
        Scope.provide(attempt(connect, config, { ...base, tls: tlsFor(config, tls) }, version, hooks), child)
      )
      if (Exit.isFailure(exit)) yield* Scope.close(child, exit)
      return yield* exit
    })
  const withVersion = (tls: boolean) => {
    const newest = config.maxProtocolVersion === "3.2" ? StartupCode.Protocol3_2 : StartupCode.Protocol3_0
    return tryOnce(tls, newest).pipe(
      Effect.catch((error: StartupError) =>
        newest === StartupCode.Protocol3_2 && config.minProtocolVersion === "3.0" && rejectsNewerProtocol(error)
          ? tryOnce(tls, StartupCode.Protocol3_0)
          : Effect.fail(error)
      )
    )
  }
  // libpq tries the other way after an attempt that failed at the socket, in
  // TLS, or by the server's refusal (e.g. a pg_hba.conf line for only one of
  // ssl/nossl); not after a client-side policy refusal, which would fail again.
  const retryable = (error: StartupError) =>
    error._tag === "ConnectionError" || error._tag === "PgServerError" ||
    (error._tag === "AuthError" && error.cause !== undefined)
  switch (unix ? "disable" : config.sslMode) {
    case "disable":
      return withVersion(false)
    case "allow":
      // libpq: plain first; if that fails, with TLS.
      return withVersion(false).pipe(Effect.catch((error: StartupError) => (retryable(error) ? withVersion(true) : Effect.fail(error))))
    case "prefer":
      // libpq: TLS first (plain if the server says 'N'); if that fails, plain.
      return withVersion(true).pipe(Effect.catch((error: StartupError) => (retryable(error) ? withVersion(false) : Effect.fail(error))))
    default:
      return withVersion(true)
  }
}

/**
 * Connects and returns the connection; it lives as long as the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  input: PgConnectionConfig | string,
  options?: MakeOptions
): Effect.Effect<PgConnectionShape, ConnectError, Scope.Scope> =>
  Effect.flatMap(
    options?.environment !== undefined && options.environment !== false
      ? load(input, options.environment === true ? undefined : options.environment)
      : Effect.flatMap(typeof input === "string" ? parseConnectionString(input) : Effect.succeed(input), (config) => resolve(config)),
    (config) => connectAny(config, options?.connect ?? transportConnect, options?.types, undefined)
  )

/**
 * @since 0.1.0
 * @category models
 */
export interface MakeOptions {
  /** The transport (default: TCP/Unix sockets and TLS from `Connect.ts`). */
  readonly connect?: Connect | undefined
  /**
   * Read the configuration as libpq does: the PG* environment variables, the
   * service file and the password file fill in what the input leaves out
   * (`true` reads `process.env` and the home directory). Default: only the
   * input (and the files it names).
   */
  readonly environment?: boolean | LoadOptions | undefined
  /**
   * How values travel (docs/types.md): registry options (`timestamps:
   * "PgTimestamp"` for microsecond-exact timestamps, `dates: "PgDate"`), or
   * a `TypeRegistry` with user codecs registered. Each connection gets its
   * own registry from options; a registry given here is shared.
   */
  readonly types?: TypeRegistryOptions | TypeRegistry | undefined
}

/** Tries the configured hosts in turn (target_session_attrs, load_balance_hosts); see `Hosts.ts`. */
const connectAny = (
  config: ResolvedConfig,
  connect: Connect,
  typeOptions: TypeRegistryOptions | TypeRegistry | undefined,
  onNotification: ((notification: ListenNotification) => void) | undefined
): Effect.Effect<PgConnectionShape, ConnectError, Scope.Scope> =>
  Effect.map(
    Hosts.connect(config, (target) =>
      Effect.map(connectResolved(forTarget(config, target), connect, typeOptions, onNotification), (connection) => ({
        connection,
        parameters: connection.info.parameters,
        query: (sql: string) =>
          Effect.map(connection.execute(sql), (results) => {
            const first = results[0]
            const field = first?.fields[0]
            return field === undefined ? undefined : first?.rows[0]?.[field.name]
          })
      }))),
    (connected) => connected.connection
  )

const connectResolved = (
  config: ResolvedConfig,
  connect: Connect,
  typeOptions: TypeRegistryOptions | TypeRegistry | undefined,
  onNotification: ((notification: ListenNotification) => void) | undefined
): Effect.Effect<PgConnectionShape, ConnectError, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope

    const notices = yield* PubSub.unbounded<PgNotice>()
    const notifications = yield* PubSub.unbounded<PgNotification>()
    const statusChanges = yield* PubSub.unbounded<TransactionStatus>()
    const serverParameters = new Map<string, string>()
    let parametersDirty = false
    let wakeResume: ((effect: Effect.Effect<void>) => void) | undefined
    const hooks: Hooks = {
      onNotice: (fields) => {
        PubSub.publishUnsafe(notices, fields)
      },
      onNotification: (m) => {
        onNotification?.({ _tag: "Notification", channel: m.channel, payload: m.payload, processId: m.processId })
        PubSub.publishUnsafe(notifications, { channel: m.channel, payload: m.payload, processId: m.processId })
      },
      onParameter: (name, value) => {
        serverParameters.set(name, value)
        parametersDirty = true
      },
      onStatus: (status) => {
        if (status !== lastStatus) {
          lastStatus = status
          PubSub.publishUnsafe(statusChanges, status)
        }
      },
      wakeWriter: () => {
        const resume = wakeResume
        if (resume !== undefined) {
          wakeResume = undefined
          resume(Effect.void)
        }
      }
    }
    let lastStatus: TransactionStatus = "I"

    const opening = openSession(connect, config, hooks, scope)
    // A zero or infinite connect timeout waits forever, as libpq's connect_timeout=0 does.
    const bounded = Duration.isFinite(config.connectTimeout) && Duration.toMillis(config.connectTimeout) > 0
      ? Effect.timeoutOrElse(opening, {
        duration: config.connectTimeout,
        orElse: () =>
          Effect.fail(
            new ConnectionError({
              reason: "ConnectTimeout",
              message: `could not connect and authenticate within ${Duration.format(config.connectTimeout)}`
            })
          )
      })
      : opening
    const session = yield* bounded
    const { info, wire, writer, reader, transport } = session
    for (const [name, value] of info.parameters) serverParameters.set(name, value)
    lastStatus = info.transactionStatus
    const parameters = yield* SubscriptionRef.make<ReadonlyMap<string, string>>(new Map(serverParameters))
    const cache = new StatementCache(config.statementCacheSize)
    let cancelsSent = 0

    /**
     * The connection cannot go on: every waiting request fails with `failure`
     * and the socket closes now (as libpq drops the connection), not when the
     * scope closes.
     */
    const shutdown = (failure: WireFailure): Effect.Effect<void> =>
      Effect.suspend(() => {
        wire.fail(failure)
        return Effect.ignore(writer.write(new Socket.CloseEvent()))
      })

    // --- the reader fiber -------------------------------------------------
    const toFailure = (thrown: unknown): WireFailure => {
      if (thrown instanceof UnexpectedMessage) {
        const message = thrown.message
        if (message._tag === "ErrorResponse") return fromNoticeFields(message.fields)
        return new ProtocolError({ reason: "InvalidValue", message: `unexpected ${message._tag} with no request waiting`, offset: -1 })
      }
      if (thrown instanceof ProtocolError) return thrown
      return new ProtocolError({ reason: "InvalidValue", message: `message handling failed: ${String(thrown)}`, offset: -1 })
    }
    const deliver = (chunk: Uint8Array): WireFailure | undefined => {
      try {
        return wire.parser.push(chunk, wire.route)
      } catch (thrown) {
        return toFailure(thrown)
      }
    }
    const waitReadable = Effect.callback<void>((resume) => wire.whenReadable(() => resume(Effect.void)))
    const readLoop: Effect.Effect<never, WireFailure> = Effect.gen(function*() {
      for (const message of session.leftover) {
        try {
          wire.route(message)
        } catch (thrown) {
          return yield* Effect.fail(toFailure(thrown))
        }
      }
      wire.flushCompleted()
      for (;;) {
        const chunks = yield* Effect.mapError(reader.pull, fromSocketError)
        for (const chunk of chunks) {
          const failure = deliver(chunk)
          if (failure !== undefined) return yield* Effect.fail(failure)
        }
        // Parameters first, so a caller resumed by this chunk sees what it changed.
        if (parametersDirty) {
          parametersDirty = false
          yield* SubscriptionRef.set(parameters, new Map(serverParameters))
        }
        wire.flushCompleted()
        // A consumer that is behind (COPY TO STDOUT) stops the reading: TCP pushes back on the server.
        if (wire.readPaused) yield* waitReadable
      }
    })
    yield* readLoop.pipe(
      Effect.catch((failure: WireFailure) => shutdown(failure)),
      Effect.forkIn(scope)
    )

    // --- the writer fiber -------------------------------------------------
    const waitForBytes = Effect.callback<void>((resume) => {
      if (wire.writer.length > 0) resume(Effect.void)
      else wakeResume = resume
    })
    const writeLoop: Effect.Effect<never, ConnectionError> = Effect.gen(function*() {
      for (;;) {
        if (wire.writer.length === 0) yield* waitForBytes
        // With requests in flight, let every fiber that is ready submit first:
        // their requests leave in this one write instead of one write (and
        // syscall) each. Measured with bench/client.ts (param): the write
        // syscall was 62% of the CPU without this. A lone request (the
        // sequential case) goes at once.
        if (wire.pending > 1) yield* Effect.yieldNow
        const bytes = wire.writer.take()
        yield* Effect.mapError(writer.write(bytes), fromSocketError)
        wire.drained()
      }
    })
    yield* writeLoop.pipe(
      Effect.catch((failure: ConnectionError) => shutdown(failure)),
      Effect.forkIn(scope)
    )

    // --- closing: Terminate, then the socket closes with the scope --------
    yield* Scope.addFinalizer(
      scope,
      Effect.gen(function*() {
        if (wire.failure === undefined) {
          const terminate = encodeFrontend({ _tag: "Terminate" })
          if (Result.isSuccess(terminate)) {
            yield* writer.write(terminate.success).pipe(Effect.ignore, Effect.timeoutOrElse({ duration: Duration.seconds(1), orElse: () => Effect.void }))
          }
        }
        wire.fail(new ConnectionError({ reason: "Closed", message: "the connection was closed" }))
      })
    )

    // --- cancellation -----------------------------------------------------
    /**
     * The request a CancelRequest targets must end within `cancelTimeout`;
     * otherwise the connection closes (a server that ignores the cancel,
     * streaming rows or silent, would hold it and every request behind it).
     */
    const cancelDeadline = Duration.isFinite(config.cancelTimeout) && Duration.toMillis(config.cancelTimeout) > 0
    const watchCancelled = (request: Request): Effect.Effect<void> =>
      Effect.asVoid(Effect.forkIn(
        Effect.andThen(
          Effect.sleep(config.cancelTimeout),
          Effect.suspend(() =>
            wire.failure === undefined && wire.isCurrent(request)
              ? shutdown(
                new ConnectionError({
                  reason: "Timeout",
                  message: `the server did not end a cancelled request within ${Duration.format(config.cancelTimeout)} (cancelTimeout); the connection was closed`
                })
              )
              : Effect.void
          )
        ),
        scope
      ))
    const cancel: Effect.Effect<void, ConnectionError> = Effect.suspend(() => {
      if (info.secretKey === undefined) {
        return Effect.fail(new ConnectionError({ reason: "SocketError", message: "the server sent no cancel key (BackendKeyData)" }))
      }
      cancelsSent++
      const target = wire.current
      const send = sendCancelRequest(connect, { ...transport.options, connectTimeout: config.connectTimeout }, info.processId, info.secretKey)
      return target === undefined || !cancelDeadline ? send : Effect.andThen(watchCancelled(target), send)
    })
    /** On interruption: cancel on the server if the request is running there; drain in the background either way. */
    const abandon = (request: Request & Abandonable): Effect.Effect<void> =>
      Effect.suspend(() => {
        request.abandoned = true
        if (!wire.isCurrent(request) || wire.failure !== undefined) return Effect.void
        // Later requests wait until the cancel has landed, or it could cancel one of them instead.
        const lift = wire.fence()
        return Effect.asVoid(Effect.forkIn(Effect.ensuring(Effect.ignore(cancel), Effect.sync(lift)), scope))
      })

    // --- queries ----------------------------------------------------------
    const types = typeOptions instanceof TypeRegistry ? typeOptions : new TypeRegistry(typeOptions)
    // Catalog lookups for the registry run as ordinary queries on this connection.
    const runCatalog: CatalogQuery<QueryError> = (sql, params) => query(sql, params)
    const prepare = makePrepare({ wire, cache, config, scope, cancel, abandon, types }, runCatalog)
    const core: Core = { wire, cache, config, scope, prepare, cancel, abandon, types }
    const query = makeQuery(core)
    const values = makeValues(core)
    const execute = makeExecute(core)
    const open: OpenListenSession<ConnectError> = (onNotification) =>
      Effect.map(connectAny(config, connect, typeOptions, onNotification), (c) => ({ execute: c.execute, closed: c.closed }))

    const shape: PgConnectionShape = {
      info,
      query,
      values,
      execute,
      notices: Stream.fromPubSub(notices),
      notifications: Stream.fromPubSub(notifications),
      parameters,
      transactionStatus: Effect.sync(() => wire.status),
      transactionStatusChanges: Stream.fromPubSub(statusChanges),
      cancel,
      stats: Effect.sync(() => ({
        statementCacheHits: cache.hits,
        statementCacheMisses: cache.misses,
        statementCacheEvictions: cache.evictions,
        preparedStatements: cache.size,
        cancelsSent,
        queriesCancelled: wire.cancelled,
        pendingRequests: wire.pending
      })),
      failure: Effect.sync(() => wire.failure),
      types,
      closed: Effect.callback<WireFailure>((resume) => wire.whenFailed((failure) => resume(Effect.succeed(failure)))),
      stream: makeStream(core),
      copyFrom: makeCopyFrom(core),
      copyTo: makeCopyTo(core),
      listen: (channels, options) => listenWith(open, channels, options)
    }
    return shape
  })

/**
 * The PgConnection service.
 *
 * @since 0.1.0
 * @category services
 */
export class PgConnection extends Context.Service<PgConnection, PgConnectionShape>()("effect-pgwire/PgConnection") {
  /** A scoped Layer: connects when built, sends Terminate and closes when released. */
  static readonly layer = (config: PgConnectionConfig | string, options?: MakeOptions): Layer.Layer<PgConnection, ConnectError> =>
    Layer.effect(PgConnection, make(config, options))
  static readonly make = make
}
