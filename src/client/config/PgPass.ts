/**
 * The password file (`~/.pgpass`, or `passfile` / `PGPASSFILE`), matched as
 * libpq matches it.
 *
 * Each line is `hostname:port:database:username:password`. The first line
 * whose first four fields match wins. A field that is exactly `*` matches
 * anything; otherwise it must equal the value, where `\` takes the next
 * character literally (so `\:` and `\\`). The password runs to the next
 * unescaped `:` or the end of the line. Lines starting with `#` are
 * comments; trailing CR/LF is dropped, other whitespace is kept.
 *
 * The host looked up is the `host` of the connection, else its `hostaddr`;
 * `localhost` stands for both "no host" and the default Unix socket
 * directory (any other socket directory is matched by its path). A file
 * that is not a plain file, or that its group or others may access (mode
 * `& 0o077`), is ignored with a warning, as libpq does on POSIX systems.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type { ConfigFiles } from "./Files.ts"
import { DEFAULT_SOCKET_DIR } from "./Keywords.ts"

/**
 * What a password is looked up for.
 *
 * @since 0.1.0
 * @category models
 */
export interface PgPassQuery {
  /** The host, hostaddr or socket directory of the connection ("" for none). */
  readonly host: string
  readonly port: number
  readonly database: string
  readonly user: string
}

/**
 * The host name a pgpass line is matched against.
 *
 * @since 0.1.0
 * @category parsing
 */
export const pgpassHost = (host: string): string => (host === "" || host === DEFAULT_SOCKET_DIR ? "localhost" : host)

/** Index just past the field's closing ":" when the field at `start` matches `token`, else -1. */
const matchField = (line: string, start: number, token: string): number => {
  if (line[start] === "*" && line[start + 1] === ":") return start + 2
  let i = start
  let t = 0
  while (i < line.length) {
    let escaped = false
    if (line[i] === "\\") {
      i++
      escaped = true
    }
    if (line[i] === ":" && t === token.length && !escaped) return i + 1
    if (t === token.length || line[i] !== token[t]) return -1
    i++
    t++
  }
  return -1
}

/**
 * The password of the first matching line of a pgpass text, or undefined.
 *
 * @since 0.1.0
 * @category parsing
 */
export const findPassword = (text: string, query: PgPassQuery): string | undefined => {
  if (query.database === "" || query.user === "") return undefined
  const tokens = [pgpassHost(query.host), String(query.port), query.database, query.user]
  for (const raw of text.split("\n")) {
    if (raw.startsWith("#")) continue
    const line = raw.replace(/[\r\n]+$/, "")
    if (line.length === 0) continue
    let at = 0
    for (const token of tokens) {
      at = matchField(line, at, token)
      if (at < 0) break
    }
    if (at < 0) continue
    let password = ""
    for (let i = at; i < line.length && line[i] !== ":"; i++) {
      if (line[i] === "\\" && i + 1 < line.length) i++
      password += line[i]
    }
    return password
  }
  return undefined
}

/**
 * A pgpass lookup: the password found, and why the file was ignored if it was.
 *
 * @since 0.1.0
 * @category models
 */
export interface PgPassLookup {
  readonly password: string | undefined
  readonly warning: string | undefined
}

/**
 * Looks a password up in the file at `path`. A missing file is no password;
 * an unsafe one is no password and a warning. On a platform without user
 * ids (`files.uid` undefined: Windows) the mode is not checked, as in libpq.
 *
 * @since 0.1.0
 * @category constructors
 */
export const passwordFromFile = (files: ConfigFiles, path: string, query: PgPassQuery) =>
  Effect.gen(function*() {
    const none = (warning?: string): PgPassLookup => ({ password: undefined, warning })
    if (query.database === "" || query.user === "") return none()
    const info = yield* files.stat(path)
    if (info === undefined) return none()
    if (files.uid !== undefined) {
      if (!info.isFile) return none(`password file "${path}" is not a plain file`)
      if ((info.mode & 0o077) !== 0) {
        return none(`password file "${path}" has group or world access; permissions should be u=rw (0600) or less`)
      }
    }
    const text = yield* Effect.orElseSucceed(files.readText(path, "passfile"), () => undefined)
    if (text === undefined) return none()
    return { password: findPassword(text, query), warning: undefined } satisfies PgPassLookup
  })
