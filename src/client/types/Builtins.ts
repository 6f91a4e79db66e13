/**
 * The table of built-in codecs, by OID: the scalar types, the array type
 * of every one of them, the six built-in range types and their multiranges
 * and arrays. Built once per combination of the date/timestamp modes.
 *
 * @since 0.1.0
 */
import { arrayCodec } from "./Array.ts"
import type { Codec } from "./Codec.ts"
import { date, type DateMode, time, timestamp, type TimestampMode, timetz } from "./DateTime.ts"
import { box, circle, line, lseg, path, point, polygon } from "./Geometry.ts"
import { interval } from "./Interval.ts"
import { cidr, inet, macaddr, macaddr8 } from "./Network.ts"
import { numeric } from "./Numeric.ts"
import { ArrayOid, Oid } from "./Oids.ts"
import { multirangeCodec, rangeCodec } from "./Range.ts"
import { record } from "./Record.ts"
import { bool, float4, float8, int2, int4, int8, money, oid } from "./Scalars.ts"
import {
  bit,
  bpchar,
  bytea,
  char,
  json,
  jsonb,
  name,
  text,
  tsquery,
  tsvector,
  uuid,
  varbit,
  varchar,
  voidResult,
  xml
} from "./Strings.ts"

/**
 * How the registry reads dates and timestamps.
 *
 * @since 0.1.0
 * @category models
 */
export interface TemporalModes {
  readonly timestamps: TimestampMode
  readonly dates: DateMode
}

const build = (modes: TemporalModes): ReadonlyMap<number, Codec> => {
  const table = new Map<number, Codec>()
  const add = (codec: Codec) => {
    table.set(codec.oid, codec)
    const array = ArrayOid[codec.name as keyof typeof ArrayOid]
    if (array !== undefined) table.set(array, arrayCodec(array, codec))
  }
  const timestampCodec = timestamp(false, modes.timestamps)
  const timestamptzCodec = timestamp(true, modes.timestamps)
  const dateCodec = date(modes.dates)
  for (
    const codec of [
      bool,
      bytea,
      name,
      int8,
      int2,
      int4,
      text,
      oid,
      json,
      xml,
      point,
      lseg,
      path,
      box,
      polygon,
      line,
      cidr,
      float4,
      float8,
      circle,
      macaddr8,
      money,
      macaddr,
      inet,
      bpchar,
      varchar,
      dateCodec,
      time,
      timestampCodec,
      timestamptzCodec,
      interval,
      timetz,
      bit,
      varbit,
      numeric,
      uuid,
      tsvector,
      tsquery,
      jsonb,
      voidResult
    ]
  ) add(codec)
  // "char" is named with its quotes; its array is _char.
  table.set(Oid.char, char)
  table.set(ArrayOid.char!, arrayCodec(ArrayOid.char!, char))
  table.set(Oid.record, record)
  table.set(ArrayOid.record!, arrayCodec(ArrayOid.record!, record))
  const ranges: ReadonlyArray<readonly [keyof typeof Oid, keyof typeof Oid, Codec]> = [
    ["int4range", "int4multirange", int4],
    ["int8range", "int8multirange", int8],
    ["numrange", "nummultirange", numeric],
    ["tsrange", "tsmultirange", timestampCodec],
    ["tstzrange", "tstzmultirange", timestamptzCodec],
    ["daterange", "datemultirange", dateCodec]
  ]
  for (const [range, multirange, subtype] of ranges) {
    add(rangeCodec(Oid[range], range, subtype))
    add(multirangeCodec(Oid[multirange], multirange, subtype))
  }
  return table
}

const tables = new Map<string, ReadonlyMap<number, Codec>>()

/**
 * The built-in codecs for the given modes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const builtinCodecs = (modes: TemporalModes): ReadonlyMap<number, Codec> => {
  const key = `${modes.timestamps}/${modes.dates}`
  let table = tables.get(key)
  if (table === undefined) {
    table = build(modes)
    tables.set(key, table)
  }
  return table
}
