/**
 * The one PGlite backend shared by every session: calls into it (one buffer
 * of frontend messages in, the backend's answer out), whose turn it is, the
 * settings of the session that holds it, and the notifications it produces.
 *
 * PGlite runs one backend on the caller's thread: a call cannot be
 * interrupted, and a COPY FROM STDIN must find all of its data in the same
 * call (PGlite exits when a copy runs out of input). Statements run on the
 * extended protocol without Sync, so the transaction stays open until the
 * engine decides: at the end of an implicit transaction, after an error, or
 * before another session gets its turn.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { type BackendMessage, type FrontendMessage, type TransactionStatus, Writer } from "../../../protocol/index.ts"
import { pgError, type PgError, type Session } from "../../../server/index.ts"
import type { Turns } from "./Turns.ts"
import { encode, errorOf, identifier, literal, parse, runUnnamed, sync } from "./Wire.ts"

/** What the engine uses of a PGlite instance. */
export interface PgliteDatabase {
  /**
   * Runs protocol messages. Without `syncToFs` the work is synchronous:
   * every `onRawData` call happens before this returns (the promise only
   * reports a failure). The output goes to `onRawData` as PGlite writes it,
   * without the parse that `execProtocolRaw` runs on it.
   */
  execProtocolRawStream(
    message: Uint8Array,
    options: { readonly syncToFs: boolean; readonly onRawData: (data: Uint8Array) => void }
  ): Promise<void>
  syncToFs(): Promise<void>
  close(): Promise<void>
}

/** A session as the engine keeps it. */
export interface EngineSession {
  readonly session: Session
  /** The session's settings (name, value) as the backend must have them during its turn. */
  settings: ReadonlyArray<readonly [string, string]>
  /** `settings` as one string, to tell whether a switch needs work. */
  key: string
  /** Channels this session listens on. */
  readonly channels: Set<string>
  /** A statement of an implicit transaction ran; its Sync is still to come. */
  implicitOpen: boolean
  /** A setting changed inside a transaction block: read them again when the block ends. */
  settingsPending: boolean
  /** The commit that ran with the session's last statement failed: `endImplicitTransaction` reports it. */
  commitError?: PgError | undefined
}

/** Settings a session does not carry from one turn to the next. */
const ignoredSettings = new Set(["client_encoding", "is_superuser", "session_authorization", "server_version", "server_encoding"])

export const settingsKey = (settings: ReadonlyArray<readonly [string, string]>): string =>
  settings.map(([name, value]) => `${name}=${value}`).join("\u0000")

const settingsQuery = (names: ReadonlyArray<string>) =>
  `SELECT name, current_setting(name), source = 'session' FROM pg_settings WHERE source = 'session'` +
  (names.length === 0 ? "" : ` OR lower(name) IN (${names.map((n) => literal(n.toLowerCase())).join(", ")})`)

const utf8 = new TextDecoder()

export class Backend {
  readonly db: PgliteDatabase
  readonly turns: Turns
  readonly persistent: boolean
  readonly sessions = new Map<number, EngineSession>()
  /** Sessions listening, by channel. */
  readonly listeners = new Map<string, Set<number>>()
  /** The settings key the backend has now. */
  applied = ""
  /** Messages went in since the last Sync. */
  unsynced = false
  status: TransactionStatus = "I"

  constructor(db: PgliteDatabase, turns: Turns, persistent: boolean) {
    this.db = db
    this.turns = turns
    this.persistent = persistent
  }

  /**
   * One call into PGlite. Notifications are routed to the sessions listening;
   * after an error, Sync ends the backend's skip-to-Sync state at once (and
   * with it an implicit transaction, which an error rolls back anyway).
   */
  call(messages: ReadonlyArray<FrontendMessage>): Effect.Effect<Array<BackendMessage>, PgError> {
    return Effect.suspend(() => {
      const bytes = encode(messages)
      if (!(bytes instanceof Uint8Array)) return Effect.fail(bytes)
      const answer = this.exchange(bytes, messages)
      if (!Array.isArray(answer)) return Effect.fail(answer)
      let failed = false
      let notifications: Array<Extract<BackendMessage, { _tag: "NotificationResponse" }>> | undefined
      for (const message of answer) {
        if (message._tag === "ErrorResponse") failed = true
        else if (message._tag === "NotificationResponse") (notifications ??= []).push(message)
      }
      if (failed && this.unsynced) {
        const after = this.exchange(encode([sync]) as Uint8Array, [sync])
        if (Array.isArray(after)) {
          for (const message of after) if (message._tag === "NotificationResponse") (notifications ??= []).push(message)
        }
      }
      const owner = this.turns.owner
      const state = owner === undefined ? undefined : this.sessions.get(owner)
      // An error rolled the implicit transaction back.
      if (state !== undefined && failed) state.implicitOpen = false
      return notifications === undefined ? Effect.succeed(answer) : Effect.as(this.route(notifications, owner), answer)
    })
  }

  /** The output of the call under way, copied out of PGlite's memory as it comes. */
  private readonly received = new Writer(16_384)
  private readonly onRawData = (data: Uint8Array): void => {
    this.received.raw(data)
  }
  /** Why PGlite failed, once it has: every later call fails with it. */
  private broken: string | undefined

  /**
   * One call with encoded messages; `synced` says whether they end with Sync
   * or Query. The answer as PGlite wrote it.
   */
  exchangeRaw(bytes: Uint8Array, synced: boolean): Uint8Array | PgError {
    if (this.broken !== undefined) return pgError("XX000", `the PGlite engine failed: ${this.broken}`)
    try {
      this.db.execProtocolRawStream(bytes, { syncToFs: false, onRawData: this.onRawData }).catch((thrown: unknown) => {
        this.broken = thrown instanceof Error ? thrown.message : String(thrown)
      })
    } catch (thrown) {
      this.broken = thrown instanceof Error ? thrown.message : String(thrown)
    }
    const raw = this.received.take()
    if (raw.length === 0) return pgError("XX000", `the PGlite engine failed: ${this.broken ?? "no answer"}`)
    this.unsynced = !synced
    return raw
  }

  private exchange(bytes: Uint8Array, messages: ReadonlyArray<FrontendMessage>): Array<BackendMessage> | PgError {
    const last = messages[messages.length - 1]
    const raw = this.exchangeRaw(bytes, last === undefined || last._tag === "Sync" || last._tag === "Query")
    if (!(raw instanceof Uint8Array)) return raw
    const answer = parse(raw)
    if (!Array.isArray(answer)) return answer
    let ready: TransactionStatus | undefined
    for (const message of answer) if (message._tag === "ReadyForQuery") ready = message.transactionStatus
    // Without Sync there is no ReadyForQuery: statements update the status from their tags (see `statusAfter`).
    if (ready !== undefined) this.status = ready
    return answer
  }

  /** Sends notifications to the sessions listening on their channels. */
  route(
    notifications: ReadonlyArray<Extract<BackendMessage, { _tag: "NotificationResponse" }>>,
    notifier: number | undefined
  ): Effect.Effect<void> {
    return Effect.forEach(notifications, (n) => {
      const listening = this.listeners.get(n.channel)
      if (listening === undefined) return Effect.void
      return Effect.forEach(listening, (pid) => {
        const target = this.sessions.get(pid)
        return target === undefined ? Effect.void : Effect.ignore(target.session.notify(n.channel, n.payload, notifier ?? pid))
      }, { discard: true })
    }, { discard: true })
  }

  /** Runs one internal statement inside the current transaction and returns its rows as text. */
  internal(sql: string): Effect.Effect<Array<Array<string | null>>, PgError> {
    return Effect.flatMap(this.call(runUnnamed(sql, [], [], [], [])), (answer) => {
      const rows: Array<Array<string | null>> = []
      for (const message of answer) {
        if (message._tag === "ErrorResponse") return Effect.fail(errorOf(message.fields))
        if (message._tag === "DataRow") rows.push(message.values.map((v) => (v === null ? null : utf8.decode(v))))
      }
      return Effect.succeed(rows)
    })
  }

  /** Waits for the session's turn and gives the backend its settings. */
  enter(state: EngineSession): Effect.Effect<void, PgError> {
    return Effect.flatMap(this.turns.acquire(state.session.processId), () => {
      if (this.applied === state.key) return Effect.void
      return this.applySettings(state)
    })
  }

  private applySettings(state: EngineSession): Effect.Effect<void, PgError> {
    const sets = state.settings.map(([name, value]) => `set_config(${literal(name)}, ${literal(value)}, false)`)
    const sql = sets.length === 0 ? "RESET ALL" : `RESET ALL; SELECT ${sets.join(", ")}`
    return Effect.flatMap(this.call([{ _tag: "Query", query: sql }]), (answer) => {
      for (const message of answer) if (message._tag === "ErrorResponse") return Effect.fail(errorOf(message.fields))
      this.applied = state.key
      return Effect.void
    })
  }

  /**
   * Reads the session's settings back after a statement changed them, and
   * reports the changed ones to the client (ParameterStatus for reported ones).
   */
  captureSettings(state: EngineSession): Effect.Effect<void, PgError> {
    if (this.status === "E") {
      state.settingsPending = true
      return Effect.void
    }
    return Effect.flatMap(this.internal(settingsQuery(state.settings.map(([name]) => name))), (rows) => {
      const settings: Array<readonly [string, string]> = []
      const changes: Array<readonly [string, string]> = []
      for (const [name, value, fromSession] of rows) {
        if (name === null || value === null || ignoredSettings.has(name.toLowerCase()) || name.startsWith("transaction_")) continue
        if (fromSession === "t") settings.push([name, value])
        if (state.session.setting(name) !== value) changes.push([name, value])
      }
      state.settings = settings
      state.key = settingsKey(settings)
      this.applied = state.key
      if (this.status !== "I") state.settingsPending = true
      return Effect.forEach(changes, ([name, value]) => Effect.ignore(state.session.set(name, value)), { discard: true })
    })
  }

  /**
   * Ends the session's turn when the backend is idle outside any transaction:
   * the last Sync goes in, settings changed inside the block are read back,
   * the data directory is synced, and the next session gets the engine.
   */
  releaseIfIdle(state: EngineSession): Effect.Effect<void, PgError> {
    return Effect.suspend(() => {
      const id = state.session.processId
      if (this.turns.owner !== id || state.implicitOpen || this.status !== "I") return Effect.void
      const synced: Effect.Effect<unknown, PgError> = this.unsynced ? this.call([sync]) : Effect.void
      const pending = state.settingsPending
      state.settingsPending = false
      return synced.pipe(
        Effect.andThen(() => (pending ? this.captureSettings(state) : Effect.void)),
        Effect.andThen(() => (this.unsynced ? this.call([sync]) : Effect.void)),
        Effect.andThen(() => (this.persistent ? Effect.promise(() => this.db.syncToFs()) : Effect.void)),
        Effect.ensuring(Effect.sync(() => this.turns.release(id)))
      )
    })
  }

  /**
   * Ends the implicit transaction of the session's Query or Sync batch:
   * Sync commits it; a rollback runs ROLLBACK first (PostgreSQL ends an
   * implicit block that way, with a warning this engine keeps to itself).
   */
  endImplicit(state: EngineSession, outcome: "commit" | "rollback"): Effect.Effect<void, PgError> {
    return Effect.suspend(() => {
      if (this.turns.owner !== state.session.processId) return Effect.void
      const wasOpen = state.implicitOpen
      state.implicitOpen = false
      if (!wasOpen || !this.unsynced) return this.releaseIfIdle(state)
      const messages: Array<FrontendMessage> = outcome === "rollback" && this.status !== "E"
        ? [...runUnnamed("ROLLBACK", [], [], [], []), sync]
        : [sync]
      return Effect.flatMap(this.call(messages), (answer) => {
        for (const message of answer) {
          if (message._tag === "ErrorResponse") return Effect.andThen(this.releaseIfIdle(state), Effect.fail(errorOf(message.fields)))
        }
        return this.releaseIfIdle(state)
      })
    })
  }

  /**
   * After a cancel or an interruption of a statement that already ran: an
   * implicit transaction is rolled back, a transaction block is put in the
   * failed state, as a canceled statement leaves it in PostgreSQL.
   */
  abort(state: EngineSession): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.turns.owner !== state.session.processId) return Effect.void
      const inBlock = this.status !== "I"
      state.implicitOpen = false
      const messages: Array<FrontendMessage> = inBlock
        ? [
          ...runUnnamed(
            "DO $$BEGIN RAISE EXCEPTION 'canceling statement due to user request' USING ERRCODE = '57014'; END$$",
            [],
            [],
            [],
            []
          ),
          sync
        ]
        : [...runUnnamed("ROLLBACK", [], [], [], []), sync]
      return Effect.ignore(Effect.andThen(this.call(messages), this.releaseIfIdle(state)))
    })
  }

  /** The session is gone: its transaction is rolled back, its channels are left. */
  leave(state: EngineSession): Effect.Effect<void> {
    const id = state.session.processId
    const self = this
    return Effect.gen(function*() {
      if (self.turns.owner === id) {
        state.implicitOpen = false
        if (self.unsynced) yield* Effect.ignore(self.call([sync]))
        if (self.status !== "I") yield* Effect.ignore(self.call([{ _tag: "Query", query: "ROLLBACK" }]))
        yield* Effect.ignore(self.releaseIfIdle(state))
        self.turns.release(id)
      }
      const orphaned: Array<string> = []
      for (const channel of state.channels) {
        const listening = self.listeners.get(channel)
        listening?.delete(id)
        if (listening !== undefined && listening.size === 0) {
          self.listeners.delete(channel)
          orphaned.push(channel)
        }
      }
      state.channels.clear()
      if (orphaned.length > 0) {
        yield* Effect.ignore(
          Effect.andThen(
            self.enter(state),
            Effect.ensuring(
              self.call([{ _tag: "Query", query: orphaned.map((c) => `UNLISTEN ${identifier(c)}`).join("; ") }]),
              Effect.sync(() => self.turns.release(id))
            )
          )
        )
      }
      self.sessions.delete(id)
    })
  }
}
