/**
 * Our errors as `effect/sql`'s `SqlError`: the reason follows the SQLSTATE
 * of a server error, or the kind of client-side failure; the original error
 * is kept as the reason's `cause`.
 *
 * | from | reason |
 * |---|---|
 * | SQLSTATE class 28 (invalid authorization), `AuthError` | `AuthenticationError` |
 * | 42501 insufficient_privilege | `AuthorizationError` |
 * | other class 42 (syntax error or access rule violation) | `SqlSyntaxError` |
 * | 23505 unique_violation | `UniqueViolation` (with the constraint's name) |
 * | other class 23 (integrity constraint violation) | `ConstraintError` |
 * | 40P01 deadlock_detected | `DeadlockError` |
 * | 40001 serialization_failure | `SerializationError` |
 * | 55P03 lock_not_available | `LockTimeoutError` |
 * | 57014 query_canceled (statement_timeout) | `StatementTimeoutError` |
 * | class 08, 57P01-57P03, any FATAL or PANIC; `ConnectionError`, `ProtocolError`, `HostsError`, `PoolError` | `ConnectionError` |
 * | anything else (`ValueDecodeError`, `ParameterError`, `StaleStatementError`, `CopyError`, `ConfigError`, other codes) | `UnknownError` |
 *
 * @since 0.1.0
 */
import * as SqlError from "effect/sql/SqlError"
import type { AcquireError } from "../client/Pool.ts"
import type { PgServerError } from "../client/PgServerError.ts"
import type { QueryError } from "../client/QueryErrors.ts"
import * as SqlState from "../protocol/SqlState.ts"

/**
 * Everything the client, the pool and connecting can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type PgFailure = QueryError | AcquireError

interface ReasonProps {
  readonly cause: unknown
  readonly message: string
  readonly operation: string
}

const fromServerError = (error: PgServerError, props: ReasonProps): SqlError.SqlErrorReason => {
  const code = error.code
  const errorClass = SqlState.classOf(code)
  if (errorClass === "28") return new SqlError.AuthenticationError(props)
  if (error.isFatal || SqlState.isConnectionError(code)) return new SqlError.ConnectionError(props)
  if (code === "42501") return new SqlError.AuthorizationError(props)
  if (errorClass === "42") return new SqlError.SqlSyntaxError(props)
  if (code === "23505") {
    const constraint = error.constraintName?.trim()
    return new SqlError.UniqueViolation({ ...props, constraint: constraint === undefined || constraint === "" ? "unknown" : constraint })
  }
  if (errorClass === "23") return new SqlError.ConstraintError(props)
  if (code === "40P01") return new SqlError.DeadlockError(props)
  if (code === "40001") return new SqlError.SerializationError(props)
  if (code === "55P03") return new SqlError.LockTimeoutError(props)
  if (code === "57014") return new SqlError.StatementTimeoutError(props)
  return new SqlError.UnknownError(props)
}

/**
 * The `SqlErrorReason` for `error`, raised by `operation`.
 *
 * @since 0.1.0
 * @category errors
 */
export const reasonOf = (error: PgFailure, operation: string): SqlError.SqlErrorReason => {
  const props: ReasonProps = { cause: error, message: error.message, operation }
  switch (error._tag) {
    case "PgServerError":
      return fromServerError(error, props)
    case "AuthError":
      return new SqlError.AuthenticationError(props)
    case "ConnectionError":
    case "ProtocolError":
    case "HostsError":
    case "PoolError":
      return new SqlError.ConnectionError(props)
    case "ValueDecodeError":
    case "ParameterError":
    case "StaleStatementError":
    case "CopyError":
    case "ConfigError":
      return new SqlError.UnknownError(props)
    default: {
      const unhandled: never = error
      return unhandled
    }
  }
}

/**
 * `error` as a `SqlError` raised by `operation`.
 *
 * @since 0.1.0
 * @category errors
 */
export const toSqlError = (error: PgFailure, operation: string): SqlError.SqlError =>
  new SqlError.SqlError({ reason: reasonOf(error, operation) })
