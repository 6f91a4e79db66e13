/**
 * `COPY ... FROM STDIN` as a `Sink` of bytes: run a stream of encoded rows
 * (see `CopyFormat.ts` for text, CSV and binary encoders) into it and get the
 * number of rows copied.
 *
 * The COPY statement goes out as a simple Query; once the server answers
 * CopyInResponse, every chunk becomes a CopyData message, and the end of the
 * stream a CopyDone. The connection belongs to the COPY meanwhile: requests
 * from other fibers queue behind it (the server would take their messages as
 * a broken COPY). Outgoing bytes are bounded: the sink waits for the socket
 * to take them once more than `highWaterMark` bytes are queued.
 *
 * If the source stream fails or the fiber is interrupted, CopyFail goes out
 * and the server rolls the COPY back: nothing of it is committed. If the
 * server rejects the data part-way (a malformed row), the sink stops taking
 * input and fails with the server's error. Either way the connection stays
 * usable.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Pull from "effect/Pull"
import * as Sink from "effect/Sink"
import type { CopyResponseFields } from "../protocol/messages/Copy.ts"
import { encodeFrontendInto } from "../protocol/Frontend.ts"
import type { Writer } from "../protocol/Writer.ts"
import type { Core } from "./internal/Core.ts"
import { unexpected, type Message, type Request, type Wire, type WireFailure } from "./internal/Wire.ts"
import { fromNoticeFields, type PgServerError } from "./PgServerError.ts"
import { rowCountOf } from "./Query.ts"
import { CopyError, type QueryError } from "./QueryErrors.ts"

/**
 * What a finished COPY reports.
 *
 * @since 0.1.0
 * @category models
 */
export interface CopyResult {
  /** The command tag, "COPY n". */
  readonly command: string
  /** Rows copied. */
  readonly rowCount: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface CopyFromOptions {
  /** Queued outgoing bytes above which the sink waits for the socket. Default 1 MiB. */
  readonly highWaterMark?: number | undefined
}

type Phase = "starting" | "copying" | "finishing" | "done"

/**
 * Query(COPY ... FROM STDIN), then CopyData... and CopyDone or CopyFail,
 * written by the sink. Completes at ReadyForQuery.
 */
export class CopyInRequest implements Request {
  phase: Phase = "starting"
  format: CopyResponseFields | undefined
  error: PgServerError | CopyError | undefined
  command = ""
  /** Set when the caller gave up before CopyInResponse arrived. */
  abortMessage: string | undefined
  /** Resumed when the COPY starts or the request ends. */
  private waiter: (() => void) | undefined
  readonly sql: string

  constructor(sql: string) {
    this.sql = sql
  }

  encode(w: Writer): void {
    encodeFrontendInto(w, { _tag: "Query", query: this.sql })
  }

  /** Calls `f` once the COPY started or the request ended. */
  whenStarted(f: () => void): void {
    if (this.phase !== "starting") return f()
    this.waiter = f
  }

  /** Calls `f` once the request ended. */
  whenDone(f: () => void): void {
    if (this.phase === "done") return f()
    this.waiter = f
  }

  private wake(): void {
    const waiter = this.waiter
    this.waiter = undefined
    waiter?.()
  }

  onMessage(message: Message, wire: Wire): boolean {
    switch (message._tag) {
      case "CopyInResponse":
        this.format = message
        if (this.abortMessage !== undefined) {
          // The caller gave up before the COPY started: refuse it at once.
          this.phase = "finishing"
          const text = this.abortMessage
          wire.submitRaw((w) => encodeFrontendInto(w, { _tag: "CopyFail", message: text }))
          wire.release(this)
          return false
        }
        this.phase = "copying"
        wire.defer(() => this.wake())
        return false
      case "CopyOutResponse":
        this.error ??= new CopyError({ message: "copyFrom needs COPY ... FROM STDIN; the statement copies out", query: this.sql })
        return false
      case "CopyData":
      case "CopyDone":
        return false
      case "RowDescription":
      case "DataRow":
      case "EmptyQueryResponse":
        this.error ??= new CopyError({ message: "copyFrom needs a COPY ... FROM STDIN statement", query: this.sql })
        return false
      case "CommandComplete":
        if (!message.tag.startsWith("COPY")) {
          this.error ??= new CopyError({ message: "copyFrom needs a COPY ... FROM STDIN statement", query: this.sql })
        }
        this.command = message.tag
        return false
      case "ErrorResponse":
        if (this.error === undefined || this.error._tag === "CopyError") this.error = fromNoticeFields(message.fields, this.sql)
        return false
      case "ReadyForQuery":
        return true
    }
    throw unexpected(message, "in COPY FROM STDIN")
  }

  complete(): void {
    this.phase = "done"
    this.wake()
  }

  failure: WireFailure | undefined

  onFailure(error: WireFailure): void {
    this.failure = error
    this.complete()
  }
}

const describe = (cause: Cause.Cause<unknown>): string => {
  const text = Cause.pretty(cause).split("\n")[0] ?? "the source failed"
  return `COPY aborted by the client: ${text}`.slice(0, 1000)
}

/**
 * `copyFrom(sql, options)`.
 *
 * @internal
 */
export const makeCopyFrom = (core: Core) =>
(sql: string, options?: CopyFromOptions): Sink.Sink<CopyResult, Uint8Array, never, QueryError> =>
  Sink.fromTransform((upstream) =>
    Effect.suspend(() => {
      const { wire } = core
      const highWaterMark = options?.highWaterMark ?? 1024 * 1024
      const request = new CopyInRequest(sql)
      const submitted = wire.submit(request, (w) => request.encode(w), true)
      if (submitted !== undefined) return Effect.fail(submitted)

      const ended = (): Effect.Effect<CopyResult, QueryError> => {
        if (request.failure !== undefined) return Effect.fail(request.failure)
        if (request.error !== undefined) return Effect.fail(request.error)
        return Effect.succeed({ command: request.command, rowCount: rowCountOf(request.command) ?? 0 })
      }
      const awaitDone = Effect.callback<void>((resume) => request.whenDone(() => resume(Effect.void)))
      const awaitDrained = Effect.callback<void>((resume) => wire.whenDrained(() => resume(Effect.void)))

      const send = (chunks: ReadonlyArray<Uint8Array>): Effect.Effect<void> => {
        if (request.phase !== "copying") return Effect.void
        wire.submitRaw((w) => {
          for (const data of chunks) if (data.length > 0) encodeFrontendInto(w, { _tag: "CopyData", data })
        })
        return wire.writer.length > highWaterMark ? awaitDrained : Effect.void
      }

      const finish = Effect.suspend(() => {
        if (request.phase === "copying") {
          request.phase = "finishing"
          wire.submitRaw((w) => encodeFrontendInto(w, { _tag: "CopyDone" }))
          wire.release(request)
        }
        return Effect.andThen(awaitDone, Effect.suspend(ended))
      })

      const abort = (cause: Cause.Cause<unknown>) =>
        Effect.sync(() => {
          if (request.phase === "starting") request.abortMessage = describe(cause)
          if (request.phase !== "copying") return
          request.phase = "finishing"
          wire.submitRaw((w) => encodeFrontendInto(w, { _tag: "CopyFail", message: describe(cause) }))
          wire.release(request)
        })

      const copy: Effect.Effect<CopyResult, QueryError> = Effect.gen(function*() {
        yield* Effect.callback<void>((resume) => request.whenStarted(() => resume(Effect.void)))
        // Not a COPY FROM STDIN, or refused at once: the request ran to its end.
        if (request.phase !== "copying") return yield* finish
        // The request can end while the source has nothing to give (the
        // connection lost, the server refusing the data): stop waiting then.
        yield* Effect.raceFirst(
          upstream.pipe(
            Effect.flatMap((chunks) => (request.phase === "copying" ? send(chunks) : Cause.done())),
            Effect.forever({ disableYield: true }),
            Pull.catchDone(() => Effect.void)
          ),
          awaitDone
        )
        return yield* finish
      })

      return copy.pipe(
        Effect.onExit((exit) => (Exit.isFailure(exit) ? abort(exit.cause) : Effect.void)),
        Effect.map((result) => [result] as const)
      )
    })
  )
