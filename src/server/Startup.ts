/**
 * Reading a StartupMessage as PostgreSQL's backend does: the protocol
 * version to speak (3.0 or 3.2; a newer minor version is answered with
 * NegotiateProtocolVersion), the `_pq_.` options it does not know (all of
 * them, named in the same message), the required `user`, `database`
 * (default: the user), `replication`, and `options` (`-c name=value` and
 * `--name=value`, with backslash escapes) applied as settings together with
 * every other parameter.
 *
 * What it is not: authentication, or the checks that depend on the server's
 * state (connection limit, TLS required).
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import {
  makeProtocolVersion,
  type NegotiateProtocolVersion,
  protocolMinor,
  protocolOptionPrefix,
  type StartupMessage
} from "../protocol/index.ts"
import { SqlState } from "../protocol/SqlState.ts"
import type { Replication } from "./AuthProvider.ts"
import { fatal, type PgError } from "./PgError.ts"

/** The newest minor version of protocol 3 spoken here. */
const latestMinor = 2

/**
 * @since 0.1.0
 * @category models
 */
export interface StartupRequest {
  /** The version the session speaks: the requested one, at most 3.2. */
  readonly protocolVersion: number
  /** To send before authentication, when the client asked for more than is spoken. */
  readonly negotiate: NegotiateProtocolVersion | undefined
  readonly user: string
  readonly database: string
  readonly applicationName: string
  readonly replication: Replication
  /** Settings from the parameters and from `options`, in order (later wins). */
  readonly settings: ReadonlyArray<readonly [name: string, value: string]>
  readonly parameters: Readonly<Record<string, string>>
}

const replicationOf = (value: string | undefined): Replication | undefined => {
  if (value === undefined) return "off"
  switch (value.toLowerCase()) {
    case "true":
    case "on":
    case "yes":
    case "1":
      return "physical"
    case "database":
      return "database"
    case "false":
    case "off":
    case "no":
    case "0":
      return "off"
  }
  return undefined
}

/** Splits `options` at unescaped whitespace; a backslash keeps the next character. */
const splitOptions = (options: string): Array<string> => {
  const out: Array<string> = []
  let current = ""
  let started = false
  for (let i = 0; i < options.length; i++) {
    const c = options[i]!
    if (c === "\\" && i + 1 < options.length) {
      current += options[++i]!
      started = true
    } else if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      if (started) out.push(current)
      current = ""
      started = false
    } else {
      current += c
      started = true
    }
  }
  if (started) out.push(current)
  return out
}

/** `name=value` of one `-c` or `--` argument. */
const setting = (text: string, dashes: boolean): readonly [string, string] | undefined => {
  const eq = text.indexOf("=")
  if (eq <= 0) return undefined
  const name = text.slice(0, eq)
  return [dashes ? name.replaceAll("-", "_") : name, text.slice(eq + 1)]
}

/**
 * Parses the `options` startup parameter.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseOptions = (options: string): Result.Result<Array<readonly [string, string]>, PgError> => {
  const args = splitOptions(options)
  const out: Array<readonly [string, string]> = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    let parsed: readonly [string, string] | undefined
    if (arg === "-c" && i + 1 < args.length) parsed = setting(args[++i]!, false)
    else if (arg.startsWith("-c")) parsed = setting(arg.slice(2), false)
    else if (arg.startsWith("--")) parsed = setting(arg.slice(2), true)
    if (parsed === undefined) {
      return Result.fail(fatal(SqlState.syntaxError, `invalid command-line argument for server process: ${arg}`))
    }
    out.push(parsed)
  }
  return Result.succeed(out)
}

/** Parameters with a meaning of their own, not settings. */
const special = new Set(["user", "database", "options", "replication"])

/**
 * Reads a StartupMessage.
 *
 * @since 0.1.0
 * @category parsing
 */
export const readStartupMessage = (message: StartupMessage): Result.Result<StartupRequest, PgError> => {
  const parameters = message.parameters
  const requestedMinor = protocolMinor(message.protocolVersion)
  const minor = Math.min(requestedMinor, latestMinor)
  const names = Object.keys(parameters)
  const unrecognizedOptions = names.filter((name) => name.startsWith(protocolOptionPrefix))
  const negotiate: NegotiateProtocolVersion | undefined = requestedMinor > latestMinor || unrecognizedOptions.length > 0
    ? { _tag: "NegotiateProtocolVersion", protocolVersion: makeProtocolVersion(3, minor), unrecognizedOptions }
    : undefined

  const user = parameters["user"]
  if (user === undefined || user === "") {
    return Result.fail(fatal(SqlState.invalidAuthorizationSpecification, "no PostgreSQL user name specified in startup packet"))
  }
  const replication = replicationOf(parameters["replication"])
  if (replication === undefined) {
    return Result.fail(
      fatal(SqlState.invalidParameterValue, `invalid value for parameter "replication": "${parameters["replication"]}"`)
    )
  }
  const settings: Array<readonly [string, string]> = []
  for (const name of names) {
    if (special.has(name) || name.startsWith(protocolOptionPrefix)) continue
    settings.push([name, parameters[name]!])
  }
  const options = parameters["options"]
  if (options !== undefined) {
    const parsed = parseOptions(options)
    if (Result.isFailure(parsed)) return Result.fail(parsed.failure)
    settings.push(...parsed.success)
  }
  const database = parameters["database"] === undefined || parameters["database"] === "" ? user : parameters["database"]
  let applicationName = ""
  for (const [name, value] of settings) if (name.toLowerCase() === "application_name") applicationName = value
  return Result.succeed({
    protocolVersion: makeProtocolVersion(3, minor),
    negotiate,
    user,
    database,
    applicationName,
    replication,
    settings,
    parameters
  })
}
