/**
 * A client session as handlers and server code see it: who is connected,
 * the session's settings, the transaction status, and the out-of-band
 * messages that can be pushed to the client at any time (NoticeResponse,
 * NotificationResponse, ParameterStatus). A `Session` may be kept and used
 * from any fiber, inside a handler or outside of all of them.
 *
 * Pushed messages are appended to the session's output between whole
 * messages: while a statement runs they go out in order with its results;
 * while the session waits for the client they are written at once. A
 * client that does not read them (its socket full while it is idle, or
 * 1 MiB piled up behind a statement stuck on its socket) holds the pusher
 * up for at most a second; then its session is ended, unsent output dropped.
 *
 * What it is not: the phase machine (`SessionMachine.ts`) or protocol state
 * (statements, portals), which no handler can reach.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Socket from "effect/socket/Socket"
import { type BackendMessage, encodeBackendInto } from "../protocol/Backend.ts"
import type { NoticeFields, TransactionStatus } from "../protocol/index.ts"
import { SqlState } from "../protocol/SqlState.ts"
import { Writer } from "../protocol/Writer.ts"
import { type ConnectionError, fromSocketError } from "../transport/ConnectionError.ts"
import type { ServerTlsInfo } from "../transport/Listen.ts"
import type { Replication } from "./AuthProvider.ts"
import { pgError, type PgError } from "./PgError.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface Session {
  /** The process id sent in BackendKeyData (random, unique on this server). */
  readonly processId: number
  readonly user: string
  readonly database: string
  /** `major << 16 | minor`: 3.0 or 3.2. */
  readonly protocolVersion: number
  readonly replication: Replication
  /** The StartupMessage's parameters as sent. */
  readonly startupParameters: Readonly<Record<string, string>>
  readonly kind: "tcp" | "unix"
  readonly remoteAddress: string
  readonly tls: ServerTlsInfo | undefined
  /** I (idle), T (in a transaction block) or E (in a failed one), as the next ReadyForQuery will say. */
  readonly transactionStatus: () => TransactionStatus
  /** A setting's value; names are case-insensitive, as in PostgreSQL. */
  readonly setting: (name: string) => string | undefined
  /** Every setting, by its name as first set. */
  readonly settings: () => ReadonlyArray<readonly [name: string, value: string]>
  /** Changes a setting; a reported one (`application_name`, `TimeZone`, ...) sends ParameterStatus. */
  readonly set: (name: string, value: string) => Effect.Effect<void, PgError>
  /** Sends a NoticeResponse (severity NOTICE and code 00000 unless given). */
  readonly notice: (notice: string | NoticeFields) => Effect.Effect<void, PgError>
  /** Sends a NotificationResponse; `processId` is the notifying session's (default: this one). */
  readonly notify: (channel: string, payload: string, processId?: number) => Effect.Effect<void, PgError>
  /** Sends a ParameterStatus without changing any setting. */
  readonly parameterStatus: (name: string, value: string) => Effect.Effect<void, PgError>
  /** Ends the session: the error (default FATAL 57P01) is sent, the connection closed. */
  readonly terminate: (error?: PgError) => Effect.Effect<void>
}

/**
 * The bytes going to one client: messages are encoded into one buffer and
 * written in batches.
 *
 * @internal
 */
export class Output {
  readonly buffer = new Writer(16_384)
  /** The current phase's writer (plain, then TLS). */
  writer: Socket.Writer
  /** Whether the session is waiting for the client with nothing buffered: pushes write at once. */
  idle = false
  closed = false

  constructor(writer: Socket.Writer) {
    this.writer = writer
  }

  /** Appends one message; `false` when it cannot be encoded (the buffer is unchanged). */
  append(message: BackendMessage): boolean {
    const w = this.buffer
    const mark = w.mark()
    try {
      encodeBackendInto(w, message)
      return true
    } catch {
      // Only the codec's own failures (a NUL in a string, a count past 65535) land here.
      w.rollback(mark)
      return false
    }
  }

  /**
   * A relayed session has written part of a message: what is buffered waits
   * for the rest, so pushed messages never split one.
   */
  midMessage = false

  /** Writes everything buffered, waiting while the socket's buffer is full. */
  readonly flush: Effect.Effect<void, ConnectionError> = Effect.suspend(() => {
    if (this.closed || this.midMessage || this.buffer.length === 0) return Effect.void
    return Effect.mapError(this.writer.write(this.buffer.take()), fromSocketError)
  })

  /**
   * Writes relayed bytes after whatever is buffered; `midMessage` says
   * whether they end inside a message. Pushed messages wait while the write
   * is under way, then follow it.
   */
  relayed(bytes: Uint8Array, midMessage: boolean): Effect.Effect<void, ConnectionError> {
    if (this.closed) return Effect.void
    const pending = this.midMessage || this.buffer.length === 0 ? undefined : this.buffer.take()
    this.midMessage = true
    const write = Effect.mapError(
      pending === undefined ? this.writer.write(bytes) : Effect.andThen(this.writer.write(pending), this.writer.write(bytes)),
      fromSocketError
    )
    return midMessage ? write : Effect.andThen(write, this.atBoundary)
  }

  private readonly atBoundary: Effect.Effect<void, ConnectionError> = Effect.suspend(() => {
    this.midMessage = false
    return this.flush
  })
}

const notReading = () => pgError(SqlState.connectionFailure, "terminating connection: the client does not read what is sent to it")

const reportedNames = (parameters: Readonly<Record<string, string>>): Set<string> =>
  new Set(Object.keys(parameters).map((name) => name.toLowerCase()))

/**
 * The session handle: identity, settings and out-of-band messages.
 *
 * @internal
 */
export class SessionHandle implements Session {
  readonly processId: number
  readonly user: string
  readonly database: string
  readonly protocolVersion: number
  readonly replication: Replication
  readonly startupParameters: Readonly<Record<string, string>>
  readonly kind: "tcp" | "unix"
  readonly remoteAddress: string
  readonly tls: ServerTlsInfo | undefined
  status: TransactionStatus = "I"
  private readonly values = new Map<string, { readonly name: string; readonly value: string }>()
  private readonly reported: Set<string>
  private readonly output: Output
  private readonly onTerminate: (error: PgError | undefined) => Effect.Effect<void>

  constructor(options: {
    readonly processId: number
    readonly user: string
    readonly database: string
    readonly protocolVersion: number
    readonly replication: Replication
    readonly startupParameters: Readonly<Record<string, string>>
    readonly kind: "tcp" | "unix"
    readonly remoteAddress: string
    readonly tls: ServerTlsInfo | undefined
    /** The reported parameters' values, then the startup settings over them. */
    readonly reported: Readonly<Record<string, string>>
    readonly settings: ReadonlyArray<readonly [string, string]>
    readonly output: Output
    readonly onTerminate: (error: PgError | undefined) => Effect.Effect<void>
  }) {
    this.processId = options.processId
    this.user = options.user
    this.database = options.database
    this.protocolVersion = options.protocolVersion
    this.replication = options.replication
    this.startupParameters = options.startupParameters
    this.kind = options.kind
    this.remoteAddress = options.remoteAddress
    this.tls = options.tls
    this.output = options.output
    this.onTerminate = options.onTerminate
    this.reported = reportedNames(options.reported)
    for (const name of Object.keys(options.reported)) this.values.set(name.toLowerCase(), { name, value: options.reported[name]! })
    for (const [name, value] of options.settings) this.store(name, value)
  }

  /** Sets a value without reporting it (startup). */
  store(name: string, value: string): void {
    const key = name.toLowerCase()
    const known = this.values.get(key)
    this.values.set(key, { name: known?.name ?? name, value })
  }

  /** The reported parameters with their current values, in order, for the startup ParameterStatus messages. */
  reportedValues(): Array<readonly [string, string]> {
    const out: Array<readonly [string, string]> = []
    for (const key of this.reported) {
      const entry = this.values.get(key)
      if (entry !== undefined) out.push([entry.name, entry.value])
    }
    return out
  }

  readonly transactionStatus = (): TransactionStatus => this.status

  readonly setting = (name: string): string | undefined => this.values.get(name.toLowerCase())?.value

  readonly settings = (): ReadonlyArray<readonly [string, string]> =>
    Array.from(this.values.values(), (entry) => [entry.name, entry.value] as const)

  readonly set = (name: string, value: string): Effect.Effect<void, PgError> =>
    Effect.suspend(() => {
      const key = name.toLowerCase()
      const before = this.values.get(key)
      this.store(name, value)
      if (!this.reported.has(key) || before?.value === value) return Effect.void
      return this.push({ _tag: "ParameterStatus", name: this.values.get(key)!.name, value })
    })

  readonly notice = (notice: string | NoticeFields): Effect.Effect<void, PgError> =>
    this.push({
      _tag: "NoticeResponse",
      fields: typeof notice === "string"
        ? { severity: "NOTICE", severityNonLocalized: "NOTICE", code: SqlState.successfulCompletion, message: notice }
        : { severity: "NOTICE", severityNonLocalized: notice.severity ?? "NOTICE", code: SqlState.successfulCompletion, ...notice }
    })

  readonly notify = (channel: string, payload: string, processId?: number): Effect.Effect<void, PgError> =>
    this.push({ _tag: "NotificationResponse", processId: processId ?? this.processId, channel, payload })

  readonly parameterStatus = (name: string, value: string): Effect.Effect<void, PgError> =>
    this.push({ _tag: "ParameterStatus", name, value })

  readonly terminate = (error?: PgError): Effect.Effect<void> => this.onTerminate(error)

  /** Ends the session of a client that does not read: what it has not read is dropped with it. */
  private abandon(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.output.closed = true
      return this.onTerminate(notReading())
    })
  }

  /** Appends a message; writes it at once when the session is waiting for the client. */
  private push(message: BackendMessage): Effect.Effect<void, PgError> {
    return Effect.suspend(() => {
      const output = this.output
      if (output.closed) return Effect.void
      if (!output.append(message)) {
        return Effect.fail(pgError(SqlState.invalidParameterValue, `${message._tag} cannot be encoded (a NUL character in a string?)`))
      }
      // A failed write ends the session on its own; the pusher is not the one to report it.
      // A client that does not read is abandoned after a second (see the module).
      if (!output.idle && output.buffer.length < 1024 * 1024) return Effect.void
      return Effect.ignore(Effect.timeoutOrElse(output.flush, { duration: 1_000, orElse: () => this.abandon() }))
    })
  }
}
