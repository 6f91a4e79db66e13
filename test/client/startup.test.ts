/**
 * The startup state machine against a scripted server built on the codec:
 * the order violations a real PostgreSQL never produces, and the policy
 * checks. Each script is the list of messages the "server" sends; the test
 * records what the client sends back.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Result from "effect/Result"
import * as ScramServer from "../../src/auth/ScramServer.ts"
import * as ScramVerifier from "../../src/auth/ScramVerifier.ts"
import { resolve, type PgConnectionConfig } from "../../src/client/Config.ts"
import { runStartup } from "../../src/client/Startup.ts"
import { type BackendMessage, encodeBackend, encodeFrontend, type FrontendMessage, makeBackendParser } from "../../src/protocol/index.ts"
import { ProtocolError } from "../../src/protocol/ProtocolError.ts"

const key32 = new Uint8Array(32).fill(7)
const ready: ReadonlyArray<BackendMessage> = [
  { _tag: "ParameterStatus", name: "server_version", value: "18.0" },
  { _tag: "BackendKeyData", processId: 42, secretKey: key32 },
  { _tag: "ReadyForQuery", transactionStatus: "I" }
]

/**
 * Plays `script` as the server: each step is either messages to send, or a
 * function of the client's last message giving the messages to send. Messages
 * pass through the real encoder and parser, so they are what the wire carries.
 */
type Step = ReadonlyArray<BackendMessage> | ((sent: FrontendMessage) => ReadonlyArray<BackendMessage>)

const play = (steps: ReadonlyArray<Step>, config: PgConnectionConfig = {}) =>
  Effect.gen(function*() {
    const resolved = yield* resolve({ user: "alice", password: "secret", ...config })
    const parser = makeBackendParser()
    const inbox: Array<BackendMessage> = []
    const sent: Array<FrontendMessage> = []
    let step = 0
    const deliver = (messages: ReadonlyArray<BackendMessage>) => {
      const bytes = Result.getOrThrow(encodeBackend(...messages))
      const error = parser.push(bytes, (m) => inbox.push(m as BackendMessage))
      if (error) throw error
    }
    const exit = yield* Effect.exit(
      runStartup(
        {
          next: Effect.suspend(() => {
            if (inbox.length === 0 && step < steps.length) {
              const current = steps[step++]!
              deliver(typeof current === "function" ? current(sent.at(-1)!) : current)
            }
            const message = inbox.shift()
            return message === undefined
              ? Effect.fail(new ProtocolError({ reason: "Truncated", message: "script ended", offset: -1 }))
              : Effect.succeed(message)
          }),
          send: (message) =>
            Effect.sync(() => {
              Result.getOrThrow(encodeFrontend(message))
              sent.push(message)
            })
        },
        resolved,
        undefined
      )
    )
    return { exit, sent }
  })

const failure = <A, E>(exit: Exit.Exit<A, E>): E | undefined => {
  const found = Exit.isFailure(exit) ? Exit.findErrorOption(exit) : undefined
  return found?._tag === "Some" ? found.value : undefined
}

const violation = (steps: ReadonlyArray<Step>, fragment: RegExp) =>
  Effect.gen(function*() {
    const { exit } = yield* play(steps)
    const error = failure(exit)
    expect(error?._tag).toBe("ProtocolError")
    expect(error?.message).toMatch(fragment)
  })

describe("order violations are ProtocolErrors", () => {
  it.effect("an auth challenge after AuthenticationOk", () =>
    violation([[{ _tag: "AuthenticationOk" }, { _tag: "AuthenticationCleartextPassword" }]], /after AuthenticationOk/))

  it.effect("ParameterStatus before AuthenticationOk", () =>
    violation([[{ _tag: "ParameterStatus", name: "a", value: "b" }]], /ParameterStatus before AuthenticationOk/))

  it.effect("BackendKeyData before AuthenticationOk", () =>
    violation([[{ _tag: "BackendKeyData", processId: 1, secretKey: key32 }]], /BackendKeyData before AuthenticationOk/))

  it.effect("ReadyForQuery without AuthenticationOk", () =>
    violation([[{ _tag: "ReadyForQuery", transactionStatus: "I" }]], /ReadyForQuery without AuthenticationOk/))

  it.effect("AuthenticationOk before SASLFinal in a SCRAM exchange", () =>
    violation(
      [[{ _tag: "AuthenticationSASL", mechanisms: ["SCRAM-SHA-256"] }], [{ _tag: "AuthenticationOk" }]],
      /AuthenticationOk before the server's SCRAM final message/
    ))

  it.effect("NegotiateProtocolVersion after authentication began", () =>
    violation(
      [[{ _tag: "AuthenticationCleartextPassword" }], [{ _tag: "NegotiateProtocolVersion", protocolVersion: 0x30000, unrecognizedOptions: [] }]],
      /NegotiateProtocolVersion after authentication began/
    ))

  it.effect("a data message during startup", () =>
    violation([[{ _tag: "AuthenticationOk" }, { _tag: "DataRow", values: [] }]], /unexpected DataRow/))

  it.effect("a 3.0 session with a 32-byte cancel key", () =>
    violation(
      [[{ _tag: "NegotiateProtocolVersion", protocolVersion: 0x30000, unrecognizedOptions: [] }, { _tag: "AuthenticationOk" }, ...ready]],
      /3.0 cancel keys are 4 bytes/
    ))

  it.effect("NegotiateProtocolVersion naming an option we never sent", () =>
    violation(
      [[{ _tag: "NegotiateProtocolVersion", protocolVersion: 0x30000, unrecognizedOptions: ["_pq_.surprise"] }]],
      /did not send/
    ))
})

describe("successful handshakes", () => {
  it.effect("trust: AuthenticationOk straight away, 3.2 with a long key", () =>
    Effect.gen(function*() {
      const { exit, sent } = yield* play([[{ _tag: "AuthenticationOk" }, ...ready]])
      expect(Exit.isSuccess(exit)).toBe(true)
      if (Exit.isSuccess(exit)) {
        expect(exit.value.protocolVersion).toBe(0x30002)
        expect(exit.value.secretKey).toEqual(key32)
        expect(exit.value.authMethod).toBe("trust")
      }
      expect(sent[0]).toMatchObject({ _tag: "StartupMessage", protocolVersion: 0x30002 })
    }))

  it.effect("notices during the handshake are kept in order in the session info", () =>
    Effect.gen(function*() {
      const { exit } = yield* play([[
        { _tag: "NoticeResponse", fields: { severity: "WARNING", code: "01000", message: "first" } },
        { _tag: "AuthenticationOk" },
        { _tag: "NoticeResponse", fields: { severity: "NOTICE", code: "00000", message: "second" } },
        ...ready
      ]])
      expect(Exit.isSuccess(exit) ? exit.value.notices.map((n) => n.message) : exit).toEqual(["first", "second"])
    }))

  it.effect("a server that speaks only 3.0 negotiates down", () =>
    Effect.gen(function*() {
      const { exit } = yield* play([[
        { _tag: "NegotiateProtocolVersion", protocolVersion: 0x30000, unrecognizedOptions: [] },
        { _tag: "AuthenticationOk" },
        { _tag: "BackendKeyData", processId: 9, secretKey: new Uint8Array([1, 2, 3, 4]) },
        { _tag: "ReadyForQuery", transactionStatus: "I" }
      ]])
      expect(Exit.isSuccess(exit) && exit.value.protocolVersion).toBe(0x30000)
    }))

  it.effect("SCRAM-SHA-256 against the server-side steps", () =>
    Effect.gen(function*() {
      const verifier = yield* ScramVerifier.make("secret", { iterations: 4096 })
      let serverState: ScramServer.ServerFirstSent | undefined
      const { exit, sent } = yield* play([
        [{ _tag: "AuthenticationSASL", mechanisms: ["SCRAM-SHA-256"] }],
        (initial) => {
          if (initial._tag !== "SASLInitialResponse" || initial.data === null) throw new Error("expected SASLInitialResponse")
          const first = Result.getOrThrow(
            ScramServer.receiveClientFirst({ username: "alice", verifier, mockSecret: new Uint8Array(32), serverNonce: "servernonce" }, initial.mechanism, initial.data)
          )
          serverState = first.state
          return [{ _tag: "AuthenticationSASLContinue", data: first.message }]
        },
        (response) => {
          if (response._tag !== "SASLResponse") throw new Error("expected SASLResponse")
          const final = Result.getOrThrow(ScramServer.receiveClientFinal(serverState!, response.data))
          return [{ _tag: "AuthenticationSASLFinal", data: final.message }, { _tag: "AuthenticationOk" }, ...ready]
        }
      ])
      expect(Exit.isSuccess(exit) && exit.value.authMethod).toBe("scram-sha-256")
      expect(sent.map((m) => m._tag)).toEqual(["StartupMessage", "SASLInitialResponse", "SASLResponse"])
    }))

  it.effect("an ErrorResponse during startup is a PgServerError with every field", () =>
    Effect.gen(function*() {
      const { exit } = yield* play([[
        { _tag: "ErrorResponse", fields: { severity: "FATAL", severityNonLocalized: "FATAL", code: "53300", message: "sorry, too many clients already", routine: "InitProcessPhase2" } }
      ]])
      const error = failure(exit)
      expect(error?._tag).toBe("PgServerError")
      expect(error?._tag === "PgServerError" && error.routine).toBe("InitProcessPhase2")
    }))
})

describe("policy", () => {
  it.effect("require_auth refuses trust (AuthenticationOk with no exchange)", () =>
    Effect.gen(function*() {
      const { exit } = yield* play([[{ _tag: "AuthenticationOk" }, ...ready]], { requireAuth: "scram-sha-256" })
      expect(failure(exit)?._tag).toBe("AuthError")
    }))

  it.effect("channel_binding=require refuses cleartext before sending the password", () =>
    Effect.gen(function*() {
      const { exit, sent } = yield* play([[{ _tag: "AuthenticationCleartextPassword" }]], { channelBinding: "require" })
      const error = failure(exit)
      expect(error?._tag === "AuthError" && error.reason).toBe("ChannelBindingRequired")
      expect(sent.map((m) => m._tag)).toEqual(["StartupMessage"])
    }))

  it.effect("no password for a password request is an AuthError", () =>
    Effect.gen(function*() {
      const { exit } = yield* play([[{ _tag: "AuthenticationMD5Password", salt: new Uint8Array([1, 2, 3, 4]) }]], { password: undefined })
      const error = failure(exit)
      expect(error?._tag === "AuthError" && error.reason).toBe("PasswordMissing")
    }))

  it.effect("GSS without a provider is an AuthError", () =>
    Effect.gen(function*() {
      const { exit } = yield* play([[{ _tag: "AuthenticationGSS" }]])
      const error = failure(exit)
      expect(error?._tag === "AuthError" && error.reason).toBe("GssProviderMissing")
    }))
})
