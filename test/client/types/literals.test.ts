/**
 * The text literal readers of the containers on inputs the server's output
 * does not show every day: spacing, escapes outside quotes, NULL spelled in
 * any case versus a quoted "NULL", dimension decorations, the box
 * delimiter, empty quoted fields versus NULL fields, `()`.
 */
import { describe, expect, it } from "@effect/vitest"
import { parseArrayLiteral } from "../../../src/client/types/Array.ts"
import { Oid } from "../../../src/client/types/Oids.ts"
import { PgRange, rangeCodec } from "../../../src/client/types/Range.ts"
import { parseRecordLiteral } from "../../../src/client/types/Record.ts"
import { TypeRegistry } from "../../../src/client/types/Registry.ts"

const registry = new TypeRegistry()

describe("array literals", () => {
  const cases: ReadonlyArray<readonly [string, string, unknown, ReadonlyArray<number> | undefined]> = [
    ["the empty array", "{}", [], undefined],
    ["spaces around elements and braces", "  { 1 , 2 }  ", ["1", "2"], undefined],
    ["NULL in any case, and a quoted NULL", "{NULL,null,\"NULL\",NuLl,nulls}", [null, null, "NULL", null, "nulls"], undefined],
    ["escapes outside and inside quotes", "{a\\,b,\"c\\\"d\",e\\\\f,\\NULL}", ["a,b", "c\"d", "e\\f", "NULL"], undefined],
    ["inner spaces kept, outer spaces dropped, escaped spaces kept", "{\"  q  \",  un quoted  ,a\\ }", ["  q  ", "un quoted", "a "], undefined],
    ["a lower bound", "[0:1]={a,b}", ["a", "b"], [0]],
    ["negative bounds on two dimensions", "[-2:-1][1:2]={{a,b},{c,d}}", [["a", "b"], ["c", "d"]], [-2, 1]],
    ["a bound without its lower part (1)", "[2]={a,b}", ["a", "b"], [1]],
    ["spaces in the decoration", "[ 0 : 0 ] = { x }", ["x"], [0]],
    ["nested braces inside quotes", "{{\"{}\",\"}\"}}", [["{}", "}"]], undefined],
    ["three dimensions", "{{{1},{2}},{{3},{NULL}}}", [[["1"], ["2"]], [["3"], [null]]], undefined]
  ]
  for (const [name, text, values, lowerBounds] of cases) {
    it(name, () => {
      expect(parseArrayLiteral("test", text)).toEqual({ values, lowerBounds })
    })
  }

  it("box arrays are delimited by semicolons", () => {
    expect(parseArrayLiteral("box[]", "{(1,2),(3,4);(5,6),(7,8)}", ";")).toEqual({
      values: ["(1,2),(3,4)", "(5,6),(7,8)"],
      lowerBounds: undefined
    })
    expect(registry.codec(1020).writeText([{ high: { x: 3, y: 4 }, low: { x: 1, y: 2 } }, null])).toBe("{\"(3,4),(1,2)\";NULL}")
  })

  it("arrays are written with every element quoted and the decoration when a bound is not 1", () => {
    expect(registry.codec(1009).writeText(["a", null, "NULL", "\"\\", ""])).toBe("{\"a\",NULL,\"NULL\",\"\\\"\\\\\",\"\"}")
    expect(registry.codec(1007).writeText([])).toBe("{}")
    expect(registry.codec(1007).readText("[0:1][5:6]={{1,2},{3,4}}")).toEqual(
      registry.codec(1007).readText(registry.codec(1007).writeText(registry.codec(1007).readText("[0:1][5:6]={{1,2},{3,4}}")))
    )
  })
})

describe("record literals", () => {
  it("an empty field is NULL, an empty quoted field an empty string", () => {
    expect(parseRecordLiteral("r", "(1,\"a b\",,\"\")")).toEqual(["1", "a b", null, ""])
    expect(parseRecordLiteral("r", "(,)")).toEqual([null, null])
  })

  it("doubled quotes and backslashes escape", () => {
    expect(parseRecordLiteral("r", "(\"a\"\"b\",\"c\\\\d\",e\\,f,x\"y,z\"w)")).toEqual(["a\"b", "c\\d", "e,f", "xy,zw"])
  })

  it("() is a record of no fields or of one NULL field, as the type says", () => {
    expect(parseRecordLiteral("r", "()", 0)).toEqual([])
    expect(parseRecordLiteral("r", "()", 1)).toEqual([null])
  })
})

describe("range literals", () => {
  const text = rangeCodec(0, "textrange", registry.codec(Oid.text))
  it("a quoted empty bound is a value, an absent bound is unbounded", () => {
    expect(text.readText("[\"\",)")).toEqual(PgRange.make("", null))
    expect(text.readText("(,\"\"]")).toEqual(PgRange.make(null, "", "(]"))
  })

  it("quoted bounds hold commas, brackets, quotes and backslashes", () => {
    expect(text.readText("[\"a,b\",\"c]\\\"d\"\"\\\\\")")).toEqual(PgRange.make("a,b", "c]\"d\"\\"))
    expect(text.readText(text.writeText(PgRange.make("a,b", "c]\"d\"\\")))).toEqual(PgRange.make("a,b", "c]\"d\"\\"))
  })

  it("empty in any case, with spaces", () => {
    expect(text.readText("  EMPTY ")).toEqual(PgRange.empty)
    expect(text.writeText(PgRange.empty)).toBe("empty")
  })

  it("an unbounded side is never inclusive", () => {
    expect(PgRange.make(null, 5, "[]")).toEqual(PgRange.make(null, 5, "(]"))
  })
})
