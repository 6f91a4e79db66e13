/**
 * Connecting to one of several servers, as libpq does with
 * `host=a,b,c`: try each target in order (or in a random order with
 * `load_balance_hosts=random`), move on when one cannot be reached, and keep
 * the first whose session satisfies `target_session_attrs`.
 *
 * - `any`: the first server that accepts the connection.
 * - `read-write` / `read-only`: the session's default must (not) be read-only,
 *   judged from the `default_transaction_read_only` and `in_hot_standby`
 *   parameters the server reports at startup (PostgreSQL 14+), else from
 *   `SHOW transaction_read_only`.
 * - `primary` / `standby`: the server must (not) be in hot standby, from
 *   `in_hot_standby`, else `SELECT pg_catalog.pg_is_in_recovery()` (servers
 *   before 9.0 have no standby mode).
 * - `prefer-standby`: a standby if there is one; if none is, a second pass
 *   takes any server.
 *
 * A server that fails the check is closed and the next one tried, as is one
 * whose check query fails. Which connection failures move on to the next
 * host is `isRetryable`'s decision (by default: network, TLS and protocol
 * failures, and server refusals other than authentication, a missing
 * database or a missing privilege, which would fail the same elsewhere).
 *
 * This module knows nothing of the connection itself: the caller passes
 * `connectOne`, which opens one session and describes it as a `HostSession`
 * (its startup parameters and a query function). Each attempt runs in its
 * own child scope of the caller's scope; a rejected or failed attempt's
 * scope is closed at once, the accepted one lives as long as the caller's.
 * Randomness is effect's `Random` service, so a test can seed it.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Random from "effect/Random"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import type { HostTarget, ResolvedConfig, TargetSessionAttrs } from "./Config.ts"

/**
 * What `connect` needs from a session it opened.
 *
 * @since 0.1.0
 * @category models
 */
export interface HostSession<C, QE = never> {
  /** The connection handed back when this session is accepted. */
  readonly connection: C
  /** The server's parameters as reported at startup (ParameterStatus). */
  readonly parameters: ReadonlyMap<string, string>
  /** Runs one statement; the value of the first column of the first row (text such as "on"/"t", or a decoded boolean). */
  readonly query: (sql: string) => Effect.Effect<unknown, QE>
  /** Closes the session politely before its attempt's scope closes (optional: closing the scope may be enough). */
  readonly close?: Effect.Effect<void> | undefined
}

/**
 * The accepted session and the target it is connected to.
 *
 * @since 0.1.0
 * @category models
 */
export interface Connected<C> {
  readonly connection: C
  readonly target: HostTarget
}

/**
 * One failed or rejected attempt.
 *
 * @since 0.1.0
 * @category models
 */
export const HostAttempt = Schema.Struct({
  host: Schema.String,
  hostaddr: Schema.optional(Schema.String),
  port: Schema.Number,
  /** libpq-style: `connection to server at "db1", port 5432 failed: ...`. */
  message: Schema.String,
  /** The error of the attempt; absent when the session was rejected by target_session_attrs. */
  error: Schema.optional(Schema.Defect())
})

/**
 * @since 0.1.0
 * @category models
 */
export type HostAttempt = typeof HostAttempt.Type

/**
 * No target gave an acceptable session; every attempt is listed.
 *
 * @since 0.1.0
 * @category errors
 */
export class HostsError extends Schema.TaggedError<HostsError>()("HostsError", {
  message: Schema.String,
  attempts: Schema.Array(HostAttempt)
}) {}

/**
 * @since 0.1.0
 * @category models
 */
export interface ConnectOptions<E> {
  /** Whether to try the next target after this connection failure; default `isRetryable`. */
  readonly isRetryable?: ((error: E) => boolean) | undefined
}

const fieldOf = (value: unknown, field: string): unknown =>
  typeof value === "object" && value !== null && field in value ? (value as Record<string, unknown>)[field] : undefined

/** Server refusals that another host of the same cluster would repeat: bad password or pg_hba, no database, no CONNECT privilege. */
const finalSqlStates: ReadonlySet<string> = new Set(["28P01", "28000", "3D000", "42501"])

/**
 * The default policy: move on after a network, TLS or protocol failure and
 * after a server's refusal (too many connections, starting up, shutting
 * down...), except refusals another server of the cluster would repeat: a
 * missing database (3D000), a missing privilege (42501), and every
 * authentication failure (`AuthError`: the server refused the password or has
 * no pg_hba.conf entry, or the client refused a method or a server proof).
 * libpq documents the same rule for authentication; a configuration error
 * stops too.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isRetryable = (error: unknown): boolean => {
  switch (fieldOf(error, "_tag")) {
    case "ConnectionError":
    case "ProtocolError":
      return true
    case "PgServerError": {
      const code = fieldOf(error, "code")
      return !(typeof code === "string" && finalSqlStates.has(code))
    }
    default:
      return false
  }
}

const describe = (target: HostTarget): string =>
  target.host.startsWith("/") || target.host.startsWith("@")
    ? `connection to server on socket "${target.host}/.s.PGSQL.${target.port}"`
    : target.hostaddr !== undefined && target.hostaddr !== target.host
    ? `connection to server at "${target.host}" (${target.hostaddr}), port ${target.port}`
    : `connection to server at "${target.host}", port ${target.port}`

const messageOf = (error: unknown): string => {
  const message = fieldOf(error, "message")
  return typeof message === "string" ? message : String(error)
}

const isOn = (value: unknown): boolean => value === true || (typeof value === "string" && value.startsWith("on"))
const isTrue = (value: unknown): boolean => value === true || (typeof value === "string" && value.startsWith("t"))

/** The major version from `server_version` ("18.1", "9.6.24", "8.4.22 (Debian)"). */
const majorVersion = (version: string | undefined): number | undefined => {
  const match = version === undefined ? null : /^(\d+)\.(\d+)/.exec(version)
  if (match === null) return undefined
  const major = Number(match[1])
  return major >= 10 ? major : major + Number(match[2]) / 10
}

/**
 * Whether a session is acceptable; a rejection says why, in libpq's words.
 *
 * @since 0.1.0
 * @category models
 */
export type Verdict<QE> =
  | { readonly _tag: "Accept" }
  | { readonly _tag: "Reject"; readonly reason: string; readonly error?: QE }

const accept = { _tag: "Accept" } as const

/**
 * Decides whether a session satisfies `mode`, as libpq's CONNECTION_CHECK_TARGET does.
 *
 * @since 0.1.0
 * @category constructors
 */
export const checkSession = <QE>(
  session: Pick<HostSession<unknown, QE>, "parameters" | "query">,
  mode: TargetSessionAttrs
): Effect.Effect<Verdict<QE>> =>
  Effect.gen(function*() {
    const reject = (reason: string, error?: QE): Verdict<QE> =>
      error === undefined ? { _tag: "Reject", reason } : { _tag: "Reject", reason, error }
    switch (mode) {
      case "any":
        return accept
      case "read-write":
      case "read-only": {
        const defaultReadOnly = session.parameters.get("default_transaction_read_only")
        const hotStandby = session.parameters.get("in_hot_standby")
        let readOnly: boolean
        if (defaultReadOnly === undefined || hotStandby === undefined) {
          const sql = "SHOW transaction_read_only"
          const result = yield* Effect.result(session.query(sql))
          if (result._tag === "Failure") return reject(`"${sql}" failed: ${messageOf(result.failure)}`, result.failure)
          readOnly = isOn(result.success)
        } else {
          readOnly = defaultReadOnly === "on" || hotStandby === "on"
        }
        if (mode === "read-write" && readOnly) return reject("session is read-only")
        if (mode === "read-only" && !readOnly) return reject("session is not read-only")
        return accept
      }
      case "primary":
      case "standby":
      case "prefer-standby": {
        const major = majorVersion(session.parameters.get("server_version"))
        let inHotStandby: boolean
        const reported = session.parameters.get("in_hot_standby")
        if (major !== undefined && major < 9) {
          inHotStandby = false
        } else if (reported !== undefined) {
          inHotStandby = reported === "on"
        } else {
          const sql = "SELECT pg_catalog.pg_is_in_recovery()"
          const result = yield* Effect.result(session.query(sql))
          if (result._tag === "Failure") return reject(`"${sql}" failed: ${messageOf(result.failure)}`, result.failure)
          inHotStandby = isTrue(result.success)
        }
        if (mode === "primary" && inHotStandby) return reject("server is in hot standby mode")
        if (mode !== "primary" && !inHotStandby) return reject("server is not in hot standby mode")
        return accept
      }
    }
  })

/**
 * Tries the targets of `config` (see the module comment) and returns the
 * first acceptable session. With a single target, a connection failure is
 * that failure unchanged; otherwise a `HostsError` lists every attempt.
 *
 * @since 0.1.0
 * @category constructors
 */
export const connect = <C, E, QE = never, R = never>(
  config: Pick<ResolvedConfig, "targets" | "targetSessionAttrs" | "loadBalanceHosts">,
  connectOne: (target: HostTarget) => Effect.Effect<HostSession<C, QE>, E, R>,
  options?: ConnectOptions<E>
): Effect.Effect<Connected<C>, E | HostsError, Exclude<R, Scope.Scope> | Scope.Scope> =>
  Effect.gen(function*() {
    const retryable = options?.isRetryable ?? isRetryable
    const scope = yield* Effect.scope
    const order = config.loadBalanceHosts === "random" ? yield* Random.shuffle(config.targets) : config.targets
    const passes: ReadonlyArray<TargetSessionAttrs> = config.targetSessionAttrs === "prefer-standby"
      ? ["standby", "any"]
      : [config.targetSessionAttrs]
    const attempts: Array<HostAttempt> = []
    let lastError: { readonly error: E } | undefined
    const record = (target: HostTarget, message: string, error?: unknown) => {
      attempts.push({
        host: target.host,
        ...(target.hostaddr !== undefined ? { hostaddr: target.hostaddr } : {}),
        port: target.port,
        message: `${describe(target)} failed: ${message}`,
        ...(error !== undefined ? { error } : {})
      })
    }

    for (const mode of passes) {
      for (const target of order) {
        const child = yield* Scope.fork(scope, "sequential")
        const opened = yield* Effect.exit(Scope.provide(connectOne(target), child))
        if (Exit.isFailure(opened)) {
          yield* Scope.close(child, opened)
          const error = Exit.findErrorOption(opened)
          if (Exit.hasInterrupts(opened) || error._tag === "None") return yield* Effect.failCause(opened.cause)
          if (!retryable(error.value)) return yield* Effect.fail(error.value)
          record(target, messageOf(error.value), error.value)
          lastError = { error: error.value }
          continue
        }
        const session = opened.value
        const verdict = yield* checkSession(session, mode)
        if (verdict._tag === "Accept") return { connection: session.connection, target }
        record(target, verdict.reason, verdict.error)
        lastError = undefined
        if (session.close !== undefined) yield* session.close
        yield* Scope.close(child, Exit.void)
      }
    }
    if (config.targets.length === 1 && lastError !== undefined) return yield* Effect.fail(lastError.error)
    return yield* new HostsError({ message: attempts.map((a) => a.message).join("\n"), attempts })
  })
