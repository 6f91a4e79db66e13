/**
 * Codec benchmark: effect-pgwire against node-postgres's `pg-protocol` and
 * `@effect/sql-pg`'s `PgProtocol`, in one process, interleaved round by round.
 *
 * parse: 1,000,000 DataRows (int4, text, timestamptz; binary) after a
 *   RowDescription, fed in 64 KiB chunks, each library on its production path:
 *   - pg-protocol: its Parser (text mode is its only mode: every field becomes a string);
 *   - @effect/sql-pg: PgProtocol.makeParser with PgTypes.makeFieldReader for the columns;
 *   - effect-pgwire: makeBackendParser with makeRowDecoder for the columns.
 *   Both Effect parsers produce (number, string, Date) per row.
 * encode: 1,000,000 batches of Bind (int4, text, timestamptz parameters from JS
 *   values; binary results) + Execute + Sync:
 *   - pg-protocol: serialize.bind with pg's own valueMapper (utils.prepareValue), execute, sync;
 *   - @effect/sql-pg: makeBindEncoder(PgTypes.writeParameter), encodeExecute, encodeSync;
 *   - effect-pgwire: writeBind with writeParameter, Execute and Sync into one Writer, one take() per batch.
 *
 * Run: `npm run bench:codec` (add `-- --rounds 9` for more rounds), or pinned
 * to one core: `taskset -c 0 npm run bench:codec`. Prints medians and ratios
 * as Markdown for docs/benchmarks.md.
 */
import * as PgProtocol from "@effect/sql-pg/PgProtocol"
import * as PgTypes from "@effect/sql-pg/PgTypes"
import * as Result from "effect/Result"
import { Parser as PgParser } from "pg-protocol/dist/parser.js"
import { serialize } from "pg-protocol"
// @ts-expect-error pg ships no types for its utils module
import pgUtils from "pg/lib/utils.js"
import {
  ColumnKind,
  encodeBackend,
  makeBackendParser,
  makeRowDecoder,
  writeBind,
  writeFrontend,
  writeParameter,
  Writer
} from "../src/protocol/index.ts"
import { median } from "./median.ts"

const rows = 1_000_000
const batches = 1_000_000
const roundsArg = process.argv.indexOf("--rounds")
const rounds = roundsArg === -1 ? 7 : Number(process.argv[roundsArg + 1])
const prepareValue: (value: unknown) => unknown = pgUtils.prepareValue

// ---------------------------------------------------------------------------
// Input: one backend stream, cut into 64 KiB chunks (as Buffers, which
// pg-protocol requires and the others accept).

const fields = [
  { name: "id", tableOid: 0, columnAttributeNumber: 0, dataTypeOid: 23, dataTypeSize: 4, typeModifier: -1, format: 1 },
  { name: "name", tableOid: 0, columnAttributeNumber: 0, dataTypeOid: 25, dataTypeSize: -1, typeModifier: -1, format: 1 },
  { name: "at", tableOid: 0, columnAttributeNumber: 0, dataTypeOid: 1184, dataTypeSize: 8, typeModifier: -1, format: 1 }
]
const names = Array.from({ length: 1000 }, (_, i) => `name-${i}`)
const dates = Array.from({ length: 1000 }, (_, i) => new Date(Date.UTC(2024, 0, 1) + i * 1_000_003))

const makeStream = (): Uint8Array => {
  const row = (i: number): Array<Uint8Array> => {
    const int4 = new Uint8Array(4)
    new DataView(int4.buffer).setInt32(0, i)
    const ts = new Uint8Array(8)
    new DataView(ts.buffer).setBigInt64(0, BigInt(dates[i % 1000]!.getTime() - 946_684_800_000) * 1000n)
    return [int4, new TextEncoder().encode(names[i % 1000]!), ts]
  }
  const parts: Array<Uint8Array> = [Result.getOrThrow(encodeBackend({ _tag: "RowDescription", fields }))]
  const template = Array.from({ length: 1000 }, (_, i) => Result.getOrThrow(encodeBackend({ _tag: "DataRow", values: row(i) })))
  for (let i = 0; i < rows; i++) {
    // Patch the int4 so every row is distinct.
    const frame = template[i % 1000]!.slice()
    new DataView(frame.buffer).setInt32(11, i)
    parts.push(frame)
  }
  parts.push(Result.getOrThrow(encodeBackend({ _tag: "CommandComplete", tag: `SELECT ${rows}` }, { _tag: "ReadyForQuery", transactionStatus: "I" })))
  return Buffer.concat(parts)
}

const stream = makeStream()
const chunks: Array<Buffer> = []
for (let p = 0; p < stream.length; p += 65536) chunks.push(Buffer.from(stream.subarray(p, Math.min(p + 65536, stream.length))))

let sink = 0

// ---------------------------------------------------------------------------
// Parse

const parsePgProtocol = (): number => {
  const parser = new PgParser()
  let count = 0
  for (const chunk of chunks) {
    parser.parse(chunk, (message) => {
      if (message.name === "dataRow") {
        const values = (message as unknown as { fields: Array<string | null> }).fields
        count++
        sink += values[1]!.length
      }
    })
  }
  return count
}

const parseSqlPg = (): number => {
  const parser = PgProtocol.makeParser<unknown>()
  let count = 0
  for (const chunk of chunks) {
    parser.pushEach(chunk, (message) => {
      if (message._tag === "RowDescription") {
        parser.readField = Result.getOrThrow(PgTypes.makeFieldReader(message.fields))
      } else if (message._tag === "DataRow") {
        const values = message.values
        count++
        sink += (values[0] as number) + (values[1] as string).length + ((values[2] as Date).getTime() & 1)
      }
    })
  }
  return count
}

const columnKind = (oid: number) =>
  oid === 23 ? ColumnKind.Int4 : oid === 25 ? ColumnKind.Text : oid === 1184 ? ColumnKind.TimestampDate : ColumnKind.Raw

const parseOurs = (): number => {
  const parser = makeBackendParser<Array<unknown>>()
  let count = 0
  for (const chunk of chunks) {
    const error = parser.push(chunk, (message) => {
      if (message._tag === "RowDescription") {
        parser.setRowDecoder(makeRowDecoder(message.fields.map((f) => ({ kind: columnKind(f.dataTypeOid) }))))
      } else if (message._tag === "DataRow") {
        const values = message.values as Array<unknown>
        count++
        sink += (values[0] as number) + (values[1] as string).length + ((values[2] as Date).getTime() & 1)
      }
    })
    if (error !== undefined) throw error
  }
  return count
}

// ---------------------------------------------------------------------------
// Encode

const encodePgProtocol = (): number => {
  let bytes = 0
  for (let i = 0; i < batches; i++) {
    const bind = serialize.bind({ statement: "s1", values: [i, names[i % 1000], dates[i % 1000]], valueMapper: prepareValue, binary: true })
    const execute = serialize.execute({})
    const sync = serialize.sync()
    bytes += bind.length + execute.length + sync.length
  }
  return bytes
}

const sqlPgBind = PgProtocol.makeBindEncoder(PgTypes.writeParameter, PgTypes.isTextFormat)
const encodeSqlPg = (): number => {
  let bytes = 0
  for (let i = 0; i < batches; i++) {
    const bind = Result.getOrThrow(
      sqlPgBind({
        portal: "",
        statement: "s1",
        parameters: [PgTypes.int4(i), PgTypes.text(names[i % 1000]!), PgTypes.timestamptz(dates[i % 1000]!)]
      })
    )
    const execute = PgProtocol.encodeExecute({ portal: "", maxRows: 0 })
    const sync = PgProtocol.encodeSync()
    bytes += bind.length + execute.length + sync.length
  }
  return bytes
}

const kinds = [ColumnKind.Int4, ColumnKind.Text, ColumnKind.TimestampDate] as const
const parameterFormats = [1, 0, 1]
const resultFormats = [1]
const writeValue = (w: Writer, value: unknown, index: number) => writeParameter(w, kinds[index]!, value)
const execute = { _tag: "Execute", portal: "", maxRows: 0 } as const
const sync = { _tag: "Sync" } as const

const encodeOurs = (): number => {
  const w = new Writer(64 * 1024)
  let bytes = 0
  for (let i = 0; i < batches; i++) {
    writeBind(w, "", "s1", parameterFormats, [i, names[i % 1000], dates[i % 1000]], writeValue, resultFormats)
    writeFrontend(w, execute)
    writeFrontend(w, sync)
    bytes += w.take().length
  }
  return bytes
}

// ---------------------------------------------------------------------------

const workloads = {
  parse: { "pg-protocol": parsePgProtocol, "@effect/sql-pg": parseSqlPg, "effect-pgwire": parseOurs },
  encode: { "pg-protocol": encodePgProtocol, "@effect/sql-pg": encodeSqlPg, "effect-pgwire": encodeOurs }
} as const


const times: Record<string, Record<string, Array<number>>> = {}
for (let round = 0; round <= rounds; round++) {
  for (const [workload, peers] of Object.entries(workloads)) {
    const entries = Object.entries(peers)
    // Rotate the order each round so no library always runs first or last.
    for (let k = 0; k < entries.length; k++) {
      const [peer, run] = entries[(k + round) % entries.length]!
      const start = process.hrtime.bigint()
      const result = run()
      const ms = Number(process.hrtime.bigint() - start) / 1e6
      if (workload === "parse" && result !== rows) throw new Error(`${peer} parsed ${result} rows`)
      // Round 0 warms up the JIT and is not counted.
      if (round > 0) ((times[workload] ??= {})[peer] ??= []).push(ms)
    }
  }
}

const lines: Array<string> = []
lines.push(`Node ${process.version}, ${rounds} rounds (after one warm-up), medians in ms (lower is better).`)
lines.push("")
lines.push("| workload | pg-protocol | @effect/sql-pg | effect-pgwire | vs fastest peer |")
lines.push("|---|---|---|---|---|")
for (const [workload, peers] of Object.entries(times)) {
  const m = Object.fromEntries(Object.entries(peers).map(([peer, xs]) => [peer, median(xs)]))
  const best = Math.min(m["pg-protocol"]!, m["@effect/sql-pg"]!)
  const perOp = workload === "parse" ? rows : batches
  const cell = (peer: string) => `${m[peer]!.toFixed(0)} (${((m[peer]! * 1e6) / perOp).toFixed(0)} ns/op)`
  lines.push(
    `| ${workload} | ${cell("pg-protocol")} | ${cell("@effect/sql-pg")} | ${cell("effect-pgwire")} | ${(best / m["effect-pgwire"]!).toFixed(2)}× |`
  )
}
lines.push("")
lines.push("Every run (ms):")
for (const [workload, peers] of Object.entries(times)) {
  for (const [peer, xs] of Object.entries(peers)) lines.push(`- ${workload} ${peer}: ${xs.map((x) => x.toFixed(0)).join(", ")}`)
}
console.log(lines.join("\n"))
if (sink === 0) console.log("(sink)")
