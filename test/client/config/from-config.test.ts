/**
 * Connection settings through effect's `Config`, with real providers
 * (`ConfigProvider.fromEnv` with an explicit record, `fromUnknown`).
 */
import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { fromConfig, load } from "../../../src/client/Config.ts"
import { PgConnection } from "../../../src/client/PgConnection.ts"
import { postgres as server } from "../../support/context.ts"

const fromEnv = (env: Record<string, string>, prefix?: string) => fromConfig(prefix).parse(ConfigProvider.fromEnv({ env }))

describe("fromConfig", () => {
  it.effect("DATABASE_URL, with individual keys overriding it", () =>
    Effect.gen(function*() {
      const config = yield* fromEnv({
        DATABASE_URL: "postgresql://app:secret@db1:5432,db2:5433/appdb?sslmode=require",
        DATABASE_SSLMODE: "verify-full",
        DATABASE_TARGET_SESSION_ATTRS: "read-write",
        DATABASE_APPLICATION_NAME: "my app",
        HOST: "ignored-without-prefix"
      })
      expect(config).toMatchObject({
        host: "db1,db2",
        port: "5432,5433",
        user: "app",
        database: "appdb",
        sslMode: "verify-full",
        targetSessionAttrs: "read-write",
        applicationName: "my app"
      })
      expect(Redacted.value(config.password as Redacted.Redacted<string>)).toBe("secret")
      expect(JSON.stringify(config)).not.toContain("secret")
    }))

  it.effect("individual keys alone; the password is read as a secret", () =>
    Effect.gen(function*() {
      const config = yield* fromEnv({ DATABASE_HOST: "/run/pg", DATABASE_PORT: "6432", DATABASE_DBNAME: "d", DATABASE_USER: "u", DATABASE_PASSWORD: "pw" })
      expect(config).toMatchObject({ host: "/run/pg", port: "6432", database: "d", user: "u" })
      expect(Redacted.isRedacted(config.password)).toBe(true)
      expect(Redacted.value(config.password as Redacted.Redacted<string>)).toBe("pw")
    }))

  it.effect("nothing set is an empty options object (load then applies the PG* environment and the defaults)", () =>
    Effect.gen(function*() {
      const config = yield* fromEnv({})
      expect(config).toEqual({})
      const resolved = yield* load(config, { env: { PGHOST: "/from-pg-env" }, home: "/nonexistent", osUser: "me" })
      expect(resolved.host).toBe("/from-pg-env")
    }))

  it.effect("a custom prefix, or none; numbers from structured providers", () =>
    Effect.gen(function*() {
      expect(yield* fromEnv({ PRIMARY_HOST: "p", PRIMARY_PORT: "1" }, "PRIMARY")).toEqual({ host: "p", port: "1" })
      expect(yield* fromEnv({ URL: "postgres://h/db", DBNAME: "other" }, "")).toEqual({ host: "h", database: "other" })
      const structured = yield* fromConfig("db").parse(ConfigProvider.fromUnknown({ db: { HOST: "h", PORT: 5433, CONNECT_TIMEOUT: 10 } }))
      expect(structured).toMatchObject({ host: "h", port: "5433" })
    }))

  it.effect("invalid values fail with a Config error naming the setting", () =>
    Effect.gen(function*() {
      const badKey = yield* Effect.flip(fromEnv({ DATABASE_SSLMODE: "bogus" }))
      expect(badKey._tag).toBe("ConfigError")
      expect(badKey.message).toContain("DATABASE_SSLMODE")
      expect(badKey.message).toContain(`invalid sslmode value: "bogus"`)
      const badUrl = yield* Effect.flip(fromEnv({ DATABASE_URL: "postgres://u:topsecret@h/db?nope=1" }))
      expect(badUrl.message).toContain("DATABASE_URL")
      expect(badUrl.message).toContain(`invalid URI query parameter: "nope"`)
      expect(badUrl.message).not.toContain("topsecret")
      const fromUrlValue = yield* Effect.flip(fromEnv({ DATABASE_URL: "host=h sslmode=bogus" }))
      expect(fromUrlValue.message).toContain("DATABASE_URL")
    }))

  it.effect("yields like any Config under the current ConfigProvider", () =>
    Effect.gen(function*() {
      const config = yield* fromConfig("PG_APP").pipe(
        Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env: { PG_APP_HOST: "yielded" } }))
      )
      expect(config.host).toBe("yielded")
    }))

  it.live("a PgConnection layer built from Config, like any other service", () =>
    Effect.gen(function*() {
      const pg = server()
      const DbLive = Layer.unwrap(Effect.map(fromConfig(), PgConnection.layer))
      const provider = ConfigProvider.fromEnv({
        env: {
          DATABASE_URL: `postgresql://${pg.roles.scram.user}@127.0.0.1:${pg.port}/${pg.database}?sslmode=disable`,
          DATABASE_PASSWORD: pg.roles.scram.password,
          DATABASE_APPLICATION_NAME: "from config"
        }
      })
      const row = yield* Effect.gen(function*() {
        const db = yield* PgConnection
        return (yield* db.query("SELECT current_user AS who, current_setting('application_name') AS app")).rows[0]
      }).pipe(Effect.provide(DbLive), Effect.provideService(ConfigProvider.ConfigProvider, provider))
      expect(row).toEqual({ who: pg.roles.scram.user, app: "from config" })
    }))
})
