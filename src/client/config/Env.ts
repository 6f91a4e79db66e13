/**
 * The environment variables libpq reads, taken from an explicit record (so
 * tests and callers decide what the environment is; `Files.processEnv()`
 * gives the real one).
 *
 * As in libpq a variable that is set counts even when empty (`PGSSLMODE=` is
 * an invalid sslmode, `PGHOST=` the default host); `PGREQUIRESSL=1` is
 * `sslmode=require` unless `PGSSLMODE` is set. `PGDATESTYLE`, `PGTZ` and
 * `PGGEQO` are not key words: they become startup parameters (`datestyle`,
 * `timezone`, `geqo`) unless their value is `default`.
 *
 * @since 0.1.0
 */
import { type ConnInfo, type Keyword, KEYWORDS } from "./Keywords.ts"

/**
 * An environment: variable name to value.
 *
 * @since 0.1.0
 * @category models
 */
export type Environment = Readonly<Record<string, string | undefined>>

const envKeywords: ReadonlyArray<readonly [Keyword, string]> = Object.entries(KEYWORDS).flatMap(([keyword, spec]) =>
  "env" in spec ? [[keyword as Keyword, spec.env] as const] : []
)

/**
 * The variable that stands in for each key word that has one.
 *
 * @since 0.1.0
 * @category constants
 */
export const ENV_VARIABLES: ReadonlyMap<Keyword, string> = new Map(envKeywords)

/**
 * The key word values the environment gives.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromEnv = (env: Environment): ConnInfo => {
  const out: { -readonly [K in Keyword]?: string } = {}
  for (const [keyword, variable] of envKeywords) {
    const value = env[variable]
    if (value !== undefined) out[keyword] = value
  }
  if (out.sslmode === undefined && env.PGREQUIRESSL?.startsWith("1") === true) out.sslmode = "require"
  return out
}

const startupVariables: ReadonlyArray<readonly [string, string]> = [
  ["PGDATESTYLE", "datestyle"],
  ["PGTZ", "timezone"],
  ["PGGEQO", "geqo"]
]

/**
 * The run-time parameters libpq sends from the environment.
 *
 * @since 0.1.0
 * @category constructors
 */
export const startupParametersFromEnv = (env: Environment): Readonly<Record<string, string>> => {
  const out: Record<string, string> = {}
  for (const [variable, parameter] of startupVariables) {
    const value = env[variable]
    if (value !== undefined && value.toLowerCase() !== "default") out[parameter] = value
  }
  return out
}
