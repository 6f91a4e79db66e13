/**
 * `answerOf`: PGlite's answer to one Query, made ready for the client. The
 * final ReadyForQuery gives the status and is taken off (the answer then
 * being a view of PGlite's bytes); notifications are cut out and returned
 * for routing, ParameterStatus dropped, a 0A000 error marks descriptions
 * stale; bytes that are not whole messages ending in one ReadyForQuery are
 * an error.
 */
import * as Result from "effect/Result"
import { describe, expect, it } from "vitest"
import { answerOf } from "../../src/engines/pglite/internal/Wire.ts"
import { type BackendMessage, encodeBackend, makeBackendParser, Oid } from "../../src/protocol/index.ts"

const encoded = (...messages: ReadonlyArray<BackendMessage>): Uint8Array => Result.getOrThrow(encodeBackend(...messages))

const decoded = (bytes: Uint8Array): Array<BackendMessage> => {
  const out: Array<BackendMessage> = []
  const error = makeBackendParser().push(bytes, (m) => void out.push(m))
  if (error !== undefined) throw error
  return out
}

const row: ReadonlyArray<BackendMessage> = [
  {
    _tag: "RowDescription",
    fields: [{ name: "n", tableOid: 0, columnAttributeNumber: 0, dataTypeOid: Oid.int4, dataTypeSize: 4, typeModifier: -1, format: 0 }]
  },
  { _tag: "DataRow", values: [new TextEncoder().encode("1")] },
  { _tag: "CommandComplete", tag: "SELECT 1" }
]

describe("answerOf", () => {
  it("takes the final ReadyForQuery off and keeps the rest as a view of the same bytes", () => {
    const raw = encoded(...row, { _tag: "ReadyForQuery", transactionStatus: "I" })
    const answer = answerOf(raw)
    if (answer instanceof Error) throw answer
    expect(answer.status).toBe("I")
    expect(answer.messages.buffer).toBe(raw.buffer)
    expect(decoded(answer.messages)).toEqual(row)
    expect(answer.notifications).toEqual([])
    expect(answer.stale).toBe(false)
  })

  it("cuts notifications and ParameterStatus out, wherever they are, and returns the notifications", () => {
    const raw = encoded(
      { _tag: "NotificationResponse", processId: 7, channel: "a", payload: "first" },
      ...row.slice(0, 2),
      { _tag: "ParameterStatus", name: "TimeZone", value: "UTC" },
      { _tag: "NotificationResponse", processId: 7, channel: "b", payload: "second" },
      row[2]!,
      { _tag: "ReadyForQuery", transactionStatus: "T" }
    )
    const answer = answerOf(raw)
    if (answer instanceof Error) throw answer
    expect(answer.status).toBe("T")
    expect(decoded(answer.messages)).toEqual(row)
    expect(answer.notifications.map((n) => `${n.channel}:${n.payload}`)).toEqual(["a:first", "b:second"])
  })

  it("marks descriptions stale on 0A000 and passes the error on", () => {
    const error: BackendMessage = { _tag: "ErrorResponse", fields: { severity: "ERROR", code: "0A000", message: "cached plan must not change result type" } }
    const answer = answerOf(encoded(error, { _tag: "ReadyForQuery", transactionStatus: "I" }))
    if (answer instanceof Error) throw answer
    expect(answer.stale).toBe(true)
    expect(decoded(answer.messages)).toEqual([error])
  })

  it("refuses an answer cut short, one without ReadyForQuery, a message after it, and a bad status", () => {
    const whole = encoded(...row, { _tag: "ReadyForQuery", transactionStatus: "I" })
    const badStatus = whole.slice()
    badStatus[badStatus.length - 1] = 0x58
    const cases: ReadonlyArray<readonly [string, Uint8Array]> = [
      ["cut short", whole.subarray(0, whole.length - 3)],
      ["a header cut short", whole.subarray(0, 3)],
      ["no ReadyForQuery", encoded(...row)],
      ["a message after ReadyForQuery", encoded({ _tag: "ReadyForQuery", transactionStatus: "I" }, row[2]!)],
      ["a bad status", badStatus]
    ]
    for (const [name, bytes] of cases) {
      const answer = answerOf(bytes)
      expect(answer instanceof Error, name).toBe(true)
    }
  })
})
