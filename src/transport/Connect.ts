/**
 * Opens a byte stream to a PostgreSQL server: TCP or a Unix-domain socket,
 * then, when asked, TLS: the SSLRequest upgrade on the same socket or direct
 * TLS with ALPN `postgresql`. The only module of the project that imports
 * `node:net` and `node:tls`.
 *
 * What it guards against:
 *
 * - CVE-2021-23222: after the server's 'S' exactly one byte is consumed; a
 *   byte already buffered behind it (or arriving before the handshake starts)
 *   fails the connect with `UnexpectedDataAfterSslResponse` instead of being
 *   read as if it came over TLS.
 * - An 'N' answer never loses bytes: the answer is read with `read(1)` from a
 *   paused socket, so whatever followed stays in Node's buffer and is the
 *   first thing the returned socket delivers.
 * - Certificate checks are done here, after the handshake, so the failure
 *   kinds stay apart: an untrusted, expired or revoked chain is
 *   `CertificateNotTrusted`, a wrong name is `HostnameMismatch`.
 *
 * What it does not do: send anything but SSLRequest, retry other hosts or
 * sslmodes, or interpret the stream.
 *
 * @since 0.1.0
 */
import { Buffer } from "node:buffer"
import * as Net from "node:net"
import * as Path from "node:path"
import * as Tls from "node:tls"
import { type DirectReads, makeDirectReads, makePhaseSocket } from "./internal/PhaseSocket.ts"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import type * as Scope from "effect/Scope"
import * as Socket from "effect/socket/Socket"
import { decodeEncryptionResponse, encodeFrontend, SSLRequest } from "../protocol/index.ts"
import { ConnectionError, fromSocketError } from "./ConnectionError.ts"
import {
  alpnProtocol,
  codeOf,
  connectionError,
  ignoreError,
  keepAliveOf,
  messageOf,
  release,
  toBuffer,
  toBuffers
} from "./internal/Sockets.ts"
import type { Connect, ConnectOptions, TlsInfo, TlsOptions, Transport } from "./Transport.ts"

// 00 00 00 08 04 d2 16 2f; the codec's precomputed frame cannot fail to encode.
const sslRequestFrame: Uint8Array = Result.getOrThrow(encodeFrontend(SSLRequest))

type Endpoint =
  | { readonly _tag: "Tcp"; readonly host: string; readonly port: number }
  | { readonly _tag: "Unix"; readonly path: string; readonly display: string }

interface Established {
  readonly stream: Net.Socket
  /** Set when the socket reads into a reused buffer (a connection that never upgrades to TLS). */
  readonly direct: DirectReads | undefined
  readonly tls: TlsInfo | undefined
  readonly remoteAddress: string
}

/**
 * libpq's socket naming: a host starting with `/` is a directory holding
 * `.s.PGSQL.<port>`; one starting with `@` names the same file in Linux's
 * abstract namespace.
 */
const endpointOf = (options: ConnectOptions): Endpoint => {
  const file = `.s.PGSQL.${options.port}`
  if (options.host.startsWith("/")) {
    const path = Path.join(options.host, file)
    return { _tag: "Unix", path, display: path }
  }
  if (options.host.startsWith("@")) {
    const display = Path.posix.join(options.host, file)
    return { _tag: "Unix", path: `\0${display.slice(1)}`, display }
  }
  return { _tag: "Tcp", host: options.host, port: options.port }
}

const describe = (endpoint: Endpoint): string =>
  endpoint._tag === "Unix"
    ? `Unix-domain socket "${endpoint.display}"`
    : `${Net.isIPv6(endpoint.host) ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}`

/** Zero, like libpq's `connect_timeout=0`, and an infinite duration both mean no timeout. */
const connectTimeoutOf = (input: Duration.Input | undefined): Effect.Effect<Option.Option<Duration.Duration>, ConnectionError> => {
  if (input === undefined) return Effect.succeedNone
  const duration = Duration.fromInput(input)
  if (Option.isNone(duration)) return Effect.fail(connectionError("ConnectFailed", `invalid connectTimeout: ${String(input)}`))
  return Effect.succeed(
    Duration.isZero(duration.value) || !Duration.isFinite(duration.value) ? Option.none() : duration
  )
}

const closedError = (socket: Net.Socket, during: string): ConnectionError =>
  connectionError(
    "Closed",
    `the connection closed ${during}${socket.errored === null ? "" : `: ${socket.errored.message}`}`,
    socket.errored ?? undefined
  )

const openSocket = (
  endpoint: Endpoint,
  keepAlive: number | false,
  opened: Array<Net.Socket>,
  direct: DirectReads | undefined
): Effect.Effect<Net.Socket, ConnectionError> =>
  Effect.callback<Net.Socket, ConnectionError>((resume) => {
    let socket: Net.Socket
    const reads = direct === undefined ? {} : { onread: direct.onread }
    try {
      socket = endpoint._tag === "Unix"
        ? Net.createConnection({ path: endpoint.path, ...reads })
        : Net.createConnection({ host: endpoint.host, port: endpoint.port, ...reads })
    } catch (cause) {
      // Node throws synchronously for an invalid port or host argument.
      resume(Effect.fail(connectionError("ConnectFailed", `cannot connect to ${describe(endpoint)}: ${messageOf(cause)}`, cause)))
      return
    }
    opened.push(socket)
    socket.on("error", ignoreError)
    const cleanup = () => {
      socket.off("connect", onConnect)
      socket.off("error", onError)
    }
    const onConnect = () => {
      cleanup()
      if (endpoint._tag === "Tcp") {
        socket.setNoDelay(true)
        if (keepAlive !== false) socket.setKeepAlive(true, keepAlive)
      }
      resume(Effect.succeed(socket))
    }
    const onError = (cause: Error) => {
      cleanup()
      resume(Effect.fail(connectionError("ConnectFailed", `cannot connect to ${describe(endpoint)}: ${cause.message}`, cause)))
    }
    socket.once("connect", onConnect)
    socket.once("error", onError)
    return Effect.sync(cleanup)
  })

/**
 * Sends SSLRequest and reads exactly one byte of answer from the paused
 * socket. 'N' leaves anything after it buffered for the caller; 'S' with
 * anything after it is the CVE-2021-23222 injection and fails.
 */
const requestSsl = (socket: Net.Socket): Effect.Effect<"S" | "N", ConnectionError> =>
  Effect.callback<"S" | "N", ConnectionError>((resume) => {
    if (socket.destroyed || socket.readableEnded) {
      resume(Effect.fail(closedError(socket, "before SSLRequest was sent")))
      return
    }
    const cleanup = () => {
      socket.off("readable", onReadable)
      socket.off("end", onEnd)
      socket.off("close", onEnd)
      socket.off("error", onError)
    }
    const finish = (effect: Effect.Effect<"S" | "N", ConnectionError>) => {
      cleanup()
      resume(effect)
    }
    const onReadable = () => {
      const chunk: Buffer | null = socket.read(1)
      if (chunk === null) return
      const answer = decodeEncryptionResponse(chunk[0]!, "SSLRequest")
      if (Result.isFailure(answer)) {
        return finish(Effect.fail(connectionError("InvalidSslResponse", answer.failure.message, answer.failure)))
      }
      switch (answer.success) {
        case "S":
          return finish(
            socket.readableLength > 0
              ? Effect.fail(unexpectedData(socket.readableLength))
              : Effect.succeed("S")
          )
        case "N":
          return finish(Effect.succeed("N"))
        default:
          // 'E': a server too old to know SSLRequest (or one failing to fork)
          // sent an ErrorResponse. Its text is unauthenticated and not read
          // (as libpq does); the server closes the connection after it.
          return finish(
            Effect.fail(connectionError("SslRefused", "the server answered SSLRequest with an ErrorResponse"))
          )
      }
    }
    const onEnd = () => finish(Effect.fail(closedError(socket, "before the server answered SSLRequest")))
    const onError = (cause: Error) =>
      finish(Effect.fail(connectionError("SocketError", `SSLRequest failed: ${cause.message}`, cause)))
    socket.on("readable", onReadable)
    socket.once("end", onEnd)
    socket.once("close", onEnd)
    socket.once("error", onError)
    socket.write(sslRequestFrame)
    return Effect.sync(cleanup)
  })

const unexpectedData = (count: number): ConnectionError =>
  connectionError(
    "UnexpectedDataAfterSslResponse",
    `the server sent ${count} unencrypted byte(s) after its SSL answer, before the TLS handshake (CVE-2021-23222)`
  )

/** The name verified with `full` and sent as SNI. */
const serverNameOf = (options: ConnectOptions, tls: TlsOptions): string => tls.serverName ?? options.host

const tlsConnectOptions = (socket: Net.Socket, options: ConnectOptions, tls: TlsOptions): Tls.ConnectionOptions => {
  const name = serverNameOf(options, tls)
  const sendSni = tls.sni !== false && Net.isIP(name) === 0 && name !== ""
  return {
    socket,
    ALPNProtocols: [alpnProtocol],
    // Verified after the handshake (see `verify`), so that an untrusted chain
    // and a wrong host name come out as different reasons.
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
    ...(sendSni ? { servername: name } : {}),
    ...(tls.verification !== "none" && tls.rootCertificates !== undefined ? { ca: toBuffers(tls.rootCertificates) } : {}),
    ...(tls.crl !== undefined ? { crl: toBuffers(tls.crl) } : {}),
    ...(tls.certificate !== undefined ? { cert: toBuffer(tls.certificate) } : {}),
    ...(tls.key !== undefined ? { key: toBuffer(Redacted.value(tls.key)) } : {}),
    ...(tls.passphrase !== undefined ? { passphrase: Redacted.value(tls.passphrase) } : {}),
    ...(tls.minProtocolVersion !== undefined ? { minVersion: tls.minProtocolVersion } : {}),
    ...(tls.maxProtocolVersion !== undefined ? { maxVersion: tls.maxProtocolVersion } : {})
  }
}

/** libpq's checks, in its order: the chain (`ca`, `full`), then the name (`full`), then ALPN (direct). */
const verify = (socket: Tls.TLSSocket, options: ConnectOptions, tls: TlsOptions): ConnectionError | undefined => {
  if (tls.verification !== "none" && !socket.authorized) {
    const cause: unknown = socket.authorizationError
    const code = codeOf(cause) ?? messageOf(cause)
    return connectionError("CertificateNotTrusted", `the server certificate is not trusted: ${code}`, cause)
  }
  if (tls.verification === "full") {
    const name = serverNameOf(options, tls)
    const mismatch = Tls.checkServerIdentity(name, socket.getPeerCertificate())
    if (mismatch !== undefined) {
      return connectionError("HostnameMismatch", `the server certificate does not match "${name}": ${mismatch.message}`, mismatch)
    }
  }
  if (tls.negotiation === "direct" && socket.alpnProtocol !== alpnProtocol) {
    return connectionError(
      "AlpnMismatch",
      `direct TLS: the server did not agree on ALPN "${alpnProtocol}" (got ${socket.alpnProtocol === false || socket.alpnProtocol === null ? "none" : `"${socket.alpnProtocol}"`})`
    )
  }
  return undefined
}

const handshakeFailure = (cause: unknown, tls: TlsOptions): ConnectionError => {
  const code = codeOf(cause)
  // A PostgreSQL 17+ server refuses a direct-TLS client without ALPN, and a
  // server that speaks other protocols refuses ours, with this alert.
  if (code !== undefined && code.includes("NO_APPLICATION_PROTOCOL")) {
    return connectionError("AlpnMismatch", `the server refused ALPN "${alpnProtocol}": ${messageOf(cause)}`, cause)
  }
  return connectionError("TlsHandshakeFailed", `TLS handshake failed${tls.negotiation === "direct" ? " (direct TLS)" : ""}: ${messageOf(cause)}`, cause)
}

const tlsInfoOf = (socket: Tls.TLSSocket): TlsInfo => {
  // `raw` is absent when the server sent no certificate (anonymous ciphers).
  const raw: Buffer | undefined = socket.getPeerCertificate().raw
  return {
    peerCertificate: raw === undefined ? undefined : new Uint8Array(raw),
    protocol: socket.getProtocol() ?? undefined,
    alpnProtocol: typeof socket.alpnProtocol === "string" ? socket.alpnProtocol : undefined
  }
}

const handshake = (
  socket: Net.Socket,
  options: ConnectOptions,
  tls: TlsOptions,
  opened: Array<Net.Socket>
): Effect.Effect<Tls.TLSSocket, ConnectionError> =>
  Effect.callback<Tls.TLSSocket, ConnectionError>((resume) => {
    if (socket.destroyed || socket.readableEnded) {
      resume(Effect.fail(closedError(socket, "before the TLS handshake")))
      return
    }
    // Node would feed bytes buffered on the plain socket into the TLS layer:
    // anything that arrived after the 'S' is refused here, not decrypted.
    if (tls.negotiation === "postgres" && socket.readableLength > 0) {
      resume(Effect.fail(unexpectedData(socket.readableLength)))
      return
    }
    let secure: Tls.TLSSocket
    try {
      secure = Tls.connect(tlsConnectOptions(socket, options, tls))
    } catch (cause) {
      // An unusable certificate, key or passphrase, or an invalid option.
      resume(Effect.fail(connectionError("TlsHandshakeFailed", `cannot set up TLS: ${messageOf(cause)}`, cause)))
      return
    }
    opened.push(secure)
    secure.on("error", ignoreError)
    const cleanup = () => {
      secure.off("secureConnect", onSecure)
      secure.off("error", onError)
      secure.off("close", onClose)
    }
    const onSecure = () => {
      cleanup()
      const failure = verify(secure, options, tls)
      resume(failure === undefined ? Effect.succeed(secure) : Effect.fail(failure))
    }
    const onError = (cause: Error) => {
      cleanup()
      resume(Effect.fail(handshakeFailure(cause, tls)))
    }
    const onClose = () => {
      cleanup()
      resume(Effect.fail(connectionError("TlsHandshakeFailed", "the connection closed during the TLS handshake")))
    }
    secure.once("secureConnect", onSecure)
    secure.once("error", onError)
    secure.once("close", onClose)
    return Effect.sync(cleanup)
  })

const establish = Effect.fnUntraced(function*(
  endpoint: Endpoint,
  options: ConnectOptions,
  keepAlive: number | false,
  opened: Array<Net.Socket>
) {
  const tls = options.tls
  // libpq never uses TLS over a Unix-domain socket: the kernel is the channel.
  const staysPlain = tls === undefined || endpoint._tag === "Unix"
  const direct = staysPlain ? makeDirectReads() : undefined
  const socket = yield* openSocket(endpoint, keepAlive, opened, direct)
  const remoteAddress = endpoint._tag === "Unix" ? endpoint.display : socket.remoteAddress ?? endpoint.host
  const plain: Established = { stream: socket, direct, tls: undefined, remoteAddress }
  if (staysPlain) return plain
  if (tls.negotiation === "postgres") {
    const answer = yield* requestSsl(socket)
    if (answer === "N") {
      if (tls.required) {
        return yield* Effect.fail(connectionError("SslRefused", `the server at ${describe(endpoint)} does not accept TLS connections`))
      }
      return plain
    }
  }
  const secure = yield* handshake(socket, options, tls, opened)
  return { stream: secure, direct: undefined, tls: tlsInfoOf(secure), remoteAddress } satisfies Established
})

const destroyNow = (opened: ReadonlyArray<Net.Socket>): void => {
  for (let i = opened.length - 1; i >= 0; i--) opened[i]!.destroy()
}

/**
 * Opens a transport (see `Connect`). The connect timeout covers the socket
 * connect, the SSLRequest answer and the TLS handshake together.
 *
 * The returned `socket` reads from the established stream's `data` events
 * into a bounded queue (the stream pauses past 64 KiB not pulled, so a
 * consumer that falls behind stops the peer: see `PhaseSocket.ts`);
 * `socket.reader` always yields the same reader, and writes work before
 * anyone reads. Closing the caller's scope flushes what was written, sends
 * FIN (and TLS close_notify), then destroys the socket.
 *
 * @since 0.1.0
 * @category constructors
 */
export const connect: Connect = Effect.fnUntraced(function*(options: ConnectOptions) {
  const endpoint = endpointOf(options)
  const timeout = yield* connectTimeoutOf(options.connectTimeout)
  const keepAlive = yield* keepAliveOf(options.keepAlive)
  const opened: Array<Net.Socket> = []
  let handedOut = false
  // Registered first, so no interruption point lies between a socket's
  // creation and its finalizer.
  yield* Effect.addFinalizer(() => Effect.sync(() => (handedOut ? release(opened) : destroyNow(opened))))
  const attempt = establish(endpoint, options, keepAlive, opened)
  const established = yield* (Option.isNone(timeout) ? attempt : Effect.timeoutOrElse(attempt, {
    duration: timeout.value,
    orElse: () =>
      Effect.fail(
        connectionError("ConnectTimeout", `connecting to ${describe(endpoint)} took longer than ${Duration.format(timeout.value)}`)
      )
  })).pipe(Effect.onError(() => Effect.sync(() => destroyNow(opened))))
  handedOut = true
  const { socket } = makePhaseSocket(established.stream, established.direct)
  return { socket, tls: established.tls, remoteAddress: established.remoteAddress, options } satisfies Transport
})

/**
 * Sends one packet on a fresh connection and waits until the server closes
 * it: how PostgreSQL's CancelRequest is delivered (the server never answers,
 * it only closes). Uses the same TLS options as the session, as libpq does.
 * Bytes the server sends before closing are ignored.
 *
 * @since 0.1.0
 * @category constructors
 */
export const sendAndAwaitClose = (
  options: ConnectOptions,
  packet: Uint8Array,
  connectWith: Connect = connect
): Effect.Effect<void, ConnectionError> =>
  Effect.scoped(
    Effect.gen(function*() {
      const transport = yield* connectWith(options)
      const writer = yield* transport.socket.writer
      yield* Effect.mapError(writer.write(packet), fromSocketError)
      const reader = yield* Effect.mapError(transport.socket.reader, fromSocketError)
      while (true) {
        const outcome = yield* Effect.result(reader.pull)
        if (Result.isFailure(outcome)) {
          const closed = outcome.failure.reason._tag === "SocketCloseError"
          if (closed) return
          return yield* Effect.fail(fromSocketError(outcome.failure))
        }
      }
    })
  )

/**
 * The connection's reader (bytes only: the client never reads text) and
 * writer, each acquired once in the connection's scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const readerAndWriter = (
  transport: Transport
): Effect.Effect<{ readonly reader: Socket.Reader<Uint8Array>; readonly writer: Socket.Writer }, ConnectionError, Scope.Scope> =>
  Effect.gen(function*() {
    const reader = yield* Effect.mapError(transport.socket.reader, fromSocketError)
    const writer = yield* transport.socket.writer
    return { reader: reader as Socket.Reader<Uint8Array>, writer }
  })

/**
 * The operating system's trusted roots (PEM), for libpq's
 * `sslrootcert=system`. (Leaving `rootCertificates` undefined uses Node's
 * default store instead: its bundled Mozilla roots plus `NODE_EXTRA_CA_CERTS`,
 * plus the system store when Node runs with `--use-system-ca`.)
 *
 * @since 0.1.0
 * @category constructors
 */
export const systemRootCertificates: Effect.Effect<ReadonlyArray<string>, ConnectionError> = Effect.try({
  try: () => Tls.getCACertificates("system"),
  catch: (cause) => connectionError("TlsHandshakeFailed", `cannot read the system's root certificates: ${messageOf(cause)}`, cause)
})
