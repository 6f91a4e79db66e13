/**
 * The one owner of a connection's state: the parser, the outgoing buffer, the
 * FIFO of requests waiting for their responses, the transaction status and
 * the server parameters. Everything here is synchronous and runs inside the
 * reader fiber (routing) or the caller's fiber (submitting); the Effect
 * plumbing around it lives in `PgConnection.ts`.
 *
 * Routing follows tokio-postgres: NoticeResponse, NotificationResponse and
 * ParameterStatus are split off first; every other message belongs to the
 * request at the head of the FIFO, which says when it is complete (its
 * ReadyForQuery arrived).
 *
 * @internal
 */
import type { BackendMessage } from "../../protocol/Backend.ts"
import type { NoticeFields } from "../../protocol/messages/Notice.ts"
import type { NotificationResponse } from "../../protocol/messages/Notice.ts"
import type { TransactionStatus } from "../../protocol/messages/Session.ts"
import { makeBackendParser, type BackendParser } from "../../protocol/Parser.ts"
import { CodecFailure, ProtocolError, toProtocolError } from "../../protocol/ProtocolError.ts"
import type { ValueErrorHandler } from "../../protocol/RowDecoder.ts"
import { Writer } from "../../protocol/Writer.ts"
import type { ConnectionError } from "../../transport/ConnectionError.ts"
import type { PgServerError } from "../PgServerError.ts"

/** A row as the client hands it out. */
export type Row = Record<string, unknown>

export type Message = BackendMessage<Row | ReadonlyArray<Uint8Array | null>>

/** Why the connection cannot carry requests any more. */
export type WireFailure = ConnectionError | ProtocolError | PgServerError

/**
 * A request waiting for its responses. Each one ends with its own
 * ReadyForQuery (every request carries its own Sync), so one failing request
 * does not fail its neighbours.
 */
export interface Request {
  /** Handles one message; returns true when the request has all its responses. */
  readonly onMessage: (message: Message, wire: Wire) => boolean
  /**
   * Hands the outcome to the caller. Called after the request left the FIFO
   * and after the whole chunk was routed, never from inside routing: a
   * resumed caller may run at once and submit again.
   */
  readonly complete: () => void
  /** The connection failed before the request completed. */
  readonly onFailure: (error: WireFailure) => void
}

export interface WireHooks {
  readonly onNotice: (fields: NoticeFields) => void
  readonly onNotification: (message: NotificationResponse) => void
  readonly onParameter: (name: string, value: string) => void
  readonly onStatus: (status: TransactionStatus) => void
  /** Bytes are waiting in the writer: make sure they are flushed. */
  readonly wakeWriter: () => void
}

export class Wire {
  readonly parser: BackendParser<Row> = makeBackendParser<Row>()
  readonly writer = new Writer(16 * 1024)
  private readonly queue: Array<Request | undefined> = []
  private head = 0
  /** Requests that got their last response in the chunk being routed, and deferred calls. */
  private completed: Array<Request | (() => void)> = []
  status: TransactionStatus = "I"
  failure: WireFailure | undefined
  /** Abandoned requests the server reported as cancelled (57014). */
  cancelled = 0
  /** Told about result values that do not decode; set by the request whose rows are arriving. */
  valueError: ValueErrorHandler | undefined
  /**
   * The request that has the connection to itself (COPY FROM STDIN, a
   * portal being streamed): requests submitted meanwhile are encoded apart
   * into `held` and join the outgoing bytes when it releases the connection,
   * so nothing reaches the server in the middle of its exchange. A held
   * request that holds too takes over when its turn comes.
   */
  private holder: Request | undefined
  private held: Array<{ readonly bytes: Uint8Array; readonly request: Request; readonly holds: boolean }> = []
  /**
   * CancelRequests sent and not yet known to have reached the server (see
   * `fence`): requests submitted meanwhile are held as for a holder.
   */
  private fences = 0
  private scratch: Writer | undefined
  /** Set by a request whose consumer is behind: the reader stops pulling from the socket. */
  readPaused = false
  private resumeReading: (() => void) | undefined
  private drainWaiters: Array<() => void> = []
  private failureWaiters: Array<(failure: WireFailure) => void> = []
  private readonly hooks: WireHooks

  constructor(hooks: WireHooks) {
    this.hooks = hooks
  }

  /** Requests submitted and not yet complete. */
  get pending(): number {
    return this.queue.length - this.head
  }

  /** The request the server is working on (the oldest incomplete one). */
  get current(): Request | undefined {
    return this.queue[this.head]
  }

  isCurrent(request: Request): boolean {
    return this.queue[this.head] === request
  }

  /**
   * Encodes a request's messages and queues it, in one synchronous step, so
   * the order of the FIFO is the order of the bytes. Returns the encoding
   * failure, if any (nothing of it is written or queued then).
   */
  submit(request: Request, encode: (writer: Writer) => void, holds = false): ProtocolError | WireFailure | undefined {
    if (this.failure !== undefined) return this.failure
    const held = this.holder !== undefined || this.fences > 0
    const writer = held ? (this.scratch ??= new Writer(1024)) : this.writer
    const mark = writer.mark()
    try {
      encode(writer)
    } catch (thrown) {
      writer.rollback(mark)
      if (thrown instanceof CodecFailure) return toProtocolError(thrown, -1, undefined)
      throw thrown
    }
    this.queue.push(request)
    if (held) {
      this.held.push({ bytes: writer.take(), request, holds })
    } else {
      if (holds) this.holder = request
      this.hooks.wakeWriter()
    }
    return undefined
  }

  /**
   * Ends `request`'s hold on the connection: the requests submitted meanwhile
   * go out after what it wrote, up to and including the next one that holds.
   */
  release(request: Request): void {
    if (this.holder !== request) return
    this.holder = undefined
    if (this.fences === 0) this.releaseHeld()
  }

  /**
   * Holds back the requests submitted from now until the returned function
   * is called: the server cancels whatever the session runs when a
   * CancelRequest lands, so nothing may reach it after the cancelled request
   * until the cancel has arrived (the server closed the cancel connection).
   */
  fence(): () => void {
    this.fences++
    let lifted = false
    return () => {
      if (lifted) return
      lifted = true
      this.fences--
      if (this.fences === 0 && this.holder === undefined) this.releaseHeld()
    }
  }

  /** Moves the held requests to the outgoing bytes, up to and including the next one that holds. */
  private releaseHeld(): void {
    let moved = false
    while (this.held.length > 0) {
      const next = this.held.shift()!
      this.writer.raw(next.bytes)
      moved = true
      if (next.holds) {
        this.holder = next.request
        break
      }
    }
    if (moved) this.hooks.wakeWriter()
  }

  /** Stops the reader pulling from the socket until `resume` (a consumer is behind). */
  pauseReading(): void {
    this.readPaused = true
  }

  resume(): void {
    if (!this.readPaused) return
    this.readPaused = false
    const resume = this.resumeReading
    this.resumeReading = undefined
    resume?.()
  }

  /** For the reader fiber: calls `resume` once reading may go on. */
  whenReadable(resume: () => void): void {
    if (!this.readPaused || this.failure !== undefined) return resume()
    this.resumeReading = resume
  }

  /** Calls `f` once the connection fails (at once if it has). */
  whenFailed(f: (failure: WireFailure) => void): void {
    if (this.failure !== undefined) return f(this.failure)
    this.failureWaiters.push(f)
  }

  /** Calls `f` once the outgoing bytes have been handed to the socket. */
  whenDrained(f: () => void): void {
    if (this.writer.length === 0 || this.failure !== undefined) return f()
    this.drainWaiters.push(f)
  }

  /** For the writer fiber: everything taken so far has been written. */
  drained(): void {
    if (this.drainWaiters.length === 0 || this.writer.length > 0) return
    const waiters = this.drainWaiters
    this.drainWaiters = []
    for (const f of waiters) f()
  }

  /**
   * Writes messages that answer the current request mid-flight (a CopyFail)
   * and start no request of their own.
   */
  submitRaw(encode: (writer: Writer) => void): void {
    if (this.failure !== undefined) return
    encode(this.writer)
    this.hooks.wakeWriter()
  }

  /** Routes one backend message. */
  readonly route = (message: Message): void => {
    switch (message._tag) {
      case "NoticeResponse":
        return this.hooks.onNotice(message.fields)
      case "NotificationResponse":
        return this.hooks.onNotification(message)
      case "ParameterStatus":
        return this.hooks.onParameter(message.name, message.value)
    }
    if (message._tag === "ReadyForQuery") {
      this.status = message.transactionStatus
      this.hooks.onStatus(message.transactionStatus)
    }
    const request = this.queue[this.head]
    if (request === undefined) return this.unsolicited(message)
    if (request.onMessage(message, this)) {
      this.queue[this.head++] = undefined
      if (this.holder === request) this.release(request)
      this.completed.push(request)
      this.parser.setRowDecoder(undefined)
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head)
        this.head = 0
      }
    }
  }

  /** Completes the requests whose responses arrived; call after routing a chunk. */
  flushCompleted(): void {
    if (this.completed.length === 0) return
    const done = this.completed
    this.completed = []
    for (const item of done) {
      if (typeof item === "function") item()
      else item.complete()
    }
  }

  /**
   * Runs `f` after the chunk being routed (with the completions, in order):
   * how a request hands a partial result (a batch of rows) to its caller
   * without running the caller inside routing.
   */
  defer(f: () => void): void {
    this.completed.push(f)
  }

  /** A message with no request waiting: only a FATAL error (admin shutdown) may arrive so. */
  private unsolicited(message: Message): void {
    throw new UnexpectedMessage(message)
  }

  /** Fails every waiting request; the connection is unusable from here on. */
  fail(error: WireFailure): void {
    if (this.failure !== undefined) return
    this.failure = error
    this.holder = undefined
    this.held = []
    this.flushCompleted()
    const waiting = this.queue.slice(this.head)
    this.queue.length = 0
    this.head = 0
    for (const request of waiting) request?.onFailure(error)
    this.resume()
    const waiters = this.drainWaiters
    this.drainWaiters = []
    for (const f of waiters) f()
    const failed = this.failureWaiters
    this.failureWaiters = []
    for (const f of failed) f(error)
  }
}

/** Thrown out of `route` for a message no request can take; the reader turns it into a failure. */
export class UnexpectedMessage {
  readonly message: Message
  constructor(message: Message) {
    this.message = message
  }
}

/** The ProtocolError for a message that does not fit the state it arrived in. */
export const unexpected = (message: Message, state: string): ProtocolError =>
  new ProtocolError({
    reason: "InvalidValue",
    message: `unexpected ${message._tag} ${state}`,
    offset: -1,
    messageType: message._tag
  })
