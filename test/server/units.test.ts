/**
 * The server's pure parts on their own: the statement splitter (quotes,
 * dollar quotes, identifiers, comments), the `options` startup parameter,
 * StartupMessage reading, value encoding in both formats and parameter
 * decoding (round trips for every binary type), and the command-tag rules
 * of the transaction status.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Result from "effect/Result"
import { StartupCode } from "../../src/protocol/index.ts"
import { statusAfterTag } from "../../src/server/Results.ts"
import { parseOptions, readStartupMessage } from "../../src/server/Startup.ts"
import { splitStatements } from "../../src/server/Statements.ts"
import { ArrayOid, decode, decodeParameter, encode, encodeValue, hasBinaryFormat, Oid, textOf, ValueError } from "../../src/server/Values.ts"

describe("splitStatements", () => {
  it("splits at semicolons outside quotes, identifiers, dollar quotes and comments", () => {
    expect(splitStatements("SELECT 1; SELECT 2;")).toEqual(["SELECT 1", "SELECT 2"])
    expect(splitStatements("SELECT 'a;b'; SELECT \"x;y\"")).toEqual(["SELECT 'a;b'", "SELECT \"x;y\""])
    expect(splitStatements("SELECT 'it''s;'; SELECT E'\\';'")).toEqual(["SELECT 'it''s;'", "SELECT E'\\';'"])
    expect(splitStatements("DO $$ BEGIN; END $$; SELECT $tag$ ; $tag$")).toEqual(["DO $$ BEGIN; END $$", "SELECT $tag$ ; $tag$"])
    expect(splitStatements("SELECT $1; SELECT a$b")).toEqual(["SELECT $1", "SELECT a$b"])
    expect(splitStatements("SELECT 1 -- ; not here\n; /* ; /* nested; */ ; */ SELECT 2")).toEqual(["SELECT 1 -- ; not here", "/* ; /* nested; */ ; */ SELECT 2"])
  })

  it("drops pieces of only whitespace and comments", () => {
    expect(splitStatements("")).toEqual([])
    expect(splitStatements(" ; ;; ")).toEqual([])
    expect(splitStatements("-- just a comment")).toEqual([])
    expect(splitStatements("/* c */ ; SELECT 1 ;; ")).toEqual(["SELECT 1"])
  })

  it("an unterminated quote runs to the end", () => {
    expect(splitStatements("SELECT 'open; SELECT 2")).toEqual(["SELECT 'open; SELECT 2"])
  })
})

describe("startup", () => {
  it("options: -c, -cname, --name with dashes, backslash-escaped spaces", () => {
    const parsed = parseOptions("-c search_path=a\\ b  -cwork_mem=4MB --statement-timeout=5s")
    expect(Result.getOrThrow(parsed)).toEqual([["search_path", "a b"], ["work_mem", "4MB"], ["statement_timeout", "5s"]])
    const bad = parseOptions("-x nonsense")
    expect(Result.isFailure(bad) && [bad.failure.code, bad.failure.severity]).toEqual(["42601", "FATAL"])
  })

  it("reads version, user, database default, replication and settings", () => {
    const read = Result.getOrThrow(readStartupMessage({
      _tag: "StartupMessage",
      protocolVersion: StartupCode.Protocol3_2,
      parameters: { user: "u", replication: "true", application_name: "app", options: "-c x=1" }
    }))
    expect(read).toMatchObject({ protocolVersion: StartupCode.Protocol3_2, negotiate: undefined, user: "u", database: "u", replication: "physical", applicationName: "app" })
    expect(read.settings).toEqual([["application_name", "app"], ["x", "1"]])
    const newer = Result.getOrThrow(readStartupMessage({ _tag: "StartupMessage", protocolVersion: 0x00030001, parameters: { user: "u" } }))
    expect(newer.protocolVersion).toBe(0x00030001)
    expect(newer.negotiate).toBeUndefined()
  })
})

describe("values", () => {
  it("text formats as PostgreSQL prints them", () => {
    expect(textOf(Oid.bool, true)).toBe("t")
    expect(textOf(Oid.bytea, new Uint8Array([0, 15, 255]))).toBe("\\x000fff")
    expect(textOf(Oid.timestamptz, new Date("2024-02-03T04:05:06.789Z"))).toBe("2024-02-03 04:05:06.789+00")
    expect(textOf(Oid.timestamp, new Date("2024-02-03T04:05:06Z"))).toBe("2024-02-03 04:05:06")
    expect(textOf(Oid.date, new Date("2024-02-29T00:00:00Z"))).toBe("2024-02-29")
    expect(textOf(Oid.int8, 12345678901234567890n)).toBe("12345678901234567890")
    expect(textOf(Oid.jsonb, { a: [1, null] })).toBe("{\"a\":[1,null]}")
    expect(textOf(ArrayOid.text, ["a", "b c", null, "", "q\"x"])).toBe("{a,\"b c\",NULL,\"\",\"q\\\"x\"}")
    expect(textOf(ArrayOid.int4, [[1, 2], [3, 4]])).toBe("{{1,2},{3,4}}")
  })

  const cases: ReadonlyArray<readonly [number, unknown, unknown]> = [
    [Oid.bool, false, false],
    [Oid.int2, -32768, -32768],
    [Oid.int4, 2147483647, 2147483647],
    [Oid.int8, -9007199254740993n, -9007199254740993n],
    [Oid.oid, 4294967295, 4294967295],
    [Oid.float4, 1.5, 1.5],
    [Oid.float8, -0.1, -0.1],
    [Oid.text, "héllo ✓", "héllo ✓"],
    [Oid.varchar, "v", "v"],
    [Oid.bytea, new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3])],
    [Oid.json, "{\"a\":1}", "{\"a\":1}"],
    [Oid.jsonb, { b: true }, "{\"b\":true}"],
    [Oid.uuid, "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"],
    [Oid.timestamptz, new Date("1999-12-31T23:59:59.999Z"), new Date("1999-12-31T23:59:59.999Z")],
    [Oid.date, new Date("1970-01-02T00:00:00Z"), "1970-01-02"]
  ]

  for (const [oid, value, decoded] of cases) {
    it(`type ${oid}: binary encoding decodes back`, () => {
      expect(hasBinaryFormat(oid)).toBe(true)
      expect(decodeParameter(oid, 1, encodeValue(oid, 1, value))).toEqual(decoded)
    })
  }

  it("text parameters become typed values; bad input is 22P02 or 22003", () => {
    const text = (s: string) => new TextEncoder().encode(s)
    expect(decodeParameter(Oid.int4, 0, text(" 42 "))).toBe(42)
    expect(decodeParameter(Oid.int8, 0, text("-9223372036854775808"))).toBe(-9223372036854775808n)
    expect(decodeParameter(Oid.bool, 0, text("yes"))).toBe(true)
    expect(decodeParameter(Oid.float8, 0, text("-Infinity"))).toBe(-Infinity)
    expect(decodeParameter(Oid.bytea, 0, text("\\x01ff"))).toEqual(new Uint8Array([1, 255]))
    expect(decodeParameter(Oid.numeric, 0, text("1.50"))).toBe("1.50")
    expect(decodeParameter(Oid.int4, 0, null)).toBeNull()
    const codeOf = (f: () => unknown) => {
      try {
        f()
        return "no error"
      } catch (thrown) {
        return thrown instanceof ValueError ? thrown.code : "not a ValueError"
      }
    }
    expect(codeOf(() => decodeParameter(Oid.int4, 0, text("4x")))).toBe("22P02")
    expect(codeOf(() => decodeParameter(Oid.int2, 0, text("40000")))).toBe("22003")
    expect(codeOf(() => decodeParameter(Oid.int8, 1, new Uint8Array(4)))).toBe("22P03")
    expect(codeOf(() => decodeParameter(Oid.text, 0, new Uint8Array([0xff])))).toBe("22021")
    expect(codeOf(() => encodeValue(Oid.int4, 1, 1.5))).toBe("22003")
    expect(codeOf(() => encodeValue(Oid.numeric, 1, "1"))).toBe("42883")
  })
})

describe("the non-throwing value API", () => {
  it("decode and encode return Results with the PgError to answer", () => {
    expect(Result.getOrThrow(decode(Oid.int4, 0, new TextEncoder().encode("7")))).toBe(7)
    const bad = decode(Oid.int4, 0, new TextEncoder().encode("seven"))
    expect(Result.isFailure(bad) && [bad.failure._tag, bad.failure.code]).toEqual(["PgError", "22P02"])
    expect(Result.getOrThrow(encode(Oid.int2, 1, 258))).toEqual(new Uint8Array([1, 2]))
    expect(Result.getOrThrow(encode(Oid.int2, 1, null))).toBeNull()
    const unsupported = encode(Oid.interval, 1, "1 day")
    expect(Result.isFailure(unsupported) && unsupported.failure.code).toBe("42883")
  })
})

describe("transaction status from command tags", () => {
  it("BEGIN and START TRANSACTION open, COMMIT and ROLLBACK close, others keep", () => {
    expect(statusAfterTag("BEGIN", "I")).toBe("T")
    expect(statusAfterTag("START TRANSACTION", "I")).toBe("T")
    expect(statusAfterTag("COMMIT", "T")).toBe("I")
    expect(statusAfterTag("ROLLBACK", "E")).toBe("I")
    expect(statusAfterTag("PREPARE TRANSACTION", "T")).toBe("I")
    expect(statusAfterTag("COMMIT PREPARED", "I")).toBe("I")
    expect(statusAfterTag("INSERT 0 1", "T")).toBe("T")
    expect(statusAfterTag("START", "I")).toBe("I")
  })
})
