/**
 * Hostile inputs for the parser fuzz tests: valid message streams whose
 * length words, counts, per-value lengths and type bytes are overwritten
 * with boundary values, truncated, spliced with noise and cut into random
 * chunks; and plain random bytes.
 *
 * The layout walkers below find the count and length fields of a valid
 * frame from the protocol's documented message layouts, independently of
 * the decoders under test, so a mutation lands on the field it means to.
 */
import * as Arbitrary from "effect/Arbitrary"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import {
  type BackendMessage,
  BackendType,
  encodeBackend,
  encodeFrontend,
  type FrontendMessage,
  FrontendType,
  StartupCode
} from "../../src/protocol/index.ts"
import { int, list, startupPacket } from "./arbitraries.ts"

/** A count or length field of a frame: absolute offset, width in bytes, value as encoded. */
export interface Slot {
  readonly at: number
  readonly width: 1 | 2 | 4
  readonly value: number
}

/** One frame of an encoded stream. `typed` frames start with a type byte; startup packets do not. */
export interface Frame {
  readonly start: number
  readonly end: number
  readonly typed: boolean
  /** The frame's length word. */
  readonly length: Slot
  /** Count, per-value length and code fields inside the body. */
  readonly slots: ReadonlyArray<Slot>
}

export interface Encoded {
  readonly bytes: Uint8Array
  readonly frames: ReadonlyArray<Frame>
}

const readU = (b: Uint8Array, at: number, width: 1 | 2 | 4): number =>
  width === 1 ? b[at]! : width === 2 ? (b[at]! << 8) | b[at + 1]! : ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0

/** Reads a valid frame's body field by field, recording the fields worth mutating. */
class Walk {
  readonly slots: Array<Slot> = []
  readonly b: Uint8Array
  readonly end: number
  p: number
  constructor(b: Uint8Array, start: number, end: number) {
    this.b = b
    this.p = start
    this.end = end
  }
  cstring(): void {
    while (this.p < this.end && this.b[this.p] !== 0) this.p++
    this.p++
  }
  skip(n: number): void {
    this.p += Math.max(0, n)
  }
  field(width: 1 | 2 | 4, record = true): number {
    const value = this.p + width <= this.end ? readU(this.b, this.p, width) : 0
    if (record) this.slots.push({ at: this.p, width, value })
    this.p += width
    return value
  }
  /** A value length (int32, -1 for NULL) followed by the value. */
  value(): void {
    const length = this.field(4) | 0
    if (length > 0) this.skip(length)
  }
  formats(): void {
    const n = this.field(2)
    this.skip(2 * n)
  }
}

const frontendSlots = (w: Walk, type: number): void => {
  switch (type) {
    case FrontendType.Bind: {
      w.cstring()
      w.cstring()
      w.formats()
      const n = w.field(2)
      for (let i = 0; i < n && w.p < w.end; i++) w.value()
      w.formats()
      return
    }
    case FrontendType.Parse:
      w.cstring()
      w.cstring()
      w.field(2)
      return
    case FrontendType.FunctionCall: {
      w.field(4)
      w.formats()
      const n = w.field(2)
      for (let i = 0; i < n && w.p < w.end; i++) w.value()
      w.field(2)
      return
    }
    case FrontendType.Execute:
      w.cstring()
      w.field(4)
      return
    case FrontendType.Describe:
    case FrontendType.Close:
      w.field(1)
      return
  }
}

const startupSlots = (w: Walk): void => {
  const code = w.field(4)
  if (code === StartupCode.CancelRequest) w.field(4)
}

const backendSlots = (w: Walk, type: number): void => {
  switch (type) {
    case BackendType.Authentication:
      w.field(4)
      return
    case BackendType.RowDescription: {
      const n = w.field(2)
      for (let i = 0; i < n && w.p < w.end; i++) {
        w.cstring()
        w.skip(4)
        w.field(2)
        w.skip(4)
        w.field(2)
        w.field(4)
        w.field(2)
      }
      return
    }
    case BackendType.DataRow: {
      const n = w.field(2)
      for (let i = 0; i < n && w.p < w.end; i++) w.value()
      return
    }
    case BackendType.ParameterDescription:
      w.field(2)
      return
    case BackendType.CopyInResponse:
    case BackendType.CopyOutResponse:
    case BackendType.CopyBothResponse:
      w.field(1)
      w.formats()
      return
    case BackendType.NegotiateProtocolVersion:
      w.field(4)
      w.field(4)
      return
    case BackendType.FunctionCallResponse:
      w.value()
      return
    case BackendType.ReadyForQuery:
      w.field(1)
      return
    case BackendType.ErrorResponse:
    case BackendType.NoticeResponse:
      while (w.p < w.end && w.b[w.p] !== 0) {
        w.field(1)
        w.cstring()
      }
      return
  }
}

export type Direction = "frontend" | "backend"

/** Splits a valid stream into frames; `untypedFirst` frames are startup packets (the frontend's first messages). */
const frameStream = (bytes: Uint8Array, direction: Direction, untypedFirst: number): Encoded => {
  const frames: Array<Frame> = []
  let p = 0
  while (p < bytes.length) {
    const typed = frames.length >= untypedFirst
    const o = typed ? 1 : 0
    const declared = readU(bytes, p + o, 4)
    const end = p + o + declared
    const w = new Walk(bytes, p + o + 4, end)
    if (!typed) startupSlots(w)
    else if (direction === "frontend") frontendSlots(w, bytes[p]!)
    else backendSlots(w, bytes[p]!)
    frames.push({ start: p, end, typed, length: { at: p + o, width: 4, value: declared }, slots: w.slots })
    p = end
  }
  return { bytes, frames }
}

/** Encodes startup packets then typed messages, one stream. */
export const encodeFrontendStream = (startup: ReadonlyArray<FrontendMessage>, typed: ReadonlyArray<FrontendMessage>): Encoded =>
  frameStream(Result.getOrThrow(encodeFrontend(...startup, ...typed)), "frontend", startup.length)

export const encodeBackendStream = (messages: ReadonlyArray<BackendMessage>): Encoded =>
  frameStream(Result.getOrThrow(encodeBackend(...messages)), "backend", 0)

/** Boundary values for a 4-byte length word: negative, below 4 and 8, the limits, huge. */
const lengthValues = [
  0, 1, 2, 3, 4, 5, 7, 8, 9, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0xfffffffc,
  0x3fffffff, 0x40000000, 10_000, 10_001, 10_004, 10_005, 65_535, 65_536, 65_544, 65_545,
  4096, 4097, 16 * 1024 * 1024, 16 * 1024 * 1024 + 1
]
const int16Values = [0, 1, 2, 0x7fff, 0x8000, 0xfffe, 0xffff]
const int32Values = [0, 1, 2, 4, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x3fffffff, 0x40000000, 80877102, 80877103, 80877104, 0x30000, 0x30002, 0x20000]
/** Type bytes of both directions, NUL, and a few that are neither. */
const typeValues = [
  ...Object.values(FrontendType),
  ...Object.values(BackendType),
  0x00, 0x20, 0x7f, 0x80, 0xff, 0x5a, 0x52
]

/**
 * One mutation, as plain numbers so generation does not depend on the
 * stream: `kind` picks what to change, `frame`/`slot` pick where (modulo
 * what the stream has), `choice` how the new value is made (a boundary
 * value picked by `random`, the old value nudged by `delta`, or `random`).
 */
export interface Mutation {
  readonly kind: number
  readonly frame: number
  readonly slot: number
  readonly choice: number
  readonly random: number
  readonly delta: number
}

export const mutation: Arbitrary.Arbitrary<Mutation> = Arbitrary.all([
  int(0, 5),
  int(0, 1000),
  int(0, 1000),
  int(0, 40),
  int(0, 0xffffffff),
  int(-8, 8)
]).pipe(Arbitrary.map(([kind, frame, slot, choice, random, delta]) => ({ kind, frame, slot, choice, random, delta })))

const writeU = (b: Uint8Array, at: number, width: 1 | 2 | 4, value: number): void => {
  if (at < 0 || at + width > b.length) return
  if (width === 1) b[at] = value
  else if (width === 2) {
    b[at] = value >>> 8
    b[at + 1] = value
  } else {
    b[at] = value >>> 24
    b[at + 1] = value >>> 16
    b[at + 2] = value >>> 8
    b[at + 3] = value
  }
}

/** A boundary value from `table`, the original value nudged by `delta`, or a random one, a third of the time each. */
const pickValue = (m: Mutation, slot: Slot, table: ReadonlyArray<number>): number => {
  switch (m.choice % 3) {
    case 0:
      return table[m.random % table.length]!
    case 1:
      return slot.value + m.delta
    default:
      return m.random
  }
}

/**
 * Applies mutations to a copy of the stream. Kinds: 0-1 a frame's length
 * word; 2 a count, value length or code field; 3 a type byte (or a startup
 * code); 4 any single byte; 5 random bytes spliced in at a frame boundary
 * or inside a frame.
 */
export const mutate = (encoded: Encoded, mutations: ReadonlyArray<Mutation>, noise: Uint8Array): Uint8Array => {
  let out = encoded.bytes.slice()
  const frames = encoded.frames
  if (frames.length === 0) return out
  for (const m of mutations) {
    const frame = frames[m.frame % frames.length]!
    switch (m.kind) {
      case 0:
      case 1: {
        const slot = frame.length
        writeU(out, slot.at, 4, pickValue(m, slot, lengthValues))
        break
      }
      case 2: {
        if (frame.slots.length === 0) {
          writeU(out, frame.length.at, 4, pickValue(m, frame.length, lengthValues))
          break
        }
        const slot = frame.slots[m.slot % frame.slots.length]!
        writeU(out, slot.at, slot.width, pickValue(m, slot, slot.width === 2 ? int16Values : slot.width === 4 ? int32Values : typeValues))
        break
      }
      case 3:
        if (frame.typed) writeU(out, frame.start, 1, m.choice % 2 === 0 ? typeValues[m.random % typeValues.length]! : m.random & 0xff)
        else writeU(out, frame.start + 4, 4, m.choice % 2 === 0 ? int32Values[m.random % int32Values.length]! : m.random)
        break
      case 4:
        if (out.length > 0) out[m.random % out.length] = m.random >>> 8
        break
      case 5: {
        const at = m.choice % 2 === 0 ? frame.start : frame.start + (m.random % Math.max(1, frame.end - frame.start))
        const spliced = new Uint8Array(out.length + noise.length)
        spliced.set(out.subarray(0, at))
        spliced.set(noise, at)
        spliced.set(out.subarray(at), at + noise.length)
        out = spliced
        break
      }
    }
  }
  return out
}

/** Startup packets including the encryption requests, which `startupPacket` leaves out. */
export const anyStartupPacket: Arbitrary.Arbitrary<FrontendMessage> = Arbitrary.all([int(0, 9), startupPacket]).pipe(
  Arbitrary.map(([n, packet]): FrontendMessage =>
    n === 0 ? { _tag: "SSLRequest" } : n === 1 ? { _tag: "GSSENCRequest" } : packet
  )
)

/** Deterministic pseudo-random bytes (xorshift32), so long noise costs one generated number. */
export const noiseBytes = (seed: number, length: number): Uint8Array => {
  const out = new Uint8Array(length)
  let x = seed | 0 || 0x9e3779b9
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x
  }
  return out
}

/**
 * Valid messages sampled once, for cases to pick from by index: generating
 * structured messages per case costs far more than parsing them, and a
 * pool of a few thousand covers every kind with many shapes.
 */
export const pool = <M>(message: Arbitrary.Arbitrary<M>, count: number, seed: number): ReadonlyArray<M> => {
  const out: Array<M> = []
  // Several sizes: small and large strings, lists and byte fields.
  for (const size of [2, 8, 30, 100]) {
    out.push(...Effect.runSync(Arbitrary.sampleEffect(message, { count: Math.ceil(count / 4), size, seed: seed + size })))
  }
  return out
}

/**
 * A hostile input: `noiseOnly` inputs are random bytes; the others a valid
 * stream of pool messages, mutated, truncated by `truncate` bytes (modulo
 * its length + 1).
 */
export interface Hostile {
  readonly noiseOnly: boolean
  /** Indices into the pool. */
  readonly messages: ReadonlyArray<number>
  readonly mutations: ReadonlyArray<Mutation>
  readonly noise: Uint8Array
  readonly truncate: number
  /** Chunk boundaries for the split run. */
  readonly cuts: ReadonlyArray<number>
}

export const hostile = (poolSize: number, maxMessages: number): Arbitrary.Arbitrary<Hostile> =>
  Arbitrary.all([
    int(0, 9),
    list(int(0, poolSize - 1), maxMessages),
    list(mutation, 3),
    int(0, 0xffffffff),
    int(0, 600),
    int(0, 100_000),
    list(int(0, 1_000_000), 6)
  ]).pipe(
    Arbitrary.map(([mode, messages, mutations, seed, noiseLength, truncate, cuts]) => ({
      // One case in ten is pure noise; the rest start from valid bytes.
      noiseOnly: mode === 0,
      messages,
      mutations,
      // Noise spliced into a stream is short; pure noise may be long.
      noise: noiseBytes(seed, mode === 0 ? noiseLength : noiseLength % 17),
      // Half the mutated streams keep their end, so mutations in the last frame count.
      truncate: mode % 2 === 0 ? 0 : truncate,
      cuts
    }))
  )

/** Concatenates chunks. */
export const concat = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}

/** The input bytes of a hostile case (before chunking). */
export const hostileBytes = (h: Hostile, encoded: () => Encoded): Uint8Array => {
  if (h.noiseOnly) return h.noise
  const mutated = mutate(encoded(), h.mutations, h.noise)
  return mutated.subarray(0, mutated.length - (h.truncate % (mutated.length + 1)))
}

/** Cuts `input` at `cuts` (modulo its length + 1). */
export const split = (input: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b)
  const out: Array<Uint8Array> = []
  let from = 0
  for (const to of [...points, input.length]) {
    out.push(input.subarray(from, to))
    from = to
  }
  return out
}
