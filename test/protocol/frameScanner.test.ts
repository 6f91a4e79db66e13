/**
 * The frame scanner against the parser: for any stream of well-formed
 * messages cut anywhere, it reports the same message types in order, the
 * bodies of the inspected kinds byte for byte, boundaries that end whole
 * messages, and a ProtocolError for a bad header, at once.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Result from "effect/Result"
import {
  backendLimitTable,
  type BackendMessage,
  encodeBackend,
  encodeFrontend,
  type FrontendMessage,
  frontendLimitTable,
  makeFrameScanner
} from "../../src/protocol/index.ts"
import { concatBytes } from "../../src/auth/internal/encoding.ts"
import { backendMessage, int, list, typedFrontendMessage } from "./arbitraries.ts"

const fuzzRuns = Number(process.env.FUZZ_RUNS ?? 0)
const runs = (n: number) => ({ timeout: 120_000, arbitrary: { runs: fuzzRuns > 0 ? Math.max(n, fuzzRuns) : n } })

interface Frame {
  readonly type: number
  readonly body: Uint8Array
  readonly start: number
}

/** The frames of an encoded stream, read directly. */
const framesOf = (bytes: Uint8Array): Array<Frame> => {
  const out: Array<Frame> = []
  let p = 0
  while (p < bytes.length) {
    const length = (bytes[p + 1]! << 24) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 8) | bytes[p + 4]!
    out.push({ type: bytes[p]!, body: bytes.slice(p + 5, p + 1 + length), start: p })
    p += 1 + length
  }
  return out
}

/** Scans `bytes` cut at `cuts`, checking each boundary and end offset against the real frames. */
const scan = (bytes: Uint8Array, cuts: ReadonlyArray<number>, limits: Int32Array, inspect: ReadonlyArray<number>) => {
  const scanner = makeFrameScanner({ limits, inspect })
  const frames = framesOf(bytes)
  const ends = new Set(frames.map((f) => f.start + 5 + f.body.length))
  const seen: Array<{ type: number; body: Uint8Array | undefined; at: number; length: number }> = []
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  let from = 0
  for (const to of [...points, bytes.length]) {
    const chunk = bytes.subarray(from, to)
    const boundary = scanner.push(chunk, (type, body, end, length) => {
      seen.push({ type, body: body?.slice(), at: from + end, length })
    })
    expect(typeof boundary).toBe("number")
    const absolute = from + (boundary as number)
    // A reported boundary is the end of a whole message (or the start of the stream or chunk).
    if ((boundary as number) > 0) expect(ends.has(absolute)).toBe(true)
    expect(scanner.atBoundary()).toBe(to === 0 || ends.has(to))
    from = to
  }
  expect(seen.map((s) => s.type)).toEqual(frames.map((f) => f.type))
  seen.forEach((s, i) => {
    const frame = frames[i]!
    expect(s.at).toBe(frame.start + 5 + frame.body.length)
    expect(s.length).toBe(frame.body.length + 4)
    if (inspect.includes(s.type)) expect(s.body).toEqual(frame.body)
    else expect(s.body).toBeUndefined()
  })
}

describe("frame scanner", () => {
  it.prop(
    "frontend streams in any chunking",
    [list(typedFrontendMessage, 6), list(int(0, 5000), 5), list(int(0, 255), 3)],
    ([messages, cuts, inspect]) => {
      const bytes = concatBytes(...messages.map((m: FrontendMessage) => Result.getOrThrow(encodeFrontend(m))))
      scan(bytes, cuts, frontendLimitTable(undefined), inspect)
    },
    runs(2_000)
  )

  it.prop(
    "backend streams in any chunking",
    [list(backendMessage, 6), list(int(0, 5000), 5), list(int(0, 255), 3)],
    ([messages, cuts, inspect]) => {
      const bytes = concatBytes(...messages.map((m: BackendMessage) => Result.getOrThrow(encodeBackend(m))))
      scan(bytes, cuts, backendLimitTable(undefined), [...inspect, 0x5a, 0x44])
    },
    runs(2_000)
  )

  it("a header with an unknown type, a length below 4 or above the limit fails as soon as it is complete", () => {
    const limits = frontendLimitTable({ Query: 100 })
    for (const header of [[0x01, 0, 0, 0, 4], [0x51, 0, 0, 0, 3], [0x51, 0, 0, 0, 101], [0x51, 0x7f, 0xff, 0xff, 0xff], [0x51, 0x80, 0, 0, 0]]) {
      const scanner = makeFrameScanner({ limits })
      // One byte at a time: the error comes with the fifth byte, not later.
      for (let i = 0; i < 4; i++) expect(scanner.push(new Uint8Array([header[i]!]), () => {})).toBe(0)
      const result = scanner.push(new Uint8Array([header[4]!, 0, 0]), () => {})
      expect(typeof result).not.toBe("number")
      // And it stays failed.
      expect(typeof scanner.push(new Uint8Array([0x53, 0, 0, 0, 4]), () => {})).not.toBe("number")
    }
  })

  it("a 1 GiB CopyData declared and streamed in pieces is never held: only positions are kept", () => {
    const scanner = makeFrameScanner({ limits: frontendLimitTable(undefined), inspect: [0x51] })
    const before = process.memoryUsage().arrayBuffers
    const header = new Uint8Array([0x64, 0x3f, 0xff, 0xff, 0xff])
    expect(scanner.push(header, () => {})).toBe(0)
    const piece = new Uint8Array(1 << 20)
    for (let i = 0; i < 64; i++) expect(scanner.push(piece, () => {})).toBe(0)
    expect(scanner.atBoundary()).toBe(false)
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 << 20)
  })
})
