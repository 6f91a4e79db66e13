/**
 * The state of one session as the phase machine sees it: the phase, the
 * output buffer, prepared statements and portals, the running statement,
 * and the server-wide context every session shares. Helpers here append
 * the messages that several phases send (errors, ReadyForQuery).
 *
 * @internal
 */
import type * as Arr from "effect/Array"
import type * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import * as Result from "effect/Result"
import { encodeBackend, type FrontendMessage, type PasswordMessageKind, type Parser, type RowDescription } from "../../protocol/index.ts"
import type { ServerTransport } from "../../transport/Listen.ts"
import type { AuthConversation, AuthProviderShape } from "../AuthProvider.ts"
import type { CancelRegistryShape } from "../CancelRegistry.ts"
import { asFatal, errorFields, type PgError } from "../PgError.ts"
import type { QueryHandlerShape, SessionRelay } from "../QueryHandler.ts"
import type { CopyReceiver, Field, PreparedStatement, QueryResult, Row } from "../Results.ts"
import type { ResolvedOptions } from "../ServerOptions.ts"
import type { Output, SessionHandle } from "../Session.ts"
import type { StartupRequest } from "../Startup.ts"
import type { ColumnWriter } from "../Values.ts"

/** What every session of one server shares. */
export interface ServerContext {
  readonly config: ResolvedOptions
  readonly handler: QueryHandlerShape
  readonly auth: AuthProviderShape
  readonly cancel: CancelRegistryShape
  /** For SCRAM's mock exchanges with unknown users: stable per server. */
  readonly mockSecret: Uint8Array
  /** Sessions past startup, by process id. */
  readonly sessions: Map<number, SessionHandle>
  /** Every live session state, from accept to close. */
  readonly states: Set<SessionState>
  /** Sessions admitted past the connection limit. */
  admitted: number
  shuttingDown: boolean
}

/** Where a simple query or an extended batch resumes after COPY FROM STDIN. */
export type Continuation =
  | { readonly _tag: "Simple"; readonly statements: ReadonlyArray<string>; readonly next: number }
  | { readonly _tag: "Extended" }

/** The phases of a session; every message is handled by exactly one branch per phase. */
export type Phase =
  | { readonly _tag: "Startup" }
  | {
    readonly _tag: "Authenticating"
    readonly conversation: AuthConversation
    readonly expect: PasswordMessageKind
    readonly request: StartupRequest
  }
  | { readonly _tag: "Ready" }
  | { readonly _tag: "ExtendedQuery" }
  | { readonly _tag: "AwaitingSync" }
  | { readonly _tag: "CopyIn"; readonly receiver: CopyReceiver; readonly then: Continuation }
  | { readonly _tag: "CopyOut" }
  | { readonly _tag: "Closed" }

/** A row source left in a suspended portal. */
export type RowSource =
  | { readonly _tag: "Array"; readonly rows: ReadonlyArray<Row>; index: number }
  | {
    readonly _tag: "Pull"
    readonly pull: Effect.Effect<Arr.NonEmptyReadonlyArray<Row>, unknown>
    readonly scope: Scope.Closeable
    buffer: ReadonlyArray<Row>
    index: number
  }

export interface Portal {
  readonly name: string
  readonly statement: PreparedStatement
  readonly parameters: ReadonlyArray<unknown>
  readonly rawParameters: ReadonlyArray<Uint8Array | null>
  readonly parameterFormats: ReadonlyArray<number>
  readonly resultFormats: ReadonlyArray<number>
  /** Writers per result column, in the portal's formats. */
  readonly writers: ReadonlyArray<ColumnWriter> | undefined
  /** Whether the portal has been executed: `done` portals of commands cannot run again. */
  state: "ready" | "suspended" | "done"
  result: QueryResult | undefined
  source: RowSource | undefined
  rowsSent: number
}

export class SessionState {
  transport: ServerTransport
  readonly output: Output
  readonly parser: Parser<FrontendMessage>
  readonly context: ServerContext
  readonly scope: Scope.Scope
  phase: Phase = { _tag: "Startup" }
  handle: SessionHandle | undefined = undefined
  readonly statements = new Map<string, PreparedStatement>()
  readonly portals = new Map<string, Portal>()
  /** A statement ran in the implicit transaction of the current Query or Sync batch. */
  implicitOpen = false
  /** Whether the messages of the current batch were followed by more bytes (stuffed after SSLRequest). */
  moreInBatch = false
  /** Whether the next message of the current batch is Sync. */
  syncFollows = false
  /**
   * After a COPY FROM STDIN, copy messages still in flight (the rest of the
   * data after an error; the CopyFail some clients send after CopyDone) are
   * skipped until another message arrives, as PostgreSQL does.
   */
  discardCopy = false
  /** The session's relay, once startup handed it over (`QueryHandlerShape.relay`). */
  relay: SessionRelay | undefined = undefined
  /** Messages read with the last startup message, for the relay. */
  relayBacklog: ReadonlyArray<FrontendMessage> = []
  /** The statement fiber a CancelRequest interrupts. */
  running: Fiber.Fiber<unknown, unknown> | undefined = undefined
  cancelRequested = false
  /** The session is in `pull`, waiting for the client. */
  awaitingInput = false
  /** Counted in `context.admitted`. */
  admitted = false
  /** The error sent when the session fiber is interrupted (shutdown, startup timeout). */
  termination: PgError | undefined = undefined
  /** Interrupts the session fiber. */
  interrupt: () => void = () => {}

  constructor(transport: ServerTransport, output: Output, parser: Parser<FrontendMessage>, context: ServerContext, scope: Scope.Scope) {
    this.transport = transport
    this.output = output
    this.parser = parser
    this.context = context
    this.scope = scope
  }

  get status(): "I" | "T" | "E" {
    return this.handle?.status ?? "I"
  }

  set status(value: "I" | "T" | "E") {
    if (this.handle !== undefined) this.handle.status = value
  }

  /** Appends an ErrorResponse; a message that cannot be encoded is sent with its strings cleaned. */
  appendError(error: PgError): void {
    const fields = errorFields(error)
    if (this.output.append({ _tag: "ErrorResponse", fields })) return
    const clean: Record<string, string> = {}
    for (const [key, value] of Object.entries(fields)) if (typeof value === "string") clean[key] = value.replaceAll("\u0000", "\\0")
    this.output.append({ _tag: "ErrorResponse", fields: clean })
  }

  /** Sends a FATAL error and ends the session. */
  fatal(error: PgError): void {
    this.appendError(asFatal(error))
    this.phase = { _tag: "Closed" }
  }

  readyForQuery(): void {
    this.output.append({ _tag: "ReadyForQuery", transactionStatus: this.status })
  }

  /** Terminates from outside: the reason is sent when the interruption lands. */
  terminate(error: PgError): void {
    if (this.phase._tag === "Closed") return
    this.termination ??= error
    this.interrupt()
  }
}

/** A RowDescription for fields in formats. */
export const rowDescription = (fields: ReadonlyArray<Field>, formats: ReadonlyArray<number>): RowDescription => ({
  _tag: "RowDescription",
  fields: fields.map((f, i) => ({
    name: f.name,
    tableOid: f.tableOid ?? 0,
    columnAttributeNumber: f.columnAttributeNumber ?? 0,
    dataTypeOid: f.type,
    dataTypeSize: f.typeSize ?? -1,
    typeModifier: f.typeModifier ?? -1,
    format: formats[i] ?? 0
  }))
})

/**
 * Encoded RowDescriptions by field list and formats: a handler that reuses
 * its field list (a prepared statement) gets the frame copied, not encoded.
 */
const encodedDescriptions = new WeakMap<ReadonlyArray<Field>, Map<string, Uint8Array>>()

/** Appends the RowDescription of `fields` in `formats`. */
export const appendRowDescription = (output: Output, fields: ReadonlyArray<Field>, formats: ReadonlyArray<number>): boolean => {
  let byFormats = encodedDescriptions.get(fields)
  if (byFormats === undefined) encodedDescriptions.set(fields, byFormats = new Map())
  const key = formats.length === 0 ? "" : formats.join()
  let frame = byFormats.get(key)
  if (frame === undefined) {
    const encoded = encodeBackend(rowDescription(fields, formats))
    if (Result.isFailure(encoded)) return false
    frame = encoded.success
    byFormats.set(key, frame)
  }
  output.buffer.raw(frame)
  return true
}
