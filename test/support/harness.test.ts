/**
 * Proves the real-PostgreSQL harness (`./postgres.ts`, `./globalSetup.ts`)
 * with the `pg` driver: every role authenticates with its own method (checked
 * through `system_user`, which names the method PostgreSQL used), over TCP,
 * the Unix socket and TLS; the refusals refuse; the certificates verify as
 * documented.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import pg from "pg"
import { describe, expect, it } from "vitest"
import { postgres } from "./context.ts"
import { startPostgres } from "./postgres.ts"
import type { PasswordRole, PostgresInfo } from "./postgres.ts"

const info: PostgresInfo = postgres()

type Config = pg.ClientConfig

/** Connects, runs `f`, always closes the client. */
const withClient = async <A>(config: Config, f: (client: pg.Client) => Promise<A>): Promise<A> => {
  const client = new pg.Client({ connectionTimeoutMillis: 15_000, ...config })
  client.on("error", () => undefined)
  client.on("notice", () => undefined)
  try {
    await client.connect()
    return await f(client)
  } finally {
    await client.end().catch(() => undefined)
  }
}

const one = async <A>(client: pg.Client, sql: string): Promise<A> => {
  const result = await client.query(sql)
  expect(result.rows).toHaveLength(1)
  return Object.values(result.rows[0] as Record<string, unknown>)[0] as A
}

/** What the session says about itself: user, auth method/identity, TLS, transport. */
const whoAmI = (config: Config) =>
  withClient(config, async (client) => {
    const result = await client.query<{
      current_user: string
      system_user: string | null
      ssl: boolean
      client_addr: string | null
    }>(
      `SELECT current_user, system_user,
              (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()) AS ssl,
              inet_client_addr()::text AS client_addr`
    )
    return result.rows[0]!
  })

const tcp = { host: info.host, port: info.port, database: info.database } as const
const unix = { host: info.socketDir, port: info.port, database: info.database } as const
const tls = {
  ...tcp,
  ssl: { ca: info.certs.ca.cert, servername: "localhost", rejectUnauthorized: true }
} as const

const passwordRoles: ReadonlyArray<{ readonly method: string; readonly role: PasswordRole }> = [
  { method: "password", role: info.roles.password },
  { method: "md5", role: info.roles.md5 },
  { method: "scram-sha-256", role: info.roles.scram }
]

describe("harness info", () => {
  it("is a PostgreSQL 18 on 127.0.0.1 with a Unix socket", async () => {
    expect(info.host).toBe("127.0.0.1")
    expect(info.port).toBeGreaterThan(0)
    expect(fs.existsSync(path.join(info.socketDir, `.s.PGSQL.${info.port}`))).toBe(true)
    const version = await withClient({ ...tcp, ...info.superuser }, (c) => one<string>(c, "SHOW server_version"))
    expect(version.startsWith("18")).toBe(true)
    expect(info.version).toBe(version)
    expect(Math.floor(info.versionNum / 10_000)).toBe(18)
  })

  it("runs with the documented settings", async () => {
    const settings = await withClient({ ...tcp, ...info.superuser }, async (client) => {
      const result = await client.query<{ name: string; setting: string }>(
        `SELECT name, setting FROM pg_settings WHERE name = ANY($1)`,
        [["ssl", "max_connections", "password_encryption", "log_min_messages", "fsync", "full_page_writes",
          "synchronous_commit", "listen_addresses", "unix_socket_directories", "ssl_ca_file"]]
      )
      return Object.fromEntries(result.rows.map((row) => [row.name, row.setting]))
    })
    expect(settings).toEqual({
      ssl: "on",
      max_connections: "200",
      password_encryption: "scram-sha-256",
      log_min_messages: "warning",
      fsync: "off",
      full_page_writes: "off",
      synchronous_commit: "off",
      listen_addresses: "127.0.0.1",
      unix_socket_directories: info.socketDir,
      ssl_ca_file: expect.stringMatching(/ca\.crt$/)
    })
  })

  it("stores md5_user's password as md5 and the others as SCRAM; all roles LOGIN + CREATEDB", async () => {
    const rows = await withClient({ ...tcp, ...info.superuser }, async (client) => {
      const result = await client.query<{ rolname: string; kind: string | null; rolcanlogin: boolean; rolcreatedb: boolean }>(
        `SELECT rolname, left(rolpassword, 3) AS kind, rolcanlogin, rolcreatedb FROM pg_authid
          WHERE rolname = ANY($1) ORDER BY rolname`,
        [Object.values(info.roles).map((role) => role.user)]
      )
      return result.rows
    })
    expect(rows).toEqual([
      { rolname: "cert_user", kind: null, rolcanlogin: true, rolcreatedb: true },
      { rolname: "md5_user", kind: "md5", rolcanlogin: true, rolcreatedb: true },
      { rolname: "password_user", kind: "SCR", rolcanlogin: true, rolcreatedb: true },
      { rolname: "scram_user", kind: "SCR", rolcanlogin: true, rolcreatedb: true },
      { rolname: "ssl_only_user", kind: "SCR", rolcanlogin: true, rolcreatedb: true },
      { rolname: "trust_user", kind: null, rolcanlogin: true, rolcreatedb: true }
    ])
  })

  it("lets a non-superuser create tables in public of pgwire_test", async () => {
    const table = `harness_${process.pid}_${Date.now()}`
    const count = await withClient({ ...tcp, ...info.roles.scram }, async (client) => {
      await client.query(`CREATE TABLE public.${table} (id int)`)
      await client.query(`INSERT INTO public.${table} VALUES (1), (2)`)
      const n = await one<string>(client, `SELECT count(*) FROM public.${table}`)
      await client.query(`DROP TABLE public.${table}`)
      return n
    })
    expect(count).toBe("2")
  })
})

describe.each([
  ["TCP", tcp, false],
  ["Unix socket", unix, false],
  ["TLS", tls, true]
] as const)("auth methods over %s", (_name, transport, ssl) => {
  it("trust_user gets in with no password (trust: system_user is null)", async () => {
    const me = await whoAmI({ ...transport, user: info.roles.trust.user })
    expect(me).toMatchObject({ current_user: "trust_user", system_user: null, ssl })
  })

  it.each(passwordRoles)("$role.user authenticates with $method", async ({ method, role }) => {
    const me = await whoAmI({ ...transport, ...role })
    expect(me).toMatchObject({ current_user: role.user, system_user: `${method}:${role.user}`, ssl })
  })

  it.each(passwordRoles)("$role.user with a wrong password is refused (28P01)", async ({ role }) => {
    await expect(whoAmI({ ...transport, user: role.user, password: `${role.password}-wrong` })).rejects.toMatchObject({
      code: "28P01",
      message: expect.stringContaining("password authentication failed")
    })
  })

  it("the superuser authenticates with scram-sha-256", async () => {
    const me = await whoAmI({ ...transport, ...info.superuser })
    expect(me).toMatchObject({ current_user: "postgres", system_user: "scram-sha-256:postgres", ssl })
  })
})

describe("TLS", () => {
  it("uses the server certificate for localhost, verified by the test CA (also by IP SAN)", async () => {
    const { ssl: _ssl, ...plain } = tls
    const me = await whoAmI({ ...plain, ...info.roles.scram, ssl: { ca: info.certs.ca.cert, rejectUnauthorized: true } })
    expect(me).toMatchObject({ ssl: true })
    expect(info.serverCert).toBe("localhost")
    expect(info.certs.server.cert).toBe(info.certs.serverLocalhost.cert)
  })

  it("works with direct TLS negotiation (sslnegotiation=direct, ALPN postgresql)", async () => {
    const me = await whoAmI({ ...tls, ...info.roles.scram, sslnegotiation: "direct" })
    expect(me).toMatchObject({ current_user: "scram_user", ssl: true })
  })

  it("fails verification against the untrusted CA", async () => {
    await expect(
      whoAmI({ ...tcp, ...info.roles.scram, ssl: { ca: info.certs.untrustedCa.cert, servername: "localhost", rejectUnauthorized: true } })
    ).rejects.toMatchObject({ code: expect.stringMatching(/CERT|SELF_SIGNED/) })
  })

  it("cert_user connects with the client certificate (system_user is its certificate subject)", async () => {
    const me = await whoAmI({
      ...tls,
      user: info.roles.cert.user,
      ssl: { ...tls.ssl, cert: info.certs.client.cert, key: info.certs.client.key }
    })
    expect(me).toMatchObject({ current_user: "cert_user", system_user: "cert:CN=cert_user,O=effect-pgwire tests", ssl: true })
  })

  it("cert_user is refused over TLS without a client certificate", async () => {
    await expect(whoAmI({ ...tls, user: info.roles.cert.user })).rejects.toMatchObject({
      code: "28000",
      message: expect.stringContaining("certificate")
    })
  })

  it("cert_user is refused with a client certificate from the untrusted CA", async () => {
    await expect(
      whoAmI({
        ...tls,
        user: info.roles.cert.user,
        ssl: { ...tls.ssl, cert: info.certs.untrustedClient.cert, key: info.certs.untrustedClient.key }
      })
    ).rejects.toMatchObject({ code: "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA" })
  })

  it("cert_user is refused without TLS, over TCP and the Unix socket", async () => {
    for (const transport of [tcp, unix]) {
      await expect(whoAmI({ ...transport, user: info.roles.cert.user })).rejects.toMatchObject({
        code: "28000",
        message: expect.stringContaining("pg_hba.conf rejects connection")
      })
    }
  })

  it("ssl_only_user connects over TLS with scram-sha-256", async () => {
    const me = await whoAmI({ ...tls, ...info.roles.sslOnly })
    expect(me).toMatchObject({ current_user: "ssl_only_user", system_user: "scram-sha-256:ssl_only_user", ssl: true })
  })

  it("ssl_only_user is refused without TLS, over TCP and the Unix socket", async () => {
    for (const transport of [tcp, unix]) {
      await expect(whoAmI({ ...transport, ...info.roles.sslOnly })).rejects.toMatchObject({
        code: "28000",
        message: expect.stringContaining("pg_hba.conf rejects connection")
      })
    }
  })
})

describe("startPostgres({ serverCert: 'wrong' })", () => {
  it("presents the wrong.example certificate (verify-full fails, verify-ca passes), applies extra settings and hba lines; stop removes its directories", async () => {
    const server = await startPostgres({
      serverCert: "wrong",
      settings: { wal_level: "logical", application_name: "it's quoted" },
      hba: ["host all trust_user 127.0.0.1/32 reject"]
    })
    const root = path.dirname(server.dataDir)
    try {
      expect(server.serverCert).toBe("wrong")
      expect(server.port).not.toBe(info.port)
      const base = { host: server.host, port: server.port, database: server.database, ...server.roles.scram }
      // verify-full: the name is checked.
      await expect(
        whoAmI({ ...base, ssl: { ca: server.certs.ca.cert, servername: "localhost", rejectUnauthorized: true } })
      ).rejects.toMatchObject({ code: "ERR_TLS_CERT_ALTNAME_INVALID" })
      // verify-ca: chain checked, name not.
      const me = await whoAmI({
        ...base,
        ssl: { ca: server.certs.ca.cert, rejectUnauthorized: true, checkServerIdentity: () => undefined }
      })
      expect(me).toMatchObject({ current_user: "scram_user", ssl: true })
      // Extra settings and pg_hba lines (which win over the generated ones).
      const settings = await withClient({ ...base, ssl: false }, async (client) => ({
        wal_level: await one<string>(client, "SHOW wal_level"),
        application_name: await one<string>(client, "SELECT reset_val FROM pg_settings WHERE name = 'application_name'")
      }))
      expect(settings).toEqual({ wal_level: "logical", application_name: "it's quoted" })
      await expect(whoAmI({ host: server.host, port: server.port, user: server.roles.trust.user })).rejects.toMatchObject({
        code: "28000"
      })
      expect(fs.existsSync(root)).toBe(true)
    } finally {
      await server.stop()
    }
    expect(fs.existsSync(root)).toBe(false)
    await expect(whoAmI({ host: server.host, port: server.port, ...server.roles.scram })).rejects.toMatchObject({
      code: "ECONNREFUSED"
    })
  })
})
