/**
 * `COPY ... TO STDOUT` as a `Stream` of bytes (decode them with the text,
 * CSV or binary row decoders of `CopyFormat.ts`).
 *
 * The statement goes out as a simple Query; each CopyData's bytes are
 * emitted in the order they arrive, in chunks of whatever arrived since the
 * last pull. When the consumer falls behind by more than `highWaterMark`
 * bytes the connection stops reading from its socket, so TCP holds the
 * server back and memory stays bounded; reading resumes as the consumer
 * catches up.
 *
 * Ending the stream early sends a CancelRequest if the COPY is still
 * running; the connection drains what is left and stays usable.
 *
 * @since 0.1.0
 */
import type * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Channel from "effect/Channel"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { CopyResponseFields } from "../protocol/messages/Copy.ts"
import { encodeFrontendInto } from "../protocol/Frontend.ts"
import type { Writer } from "../protocol/Writer.ts"
import type { Core } from "./internal/Core.ts"
import { unexpected, type Message, type Request, type Wire, type WireFailure } from "./internal/Wire.ts"
import { fromNoticeFields, type PgServerError } from "./PgServerError.ts"
import { CopyError, type QueryError } from "./QueryErrors.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface CopyToOptions {
  /** Buffered bytes above which the connection stops reading. Default 1 MiB. */
  readonly highWaterMark?: number | undefined
}

/**
 * Query(COPY ... TO STDOUT), then CopyData... CopyDone, CommandComplete,
 * ReadyForQuery.
 */
export class CopyOutRequest implements Request {
  format: CopyResponseFields | undefined
  private chunks: Array<Uint8Array> = []
  private bytes = 0
  private error: PgServerError | CopyError | WireFailure | undefined
  done = false
  abandoned = false
  command = ""
  private waiter: (() => void) | undefined
  private wire: Wire | undefined
  readonly sql: string
  private readonly highWaterMark: number

  constructor(sql: string, highWaterMark: number) {
    this.sql = sql
    this.highWaterMark = highWaterMark
  }

  encode(w: Writer): void {
    encodeFrontendInto(w, { _tag: "Query", query: this.sql })
  }

  private wake(wire: Wire | undefined): void {
    const waiter = this.waiter
    if (waiter === undefined) return
    this.waiter = undefined
    if (wire === undefined) waiter()
    else wire.defer(waiter)
  }

  onMessage(message: Message, wire: Wire): boolean {
    this.wire = wire
    switch (message._tag) {
      case "CopyOutResponse":
        this.format = message
        return false
      case "CopyData":
        if (this.abandoned || this.error !== undefined) return false
        this.chunks.push(message.data)
        this.bytes += message.data.length
        if (this.bytes > this.highWaterMark) wire.pauseReading()
        this.wake(wire)
        return false
      case "CopyDone":
        return false
      case "CopyInResponse":
        // The statement copies in: refuse it so the server does not wait for data.
        this.error ??= new CopyError({ message: "copyTo needs COPY ... TO STDOUT; the statement copies in", query: this.sql })
        wire.submitRaw((w) => encodeFrontendInto(w, { _tag: "CopyFail", message: "copyTo needs COPY ... TO STDOUT" }))
        return false
      case "RowDescription":
      case "DataRow":
      case "EmptyQueryResponse":
        this.error ??= new CopyError({ message: "copyTo needs a COPY ... TO STDOUT statement", query: this.sql })
        return false
      case "CommandComplete":
        if (!message.tag.startsWith("COPY")) {
          this.error ??= new CopyError({ message: "copyTo needs a COPY ... TO STDOUT statement", query: this.sql })
        }
        this.command = message.tag
        return false
      case "ErrorResponse":
        // A CopyError stays: it says why (the server's error then is about our refusal).
        this.error ??= fromNoticeFields(message.fields, this.sql)
        return false
      case "ReadyForQuery":
        if (this.abandoned && this.error?._tag === "PgServerError" && this.error.code === "57014") wire.cancelled++
        return true
    }
    throw unexpected(message, "in COPY TO STDOUT")
  }

  complete(): void {
    this.done = true
    this.wake(undefined)
  }

  onFailure(error: WireFailure): void {
    this.error = error
    this.complete()
  }

  /** The next chunks, the end (undefined), or the failure. */
  take(): Exit.Exit<Arr.NonEmptyReadonlyArray<Uint8Array> | undefined, PgServerError | CopyError | WireFailure> | undefined {
    if (this.chunks.length > 0) {
      const chunks = this.chunks as unknown as Arr.NonEmptyReadonlyArray<Uint8Array>
      this.chunks = []
      this.bytes = 0
      this.wire?.resume()
      return Exit.succeed(chunks)
    }
    if (!this.done) return undefined
    return this.error !== undefined ? Exit.fail(this.error) : Exit.succeed(undefined)
  }

  whenReady(f: () => void): void {
    if (this.chunks.length > 0 || this.done) return f()
    this.waiter = f
  }

  /** The consumer is gone; returns whether the COPY is still running on the server. */
  abandon(): boolean {
    if (this.done || this.abandoned) return false
    this.abandoned = true
    this.chunks = []
    this.bytes = 0
    this.wire?.resume()
    return true
  }
}

/**
 * `copyTo(sql, options)`.
 *
 * @internal
 */
export const makeCopyTo = (core: Core) => (sql: string, options?: CopyToOptions): Stream.Stream<Uint8Array, QueryError> =>
  Stream.fromChannel(Channel.fromTransformBracket((_upstream, _scope, forkedScope) =>
    Effect.suspend(() => {
      const { wire } = core
      const request = new CopyOutRequest(sql, options?.highWaterMark ?? 1024 * 1024)
      const submitted = wire.submit(request, (w) => request.encode(w))
      if (submitted !== undefined) return Effect.fail(submitted)
      const pull: Effect.Effect<Arr.NonEmptyReadonlyArray<Uint8Array>, QueryError | Cause.Done> = Effect.suspend(() => {
        const step = request.take()
        if (step === undefined) {
          return Effect.flatMap(Effect.callback<void>((resume) => request.whenReady(() => resume(Effect.void))), () => pull)
        }
        if (Exit.isFailure(step)) return Effect.failCause(step.cause)
        const chunks = step.value
        return chunks === undefined ? Cause.done() : Effect.succeed(chunks)
      })
      return Effect.as(
        Scope.addFinalizer(
          forkedScope,
          Effect.suspend(() =>
            request.abandon() && wire.isCurrent(request) && wire.failure === undefined
              ? Effect.suspend(() => {
                // Later requests wait until the cancel has landed (see Wire.fence).
                const lift = wire.fence()
                return Effect.asVoid(Effect.forkIn(Effect.ensuring(Effect.ignore(core.cancel), Effect.sync(lift)), core.scope))
              })
              : Effect.void
          )
        ),
        pull
      )
    })
  ))
