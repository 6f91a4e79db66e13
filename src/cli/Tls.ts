/**
 * The `--tls-cert` and `--tls-key` files of the commands: read and checked
 * up front, so a missing file or a key that does not match its certificate
 * is an error naming the file, not a failure on the first TLS client.
 *
 * @since 0.1.0
 */
import * as Crypto from "node:crypto"
import * as Fs from "node:fs/promises"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type * as CliError from "effect/cli/CliError"
import type { ServerTlsOptions } from "../transport/index.ts"
import { failure, messageOf } from "./Failure.ts"

/**
 * @since 0.1.0
 * @category models
 */
export interface TlsFiles {
  readonly certFile: string
  readonly keyFile: string
}

const readText = (file: string, what: string) =>
  Effect.tryPromise({
    try: () => Fs.readFile(file, "utf8"),
    catch: (error) => failure(`cannot read the TLS ${what} ${file}: ${messageOf(error)}`, error)
  })

/**
 * The server's TLS options from the files.
 *
 * @since 0.1.0
 * @category constructors
 */
export const readTls = (files: TlsFiles): Effect.Effect<ServerTlsOptions, CliError.UserError> =>
  Effect.gen(function*() {
    const certificate = yield* readText(files.certFile, "certificate")
    const key = yield* readText(files.keyFile, "key")
    yield* Effect.try({
      try: () => {
        const cert = new Crypto.X509Certificate(certificate)
        if (!cert.checkPrivateKey(Crypto.createPrivateKey(key))) throw new Error("the key does not belong to the certificate")
      },
      catch: (error) => failure(`unusable TLS certificate ${files.certFile} or key ${files.keyFile}: ${messageOf(error)}`, error)
    })
    return { certificate, key: Redacted.make(key) }
  })
