/**
 * COPY FROM STDIN and COPY TO STDOUT on the wire (scripted peer, demo
 * engine): text, CSV and binary, data split at arbitrary points, CopyFail,
 * an error in the middle of the data, COPY inside a multi-statement Query
 * and in the extended protocol, Flush and Sync ignored during the copy, a
 * foreign message during the copy refused. Also the CopyFormat codecs by
 * themselves.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import type { BackendMessage } from "../../src/protocol/index.ts"
import * as CopyFormat from "../../src/server/CopyFormat.ts"
import { Oid } from "../../src/server/Values.ts"
import { errorCode, type Peer, readyPeer, tags } from "./support/peer.ts"
import { startServer } from "./support/server.ts"

const encode = (s: string) => new TextEncoder().encode(s)
const decode = (b: Uint8Array) => new TextDecoder().decode(b)

const chunks = (bytes: Uint8Array, size: number): Array<Uint8Array> => {
  const out: Array<Uint8Array> = []
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.slice(i, i + size))
  return out
}

const concat = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

const copyIn = (peer: Peer, query: string, data: Uint8Array, chunkSize: number) =>
  Effect.gen(function*() {
    yield* peer.send({ _tag: "Query", query })
    const response = yield* peer.receive
    for (const chunk of chunks(data, chunkSize)) yield* peer.send({ _tag: "CopyData", data: chunk })
    yield* peer.send({ _tag: "CopyDone" })
    return { response, rest: yield* peer.receiveUntil("ReadyForQuery") }
  })

const binaryRow = (...values: ReadonlyArray<string | null>): Uint8Array =>
  concat(
    new Uint8Array([0, values.length]),
    ...values.map((v) => {
      if (v === null) return new Uint8Array([0xff, 0xff, 0xff, 0xff])
      const bytes = encode(v)
      const length = new Uint8Array(4)
      new DataView(length.buffer).setInt32(0, bytes.length)
      return concat(length, bytes)
    })
  )

describe("COPY FROM STDIN", () => {
  for (const chunkSize of [1, 7, 1000]) {
    it.live(`text format, in CopyData of ${chunkSize} bytes`, () =>
      Effect.scoped(Effect.gen(function*() {
        const { port, engine } = yield* startServer()
        const { peer } = yield* readyPeer({ port })
        const data = encode("a\tfirst\nb\t\\N\nc\ttab\\there\\nnewline é\n")
        const { response, rest } = yield* copyIn(peer, "COPY kv FROM STDIN", data, chunkSize)
        expect(response).toEqual({ _tag: "CopyInResponse", format: 0, columnFormats: [0, 0] })
        expect(rest).toEqual([{ _tag: "CommandComplete", tag: "COPY 3" }, { _tag: "ReadyForQuery", transactionStatus: "I" }])
        expect(Object.fromEntries(engine.table)).toEqual({ a: "first", b: null, c: "tab\there\nnewline é" })
      })))
  }

  it.live("CSV with quoted fields, commas and newlines inside, split across messages", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, engine } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      const data = encode("k1,\"a, \"\"quoted\"\"\nvalue\"\nk2,\nk3,\"\"\n")
      const { rest } = yield* copyIn(peer, "COPY kv FROM STDIN WITH (FORMAT csv)", data, 5)
      expect(rest[0]).toEqual({ _tag: "CommandComplete", tag: "COPY 3" })
      expect(Object.fromEntries(engine.table)).toEqual({ k1: "a, \"quoted\"\nvalue", k2: null, k3: "" })
    })))

  it.live("binary format", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, engine } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      const data = concat(CopyFormat.binaryHeader, binaryRow("x", "1"), binaryRow("y", null), CopyFormat.binaryTrailer)
      const { response, rest } = yield* copyIn(peer, "COPY kv FROM STDIN WITH (FORMAT binary)", data, 3)
      expect(response).toEqual({ _tag: "CopyInResponse", format: 1, columnFormats: [1, 1] })
      expect(rest[0]).toEqual({ _tag: "CommandComplete", tag: "COPY 2" })
      expect(Object.fromEntries(engine.table)).toEqual({ x: "1", y: null })
    })))

  it.live("CopyFail aborts: 57014 with the client's reason, nothing inserted", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, engine } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      yield* peer.send({ _tag: "Query", query: "COPY kv FROM STDIN" })
      yield* peer.receive
      yield* peer.send({ _tag: "CopyData", data: encode("a\t1\n") }, { _tag: "CopyFail", message: "user pressed ^C" })
      const messages = yield* peer.receiveUntil("ReadyForQuery")
      const error = messages.find((m) => m._tag === "ErrorResponse")
      expect(error?._tag === "ErrorResponse" && [error.fields.code, error.fields.message]).toEqual(["57014", "COPY from stdin failed: user pressed ^C"])
      expect(engine.table.size).toBe(0)
    })))

  it.live("an error in the data answers at once; the client's remaining copy messages are skipped", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, engine } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      yield* peer.send({ _tag: "Query", query: "COPY kv FROM STDIN" })
      yield* peer.receive
      yield* peer.send({ _tag: "CopyData", data: encode("a\t1\na\t2\n") })
      const failed = yield* peer.receiveUntil("ReadyForQuery")
      expect(errorCode(failed)).toBe("23505")
      yield* peer.send({ _tag: "CopyData", data: encode("b\t3\n") }, { _tag: "CopyDone" }, { _tag: "Query", query: "SELECT count(*) FROM kv" })
      const after = yield* peer.receiveUntil("ReadyForQuery")
      expect(tags(after)).toEqual(["RowDescription", "DataRow", "CommandComplete", "ReadyForQuery"])
      expect(engine.table.size).toBe(0)
    })))

  it.live("COPY in the middle of a Query: the statements after it run once the copy is done", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      const { response, rest } = yield* copyIn(peer, "COPY kv FROM STDIN; SELECT count(*) FROM kv", encode("a\t1\nb\t2\n"), 100)
      expect(response._tag).toBe("CopyInResponse")
      expect(tags(rest)).toEqual(["CommandComplete", "RowDescription", "DataRow", "CommandComplete", "ReadyForQuery"])
      expect(rest[2]).toEqual({ _tag: "DataRow", values: [encode("2")] })
    })))

  it.live("extended protocol: Execute starts the copy, Flush and Sync during it are ignored, Sync after it ends the batch", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port, engine } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      yield* peer.send(
        { _tag: "Parse", name: "", query: "COPY kv FROM STDIN WITH (FORMAT csv)", parameterTypes: [] },
        { _tag: "Bind", portal: "", statement: "", parameterFormats: [], parameters: [], resultFormats: [] },
        { _tag: "Execute", portal: "", maxRows: 0 },
        { _tag: "Flush" }
      )
      expect(tags([yield* peer.receive, yield* peer.receive, yield* peer.receive])).toEqual(["ParseComplete", "BindComplete", "CopyInResponse"])
      yield* peer.send({ _tag: "CopyData", data: encode("k,v\n") }, { _tag: "Flush" }, { _tag: "Sync" }, { _tag: "CopyDone" }, { _tag: "Sync" })
      expect(tags(yield* peer.receiveUntil("ReadyForQuery"))).toEqual(["CommandComplete", "ReadyForQuery"])
      expect(Object.fromEntries(engine.table)).toEqual({ k: "v" })
    })))

  it.live("any other message during the copy is FATAL 08P01", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      yield* peer.send({ _tag: "Query", query: "COPY kv FROM STDIN" })
      yield* peer.receive
      yield* peer.send({ _tag: "Query", query: "SELECT 1" })
      expect(errorCode(yield* peer.closed)).toBe("08P01")
    })))
})

describe("COPY TO STDOUT", () => {
  const run = (peer: Peer, query: string): Effect.Effect<Array<BackendMessage>, string> =>
    Effect.andThen(peer.send({ _tag: "Query", query }), peer.receiveUntil("ReadyForQuery"))
  const data = (messages: ReadonlyArray<BackendMessage>) => concat(...messages.flatMap((m) => (m._tag === "CopyData" ? [m.data] : [])))

  it.live("text, CSV and binary", () =>
    Effect.scoped(Effect.gen(function*() {
      const { port } = yield* startServer()
      const { peer } = yield* readyPeer({ port })
      yield* run(peer, "INSERT INTO kv VALUES ('a', 'x\ty'), ('b', NULL), ('c', 'q\"uote,')")
      const text = yield* run(peer, "COPY kv TO STDOUT")
      expect(tags(text)).toEqual(["CopyOutResponse", "CopyData", "CopyData", "CopyData", "CopyDone", "CommandComplete", "ReadyForQuery"])
      expect(text[0]).toEqual({ _tag: "CopyOutResponse", format: 0, columnFormats: [0, 0] })
      expect(decode(data(text))).toBe("a\tx\\ty\nb\t\\N\nc\tq\"uote,\n")
      expect(text[5]).toEqual({ _tag: "CommandComplete", tag: "COPY 3" })
      const csv = yield* run(peer, "COPY kv TO STDOUT WITH CSV")
      expect(decode(data(csv))).toBe("a,x\ty\nb,\nc,\"q\"\"uote,\"\n")
      const binary = yield* run(peer, "COPY kv TO STDOUT (FORMAT binary)")
      expect(binary[0]).toEqual({ _tag: "CopyOutResponse", format: 1, columnFormats: [1, 1] })
      const decoder = CopyFormat.makeDecoder("binary", 2)
      const rows = decoder.push(data(binary))
      expect(Array.isArray(rows) && rows.map((row) => row.map((v) => (v instanceof Uint8Array ? decode(v) : v)))).toEqual([
        ["a", "x\ty"],
        ["b", null],
        ["c", "q\"uote,"]
      ])
      expect(decoder.end()).toEqual([])
    })))
})

describe("CopyFormat", () => {
  const rows: ReadonlyArray<ReadonlyArray<string | null>> = [["plain", "tab\tnew\nline\\back"], ["", null], ["  spaced ", "\"q\",c"]]

  for (const format of ["text", "csv", "binary"] as const) {
    it(`${format}: what the encoder writes, the decoder reads back, whatever the chunking`, () => {
      const encodeRow = Result.getOrThrow(CopyFormat.makeEncoder(format, [Oid.text, Oid.text]))
      const bytes = concat(
        ...(format === "binary" ? [CopyFormat.binaryHeader] : []),
        ...rows.map((row) => Result.getOrThrow(encodeRow(row))),
        ...(format === "binary" ? [CopyFormat.binaryTrailer] : [])
      )
      for (const size of [1, 2, 5, bytes.length]) {
        const decoder = CopyFormat.makeDecoder(format, 2)
        const out: Array<ReadonlyArray<unknown>> = []
        for (const chunk of chunks(bytes, size)) {
          const got = decoder.push(chunk)
          if (!Array.isArray(got)) throw new Error(got.message)
          out.push(...got)
        }
        const end = decoder.end()
        if (!Array.isArray(end)) throw new Error(end.message)
        out.push(...end)
        expect(out.map((row) => row.map((v) => (v instanceof Uint8Array ? decode(v) : v)))).toEqual(rows)
      }
    })
  }

  it("malformed data is 22P04 (missing and extra columns, a bad binary signature)", () => {
    const missing = CopyFormat.makeDecoder("text", 2).push(encode("only-one\n"))
    expect(!Array.isArray(missing) && missing.code).toBe("22P04")
    const extra = CopyFormat.makeDecoder("csv", 2).push(encode("a,b,c\n"))
    expect(!Array.isArray(extra) && extra.code).toBe("22P04")
    const signature = CopyFormat.makeDecoder("binary", 2).push(new Uint8Array(19))
    expect(!Array.isArray(signature) && signature.code).toBe("22P04")
  })

  it("an encoder for a type without a binary format, or a value that does not fit, is an error value", () => {
    const interval = CopyFormat.makeEncoder("binary", [Oid.interval])
    expect(Result.isFailure(interval) && interval.failure.code).toBe("42883")
    const int2 = Result.getOrThrow(CopyFormat.makeEncoder("binary", [Oid.int2]))
    const tooBig = int2([70000])
    expect(Result.isFailure(tooBig) && tooBig.failure.code).toBe("22003")
  })

  it("a \\. line ends text data", () => {
    const decoder = CopyFormat.makeDecoder("text", 1)
    expect(decoder.push(encode("a\n\\.\nignored\n"))).toEqual([["a"]])
    expect(decoder.end()).toEqual([])
  })
})
