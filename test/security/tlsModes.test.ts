/**
 * sslmode against our own server, as one matrix: every libpq sslmode (and
 * `require`/`verify-ca` with a trusted or an untrusted `sslrootcert`) against
 * a server without TLS, with TLS, with TLS required, and with a certificate
 * for another name. Each cell is run twice, with our client and with libpq
 * (psql), and both must reach the outcome libpq's documentation gives:
 * connected over TLS, connected in plain, or refused. Our refusals must be
 * typed: `ConnectionError` with `SslRefused`, `CertificateNotTrusted` or
 * `HostnameMismatch`, or the server's FATAL 28000 as an `AuthError`.
 *
 * Which way a session went is read on the server side (the TLS state the
 * authentication policy saw), so a client cannot claim TLS it did not use.
 *
 * Related single cases elsewhere: test/client/connect.test.ts (against
 * PostgreSQL: verify-full with a wrong name or an untrusted CA, verify-ca
 * accepting a wrong name, allow/disable against pg_hba.conf) and
 * test/server/startup.test.ts (the server's 'S'/'N' answers and a plain
 * client refused by a TLS-only server, byte by byte). This matrix covers the
 * combinations, the certificate's IP address SAN, and libpq agreement.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type { PgConnectionConfig } from "../../src/client/Config.ts"
import { PgConnection } from "../../src/client/PgConnection.ts"
import { AuthMethod, AuthProvider } from "../../src/server/AuthProvider.ts"
import type { SslMode } from "../../src/transport/Transport.ts"
import { certs, startServer } from "../server/support/server.ts"
import { causeCode, failureOf, locate, run } from "./support.ts"

type ServerKind = "plain" | "tls" | "tls-required" | "wrong-name"
type Outcome = "tls" | "plain" | "refused"

interface Cell {
  readonly name: string
  readonly mode: SslMode
  readonly root?: "ca" | "untrusted"
  /** Connect to 127.0.0.1 by its address (the certificate's IP SAN) instead of localhost. */
  readonly byAddress?: boolean
}

const cells: ReadonlyArray<Cell> = [
  { name: "disable", mode: "disable" },
  { name: "allow", mode: "allow" },
  { name: "prefer", mode: "prefer" },
  { name: "require", mode: "require" },
  { name: "require+ca", mode: "require", root: "ca" },
  { name: "require+untrusted", mode: "require", root: "untrusted" },
  { name: "verify-ca", mode: "verify-ca", root: "ca" },
  { name: "verify-ca+untrusted", mode: "verify-ca", root: "untrusted" },
  { name: "verify-full", mode: "verify-full", root: "ca" },
  { name: "verify-full@ip", mode: "verify-full", root: "ca", byAddress: true },
  { name: "prefer+untrusted", mode: "prefer", root: "untrusted" },
  { name: "allow+untrusted", mode: "allow", root: "untrusted" }
]

/**
 * libpq's outcomes (PostgreSQL documentation, "SSL Mode Descriptions" and
 * "Protection Provided in Different Modes"): a root certificate makes every
 * mode that tries TLS verify the chain ("if a root CA file exists, sslmode=require
 * behaves like verify-ca"); a failed TLS attempt under prefer is retried in
 * plain, a refused plain attempt under allow is retried with TLS.
 */
const expected: Record<ServerKind, Record<string, Outcome>> = {
  plain: {
    "disable": "plain",
    "allow": "plain",
    "prefer": "plain",
    "require": "refused",
    "require+ca": "refused",
    "require+untrusted": "refused",
    "verify-ca": "refused",
    "verify-ca+untrusted": "refused",
    "verify-full": "refused",
    "verify-full@ip": "refused",
    "prefer+untrusted": "plain",
    "allow+untrusted": "plain"
  },
  tls: {
    "disable": "plain",
    "allow": "plain",
    "prefer": "tls",
    "require": "tls",
    "require+ca": "tls",
    "require+untrusted": "refused",
    "verify-ca": "tls",
    "verify-ca+untrusted": "refused",
    "verify-full": "tls",
    "verify-full@ip": "tls",
    "prefer+untrusted": "plain",
    "allow+untrusted": "plain"
  },
  "tls-required": {
    "disable": "refused",
    "allow": "tls",
    "prefer": "tls",
    "require": "tls",
    "require+ca": "tls",
    "require+untrusted": "refused",
    "verify-ca": "tls",
    "verify-ca+untrusted": "refused",
    "verify-full": "tls",
    "verify-full@ip": "tls",
    "prefer+untrusted": "refused",
    "allow+untrusted": "refused"
  },
  "wrong-name": {
    "disable": "plain",
    "allow": "plain",
    "prefer": "tls",
    "require": "tls",
    "require+ca": "tls",
    "require+untrusted": "refused",
    "verify-ca": "tls",
    "verify-ca+untrusted": "refused",
    "verify-full": "refused",
    "verify-full@ip": "refused",
    "prefer+untrusted": "plain",
    "allow+untrusted": "plain"
  }
}

/** The typed error our client must give for a refusal. */
const expectedError = (server: ServerKind, cell: Cell): { readonly tag: string; readonly reason?: string; readonly code?: string } => {
  if (server === "plain") return { tag: "ConnectionError", reason: "SslRefused" }
  // allow tries TLS last, prefer plain last: the error is the last attempt's.
  if (cell.root === "untrusted" && cell.mode !== "prefer") return { tag: "ConnectionError", reason: "CertificateNotTrusted" }
  if (server === "wrong-name") return { tag: "ConnectionError", reason: "HostnameMismatch" }
  // A TLS-only server refusing the plain attempt: its FATAL 28000.
  return { tag: "AuthError", code: "28000" }
}

const rootFile = (root: Cell["root"]) => (root === "ca" ? certs.ca.certFile : certs.untrustedCa.certFile)
const rootPem = (root: Cell["root"]) => (root === "ca" ? certs.ca.cert : certs.untrustedCa.cert)

/** Starts one kind of server; every attempt's TLS state is recorded under its application_name. */
const serverOf = (kind: ServerKind): Effect.Effect<{ readonly port: number; readonly attempts: Map<string, Array<boolean>> }, never, Scope.Scope> =>
  Effect.gen(function*() {
    const attempts = new Map<string, Array<boolean>>()
    const auth = AuthProvider.make({
      method: (client) =>
        Effect.sync(() => {
          const list = attempts.get(client.applicationName) ?? []
          list.push(client.tls !== undefined)
          attempts.set(client.applicationName, list)
          return AuthMethod.trust
        })
    })
    const pair = kind === "wrong-name" ? certs.serverWrong : certs.serverLocalhost
    const tls = kind === "plain"
      ? undefined
      : { certificate: pair.cert, key: Redacted.make(pair.key), required: kind === "tls-required" }
    const { port } = yield* startServer({ auth, tls })
    return { port, attempts }
  })

/** The outcome from what the server saw: the last attempt that reached authentication, when the client connected. */
const outcomeOf = (connected: boolean, attempts: ReadonlyArray<boolean> | undefined): Outcome =>
  !connected ? "refused" : attempts?.at(-1) === true ? "tls" : "plain"

const ours = (port: number, cell: Cell, tag: string) =>
  Effect.exit(Effect.scoped(Effect.flatMap(
    PgConnection.make({
      ...(cell.byAddress === true ? { host: "127.0.0.1" } : { host: "localhost", hostaddr: "127.0.0.1" }),
      port,
      user: "alice",
      applicationName: tag,
      sslMode: cell.mode,
      connectTimeout: "10 seconds",
      ...(cell.root === undefined ? {} : { sslRootCert: rootPem(cell.root) })
    } satisfies PgConnectionConfig),
    (c) => c.query("SELECT 1::int4 AS one")
  )))

const libpq = (psql: string, home: string, port: number, cell: Cell, tag: string) =>
  run(psql, [
    "-X",
    "-A",
    "-t",
    "-d",
    [
      cell.byAddress === true ? "host=127.0.0.1" : "host=localhost hostaddr=127.0.0.1",
      `port=${port} user=alice dbname=demo application_name=${tag} sslmode=${cell.mode}`,
      cell.root === undefined ? "" : `sslrootcert=${rootFile(cell.root)}`
    ].join(" "),
    "-c",
    "SELECT 1"
  ], { home })

describe("sslmode x server: our client and libpq reach libpq's documented outcome", () => {
  for (const kind of ["plain", "tls", "tls-required", "wrong-name"] as const) {
    it.live(`server ${kind}`, () =>
      Effect.scoped(Effect.gen(function*() {
        const psql = yield* locate("psql")
        const home = yield* Effect.acquireRelease(
          Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "pgwire-home-"))),
          (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
        )
        const { port, attempts } = yield* serverOf(kind)
        const rows = yield* Effect.forEach(cells, (cell) =>
          Effect.gen(function*() {
            const ourTag = `ours_${cell.name}`
            const exit = yield* ours(port, cell, ourTag)
            const ourOutcome = outcomeOf(exit._tag === "Success", attempts.get(ourTag))
            const psqlTag = `psql_${cell.name}`
            const result = yield* libpq(psql, home, port, cell, psqlTag)
            const psqlOutcome = outcomeOf(result.code === 0, attempts.get(psqlTag))
            const error = failureOf(exit)
            return { cell, ourOutcome, psqlOutcome, error, stderr: result.stderr }
          }), { concurrency: 4 })

        const table = (pick: (row: (typeof rows)[number]) => Outcome) => Object.fromEntries(rows.map((row) => [row.cell.name, pick(row)]))
        expect(table((row) => row.psqlOutcome)).toEqual(expected[kind])
        expect(table((row) => row.ourOutcome)).toEqual(expected[kind])
        for (const row of rows) {
          if (row.ourOutcome !== "refused") continue
          const want = expectedError(kind, row.cell)
          const error = row.error as { readonly _tag?: string; readonly reason?: string } | undefined
          expect({ cell: row.cell.name, tag: error?._tag }).toEqual({ cell: row.cell.name, tag: want.tag })
          if (want.reason !== undefined) expect({ cell: row.cell.name, reason: error?.reason }).toEqual({ cell: row.cell.name, reason: want.reason })
          if (want.code !== undefined) expect({ cell: row.cell.name, code: causeCode(error) }).toEqual({ cell: row.cell.name, code: want.code })
        }
      })))
  }
})
