/**
 * The statement compiler: placeholders, quoted identifiers, the helpers'
 * PostgreSQL forms, json fragments and name transforms, checked on the SQL
 * text and parameters they produce.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type { Connection } from "effect/sql/SqlConnection"
import * as Statement from "effect/sql/Statement"
import { json, makeCompiler, quoteIdentifier } from "../../src/sql/Compiler.ts"

// Compiling needs no connection: the acquirer is never run.
const constructor = (compiler = makeCompiler()) =>
  Statement.make(Effect.die("not connected") as Effect.Effect<Connection>, compiler, [], undefined)

describe("compiler", () => {
  it("numbers placeholders $1, $2, ... across fragments and helpers", () => {
    const sql = constructor()
    const [text, params] = sql`SELECT * FROM t WHERE a = ${1} AND ${sql.in("b", ["x", "y"])} AND c = ${true}`.compile()
    expect(text).toBe(`SELECT * FROM t WHERE a = $1 AND "b" IN ($2,$3) AND c = $4`)
    expect(params).toEqual([1, "x", "y", true])
  })

  it("quotes identifiers, doubling quotes inside and splitting schema from name", () => {
    expect(quoteIdentifier("users")).toBe(`"users"`)
    expect(quoteIdentifier(`we"ird`)).toBe(`"we""ird"`)
    expect(quoteIdentifier("app.users")).toBe(`"app"."users"`)
    const sql = constructor()
    expect(sql`SELECT ${sql("Mixed Case")} FROM ${sql("app.t")}`.compile()[0]).toBe(`SELECT "Mixed Case" FROM "app"."t"`)
  })

  it("writes insert, update and updateValues in PostgreSQL's forms", () => {
    const sql = constructor()
    const insert = sql`INSERT INTO t ${sql.insert([{ a: 1, b: "x" }, { a: 2, b: "y" }])}`.compile()
    expect(insert).toEqual([`INSERT INTO t ("a","b") VALUES ($1,$2),($3,$4)`, [1, "x", 2, "y"]])
    const update = sql`UPDATE t SET ${sql.update({ a: 1, b: "x" }, ["b"])} WHERE id = ${7}`.compile()
    expect(update).toEqual([`UPDATE t SET "a" = $1 WHERE id = $2`, [1, 7]])
    const values = sql`UPDATE t SET b = v.b FROM ${sql.updateValues([{ a: 1, b: "x" }, { a: 2, b: "y" }], "v")} WHERE t.a = v.a`.compile()
    expect(values).toEqual([`UPDATE t SET b = v.b FROM (VALUES ($1,$2),($3,$4)) AS "v"("a","b") WHERE t.a = v.a`, [1, "x", 2, "y"]])
    const empty = sql`SELECT * FROM t WHERE a IN ${sql.in([])}`.compile()
    expect(empty[0]).toBe(`SELECT * FROM t WHERE a = ANY('{}')`)
  })

  it("json fragments are jsonb parameters; a string is sent as its JSON form", () => {
    const sql = constructor()
    const [text, params] = sql`SELECT ${json({ a: 1 })} AS o, ${json("s")} AS s`.compile()
    expect(text).toBe(`SELECT $1::jsonb AS o, $2::jsonb AS s`)
    expect(params).toEqual([{ a: 1 }, `"s"`])
  })

  it("transforms identifiers and json keys, not values", () => {
    const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
    const sql = constructor(makeCompiler(snake))
    const [text, params] = sql`INSERT INTO ${sql("userEvents")} ${sql.insert({ userId: 1, payload: json({ eventName: "signUp" }) })}`.compile()
    // In a helper the column gives the parameter its type, so no cast is written.
    expect(text).toBe(`INSERT INTO "user_events" ("user_id","payload") VALUES ($1,$2)`)
    expect(params).toEqual([1, { event_name: "signUp" }])
    const untransformed = makeCompiler(snake, false)
    const [, raw] = Statement.make(Effect.die("not connected") as Effect.Effect<Connection>, untransformed, [], undefined)`SELECT ${json({ eventName: "x" })}`.compile()
    expect(raw).toEqual([{ eventName: "x" }])
  })
})
