/**
 * The SQL lexer behind statement splitting and `db.query.text`
 * sanitizing: token kinds as PostgreSQL's scanner cuts them, and two
 * properties over generated SQL-like text (the tokens cover the text
 * exactly; a sanitized text holds no literal).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Schema from "effect/Schema"
import { sanitizeSql, scanSql, type SqlTokenKind } from "../../src/protocol/SqlLexer.ts"

const tokens = (sql: string): Array<[SqlTokenKind, string]> => {
  const out: Array<[SqlTokenKind, string]> = []
  scanSql(sql, (kind, start, end) => out.push([kind, sql.slice(start, end)]))
  return out
}

const kinds = (sql: string) => tokens(sql).filter(([kind]) => kind !== "space").map(([kind, text]) => `${kind}:${text}`)

describe("scanSql", () => {
  it("cuts strings in every form", () => {
    expect(kinds("'a''b' E'x\\'y' B'101' X'1F' N'n' U&'d\\0061' e'q'")).toEqual([
      "string:'a''b'",
      "string:E'x\\'y'",
      "string:B'101'",
      "string:X'1F'",
      "string:N'n'",
      "string:U&'d\\0061'",
      "string:e'q'"
    ])
    expect(kinds("$$a;'b$$ $fn$ x $$ y $fn$ $q$open")).toEqual(["string:$$a;'b$$", "string:$fn$ x $$ y $fn$", "string:$q$open"])
  })

  it("tells identifiers, parameters and numbers apart", () => {
    expect(kinds("SELECT a$b, \"x\"\"y\", U&\"z\", $1, $12::int, t1.c2")).toEqual([
      "identifier:SELECT",
      "identifier:a$b",
      "operator:,",
      "quotedIdentifier:\"x\"\"y\"",
      "operator:,",
      "quotedIdentifier:U&\"z\"",
      "operator:,",
      "parameter:$1",
      "operator:,",
      "parameter:$12",
      "operator::",
      "operator::",
      "identifier:int",
      "operator:,",
      "identifier:t1",
      "operator:.",
      "identifier:c2"
    ])
    expect(kinds("42 3.14 .5 1e10 2.5E-3 0x1F 0o17 0b101 1_000_000 1..2")).toEqual([
      "number:42",
      "number:3.14",
      "number:.5",
      "number:1e10",
      "number:2.5E-3",
      "number:0x1F",
      "number:0o17",
      "number:0b101",
      "number:1_000_000",
      "number:1",
      "operator:.",
      "number:.2"
    ])
  })

  it("reads comments, nested block comments and unterminated text to the end", () => {
    expect(kinds("a -- c; 'x'\nb /* 1 /* 2 */ 3 */ c")).toEqual([
      "identifier:a",
      "comment:-- c; 'x'",
      "identifier:b",
      "comment:/* 1 /* 2 */ 3 */",
      "identifier:c"
    ])
    expect(kinds("x 'open")).toEqual(["identifier:x", "string:'open"])
    expect(kinds("x /* open")).toEqual(["identifier:x", "comment:/* open"])
    expect(kinds("x \"open")).toEqual(["identifier:x", "quotedIdentifier:\"open"])
  })
})

describe("sanitizeSql", () => {
  it("replaces every literal and keeps the rest as written", () => {
    expect(sanitizeSql("ALTER ROLE app PASSWORD 'hunter2'")).toBe("ALTER ROLE app PASSWORD ?")
    expect(sanitizeSql("SELECT * FROM t WHERE a = 'x' AND b > 10 AND c = $1 -- note")).toBe(
      "SELECT * FROM t WHERE a = ? AND b > ? AND c = $1 -- note"
    )
    expect(sanitizeSql("INSERT INTO \"T1\" VALUES (E'a\\'b', 1.5e3, $$it's$$, -7)")).toBe("INSERT INTO \"T1\" VALUES (?, ?, ?, -?)")
    expect(sanitizeSql("SELECT 1; SELECT 'a;b'")).toBe("SELECT ?; SELECT ?")
    expect(sanitizeSql("SELECT now()")).toBe("SELECT now()")
    expect(sanitizeSql("")).toBe("")
  })

  // Fragments that stress the lexer's edges: quotes, escapes, dollar tags,
  // comment markers, numbers next to letters and dots.
  const fragment = Schema.Literals([
    "'", "\"", "$", "$$", "$a$", "$1", "--", "/*", "*/", "\n", ";", " ", "\\", "E", "e", "U&", "x", "B",
    "0", "1", "0x", ".", "_", "a", "-", "+", "(", ")", "::", "ü"
  ])

  it.prop("tokens cover the text exactly, in order, none empty", [Schema.Array(fragment)], ([parts]) => {
    const sql = parts.join("")
    let at = 0
    scanSql(sql, (_kind, start, end) => {
      expect(start).toBe(at)
      expect(end).toBeGreaterThan(start)
      at = end
    })
    expect(at).toBe(sql.length)
  }, { arbitrary: { runs: 3000 } })

  it.prop("a sanitized text holds no literal", [Schema.Array(fragment)], ([parts]) => {
    const sanitized = sanitizeSql(parts.join(""))
    const literals = tokens(sanitized).filter(([kind]) => kind === "string" || kind === "number")
    expect(literals).toEqual([])
  }, { arbitrary: { runs: 3000 } })
})
