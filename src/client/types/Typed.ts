/**
 * Stating a parameter's type, and the types the client may state on its
 * own. `typed(value, type)` wraps a parameter with a type (an OID or a name
 * such as `"int8"`, `"int4[]"`, `"jsonb"`, `"public.mood"`); the connection
 * puts that OID in Parse, so the server plans the statement for it, and the
 * registry encodes the value for it. `inferOid` gives the OID for a bare
 * JavaScript value only where no other reading is possible, and 0 (the
 * server infers from the SQL) otherwise.
 *
 * @since 0.1.0
 */
import { PgArray } from "./Array.ts"
import { PgInterval } from "./Interval.ts"
import { ArrayOid, builtinOid, Oid } from "./Oids.ts"
import { PgDate } from "./Temporal.ts"

/**
 * A parameter value with the type it is meant as.
 *
 * @since 0.1.0
 * @category models
 */
export class Typed<A = unknown> {
  readonly value: A
  /** An OID, or a type name as SQL spells it. */
  readonly type: number | string

  private constructor(value: A, type: number | string) {
    this.value = value
    this.type = type
  }

  /** @internal */
  static make<A>(value: A, type: number | string): Typed<A> {
    return new Typed(value, type)
  }
}

/**
 * A parameter stated to be of `type`: an OID, or a type name (`"int8"`,
 * `"bigint"`, `"int4[]"`, `"timestamptz"`, `"jsonb"`, or a user type such
 * as `"mood"` or `"public.mood"`, looked up in the catalog). A value that
 * does not fit the type fails the query with a ParameterError; nothing is
 * converted by guessing.
 *
 * @since 0.1.0
 * @category constructors
 */
export const typed = <A>(value: A, type: number | string): Typed<A> => Typed.make(value, type)

/**
 * Whether a value is a `typed(...)` parameter.
 *
 * @since 0.1.0
 * @category guards
 */
export const isTyped = (value: unknown): value is Typed => value instanceof Typed

/** The OID of a JavaScript value that can only mean one type, or 0. */
const scalarOid = (value: unknown): number => {
  switch (typeof value) {
    case "bigint":
      // Past int8's range the caller means numeric; let the server say so.
      return value >= -9223372036854775808n && value <= 9223372036854775807n ? Oid.int8 : 0
    case "boolean":
      return Oid.bool
    case "object":
      if (value instanceof Uint8Array) return Oid.bytea
      if (value instanceof PgDate) return Oid.date
      if (value instanceof PgInterval) return Oid.interval
      return 0
    default:
      return 0
  }
}

/** The leaves of a nested array parameter. */
const leaves = (value: ReadonlyArray<unknown>, out: Array<unknown>): void => {
  for (const item of value) {
    if (Array.isArray(item)) leaves(item, out)
    else if (item !== null && item !== undefined) out.push(item)
  }
}

/**
 * The type OID to state in Parse for a parameter value:
 *
 * - `typed(value, type)`: its type, when that is an OID or a built-in name
 *   (a user type's name needs the registry: `TypeRegistry.parameterOid`);
 * - bigint → int8, boolean → bool, Uint8Array → bytea, PgDate → date,
 *   PgInterval → interval, and arrays whose elements are all one of these
 *   → that array type;
 * - 0 for everything else, so the server infers the type from the SQL:
 *   numbers (int4? float8? numeric?), strings (text or any type's input
 *   syntax), Dates and PgTimestamps (timestamp or timestamptz?), objects
 *   (json, jsonb or a composite?), null, empty arrays.
 *
 * @since 0.1.0
 * @category encoding
 */
export const inferOid = (value: unknown): number => {
  if (value instanceof Typed) return typeof value.type === "number" ? value.type : builtinOid(value.type) ?? 0
  const values = value instanceof PgArray ? value.values : Array.isArray(value) ? value : undefined
  if (values === undefined) return scalarOid(value)
  const items: Array<unknown> = []
  leaves(values, items)
  if (items.length === 0) return 0
  const element = scalarOid(items[0])
  if (element === 0 || !items.every((item) => scalarOid(item) === element)) return 0
  const name = Object.entries(Oid).find(([, oid]) => oid === element)?.[0] as keyof typeof Oid | undefined
  return name === undefined ? 0 : ArrayOid[name] ?? 0
}
