/**
 * `npm start` until the server lands: a small demonstration of the codec.
 * It encodes a pipelined extended-query batch into one buffer, plays the
 * backend's answer back through the incremental parser in small chunks, and
 * prints both directions as a PQtrace-style trace.
 *
 * This is a demo of what exists today, not the server.
 */
import * as Result from "effect/Result"
import {
  encodeBackend,
  encodeFrontend,
  makeBackendParser,
  makeFrontendParser,
  traceBackend,
  traceFrontend
} from "../protocol/index.ts"

const int4 = (n: number) => new Uint8Array([n >>> 24, n >>> 16, n >>> 8, n])

const request = encodeFrontend(
  { _tag: "Parse", name: "s1", query: "SELECT $1::int4 + 1 AS next", parameterTypes: [23] },
  { _tag: "Bind", portal: "", statement: "s1", parameterFormats: [1], parameters: [int4(41)], resultFormats: [1] },
  { _tag: "Describe", target: "portal", name: "" },
  { _tag: "Execute", portal: "", maxRows: 0 },
  { _tag: "Sync" }
)

const response = encodeBackend(
  { _tag: "ParseComplete" },
  { _tag: "BindComplete" },
  {
    _tag: "RowDescription",
    fields: [{ name: "next", tableOid: 0, columnAttributeNumber: 0, dataTypeOid: 23, dataTypeSize: 4, typeModifier: -1, format: 1 }]
  },
  { _tag: "DataRow", values: [int4(42)] },
  { _tag: "CommandComplete", tag: "SELECT 1" },
  { _tag: "ReadyForQuery", transactionStatus: "I" }
)

if (Result.isFailure(request) || Result.isFailure(response)) {
  console.error("encoding failed")
  process.exitCode = 1
} else {
  console.log(`effect-pgwire codec demo: one pipelined batch of ${request.success.length} bytes, answered with ${response.success.length} bytes.\n`)
  const frontend = makeFrontendParser({ startup: false })
  const error = frontend.push(request.success, (message) => console.log(traceFrontend(message)))
  const backend = makeBackendParser()
  // Seven-byte chunks: messages are reassembled across chunk boundaries.
  let failure = error
  for (let at = 0; at < response.success.length && failure === undefined; at += 7) {
    failure = backend.push(response.success.subarray(at, at + 7), (message) => console.log(traceBackend(message)))
  }
  if (failure !== undefined) {
    console.error(`${failure._tag} (${failure.reason}): ${failure.message}`)
    process.exitCode = 1
  }
}
