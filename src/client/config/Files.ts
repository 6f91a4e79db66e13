/**
 * The only module of the configuration that touches the operating system:
 * reading files (pgpass, service files, certificates), their mode and owner,
 * the process environment, the OS user and home directory.
 *
 * Everything else takes a `ConfigFiles` and an environment record, so it can
 * be given other ones; `nodeFiles` is the real file system.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as Effect from "effect/Effect"
import { ConfigError } from "./ConfigError.ts"
import type { Environment } from "./Env.ts"

/**
 * What `stat` reports about a path.
 *
 * @since 0.1.0
 * @category models
 */
export interface FileInfo {
  readonly isFile: boolean
  readonly isDirectory: boolean
  /** Permission bits (`mode & 0o7777`). */
  readonly mode: number
  readonly uid: number
}

/**
 * File access for the configuration.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConfigFiles {
  /** Undefined when the path does not exist (or cannot be examined). */
  readonly stat: (path: string) => Effect.Effect<FileInfo | undefined>
  /** A file's text (UTF-8); `key` names the option that named the file, for the error. */
  readonly readText: (path: string, key: string) => Effect.Effect<string, ConfigError>
  /** The names in a directory. */
  readonly list: (path: string, key: string) => Effect.Effect<ReadonlyArray<string>, ConfigError>
  /** The effective user id of this process, when the platform has one. */
  readonly uid: number | undefined
}

const messageOf = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/**
 * The real file system, through `node:fs`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const nodeFiles: ConfigFiles = {
  stat: (path) =>
    Effect.sync(() => {
      try {
        const stat = fs.statSync(path)
        return { isFile: stat.isFile(), isDirectory: stat.isDirectory(), mode: stat.mode & 0o7777, uid: stat.uid }
      } catch {
        return undefined
      }
    }),
  readText: (path, key) =>
    Effect.try({
      try: () => fs.readFileSync(path, "utf8"),
      catch: (cause) => new ConfigError({ message: `could not read file "${path}" (${key}): ${messageOf(cause)}`, key })
    }),
  list: (path, key) =>
    Effect.try({
      try: () => fs.readdirSync(path).sort(),
      catch: (cause) => new ConfigError({ message: `could not read directory "${path}" (${key}): ${messageOf(cause)}`, key })
    }),
  uid: process.getuid?.()
}

/**
 * This process's environment.
 *
 * @since 0.1.0
 * @category constructors
 */
export const processEnv = (): Environment => process.env

/**
 * The name of the user this process runs as (libpq's default user name), or
 * undefined when the system does not know it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const osUserName = (): string | undefined => {
  try {
    return os.userInfo().username
  } catch {
    return undefined
  }
}

/**
 * The home directory as libpq finds it: `HOME` when set and not empty, else
 * the password database's entry for this user.
 *
 * @since 0.1.0
 * @category constructors
 */
export const homeDirectory = (env: Environment): string | undefined => {
  const home = env.HOME
  if (home !== undefined && home !== "") return home
  try {
    return os.userInfo().homedir
  } catch {
    return undefined
  }
}
