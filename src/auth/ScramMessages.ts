/**
 * The SCRAM message grammar (RFC 5802 section 7): parse and format the four
 * messages of an exchange, the GS2 header and `saslname` escaping.
 *
 * Pure text in, plain objects out; each parser checks attribute order,
 * presence, base64 and number syntax and nothing else. What the values mean
 * (does the nonce extend ours, is the iteration count acceptable, does the
 * channel binding match) is decided by `ScramClient.ts` / `ScramServer.ts`.
 *
 * Parsers take the side that *receives* the message: client-first and
 * client-final failures are `InvalidClientMessage`, server-first and
 * server-final failures are `InvalidServerMessage`. Messages never quote the
 * peer's text beyond a short sanitized attribute name.
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import { type AuthError, type AuthErrorReason, authError } from "./AuthError.ts"
import { base64Decode, base64Encode, sanitizeForMessage } from "./internal/encoding.ts"
import { KEY_LENGTH } from "./ScramKeys.ts"

/**
 * @since 0.1.0
 * @category mechanisms
 */
export const SCRAM_SHA_256 = "SCRAM-SHA-256"

/**
 * @since 0.1.0
 * @category mechanisms
 */
export const SCRAM_SHA_256_PLUS = "SCRAM-SHA-256-PLUS"

/**
 * @since 0.1.0
 * @category mechanisms
 */
export type Mechanism = typeof SCRAM_SHA_256 | typeof SCRAM_SHA_256_PLUS

/**
 * The only channel-binding type PostgreSQL (and this library) implements.
 *
 * @since 0.1.0
 * @category channel binding
 */
export const TLS_SERVER_END_POINT = "tls-server-end-point"

/**
 * The GS2 channel-binding flag: `n` (client does not support binding), `y`
 * (client supports it but thinks the server does not), `p` (binding used,
 * with the named type).
 *
 * @since 0.1.0
 * @category models
 */
export type Gs2Header =
  | { readonly _tag: "n" }
  | { readonly _tag: "y" }
  | { readonly _tag: "p"; readonly cbName: string }

/**
 * The GS2 header text, always without authzid: `n,,`, `y,,` or `p=<name>,,`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatGs2Header = (header: Gs2Header): string =>
  header._tag === "p" ? `p=${header.cbName},,` : `${header._tag},,`

/**
 * RFC 5802 `saslname`: `=` becomes `=3D` and `,` becomes `=2C`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const escapeSaslName = (name: string): string => name.replace(/=/g, "=3D").replace(/,/g, "=2C")

/**
 * Inverse of {@link escapeSaslName}; `undefined` for an `=` not followed by
 * `2C` or `3D`.
 *
 * @since 0.1.0
 * @category parsing
 */
export const unescapeSaslName = (name: string): string | undefined => {
  if (!/^(?:[^=]|=2C|=3D)*$/.test(name)) return undefined
  return name.replace(/=2C/g, ",").replace(/=3D/g, "=")
}

interface Attribute {
  readonly name: string
  readonly value: string
}

// Splits "a=1,b=2" into attributes. Every part must be ALPHA "=" value and
// may not contain NUL (PostgreSQL reads these as C strings).
const splitAttributes = (text: string): ReadonlyArray<Attribute> | undefined => {
  if (text.includes("\u0000")) return undefined
  const out: Array<Attribute> = []
  for (const part of text.split(",")) {
    if (part.length < 2 || part[1] !== "=" || !/^[A-Za-z]$/.test(part[0]!)) return undefined
    out.push({ name: part[0]!, value: part.slice(2) })
  }
  return out
}

const malformed = (reason: AuthErrorReason, what: string): Result.Result<never, AuthError> =>
  Result.fail(authError(reason, `malformed SCRAM message: ${what}`))

const expect = (
  reason: AuthErrorReason,
  attributes: ReadonlyArray<Attribute>,
  index: number,
  name: string
): Result.Result<string, AuthError> => {
  const attribute = attributes[index]
  if (attribute === undefined) return malformed(reason, `missing attribute '${name}'`)
  if (attribute.name !== name) {
    return malformed(reason, `expected attribute '${name}', got '${sanitizeForMessage(attribute.name, 1)}'`)
  }
  return Result.succeed(attribute.value)
}

// Unknown extensions are allowed after the defined attributes (RFC 5802
// section 5.1), except the mandatory-extension marker `m`.
const checkExtensions = (
  reason: AuthErrorReason,
  attributes: ReadonlyArray<Attribute>,
  from: number,
  to: number
): Result.Result<void, AuthError> => {
  for (let i = from; i < to; i++) {
    if (attributes[i]!.name === "m") return malformed(reason, "unsupported mandatory extension")
  }
  return Result.void
}

/**
 * A parsed client-first-message.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientFirstMessage {
  readonly gs2: Gs2Header
  /** The GS2 header exactly as sent (needed for the `c=` check). */
  readonly gs2Header: string
  /** client-first-message-bare, part of the AuthMessage. */
  readonly bare: string
  readonly username: string
  readonly nonce: string
}

/**
 * Formats a client-first-message. Returns the whole message and its bare part.
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatClientFirst = (
  gs2: Gs2Header,
  username: string,
  nonce: string
): { readonly message: string; readonly gs2Header: string; readonly bare: string } => {
  const gs2Header = formatGs2Header(gs2)
  const bare = `n=${escapeSaslName(username)},r=${nonce}`
  return { message: gs2Header + bare, gs2Header, bare }
}

/**
 * Parses a client-first-message (server side). An authorization identity
 * (`a=`) is rejected, as PostgreSQL does.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseClientFirst = (text: string): Result.Result<ClientFirstMessage, AuthError> => {
  const R = "InvalidClientMessage"
  const first = text.indexOf(",")
  const second = first < 0 ? -1 : text.indexOf(",", first + 1)
  if (second < 0) return malformed(R, "incomplete GS2 header")
  const flag = text.slice(0, first)
  const authzid = text.slice(first + 1, second)
  if (authzid !== "") {
    return authzid.startsWith("a=")
      ? Result.fail(authError(R, "SCRAM authorization identity is not supported"))
      : malformed(R, "invalid authzid in GS2 header")
  }
  let gs2: Gs2Header
  if (flag === "n" || flag === "y") gs2 = { _tag: flag }
  else if (flag.startsWith("p=") && /^[A-Za-z0-9.-]+$/.test(flag.slice(2))) gs2 = { _tag: "p", cbName: flag.slice(2) }
  else return malformed(R, "invalid channel-binding flag")
  const gs2Header = text.slice(0, second + 1)
  const bare = text.slice(second + 1)
  const attributes = splitAttributes(bare)
  if (attributes === undefined) return malformed(R, "invalid attribute syntax")
  if (attributes[0]?.name === "m") return malformed(R, "unsupported mandatory extension")
  return Result.gen(function*() {
    const rawName = yield* expect(R, attributes, 0, "n")
    const nonce = yield* expect(R, attributes, 1, "r")
    yield* checkExtensions(R, attributes, 2, attributes.length)
    const username = unescapeSaslName(rawName)
    if (username === undefined) return yield* malformed(R, "invalid username encoding")
    if (!isPrintableNonce(nonce)) return yield* malformed(R, "invalid client nonce")
    return { gs2, gs2Header, bare, username, nonce }
  })
}

const isPrintableNonce = (nonce: string): boolean => /^[\x21-\x2b\x2d-\x7e]+$/.test(nonce)

/**
 * A parsed server-first-message.
 *
 * @since 0.1.0
 * @category models
 */
export interface ServerFirstMessage {
  readonly nonce: string
  readonly salt: Uint8Array
  /** `Infinity` when the number has more than 15 digits. */
  readonly iterations: number
}

/**
 * @since 0.1.0
 * @category formatting
 */
export const formatServerFirst = (nonce: string, salt: Uint8Array, iterations: number): string =>
  `r=${nonce},s=${base64Encode(salt)},i=${iterations}`

/**
 * Parses a server-first-message (client side): `r`, `s`, `i` in that order,
 * optional extensions after them, no mandatory extension.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseServerFirst = (text: string): Result.Result<ServerFirstMessage, AuthError> => {
  const R = "InvalidServerMessage"
  const attributes = splitAttributes(text)
  if (attributes === undefined) return malformed(R, "invalid attribute syntax")
  if (attributes[0]?.name === "m") return malformed(R, "unsupported mandatory extension")
  return Result.gen(function*() {
    const nonce = yield* expect(R, attributes, 0, "r")
    const saltText = yield* expect(R, attributes, 1, "s")
    const iterationText = yield* expect(R, attributes, 2, "i")
    yield* checkExtensions(R, attributes, 3, attributes.length)
    if (!isPrintableNonce(nonce)) return yield* malformed(R, "invalid server nonce")
    const salt = base64Decode(saltText)
    if (salt === undefined || salt.byteLength === 0) return yield* malformed(R, "invalid salt (not base64)")
    if (!/^[1-9][0-9]*$/.test(iterationText)) return yield* malformed(R, "invalid iteration count")
    const iterations = iterationText.length > 15 ? Number.POSITIVE_INFINITY : Number(iterationText)
    return { nonce, salt, iterations }
  })
}

/**
 * A parsed client-final-message.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientFinalMessage {
  /** Decoded `c=`: the GS2 header followed by the channel-binding data. */
  readonly channelBinding: Uint8Array
  readonly nonce: string
  readonly proof: Uint8Array
  /** client-final-message-without-proof, part of the AuthMessage. */
  readonly withoutProof: string
}

/**
 * client-final-message-without-proof for the given `c=` input.
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatClientFinalWithoutProof = (channelBinding: Uint8Array, nonce: string): string =>
  `c=${base64Encode(channelBinding)},r=${nonce}`

/**
 * @since 0.1.0
 * @category formatting
 */
export const formatClientFinal = (withoutProof: string, proof: Uint8Array): string =>
  `${withoutProof},p=${base64Encode(proof)}`

/**
 * Parses a client-final-message (server side): `c`, `r`, optional
 * extensions, and `p` last.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseClientFinal = (text: string): Result.Result<ClientFinalMessage, AuthError> => {
  const R = "InvalidClientMessage"
  const attributes = splitAttributes(text)
  if (attributes === undefined) return malformed(R, "invalid attribute syntax")
  return Result.gen(function*() {
    const bindingText = yield* expect(R, attributes, 0, "c")
    const nonce = yield* expect(R, attributes, 1, "r")
    const last = attributes.length - 1
    if (last < 2) return yield* malformed(R, "missing attribute 'p'")
    const proofText = yield* expect(R, attributes, last, "p")
    yield* checkExtensions(R, attributes, 2, last)
    const channelBinding = base64Decode(bindingText)
    if (channelBinding === undefined) return yield* malformed(R, "invalid channel-binding data (not base64)")
    const proof = base64Decode(proofText)
    if (proof === undefined || proof.byteLength !== KEY_LENGTH) return yield* malformed(R, "invalid client proof")
    const withoutProof = text.slice(0, text.length - proofText.length - 3)
    return { channelBinding, nonce, proof, withoutProof }
  })
}

/**
 * A parsed server-final-message: a verifier or an `e=` error.
 *
 * @since 0.1.0
 * @category models
 */
export type ServerFinalMessage =
  | { readonly _tag: "Verifier"; readonly signature: Uint8Array }
  | { readonly _tag: "Error"; readonly error: string }

/**
 * @since 0.1.0
 * @category formatting
 */
export const formatServerFinal = (signature: Uint8Array): string => `v=${base64Encode(signature)}`

/**
 * An `e=` server-final-message (RFC 5802 `server-error-value`, e.g.
 * `invalid-proof`). PostgreSQL sends an ErrorResponse instead; this exists
 * for servers that want the RFC form.
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatServerError = (error: string): string => `e=${error}`

/**
 * Parses a server-final-message (client side).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseServerFinal = (text: string): Result.Result<ServerFinalMessage, AuthError> => {
  const R = "InvalidServerMessage"
  const attributes = splitAttributes(text)
  if (attributes === undefined) return malformed(R, "invalid attribute syntax")
  const first = attributes[0]!
  if (first.name === "e") return Result.succeed({ _tag: "Error", error: first.value })
  return Result.gen(function*() {
    const signatureText = yield* expect(R, attributes, 0, "v")
    yield* checkExtensions(R, attributes, 1, attributes.length)
    const signature = base64Decode(signatureText)
    if (signature === undefined || signature.byteLength !== KEY_LENGTH) {
      return yield* malformed(R, "invalid server signature encoding")
    }
    return { _tag: "Verifier" as const, signature }
  })
}
