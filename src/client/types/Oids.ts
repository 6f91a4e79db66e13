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

/**
 * OIDs of built-in types.
 *
 * @since 0.1.0
 * @category constants
 */
export const Oid = {
  bool: 16,
  bytea: 17,
  char: 18,
  name: 19,
  int8: 20,
  int2: 21,
  int2vector: 22,
  int4: 23,
  regproc: 24,
  text: 25,
  oid: 26,
  tid: 27,
  xid: 28,
  cid: 29,
  oidvector: 30,
  json: 114,
  xml: 142,
  point: 600,
  lseg: 601,
  path: 602,
  box: 603,
  polygon: 604,
  line: 628,
  cidr: 650,
  float4: 700,
  float8: 701,
  unknown: 705,
  circle: 718,
  macaddr8: 774,
  money: 790,
  macaddr: 829,
  inet: 869,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  timetz: 1266,
  bit: 1560,
  varbit: 1562,
  numeric: 1700,
  record: 2249,
  uuid: 2950,
  tsvector: 3614,
  tsquery: 3615,
  jsonb: 3802,
  int4range: 3904,
  numrange: 3906,
  tsrange: 3908,
  tstzrange: 3910,
  daterange: 3912,
  int8range: 3926,
  int4multirange: 4451,
  nummultirange: 4532,
  tsmultirange: 4533,
  tstzmultirange: 4534,
  datemultirange: 4535,
  int8multirange: 4536
} as const

/**
 * The array type of each built-in type above that has one (`int4` → `_int4`, 1007).
 *
 * @since 0.1.0
 * @category constants
 */
export const ArrayOid: { readonly [K in keyof typeof Oid]?: number } = {
  bool: 1000,
  bytea: 1001,
  char: 1002,
  name: 1003,
  int2: 1005,
  int2vector: 1006,
  int4: 1007,
  regproc: 1008,
  text: 1009,
  tid: 1010,
  xid: 1011,
  cid: 1012,
  oidvector: 1013,
  bpchar: 1014,
  varchar: 1015,
  int8: 1016,
  point: 1017,
  lseg: 1018,
  path: 1019,
  box: 1020,
  float4: 1021,
  float8: 1022,
  polygon: 1027,
  oid: 1028,
  macaddr: 1040,
  inet: 1041,
  cidr: 651,
  macaddr8: 775,
  money: 791,
  json: 199,
  xml: 143,
  line: 629,
  circle: 719,
  date: 1182,
  time: 1183,
  timestamp: 1115,
  timestamptz: 1185,
  interval: 1187,
  timetz: 1270,
  bit: 1561,
  varbit: 1563,
  numeric: 1231,
  record: 2287,
  uuid: 2951,
  tsvector: 3643,
  tsquery: 3645,
  jsonb: 3807,
  int4range: 3905,
  numrange: 3907,
  tsrange: 3909,
  tstzrange: 3911,
  daterange: 3913,
  int8range: 3927,
  int4multirange: 6150,
  nummultirange: 6151,
  tsmultirange: 6152,
  tstzmultirange: 6153,
  datemultirange: 6155,
  int8multirange: 6157
}

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
