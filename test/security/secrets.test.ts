/**
 * No secret reaches an error, a log line, a span or a printed configuration.
 *
 * One run drives our client (single connections and a pool, which traces)
 * against our server (TLS with its private key; SCRAM, MD5, cleartext and
 * certificate authentication) through succeeding and failing logins (right
 * password, wrong password, unknown user, untrusted or mismatched client
 * key, wrong key passphrase), cancellations in protocol 3.0 and 3.2, and
 * configurations with passwords (connection strings, effect `Config`, the
 * environment, a password file). Everything that comes out is captured:
 *
 * - every log line, at every level, as effect's logfmt and JSON loggers
 *   print it (a test `Logger` on client and server fibers alike);
 * - every span (a test `Tracer`): name, attributes, events, and the exit it
 *   ended with, its cause printed;
 * - every error, as `Cause.pretty`, `String`, `JSON.stringify` and
 *   `util.inspect` render it (hidden fields too), and each nested `cause`;
 * - configurations and options objects, rendered the same ways.
 *
 * Then each captured text is searched for every secret, in each form a
 * leak would take: passwords (right and attempted), the SCRAM verifier
 * (its text, StoredKey, ServerKey, salt, the salted password and ClientKey
 * in base64 and hex), the stored MD5 hash, every line of the PEM bodies of
 * the server and client keys, the key passphrase, and the cancel keys (hex,
 * base64, and for 32-byte keys their decimal listing).
 *
 * Also the protocol trace (`traceFrontend`/`traceBackend`, PQtrace's
 * format): sessions recorded through a relay are traced message by message
 * and searched for passwords, MD5 responses, SCRAM proofs and signatures,
 * and cancel keys.
 */
import { createPrivateKey } from "node:crypto"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import * as util from "node:util"
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as Redacted from "effect/Redacted"
import * as References from "effect/References"
import type * as Scope from "effect/Scope"
import * as Tracer from "effect/Tracer"
import { Md5, ScramKeys, ScramVerifier, StoredPassword } from "../../src/auth/index.ts"
import { fromConfig, load, parseConnectionString, type PgConnectionConfig, resolve } from "../../src/client/Config.ts"
import { PgConnection } from "../../src/client/PgConnection.ts"
import * as Pool from "../../src/client/Pool.ts"
import {
  type FrontendMessage,
  makeBackendParser,
  makeFrontendParser,
  type PasswordMessageKind,
  refinePasswordMessage,
  traceBackend,
  traceFrontend
} from "../../src/protocol/index.ts"
import { AuthMethod, AuthProvider } from "../../src/server/AuthProvider.ts"
import * as DemoEngine from "../../src/server/demo/DemoEngine.ts"
import { PgServer } from "../../src/server/PgServer.ts"
import { QueryHandler } from "../../src/server/QueryHandler.ts"
import { certs, startServer } from "../server/support/server.ts"

const PASSWORDS = {
  scram: "scram-pw-Q7x9kLmVv2",
  md5: "md5-pw-Z3v8pRtWw4",
  clear: "clear-pw-H2j5wNsXx6",
  wrong: "wrong-guess-B6n4yUeYy8",
  pool: "pool-pw-K8m2qDfZz1",
  passphrase: "key-passphrase-T1r7gHj",
  config: "config-pw-N5b3cVxAa9"
} as const

/**
 * Strings planted where the search must find them (a log line of the test,
 * a defect logged by a server session, a span attribute): proof that each
 * channel is captured and searched.
 */
const CANARIES = {
  log: "canary-log-Xq81",
  server: "canary-server-Rw52",
  span: "canary-span-Pz73"
} as const

/** Every form a byte secret takes in text: base64 (padded), hex, and for long ones the decimal listing of util.inspect and JSON. */
const byteForms = (bytes: Uint8Array): Array<string> => {
  const buffer = Buffer.from(bytes)
  const forms = [buffer.toString("base64"), buffer.toString("hex")]
  if (bytes.length >= 16) forms.push(Array.from(bytes).join(","), Array.from(bytes).join(", "))
  return forms
}

/** The base64 lines of a PEM body (each long enough to be unmistakable). */
const pemLines = (pem: string): Array<string> =>
  pem.split("\n").map((line) => line.trim()).filter((line) => line.length >= 16 && !line.startsWith("-----"))

const jsonOf = (value: unknown): string => {
  try {
    return JSON.stringify(value, (_, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString("base64") : typeof v === "bigint" ? String(v) : v)) ?? ""
  } catch (error) {
    return `unserializable: ${String(error)}`
  }
}

/** Every rendering of a value, its `cause` chain included. */
const renderings = (value: unknown, seen = new Set<unknown>()): Array<string> => {
  if (seen.has(value)) return []
  seen.add(value)
  const out = [
    String(value),
    jsonOf(value),
    util.inspect(value, { depth: 20 }),
    util.inspect(value, { depth: 20, showHidden: true })
  ]
  if (typeof value === "object" && value !== null) {
    if (value instanceof Error || "_tag" in value) out.push(Cause.pretty(Cause.fail(value)))
    if ("cause" in value && value.cause !== undefined) out.push(...renderings(value.cause, seen))
  }
  return out
}

const capture = (): {
  readonly texts: Array<{ readonly where: string; readonly text: string }>
  readonly logger: Logger.Logger<unknown, void>
  readonly tracer: Tracer.Tracer
  readonly spans: Array<Tracer.NativeSpan>
  readonly add: (where: string, value: unknown) => void
  readonly addExit: (where: string, exit: Exit.Exit<unknown, unknown>) => void
} => {
  const texts: Array<{ where: string; text: string }> = []
  const spans: Array<Tracer.NativeSpan> = []
  const logger = Logger.make((options) => {
    texts.push({ where: "log (logfmt)", text: Logger.formatLogFmt.log(options) })
    texts.push({ where: "log (json)", text: Logger.formatJson.log(options) })
    texts.push({ where: "log (cause)", text: Cause.pretty(options.cause) })
  })
  const tracer = Tracer.make({
    span: (options) => {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    }
  })
  const add = (where: string, value: unknown) => {
    for (const text of renderings(value)) texts.push({ where, text })
  }
  const addExit = (where: string, exit: Exit.Exit<unknown, unknown>) => {
    if (Exit.isSuccess(exit)) return
    texts.push({ where: `${where} (Cause.pretty)`, text: Cause.pretty(exit.cause) })
    for (const reason of exit.cause.reasons) {
      if (reason._tag === "Fail") add(where, reason.error)
      if (reason._tag === "Die") add(where, reason.defect)
    }
  }
  return { texts, logger, tracer, spans, add, addExit }
}

const spanTexts = (spans: ReadonlyArray<Tracer.NativeSpan>): Array<{ where: string; text: string }> =>
  spans.flatMap((span) => {
    const where = `span ${span.name}`
    const out = [
      { where, text: span.name },
      { where, text: jsonOf(Object.fromEntries(span.attributes)) },
      { where, text: util.inspect(span.attributes, { depth: 20 }) },
      { where, text: jsonOf(span.events) }
    ]
    if (span.status._tag === "Ended" && Exit.isFailure(span.status.exit)) {
      out.push({ where: `${where} exit`, text: Cause.pretty(span.status.exit.cause) })
      for (const reason of span.status.exit.cause.reasons) {
        if (reason._tag === "Fail") for (const text of renderings(reason.error)) out.push({ where: `${where} exit`, text })
      }
    }
    return out
  })

describe("secrets never appear in errors, logs, spans or printed configurations", () => {
  it.live("logins that succeed and fail with every method, TLS keys, cancellations, pools and configurations", () =>
    Effect.gen(function*() {
      const run = capture()
      const cancelKeys: Array<Uint8Array> = []
      const counts = { connections: 0, failures: 0, cancels: 0 }
      const home = Fs.mkdtempSync(Path.join(Os.tmpdir(), "pgwire-secrets-"))

      // What the server stores, and what derives from it.
      const verifier = yield* ScramVerifier.make(PASSWORDS.scram)
      const md5Hash = Md5.hashPassword(PASSWORDS.md5, "md5_user")
      const salted = ScramKeys.saltedPasswordSync(new TextEncoder().encode(PASSWORDS.scram), verifier.salt, verifier.iterations)
      if (salted._tag === "Failure") return yield* Effect.die("PBKDF2 failed")
      const encryptedClientKey = createPrivateKey(certs.client.key).export({
        format: "pem",
        type: "pkcs8",
        cipher: "aes-256-cbc",
        passphrase: PASSWORDS.passphrase
      }).toString()
      const secrets: Array<{ what: string; text: string }> = [
        ...Object.entries(PASSWORDS).map(([name, text]) => ({ what: `password ${name}`, text })),
        { what: "SCRAM verifier", text: ScramVerifier.format(verifier) },
        ...byteForms(Redacted.value(verifier.storedKey)).map((text) => ({ what: "StoredKey", text })),
        ...byteForms(Redacted.value(verifier.serverKey)).map((text) => ({ what: "ServerKey", text })),
        ...byteForms(verifier.salt).map((text) => ({ what: "verifier salt", text })),
        ...byteForms(Redacted.value(salted.success)).map((text) => ({ what: "SaltedPassword", text })),
        ...byteForms(ScramKeys.clientKey(salted.success)).map((text) => ({ what: "ClientKey", text })),
        { what: "MD5 hash", text: md5Hash.slice(3) },
        ...pemLines(certs.serverLocalhost.key).map((text) => ({ what: "server key PEM", text })),
        ...pemLines(certs.client.key).map((text) => ({ what: "client key PEM", text })),
        ...pemLines(certs.untrustedClient.key).map((text) => ({ what: "untrusted client key PEM", text })),
        ...pemLines(encryptedClientKey).map((text) => ({ what: "encrypted client key PEM", text }))
      ]

      const program = Effect.gen(function*() {
        const table = new Map<string, StoredPassword.StoredPassword>([
          ["scram_user", verifier],
          ["md5_user", { _tag: "Md5Hash", hash: Redacted.make(md5Hash) }],
          ["clear_user", StoredPassword.plain(PASSWORDS.clear)],
          ["pool_user", yield* ScramVerifier.make(PASSWORDS.pool)]
        ])
        const auth = AuthProvider.make({
          method: (client) =>
            client.user === "canary_user"
              ? Effect.die(new Error(CANARIES.server))
              : Effect.succeed(
              client.user === "cert_user"
                ? AuthMethod.certificate()
                : client.user.startsWith("md5")
                ? AuthMethod.md5
                : client.user.startsWith("clear")
                ? AuthMethod.password
                : AuthMethod.scramSha256
            ),
          lookup: (user) => Effect.succeed(table.get(user))
        })
        const { port } = yield* startServer({
          auth,
          tls: { certificate: certs.serverLocalhost.cert, key: Redacted.make(certs.serverLocalhost.key), clientCertificateAuthorities: certs.ca.cert }
        })
        const plain: PgConnectionConfig = { host: "127.0.0.1", port, sslMode: "disable", connectTimeout: "10 seconds" }
        const tls: PgConnectionConfig = { host: "localhost", hostaddr: "127.0.0.1", port, sslMode: "verify-full", sslRootCert: certs.ca.cert, connectTimeout: "10 seconds" }

        const connect = (where: string, config: PgConnectionConfig) =>
          Effect.gen(function*() {
            counts.connections++
            // The options object is the caller's; what the library makes of it is rendered.
            run.add(`${where} resolved config`, yield* resolve(config))
            const exit = yield* Effect.exit(Effect.scoped(Effect.flatMap(PgConnection.make(config), (c) => c.query("SELECT 1::int4 AS one"))))
            if (Exit.isFailure(exit)) counts.failures++
            run.addExit(where, exit)
            return exit
          })

        // The canaries.
        yield* Effect.logDebug("a test log line", CANARIES.log)
        yield* Effect.withSpan(Effect.void, "canary", { attributes: { planted: CANARIES.span } })
        expect(Exit.isFailure(yield* connect("canary", { ...plain, user: "canary_user" }))).toBe(true)

        // Passwords: right, wrong, and an unknown user, per method, plain and over TLS.
        const methods = [
          { user: "scram_user", password: PASSWORDS.scram, unknown: "scram_nobody" },
          { user: "md5_user", password: PASSWORDS.md5, unknown: "md5_nobody" },
          { user: "clear_user", password: PASSWORDS.clear, unknown: "clear_nobody" }
        ]
        for (const transport of [plain, tls]) {
          for (const m of methods) {
            const where = `${m.user} ${transport.sslMode}`
            expect(Exit.isSuccess(yield* connect(`${where} right`, { ...transport, user: m.user, password: m.password }))).toBe(true)
            expect(Exit.isFailure(yield* connect(`${where} wrong`, { ...transport, user: m.user, password: PASSWORDS.wrong }))).toBe(true)
            expect(Exit.isFailure(yield* connect(`${where} unknown`, { ...transport, user: m.unknown, password: Redacted.make(PASSWORDS.wrong) }))).toBe(true)
          }
        }
        // Client certificates and keys.
        const cert = { ...tls, user: "cert_user", sslCert: certs.client.cert }
        expect(Exit.isSuccess(yield* connect("cert right", { ...cert, sslKey: Redacted.make(certs.client.key) }))).toBe(true)
        expect(Exit.isSuccess(yield* connect("cert passphrase", { ...cert, sslKey: encryptedClientKey, sslPassword: PASSWORDS.passphrase }))).toBe(true)
        expect(Exit.isFailure(yield* connect("cert wrong passphrase", { ...cert, sslKey: encryptedClientKey, sslPassword: PASSWORDS.wrong }))).toBe(true)
        expect(Exit.isFailure(yield* connect("cert mismatched key", { ...cert, sslKey: certs.untrustedClient.key }))).toBe(true)
        expect(Exit.isFailure(yield* connect("cert untrusted", { ...cert, sslCert: certs.untrustedClient.cert, sslKey: certs.untrustedClient.key }))).toBe(true)
        expect(Exit.isFailure(yield* connect("cert other user", { ...cert, user: "scram_user", sslKey: certs.client.key }))).toBe(true)

        // Cancellations, with 4- and 32-byte keys: an explicit cancel and an interrupted query.
        for (const maxProtocolVersion of ["3.0", "3.2"] as const) {
          yield* Effect.scoped(Effect.gen(function*() {
            const c = yield* PgConnection.make({ ...tls, user: "scram_user", password: PASSWORDS.scram, maxProtocolVersion })
            const key = c.info.secretKey
            if (key !== undefined) cancelKeys.push(key)
            const running = yield* Effect.forkChild(Effect.exit(c.query("SELECT pg_sleep(5)")))
            yield* Effect.sleep("100 millis")
            yield* c.cancel
            counts.cancels++
            const exit = yield* Fiber.join(running)
            expect(Exit.isFailure(exit)).toBe(true)
            run.addExit(`cancel ${maxProtocolVersion}`, exit)
            const timedOut = yield* Effect.exit(Effect.timeout(c.query("SELECT pg_sleep(5)"), "100 millis"))
            counts.cancels++
            run.addExit(`interrupted ${maxProtocolVersion}`, timedOut)
            // The connection goes on once the server has ended the cancelled statement.
            expect((yield* c.query("SELECT 1::int4 AS one")).rows).toEqual([{ one: 1 }])
            run.add(`stats ${maxProtocolVersion}`, yield* c.stats)
          }))
        }

        // Several hosts, each refusing the password: the HostsError lists every attempt.
        expect(Exit.isFailure(yield* connect("hosts", { ...plain, host: "127.0.0.1,127.0.0.1", port: `${port},${port}`, user: "scram_user", password: PASSWORDS.wrong }))).toBe(true)
        // A verifier that does not parse, and a server key that does not match its certificate.
        const format = ScramVerifier.format(verifier)
        for (const bad of [`${format.slice(0, -4)}!!!=`, `${format}:extra`, format.replace("$4096:", "$0:")]) {
          const exit = yield* Effect.exit(AuthProvider.passwords({ method: "scram-sha-256", users: { x: bad } }))
          expect(Exit.isFailure(exit)).toBe(true)
          run.addExit("bad verifier", exit)
        }
        const mismatched = yield* Effect.exit(Effect.scoped(PgServer.make({
          host: "127.0.0.1",
          port: 0,
          tls: { certificate: certs.serverLocalhost.cert, key: Redacted.make(certs.client.key), passphrase: Redacted.make(PASSWORDS.passphrase) }
        }).pipe(Effect.provideService(QueryHandler, DemoEngine.make().handler))))
        expect(Exit.isFailure(mismatched)).toBe(true)
        run.addExit("server key mismatch", mismatched)

        // A pool (traced): a password in its URL, right and wrong.
        for (const password of [PASSWORDS.pool, PASSWORDS.wrong]) {
          yield* Effect.scoped(Effect.gen(function*() {
            const url = `postgresql://pool_user:${encodeURIComponent(password)}@localhost:${port}/db?hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert=${encodeURIComponent(certs.ca.certFile)}`
            const pool = yield* Pool.make({ connection: url, acquireTimeout: "10 seconds" })
            const exit = yield* Effect.exit(pool.query("SELECT 1::int4 AS one"))
            expect(Exit.isSuccess(exit)).toBe(password === PASSWORDS.pool)
            run.addExit("pool", exit)
            const failing = yield* Effect.exit(pool.query("SELECT 1/0"))
            run.addExit("pool query error", failing)
          }))
        }

        // Configurations holding passwords, and the errors of bad ones.
        const configText = `host=h port=5432 user=u password=${PASSWORDS.config} sslpassword=${PASSWORDS.passphrase}`
        const uriText = `postgresql://u:${PASSWORDS.config}@h:5432/db?sslpassword=${PASSWORDS.passphrase}`
        for (const text of [configText, uriText]) {
          const parsed = yield* parseConnectionString(text)
          run.add("parsed config", parsed)
          run.add("resolved config", yield* resolve(parsed))
        }
        for (const bad of [
          `postgresql://u:${PASSWORDS.config}@[::1`,
          `postgresql://u:${PASSWORDS.config}@h:5432/db?sslmode=bogus`,
          `postgresql://u:${PASSWORDS.config}%zz@h/db`,
          `postgresql://u@h/db?password=${PASSWORDS.config}%zz`,
          `postgresql://u:${PASSWORDS.config}@h/db?nosuchoption=1`,
          `host=h password=${PASSWORDS.config} extra`,
          `host=h password='${PASSWORDS.config}`,
          `host=h password=${PASSWORDS.config} port=notaport`
        ]) {
          const exit = yield* Effect.exit(Effect.flatMap(parseConnectionString(bad), (config) => resolve(config)))
          expect(Exit.isFailure(exit)).toBe(true)
          run.addExit(`bad config ${bad.slice(0, 12)}`, exit)
        }
        const provider = ConfigProvider.fromUnknown({
          DATABASE: { URL: uriText, PASSWORD: PASSWORDS.config, SSLPASSWORD: PASSWORDS.passphrase, PORT: 5432 }
        })
        const fromEffectConfig = yield* fromConfig().parse(provider)
        run.add("effect Config", fromEffectConfig)
        const badConfig = yield* Effect.exit(fromConfig().parse(ConfigProvider.fromUnknown({ DATABASE: { URL: `${uriText}&port=x` } })))
        run.addExit("effect Config error", badConfig)
        run.add("effect Config redacted", yield* Config.Redacted("P").parse(ConfigProvider.fromUnknown({ P: PASSWORDS.config })))
        // The environment and a password file readable by others (ignored, with a warning).
        const passfile = Path.join(home, ".pgpass")
        Fs.writeFileSync(passfile, `*:*:*:*:${PASSWORDS.config}\n`, { mode: 0o644 })
        Fs.chmodSync(passfile, 0o644)
        const loaded = yield* load({ host: "h", user: "u" }, { env: { PGPASSWORD: PASSWORDS.config, PGSSLPASSWORD: PASSWORDS.passphrase }, home, osUser: "u" })
        run.add("loaded config", loaded)
        const fromFile = yield* load({ host: "h", user: "u" }, { env: {}, home, osUser: "u" })
        run.add("loaded config (pgpass)", fromFile)
      })

      yield* program.pipe(
        Effect.scoped,
        Effect.provide(Logger.layer([run.logger])),
        Effect.provideService(References.MinimumLogLevel, "All"),
        Effect.withTracer(run.tracer),
        Effect.ensuring(Effect.sync(() => Fs.rmSync(home, { recursive: true, force: true })))
      )

      for (const key of cancelKeys) secrets.push(...byteForms(key).map((text) => ({ what: `cancel key (${key.length} bytes)`, text })))
      const texts = [...run.texts, ...spanTexts(run.spans)]
      const leaks: Array<string> = []
      for (const { where, text } of texts) {
        for (const secret of secrets) if (text.includes(secret.text)) leaks.push(`${secret.what} in ${where}`)
      }
      const found = (canary: string) => texts.filter(({ text }) => text.includes(canary)).map(({ where }) => where)
      expect(new Set(found(CANARIES.log))).toEqual(new Set(["log (logfmt)", "log (json)"]))
      expect(found(CANARIES.server)).toContain("log (cause)")
      expect(new Set(found(CANARIES.span))).toEqual(new Set(["span canary"]))
      console.log(`[security] secrets: ${counts.connections} connections (${counts.failures} refused), ${counts.cancels} cancels, ${run.spans.length} spans, ${run.texts.filter((t) => t.where.startsWith("log")).length / 3} log lines, ${texts.length} texts searched for ${secrets.length} secret forms`)
      expect(cancelKeys.map((key) => key.length)).toEqual([4, 32])
      expect(run.spans.length).toBeGreaterThan(0)
      expect([...new Set(leaks)]).toEqual([])
    }))
})

/** A TCP relay that records the bytes of each connection in both directions. */
const recordingRelay = (targetPort: number): Effect.Effect<{
  readonly port: number
  readonly sessions: Array<{ readonly toServer: Array<Uint8Array>; readonly toClient: Array<Uint8Array> }>
}, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.callback<{ server: Net.Server; port: number; sessions: Array<{ toServer: Array<Uint8Array>; toClient: Array<Uint8Array> }>; sockets: Set<Net.Socket> }>((resume) => {
      const sessions: Array<{ toServer: Array<Uint8Array>; toClient: Array<Uint8Array> }> = []
      const sockets = new Set<Net.Socket>()
      const server = Net.createServer((client) => {
        const record = { toServer: [] as Array<Uint8Array>, toClient: [] as Array<Uint8Array> }
        sessions.push(record)
        const upstream = Net.createConnection({ host: "127.0.0.1", port: targetPort })
        for (const socket of [client, upstream]) {
          sockets.add(socket)
          socket.on("error", () => {})
          socket.on("close", () => sockets.delete(socket))
        }
        client.on("data", (chunk: Buffer) => {
          record.toServer.push(new Uint8Array(chunk))
          upstream.write(chunk)
        })
        upstream.on("data", (chunk: Buffer) => {
          record.toClient.push(new Uint8Array(chunk))
          client.write(chunk)
        })
        client.on("end", () => upstream.end())
        upstream.on("end", () => client.end())
        client.on("close", () => upstream.destroy())
        upstream.on("close", () => client.destroy())
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ server, port: (server.address() as Net.AddressInfo).port, sessions, sockets })))
    }),
    ({ server, sockets }) =>
      Effect.callback<void>((resume) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resume(Effect.void))
      })
  )

const concat = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

const hexOf = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex")

describe("a protocol trace shows no secret", () => {
  it.live("traceFrontend/traceBackend of recorded sessions (cleartext, MD5, SCRAM, wrong passwords, cancels) never show a password, an MD5 response, a SCRAM proof or signature, or a cancel key", () =>
    Effect.scoped(Effect.gen(function*() {
      const md5Hash = Md5.hashPassword(PASSWORDS.md5, "md5_user")
      const table = new Map<string, StoredPassword.StoredPassword>([
        ["scram_user", yield* ScramVerifier.make(PASSWORDS.scram)],
        ["md5_user", { _tag: "Md5Hash", hash: Redacted.make(md5Hash) }],
        ["clear_user", StoredPassword.plain(PASSWORDS.clear)]
      ])
      const auth = AuthProvider.make({
        method: (client) =>
          Effect.succeed(client.user.startsWith("md5") ? AuthMethod.md5 : client.user.startsWith("clear") ? AuthMethod.password : AuthMethod.scramSha256),
        lookup: (user) => Effect.succeed(table.get(user))
      })
      const { port } = yield* startServer({ auth })
      const relay = yield* recordingRelay(port)
      const base: PgConnectionConfig = { host: "127.0.0.1", port: relay.port, sslMode: "disable", connectTimeout: "10 seconds" }
      for (const [user, password] of [["scram_user", PASSWORDS.scram], ["md5_user", PASSWORDS.md5], ["clear_user", PASSWORDS.clear]] as const) {
        for (const attempt of [password, PASSWORDS.wrong]) {
          yield* Effect.exit(Effect.scoped(Effect.flatMap(PgConnection.make({ ...base, user, password: attempt }), (c) => c.query("SELECT 1"))))
        }
      }
      for (const maxProtocolVersion of ["3.0", "3.2"] as const) {
        yield* Effect.scoped(Effect.gen(function*() {
          const c = yield* PgConnection.make({ ...base, user: "scram_user", password: PASSWORDS.scram, maxProtocolVersion })
          const running = yield* Effect.forkChild(Effect.exit(c.query("SELECT pg_sleep(5)")))
          yield* Effect.sleep("100 millis")
          yield* c.cancel
          yield* Fiber.join(running)
        }))
      }

      // Every message of every recorded session, traced in full (no byte limit), with the secret parts it carries.
      const lines: Array<string> = []
      const secrets = new Set<string>(Object.values(PASSWORDS).flatMap((p) => [p, hexOf(new TextEncoder().encode(p))]))
      const traced = new Map<string, number>()
      const trace = (message: FrontendMessage) => {
        lines.push(traceFrontend(message, { maxBytes: 1_000_000 }))
        traced.set(message._tag, (traced.get(message._tag) ?? 0) + 1)
      }
      for (const session of relay.sessions) {
        const frontend = makeFrontendParser()
        const error = frontend.push(concat(session.toServer), (message) => {
          trace(message)
          if (message._tag === "CancelRequest") secrets.add(hexOf(message.secretKey))
          if (message._tag !== "PasswordMessageFamily") return
          secrets.add(hexOf(message.data.subarray(0, -1)))
          for (const kind of ["PasswordMessage", "SASLInitialResponse", "SASLResponse"] satisfies Array<PasswordMessageKind>) {
            const refined = refinePasswordMessage(message, kind)
            if (refined._tag === "Failure") continue
            trace(refined.success)
            const text = new TextDecoder().decode(message.data)
            const proof = /p=([A-Za-z0-9+/=]+)/.exec(text)?.[1]
            if (kind === "SASLResponse" && proof !== undefined) {
              secrets.add(proof)
              secrets.add(hexOf(new TextEncoder().encode(`p=${proof}`)))
            }
          }
        })
        expect(error).toBeUndefined()
        const backend = makeBackendParser()
        expect(backend.push(concat(session.toClient), (message) => {
          lines.push(traceBackend(message, { maxBytes: 1_000_000 }))
          traced.set(message._tag, (traced.get(message._tag) ?? 0) + 1)
          if (message._tag === "BackendKeyData") secrets.add(hexOf(message.secretKey))
          if (message._tag === "AuthenticationSASLFinal") secrets.add(hexOf(message.data))
        })).toBeUndefined()
      }
      // The recording holds each kind of secret-bearing message.
      for (const tag of ["PasswordMessage", "SASLInitialResponse", "SASLResponse", "AuthenticationSASLFinal", "BackendKeyData", "CancelRequest"]) {
        expect({ tag, traced: (traced.get(tag) ?? 0) > 0 }).toEqual({ tag, traced: true })
      }
      const leaks = lines.flatMap((line) => [...secrets].filter((secret) => line.includes(secret)).map((secret) => `${secret.slice(0, 12)}... in ${line.slice(0, 40)}`))
      console.log(`[security] trace: ${relay.sessions.length} recorded sessions, ${lines.length} trace lines searched for ${secrets.size} secrets`)
      expect(leaks).toEqual([])
      expect(lines.some((line) => line.includes("PasswordMessage") && line.includes("<redacted>"))).toBe(true)
    })))
})

describe("the trace formatter", () => {
  it("shows the size of secret fields, never their content", () => {
    const key = new Uint8Array(32).fill(0xab)
    expect(traceFrontend({ _tag: "PasswordMessage", password: PASSWORDS.clear })).toBe("F\t24\tPasswordMessage\t <redacted>")
    expect(traceFrontend({ _tag: "SASLInitialResponse", mechanism: "SCRAM-SHA-256", data: new TextEncoder().encode("n,,n=,r=abc") })).toBe(
      "F\t33\tSASLInitialResponse\t \"SCRAM-SHA-256\" <redacted 11 bytes>"
    )
    expect(traceFrontend({ _tag: "SASLResponse", data: new Uint8Array(100) })).toBe("F\t104\tSASLResponse\t <redacted 100 bytes>")
    expect(traceFrontend({ _tag: "GSSResponse", data: new Uint8Array(10) })).toBe("F\t14\tGSSResponse\t <redacted 10 bytes>")
    expect(traceFrontend({ _tag: "CancelRequest", processId: 7, secretKey: key })).toBe("F\t44\tCancelRequest\t 7 <redacted 32 bytes>")
    expect(traceBackend({ _tag: "BackendKeyData", processId: 7, secretKey: key })).toBe("B\t40\tBackendKeyData\t 7 <redacted 32 bytes>")
    expect(traceBackend({ _tag: "AuthenticationSASLFinal", data: new Uint8Array(46) })).toBe("B\t54\tAuthenticationSASLFinal\t <redacted 46 bytes>")
    // Public fields of the same exchange stay visible.
    expect(traceBackend({ _tag: "AuthenticationSASLContinue", data: new TextEncoder().encode("r=a,s=b,i=4096") })).toContain("'\\x723d61")
  })
})
