/**
 * The per-connection cache of prepared statements: least recently used
 * first out, 128 by default. An evicted statement is closed on the server by
 * a Close that rides on the connection's next write; a statement being
 * prepared is shared by every fiber that asks for the same SQL meanwhile.
 *
 * @since 0.1.0
 */
import type * as Deferred from "effect/Deferred"
import type { FieldDescription } from "../protocol/messages/Query.ts"
import type { RowDecoder } from "../protocol/RowDecoder.ts"
import type { Row, WireFailure } from "./internal/Wire.ts"
import type { PgServerError } from "./PgServerError.ts"

/**
 * A statement prepared on this connection.
 *
 * @since 0.1.0
 * @category models
 */
export interface PreparedStatement {
  readonly name: string
  readonly sql: string
  /** The cache key: the text, and the stated parameter types when any were stated. */
  readonly key: string
  /** The parameter types the server settled on (ParameterDescription). */
  readonly parameterTypes: ReadonlyArray<number>
  /** The result columns; empty for a statement that returns no rows. */
  readonly fields: ReadonlyArray<FieldDescription>
  /** The format asked for each result column (binary where a codec exists). */
  readonly resultFormats: ReadonlyArray<number>
  readonly rowDecoder: RowDecoder<Row> | undefined
  /** Whether the text may be a COPY, which must hold the connection while it runs (decided once, here). */
  readonly mayCopy: boolean
  /** The same columns as arrays in column order (`values`): repeated column names keep every value. */
  readonly arrayRowDecoder: RowDecoder<ReadonlyArray<unknown>> | undefined
}

/**
 * Why a preparation failed: the server refused the statement, or the
 * connection failed meanwhile.
 *
 * @since 0.1.0
 * @category models
 */
export type PrepareFailure = PgServerError | WireFailure

type Preparation = Deferred.Deferred<PreparedStatement, PrepareFailure>

type Entry =
  | { readonly _tag: "Ready"; readonly statement: PreparedStatement }
  | { readonly _tag: "Preparing"; readonly deferred: Preparation }

/**
 * @since 0.1.0
 * @category models
 */
export class StatementCache {
  private readonly entries = new Map<string, Entry>()
  /** Names evicted and not yet closed on the server. */
  private closes: Array<string> = []
  private counter = 0
  readonly capacity: number
  hits = 0
  misses = 0
  evictions = 0

  constructor(capacity: number) {
    this.capacity = capacity
  }

  get size(): number {
    return this.entries.size
  }

  nextName(): string {
    return `pgwire_${(this.counter++).toString(36)}`
  }

  /** A cached statement (refreshed as most recently used), one being prepared, or nothing. */
  lookup(key: string): Entry | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined) {
      this.misses++
      return undefined
    }
    this.hits++
    // Map iteration order is insertion order: re-inserting marks it most recent.
    this.entries.delete(key)
    this.entries.set(key, entry)
    return entry
  }

  preparing(key: string, deferred: Preparation): void {
    this.entries.set(key, { _tag: "Preparing", deferred })
  }

  /** Stores a prepared statement; evicts the least recently used ready ones past capacity. */
  store(key: string, statement: PreparedStatement): void {
    if (this.capacity === 0) {
      this.entries.delete(key)
      this.closes.push(statement.name)
      return
    }
    this.entries.set(key, { _tag: "Ready", statement })
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.capacity) break
      if (entry._tag !== "Ready") continue
      this.entries.delete(oldest)
      this.closes.push(entry.statement.name)
      this.evictions++
    }
  }

  /** Forgets a statement; `close` says whether it still exists on the server. */
  evict(key: string, statement: PreparedStatement | undefined, close: boolean): void {
    const entry = this.entries.get(key)
    if (entry !== undefined && (statement === undefined || (entry._tag === "Ready" && entry.statement === statement))) {
      this.entries.delete(key)
    }
    if (close && statement !== undefined) this.closes.push(statement.name)
  }

  /** Closes a statement the cache never held (a preparation that failed after its Parse) with the next write. */
  closeLater(name: string): void {
    this.closes.push(name)
  }

  /** Forgets a failed preparation. */
  abandon(key: string, deferred: Preparation): void {
    const entry = this.entries.get(key)
    if (entry?._tag === "Preparing" && entry.deferred === deferred) this.entries.delete(key)
  }

  /** Gives back names taken for a write that did not happen. */
  restoreCloses(names: ReadonlyArray<string>): void {
    if (names.length > 0) this.closes.unshift(...names)
  }

  /** The names to close with the next write (taken once). */
  takeCloses(): ReadonlyArray<string> {
    if (this.closes.length === 0) return noCloses
    const out = this.closes
    this.closes = []
    return out
  }
}

const noCloses: ReadonlyArray<string> = []
