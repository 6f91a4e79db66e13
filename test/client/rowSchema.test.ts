/**
 * Rows decoded with a caller's Schema, on a real PostgreSQL 18.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { PgConnection } from "../../src/client/PgConnection.ts"
import { queryAs, streamAs } from "../../src/client/RowSchema.ts"
import { superuserConfig } from "../support/connection.ts"

const connect = PgConnection.make(superuserConfig())

const User = Schema.Struct({ id: Schema.Number, name: Schema.String, since: Schema.Date })

describe("rows with a Schema", () => {
  it.live("decodes matching rows to the schema's type", () =>
    Effect.scoped(Effect.gen(function*() {
      const c = yield* connect
      const users = yield* queryAs(c, User, "SELECT 1 AS id, 'ada' AS name, '2024-01-02T03:04:05Z'::timestamptz AS since")
      expect(users).toEqual([{ id: 1, name: "ada", since: new Date("2024-01-02T03:04:05Z") }])
      const streamed = yield* Stream.runCollect(streamAs(c, Schema.Struct({ i: Schema.Number }), "SELECT i FROM generate_series(1, 3) i"))
      expect(streamed).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }])
    })))

  it.live("a mismatch names the row and the column; the connection stays usable", () =>
    Effect.scoped(Effect.gen(function*() {
      const c = yield* connect
      const exit = yield* Effect.exit(
        queryAs(c, User, "SELECT i AS id, CASE WHEN i = 2 THEN NULL ELSE 'x' END AS name, now() AS since FROM generate_series(1, 3) i")
      )
      expect(Exit.isFailure(exit)).toBe(true)
      const error = Exit.isFailure(exit) ? Exit.findErrorOption(exit) : undefined
      const value = error?._tag === "Some" ? error.value : undefined
      expect(value?._tag).toBe("RowSchemaError")
      if (value?._tag === "RowSchemaError") {
        expect(value.row).toBe(1)
        expect(value.column).toBe("name")
        expect(value.message).toMatch(/row 1, column "name"/)
      }
      expect((yield* c.query("SELECT 1 AS ok")).rows).toEqual([{ ok: 1 }])
    })))
})
