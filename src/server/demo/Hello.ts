/**
 * The example of `docs/server.md`: a complete server in one file. It
 * answers `SELECT $1` (any text, echoed back), `SHOW name`, `SET name = x`,
 * and greets whoever connects; passwords are checked with SCRAM-SHA-256.
 *
 * Run it with `node src/server/demo/Hello.ts`, then
 * `PGPASSWORD=secret psql "host=127.0.0.1 port=5433 user=alice" -c "SELECT 'hi'"`.
 *
 * What it is not: a database (see `DemoEngine.ts` for one with a table).
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { AuthProvider } from "../AuthProvider.ts"
import { pgError } from "../PgError.ts"
import { PgServer } from "../PgServer.ts"
import { QueryHandler } from "../QueryHandler.ts"
import * as Results from "../Results.ts"
import { Oid } from "../Values.ts"

const show = /^show\s+(\w+)$/i
const set = /^set\s+(\w+)\s*(?:=|to)\s*'?([^']*)'?$/i
const echo = /^select\s+\$1$/i

/**
 * The handler: `prepare` describes a statement, `execute` runs it.
 *
 * @since 0.1.0
 * @category handlers
 */
export const HelloHandler = QueryHandler.layer({
  prepare: ({ sql }) => {
    if (echo.test(sql)) return Effect.succeed({ sql, parameterTypes: [Oid.text], fields: [Results.field("echo", Oid.text)] })
    const shown = show.exec(sql)
    if (shown !== null) return Effect.succeed({ sql, parameterTypes: [], fields: [Results.field(shown[1]!, Oid.text)] })
    if (set.test(sql)) return Effect.succeed({ sql, parameterTypes: [], fields: undefined })
    return Effect.fail(pgError("42601", `this server only knows SELECT $1, SHOW and SET, not: ${sql}`))
  },
  execute: ({ parameters, session, statement }) => {
    const shown = show.exec(statement.sql)
    if (shown !== null) {
      const value = session.setting(shown[1]!)
      return value === undefined
        ? Effect.fail(pgError("42704", `unrecognized configuration parameter "${shown[1]}"`))
        : Effect.succeed(Results.rows([[value]], { command: "SHOW", omitCount: true }))
    }
    const assigned = set.exec(statement.sql)
    if (assigned !== null) return Effect.as(session.set(assigned[1]!, assigned[2]!), Results.command("SET"))
    return Effect.succeed(Results.rows([[parameters[0]]]))
  },
  startSession: (session) => session.notice(`hello, ${session.user}`)
})

/**
 * Users and their method: SCRAM-SHA-256 for everyone.
 *
 * @since 0.1.0
 * @category handlers
 */
export const HelloAuth = AuthProvider.layerPasswords({ method: "scram-sha-256", users: { alice: "secret" } })

/**
 * The server: TCP on 127.0.0.1:5433, both services provided.
 *
 * @since 0.1.0
 * @category layers
 */
export const HelloServer = (port = 5433) =>
  PgServer.layer({ host: "127.0.0.1", port }).pipe(Layer.provide(HelloHandler), Layer.provide(HelloAuth))

if (import.meta.main) NodeRuntime.runMain(Layer.launch(HelloServer(Number(process.env["PORT"] ?? 5433))))
