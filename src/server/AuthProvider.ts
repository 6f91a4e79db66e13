/**
 * The authentication policy of a server, as a service: which method a
 * connecting client must pass (PostgreSQL's `pg_hba.conf` decision), and the
 * stored secret of each user (its `pg_authid.rolpassword`).
 *
 * Methods: trust, cleartext password, MD5, SCRAM-SHA-256 (with
 * SCRAM-SHA-256-PLUS offered over TLS), client certificate (the common name
 * must be the user, or a mapping must allow it), reject, or a custom
 * conversation. Secrets are looked up per user on every attempt; nothing
 * of an exchange is kept outside its session.
 *
 * What it is not: the exchange itself (see `Authentication.ts`, built on
 * `src/auth`), nor user management.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import type { AuthError } from "../auth/AuthError.ts"
import * as ScramVerifier from "../auth/ScramVerifier.ts"
import * as StoredPassword from "../auth/StoredPassword.ts"
import type {
  Authentication,
  GSSResponse,
  PasswordMessage,
  PasswordMessageKind,
  SASLInitialResponse,
  SASLResponse
} from "../protocol/index.ts"
import type { ServerTlsInfo } from "../transport/Listen.ts"
import type { PgError } from "./PgError.ts"

/**
 * How a session was asked to replicate (the `replication` startup parameter).
 *
 * @since 0.1.0
 * @category models
 */
export type Replication = "off" | "physical" | "database"

/**
 * What is known of a client when its method is chosen.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientIdentity {
  readonly user: string
  readonly database: string
  readonly applicationName: string
  readonly replication: Replication
  readonly kind: "tcp" | "unix"
  /** The peer's IP address, or the socket path. */
  readonly remoteAddress: string
  readonly tls: ServerTlsInfo | undefined
  /** Every startup parameter as sent. */
  readonly parameters: Readonly<Record<string, string>>
}

/**
 * One step of an authentication exchange: send a request and wait for the
 * client's answer of kind `expect`, or finish (with a last message such as
 * AuthenticationSASLFinal, sent before AuthenticationOk).
 *
 * @since 0.1.0
 * @category models
 */
export type AuthStep =
  | { readonly _tag: "Send"; readonly message: Authentication; readonly expect: PasswordMessageKind }
  | { readonly _tag: "Done"; readonly final?: Authentication | undefined }

/**
 * An exchange of one session: `start`, then `receive` for each answer. Fail
 * with a FATAL `PgError` (28P01 or 28000) to refuse the client.
 *
 * @since 0.1.0
 * @category models
 */
export interface AuthConversation {
  readonly start: Effect.Effect<AuthStep, PgError>
  readonly receive: (
    response: PasswordMessage | SASLInitialResponse | SASLResponse | GSSResponse
  ) => Effect.Effect<AuthStep, PgError>
}

/**
 * @since 0.1.0
 * @category models
 */
export type AuthMethod =
  | { readonly _tag: "Trust" }
  | { readonly _tag: "Password" }
  | { readonly _tag: "Md5" }
  | { readonly _tag: "ScramSha256" }
  | {
    readonly _tag: "Certificate"
    /** Whether the certificate's common name may log in as `user`; default: they must be equal. */
    readonly map?: ((commonName: string, user: string) => boolean) | undefined
  }
  | { readonly _tag: "Reject"; readonly message?: string | undefined }
  | { readonly _tag: "Custom"; readonly conversation: AuthConversation }

/**
 * Constructors of `AuthMethod`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const AuthMethod = {
  trust: { _tag: "Trust" } as AuthMethod,
  password: { _tag: "Password" } as AuthMethod,
  md5: { _tag: "Md5" } as AuthMethod,
  scramSha256: { _tag: "ScramSha256" } as AuthMethod,
  certificate: (map?: (commonName: string, user: string) => boolean): AuthMethod => ({ _tag: "Certificate", map }),
  reject: (message?: string): AuthMethod => ({ _tag: "Reject", message }),
  custom: (conversation: AuthConversation): AuthMethod => ({ _tag: "Custom", conversation })
} as const

/**
 * @since 0.1.0
 * @category models
 */
export interface AuthProviderShape {
  /** The method this client must pass. Called once per connection. */
  readonly method: (client: ClientIdentity) => Effect.Effect<AuthMethod, PgError>
  /**
   * The stored secret of a user (a plain password, an MD5 hash or a SCRAM
   * verifier), or `undefined` for a user that does not exist. An unknown
   * user goes through the same exchange and fails with the same error as a
   * wrong password.
   */
  readonly lookup: (user: string) => Effect.Effect<StoredPassword.StoredPassword | undefined, PgError>
}

/**
 * The method names `AuthProvider.passwords` takes, as in `pg_hba.conf`.
 *
 * @since 0.1.0
 * @category models
 */
export type PasswordMethodName = "password" | "md5" | "scram-sha-256"

const methodOfName = (name: PasswordMethodName): AuthMethod =>
  name === "password" ? AuthMethod.password : name === "md5" ? AuthMethod.md5 : AuthMethod.scramSha256

/**
 * @since 0.1.0
 * @category services
 */
export class AuthProvider extends Context.Service<AuthProvider, AuthProviderShape>()("effect-pgwire/server/AuthProvider") {
  /** Everyone is let in without a password (the default when no provider is given). */
  static readonly trust: AuthProviderShape = {
    method: () => Effect.succeed(AuthMethod.trust),
    lookup: () => Effect.succeed(undefined)
  }

  static readonly layerTrust: Layer.Layer<AuthProvider> = Layer.succeed(AuthProvider)(AuthProvider.trust)

  /** A provider from a method choice and a lookup. */
  static readonly make = (options: {
    readonly method: AuthMethod | ((client: ClientIdentity) => Effect.Effect<AuthMethod, PgError>)
    readonly lookup?: ((user: string) => Effect.Effect<StoredPassword.StoredPassword | undefined, PgError>) | undefined
  }): AuthProviderShape => {
    const method = options.method
    return {
      method: typeof method === "function" ? method : () => Effect.succeed(method),
      lookup: options.lookup ?? (() => Effect.succeed(undefined))
    }
  }

  static readonly layer = (options: Parameters<typeof AuthProvider.make>[0]): Layer.Layer<AuthProvider> =>
    Layer.succeed(AuthProvider)(AuthProvider.make(options))

  /**
   * One password method for everyone, with a fixed table of users. Each
   * secret is a plain password or stored text (`md5...`,
   * `SCRAM-SHA-256$...`). With `scram-sha-256`, plain passwords are turned
   * into verifiers once, here (PBKDF2 off the event loop).
   */
  static readonly passwords = (options: {
    readonly method: PasswordMethodName
    readonly users: Readonly<Record<string, string | Redacted.Redacted<string>>>
    /** Users not in the table are refused with the wrong-password error; this allows other methods per client. */
    readonly methodFor?: ((client: ClientIdentity) => AuthMethod | undefined) | undefined
  }): Effect.Effect<AuthProviderShape, AuthError> =>
    Effect.gen(function*() {
      const table = new Map<string, StoredPassword.StoredPassword>()
      for (const user of Object.keys(options.users)) {
        let stored = yield* Effect.fromResult(StoredPassword.parse(options.users[user]!))
        if (options.method === "scram-sha-256" && stored._tag === "PlainPassword") {
          stored = yield* ScramVerifier.make(stored.password)
        }
        table.set(user, stored)
      }
      const fallback = methodOfName(options.method)
      const methodFor = options.methodFor
      return {
        method: (client) => Effect.succeed(methodFor?.(client) ?? fallback),
        lookup: (user) => Effect.succeed(table.get(user))
      }
    })

  static readonly layerPasswords = (options: Parameters<typeof AuthProvider.passwords>[0]): Layer.Layer<AuthProvider, AuthError> =>
    Layer.effect(AuthProvider)(AuthProvider.passwords(options))
}

/**
 * Parses stored password text for a `lookup` (`StoredPassword.parse`, with
 * an invalid verifier counted as no secret rather than an error).
 *
 * @since 0.1.0
 * @category constructors
 */
export const storedPassword = (text: string | Redacted.Redacted<string>): StoredPassword.StoredPassword | undefined => {
  const parsed = StoredPassword.parse(text)
  return Result.isSuccess(parsed) ? parsed.success : undefined
}
