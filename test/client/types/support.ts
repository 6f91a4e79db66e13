/**
 * Shared helpers of the type tests: a connection to the test PostgreSQL,
 * running one codec over bytes or text and catching its typed failure, and
 * encoding a parameter the way Bind does.
 */
import * as Exit from "effect/Exit"
import type { PgConnectionShape } from "../../../src/client/PgConnection.ts"
import type { Codec } from "../../../src/client/types/Codec.ts"
import type { CatalogQuery } from "../../../src/client/types/Catalog.ts"
import type { TypeRegistry } from "../../../src/client/types/Registry.ts"
import { CodecFailure } from "../../../src/protocol/ProtocolError.ts"
import { makeRowDecoder } from "../../../src/protocol/RowDecoder.ts"
import { Writer } from "../../../src/protocol/Writer.ts"

export { superuserConfig as config, withConnection } from "../../support/connection.ts"

/** A catalog runner over the connection's extended-protocol query. */
export const catalogRunner = (c: PgConnectionShape): CatalogQuery<unknown> => (sql, params) => c.query(sql, params)

/** What a codec call gave: its value, or the codec failure it signalled. */
export type Outcome = { readonly value: unknown } | { readonly failure: CodecFailure }

export const attempt = (f: () => unknown): Outcome => {
  try {
    return { value: f() }
  } catch (thrown) {
    if (thrown instanceof CodecFailure) return { failure: thrown }
    throw thrown
  }
}

/** Decodes `bytes` as one whole binary value. */
export const fromBinary = (codec: Codec, bytes: Uint8Array): unknown => {
  if (codec.readBinary === undefined) throw new Error(`${codec.name} has no binary reader`)
  return codec.readBinary(bytes, 0, bytes.length)
}

/** The failure reason and message of decoding `bytes`, or undefined when it decoded. */
export const binaryFailure = (codec: Codec, bytes: Uint8Array): CodecFailure | undefined => {
  const outcome = attempt(() => fromBinary(codec, bytes))
  return "failure" in outcome ? outcome.failure : undefined
}

export const textFailure = (codec: Codec, text: string): CodecFailure | undefined => {
  const outcome = attempt(() => codec.readText(text))
  return "failure" in outcome ? outcome.failure : undefined
}

/** The binary body a codec writes for a value. */
export const toBinary = (codec: Codec, value: unknown): Uint8Array => {
  const w = new Writer(64)
  codec.writeBinary(w, value)
  return w.take().slice()
}

/** The parameter exactly as Bind carries it: the format and the bytes (null for NULL). */
export const bindParameter = (
  registry: TypeRegistry,
  oid: number,
  value: unknown
): { readonly format: 0 | 1; readonly bytes: Uint8Array | null } => {
  const format = registry.parameterFormat(oid, value)
  const w = new Writer(64)
  registry.writeValue(w, oid, value)
  const out = w.take()
  const length = new DataView(out.buffer, out.byteOffset).getInt32(0)
  return { format, bytes: length === -1 ? null : out.slice(4) }
}

/** A DataRow body of one column holding `bytes`. */
export const dataRow = (bytes: Uint8Array | null): Uint8Array => {
  const w = new Writer(64)
  w.i16(1)
  w.nullableBytes(bytes)
  return w.take().slice()
}

/** Runs one column decoder over one value as the row decoder does; the value or the reported failure. */
export const decodeColumn = (
  decoder: Parameters<typeof makeRowDecoder>[0][number],
  bytes: Uint8Array | null
): { readonly value: unknown } | { readonly error: string } => {
  let error: string | undefined
  const row = makeRowDecoder([decoder], "array", (_, reason) => {
    error = reason
  })
  const body = dataRow(bytes)
  const values = row(body, 0, body.length)
  return error === undefined ? { value: values[0] } : { error }
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex")
export const unhex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, "hex"))

/** The failure of an exit, if it failed. */
export const failureOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined => {
  const found = Exit.isFailure(exit) ? Exit.findErrorOption(exit) : undefined
  return found?._tag === "Some" ? found.value : undefined
}
