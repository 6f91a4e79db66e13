/**
 * The OIDs of PostgreSQL's built-in types and of their array types. These
 * are fixed in every PostgreSQL since the version that introduced each type
 * (types created by users or extensions have per-database OIDs and are
 * looked up in `pg_type`). One table for the client's codecs and the
 * server's, which may not import each other.
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
  void: 2278,
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
export const ArrayOid = {
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
} as const satisfies { readonly [K in keyof typeof Oid]?: number }
