/**
 * Connecting to a real PostgreSQL 18: every auth method over TCP, the Unix
 * socket and TLS; SCRAM-SHA-256-PLUS; wrong passwords; certificate checks.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { PgConnection, type PgConnectionShape } from "../../src/client/PgConnection.ts"
import type { PgConnectionConfig } from "../../src/client/Config.ts"
import { postgres as server } from "../support/context.ts"
import { type PostgresHandle, startPostgres } from "../support/postgres.ts"
import { afterAll, beforeAll } from "vitest"

const pg = server()

const connectWith = <A, E>(config: PgConnectionConfig, use: (c: PgConnectionShape) => Effect.Effect<A, E>) =>
  Effect.scoped(Effect.flatMap(PgConnection.make(config), use))

const whoami = (c: PgConnectionShape) =>
  Effect.map(c.query("SELECT current_user AS who, system_user AS how, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"), (r) => r.rows[0]!)

const roles = [
  { key: "trust", method: "trust" },
  { key: "password", method: "password" },
  { key: "md5", method: "md5" },
  { key: "scram", method: "scram-sha-256" }
] as const

const passwordOf = (key: (typeof roles)[number]["key"]): string | undefined => {
  const role = pg.roles[key]
  return "password" in role ? role.password : undefined
}

describe("each auth method", () => {
  for (const { key, method } of roles) {
    const role = pg.roles[key]
    const base = { user: role.user, database: pg.database, password: passwordOf(key) }

    it.live(`${key}: plain TCP`, () =>
      Effect.gen(function*() {
        const row = yield* connectWith({ ...base, host: pg.host, port: pg.port, sslMode: "disable" }, whoami)
        expect(row.who).toBe(role.user)
        expect(row.ssl).toBe(false)
        if (method !== "trust") expect(String(row.how)).toMatch(new RegExp(`^${method}:`))
      }))

    it.live(`${key}: Unix-domain socket`, () =>
      Effect.gen(function*() {
        const row = yield* connectWith({ ...base, host: pg.socketDir, port: pg.port }, (c) =>
          Effect.map(c.query("SELECT current_user AS who, inet_server_addr() AS addr"), (r) => r.rows[0]!))
        expect(row.who).toBe(role.user)
        expect(row.addr).toBeNull()
      }))

    it.live(`${key}: TLS verify-full`, () =>
      Effect.gen(function*() {
        const row = yield* connectWith(
          { ...base, host: "localhost", port: pg.port, sslMode: "verify-full", sslRootCert: pg.certs.ca.cert },
          whoami
        )
        expect(row.who).toBe(role.user)
        expect(row.ssl).toBe(true)
      }))
  }
})

describe("SCRAM-SHA-256-PLUS", () => {
  const scram = { user: pg.roles.scram.user, password: pg.roles.scram.password, database: pg.database, port: pg.port }

  it.live("channel_binding=require succeeds over TLS with PLUS", () =>
    Effect.gen(function*() {
      const method = yield* connectWith(
        { ...scram, host: "localhost", sslMode: "verify-full", sslRootCert: pg.certs.ca.cert, channelBinding: "require" },
        (c) => Effect.succeed(c.info.authMethod)
      )
      expect(method).toBe("scram-sha-256-plus")
    }))

  it.live("channel_binding=require is refused over plain TCP", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(connectWith({ ...scram, host: pg.host, sslMode: "disable", channelBinding: "require" }, whoami))
      expect(Exit.isFailure(exit)).toBe(true)
      const error = Exit.isFailure(exit) ? Exit.findErrorOption(exit) : undefined
      expect(error?._tag === "Some" && error.value._tag).toBe("AuthError")
      expect(error?._tag === "Some" && error.value._tag === "AuthError" && error.value.reason).toBe("ChannelBindingRequired")
    }))

  it.live("prefer binds over TLS and not over plain TCP", () =>
    Effect.gen(function*() {
      const overTls = yield* connectWith({ ...scram, host: pg.host, sslMode: "require" }, (c) => Effect.succeed(c.info.authMethod))
      expect(overTls).toBe("scram-sha-256-plus")
      const plain = yield* connectWith({ ...scram, host: pg.host, sslMode: "disable" }, (c) => Effect.succeed(c.info.authMethod))
      expect(plain).toBe("scram-sha-256")
    }))
})

describe("refusals", () => {
  it.live("a wrong password is an AuthError carrying the server's error", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        connectWith({ user: pg.roles.scram.user, password: "wrong", database: pg.database, host: pg.host, port: pg.port, sslMode: "disable" }, whoami)
      )
      const error = Exit.isFailure(exit) ? Exit.findErrorOption(exit) : undefined
      expect(error?._tag === "Some" && error.value._tag).toBe("AuthError")
      if (error?._tag === "Some" && error.value._tag === "AuthError") {
        expect(error.value.reason).toBe("WrongPassword")
        expect((error.value.cause as { code?: string }).code).toBe("28P01")
      }
    }))

  it.live("require_auth refuses a method the server asks for", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        connectWith({ user: pg.roles.password.user, password: pg.roles.password.password, database: pg.database, host: pg.host, port: pg.port, sslMode: "disable", requireAuth: "scram-sha-256" }, whoami)
      )
      const error = Exit.isFailure(exit) ? Exit.findErrorOption(exit) : undefined
      expect(error?._tag === "Some" && error.value._tag === "AuthError" && error.value.reason).toBe("MethodNotSupported")
    }))

  it.live("verify-full against a server whose certificate names another host is a ConnectionError", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        connectWith(
          { user: pg.roles.trust.user, database: pg.database, host: "localhost", port: pg.port, sslMode: "verify-full", sslRootCert: pg.certs.untrustedCa.cert },
          whoami
        )
      )
      const error = Exit.isFailure(exit) ? Exit.findErrorOption(exit) : undefined
      expect(error?._tag === "Some" && error.value._tag).toBe("ConnectionError")
      expect(error?._tag === "Some" && error.value._tag === "ConnectionError" && error.value.reason).toBe("CertificateNotTrusted")
    }))

  it.live("an unknown database is a PgServerError with every field", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        connectWith({ user: pg.roles.trust.user, database: "no_such_db", host: pg.host, port: pg.port, sslMode: "disable" }, whoami)
      )
      const error = Exit.isFailure(exit) ? Exit.findErrorOption(exit) : undefined
      expect(error?._tag === "Some" && error.value._tag).toBe("PgServerError")
      if (error?._tag === "Some" && error.value._tag === "PgServerError") {
        expect(error.value.code).toBe("3D000")
        expect(error.value.severity).toBe("FATAL")
        expect(error.value.routine).toBeDefined()
      }
    }))
})

describe("sslmode retries as libpq does", () => {
  const sslOnly = { user: pg.roles.sslOnly.user, password: pg.roles.sslOnly.password, database: pg.database, host: pg.host, port: pg.port }

  it.live("allow: refused in plain by pg_hba.conf, then connects over TLS", () =>
    Effect.gen(function*() {
      const row = yield* connectWith({ ...sslOnly, sslMode: "allow" }, whoami)
      expect(row.who).toBe(pg.roles.sslOnly.user)
      expect(row.ssl).toBe(true)
    }))

  it.live("disable: the same refusal is final, as an AuthError carrying the server's 28000", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(connectWith({ ...sslOnly, sslMode: "disable" }, whoami))
      const error = Exit.isFailure(exit) ? Exit.findErrorOption(exit) : undefined
      expect(error?._tag === "Some" && error.value._tag).toBe("AuthError")
      if (error?._tag === "Some" && error.value._tag === "AuthError") {
        expect((error.value.cause as { code?: string }).code).toBe("28000")
      }
    }))
})

describe("the session", () => {
  it.live("negotiates protocol 3.2 with a 32-byte cancel key, and 3.0 with 4 bytes when asked", () =>
    Effect.gen(function*() {
      const base = { user: pg.roles.trust.user, database: pg.database, host: pg.host, port: pg.port, sslMode: "disable" as const }
      const v32 = yield* connectWith(base, (c) => Effect.succeed(c.info))
      expect(v32.protocolVersion).toBe(0x30002)
      expect(v32.secretKey?.length).toBe(32)
      const v30 = yield* connectWith({ ...base, maxProtocolVersion: "3.0" }, (c) => Effect.succeed(c.info))
      expect(v30.protocolVersion).toBe(0x30000)
      expect(v30.secretKey?.length).toBe(4)
      expect(v32.parameters.get("server_version")).toMatch(/^18/)
    }))
})

describe("a server whose certificate names another host", () => {
  let wrong: PostgresHandle
  beforeAll(async () => {
    wrong = await startPostgres({ serverCert: "wrong" })
  })
  afterAll(() => wrong.stop())

  it.live("verify-full is a ConnectionError (HostnameMismatch); verify-ca accepts it", () =>
    Effect.gen(function*() {
      const base = { user: wrong.roles.trust.user, database: wrong.database, host: "localhost", port: wrong.port, sslRootCert: wrong.certs.ca.cert }
      const exit = yield* Effect.exit(connectWith({ ...base, sslMode: "verify-full" }, whoami))
      const error = Exit.isFailure(exit) ? Exit.findErrorOption(exit) : undefined
      expect(error?._tag === "Some" && error.value._tag).toBe("ConnectionError")
      expect(error?._tag === "Some" && error.value._tag === "ConnectionError" && error.value.reason).toBe("HostnameMismatch")
      const row = yield* connectWith({ ...base, sslMode: "verify-ca" }, whoami)
      expect(row.ssl).toBe(true)
    }))
})
