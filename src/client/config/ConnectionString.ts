/**
 * libpq's two connection string forms, parsed as libpq parses them:
 *
 * - key word/value pairs: `host=db port=5432 application_name='my app'`.
 *   Whitespace separates pairs and may surround `=`; a value is either bare
 *   (ends at whitespace) or single-quoted; in both, a backslash takes the
 *   next character literally (`\'`, `\\`, `\ `). A later key word overrides an
 *   earlier one.
 * - URIs: `postgresql://user:secret@host1:5432,host2:5433/db?sslmode=require`
 *   (or `postgres://`). Every part may be percent-encoded (`%2Fvar%2Frun` for
 *   a socket directory; `+` is a plus sign, not a space); `[::1]` is an IPv6
 *   address; several `host:port` pairs are separated by commas; query
 *   parameters are key words and override the parts before them.
 *
 * Both give a `ConnInfo` (raw strings by key word). Nothing is interpreted
 * here; an unknown key word is an error naming it. Pure: no I/O, no Effect.
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import { ConfigError } from "./ConfigError.ts"
import { type ConnInfo, type Keyword, storeValue } from "./Keywords.ts"

type MutableConnInfo = { -readonly [K in Keyword]?: string }

const fail = (message: string, key?: string): Result.Result<never, ConfigError> =>
  Result.fail(new ConfigError(key === undefined ? { message } : { message, key }))

/** C's isspace() in the "C" locale. */
const isSpace = (c: string | undefined): boolean =>
  c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\v" || c === "\f"

const URI_PREFIXES = ["postgresql://", "postgres://"] as const

/**
 * The length of the URI prefix `text` starts with, or 0.
 *
 * @since 0.1.0
 * @category guards
 */
export const uriPrefixLength = (text: string): number => {
  for (const prefix of URI_PREFIXES) if (text.startsWith(prefix)) return prefix.length
  return 0
}

/**
 * Parses a connection string in either form (a URI when it starts with
 * `postgresql://` or `postgres://`).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseConnInfo = (text: string): Result.Result<ConnInfo, ConfigError> => {
  if (text.includes("\0")) return fail("the connection string contains a NUL character")
  return uriPrefixLength(text) > 0 ? parseUri(text) : parseKeyValue(text)
}

/**
 * Parses `key=value` pairs.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseKeyValue = (text: string): Result.Result<ConnInfo, ConfigError> => {
  const out: MutableConnInfo = {}
  const n = text.length
  let i = 0
  // A token right after a secret may be the rest of a secret with a space in it: never repeat it.
  let afterSecret = false
  const failAt = (message: string, name: string) =>
    afterSecret
      ? fail("syntax error after a password value in connection info string (quote values that contain spaces)")
      : fail(message, name)
  while (i < n) {
    if (isSpace(text[i])) {
      i++
      continue
    }
    // The key word ends at "=" or at whitespace (which may precede the "=").
    const nameStart = i
    let nameEnd = -1
    while (i < n && text[i] !== "=") {
      if (isSpace(text[i])) {
        nameEnd = i
        while (i < n && isSpace(text[i])) i++
        break
      }
      i++
    }
    const name = text.slice(nameStart, nameEnd === -1 ? i : nameEnd)
    if (text[i] !== "=") return failAt(`missing "=" after "${name}" in connection info string`, name)
    i++
    while (i < n && isSpace(text[i])) i++
    let value = ""
    if (text[i] !== "'") {
      while (i < n) {
        const c = text[i]!
        if (isSpace(c)) {
          i++
          break
        }
        if (c === "\\") {
          i++
          if (i < n) value += text[i++]
        } else {
          value += c
          i++
        }
      }
    } else {
      i++
      for (;;) {
        if (i >= n) return fail("unterminated quoted string in connection info string", name)
        const c = text[i]!
        if (c === "\\") {
          i++
          if (i < n) value += text[i++]
          continue
        }
        i++
        if (c === "'") break
        value += c
      }
    }
    const error = storeValue(out, name, value)
    if (error !== undefined) return failAt(error, name)
    afterSecret = name === "password" || name === "sslpassword"
  }
  return Result.succeed(out)
}

const utf8 = new TextDecoder("utf-8", { fatal: true })
const encoder = new TextEncoder()

const hexValue = (c: string | undefined): number => {
  if (c === undefined) return -1
  const code = c.charCodeAt(0)
  if (code >= 48 && code <= 57) return code - 48
  if (code >= 65 && code <= 70) return code - 55
  if (code >= 97 && code <= 102) return code - 87
  return -1
}

/**
 * Percent-decoding as libpq's `conninfo_uri_decode`: `%xx` with two hex
 * digits; `%00` is refused; the bytes must be UTF-8.
 *
 * @since 0.1.0
 * @category parsing
 */
export const percentDecode = (text: string): Result.Result<string, ConfigError> => {
  if (!text.includes("%")) return Result.succeed(text)
  const bytes: Array<number> = []
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (c !== "%") {
      const next = text.indexOf("%", i)
      const end = next === -1 ? text.length : next
      for (const b of encoder.encode(text.slice(i, end))) bytes.push(b)
      i = end
      continue
    }
    const hi = hexValue(text[i + 1])
    const lo = hexValue(text[i + 2])
    if (hi < 0 || lo < 0) return fail(`invalid percent-encoded token: "${text}"`)
    const byte = (hi << 4) | lo
    if (byte === 0) return fail(`forbidden value %00 in percent-encoded value: "${text}"`)
    bytes.push(byte)
    i += 3
  }
  try {
    return Result.succeed(utf8.decode(new Uint8Array(bytes)))
  } catch {
    return fail(`percent-encoded value is not valid UTF-8: "${text}"`)
  }
}

const storeDecoded = (out: MutableConnInfo, name: Keyword, raw: string): ConfigError | undefined => {
  const decoded = percentDecode(raw)
  if (Result.isFailure(decoded)) {
    // Never repeat a password in a message.
    const message = name === "password" ? "invalid percent-encoding in the password of the URI" : decoded.failure.message
    return new ConfigError({ message, key: name })
  }
  out[name] = decoded.success
  return undefined
}

/**
 * The URI with its password (if any) masked, for messages.
 *
 * @since 0.1.0
 * @category parsing
 */
export const redactUri = (text: string): string => {
  const prefix = uriPrefixLength(text)
  let at = prefix
  while (at < text.length && text[at] !== "@" && text[at] !== "/") at++
  if (text[at] !== "@") return text
  const colon = text.indexOf(":", prefix)
  if (colon === -1 || colon > at) return text
  return `${text.slice(0, colon + 1)}****${text.slice(at)}`
}

const isOneOf = (c: string | undefined, chars: string): boolean => c !== undefined && chars.includes(c)

/**
 * Parses a `postgresql://` or `postgres://` URI.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseUri = (text: string): Result.Result<ConnInfo, ConfigError> => {
  const prefix = uriPrefixLength(text)
  if (prefix === 0) return fail("a connection URI must start with postgresql:// or postgres://")
  const out: MutableConnInfo = {}
  const n = text.length
  const shown = redactUri(text)
  let p = prefix

  // user[:password]@ — only when an "@" comes before the first "/".
  let at = p
  while (at < n && text[at] !== "@" && text[at] !== "/") at++
  if (text[at] === "@") {
    let q = p
    while (text[q] !== ":" && text[q] !== "@") q++
    const user = text.slice(p, q)
    if (user !== "") {
      const error = storeDecoded(out, "user", user)
      if (error !== undefined) return Result.fail(error)
    }
    if (text[q] === ":") {
      const start = q + 1
      q = start
      while (text[q] !== "@") q++
      const password = text.slice(start, q)
      if (password !== "") {
        const error = storeDecoded(out, "password", password)
        if (error !== undefined) return Result.fail(error)
      }
    }
    p = q + 1
  }

  // host[:port][,host[:port]...]
  let hosts = ""
  let ports = ""
  let terminator = ""
  for (;;) {
    let host: string
    if (text[p] === "[") {
      const start = ++p
      while (p < n && text[p] !== "]") p++
      if (p >= n) return fail(`end of string reached when looking for matching "]" in IPv6 host address in URI: "${shown}"`, "host")
      if (p === start) return fail(`IPv6 host address may not be empty in URI: "${shown}"`, "host")
      host = text.slice(start, p)
      p++
      if (p < n && !isOneOf(text[p], ":/?,")) {
        return fail(`unexpected character "${text[p]}" at position ${p + 1} in URI (expected ":" or "/"): "${shown}"`, "host")
      }
    } else {
      const start = p
      while (p < n && !isOneOf(text[p], ":/?,")) p++
      host = text.slice(start, p)
    }
    terminator = p < n ? text[p]! : ""
    hosts += host
    if (terminator === ":") {
      const start = ++p
      while (p < n && !isOneOf(text[p], "/?,")) p++
      terminator = p < n ? text[p]! : ""
      ports += text.slice(start, p)
    }
    if (terminator !== ",") break
    p++
    hosts += ","
    ports += ","
  }
  if (hosts !== "") {
    const error = storeDecoded(out, "host", hosts)
    if (error !== undefined) return Result.fail(error)
  }
  if (ports !== "") {
    const error = storeDecoded(out, "port", ports)
    if (error !== undefined) return Result.fail(error)
  }

  // /dbname — an empty one is left unset, so PGDATABASE still applies.
  if (terminator === "/") {
    const start = ++p
    while (p < n && text[p] !== "?") p++
    terminator = p < n ? "?" : ""
    const dbname = text.slice(start, p)
    if (dbname !== "") {
      const error = storeDecoded(out, "dbname", dbname)
      if (error !== undefined) return Result.fail(error)
    }
  }

  if (terminator === "?") {
    const error = parseQuery(out, text.slice(p + 1))
    if (error !== undefined) return Result.fail(error)
  }
  return Result.succeed(out)
}

/** `key=value&key=value`: each side percent-decoded; `ssl=true` means `sslmode=require` (JDBC's spelling). */
const parseQuery = (out: MutableConnInfo, query: string): ConfigError | undefined => {
  let rest = query
  while (rest.length > 0) {
    let i = 0
    let equals = -1
    for (;;) {
      if (i < rest.length && rest[i] === "=") {
        if (equals !== -1) {
          const keyword = rest.slice(0, equals)
          return new ConfigError({ message: `extra key/value separator "=" in URI query parameter: "${keyword}"`, key: keyword })
        }
        equals = i++
      } else if (i >= rest.length || rest[i] === "&") {
        if (equals === -1) {
          const keyword = rest.slice(0, i)
          return new ConfigError({ message: `missing key/value separator "=" in URI query parameter: "${keyword}"`, key: keyword })
        }
        break
      } else {
        i++
      }
    }
    const rawKey = rest.slice(0, equals)
    const rawValue = rest.slice(equals + 1, i)
    rest = rest.slice(i + 1)
    const key = percentDecode(rawKey)
    if (Result.isFailure(key)) return key.failure
    const value = percentDecode(rawValue)
    if (Result.isFailure(value)) {
      const secret = key.success === "password" || key.success === "sslpassword"
      return new ConfigError({
        message: secret ? `invalid percent-encoding in URI query parameter "${key.success}"` : value.failure.message,
        key: key.success
      })
    }
    let name = key.success
    let decoded = value.success
    if (name === "ssl" && decoded === "true") {
      name = "sslmode"
      decoded = "require"
    }
    const error = storeValue(out, name, decoded)
    if (error !== undefined) {
      return new ConfigError({
        message: error.startsWith("invalid connection option") ? `invalid URI query parameter: "${name}"` : error,
        key: name
      })
    }
  }
  return undefined
}
