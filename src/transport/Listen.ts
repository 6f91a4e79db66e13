/**
 * Accepts connections for a PostgreSQL server: a TCP listener and/or a
 * Unix-domain socket named as PostgreSQL names it (`<dir>/.s.PGSQL.<port>`),
 * and the server side of both ways to start TLS: the SSLRequest upgrade on
 * an open connection, and direct TLS (PostgreSQL 17+: the client's first byte
 * is a TLS handshake record, ALPN `postgresql`). Each phase of a connection is
 * handed out as an `effect/socket` `Socket`.
 *
 * What it guards against:
 *
 * - CVE-2021-23214: when the server agrees to TLS after an SSLRequest, any
 *   byte already received is refused (`ProtocolError`) instead of being fed
 *   to the TLS layer or read as if it had been encrypted.
 * - Half-open connections: every accepted socket is destroyed when its scope
 *   closes, after at most a second of flushing (`internal/Sockets.ts`).
 *
 * What it does not do: read or write protocol messages (besides the one-byte
 * 'S' answer that must precede the handshake), authenticate, or decide
 * whether TLS is required; the server's session does all of that.
 *
 * @since 0.1.0
 */
import { Buffer } from "node:buffer"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Path from "node:path"
import * as Tls from "node:tls"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as Socket from "effect/socket/Socket"
import { ProtocolError } from "../protocol/ProtocolError.ts"
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
import { makePhaseSocket } from "./internal/PhaseSocket.ts"


/** The first byte of a TLS handshake record: how direct TLS is told apart from a startup packet. */
const tlsHandshakeRecord = 0x16

/**
 * TLS settings of a server.
 *
 * @since 0.1.0
 * @category models
 */
export interface ServerTlsOptions {
  /** The server certificate chain (PEM), or one DER certificate. */
  readonly certificate: string | Uint8Array
  /** Its private key (PEM or DER). */
  readonly key: Redacted.Redacted<string | Uint8Array>
  readonly passphrase?: Redacted.Redacted<string> | undefined
  /**
   * CA certificates (PEM) that client certificates must chain to. When set,
   * the server asks every TLS client for a certificate; a missing or
   * untrusted one does not fail the handshake, it is reported in
   * `ServerTlsInfo` for the authentication step to judge.
   */
  readonly clientCertificateAuthorities?: string | Uint8Array | ReadonlyArray<string | Uint8Array> | undefined
  /** Accept direct TLS (PostgreSQL 17's `sslnegotiation=direct`). Default true. */
  readonly directTls?: boolean | undefined
  readonly minProtocolVersion?: "TLSv1.2" | "TLSv1.3" | undefined
  readonly maxProtocolVersion?: "TLSv1.2" | "TLSv1.3" | undefined
}

/**
 * Where and how to listen.
 *
 * @since 0.1.0
 * @category models
 */
export interface ListenOptions {
  /** The TCP address to bind (`127.0.0.1`, `::`, ...). Without it there is no TCP listener. */
  readonly host?: string | undefined
  /** The TCP port, and the number in the Unix socket's name. 0 picks a free TCP port. Default 5432. */
  readonly port?: number | undefined
  /** A directory for the Unix-domain socket `.s.PGSQL.<port>`. Without it there is no Unix listener. */
  readonly unixSocketDirectory?: string | undefined
  /** The kernel's queue of connections not yet accepted. Default 511. */
  readonly backlog?: number | undefined
  /** TCP keepalive on accepted connections: on by default; a duration sets the idle time before the first probe. */
  readonly keepAlive?: boolean | Duration.Input | undefined
  readonly tls?: ServerTlsOptions | undefined
}

/**
 * What TLS established on a server connection.
 *
 * @since 0.1.0
 * @category models
 */
export interface ServerTlsInfo {
  /** How TLS started: after an SSLRequest, or directly. */
  readonly negotiation: "postgres" | "direct"
  /** The TLS version, e.g. `"TLSv1.3"`. */
  readonly protocol: string | undefined
  /** The ALPN protocol agreed, if any. */
  readonly alpnProtocol: string | undefined
  /** The server's own certificate (DER): the input of `tls-server-end-point` channel binding. */
  readonly localCertificate: Uint8Array | undefined
  /** The client's certificate (DER), when it sent one. */
  readonly peerCertificate: Uint8Array | undefined
  /** Whether the client certificate chains to `clientCertificateAuthorities` and is valid now. */
  readonly peerCertificateAuthorized: boolean
  /** Why it is not authorized (OpenSSL's code), when it is not. */
  readonly peerAuthorizationError: string | undefined
  /** The client certificate's subject common name. */
  readonly peerCommonName: string | undefined
}

/**
 * One phase of an accepted connection: plain, or TLS after an upgrade.
 *
 * `socket.reader` and `socket.writer` always yield the same reader and
 * writer, acquired by the transport; releasing a scope of the caller never
 * closes the connection (its own scope does).
 *
 * @since 0.1.0
 * @category models
 */
export interface ServerTransport {
  readonly socket: Socket.Socket
  readonly reader: Socket.Reader
  readonly writer: Socket.Writer
  /** `undefined` while the connection is plain. */
  readonly tls: ServerTlsInfo | undefined
  readonly kind: "tcp" | "unix"
  /** The peer's IP address, or the socket path. */
  readonly remoteAddress: string
  /** Whether `startTls` can succeed: TLS is configured, the connection is TCP and still plain. */
  readonly canStartTls: boolean
  /**
   * The server's side of an accepted SSLRequest: refuses any byte already
   * received (CVE-2021-23214), sends 'S', runs the handshake, and returns
   * the TLS phase. This phase's reader and writer must not be used again.
   */
  readonly startTls: Effect.Effect<ServerTransport, ConnectionError | ProtocolError>
}

/**
 * A connection the listener accepted; nothing has been read from it yet.
 *
 * @since 0.1.0
 * @category models
 */
export interface IncomingConnection {
  readonly kind: "tcp" | "unix"
  readonly remoteAddress: string
  /**
   * Waits for the first bytes. A TLS handshake record starts direct TLS
   * (when enabled); anything else is left for the caller's first read.
   * Closing the scope closes the connection: flushed, then destroyed.
   */
  readonly open: Effect.Effect<ServerTransport, ConnectionError, Scope.Scope>
  /** Destroys the connection without reading from it (a listener shutting down). */
  readonly destroy: Effect.Effect<void>
}

/**
 * A running listener.
 *
 * @since 0.1.0
 * @category models
 */
export interface Listener {
  /** The bound TCP address, when listening on TCP. */
  readonly tcp: { readonly host: string; readonly port: number } | undefined
  /** The Unix-domain socket's path, when listening on one. */
  readonly unixSocketPath: string | undefined
  /** The next accepted connection; fails with `Closed` once the listener is closed. */
  readonly accept: Effect.Effect<IncomingConnection, ConnectionError>
  /** Stops accepting; connections already accepted are not touched. Idempotent. */
  readonly close: Effect.Effect<void>
}

// ---------------------------------------------------------------------------
// TLS

interface TlsSetup {
  readonly options: ServerTlsOptions
  /** What each handshake's `tls.Server` is made with. */
  readonly serverOptions: Tls.TlsOptions
}

/**
 * Checks the certificate and key once, when listening starts. Each
 * handshake then runs in a `tls.Server` of its own (never listening): it is
 * what sets `authorized` from the client certificate, which a bare server
 * `TLSSocket` does not, at the cost of a secure context per TLS connection.
 */
const makeTlsSetup = (options: ServerTlsOptions): Effect.Effect<TlsSetup, ConnectionError> =>
  Effect.try({
    try: () => {
      const serverOptions: Tls.TlsOptions = {
        cert: toBuffer(options.certificate),
        key: toBuffer(Redacted.value(options.key)),
        ...(options.passphrase !== undefined ? { passphrase: Redacted.value(options.passphrase) } : {}),
        ...(options.clientCertificateAuthorities !== undefined ? { ca: toBuffers(options.clientCertificateAuthorities) } : {}),
        ...(options.minProtocolVersion !== undefined ? { minVersion: options.minProtocolVersion } : {}),
        ...(options.maxProtocolVersion !== undefined ? { maxVersion: options.maxProtocolVersion } : {}),
        ALPNProtocols: [alpnProtocol],
        requestCert: options.clientCertificateAuthorities !== undefined,
        rejectUnauthorized: false
      }
      Tls.createSecureContext(serverOptions)
      return { options, serverOptions }
    },
    catch: (cause) => connectionError("TlsHandshakeFailed", `cannot load the server certificate or key: ${messageOf(cause)}`, cause)
  })

const commonNameOf = (subject: unknown): string | undefined => {
  if (typeof subject !== "object" || subject === null || !("CN" in subject)) return undefined
  const cn: unknown = subject.CN
  if (typeof cn === "string") return cn
  // A certificate with several CNs: PostgreSQL refuses to guess, and so do we.
  return undefined
}

const tlsInfoOf = (socket: Tls.TLSSocket, negotiation: "postgres" | "direct"): ServerTlsInfo => {
  const local = socket.getCertificate()
  const localRaw = local !== null && "raw" in local ? local.raw : undefined
  const peer = socket.getPeerCertificate()
  // An empty object when the client sent no certificate.
  const peerRaw: Buffer | undefined = peer.raw
  const error: unknown = socket.authorizationError
  return {
    negotiation,
    protocol: socket.getProtocol() ?? undefined,
    alpnProtocol: typeof socket.alpnProtocol === "string" ? socket.alpnProtocol : undefined,
    localCertificate: localRaw === undefined ? undefined : new Uint8Array(localRaw),
    peerCertificate: peerRaw === undefined ? undefined : new Uint8Array(peerRaw),
    peerCertificateAuthorized: peerRaw !== undefined && socket.authorized,
    peerAuthorizationError: error === undefined || error === null ? undefined : (codeOf(error) ?? messageOf(error)),
    peerCommonName: peerRaw === undefined ? undefined : commonNameOf(peer.subject)
  }
}

/**
 * Runs the server side of a handshake on `raw`. Bytes already buffered on
 * `raw` (a direct-TLS ClientHello put back with `unshift`) are fed to the
 * TLS layer by Node.
 */
const handshake = (
  raw: Net.Socket,
  setup: TlsSetup,
  opened: Array<Net.Socket>
): Effect.Effect<Tls.TLSSocket, ConnectionError> =>
  Effect.callback<Tls.TLSSocket, ConnectionError>((resume) => {
    if (raw.destroyed || raw.readableEnded) {
      resume(Effect.fail(connectionError("Closed", "the connection closed before the TLS handshake")))
      return
    }
    let server: Tls.Server
    try {
      server = Tls.createServer(setup.serverOptions)
    } catch (cause) {
      resume(Effect.fail(connectionError("TlsHandshakeFailed", `cannot set up TLS: ${messageOf(cause)}`, cause)))
      return
    }
    const cleanup = () => {
      server.off("secureConnection", onSecure)
      server.off("tlsClientError", onError)
      raw.off("close", onClose)
    }
    const onSecure = (secure: Tls.TLSSocket) => {
      cleanup()
      opened.push(secure)
      secure.on("error", ignoreError)
      resume(Effect.succeed(secure))
    }
    const onError = (cause: Error) => {
      cleanup()
      const code = codeOf(cause)
      resume(
        Effect.fail(
          code !== undefined && code.includes("NO_APPLICATION_PROTOCOL")
            ? connectionError("AlpnMismatch", `the client offered no ALPN protocol "${alpnProtocol}": ${cause.message}`, cause)
            : connectionError("TlsHandshakeFailed", `TLS handshake failed: ${cause.message}`, cause)
        )
      )
    }
    const onClose = () => {
      cleanup()
      resume(Effect.fail(connectionError("TlsHandshakeFailed", "the connection closed during the TLS handshake")))
    }
    server.once("secureConnection", onSecure)
    server.once("tlsClientError", onError)
    raw.once("close", onClose)
    server.emit("connection", raw)
    return Effect.sync(cleanup)
  })

// ---------------------------------------------------------------------------
// Connections

/** Waits until at least one byte can be read from the paused socket. */
const awaitReadable = (raw: Net.Socket): Effect.Effect<void, ConnectionError> =>
  Effect.callback<void, ConnectionError>((resume) => {
    if (raw.readableLength > 0) {
      resume(Effect.void)
      return
    }
    if (raw.destroyed || raw.readableEnded) {
      resume(Effect.fail(connectionError("Closed", "the client closed the connection before sending anything")))
      return
    }
    const cleanup = () => {
      raw.off("readable", onReadable)
      raw.off("end", onEnd)
      raw.off("close", onEnd)
    }
    const onReadable = () => {
      if (raw.readableLength === 0) return
      cleanup()
      resume(Effect.void)
    }
    const onEnd = () => {
      cleanup()
      resume(Effect.fail(connectionError("Closed", "the client closed the connection before sending anything")))
    }
    raw.on("readable", onReadable)
    raw.once("end", onEnd)
    raw.once("close", onEnd)
    return Effect.sync(cleanup)
  })

const unexpectedData = (count: number): ProtocolError =>
  new ProtocolError({
    reason: "InvalidValue",
    message: `received ${count} unencrypted byte(s) after an SSLRequest, before the TLS handshake`,
    offset: -1,
    messageType: "SSLRequest"
  })

/** The one-byte answer that accepts an SSLRequest. */
const sslAccepted = new Uint8Array([0x53])

const makeIncoming = (raw: Net.Socket, kind: "tcp" | "unix", remoteAddress: string, tls: TlsSetup | undefined): IncomingConnection => {
  const open = Effect.gen(function*() {
    const opened: Array<Net.Socket> = [raw]
    yield* Effect.addFinalizer(() => Effect.sync(() => release(opened)))

    const makePhase = Effect.fnUntraced(function*(
      stream: Net.Socket,
      tlsInfo: ServerTlsInfo | undefined
    ): Effect.fn.Return<ServerTransport, ConnectionError> {
      const { detach, reader, socket, writer } = makePhaseSocket(stream)
      const canStartTls = tls !== undefined && kind === "tcp" && tlsInfo === undefined
      const startTls: Effect.Effect<ServerTransport, ConnectionError | ProtocolError> = Effect.gen(function*() {
        if (!canStartTls || tls === undefined) {
          return yield* Effect.fail(connectionError("TlsHandshakeFailed", "TLS is not available on this connection"))
        }
        // Anything received before 'S' was sent was not encrypted (CVE-2021-23214):
        // bytes the reader queued, and bytes still in Node's buffer.
        const unread = detach() + raw.readableLength
        if (unread > 0) return yield* Effect.fail(unexpectedData(unread))
        yield* Effect.mapError(writer.write(sslAccepted), fromSocketError)
        const secure = yield* handshake(raw, tls, opened)
        return yield* makePhase(secure, tlsInfoOf(secure, "postgres"))
      })
      return { socket, reader, writer, tls: tlsInfo, kind, remoteAddress, canStartTls, startTls }
    })

    const direct = tls !== undefined && kind === "tcp" && tls.options.directTls !== false
    if (direct) {
      yield* awaitReadable(raw)
      const first: Buffer | null = raw.read()
      if (first !== null) {
        raw.unshift(first)
        if (first[0] === tlsHandshakeRecord) {
          const secure = yield* handshake(raw, tls, opened)
          return yield* makePhase(secure, tlsInfoOf(secure, "direct"))
        }
      }
    }
    return yield* makePhase(raw, undefined)
  })
  return { kind, remoteAddress, open, destroy: Effect.sync(() => raw.destroy()) }
}

// ---------------------------------------------------------------------------
// Listeners

const listenOn = (server: Net.Server, options: Net.ListenOptions): Effect.Effect<void, Error> =>
  Effect.callback<void, Error>((resume) => {
    const onError = (error: Error) => {
      server.off("listening", onListening)
      resume(Effect.fail(error))
    }
    const onListening = () => {
      server.off("error", onError)
      resume(Effect.void)
    }
    server.once("error", onError)
    server.once("listening", onListening)
    server.listen(options)
  })

/**
 * Stops accepting. Node calls `close`'s callback only once every accepted
 * connection has ended, which is the sessions' business, not the
 * listener's: the listening socket itself is closed at once.
 */
const closeServer = (server: Net.Server): void => {
  if (server.listening) server.close()
}

/** Whether a Unix socket file is left over from a process that is gone: nobody accepts on it. */
const isStaleSocket = (path: string): Effect.Effect<boolean> =>
  Effect.callback<boolean>((resume) => {
    const probe = Net.createConnection({ path })
    probe.once("connect", () => {
      probe.destroy()
      resume(Effect.succeed(false))
    })
    probe.once("error", (error) => {
      probe.destroy()
      resume(Effect.succeed(codeOf(error) === "ECONNREFUSED"))
    })
  })

/**
 * Listens on TCP and/or a Unix-domain socket. Closing the scope stops
 * accepting and destroys connections accepted but not yet taken by
 * `accept`; connections already taken belong to their own scopes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const listen = Effect.fnUntraced(function*(options: ListenOptions): Effect.fn.Return<Listener, ConnectionError, Scope.Scope> {
  if (options.host === undefined && options.unixSocketDirectory === undefined) {
    return yield* Effect.fail(connectionError("ConnectFailed", "nothing to listen on: give a host, a Unix socket directory, or both"))
  }
  const keepAlive = yield* keepAliveOf(options.keepAlive)
  const tls = options.tls === undefined ? undefined : yield* makeTlsSetup(options.tls)
  const backlog = options.backlog ?? 511

  const pending: Array<IncomingConnection> = []
  let waiter: ((effect: Effect.Effect<IncomingConnection, ConnectionError>) => void) | undefined
  let closed = false
  const servers: Array<Net.Server> = []

  const deliver = (incoming: IncomingConnection) => {
    if (waiter !== undefined) {
      const resume = waiter
      waiter = undefined
      resume(Effect.succeed(incoming))
    } else {
      pending.push(incoming)
    }
  }

  const onConnection = (kind: "tcp" | "unix", display: string) => (raw: Net.Socket) => {
    raw.on("error", ignoreError)
    if (closed) {
      raw.destroy()
      return
    }
    // Nothing is read until the session pulls: backpressure from the first byte.
    raw.pause()
    if (kind === "tcp") {
      raw.setNoDelay(true)
      if (keepAlive !== false) raw.setKeepAlive(true, keepAlive)
    }
    deliver(makeIncoming(raw, kind, kind === "tcp" ? raw.remoteAddress ?? "unknown" : display, tls))
  }

  const close = Effect.suspend(() => {
    if (closed) return Effect.void
    closed = true
    for (const incoming of pending.splice(0)) Effect.runSync(incoming.destroy)
    if (waiter !== undefined) {
      const resume = waiter
      waiter = undefined
      resume(Effect.fail(connectionError("Closed", "the listener is closed")))
    }
    for (const server of servers) closeServer(server)
    return Effect.void
  })
  yield* Effect.addFinalizer(() => close)

  let tcp: { readonly host: string; readonly port: number } | undefined
  if (options.host !== undefined) {
    const server = Net.createServer(onConnection("tcp", ""))
    servers.push(server)
    const host = options.host
    yield* Effect.mapError(
      listenOn(server, { host, port: options.port ?? 5432, backlog }),
      (cause) => connectionError("ConnectFailed", `cannot listen on ${host}:${options.port ?? 5432}: ${cause.message}`, cause)
    )
    server.on("error", ignoreError)
    const address = server.address()
    tcp = typeof address === "object" && address !== null ? { host: address.address, port: address.port } : { host, port: options.port ?? 5432 }
  }

  let unixSocketPath: string | undefined
  if (options.unixSocketDirectory !== undefined) {
    const port = options.port !== undefined && options.port !== 0 ? options.port : tcp?.port ?? 5432
    const path = Path.join(options.unixSocketDirectory, `.s.PGSQL.${port}`)
    const server = Net.createServer(onConnection("unix", path))
    servers.push(server)
    const attempt = listenOn(server, { path, backlog })
    yield* attempt.pipe(
      Effect.catch((cause) =>
        codeOf(cause) !== "EADDRINUSE"
          ? Effect.fail(cause)
          : Effect.flatMap(isStaleSocket(path), (stale) => {
            if (!stale) return Effect.fail(cause)
            return Effect.flatMap(
              Effect.try({ try: () => Fs.unlinkSync(path), catch: () => cause }),
              () => attempt
            )
          })
      ),
      Effect.mapError((cause) => connectionError("ConnectFailed", `cannot listen on Unix socket "${path}": ${cause.message}`, cause))
    )
    server.on("error", ignoreError)
    unixSocketPath = path
  }

  const accept: Effect.Effect<IncomingConnection, ConnectionError> = Effect.callback<IncomingConnection, ConnectionError>((resume) => {
    const next = pending.shift()
    if (next !== undefined) {
      resume(Effect.succeed(next))
      return
    }
    if (closed) {
      resume(Effect.fail(connectionError("Closed", "the listener is closed")))
      return
    }
    waiter = resume
    return Effect.sync(() => {
      if (waiter === resume) waiter = undefined
    })
  })

  return { tcp, unixSocketPath, accept, close }
})

/**
 * A TCP port on `host` that is free right now (the operating system picks
 * one), for starting a helper server on it. Another process may take it
 * before it is used; callers that can listen on port 0 directly should.
 *
 * @since 0.1.0
 * @category utils
 */
export const freePort = (host = "127.0.0.1"): Effect.Effect<number, ConnectionError> =>
  Effect.callback<number, ConnectionError>((resume) => {
    const server = Net.createServer()
    server.once("error", (cause) =>
      resume(Effect.fail(new ConnectionError({ reason: "SocketError", message: `cannot find a free port on ${host}: ${cause.message}`, cause }))))
    server.listen(0, host, () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resume(Effect.succeed(port)))
    })
  })
