/**
 * Connection service files (`pg_service.conf`), read as libpq reads them.
 *
 * An INI-like file: `[name]` starts a service; `key=value` lines inside it
 * give key words (no spaces around `=`; the value is everything after the
 * first `=`, with no quoting or escapes). Leading and trailing whitespace of
 * a line and lines starting with `#` are ignored. In a service, the first
 * value of a key word wins; an unknown key word, a line without `=`, or a
 * nested `service` is an error naming the file and line.
 *
 * Where: `servicefile` / `PGSERVICEFILE` (it must exist), else
 * `~/.pg_service.conf` (if it exists); a service not found there is looked
 * for in `$PGSYSCONFDIR/pg_service.conf` (default `/etc/postgresql-common`,
 * Debian's). A service found in neither is an error.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import { ConfigError } from "./ConfigError.ts"
import type { ConfigFiles } from "./Files.ts"
import { type ConnInfo, isKeyword, type Keyword } from "./Keywords.ts"

/**
 * A service looked up in one file.
 *
 * @since 0.1.0
 * @category models
 */
export interface ServiceLookup {
  readonly found: boolean
  readonly values: ConnInfo
}

const isSpace = (c: string | undefined): boolean =>
  c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\v" || c === "\f"

const trim = (line: string): string => {
  let start = 0
  let end = line.length
  while (end > 0 && isSpace(line[end - 1])) end--
  while (start < end && isSpace(line[start])) start++
  return line.slice(start, end)
}

/**
 * Reads the section `[service]` of a service file's text. `fileName` is for
 * the messages.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseServiceFile = (
  text: string,
  service: string,
  fileName: string
): Result.Result<ServiceLookup, ConfigError> => {
  const values: { -readonly [K in Keyword]?: string } = {}
  const syntaxError = (line: number) =>
    Result.fail(new ConfigError({ message: `syntax error in service file "${fileName}", line ${line}`, key: "service" }))
  let found = false
  const lines = text.split("\n")
  for (let index = 0; index < lines.length; index++) {
    const line = trim(lines[index]!)
    if (line === "" || line.startsWith("#")) continue
    if (line.startsWith("[")) {
      if (found) break
      // libpq compares the name as a prefix followed by "]" and ignores the rest of the line.
      found = line.startsWith(service, 1) && line[service.length + 1] === "]"
      continue
    }
    if (!found) continue
    const equals = line.indexOf("=")
    if (equals === -1) return syntaxError(index + 1)
    const key = line.slice(0, equals)
    if (key === "service" || key === "servicefile") {
      return Result.fail(
        new ConfigError({
          message: `nested ${key} specifications not supported in service file "${fileName}", line ${index + 1}`,
          key: "service"
        })
      )
    }
    if (!isKeyword(key)) return syntaxError(index + 1)
    if (values[key] === undefined) values[key] = line.slice(equals + 1)
  }
  return Result.succeed({ found, values })
}

/**
 * Where to look for services.
 *
 * @since 0.1.0
 * @category models
 */
export interface ServiceFileLocations {
  /** `servicefile` or `PGSERVICEFILE`: the user's service file, which must exist. */
  readonly serviceFile: string | undefined
  /** The home directory (for `~/.pg_service.conf`). */
  readonly home: string | undefined
  /** `PGSYSCONFDIR`, or the built-in default. */
  readonly sysconfDir: string
}

/**
 * Finds `service` in the user's then the system's service file.
 *
 * @since 0.1.0
 * @category constructors
 */
export const lookupService = (
  files: ConfigFiles,
  service: string,
  locations: ServiceFileLocations
): Effect.Effect<ConnInfo, ConfigError> =>
  Effect.gen(function*() {
    const read = (path: string) =>
      Effect.flatMap(files.readText(path, "service"), (text) => Effect.fromResult(parseServiceFile(text, service, path)))
    let userFile: string | undefined
    if (locations.serviceFile !== undefined) {
      userFile = locations.serviceFile
      if ((yield* files.stat(userFile)) === undefined) {
        return yield* new ConfigError({ message: `service file "${userFile}" not found`, key: "servicefile" })
      }
    } else if (locations.home !== undefined) {
      const path = `${locations.home}/.pg_service.conf`
      if ((yield* files.stat(path)) !== undefined) userFile = path
    }
    if (userFile !== undefined) {
      const lookup = yield* read(userFile)
      if (lookup.found) return lookup.values
    }
    const systemFile = `${locations.sysconfDir}/pg_service.conf`
    if ((yield* files.stat(systemFile)) !== undefined) {
      const lookup = yield* read(systemFile)
      if (lookup.found) return lookup.values
    }
    return yield* new ConfigError({ message: `definition of service "${service}" not found`, key: "service" })
  })
