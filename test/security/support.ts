/**
 * Helpers of the security tests: running libpq's psql as the reference
 * client, and reading the typed failure out of an Exit.
 */
import { execFile, execFileSync } from "node:child_process"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"

export interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** The path of a binary on PATH; a missing one fails the test (CI installs postgresql-client). */
export const locate = (tool: string): Effect.Effect<string, string> =>
  Effect.try({
    try: () => execFileSync("which", [tool], { encoding: "utf8" }).trim(),
    catch: () => `${tool} is not installed: this test needs it (apt-get install postgresql-client)`
  }).pipe(Effect.filterOrFail((path) => path !== "", () => `${tool} is not on PATH`))

/**
 * Runs a binary with a minimal environment (no PG* variables, HOME set to
 * `home` so that libpq finds no ~/.postgresql files) and captures its output.
 */
export const run = (
  file: string,
  args: ReadonlyArray<string>,
  options: { readonly home: string; readonly env?: Record<string, string> }
): Effect.Effect<Run> =>
  Effect.callback<Run>((resume) => {
    const child = execFile(file, [...args], {
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: options.home, PGCONNECT_TIMEOUT: "10", ...options.env },
      timeout: 30_000
    }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1
      resume(Effect.succeed({ code, stdout, stderr }))
    })
    child.stdin?.end()
    return Effect.sync(() => void child.kill())
  })

/** The typed failure of an exit, if it failed with one. */
export const failureOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined => {
  const found = Exit.isFailure(exit) ? Exit.findErrorOption(exit) : undefined
  return found?._tag === "Some" ? found.value : undefined
}

/** The SQLSTATE of the server error an error carries as its cause (an AuthError refusing a login). */
export const causeCode = (error: unknown): string | undefined => {
  if (typeof error !== "object" || error === null || !("cause" in error)) return undefined
  const cause = error.cause
  return typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string" ? cause.code : undefined
}
