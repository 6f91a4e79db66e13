/**
 * The registry of cancel keys: every session registers the process id and
 * secret key it sent in BackendKeyData, with what a matching CancelRequest
 * does (interrupt the session's running statement). A CancelRequest arrives
 * on a fresh connection that gets no reply either way.
 *
 * It is a service so that several servers (processes of a cluster) can
 * share one registry: an implementation may allocate process ids from a
 * common range and forward a cancel to the process that owns the session.
 * `CancelRegistry.memory` is the in-process default.
 *
 * What it is not: the cancellation itself; the session decides what a
 * cancel means in its current phase.
 *
 * @since 0.1.0
 */
import { randomBytes, randomInt, timingSafeEqual } from "node:crypto"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"

/**
 * A session's cancel key, as sent in BackendKeyData.
 *
 * @since 0.1.0
 * @category models
 */
export interface BackendKey {
  readonly processId: number
  readonly secretKey: Uint8Array
}

/**
 * @since 0.1.0
 * @category models
 */
export interface CancelRegistryShape {
  /**
   * Allocates a key for a new session (a random secret of `keyLength` bytes:
   * 4 in protocol 3.0, up to 256 in 3.2) and registers `onCancel` for it. The
   * registration ends with the scope.
   */
  readonly register: (keyLength: number, onCancel: Effect.Effect<void>) => Effect.Effect<BackendKey, never, Scope.Scope>
  /**
   * Handles a CancelRequest: runs the matching session's `onCancel` when the
   * process id is known and the secret matches (compared in constant time).
   * Returns whether it matched.
   */
  readonly cancel: (processId: number, secretKey: Uint8Array) => Effect.Effect<boolean>
}

/**
 * @since 0.1.0
 * @category services
 */
export class CancelRegistry extends Context.Service<CancelRegistry, CancelRegistryShape>()("effect-pgwire/server/CancelRegistry") {
  /**
   * An in-process registry. Process ids are random positive 31-bit integers,
   * unique among the registered sessions.
   */
  static readonly memory: Effect.Effect<CancelRegistryShape> = Effect.sync(makeMemory)

  static readonly layerMemory: Layer.Layer<CancelRegistry> = Layer.effect(CancelRegistry)(CancelRegistry.memory)
}

interface Entry {
  readonly secretKey: Uint8Array
  readonly onCancel: Effect.Effect<void>
}

function makeMemory(): CancelRegistryShape {
  const entries = new Map<number, Entry>()
  const register = (keyLength: number, onCancel: Effect.Effect<void>): Effect.Effect<BackendKey, never, Scope.Scope> =>
    Effect.acquireRelease(
      Effect.sync(() => {
        let processId = randomInt(1, 0x7fffffff)
        while (entries.has(processId)) processId = randomInt(1, 0x7fffffff)
        const secretKey = new Uint8Array(randomBytes(keyLength))
        entries.set(processId, { secretKey, onCancel })
        return { processId, secretKey }
      }),
      (key) => Effect.sync(() => entries.delete(key.processId))
    )
  const cancel = (processId: number, secretKey: Uint8Array): Effect.Effect<boolean> =>
    Effect.suspend(() => {
      const entry = entries.get(processId)
      if (entry === undefined) return Effect.succeed(false)
      const expected = entry.secretKey
      // Lengths are not secret (they follow from the protocol version);
      // the bytes are compared in constant time.
      const matches = expected.length === secretKey.length && timingSafeEqual(expected, secretKey)
      return matches ? Effect.as(entry.onCancel, true) : Effect.succeed(false)
    })
  return { register, cancel }
}
