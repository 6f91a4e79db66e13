/**
 * The shared effect/sql suite (`suite.ts`) on `@effect/sql-pg`'s layer: the
 * reference the pgwire driver is held to.
 */
import * as Redacted from "effect/Redacted"
import * as PgClient from "@effect/sql-pg/PgClient"
import { postgres as server } from "../support/context.ts"
import { sqlSuite } from "./suite.ts"

const pg = server()

sqlSuite("sqlpg", () =>
  PgClient.layer({
    host: pg.host,
    port: pg.port,
    username: pg.superuser.user,
    password: Redacted.make(pg.superuser.password),
    database: pg.database,
    ssl: false
  }))
