/**
 * A client connection to the shared test PostgreSQL as its superuser, over
 * plain TCP: the configuration, and a scoped helper that connects, runs
 * `use` and closes.
 */
import * as Effect from "effect/Effect"
import type { PgConnectionConfig } from "../../src/client/Config.ts"
import { PgConnection, type PgConnectionShape } from "../../src/client/PgConnection.ts"
import { postgres as server } from "./context.ts"

export const superuserConfig = (): PgConnectionConfig => {
  const pg = server()
  return {
    host: pg.host,
    port: pg.port,
    user: pg.superuser.user,
    password: pg.superuser.password,
    database: pg.database,
    sslMode: "disable"
  }
}

export const withConnection = <A, E>(use: (c: PgConnectionShape) => Effect.Effect<A, E>) =>
  Effect.scoped(Effect.flatMap(PgConnection.make(superuserConfig()), use))
