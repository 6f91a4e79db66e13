/**
 * The PQtrace-style formatter: one line per message with direction, wire
 * length, name and fields.
 */
import { describe, expect, it } from "vitest"
import { traceBackend, traceFrontend } from "../../src/protocol/index.ts"

describe("trace", () => {
  it("frontend messages: direction, the length field's value, name, fields", () => {
    expect(traceFrontend({ _tag: "Query", query: "SELECT 1" })).toBe('F\t13\tQuery\t "SELECT 1"')
    expect(traceFrontend({ _tag: "Sync" })).toBe("F\t4\tSync")
    expect(traceFrontend({ _tag: "Parse", name: "s1", query: "SELECT $1", parameterTypes: [23] })).toBe(
      'F\t23\tParse\t "s1" "SELECT $1" 1 23'
    )
    // Untyped packets count no type byte.
    expect(traceFrontend({ _tag: "SSLRequest" })).toBe("F\t8\tSSLRequest")
    expect(traceFrontend({ _tag: "StartupMessage", protocolVersion: 0x30002, parameters: { user: "u" } })).toBe(
      'F\t16\tStartupMessage\t 196610 "user" "u"'
    )
  })

  it("backend messages: bytes as hex, error fields by code", () => {
    expect(traceBackend({ _tag: "DataRow", values: [new Uint8Array([0, 0, 0, 42]), null] })).toBe(
      "B\t18\tDataRow\t 2 '\\x0000002a' NULL"
    )
    expect(traceBackend({ _tag: "ReadyForQuery", transactionStatus: "T" })).toBe('B\t5\tReadyForQuery\t "T"')
    expect(
      traceBackend({ _tag: "ErrorResponse", fields: { severity: "ERROR", code: "42P01", message: "no", unknownFields: [["Z", "z"]] } })
    ).toBe('B\t26\tErrorResponse\t S "ERROR" C "42P01" M "no" Z "z"')
  })

  it("long byte fields are cut at maxBytes; decoded rows have no wire length", () => {
    const line = traceBackend({ _tag: "CopyData", data: new Uint8Array(100).fill(255) }, { maxBytes: 4 })
    expect(line).toBe("B\t104\tCopyData\t '\\xffffffff'...(100 bytes)")
    expect(traceBackend({ _tag: "DataRow", values: { id: 1 } })).toBe("B\t?\tDataRow\t { 1 }")
  })

  it("a timestamp prefix when asked", () => {
    expect(traceFrontend({ _tag: "Flush" }, { timestamp: () => "12:00" })).toBe("12:00\tF\t4\tFlush")
  })
})
