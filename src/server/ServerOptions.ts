/**
 * The options of `PgServer.layer`, their defaults, and the resolved form the
 * sessions read (durations in milliseconds, parameters merged).
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { FrontendLimits } from "../protocol/index.ts"
import { ConnectionError } from "../transport/ConnectionError.ts"
import type { ServerTlsOptions } from "../transport/Listen.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface PgServerOptions {
  /** The TCP address to listen on (`127.0.0.1`, `0.0.0.0`, `::`). Without it, no TCP listener. */
  readonly host?: string | undefined
  /** The TCP port (0: a free one) and the number in the Unix socket's name. Default 5432. */
  readonly port?: number | undefined
  /** A directory for the Unix-domain socket `.s.PGSQL.<port>`. Without it, no Unix listener. */
  readonly unixSocketDirectory?: string | undefined
  readonly backlog?: number | undefined
  /** TCP keepalive of accepted connections (on by default). */
  readonly keepAlive?: boolean | Duration.Input | undefined
  /**
   * TLS: the server certificate and key, optional client-certificate CAs,
   * direct TLS (on by default). With `required`, a TCP client that does not
   * start TLS is refused with FATAL 28000 (Unix sockets are never TLS).
   */
  readonly tls?: (ServerTlsOptions & { readonly required?: boolean | undefined }) | undefined
  /** Sessions at once; the next one gets FATAL 53300. Default 100. */
  readonly maxConnections?: number | undefined
  /** From accepting a connection to its first ReadyForQuery (PostgreSQL's `authentication_timeout`). Default 60 s. */
  readonly startupTimeout?: Duration.Input | undefined
  /** An idle session outside a transaction is closed with FATAL 57P05 after this. Default: never. */
  readonly idleSessionTimeout?: Duration.Input | undefined
  /** An idle session inside a transaction is closed with FATAL 25P03 after this. Default: never. */
  readonly idleInTransactionSessionTimeout?: Duration.Input | undefined
  /** A message whose bytes stop arriving for this long closes the session (FATAL 08P01). Default 60 s. */
  readonly messageStallTimeout?: Duration.Input | undefined
  /** On shutdown, how long running statements may take before their sessions are terminated (57P01). Default 30 s. */
  readonly shutdownTimeout?: Duration.Input | undefined
  /** Maximum message sizes per kind (bytes, length word included); PostgreSQL's limits by default. */
  readonly limits?: FrontendLimits | undefined
  /**
   * Values of the parameters reported with ParameterStatus after startup
   * (`server_version`, `TimeZone`, ... and any other name to report too).
   */
  readonly parameters?: Readonly<Record<string, string>> | undefined
  /** Encoded rows buffered before a socket write. Default 64 KiB. */
  readonly flushThreshold?: number | undefined
}

/**
 * The parameters PostgreSQL 18 reports with ParameterStatus, with this
 * server's defaults. `session_authorization` is the user and
 * `application_name` the client's unless a value is configured.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultParameters: Readonly<Record<string, string>> = {
  server_version: "18.0",
  server_encoding: "UTF8",
  client_encoding: "UTF8",
  DateStyle: "ISO, MDY",
  IntervalStyle: "postgres",
  TimeZone: "UTC",
  integer_datetimes: "on",
  standard_conforming_strings: "on",
  application_name: "",
  is_superuser: "off",
  session_authorization: "",
  in_hot_standby: "off",
  default_transaction_read_only: "off",
  search_path: "\"$user\", public"
}

/** @internal */
export interface ResolvedOptions {
  readonly options: PgServerOptions
  readonly maxConnections: number
  readonly startupTimeoutMillis: number | undefined
  readonly idleSessionTimeoutMillis: number | undefined
  readonly idleInTransactionTimeoutMillis: number | undefined
  readonly messageStallTimeoutMillis: number | undefined
  readonly shutdownTimeoutMillis: number
  readonly parameters: Readonly<Record<string, string>>
  readonly flushThreshold: number
  readonly tlsRequired: boolean
}

const millis = (name: string, input: Duration.Input | undefined, fallback: number | undefined) => {
  if (input === undefined) return Effect.succeed(fallback)
  const duration = Duration.fromInput(input)
  if (Option.isNone(duration)) {
    return Effect.fail(new ConnectionError({ reason: "ConnectFailed", message: `invalid ${name}: ${String(input)}` }))
  }
  // Zero or infinite: no timeout.
  return Effect.succeed(
    Duration.isZero(duration.value) || !Duration.isFinite(duration.value) ? undefined : Duration.toMillis(duration.value)
  )
}

/** @internal */
export const resolveOptions = Effect.fnUntraced(function*(options: PgServerOptions) {
  const maxConnections = options.maxConnections ?? 100
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    return yield* Effect.fail(new ConnectionError({ reason: "ConnectFailed", message: `invalid maxConnections: ${maxConnections}` }))
  }
  return {
    options,
    maxConnections,
    startupTimeoutMillis: yield* millis("startupTimeout", options.startupTimeout, 60_000),
    idleSessionTimeoutMillis: yield* millis("idleSessionTimeout", options.idleSessionTimeout, undefined),
    idleInTransactionTimeoutMillis: yield* millis("idleInTransactionSessionTimeout", options.idleInTransactionSessionTimeout, undefined),
    messageStallTimeoutMillis: yield* millis("messageStallTimeout", options.messageStallTimeout, 60_000),
    shutdownTimeoutMillis: (yield* millis("shutdownTimeout", options.shutdownTimeout, 30_000)) ?? 0,
    parameters: { ...defaultParameters, ...options.parameters },
    flushThreshold: options.flushThreshold ?? 64 * 1024,
    tlsRequired: options.tls?.required === true
  } satisfies ResolvedOptions
})
