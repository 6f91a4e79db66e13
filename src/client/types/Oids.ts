/**
 * The OIDs of PostgreSQL's built-in types that the client has codecs for,
 * their array types, and the names (with SQL's aliases) a caller may use
 * to state a parameter's type. These OIDs are fixed in every PostgreSQL
 * since the version that introduced each type; types created by users or
 * extensions have OIDs that differ per database and are looked up in
 * `pg_type` instead (see `Catalog.ts`).
 *
 * @since 0.1.0
 */

import { ArrayOid as BuiltinArrayOid, Oid } from "../../protocol/Oid.ts"

export { Oid }

/**
 * The array type of each built-in type that has one (`int4` → `_int4`,
 * 1007), indexable by any built-in type name.
 *
 * @since 0.1.0
 * @category constants
 */
export const ArrayOid: { readonly [K in keyof typeof Oid]?: number } = BuiltinArrayOid

/** SQL's other spellings of built-in type names. */
const aliases: Readonly<Record<string, keyof typeof Oid>> = {
  boolean: "bool",
  smallint: "int2",
  integer: "int4",
  int: "int4",
  bigint: "int8",
  real: "float4",
  "double precision": "float8",
  decimal: "numeric",
  character: "bpchar",
  "character varying": "varchar",
  "timestamp without time zone": "timestamp",
  "timestamp with time zone": "timestamptz",
  "time without time zone": "time",
  "time with time zone": "timetz",
  "bit varying": "varbit",
  '"char"': "char"
}

const byName = new Map<string, number>()
for (const [name, oid] of Object.entries(Oid)) {
  byName.set(name, oid)
  byName.set(`pg_catalog.${name}`, oid)
  const array = ArrayOid[name as keyof typeof Oid]
  if (array !== undefined) {
    byName.set(`${name}[]`, array)
    byName.set(`_${name}`, array)
    byName.set(`pg_catalog._${name}`, array)
  }
}
for (const [alias, name] of Object.entries(aliases)) {
  byName.set(alias, Oid[name])
  const array = ArrayOid[name]
  if (array !== undefined) byName.set(`${alias}[]`, array)
}
// In SQL, plain `char` is character(1) (bpchar); the one-byte type is `"char"`.
byName.set("char", Oid.bpchar)
byName.set("char[]", ArrayOid.bpchar!)

/**
 * The OID of a built-in type named as in SQL (`"int8"`, `"bigint"`,
 * `"int4[]"`, `"_int4"`, `"timestamp with time zone"`); `undefined` for
 * anything else (a user type is resolved through the catalog). Case and
 * surrounding spaces do not matter; multidimensional suffixes (`int4[][]`)
 * name the same array type and type modifiers (`varchar(10)`,
 * `numeric(10,2)`) are ignored, as in PostgreSQL's parameter types.
 *
 * @since 0.1.0
 * @category constructors
 */
export const builtinOid = (name: string): number | undefined => {
  const normalized = name
    .trim()
    .toLowerCase()
    .replace(/\s+/g, " ")
    .replace(/\s*\(\s*\d+\s*(,\s*-?\d+\s*)?\)/g, "")
    .replace(/(\s*\[\s*\d*\s*\])+$/, "[]")
  return byName.get(normalized)
}

/**
 * The element OID of each built-in array type, and the array OID of each element.
 *
 * @internal
 */
export const elementOf = new Map<number, number>()
/** @internal */
export const arrayOf = new Map<number, number>()
for (const [name, array] of Object.entries(ArrayOid)) {
  const element = Oid[name as keyof typeof Oid]
  elementOf.set(array, element)
  arrayOf.set(element, array)
}
