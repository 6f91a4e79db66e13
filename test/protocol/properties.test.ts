/**
 * Property tests over the codec: every message kind round-trips, and random
 * or mutated bytes give messages or a ProtocolError, never a throw, never a
 * hang, never an allocation past the configured limits. About 120,000
 * generated cases per run; `npm run fuzz` runs the same properties with
 * 1,000,000+ cases each.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import {
  type BackendMessage,
  BackendType,
  FrontendType,
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
import { backendMessage, bytes, int, list, startupPacket, typedFrontendMessage } from "./arbitraries.ts"

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


/** Limits small enough that random lengths often exceed them. */
const smallLimit = 4096

const checkBounded = <M>(parser: Parser<M>, chunks: ReadonlyArray<Uint8Array>) => {
  for (const chunk of chunks) {
    const error = parser.push(chunk, () => {})
    expect(parser.capacity()).toBeLessThanOrEqual(smallLimit + 1)
    expect(parser.buffered()).toBeLessThanOrEqual(smallLimit + 1)
    if (error !== undefined) {
      expect(error).toBeInstanceOf(ProtocolError)
      // A failed parser stays failed.
      const again = parser.push(new Uint8Array([0]), () => {})
      expect(again?.reason).toBe("ParserFailed")
      return
    }
  }
}

const limited = {
  backend: () => makeBackendParser({ limits: Object.fromEntries(Object.keys(BackendType).map((k) => [k, smallLimit])) }),
  frontend: (startup: boolean) =>
    makeFrontendParser({
      startup,
      limits: { startup: smallLimit, ...Object.fromEntries(Object.keys(FrontendType).map((k) => [k, smallLimit])) }
    })
}

describe("hostile bytes", () => {
  const chunks = list(bytes, 6)

  it.prop("random bytes into a backend parser", [chunks], ([input]) => {
    checkBounded(limited.backend(), input)
  }, runs(15_000))

  it.prop("random bytes into a frontend parser (typed)", [chunks], ([input]) => {
    checkBounded(limited.frontend(false), input)
  }, runs(10_000))

  it.prop("random bytes into a frontend parser (startup)", [chunks], ([input]) => {
    checkBounded(limited.frontend(true), input)
  }, runs(10_000))

  it.prop("random bytes into decodeStartupPacket", [bytes, int(0, 0xffffff)], ([input, code]) => {
    // Half the cases get a well-formed header so the body decoder is reached.
    const packet = new Uint8Array(input.length + 8)
    packet.set(input, 8)
    new DataView(packet.buffer).setInt32(0, packet.length)
    new DataView(packet.buffer).setInt32(4, code % 2 === 0 ? 0x30000 + (code % 3) : code)
    const result = decodeStartupPacket(code % 5 === 0 ? input : packet)
    if (Result.isFailure(result)) expect(result.failure).toBeInstanceOf(ProtocolError)
  }, runs(10_000))

  it.prop(
    "mutated valid streams parse the same in any chunking",
    [list(backendMessage, 6), list(Arbitrary.all([int(0, 100_000), int(0, 255)]), 4), int(0, 100_000), list(int(0, 100_000), 5)],
    ([messages, mutations, truncate, cuts]) => {
      const stream = Result.getOrThrow(encodeBackend(...messages)).slice()
      for (const [at, value] of mutations) if (stream.length > 0) stream[at % stream.length] = value
      const input = stream.subarray(0, stream.length - (truncate % (stream.length + 1)))
      const whole = feed(makeBackendParser(), input, [])
      const split = feed(makeBackendParser(), input, cuts)
      expect(split.messages).toEqual(whole.messages)
      expect(split.error?.reason).toEqual(whole.error?.reason)
      expect(split.error?.offset).toEqual(whole.error?.offset)
    },
    runs(15_000)
  )

  it.prop(
    "a declared length far past what arrived allocates only what arrived",
    [int(100_000, 0x3fffffff), bytes],
    ([declared, body]) => {
      const parser = makeBackendParser()
      const header = new Uint8Array([0x44, declared >>> 24, declared >>> 16, declared >>> 8, declared])
      expect(parser.push(header, () => {})).toBeUndefined()
      expect(parser.push(body, () => {})).toBeUndefined()
      expect(parser.buffered()).toBe(5 + body.length)
      expect(parser.capacity()).toBeLessThanOrEqual(Math.max(64 * 1024, 2 * (5 + body.length)))
    },
    runs(5_000)
  )
})
