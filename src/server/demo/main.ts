/**
 * Runs the demo engine as a server: `node src/server/demo/main.ts`, then
 * `psql "host=127.0.0.1 port=5433 user=anyone"` (trust authentication).
 * `PORT` and `HOST` change where it listens.
 *
 * What it is not: a way to keep data; the table lives in memory.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { PgServer } from "../PgServer.ts"
import * as DemoEngine from "./DemoEngine.ts"

const host = process.env["HOST"] ?? "127.0.0.1"
const port = Number(process.env["PORT"] ?? 5433)

const announce = Layer.effectDiscard(
  Effect.flatMap(PgServer, (server) => Effect.log(`demo server on ${server.tcp?.host}:${server.tcp?.port}`))
)

NodeRuntime.runMain(Layer.launch(announce.pipe(Layer.provideMerge(PgServer.layer({ host, port })), Layer.provide(DemoEngine.layer))))
