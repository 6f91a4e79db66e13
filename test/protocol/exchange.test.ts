/**
 * A frontend/backend exchange recorded with a real PostgreSQL 18
 * (`fixtures/record-exchange.ts`) parses to the same messages however the
 * bytes are cut into chunks: at every single split point, and byte by byte.
 */
import { describe, expect, it } from "vitest"
import * as Result from "effect/Result"
import exchange from "./fixtures/exchange.json" with { type: "json" }
import {
  type BackendMessage,
  encodeBackend,
  encodeFrontend,
  type FrontendMessage,
  makeBackendParser,
  makeFrontendParser,
  type Parser
} from "../../src/protocol/index.ts"

const frontendBytes = Uint8Array.from(Buffer.from(exchange.frontend, "base64"))
const backendBytes = Uint8Array.from(Buffer.from(exchange.backend, "base64"))

const parseChunks = <M>(parser: Parser<M>, chunks: ReadonlyArray<Uint8Array>): Array<M> => {
  const out: Array<M> = []
  for (const chunk of chunks) {
    const error = parser.push(chunk, (m) => out.push(m))
    if (error !== undefined) throw new Error(`unexpected ${error.reason}: ${error.message}`)
  }
  return out
}

const everySplit = <M>(make: () => Parser<M>, bytes: Uint8Array) => {
  const whole = parseChunks(make(), [bytes])
  for (let cut = 0; cut <= bytes.length; cut++) {
    const split = parseChunks(make(), [bytes.subarray(0, cut), bytes.subarray(cut)])
    expect(split, `split at ${cut}`).toEqual(whole)
  }
  const bytewise = parseChunks(make(), Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1)))
  expect(bytewise).toEqual(whole)
  return whole
}

describe("recorded exchange with PostgreSQL 18", () => {
  it("backend stream: every split point parses the same", () => {
    const messages = everySplit(() => makeBackendParser(), backendBytes)
    const tags = messages.map((m) => m._tag)
    // The server declined the unknown protocol option and asked for the password.
    expect(tags.slice(0, 2)).toEqual(["NegotiateProtocolVersion", "AuthenticationCleartextPassword"])
    const negotiate = messages[0] as Extract<BackendMessage, { _tag: "NegotiateProtocolVersion" }>
    expect(negotiate.protocolVersion).toBe(0x30002)
    expect(negotiate.unrecognizedOptions).toEqual(["_pq_.unknown_option"])
    // 3.2 gives a 32-byte cancel key.
    const key = messages.find((m) => m._tag === "BackendKeyData")
    expect(key?._tag === "BackendKeyData" && key.secretKey.length).toBe(32)
    for (const tag of [
      "ParameterStatus", "RowDescription", "DataRow", "CommandComplete", "ErrorResponse", "ParseComplete",
      "BindComplete", "CloseComplete", "NoticeResponse", "NotificationResponse", "CopyInResponse",
      "CopyOutResponse", "CopyData", "CopyDone", "PortalSuspended", "EmptyQueryResponse", "ReadyForQuery"
    ] as const) {
      expect(tags, tag).toContain(tag)
    }
    const error = messages.find((m) => m._tag === "ErrorResponse")
    expect(error?._tag === "ErrorResponse" && error.fields.code).toBe("42P01")
    const statuses = messages.flatMap((m) => (m._tag === "ReadyForQuery" ? [m.transactionStatus] : []))
    expect(statuses).toContain("E")
    expect(statuses.at(-1)).toBe("I")
  })

  it("frontend stream: every split point parses the same", () => {
    const messages = everySplit(() => makeFrontendParser(), frontendBytes)
    expect(messages[0]?._tag).toBe("StartupMessage")
    expect(messages.at(-1)?._tag).toBe("Terminate")
    expect(messages.filter((m) => m._tag === "Query").length).toBeGreaterThan(5)
  })

  it("re-encoding the parsed messages gives the recorded bytes back", () => {
    const backend = parseChunks(makeBackendParser(), [backendBytes])
    expect(Result.getOrThrow(encodeBackend(...backend))).toEqual(backendBytes)
    const frontend: Array<FrontendMessage> = parseChunks(makeFrontendParser(), [frontendBytes])
    expect(Result.getOrThrow(encodeFrontend(...frontend))).toEqual(frontendBytes)
  })
})
