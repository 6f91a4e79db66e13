/**
 * The COPY FROM STDIN phase: CopyData goes to the handler's receiver in
 * order, CopyDone ends the copy with its command tag, CopyFail aborts it
 * (57014 `COPY from stdin failed`). Flush and Sync are ignored during the
 * copy, as the protocol asks. Afterwards the simple query resumes with its
 * next statement, or the extended batch waits for Sync.
 *
 * When the copy fails before the client has finished sending, a simple
 * query is answered at once (ErrorResponse, ReadyForQuery) and the copy
 * messages still in flight are skipped; an extended batch skips everything
 * up to Sync anyway. After a COPY, stray copy messages are skipped until
 * another message arrives (postgres.js, for one, sends a CopyFail after its
 * CopyDone), as PostgreSQL does.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { CopyData, CopyDone, CopyFail } from "../../protocol/index.ts"
import { SqlState } from "../../protocol/SqlState.ts"
import type { ConnectionError } from "../../transport/ConnectionError.ts"
import { pgError, type PgError } from "../PgError.ts"
import { batchFailed } from "./ExtendedQuery.ts"
import type { Phase, SessionState } from "./SessionState.ts"
import { dropPortalsOutsideTransaction, runStatements, statementFailed } from "./SimpleQuery.ts"

type CopyInPhase = Extract<Phase, { _tag: "CopyIn" }>

const copyFailed = (state: SessionState, phase: CopyInPhase, error: PgError): Effect.Effect<void, ConnectionError> => {
  if (phase.then._tag === "Extended") return batchFailed(state, error)
  return Effect.flatMap(statementFailed(state, error), () => {
    if (state.phase._tag === "Closed") return Effect.void
    state.readyForQuery()
    state.phase = { _tag: "Ready" }
    state.discardCopy = true
    // The query's transaction ended with the error: outside a block, its portals end with it.
    return dropPortalsOutsideTransaction(state)
  })
}

const resume = (state: SessionState, phase: CopyInPhase): Effect.Effect<void, ConnectionError> => {
  state.discardCopy = true
  const then = phase.then
  if (then._tag === "Extended") {
    state.phase = { _tag: "ExtendedQuery" }
    return Effect.void
  }
  return runStatements(state, then.statements, then.next)
}

/** A copy message in the CopyIn phase. */
export const onCopyMessage = (
  state: SessionState,
  phase: CopyInPhase,
  message: CopyData | CopyDone | CopyFail
): Effect.Effect<void, ConnectionError> => {
  const receiver = phase.receiver
  switch (message._tag) {
    case "CopyData":
      return Effect.catchTag(receiver.data(message.data), "PgError", (error) => copyFailed(state, phase, error))
    case "CopyDone":
      return receiver.done.pipe(
        Effect.matchEffect({
          onFailure: (error) => copyFailed(state, phase, error),
          onSuccess: (tag) => {
            state.output.append({ _tag: "CommandComplete", tag })
            return resume(state, phase)
          }
        })
      )
    case "CopyFail":
      return Effect.andThen(
        receiver.fail(message.message),
        copyFailed(state, phase, pgError(SqlState.queryCanceled, `COPY from stdin failed: ${message.message}`))
      )
  }
}
