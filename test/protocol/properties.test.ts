/**
 * Round trips over the codec: every message kind encodes and decodes to
 * itself in any chunking, and rows decode by column kind. Hostile input
 * (random, mutated, truncated bytes) is fuzzed in `fuzz.test.ts`. About
 * 55,000 generated cases per run; `npm run fuzz` runs each property with
 * FUZZ_RUNS cases.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import {
  type BackendMessage,
  ColumnKind,
  decodeStartupPacket,
  encodeBackend,
  encodeFrontend,
  type FrontendMessage,
  makeBackendParser,
  makeFrontendParser,
  makeRowDecoder,
  type Parser,
  ProtocolError
} from "../../src/protocol/index.ts"
import { backendMessage, int, list, startupPacket, typedFrontendMessage } from "./arbitraries.ts"

const wellFormedString = Schema.String.check(Schema.makeFilter((s: string) => s.isWellFormed()))

/** `npm run fuzz` sets FUZZ_RUNS to run every property that many times instead. */
const fuzzRuns = Number(process.env.FUZZ_RUNS ?? 0)
const runs = (n: number) =>
  fuzzRuns > 0
    ? { timeout: 4 * 60 * 60 * 1000, arbitrary: { runs: Math.max(n, fuzzRuns) } }
    : { timeout: 120_000, arbitrary: { runs: n } }

const encodedFrontend = (message: FrontendMessage) => Result.getOrThrow(encodeFrontend(message))
const encodedBackend = (message: BackendMessage) => Result.getOrThrow(encodeBackend(message))

/** Feeds `bytes` in pieces cut at `cuts`; returns the messages and the error, if any. */
const feed = <M>(parser: Parser<M>, bytes: Uint8Array, cuts: ReadonlyArray<number>) => {
  const messages: Array<M> = []
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  let from = 0
  let error: ProtocolError | undefined
  for (const to of [...points, bytes.length]) {
    if (to < from) continue
    error = parser.push(bytes.subarray(from, to), (m) => messages.push(m))
    if (error !== undefined) break
    from = to
  }
  return { messages, error }
}

describe("round trips", () => {
  it.prop("typed frontend messages", [typedFrontendMessage, list(int(0, 1000), 3)], ([message, cuts]) => {
    const parsed = feed(makeFrontendParser({ startup: false }), encodedFrontend(message), cuts)
    expect(parsed.error).toBeUndefined()
    expect(parsed.messages).toEqual([message])
  }, runs(20_000))

  it.prop("startup packets", [startupPacket], ([message]) => {
    const bytes = encodedFrontend(message)
    const parsed = feed(makeFrontendParser(), bytes, [])
    expect(parsed.error).toBeUndefined()
    expect(parsed.messages).toEqual([message])
    expect(Result.getOrThrow(decodeStartupPacket(bytes))).toEqual(message)
  }, runs(10_000))

  it.prop("backend messages", [backendMessage, list(int(0, 1000), 3)], ([message, cuts]) => {
    const parsed = feed(makeBackendParser(), encodedBackend(message), cuts)
    expect(parsed.error).toBeUndefined()
    expect(parsed.messages).toEqual([message])
  }, runs(20_000))

  it.prop(
    "rows decoded by kind",
    [list(int(-2147483648, 2147483647), 6), list(Arbitrary.schema(wellFormedString), 6)],
    ([ints, texts]) => {
      const columns = [...ints.map(() => ({ kind: ColumnKind.Int4 })), ...texts.map(() => ({ kind: ColumnKind.Text }))]
      const int4 = (n: number) => new Uint8Array([n >>> 24, n >>> 16, n >>> 8, n])
      const values = [...ints.map(int4), ...texts.map((t) => new TextEncoder().encode(t))]
      const parser = makeBackendParser<unknown>({ rowDecoder: makeRowDecoder(columns) })
      const parsed = feed(parser, encodedBackend({ _tag: "DataRow", values }), [])
      expect(parsed.error).toBeUndefined()
      expect(parsed.messages).toEqual([{ _tag: "DataRow", values: [...ints, ...texts] }])
    },
    runs(5_000)
  )
})

