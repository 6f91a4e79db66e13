/**
 * The `--users` file of `effect-pgwire proxy`: one user per line, as
 * `name:secret` or pgbouncer's `"name" "secret"`, where the secret is a
 * password or stored text (`SCRAM-SHA-256$<iterations>:<salt>$<stored>:<server>`
 * as in `pg_authid`, or `md5...`). Blank lines and `#` comments are skipped.
 * Plain passwords become SCRAM verifiers when the file is read.
 *
 * @since 0.1.0
 */
import * as Fs from "node:fs/promises"
import * as Effect from "effect/Effect"
import type * as CliError from "effect/cli/CliError"
import { AuthProvider, type AuthProviderShape } from "../server/index.ts"
import { failure, messageOf } from "./Failure.ts"

/**
 * The users of a users file's text; an invalid line is an error naming it.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseUsers = (text: string, file: string): Effect.Effect<Record<string, string>, CliError.UserError> =>
  Effect.suspend(() => {
    const users: Record<string, string> = {}
    const lines = text.split(/\r?\n/)
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim()
      if (line === "" || line.startsWith("#")) continue
      const quoted = /^"((?:[^"]|"")*)"\s+"((?:[^"]|"")*)"$/.exec(line)
      const colon = line.indexOf(":")
      const name = quoted !== null ? quoted[1]!.replaceAll("\"\"", "\"") : colon > 0 ? line.slice(0, colon) : undefined
      const secret = quoted !== null ? quoted[2]!.replaceAll("\"\"", "\"") : colon > 0 ? line.slice(colon + 1) : undefined
      if (name === undefined || secret === undefined || secret === "") {
        return Effect.fail(failure(`${file}:${i + 1}: expected name:password or "name" "secret"`))
      }
      users[name] = secret
    }
    if (Object.keys(users).length === 0) return Effect.fail(failure(`${file} lists no users`))
    return Effect.succeed(users)
  })

/**
 * SCRAM-SHA-256 for the users of the file.
 *
 * @since 0.1.0
 * @category constructors
 */
export const usersAuth = (file: string): Effect.Effect<AuthProviderShape, CliError.UserError> =>
  Effect.gen(function*() {
    const text = yield* Effect.tryPromise({
      try: () => Fs.readFile(file, "utf8"),
      catch: (error) => failure(`cannot read the users file ${file}: ${messageOf(error)}`, error)
    })
    const users = yield* parseUsers(text, file)
    return yield* Effect.mapError(
      AuthProvider.passwords({ method: "scram-sha-256", users }),
      (error) => failure(`${file}: ${messageOf(error)}`, error)
    )
  })
