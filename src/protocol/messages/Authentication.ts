/**
 * The backend's Authentication ('R') requests and the frontend's
 * password-family ('p') answers.
 *
 * Every 'p' message shares one type byte and none says which it is, so the
 * frontend parser decodes 'p' to a `PasswordMessageFamily` holding the raw
 * body, and the auth step that knows what it asked for refines it with
 * `refinePasswordMessage` (as pgx's `SetAuthType` and pgwire's
 * `PasswordMessageFamily` do).
 *
 * @since 0.1.0
 */
import { AuthenticationCode, BackendType, FrontendType } from "../MessageType.ts"
import { fail } from "../ProtocolError.ts"
import type { Reader } from "../Reader.ts"
import type { Writer } from "../Writer.ts"

/** @since 0.1.0 @category models */
export interface AuthenticationOk {
  readonly _tag: "AuthenticationOk"
}
/** @since 0.1.0 @category models */
export interface AuthenticationKerberosV5 {
  readonly _tag: "AuthenticationKerberosV5"
}
/** @since 0.1.0 @category models */
export interface AuthenticationCleartextPassword {
  readonly _tag: "AuthenticationCleartextPassword"
}
/** @since 0.1.0 @category models */
export interface AuthenticationMD5Password {
  readonly _tag: "AuthenticationMD5Password"
  /** Four bytes of salt. */
  readonly salt: Uint8Array
}
/** @since 0.1.0 @category models */
export interface AuthenticationGSS {
  readonly _tag: "AuthenticationGSS"
}
/** @since 0.1.0 @category models */
export interface AuthenticationGSSContinue {
  readonly _tag: "AuthenticationGSSContinue"
  readonly data: Uint8Array
}
/** @since 0.1.0 @category models */
export interface AuthenticationSSPI {
  readonly _tag: "AuthenticationSSPI"
}
/** @since 0.1.0 @category models */
export interface AuthenticationSASL {
  readonly _tag: "AuthenticationSASL"
  /** The SASL mechanisms the server offers, in its order of preference. */
  readonly mechanisms: ReadonlyArray<string>
}
/** @since 0.1.0 @category models */
export interface AuthenticationSASLContinue {
  readonly _tag: "AuthenticationSASLContinue"
  readonly data: Uint8Array
}
/** @since 0.1.0 @category models */
export interface AuthenticationSASLFinal {
  readonly _tag: "AuthenticationSASLFinal"
  readonly data: Uint8Array
}

/**
 * Every message the backend sends with type byte 'R'.
 *
 * @since 0.1.0
 * @category models
 */
export type Authentication =
  | AuthenticationOk
  | AuthenticationKerberosV5
  | AuthenticationCleartextPassword
  | AuthenticationMD5Password
  | AuthenticationGSS
  | AuthenticationGSSContinue
  | AuthenticationSSPI
  | AuthenticationSASL
  | AuthenticationSASLContinue
  | AuthenticationSASLFinal

/** @since 0.1.0 @category constructors */
export const AuthenticationOk: AuthenticationOk = Object.freeze({ _tag: "AuthenticationOk" })
/** @since 0.1.0 @category constructors */
export const AuthenticationKerberosV5: AuthenticationKerberosV5 = Object.freeze({ _tag: "AuthenticationKerberosV5" })
/** @since 0.1.0 @category constructors */
export const AuthenticationCleartextPassword: AuthenticationCleartextPassword = Object.freeze({
  _tag: "AuthenticationCleartextPassword"
})
/** @since 0.1.0 @category constructors */
export const AuthenticationGSS: AuthenticationGSS = Object.freeze({ _tag: "AuthenticationGSS" })
/** @since 0.1.0 @category constructors */
export const AuthenticationSSPI: AuthenticationSSPI = Object.freeze({ _tag: "AuthenticationSSPI" })

/** @internal */
export const encodeAuthentication = (w: Writer, m: Authentication): void => {
  const at = w.begin(BackendType.Authentication)
  switch (m._tag) {
    case "AuthenticationOk":
      w.i32(AuthenticationCode.Ok)
      break
    case "AuthenticationKerberosV5":
      w.i32(AuthenticationCode.KerberosV5)
      break
    case "AuthenticationCleartextPassword":
      w.i32(AuthenticationCode.CleartextPassword)
      break
    case "AuthenticationMD5Password":
      if (m.salt.length !== 4) fail("EncodeFailed", `AuthenticationMD5Password: salt must be 4 bytes, got ${m.salt.length}`)
      w.i32(AuthenticationCode.MD5Password)
      w.bytes(m.salt)
      break
    case "AuthenticationGSS":
      w.i32(AuthenticationCode.GSS)
      break
    case "AuthenticationGSSContinue":
      w.i32(AuthenticationCode.GSSContinue)
      w.bytes(m.data)
      break
    case "AuthenticationSSPI":
      w.i32(AuthenticationCode.SSPI)
      break
    case "AuthenticationSASL":
      w.i32(AuthenticationCode.SASL)
      for (const mechanism of m.mechanisms) {
        if (mechanism.length === 0) fail("EncodeFailed", "AuthenticationSASL: an empty mechanism name would end the list")
        w.cstring(mechanism, "SASL mechanism")
      }
      w.u8(0)
      break
    case "AuthenticationSASLContinue":
      w.i32(AuthenticationCode.SASLContinue)
      w.bytes(m.data)
      break
    case "AuthenticationSASLFinal":
      w.i32(AuthenticationCode.SASLFinal)
      w.bytes(m.data)
      break
  }
  w.end(at)
}

/** @internal */
export const decodeAuthentication = (r: Reader): Authentication => {
  const code = r.i32("authentication code")
  switch (code) {
    case AuthenticationCode.Ok:
      return AuthenticationOk
    case AuthenticationCode.KerberosV5:
      return AuthenticationKerberosV5
    case AuthenticationCode.CleartextPassword:
      return AuthenticationCleartextPassword
    case AuthenticationCode.MD5Password:
      return { _tag: "AuthenticationMD5Password", salt: r.take(4, "MD5 salt") }
    case AuthenticationCode.GSS:
      return AuthenticationGSS
    case AuthenticationCode.GSSContinue:
      return { _tag: "AuthenticationGSSContinue", data: r.rest() }
    case AuthenticationCode.SSPI:
      return AuthenticationSSPI
    case AuthenticationCode.SASL: {
      const mechanisms: Array<string> = []
      for (;;) {
        const mechanism = r.cstring("SASL mechanism")
        if (mechanism.length === 0) break
        mechanisms.push(mechanism)
      }
      return { _tag: "AuthenticationSASL", mechanisms }
    }
    case AuthenticationCode.SASLContinue:
      return { _tag: "AuthenticationSASLContinue", data: r.rest() }
    case AuthenticationCode.SASLFinal:
      return { _tag: "AuthenticationSASLFinal", data: r.rest() }
  }
  return fail("InvalidValue", `Authentication: unknown request code ${code}`)
}

// ---------------------------------------------------------------------------
// Frontend: the password family ('p')

/**
 * A cleartext or MD5-hashed password (`md5` + 32 hex digits).
 *
 * @since 0.1.0
 * @category models
 */
export interface PasswordMessage {
  readonly _tag: "PasswordMessage"
  readonly password: string
}

/**
 * The first SASL message: the chosen mechanism and the client-first data
 * (`null` when the mechanism sends no initial response).
 *
 * @since 0.1.0
 * @category models
 */
export interface SASLInitialResponse {
  readonly _tag: "SASLInitialResponse"
  readonly mechanism: string
  readonly data: Uint8Array | null
}

/** @since 0.1.0 @category models */
export interface SASLResponse {
  readonly _tag: "SASLResponse"
  readonly data: Uint8Array
}

/** @since 0.1.0 @category models */
export interface GSSResponse {
  readonly _tag: "GSSResponse"
  readonly data: Uint8Array
}

/**
 * A 'p' message as it comes off the wire, before the auth step says which
 * member of the family it expects.
 *
 * @since 0.1.0
 * @category models
 */
export interface PasswordMessageFamily {
  readonly _tag: "PasswordMessageFamily"
  readonly data: Uint8Array
}

/** @internal */
export const encodePasswordMessage = (w: Writer, m: PasswordMessage): void => {
  const at = w.begin(FrontendType.PasswordMessageFamily)
  w.cstring(m.password, "password")
  w.end(at)
}

/** @internal */
export const encodeSASLInitialResponse = (w: Writer, m: SASLInitialResponse): void => {
  const at = w.begin(FrontendType.PasswordMessageFamily)
  w.cstring(m.mechanism, "SASL mechanism")
  w.nullableBytes(m.data)
  w.end(at)
}

/** @internal */
export const encodeRawPasswordFamily = (w: Writer, m: SASLResponse | GSSResponse | PasswordMessageFamily): void => {
  const at = w.begin(FrontendType.PasswordMessageFamily)
  w.bytes(m.data)
  w.end(at)
}

/** @internal */
export const decodePasswordMessageFamily = (r: Reader): PasswordMessageFamily => ({
  _tag: "PasswordMessageFamily",
  data: r.rest()
})

/**
 * Which member of the password family the auth step expects.
 *
 * @since 0.1.0
 * @category models
 */
export type PasswordMessageKind = "PasswordMessage" | "SASLInitialResponse" | "SASLResponse" | "GSSResponse"

/** @internal */
export const decodePasswordAs = (
  r: Reader,
  kind: PasswordMessageKind
): PasswordMessage | SASLInitialResponse | SASLResponse | GSSResponse => {
  switch (kind) {
    case "PasswordMessage": {
      const password = r.cstring("password")
      return { _tag: "PasswordMessage", password }
    }
    case "SASLInitialResponse": {
      const mechanism = r.cstring("SASL mechanism")
      const data = r.nullableBytes("SASL initial response")
      return { _tag: "SASLInitialResponse", mechanism, data }
    }
    case "SASLResponse":
      return { _tag: "SASLResponse", data: r.rest() }
    case "GSSResponse":
      return { _tag: "GSSResponse", data: r.rest() }
  }
}
