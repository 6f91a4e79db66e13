/**
 * Connection settings through effect's `Config`, so an application
 * configures the client the way it configures any other service (from the
 * environment, a JSON file, or any `ConfigProvider`).
 *
 * Under a prefix (default `DATABASE`) it reads `URL`, a connection string in
 * either form, and each libpq key word in capitals (`HOST`, `PORT`,
 * `DBNAME`, `USER`, `PASSWORD`, `SSLMODE`, `TARGET_SESSION_ATTRS`, ...). A
 * key word overrides what the URL says about it. With `ConfigProvider.fromEnv`
 * that is `DATABASE_URL`, `DATABASE_HOST`, ... All are optional; the result
 * is an options object for `load` or `PgConnection`, which then adds the
 * `PG*` environment, the password file and the defaults.
 *
 * The URL and the passwords are read as `Redacted` values.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import { SourceError } from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import type { PgConnectionConfig } from "../Config.ts"
import { parseConnInfo } from "./ConnectionString.ts"
import { type ConnInfo, type Keyword, KEYWORDS } from "./Keywords.ts"
import { toConfig } from "./Options.ts"

const secretKeywords: ReadonlySet<Keyword> = new Set(["password", "sslpassword"])

const stringOrNumber = (name: string): Config.Config<Option.Option<string>> =>
  Config.option(Config.schema(Schema.Union([Schema.String, Schema.Finite]), name)).pipe(Config.map(Option.map(String)))

const plainKeywords = (Object.keys(KEYWORDS) as ReadonlyArray<Keyword>).filter((k) => !secretKeywords.has(k))

/**
 * The settings under `prefix` (default "DATABASE"; "" for none) as an
 * options object. An invalid value fails with a `Config.ConfigError` naming
 * the key.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromConfig = (prefix: string = "DATABASE"): Config.Config<PgConnectionConfig> => {
  const key = (name: string) => (prefix === "" ? name : `${prefix}_${name}`)
  const settings = Config.all({
    url: Config.option(Config.Redacted("URL")),
    password: Config.option(Config.Redacted("PASSWORD")),
    sslpassword: Config.option(Config.Redacted("SSLPASSWORD")),
    keywords: Config.all(Object.fromEntries(plainKeywords.map((k) => [k, stringOrNumber(k.toUpperCase())])))
  })
  const scoped = prefix === "" ? settings : settings.pipe(Config.nested(prefix))
  return scoped.pipe(
    Config.mapEffect(({ keywords, password, sslpassword, url }) => {
      const failWith = (name: string, message: string) =>
        Effect.fail(new Config.ConfigError(new SourceError({ message: `${key(name)}: ${message}` })))
      let info: { -readonly [K in Keyword]?: string } = {}
      if (Option.isSome(url)) {
        const parsed = parseConnInfo(Redacted.value(url.value))
        if (Result.isFailure(parsed)) return failWith("URL", parsed.failure.message)
        info = { ...parsed.success }
      }
      const given = new Set<string>()
      for (const [keyword, value] of Object.entries(keywords)) {
        if (Option.isSome(value)) {
          info[keyword as Keyword] = value.value
          given.add(keyword)
        }
      }
      if (Option.isSome(password)) {
        info.password = Redacted.value(password.value)
        given.add("password")
      }
      if (Option.isSome(sslpassword)) {
        info.sslpassword = Redacted.value(sslpassword.value)
        given.add("sslpassword")
      }
      const config = toConfig(info as ConnInfo)
      if (Result.isFailure(config)) {
        const failure = config.failure
        // Name the setting the bad value came from: its own key, or the URL.
        return failWith(failure.key !== undefined && given.has(failure.key) ? failure.key.toUpperCase() : "URL", failure.message)
      }
      return Effect.succeed(config.success)
    })
  )
}
