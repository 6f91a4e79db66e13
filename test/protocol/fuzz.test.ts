/**
 * Fuzzing the codec's entry points for hostile bytes: the frontend parser
 * (typed messages, and the startup phase), the backend parser (with and
 * without a row decoder) and `decodeStartupPacket`.
 *
 * Inputs: random bytes; valid message streams with their length words
 * (negative, below 4, huge, around every limit), counts (fields, columns,
 * parameters, format codes, options), value lengths, codes and type bytes
 * overwritten; noise spliced in; truncated; cut into random chunks; every
 * prefix of a valid stream.
 *
 * Properties: every input gives messages or a `ProtocolError`, never a
 * throw; the same messages and the same error in any chunking; a declared
 * length outside the limits fails on the push that completes its header,
 * not after the body; the parser never holds more than the configured
 * maximum message size, nor allocates more than the declared length or
 * about twice what arrived; a decoded message re-encodes and decodes to
 * itself; a failed parser stays failed.
 *
 * `npm test` runs a few thousand cases per target; `npm run fuzz` sets
 * FUZZ_RUNS (1,000,000) for each main target and a share of it for the
 * targeted properties. Counterexamples are kept below as plain regression
 * tests.
 */
import { isDeepStrictEqual } from "node:util"
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Result from "effect/Result"
import {
  type BackendMessage,
  backendLimitTable,
  BackendType,
  ColumnKind,
  type ColumnDecoder,
  decodeStartupPacket,
  encodeBackend,
  encodeFrontend,
  type FrontendMessage,
  frontendLimitTable,
  makeBackendParser,
  makeFrameScanner,
  makeFrontendParser,
  makeRowDecoder,
  type Parser,
  ProtocolError,
  startupPacketLimit
} from "../../src/protocol/index.ts"
import { backendMessage, int, list, typedFrontendMessage } from "./arbitraries.ts"
import {
  anyStartupPacket,
  encodeBackendStream,
  encodeFrontendStream,
  type Hostile,
  hostile,
  hostileBytes,
  mutate,
  mutation,
  noiseBytes,
  pool,
  split
} from "./mutate.ts"

/** `npm run fuzz` sets FUZZ_RUNS: each main target runs that many cases, the targeted properties `share` of it. */
const fuzzRuns = Number(process.env.FUZZ_RUNS ?? 0)
const runs = (n: number, share = 1) =>
  fuzzRuns > 0
    ? { timeout: 4 * 60 * 60 * 1000, arbitrary: { runs: Math.max(n, Math.round(fuzzRuns * share)), size: 40 } }
    : { timeout: 120_000, arbitrary: { runs: n, size: 40 } }

/** Valid messages the cases pick from: sampled once per run, more of them under FUZZ_RUNS. */
const poolSize = fuzzRuns > 0 ? 20_000 : 2_000
const poolSeed = Number(process.env.FUZZ_SEED ?? 1)
const backendPool = pool(backendMessage, poolSize, poolSeed)
const typedPool = pool(typedFrontendMessage, poolSize, poolSeed)
const startupPool = pool(anyStartupPacket, poolSize, poolSeed)
const pick = <M>(from: ReadonlyArray<M>, indices: ReadonlyArray<number>): Array<M> => indices.map((i) => from[i % from.length]!)
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")

/** Outcome counts per target, printed after a fuzz run so the figures can be recorded. */
const stats = new Map<string, Map<string, number>>()
const count = (target: string, key: string, by = 1) => {
  let m = stats.get(target)
  if (m === undefined) stats.set(target, m = new Map())
  m.set(key, (m.get(key) ?? 0) + by)
}
afterAll(() => {
  if (fuzzRuns === 0) return
  for (const [target, m] of stats) {
    console.log(`fuzz ${target}: ${[...m].map(([k, v]) => `${k}=${v}`).join(" ")}`)
  }
})

const assert = (condition: boolean, message: () => string): void => {
  if (!condition) throw new Error(message())
}

/** Limits small enough that random and mutated lengths often exceed them. */
const smallLimit = 4096
const smallFrontendLimits = {
  startup: smallLimit, Bind: smallLimit, Close: smallLimit, CopyData: smallLimit, CopyDone: smallLimit, CopyFail: smallLimit,
  Describe: smallLimit, Execute: smallLimit, Flush: smallLimit, FunctionCall: smallLimit, PasswordMessageFamily: smallLimit,
  Parse: smallLimit, Query: smallLimit, Sync: smallLimit, Terminate: smallLimit
}
const smallBackendLimits = Object.fromEntries(Object.keys(BackendType).map((k) => [k, smallLimit]))

/** What a parser under test was configured with, to check its bounds from outside. */
interface Target<M> {
  readonly make: () => Parser<M>
  /** Limit per type byte (0: not a message of this direction). */
  readonly limits: Int32Array
  /** The largest typed frame the limits allow (type byte included). */
  readonly maxFrame: number
  readonly startupLimit: number
  /** Whether the stream starts with startup packets. */
  readonly startup: boolean
}

const maxFrame = (limits: Int32Array) => Math.max(...limits) + 1

const makeFrontendTarget = (small: boolean, startup: boolean): Target<FrontendMessage> => {
  const limits = small ? smallFrontendLimits : undefined
  const table = frontendLimitTable(limits)
  return {
    make: () => makeFrontendParser(limits === undefined ? { startup } : { startup, limits }),
    limits: table,
    maxFrame: maxFrame(table),
    startupLimit: small ? smallLimit : startupPacketLimit,
    startup
  }
}
const frontendTargets = [makeFrontendTarget(false, false), makeFrontendTarget(true, false), makeFrontendTarget(false, true), makeFrontendTarget(true, true)]
const frontendTarget = (small: boolean, startup: boolean) => frontendTargets[(small ? 1 : 0) + (startup ? 2 : 0)]!
const backendTables = [backendLimitTable(undefined), backendLimitTable(smallBackendLimits)]

const be32 = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!)

interface Run<M> {
  readonly messages: Array<M>
  readonly error: ProtocolError | undefined
}

/**
 * Pushes `chunks` into a new parser and checks its bounds after every push:
 * what it holds, what it allocated, and that a header it keeps waiting on is
 * one it accepts (a bad length or type must have failed on that push).
 */
const drive = <M extends { readonly _tag: string }>(target: Target<M>, input: Uint8Array, chunks: ReadonlyArray<Uint8Array>): Run<M> => {
  const parser = target.make()
  const messages: Array<M> = []
  let typed = !target.startup
  const onMessage = (m: M) => {
    messages.push(m)
    if (m._tag === "StartupMessage") typed = true
  }
  let arrived = 0
  for (const chunk of chunks) {
    arrived += chunk.length
    const error = parser.push(chunk, onMessage)
    if (error !== undefined) {
      assert(error instanceof ProtocolError, () => `push returned ${String(error)}`)
      assert(error.offset >= 0 && error.offset <= arrived, () => `error offset ${error.offset} outside 0..${arrived}`)
      assert(parser.error() === error, () => "error() is not the error push returned")
      const again = parser.push(new Uint8Array([0x53, 0, 0, 0, 4]), onMessage)
      assert(again?.reason === "ParserFailed", () => `a failed parser accepted more input: ${String(again?.reason)}`)
      return { messages, error }
    }
    const buffered = parser.buffered()
    const capacity = parser.capacity()
    assert(parser.position() === arrived, () => `position ${parser.position()} after ${arrived} bytes`)
    const largest = typed ? target.maxFrame : target.startupLimit
    assert(buffered <= largest, () => `holds ${buffered} bytes, more than the largest message allowed (${largest})`)
    assert(capacity <= Math.max(65_536, 2 * buffered), () => `allocated ${capacity} bytes for ${buffered} received`)
    const start = arrived - buffered
    const headerSize = typed ? 5 : 4
    if (buffered >= headerSize) {
      const declared = be32(input, start + (typed ? 1 : 0))
      if (typed) {
        const limit = target.limits[input[start]!]!
        assert(limit > 0, () => `waiting on a message of unknown type 0x${input[start]!.toString(16)}`)
        assert(declared >= 4 && declared <= limit, () => `waiting on a message of declared length ${declared} (limit ${limit})`)
      } else {
        assert(declared >= 8 && declared <= target.startupLimit, () => `waiting on a startup packet of declared length ${declared}`)
      }
      const total = typed ? declared + 1 : declared
      assert(capacity <= total, () => `allocated ${capacity} bytes for a frame of ${total}`)
      assert(buffered < total, () => `holds a whole frame (${buffered} of ${total} bytes) without decoding it`)
    } else {
      assert(capacity === 0, () => `allocated ${capacity} bytes before a header arrived`)
    }
  }
  assert(parser.error() === undefined, () => "error() without a failed push")
  return { messages, error: undefined }
}

const sameRun = <M>(a: Run<M>, b: Run<M>): void => {
  assert(isDeepStrictEqual(a.messages, b.messages), () => "messages differ between chunkings")
  assert(
    a.error?.reason === b.error?.reason && a.error?.offset === b.error?.offset && a.error?.message === b.error?.message,
    () => `errors differ between chunkings: ${a.error?.reason}@${a.error?.offset} vs ${b.error?.reason}@${b.error?.offset}`
  )
}

const encryptionRequest = (m: { readonly _tag: string }) => m._tag === "SSLRequest" || m._tag === "GSSENCRequest"

/** A decoded message encodes, and the encoding decodes to the same message. */
const reencodesFrontend = (message: FrontendMessage): void => {
  const encoded = encodeFrontend(message)
  assert(Result.isSuccess(encoded), () => `decoded ${message._tag} does not encode: ${Result.isFailure(encoded) ? encoded.failure.message : ""}`)
  const untyped = message._tag === "StartupMessage" || message._tag === "CancelRequest" || encryptionRequest(message)
  const again = makeFrontendParser({ startup: untyped }).pushAll(Result.getOrThrow(encoded))
  assert(Result.isSuccess(again) && isDeepStrictEqual(again.success, [message]), () => `${message._tag} does not survive re-encoding`)
}

const reencodesBackend = (message: BackendMessage): void => {
  const encoded = encodeBackend(message)
  assert(Result.isSuccess(encoded), () => `decoded ${message._tag} does not encode: ${Result.isFailure(encoded) ? encoded.failure.message : ""}`)
  const again = makeBackendParser().pushAll(Result.getOrThrow(encoded))
  assert(Result.isSuccess(again) && isDeepStrictEqual(again.success, [message]), () => `${message._tag} does not survive re-encoding`)
}

const record = <M extends { readonly _tag: string }>(name: string, h: Hostile, run: Run<M>) => {
  count(name, "cases")
  count(name, h.noiseOnly ? "noise" : "mutated")
  count(name, "bytes", h.noiseOnly ? h.noise.length : 0)
  count(name, "messages", run.messages.length)
  count(name, run.error === undefined ? "ok" : run.error.reason)
}

/** Runs a check; a failure names the input bytes and the cuts, so it can be replayed as a regression test. */
const withInput = (input: Uint8Array, h: Hostile, check: () => void): void => {
  try {
    check()
  } catch (thrown) {
    throw new Error(`${thrown instanceof Error ? thrown.message : String(thrown)}\ninput: ${hex(input)}\ncuts: ${JSON.stringify(h.cuts)}`, { cause: thrown })
  }
}

/** The whole input at once, then in random chunks: same outcome, bounds kept throughout. */
const checkFrontend = (name: string, target: Target<FrontendMessage>, h: Hostile, input: Uint8Array) =>
  withInput(input, h, () => {
    const whole = drive(target, input, [input])
    const chunked = drive(target, input, split(input, h.cuts))
    // Bytes after an encryption request in the same chunk are refused (CVE-2021-23214): that one outcome depends on chunking.
    if (!whole.messages.some(encryptionRequest) && !chunked.messages.some(encryptionRequest)) sameRun(whole, chunked)
    for (const m of whole.messages) reencodesFrontend(m)
    record(name, h, whole)
  })

describe("frontend parser", () => {
  it.prop("typed messages: hostile streams", [hostile(poolSize, 8), int(0, 1)], ([h, small]) => {
    const input = hostileBytes(h, () => encodeFrontendStream([], pick(typedPool, h.messages)))
    checkFrontend("frontend-typed", frontendTarget(small === 1, false), h, input)
  }, runs(3_000))

  it.prop("startup phase: hostile streams", [hostile(poolSize, 5), list(int(0, poolSize - 1), 3), int(0, 1)], ([h, packets, small]) => {
    const input = hostileBytes(h, () => encodeFrontendStream(pick(startupPool, packets), pick(typedPool, h.messages)))
    checkFrontend("frontend-startup", frontendTarget(small === 1, true), h, input)
  }, runs(3_000))
})

// Backend: with or without a row decoder (its kinds chosen per case), a row sink and a value-error handler.

interface RowSetup {
  readonly kinds: ReadonlyArray<number>
  readonly shape: "array" | "object"
  readonly handler: boolean
  readonly sink: boolean
}

const rowSetup: Arbitrary.Arbitrary<RowSetup | undefined> = Arbitrary.all([int(0, 3), list(int(0, 10), 4), int(0, 7)]).pipe(
  Arbitrary.map(([use, kinds, flags]) =>
    use === 0
      ? { kinds, shape: flags & 1 ? "object" as const : "array" as const, handler: (flags & 2) !== 0, sink: (flags & 4) !== 0 }
      : undefined
  )
)

/** A custom reader that refuses some values with a plain exception, as user code may. */
const pickyReader = (_bytes: Uint8Array, _start: number, length: number): number => {
  if (length % 3 === 1) throw new Error(`refusing a value of ${length} bytes`)
  return length
}

interface BackendRun {
  readonly run: Run<BackendMessage<unknown>>
  readonly rows: Array<unknown>
  readonly valueErrors: Array<readonly [number, string]>
}

const driveBackend = (small: boolean, setup: RowSetup | undefined, input: Uint8Array, chunks: ReadonlyArray<Uint8Array>): BackendRun => {
  const limits = small ? smallBackendLimits : undefined
  const rows: Array<unknown> = []
  const valueErrors: Array<readonly [number, string]> = []
  const target: Target<BackendMessage<unknown>> = {
    make: () => {
      const parser = makeBackendParser<unknown>(limits === undefined ? {} : { limits })
      if (setup !== undefined) {
        const columns: Array<ColumnDecoder> = setup.kinds.map((kind) =>
          kind === ColumnKind.Custom ? { kind: ColumnKind.Custom, read: pickyReader } : { kind: kind as ColumnKind }
        )
        const onValueError = setup.handler ? (column: number, reason: string) => void valueErrors.push([column, reason]) : undefined
        const decoder = setup.shape === "object" ? makeRowDecoder(columns, "object", onValueError) : makeRowDecoder(columns, "array", onValueError)
        parser.setRowDecoder(decoder, setup.sink ? (row) => void rows.push(row) : undefined)
      }
      return parser
    },
    limits: backendTables[small ? 1 : 0]!,
    maxFrame: maxFrame(backendTables[small ? 1 : 0]!),
    startupLimit: startupPacketLimit,
    startup: false
  }
  return { run: drive(target, input, chunks), rows, valueErrors }
}

const checkBackend = (h: Hostile, small: boolean, setup: RowSetup | undefined, input: Uint8Array) =>
  withInput(input, h, () => {
    const whole = driveBackend(small, setup, input, [input])
    const chunked = driveBackend(small, setup, input, split(input, h.cuts))
    sameRun(whole.run, chunked.run)
    assert(isDeepStrictEqual(whole.rows, chunked.rows), () => "sunk rows differ between chunkings")
    assert(isDeepStrictEqual(whole.valueErrors, chunked.valueErrors), () => "value errors differ between chunkings")
    for (const m of whole.run.messages) {
      if (setup === undefined || m._tag !== "DataRow") reencodesBackend(m as BackendMessage)
    }
    record(setup === undefined ? "backend" : "backend-rows", h, whole.run)
    if (setup !== undefined) count("backend-rows", "valueErrors", whole.valueErrors.length)
  })

describe("backend parser", () => {
  it.prop("hostile streams, with and without a row decoder", [hostile(poolSize, 8), int(0, 1), rowSetup], ([h, small, setup]) => {
    checkBackend(h, small === 1, setup, hostileBytes(h, () => encodeBackendStream(pick(backendPool, h.messages))))
  }, runs(3_000))
})

// Rows shaped for the row decoder: the column count matches, the values are of every length (so the
// fixed-width kinds see right and wrong sizes), the custom reader refuses some values by throwing.

const valueLengths = [0, 1, 2, 3, 4, 5, 7, 8, 9, 16, -1]
const hostileRows = Arbitrary.all([
  list(int(0, 10), 6),
  int(0, 7),
  list(list(Arbitrary.all([int(0, valueLengths.length - 1), int(0, 0xffffffff)]), 6), 4),
  list(mutation, 2),
  list(int(0, 1_000_000), 4)
])

describe("backend parser with a row decoder", () => {
  it.prop("rows of the declared width, values of every size", [hostileRows], ([[kinds, flags, rows, mutations, cuts]]) => {
    const setup: RowSetup = { kinds, shape: flags & 1 ? "object" : "array", handler: (flags & 2) !== 0, sink: (flags & 4) !== 0 }
    const messages: Array<BackendMessage> = rows.map((row) => ({
      _tag: "DataRow",
      // As many values as columns: the row's own values, padded with NULLs or cut.
      values: kinds.map((_, i) => {
        const [choice, seed] = row[i] ?? [valueLengths.length - 1, 0]
        const length = valueLengths[choice]!
        return length < 0 ? null : noiseBytes(seed, length)
      })
    }))
    const h: Hostile = { noiseOnly: false, messages: [], mutations, noise: new Uint8Array(0), truncate: 0, cuts }
    const input = mutations.length === 0 ? encodeBackendStream(messages).bytes : mutate(encodeBackendStream(messages), mutations, h.noise)
    checkBackend(h, false, setup, input)
  }, runs(3_000, 0.25))
})

// decodeStartupPacket: one whole packet, agreeing with the parser on every packet the parser would take whole.

describe("decodeStartupPacket", () => {
  const packetCase = Arbitrary.all([int(0, 3), int(0, poolSize - 1), list(mutation, 3), int(0, 0xffffffff), int(0, 80), int(0, 64), int(0, 1)])

  it.prop("hostile packets", [packetCase], ([[mode, packet, mutations, seed, noiseLength, cut, fixLength]]) => {
    let input: Uint8Array
    const noise = noiseBytes(seed, mode === 0 ? noiseLength : noiseLength % 9)
    if (mode === 0) {
      input = noise
    } else {
      const mutated = mutate(encodeFrontendStream([startupPool[packet]!], []), mutations, noise)
      input = mode === 1 ? mutated.subarray(0, Math.max(0, mutated.length - cut)) : mutated
      // Half the cases declare their true size, so the body decoder sees the mutated body.
      if (fixLength === 1 && input.length >= 4) {
        input = input.slice()
        new DataView(input.buffer, input.byteOffset).setUint32(0, input.length)
      }
    }
    const result = decodeStartupPacket(input)
    count("decodeStartupPacket", "cases")
    if (Result.isFailure(result)) {
      const error = result.failure
      assert(error instanceof ProtocolError && error.offset === 0 && error.messageType === "startup", () => `bad failure ${String(error)}`)
      count("decodeStartupPacket", error.reason)
    } else {
      count("decodeStartupPacket", "ok")
      assert(input.length >= 8 && be32(input, 0) === input.length, () => "accepted a packet whose length word is wrong")
      reencodesFrontend(result.success)
    }
    // The parser agrees on a packet it takes whole: the same message, or an error of the same reason.
    const declared = input.length >= 4 ? be32(input, 0) : -1
    if (declared === input.length && declared >= 8 && declared <= startupPacketLimit) {
      const parsed = makeFrontendParser().pushAll(input)
      if (Result.isSuccess(result)) {
        assert(Result.isSuccess(parsed) && isDeepStrictEqual(parsed.success, [result.success]), () => "the parser decodes the packet differently")
      } else {
        assert(Result.isFailure(parsed) && parsed.failure.reason === result.failure.reason, () => "the parser accepts a packet decodeStartupPacket refuses")
      }
    }
  }, runs(3_000))
})

// Targeted properties.

describe("limits and allocation", () => {
  const anyType = int(0, 255)
  const boundaries = [0x7fffffff, 0x80000000, 0xffffffff, 0x40000000, 0x3fffffff, 3, 4, 5, 4096, 4097, 10_000, 10_001, 65_535, 65_536, 16 * 1024 * 1024 + 1]
  const hugeLength = Arbitrary.all([int(0, boundaries.length), int(0, 0xffffffff)]).pipe(
    Arbitrary.map(([k, random]) => boundaries[k] ?? random)
  )

  it.prop("a header declaring a length outside the limits fails on the push that completes it", [anyType, hugeLength, int(0, 4), int(0, 2)], ([type, length, split5, which]) => {
    const header = new Uint8Array([type, length >>> 24, length >>> 16, length >>> 8, length])
    const parser = which === 0 ? makeFrontendParser({ startup: false }) : which === 1 ? makeBackendParser() : makeFrontendParser({ startup: false, limits: smallFrontendLimits })
    const limits = which === 1 ? backendLimitTable(undefined) : frontendLimitTable(which === 2 ? smallFrontendLimits : undefined)
    const bad = limits[type] === 0 || (length | 0) < 4 || length > limits[type]!
    expect(parser.push(header.subarray(0, split5), () => {})).toBeUndefined()
    const error = parser.push(header.subarray(split5), () => {})
    const framing = ["UnknownMessageType", "InvalidLength", "MessageTooLarge"]
    if (bad) {
      expect(error).toBeInstanceOf(ProtocolError)
      expect(framing).toContain(error?.reason)
      expect(parser.capacity()).toBe(0)
    } else if (length === 4) {
      // A whole message with an empty body: decoded at once, and refused only for what the body lacks.
      if (error !== undefined) expect(framing).not.toContain(error.reason)
    } else {
      expect(error).toBeUndefined()
      expect(parser.buffered()).toBe(5)
    }
  }, runs(2_000, 0.1))

  it.prop("a large frame arriving in pieces never allocates more than its declared size", [int(65_537, 400_000), list(int(1, 400_000), 5), int(0, 1)], ([size, pieces, direction]) => {
    // A CopyData frame of `size` bytes; `pieces` are the chunk sizes it arrives in, the last piece short of the end.
    const frame = new Uint8Array(size)
    frame[0] = 0x64
    new DataView(frame.buffer).setUint32(1, size - 1)
    const parser = direction === 0 ? makeBackendParser() : makeFrontendParser({ startup: false })
    let at = 0
    for (const piece of pieces) {
      const to = Math.min(size - 1, at + piece)
      expect(parser.push(frame.subarray(at, to), () => {})).toBeUndefined()
      at = to
      expect(parser.buffered()).toBe(at)
      expect(parser.capacity()).toBeLessThanOrEqual(size)
      expect(parser.capacity()).toBeLessThanOrEqual(Math.max(65_536, 2 * at))
    }
    const messages: Array<unknown> = []
    expect(parser.push(frame.subarray(at), (m) => messages.push(m))).toBeUndefined()
    expect(messages).toHaveLength(1)
    expect(parser.buffered()).toBe(0)
    expect(parser.capacity()).toBe(0)
  }, runs(300, 0.002))

  it.prop(
    "a declared length far past what arrived allocates only what arrived",
    [int(100_000, 0x3fffffff), int(0, 0xffffffff), int(0, 3000)],
    ([declared, seed, length]) => {
      const body = noiseBytes(seed, length)
      const parser = makeBackendParser()
      const header = new Uint8Array([0x44, declared >>> 24, declared >>> 16, declared >>> 8, declared])
      expect(parser.push(header, () => {})).toBeUndefined()
      expect(parser.push(body, () => {})).toBeUndefined()
      expect(parser.buffered()).toBe(5 + body.length)
      expect(parser.capacity()).toBeLessThanOrEqual(Math.max(64 * 1024, 2 * (5 + body.length)))
    },
    runs(1_000, 0.01)
  )

  const validStream = Arbitrary.all([list(int(0, poolSize - 1), 4), list(int(0, poolSize - 1), 4), list(int(0, poolSize - 1), 2)]).pipe(
    Arbitrary.map(([b, f, s]) => [pick(backendPool, b), pick(typedPool, f), pick(startupPool, s)] as const)
  )

  it.prop("every prefix of a valid stream is a prefix of its messages, with the rest held", [validStream], ([[backend, frontend, startup]]) => {
    const cases: Array<[Target<{ readonly _tag: string }>, Uint8Array, number]> = [
      [{ make: () => makeBackendParser(), limits: backendTables[0]!, maxFrame: maxFrame(backendTables[0]!), startupLimit: startupPacketLimit, startup: false }, encodeBackendStream(backend).bytes, backend.length],
      [frontendTarget(false, false), encodeFrontendStream([], frontend).bytes, frontend.length],
      // Cancel requests before the StartupMessage; encryption requests are left out (bytes after one in the same push are refused by design).
      [frontendTarget(false, true), encodeFrontendStream([...startup.filter((m) => m._tag === "CancelRequest"), { _tag: "StartupMessage", protocolVersion: 0x30000, parameters: { user: "u" } }], frontend).bytes, -1]
    ]
    for (const [target, stream, expected] of cases) {
      const full = drive(target, stream, [stream])
      expect(full.error).toBeUndefined()
      if (expected >= 0) expect(full.messages).toHaveLength(expected)
      for (let cut = 0; cut <= stream.length; cut++) {
        const prefix = stream.subarray(0, cut)
        const run = drive(target, stream, [prefix])
        assert(run.error === undefined, () => `prefix of ${cut} bytes failed: ${run.error?.message}`)
        assert(isDeepStrictEqual(run.messages, full.messages.slice(0, run.messages.length)), () => `prefix of ${cut} bytes decoded other messages`)
        // Then the rest arrives: the same messages as the whole stream.
        const rest = drive(target, stream, [prefix, stream.subarray(cut)])
        assert(rest.error === undefined && isDeepStrictEqual(rest.messages, full.messages), () => `stream cut at ${cut} decodes differently`)
        count("prefixes", "cuts")
      }
    }
  }, runs(100, 0.005))
})

// Counterexamples found by the properties above, kept as exact bytes.

describe("regressions", () => {
  it("a custom reader that throws a plain exception, without a value-error handler, fails the parser with a ProtocolError (was: the exception escaped push)", () => {
    // DataRow, one column of one byte (0x19), then a DataRow with one NULL: the reader refuses one-byte values.
    const input = Buffer.from("440000000b00010000000119440000000a0001ffffffff", "hex")
    const parser = makeBackendParser<unknown>({ rowDecoder: makeRowDecoder([{ kind: ColumnKind.Custom, read: pickyReader }]) })
    let error: ProtocolError | undefined
    expect(() => {
      error = parser.push(input, () => {})
    }).not.toThrow()
    expect(error).toBeInstanceOf(ProtocolError)
    expect(error?.reason).toBe("InvalidValue")
    expect(error?.offset).toBe(0)
    expect(error?.message).toContain("refusing a value of 1 bytes")
  })

  it("a partial frame just over 64 KiB is held in at most its own size (was: twice the bytes that arrived)", () => {
    // CopyData of 65,537 bytes in all (length word 65,536); the first 32,769 arrive. The buffer for the rest was
    // sized max(64 KiB, 2 x 32,769) = 65,538 bytes: one more than the whole frame.
    const frame = new Uint8Array(65_537)
    frame.set([0x64, 0x00, 0x01, 0x00, 0x00])
    for (const parser of [makeBackendParser(), makeFrontendParser({ startup: false })]) {
      expect(parser.push(frame.subarray(0, 32_769), () => {})).toBeUndefined()
      expect(parser.buffered()).toBe(32_769)
      expect(parser.capacity()).toBeLessThanOrEqual(65_537)
      const messages: Array<unknown> = []
      expect(parser.push(frame.subarray(32_769), (m) => messages.push(m))).toBeUndefined()
      expect(messages).toEqual([{ _tag: "CopyData", data: frame.subarray(5) }])
    }
  })

  it("a header that completes a partial frame over 64 KiB sizes its buffer by the frame, not the chunk", () => {
    // The 5-byte header arrives alone, then a 40,000-byte chunk of a 70,000-byte frame: max(64 KiB, 5 + 2 x 40,000)
    // was allocated for a frame of 70,000.
    const frame = new Uint8Array(70_000)
    frame.set([0x64, 0x00, 0x01, 0x11, 0x6f]) // length word 69,999
    const parser = makeBackendParser()
    expect(parser.push(frame.subarray(0, 5), () => {})).toBeUndefined()
    expect(parser.push(frame.subarray(5, 40_005), () => {})).toBeUndefined()
    expect(parser.capacity()).toBeLessThanOrEqual(70_000)
    const messages: Array<unknown> = []
    expect(parser.push(frame.subarray(40_005), (m) => messages.push(m))).toBeUndefined()
    expect(messages).toHaveLength(1)
  })
})

/** Frames a scanner reports for chunks, and the error that stopped it. */
const scanFrames = (limits: Int32Array, chunks: ReadonlyArray<Uint8Array>) => {
  const scanner = makeFrameScanner({ limits, inspect: Array.from({ length: 256 }, (_, i) => i) })
  const frames: Array<number> = []
  let error: ProtocolError | undefined
  for (const chunk of chunks) {
    const result = scanner.push(chunk, (type, body) => {
      frames.push(type, body?.length ?? -1)
    })
    if (typeof result !== "number") {
      error = result
      break
    }
  }
  return { frames, error }
}

/** A parser error about a frame's header (type byte, length), not its body. */
const framingError = (error: ProtocolError) => /^(message length|unknown message type)/.test(error.message)

/**
 * The relay's frame scanner on the same hostile streams: it never throws,
 * the chunking changes nothing, and it finds the message boundaries the
 * parser finds: the same number of whole messages before the parser's
 * framing error (the same error), or all of them.
 */
const checkScanner = <M>(limits: Int32Array, parser: Parser<M>, h: Hostile, input: Uint8Array) =>
  withInput(input, h, () => {
    const whole = scanFrames(limits, [input])
    const chunked = scanFrames(limits, split(input, h.cuts))
    expect(chunked.frames).toEqual(whole.frames)
    expect(chunked.error?.reason).toBe(whole.error?.reason)
    let messages = 0
    const error = parser.push(input, () => {
      messages++
    })
    if (error === undefined) {
      expect(whole.error).toBeUndefined()
      expect(whole.frames.length / 2).toBe(messages)
    } else if (framingError(error)) {
      expect(whole.error?.reason).toBe(error.reason)
      expect(whole.frames.length / 2).toBe(messages)
    }
    record("frame-scanner", h, { messages: [], error: whole.error })
  })

describe("frame scanner", () => {
  it.prop("hostile frontend streams", [hostile(poolSize, 8)], ([h]) => {
    const input = hostileBytes(h, () => encodeFrontendStream([], pick(typedPool, h.messages)))
    checkScanner(frontendLimitTable(undefined), makeFrontendParser({ startup: false }), h, input)
  }, runs(3_000, 0.5))

  it.prop("hostile backend streams", [hostile(poolSize, 8)], ([h]) => {
    const input = hostileBytes(h, () => encodeBackendStream(pick(backendPool, h.messages)))
    checkScanner(backendLimitTable(undefined), makeBackendParser(), h, input)
  }, runs(3_000, 0.5))
})
