/**
 * A small in-memory engine behind a `QueryHandler`: the example in
 * `docs/server.md` and the engine of the server tests.
 *
 * One table, `kv (key text primary key, value text)`; SELECT of constants
 * and parameters (with casts), `count(*)`, `generate_series(a, b)`, an
 * endless generator (`SELECT * FROM endless`, pulled only as fast as the
 * client reads), `pg_sleep`, `pg_notify`, `demo_notice`; INSERT, UPDATE,
 * DELETE; BEGIN/COMMIT/ROLLBACK with implicit transactions; SET, RESET,
 * SHOW; COPY FROM STDIN and TO STDOUT in text, CSV and binary;
 * LISTEN/UNLISTEN/NOTIFY, delivered at commit.
 *
 * Transactions see a snapshot of the table plus their own writes; a commit
 * replays the writes onto the table. There are no locks: concurrent
 * transactions do not conflict (the last write wins).
 *
 * What it is not: a database. It exists to exercise the protocol.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as Stream from "effect/Stream"
import { SqlState } from "../../protocol/SqlState.ts"
import * as CopyFormat from "../CopyFormat.ts"
import { PgError, pgError } from "../PgError.ts"
import { QueryHandler, type QueryHandlerShape } from "../QueryHandler.ts"
import * as Results from "../Results.ts"
import type { Session } from "../Session.ts"
import { Oid } from "../Values.ts"
import { parameterCount, parse, type Plan, type SelectItem, type Term } from "./Sql.ts"

interface Transaction {
  explicit: boolean
  readonly view: Map<string, string | null>
  readonly writes: Array<readonly [string, string | null | undefined]>
  readonly notifications: Array<readonly [string, string]>
}

interface SessionData {
  transaction: Transaction | undefined
  readonly initialSettings: ReadonlyMap<string, string>
  readonly listening: Set<string>
}

/**
 * The engine: its handler, and counters for tests.
 *
 * @since 0.1.0
 * @category models
 */
export interface DemoEngine {
  readonly handler: QueryHandlerShape
  /** The committed table. */
  readonly table: ReadonlyMap<string, string | null>
  /** Rows produced by `SELECT * FROM endless` so far, over all sessions. */
  readonly endlessRowsProduced: () => number
}

const duplicateKey = (key: string): PgError =>
  pgError(SqlState.uniqueViolation, "duplicate key value violates unique constraint \"kv_pkey\"", {
    detail: `Key (key)=(${key}) already exists.`,
    tableName: "kv",
    constraintName: "kv_pkey"
  })

const aborted = (): PgError =>
  pgError(SqlState.inFailedSqlTransaction, "current transaction is aborted, commands ignored until end of transaction block")

/** Text without a zone is in the session's TimeZone, which the demo keeps at UTC. */
const timestampOf = (text: string): Date => {
  const iso = text.trim().replace(" ", "T")
  const date = new Date(/[zZ]|[+-]\d\d(:?\d\d)?$/.test(iso) || !iso.includes("T") ? iso : `${iso}Z`)
  if (Number.isNaN(date.getTime())) throw pgError(SqlState.invalidDatetimeFormat, `invalid input syntax for type timestamp: "${text}"`)
  return date
}

/** Converts a value for a cast; parameters arrive decoded for their types already. */
const convert = (value: unknown, type: number): unknown => {
  if (value === null || value === undefined) return null
  switch (type) {
    case Oid.int2:
    case Oid.int4: {
      const n = typeof value === "string" ? Number(value.trim()) : Number(value)
      if (!Number.isInteger(n)) throw pgError(SqlState.invalidTextRepresentation, `invalid input syntax for type integer: "${String(value)}"`)
      return n
    }
    case Oid.int8:
      try {
        return typeof value === "bigint" ? value : BigInt(typeof value === "string" ? value.trim() : Math.trunc(Number(value)))
      } catch {
        throw pgError(SqlState.invalidTextRepresentation, `invalid input syntax for type bigint: "${String(value)}"`)
      }
    case Oid.float4:
    case Oid.float8:
      return Number(value)
    case Oid.bool:
      return typeof value === "boolean" ? value : ["t", "true", "yes", "on", "1"].includes(String(value).toLowerCase())
    case Oid.bytea:
      return value instanceof Uint8Array ? value : new TextEncoder().encode(String(value))
    case Oid.date:
    case Oid.timestamp:
    case Oid.timestamptz:
      return value instanceof Date ? value : timestampOf(String(value))
    default:
      return value instanceof Uint8Array ? new TextDecoder().decode(value) : typeof value === "string" ? value : String(value)
  }
}

const evaluate = (term: Term, parameters: ReadonlyArray<unknown>): unknown => {
  switch (term.kind) {
    case "literal":
      return term.value
    case "param":
      return parameters[term.index - 1] ?? null
    case "cast":
      return convert(evaluate(term.term, parameters), term.type)
    case "divide": {
      const left = evaluate(term.left, parameters)
      const right = evaluate(term.right, parameters)
      if (left === null || right === null) return null
      if (Number(right) === 0) throw pgError(SqlState.divisionByZero, "division by zero")
      if (typeof left === "bigint" || typeof right === "bigint") return BigInt(left as bigint) / BigInt(right as bigint)
      const quotient = Number(left) / Number(right)
      return Number.isInteger(Number(left)) && Number.isInteger(Number(right)) ? Math.trunc(quotient) : quotient
    }
  }
}

/** `evaluate` and `convert` throw `PgError`s; anything else thrown is a bug of the engine. */
const asPgError = (thrown: unknown): PgError =>
  thrown instanceof PgError ? thrown : pgError(SqlState.internalError, `demo engine failure: ${String(thrown)}`)

const attempt = <A>(f: () => A): Effect.Effect<A, PgError> => {
  try {
    return Effect.succeed(f())
  } catch (thrown) {
    return Effect.fail(asPgError(thrown))
  }
}

const textValue = (value: unknown): string | null =>
  value === null || value === undefined ? null : value instanceof Uint8Array ? new TextDecoder().decode(value) : String(value)

/** Collects `$n` types: a cast gives its type, anything else text. */
const collectParameterTypes = (plan: Plan, types: Array<number>): void => {
  const visit = (term: Term | undefined, cast?: number): void => {
    if (term === undefined) return
    switch (term.kind) {
      case "param":
        if (types[term.index - 1] === 0) types[term.index - 1] = cast ?? Oid.text
        return
      case "cast":
        return visit(term.term, term.type)
      case "divide":
        visit(term.left, Oid.int4)
        visit(term.right, Oid.int4)
        return
      case "literal":
        return
    }
  }
  switch (plan._tag) {
    case "Select":
      for (const item of plan.items) {
        if (item.kind === "term") visit(item.term)
        if (item.kind === "function") for (const arg of item.args) visit(arg, item.function === "pg_sleep" ? Oid.float8 : Oid.text)
      }
      if (plan.source.kind === "series") {
        visit(plan.source.from, Oid.int4)
        visit(plan.source.to, Oid.int4)
      }
      visit(plan.key)
      visit(plan.limit, Oid.int8)
      return
    case "Insert":
      for (const [key, value] of plan.rows) {
        visit(key)
        visit(value)
      }
      return
    case "Update":
      visit(plan.value)
      visit(plan.key)
      return
    case "Delete":
      visit(plan.key)
      return
    default:
      return
  }
}

const termType = (term: Term, parameterTypes: ReadonlyArray<number>): number => {
  switch (term.kind) {
    case "literal":
      return term.type
    case "param":
      return parameterTypes[term.index - 1] ?? Oid.text
    case "cast":
      return term.type
    case "divide":
      return termType(term.left, parameterTypes)
  }
}

const itemFields = (item: SelectItem, plan: Extract<Plan, { _tag: "Select" }>, parameterTypes: ReadonlyArray<number>): Array<Results.Field> => {
  switch (item.kind) {
    case "star":
      switch (plan.source.kind) {
        case "kv":
          return [Results.field("key", Oid.text), Results.field("value", Oid.text)]
        case "endless":
          return [Results.field("n", Oid.int8), Results.field("payload", Oid.text)]
        case "series":
          return [Results.field("generate_series", Oid.int4)]
        case "none":
          throw pgError(SqlState.syntaxError, "SELECT * with no tables specified is not valid")
      }
    // falls through: every source returns above
    case "column":
      return [Results.field(item.name, item.column === "n" ? Oid.int8 : item.column === "generate_series" ? Oid.int4 : Oid.text)]
    case "count":
      return [Results.field(item.name, Oid.int8)]
    case "function":
      return [Results.field(item.name, Oid.void)]
    case "term":
      return [Results.field(item.name, termType(item.term, parameterTypes))]
  }
}

const fieldsOf = (plan: Plan, parameterTypes: ReadonlyArray<number>, session: Session): ReadonlyArray<Results.Field> | undefined => {
  switch (plan._tag) {
    case "Select":
      return plan.items.flatMap((item) => itemFields(item, plan, parameterTypes))
    case "Show":
      return plan.name === "all"
        ? [Results.field("name", Oid.text), Results.field("setting", Oid.text)]
        : [Results.field(session.settings().find(([name]) => name.toLowerCase() === plan.name)?.[0] ?? plan.name, Oid.text)]
    default:
      return undefined
  }
}

/**
 * Makes an engine with an empty table.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (): DemoEngine => {
  const table = new Map<string, string | null>()
  const sessions = new WeakMap<Session, SessionData>()
  const listeners = new Map<string, Set<Session>>()
  const plans = new WeakMap<Results.PreparedStatement, Plan>()
  let endlessRows = 0

  const dataOf = (session: Session): SessionData => {
    let data = sessions.get(session)
    if (data === undefined) {
      data = { transaction: undefined, initialSettings: new Map(session.settings()), listening: new Set() }
      sessions.set(session, data)
    }
    return data
  }

  const transactionOf = (data: SessionData): Transaction =>
    (data.transaction ??= { explicit: false, view: new Map(table), writes: [], notifications: [] })

  const deliver = (notifications: ReadonlyArray<readonly [string, string]>, from: number): Effect.Effect<void> =>
    Effect.forEach(notifications, ([channel, payload]) =>
      // To every listener at once: one that is slow to take it does not delay the others.
      Effect.forEach(Array.from(listeners.get(channel) ?? []), (session) => Effect.ignore(session.notify(channel, payload, from)), {
        discard: true,
        concurrency: "unbounded"
      }), { discard: true })

  const commit = (data: SessionData, session: Session): Effect.Effect<void> => {
    const transaction = data.transaction
    data.transaction = undefined
    if (transaction === undefined) return Effect.void
    for (const [key, value] of transaction.writes) {
      if (value === undefined) table.delete(key)
      else table.set(key, value)
    }
    return deliver(transaction.notifications, session.processId)
  }

  const write = (transaction: Transaction, key: string, value: string | null | undefined): void => {
    if (value === undefined) transaction.view.delete(key)
    else transaction.view.set(key, value)
    transaction.writes.push([key, value])
  }

  const notify = (data: SessionData, session: Session, channel: string, payload: string): Effect.Effect<void> => {
    const transaction = data.transaction
    if (transaction !== undefined) {
      transaction.notifications.push([channel, payload])
      return Effect.void
    }
    return deliver([[channel, payload]], session.processId)
  }

  const endless = Stream.fromPull(Effect.sync(() => {
    let n = 0n
    return Effect.sync(() => {
      const rows: Array<Results.Row> = new Array(256)
      for (let i = 0; i < 256; i++) {
        n++
        rows[i] = [n, `row ${n}`]
      }
      endlessRows += 256
      return rows as unknown as readonly [Results.Row, ...Array<Results.Row>]
    })
  }))

  const series = (from: number, to: number): Stream.Stream<Results.Row> =>
    Stream.fromPull(Effect.sync(() => {
      let next = from
      return Effect.suspend(() => {
        if (next > to) return Cause.done()
        const end = Math.min(to, next + 1023)
        const rows: Array<Results.Row> = []
        for (; next <= end; next++) rows.push([next])
        return Effect.succeed(rows as unknown as readonly [Results.Row, ...Array<Results.Row>])
      })
    }))

  const select = (
    plan: Extract<Plan, { _tag: "Select" }>,
    parameters: ReadonlyArray<unknown>,
    session: Session,
    data: SessionData
  ): Effect.Effect<Results.QueryResult, PgError> =>
    Effect.gen(function*() {
      const limit = plan.limit === undefined ? Infinity : Number(evaluate(plan.limit, parameters))
      const evalItems = (row: Results.Row | undefined): Results.Row => {
        const out: Array<unknown> = []
        for (const item of plan.items) {
          switch (item.kind) {
            case "star":
              out.push(...(row ?? []))
              break
            case "column":
              out.push(item.column === "value" ? row?.[1] ?? null : row?.[0] ?? null)
              break
            case "term":
              out.push(evaluate(item.term, parameters))
              break
            case "count":
            case "function":
              out.push(null)
          }
        }
        return out
      }
      for (const item of plan.items) {
        if (item.kind !== "function") continue
        const args = item.args.map((arg) => evaluate(arg, parameters))
        if (item.function === "pg_sleep") yield* Effect.sleep(Math.max(0, Number(args[0] ?? 0)) * 1000)
        else if (item.function === "pg_notify") yield* notify(data, session, String(args[0] ?? ""), String(args[1] ?? ""))
        else yield* session.notice(String(args[0] ?? ""))
      }
      switch (plan.source.kind) {
        case "none":
          return Results.rows([evalItems(undefined).map((value, i) => (plan.items[i]?.kind === "function" ? "" : value))])
        case "kv": {
          const view = data.transaction?.view ?? table
          if (plan.items.some((item) => item.kind === "count")) {
            const count = plan.key === undefined ? view.size : view.has(String(evaluate(plan.key, parameters))) ? 1 : 0
            return Results.rows([[BigInt(count)]])
          }
          const keys = plan.key === undefined ? Array.from(view.keys()).sort() : [String(evaluate(plan.key, parameters))]
          const rows: Array<Results.Row> = []
          for (const key of keys) {
            if (rows.length >= limit) break
            if (view.has(key)) rows.push(evalItems([key, view.get(key) ?? null]))
          }
          return Results.rows(rows)
        }
        case "series": {
          const from = Number(evaluate(plan.source.from, parameters))
          const to = Number(evaluate(plan.source.to, parameters))
          const stream = series(from, to).pipe(Stream.map((row) => evalItems(row)))
          return Results.rows(Number.isFinite(limit) ? Stream.take(stream, limit) : stream)
        }
        case "endless": {
          const stream = endless.pipe(Stream.map((row) => evalItems(row)))
          return Results.rows(Number.isFinite(limit) ? Stream.take(stream, limit) : stream)
        }
      }
    })

  const copyIn = (plan: Extract<Plan, { _tag: "CopyFrom" }>, data: SessionData): Results.QueryResult => {
    const transaction = transactionOf(data)
    const decoder = CopyFormat.makeDecoder(plan.format, 2)
    let count = 0
    const insert = (rows: ReturnType<CopyFormat.CopyDecoder["push"]>): Effect.Effect<void, PgError> => {
      if (!Array.isArray(rows)) return Effect.fail(rows)
      for (const row of rows) {
        const key = textValue(row[0])
        if (key === null) return Effect.fail(pgError(SqlState.notNullViolation, "null value in column \"key\" violates not-null constraint"))
        if (transaction.view.has(key)) return Effect.fail(duplicateKey(key))
        write(transaction, key, textValue(row[1]))
        count++
      }
      return Effect.void
    }
    return Results.copyIn(plan.format, 2, {
      data: (chunk) => insert(decoder.push(chunk)),
      done: Effect.map(Effect.suspend(() => insert(decoder.end())), () => `COPY ${count}`),
      fail: () => Effect.void
    })
  }

  const copyOut = (plan: Extract<Plan, { _tag: "CopyTo" }>, data: SessionData): Effect.Effect<Results.QueryResult, PgError> => {
    const view = data.transaction?.view ?? table
    const made = CopyFormat.makeEncoder(plan.format, [Oid.text, Oid.text])
    if (Result.isFailure(made)) return Effect.fail(made.failure)
    const chunks: Array<Uint8Array> = []
    if (plan.format === "binary") chunks.push(CopyFormat.binaryHeader)
    const keys = Array.from(view.keys()).sort()
    for (const key of keys) {
      const line = made.success([key, view.get(key) ?? null])
      if (Result.isFailure(line)) return Effect.fail(line.failure)
      chunks.push(line.success)
    }
    if (plan.format === "binary") chunks.push(CopyFormat.binaryTrailer)
    return Effect.succeed(Results.copyOut(plan.format, 2, chunks, { rowCount: keys.length }))
  }

  const run = (
    plan: Plan,
    parameters: ReadonlyArray<unknown>,
    session: Session
  ): Effect.Effect<Results.QueryResult, PgError> => {
    const data = dataOf(session)
    const status = session.transactionStatus()
    if (status === "E" && plan._tag !== "Commit" && plan._tag !== "Rollback") return Effect.fail(aborted())
    switch (plan._tag) {
      case "Select":
        return select(plan, parameters, session, data)
      case "Insert": {
        const transaction = transactionOf(data)
        for (const [keyTerm, valueTerm] of plan.rows) {
          const key = textValue(evaluate(keyTerm, parameters))
          if (key === null) return Effect.fail(pgError(SqlState.notNullViolation, "null value in column \"key\" violates not-null constraint"))
          if (transaction.view.has(key)) return Effect.fail(duplicateKey(key))
          write(transaction, key, textValue(evaluate(valueTerm, parameters)))
        }
        return Effect.succeed(Results.command(`INSERT 0 ${plan.rows.length}`))
      }
      case "Update": {
        const transaction = transactionOf(data)
        const value = textValue(evaluate(plan.value, parameters))
        const keys = plan.key === undefined ? Array.from(transaction.view.keys()) : [String(evaluate(plan.key, parameters))]
        let count = 0
        for (const key of keys) {
          if (!transaction.view.has(key)) continue
          write(transaction, key, value)
          count++
        }
        return Effect.succeed(Results.command(`UPDATE ${count}`))
      }
      case "Delete": {
        const transaction = transactionOf(data)
        const keys = plan.key === undefined ? Array.from(transaction.view.keys()) : [String(evaluate(plan.key, parameters))]
        let count = 0
        for (const key of keys) {
          if (!transaction.view.has(key)) continue
          write(transaction, key, undefined)
          count++
        }
        return Effect.succeed(Results.command(`DELETE ${count}`))
      }
      case "Begin": {
        const transaction = transactionOf(data)
        const already = transaction.explicit
        transaction.explicit = true
        const result = Results.command(plan.tag)
        return already
          ? Effect.as(session.notice({ severity: "WARNING", code: SqlState.activeSqlTransaction, message: "there is already a transaction in progress" }), result)
          : Effect.succeed(result)
      }
      case "Commit":
        if (status === "E") {
          data.transaction = undefined
          return Effect.succeed(Results.command("ROLLBACK"))
        }
        return Effect.as(commit(data, session), Results.command("COMMIT"))
      case "Rollback":
        data.transaction = undefined
        return Effect.succeed(Results.command("ROLLBACK"))
      case "Set":
        return Effect.as(session.set(plan.name, plan.value ?? data.initialSettings.get(plan.name) ?? ""), Results.command("SET"))
      case "Reset":
        return Effect.as(session.set(plan.name, data.initialSettings.get(plan.name) ?? ""), Results.command("RESET"))
      case "Show": {
        if (plan.name === "all") return Effect.succeed(Results.rows(session.settings().map(([name, value]) => [name, value]), { command: "SHOW", omitCount: true }))
        const value = session.setting(plan.name)
        return value === undefined
          ? Effect.fail(pgError(SqlState.undefinedObject, `unrecognized configuration parameter "${plan.name}"`))
          : Effect.succeed(Results.rows([[value]], { command: "SHOW", omitCount: true }))
      }
      case "CopyFrom":
        return Effect.succeed(copyIn(plan, data))
      case "CopyTo":
        return copyOut(plan, data)
      case "Listen": {
        data.listening.add(plan.channel)
        let set = listeners.get(plan.channel)
        if (set === undefined) listeners.set(plan.channel, set = new Set())
        set.add(session)
        return Effect.succeed(Results.command("LISTEN"))
      }
      case "Unlisten": {
        const channels = plan.channel === "*" ? Array.from(data.listening) : [plan.channel]
        for (const channel of channels) {
          data.listening.delete(channel)
          listeners.get(channel)?.delete(session)
        }
        return Effect.succeed(Results.command("UNLISTEN"))
      }
      case "Notify":
        return Effect.as(notify(data, session, plan.channel, plan.payload), Results.command("NOTIFY"))
      case "Empty":
        return Effect.succeed(Results.empty)
    }
  }

  const handler = QueryHandler.make({
    prepare: ({ parameterTypes, session, sql }) =>
      Effect.suspend(() => {
        const parsed = parse(sql)
        if (Result.isFailure(parsed)) return Effect.fail(parsed.failure)
        const plan = parsed.success
        const count = Math.max(parameterCount(sql), parameterTypes.length)
        const types = Array.from({ length: count }, (_, i) => parameterTypes[i] ?? 0)
        collectParameterTypes(plan, types)
        for (let i = 0; i < types.length; i++) if (types[i] === 0) types[i] = Oid.text
        return Effect.map(attempt(() => fieldsOf(plan, types, session)), (fields) => {
          const statement: Results.PreparedStatement = { sql, parameterTypes: types, fields }
          plans.set(statement, plan)
          return statement
        })
      }),
    execute: ({ parameters, session, statement }) =>
      Effect.suspend(() => {
        const plan = plans.get(statement)
        if (plan === undefined) return Effect.fail(pgError(SqlState.internalError, "statement was not prepared by this engine"))
        return run(plan, parameters, session)
      }).pipe(Effect.catchDefect((defect) => Effect.fail(asPgError(defect)))),
    endImplicitTransaction: (session, outcome) =>
      Effect.suspend(() => {
        const data = dataOf(session)
        const transaction = data.transaction
        if (transaction === undefined || transaction.explicit) return Effect.void
        if (outcome === "commit") return commit(data, session)
        data.transaction = undefined
        return Effect.void
      }),
    startSession: (session) => Effect.sync(() => void dataOf(session)),
    endSession: (session) =>
      Effect.sync(() => {
        const data = sessions.get(session)
        if (data === undefined) return
        data.transaction = undefined
        for (const channel of data.listening) listeners.get(channel)?.delete(session)
        sessions.delete(session)
      })
  })

  return { handler, table, endlessRowsProduced: () => endlessRows }
}

/**
 * The demo engine as the server's `QueryHandler`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<QueryHandler> = Layer.sync(QueryHandler)(() => make().handler)
