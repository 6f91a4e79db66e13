/**
 * Shared helpers for the golden-byte tests of the protocol codec.
 *
 * The golden bytes in the tests are written by hand from the "Message
 * Formats" chapter of the PostgreSQL docs, one `hex(...)` argument per field,
 * so each can be checked against the docs. Nothing here derives expected
 * bytes from the codec.
 */
import * as Result from "effect/Result"
import { expect } from "vitest"
import {
  type BackendMessage,
  encodeBackend,
  encodeFrontend,
  type FrontendMessage,
  makeBackendParser,
  makeFrontendParser,
  type Parser,
  ProtocolError,
  type ProtocolErrorReason
} from "../../../src/protocol/index.ts"

/**
 * Bytes from hex digits. Each argument is usually one protocol field;
 * whitespace is ignored. Throws on anything but pairs of hex digits, so a
 * typo in a golden value cannot pass silently.
 */
export const hex = (...fields: ReadonlyArray<string>): Uint8Array => {
  const digits = fields.join("").replace(/\s+/g, "")
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(digits)) throw new Error(`not hex bytes: ${JSON.stringify(fields)}`)
  const out = new Uint8Array(digits.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(digits.slice(2 * i, 2 * i + 2), 16)
  return out
}

/** Bytes as "42 00 00 00 0c ...", for readable diffs. */
export const toHex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ")

/** `count` bytes 0, 1, 2, ... (mod 256). */
export const sequence = (count: number, first = 0): Uint8Array => {
  const out = new Uint8Array(count)
  for (let i = 0; i < count; i++) out[i] = (first + i) & 0xff
  return out
}

/** Concatenates byte arrays. */
export const concat = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/**
 * A value with every Uint8Array (view or not) turned into `{ bytes: [...] }`
 * and every object into a plain object, so `toStrictEqual` compares contents
 * and not buffers, offsets or prototypes.
 */
export const plain = (value: unknown): unknown => {
  if (value instanceof Uint8Array) return { bytes: Array.from(value) }
  if (Array.isArray(value)) return value.map(plain)
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value)) out[key] = plain((value as Record<string, unknown>)[key])
    return out
  }
  return value
}

/** The bytes of a successful encode; fails the test with the error otherwise. */
export const encoded = (result: Result.Result<Uint8Array, ProtocolError>): Uint8Array => {
  if (Result.isFailure(result)) {
    throw new Error(`encode failed: ${result.failure.reason}: ${result.failure.message}`)
  }
  return result.success
}

/** Pushes `bytes` in one chunk; the messages, or the test fails. */
export const parseAll = <M>(parser: Parser<M>, bytes: Uint8Array): Array<M> => {
  const result = parser.pushAll(bytes)
  if (Result.isFailure(result)) {
    throw new Error(`parse failed: ${result.failure.reason}: ${result.failure.message}`)
  }
  return result.success
}

/** Pushes `bytes` one byte per chunk (the split-frame path); the messages, or the test fails. */
export const parseBytewise = <M>(parser: Parser<M>, bytes: Uint8Array): Array<M> => {
  const messages: Array<M> = []
  for (let i = 0; i < bytes.length; i++) {
    const err = parser.push(bytes.subarray(i, i + 1), (m) => {
      messages.push(m)
    })
    if (err !== undefined) throw new Error(`parse failed at byte ${i}: ${err.reason}: ${err.message}`)
  }
  expect(parser.buffered()).toBe(0)
  return messages
}

/** Encoding gives exactly `golden`. */
export const expectBytes = (actual: Uint8Array, golden: Uint8Array): void => {
  expect(toHex(actual)).toBe(toHex(golden))
}

/**
 * Checks a golden value against itself before the codec sees it: its length
 * field must count exactly the bytes written out, so an arithmetic slip in a
 * hand-written golden value shows up as such, not as a codec failure.
 */
export const expectFramed = (golden: Uint8Array, typed: boolean): void => {
  const o = typed ? 1 : 0
  const length = ((golden[o]! << 24) | (golden[o + 1]! << 16) | (golden[o + 2]! << 8) | golden[o + 3]!) >>> 0
  expect(length, "the golden value's own length field").toBe(golden.length - o)
}

/** Checks that hand-written typed messages laid end to end each have a length field that counts their bytes. */
export const expectFramedStream = (golden: Uint8Array): void => {
  let p = 0
  while (p < golden.length) {
    expect(golden.length - p, "room for a header").toBeGreaterThanOrEqual(5)
    const length = ((golden[p + 1]! << 24) | (golden[p + 2]! << 16) | (golden[p + 3]! << 8) | golden[p + 4]!) >>> 0
    expect(p + 1 + length, "a golden message's own length field").toBeLessThanOrEqual(golden.length)
    p += 1 + length
  }
  expect(p).toBe(golden.length)
}

/**
 * A typed frontend message: encodes to `golden`, and `golden` parses back
 * (whole and byte by byte) to the same message.
 */
export const frontendGolden = (message: FrontendMessage, golden: Uint8Array): void => {
  expectFramed(golden, true)
  expectBytes(encoded(encodeFrontend(message)), golden)
  const expected = plain([message])
  expect(plain(parseAll(makeFrontendParser({ startup: false }), golden))).toStrictEqual(expected)
  expect(plain(parseBytewise(makeFrontendParser({ startup: false }), golden))).toStrictEqual(expected)
}

/**
 * An untyped startup packet: encodes to `golden`, and `golden` parses back
 * with a parser expecting a startup packet (whole and byte by byte).
 */
export const startupGolden = (message: FrontendMessage, golden: Uint8Array): void => {
  expectFramed(golden, false)
  expectBytes(encoded(encodeFrontend(message)), golden)
  const expected = plain([message])
  expect(plain(parseAll(makeFrontendParser(), golden))).toStrictEqual(expected)
  expect(plain(parseBytewise(makeFrontendParser(), golden))).toStrictEqual(expected)
}

/** A backend message: encodes to `golden`, and `golden` parses back (whole and byte by byte). */
export const backendGolden = (message: BackendMessage, golden: Uint8Array): void => {
  expectFramed(golden, true)
  expectBytes(encoded(encodeBackend(message)), golden)
  const expected = plain([message])
  expect(plain(parseAll(makeBackendParser(), golden))).toStrictEqual(expected)
  expect(plain(parseBytewise(makeBackendParser(), golden))).toStrictEqual(expected)
}

/** The error of a failed Result, checked to be a ProtocolError with `reason`. */
export const expectFailure = <A>(
  result: Result.Result<A, ProtocolError>,
  reason: ProtocolErrorReason
): ProtocolError => {
  if (Result.isSuccess(result)) throw new Error(`expected a ${reason} failure, got success: ${JSON.stringify(plain(result.success))}`)
  const error = result.failure
  expect(error).toBeInstanceOf(ProtocolError)
  expect(error._tag).toBe("ProtocolError")
  expect({ reason: error.reason, message: error.message }).toMatchObject({ reason })
  return error
}

/**
 * Pushing `bytes` into a fresh parser fails with `reason`, both as one chunk
 * and byte by byte, without throwing.
 */
export const expectParseError = <M>(
  makeParser: () => Parser<M>,
  bytes: Uint8Array,
  reason: ProtocolErrorReason
): ProtocolError => {
  const error = expectFailure(makeParser().pushAll(bytes), reason)
  const bytewise = makeParser()
  let failure: ProtocolError | undefined
  for (let i = 0; i < bytes.length && failure === undefined; i++) {
    failure = bytewise.push(bytes.subarray(i, i + 1), () => {})
  }
  expect(failure?.reason).toBe(reason)
  return error
}
