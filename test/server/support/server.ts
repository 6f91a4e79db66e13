/**
 * Test servers: our `PgServer` with the demo engine on 127.0.0.1 (a free
 * port) and, when asked, a Unix socket in a temp directory, started in the
 * test's scope and shut down with it. Also the committed test certificates
 * as server TLS options, and a way to run a Promise-based client inside an
 * Effect test.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { AuthProvider, type AuthProviderShape } from "../../../src/server/AuthProvider.ts"
import * as DemoEngine from "../../../src/server/demo/DemoEngine.ts"
import { PgServer, type PgServerShape } from "../../../src/server/PgServer.ts"
import { QueryHandler, type QueryHandlerShape } from "../../../src/server/QueryHandler.ts"
import type { PgServerOptions } from "../../../src/server/ServerOptions.ts"
import type { ServerTlsOptions } from "../../../src/transport/Listen.ts"
import { testCerts } from "../../support/postgres.ts"

export const certs = testCerts()

/** The test server certificate (localhost, 127.0.0.1) and key; client certificates checked against the test CA. */
export const serverTls = (extra?: Partial<ServerTlsOptions>): ServerTlsOptions => ({
  certificate: certs.serverLocalhost.cert,
  key: Redacted.make(certs.serverLocalhost.key),
  clientCertificateAuthorities: certs.ca.cert,
  ...extra
})

export interface TestServer {
  readonly server: PgServerShape
  readonly engine: DemoEngine.DemoEngine
  readonly port: number
  readonly host: string
  /** The directory of the Unix socket, when one was asked for. */
  readonly socketDirectory: string | undefined
}

/** A temp directory removed with the scope. */
export const tempDirectory: Effect.Effect<string, never, Scope.Scope> = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "pgwire-server-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

export interface StartOptions extends Omit<PgServerOptions, "host" | "port" | "unixSocketDirectory"> {
  readonly unixSocket?: boolean
  readonly auth?: AuthProviderShape
  readonly handler?: QueryHandlerShape
}

/** Starts a server with the demo engine (or `handler`) in the current scope. */
export const startServer = (options: StartOptions = {}): Effect.Effect<TestServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const engine = DemoEngine.make()
    const socketDirectory = options.unixSocket === true ? yield* tempDirectory : undefined
    const { auth, handler, unixSocket: _, ...rest } = options
    const layers = Layer.mergeAll(
      Layer.succeed(QueryHandler)(handler ?? engine.handler),
      Layer.succeed(AuthProvider)(auth ?? AuthProvider.trust)
    )
    const server = yield* PgServer.make({ ...rest, host: "127.0.0.1", port: 0, unixSocketDirectory: socketDirectory }).pipe(
      Effect.provide(layers),
      Effect.orDie
    )
    return { server, engine, port: server.tcp!.port, host: "127.0.0.1", socketDirectory }
  })

/** Runs a Promise-returning function (a pg or postgres.js client) as an Effect. */
export const promise = <A>(f: () => Promise<A>): Effect.Effect<A, unknown> => Effect.tryPromise({ try: f, catch: (e) => e })

/** Runs a Promise-returning function and captures its rejection as a value. */
export const settle = <A>(f: () => Promise<A>): Effect.Effect<{ readonly ok: true; readonly value: A } | { readonly ok: false; readonly error: unknown }> =>
  Effect.promise(() => f().then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error })))
