/**
 * What the PGlite engine needs to know about a statement before running it:
 * LISTEN and UNLISTEN (routed per session, not by the shared backend),
 * `COPY ... FROM STDIN` (its data must reach PGlite in one call), and which
 * command tags may change a statement's description or the session's
 * settings.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 * @category models
 */
export type StatementKind =
  | { readonly _tag: "Sql" }
  | { readonly _tag: "Listen"; readonly channel: string }
  | { readonly _tag: "Unlisten"; readonly channel: string | undefined }
  | {
    readonly _tag: "CopyIn"
    /** The table as written in the statement (quotes kept), for `::regclass`. */
    readonly table: string
    /** The number of columns listed, when the statement lists them. */
    readonly columns: number | undefined
    readonly format: "text" | "csv" | "binary"
  }

/** Leading blanks and comments, which do not change what a statement is. */
const leading = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/

const name = String.raw`(?:"(?:[^"]|"")+"|[^\s;"().,]+)`

const listenPattern = new RegExp(String.raw`^listen\s+(${name})\s*;?\s*$`, "i")
const unlistenPattern = new RegExp(String.raw`^unlisten\s+(\*|${name})\s*;?\s*$`, "i")
const copyInPattern = new RegExp(
  String.raw`^copy\s+(?:only\s+)?(${name}(?:\s*\.\s*${name})?)\s*(?:\(([^)]*)\))?\s*from\s+stdin\b([\s\S]*)$`,
  "i"
)

/**
 * An identifier as PostgreSQL folds it: quoted names keep their case,
 * others are lower-cased.
 *
 * @since 0.1.0
 * @category parsing
 */
export const foldIdentifier = (text: string): string =>
  text.startsWith("\"") ? text.slice(1, -1).replaceAll("\"\"", "\"") : text.toLowerCase()

const copyFormat = (options: string): "text" | "csv" | "binary" => {
  const format = /\bformat\s*(?:'|")?\s*(text|csv|binary)/i.exec(options)?.[1] ?? /\b(csv|binary)\b/i.exec(options)?.[1]
  const lower = format?.toLowerCase()
  return lower === "csv" || lower === "binary" ? lower : "text"
}

/**
 * What kind of statement `sql` is.
 *
 * @since 0.1.0
 * @category parsing
 */
export const classify = (sql: string): StatementKind => {
  const text = sql.replace(leading, "")
  const first = text.slice(0, 8).toLowerCase()
  if (first.startsWith("listen")) {
    const match = listenPattern.exec(text)
    if (match !== null) return { _tag: "Listen", channel: foldIdentifier(match[1]!) }
  } else if (first.startsWith("unlisten")) {
    const match = unlistenPattern.exec(text)
    if (match !== null) return { _tag: "Unlisten", channel: match[1] === "*" ? undefined : foldIdentifier(match[1]!) }
  } else if (first.startsWith("copy")) {
    const match = copyInPattern.exec(text)
    if (match !== null) {
      const list = match[2]
      return {
        _tag: "CopyIn",
        table: match[1]!,
        columns: list === undefined || list.trim() === "" ? undefined : list.split(",").length,
        format: copyFormat(match[3] ?? "")
      }
    }
  }
  return sqlKind
}

const sqlKind: StatementKind = { _tag: "Sql" }

/** Command words after which a statement's description cannot have changed. */
const keepsDescriptions = new Set([
  "SELECT",
  "INSERT",
  "UPDATE",
  "DELETE",
  "MERGE",
  "COPY",
  "FETCH",
  "MOVE",
  "BEGIN",
  "START",
  "COMMIT",
  "SHOW",
  "LISTEN",
  "UNLISTEN",
  "NOTIFY",
  "VACUUM",
  "ANALYZE",
  "SAVEPOINT",
  "RELEASE",
  "DECLARE",
  "CLOSE",
  "CHECKPOINT",
  "EXPLAIN",
  "DO",
  "CALL",
  "LOCK",
  "PREPARE",
  "EXECUTE",
  "DEALLOCATE"
])

/**
 * Whether a statement with this command tag may have changed what other
 * statements describe (DDL, a rollback that undid DDL, `SET search_path`).
 *
 * @since 0.1.0
 * @category parsing
 */
export const mayChangeDescriptions = (tag: string): boolean => {
  const space = tag.indexOf(" ")
  return !keepsDescriptions.has(space === -1 ? tag : tag.slice(0, space))
}

/**
 * Whether a statement may have changed the session's settings.
 *
 * @since 0.1.0
 * @category parsing
 */
export const mayChangeSettings = (tag: string, sql: string): boolean =>
  tag === "SET" || tag === "RESET" || tag.startsWith("DISCARD") || callsSetConfig.test(sql)

const callsSetConfig = /set_config/i

/**
 * Whether a statement only reads and leaves the settings alone: PGlite's
 * answer to it may go to the client as it is.
 *
 * @since 0.1.0
 * @category parsing
 */
export const onlyReadsKeepingSettings = (sql: string): boolean => onlyReads(sql) && !callsSetConfig.test(sql)

const readOnlyPattern = /^(?:select|values|show|table)\b/i
const writesPattern = /\b(?:into|nextval|setval|pg_advisory|lo_)/i

/**
 * Whether a statement only reads (SELECT, VALUES, SHOW, TABLE without
 * `INTO` or sequence and lock calls): undoing it after a cancel has
 * nothing to undo, so it may commit in the same call. Functions called by
 * a SELECT are taken to read only.
 *
 * @since 0.1.0
 */
export const onlyReads = (sql: string): boolean => {
  const text = sql.replace(leading, "")
  return readOnlyPattern.test(text) && !writesPattern.test(text)
}

