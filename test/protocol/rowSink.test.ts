/**
 * A backend parser with a row sink: decoded rows go to the sink instead of
 * being emitted as DataRow messages, and everything keeps its order, at any
 * chunking.
 */
import * as Result from "effect/Result"
import { describe, expect, it } from "vitest"
import { encodeBackend } from "../../src/protocol/Backend.ts"
import { makeBackendParser } from "../../src/protocol/Parser.ts"
import { ColumnKind, makeRowDecoder } from "../../src/protocol/RowDecoder.ts"

const text = (s: string) => new TextEncoder().encode(s)
const bytes = Result.getOrThrow(encodeBackend(
  { _tag: "BindComplete" },
  { _tag: "DataRow", values: [text("1"), null] },
  { _tag: "DataRow", values: [text("2"), text("two")] },
  { _tag: "CommandComplete", tag: "SELECT 2" },
  { _tag: "ReadyForQuery", transactionStatus: "I" }
))

describe("row sink", () => {
  for (const split of [1, 3, 7, bytes.length]) {
    it(`rows reach the sink between the messages around them (chunks of ${split})`, () => {
      const parser = makeBackendParser<Array<unknown>>()
      const events: Array<unknown> = []
      parser.setRowDecoder(makeRowDecoder([{ kind: ColumnKind.Text }, { kind: ColumnKind.Text }], "array"), (row) => events.push(row))
      for (let i = 0; i < bytes.length; i += split) {
        const error = parser.push(bytes.subarray(i, i + split), (m) => {
          events.push(m._tag)
          if (m._tag === "CommandComplete") parser.setRowDecoder(undefined)
        })
        expect(error).toBeUndefined()
      }
      expect(events).toEqual(["BindComplete", ["1", null], ["2", "two"], "CommandComplete", "ReadyForQuery"])
    })
  }

  it("without a decoder the sink is dropped: rows are DataRow messages again", () => {
    const parser = makeBackendParser<Array<unknown>>()
    const sunk: Array<unknown> = []
    parser.setRowDecoder(undefined, (row) => sunk.push(row))
    const tags: Array<string> = []
    parser.push(bytes, (m) => tags.push(m._tag))
    expect(sunk).toEqual([])
    expect(tags).toEqual(["BindComplete", "DataRow", "DataRow", "CommandComplete", "ReadyForQuery"])
  })
})
