/**
 * A connection closed while a query on it is still being prepared (its
 * Parse/Describe sent, the statement not built yet): the query must end
 * with the connection's failure, not wait forever.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import { PgConnection } from "../../src/client/PgConnection.ts"
import { superuserConfig } from "../support/connection.ts"

describe("closing a connection", () => {
  it.live("ends a query still being prepared with the connection's failure", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 10; i++) {
        const scope = yield* Scope.make()
        const c = yield* Scope.provide(PgConnection.make(superuserConfig()), scope)
        // A statement the connection has not prepared yet, started now and left waiting for its description.
        const query = yield* Effect.forkChild(c.query(`SELECT ${i}::int AS n`), { startImmediately: true })
        yield* Scope.close(scope, Exit.void)
        const settled = yield* Effect.timeoutOption(Fiber.await(query), "10 seconds")
        expect(Option.isSome(settled)).toBe(true)
        const exit = Option.getOrThrow(settled)
        expect(Exit.isFailure(exit)).toBe(true)
        const error = Exit.isFailure(exit) ? Exit.findErrorOption(exit) : Option.none()
        expect(Option.isSome(error) && error.value._tag).toBe("ConnectionError")
      }
    }), 60_000)
})
