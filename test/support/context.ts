/**
 * Test-side access to the one PostgreSQL that `test/support/globalSetup.ts`
 * starts for the whole vitest run. Import `postgres()` from here (this module
 * loads no server code):
 *
 *   import { postgres } from "../support/context.ts"
 *   const { port, roles, certs } = postgres()
 *
 * (If a test also imports the postgres.js driver as `postgres`, rename one:
 * `import { postgres as server } from "../support/context.ts"`.)
 */
import { inject } from "vitest"
import type { PostgresInfo } from "./postgres.ts"

declare module "vitest" {
  export interface ProvidedContext {
    postgres: PostgresInfo
  }
}

/** Connection info of the shared test PostgreSQL (host, port, socketDir, roles, certs, version). */
export const postgres = (): PostgresInfo => inject("postgres")
