/**
 * The proxy's query log, read off the relayed messages: each frontend
 * message that the upstream answers is queued, and each answer completes
 * the oldest one, as PostgreSQL answers in order. A simple Query is one
 * entry (its whole text, every command tag, until ReadyForQuery); on the
 * extended protocol each Execute is one (the statement's text from the
 * Parse its portal was bound to), and a Parse or Bind that fails is one
 * with its error. After an error the upstream skips to Sync; so does the
 * log.
 *
 * @since 0.1.0
 */
import { BackendType, decodeNoticeFields, FrontendType } from "../../protocol/index.ts"
import { Reader } from "../../protocol/Reader.ts"
import type { RelayInspector } from "../../server/index.ts"

/**
 * One line of the query log.
 *
 * @since 0.1.0
 * @category models
 */
export interface QueryLogEntry {
  readonly processId: number
  readonly user: string
  readonly sql: string
  readonly durationMillis: number
  /** The command tag (tags, for a Query of several statements), or the error's SQLSTATE and message. */
  readonly outcome: string
}

interface Pending {
  readonly type: number
  readonly sql: string | undefined
  readonly started: number
  tags: Array<string> | undefined
  error: string | undefined
}

const reader = new Reader()

/** The NUL-terminated strings at the start of a body (fewer when it ends early). */
const strings = (body: Uint8Array, count: number): Array<string> => {
  const out: Array<string> = []
  const r = reader.reset(body, 0, body.length)
  try {
    while (out.length < count) out.push(r.cstring())
  } catch {
    // A body cut short: what was read is all there is.
  }
  return out
}

/** `SQLSTATE message` of an ErrorResponse body. */
const errorOf = (body: Uint8Array): string => {
  try {
    const fields = decodeNoticeFields(reader.reset(body, 0, body.length))
    return `${fields.code} ${fields.message}`
  } catch {
    return "an unreadable error"
  }
}

/** Frontend messages the upstream answers, and how. */
const answered = new Set<number>([
  FrontendType.Query,
  FrontendType.FunctionCall,
  FrontendType.Parse,
  FrontendType.Bind,
  FrontendType.Describe,
  FrontendType.Execute,
  FrontendType.Close,
  FrontendType.Sync
])

/**
 * A log for one relayed session; `entries` takes what completed since the
 * last call.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeQueryLog = (processId: number, user: string): RelayInspector & { readonly entries: () => Array<QueryLogEntry> } => {
  const statements = new Map<string, string>()
  const portals = new Map<string, string | undefined>()
  let queue: Array<Pending> = []
  let head = 0
  // An error was answered and no Sync was queued after it: the upstream skips what comes until one.
  let skipping = false
  let done: Array<QueryLogEntry> = []

  const complete = (pending: Pending, outcome: string) => {
    if (pending.sql === undefined) return
    done.push({ processId, user, sql: pending.sql, durationMillis: performance.now() - pending.started, outcome })
  }
  const shift = () => {
    head++
    if (head === queue.length) {
      queue = []
      head = 0
    }
  }

  const frontend = (type: number, body: Uint8Array | undefined) => {
    if (!answered.has(type)) return
    if (skipping && type !== FrontendType.Sync) return
    skipping = false
    let sql: string | undefined
    if (body !== undefined) {
      switch (type) {
        case FrontendType.Query:
          sql = strings(body, 1)[0]
          break
        case FrontendType.Parse: {
          const [name = "", text] = strings(body, 2)
          sql = text
          if (text !== undefined) statements.set(name, text)
          break
        }
        case FrontendType.Bind: {
          const [portal = "", statement = ""] = strings(body, 2)
          sql = statements.get(statement)
          portals.set(portal, sql)
          break
        }
        case FrontendType.Execute:
          sql = portals.get(strings(body, 1)[0] ?? "")
          break
      }
    }
    queue.push({ type, sql, started: performance.now(), tags: undefined, error: undefined })
  }

  const backend = (type: number, body: Uint8Array | undefined) => {
    const pending = queue[head]
    if (pending === undefined) return
    const simple = pending.type === FrontendType.Query || pending.type === FrontendType.FunctionCall
    switch (type) {
      case BackendType.ParseComplete:
      case BackendType.BindComplete:
      case BackendType.CloseComplete:
        if (!simple) shift()
        return
      case BackendType.RowDescription:
      case BackendType.NoData:
        if (pending.type === FrontendType.Describe) shift()
        return
      case BackendType.CommandComplete:
      case BackendType.EmptyQueryResponse:
      case BackendType.PortalSuspended: {
        const tag = type === BackendType.CommandComplete && body !== undefined
          ? strings(body, 1)[0] ?? ""
          : type === BackendType.EmptyQueryResponse
          ? "EMPTY"
          : "SUSPENDED"
        if (simple) (pending.tags ??= []).push(tag)
        else if (pending.type === FrontendType.Execute) {
          complete(pending, tag)
          shift()
        }
        return
      }
      case BackendType.ErrorResponse: {
        const error = body === undefined ? "error" : errorOf(body)
        if (simple) {
          pending.error = error
          return
        }
        complete(pending, error)
        // Everything up to the next Sync is skipped by the upstream.
        while (head < queue.length && queue[head]!.type !== FrontendType.Sync) head++
        if (head === queue.length) {
          queue = []
          head = 0
          skipping = true
        }
        return
      }
      case BackendType.ReadyForQuery:
        if (pending.type === FrontendType.Query) complete(pending, pending.error ?? pending.tags?.join("; ") ?? "EMPTY")
        shift()
        return
    }
  }

  return {
    frontendTypes: [FrontendType.Query, FrontendType.Parse, FrontendType.Bind, FrontendType.Execute],
    backendTypes: [BackendType.CommandComplete, BackendType.ErrorResponse],
    frontend,
    backend,
    entries: () => {
      if (done.length === 0) return done
      const out = done
      done = []
      return out
    }
  }
}
