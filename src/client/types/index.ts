/**
 * The client's type system: the registry, the value types for what plain
 * JavaScript values cannot hold exactly, `typed(...)` parameters, and the
 * codecs themselves for building custom ones. See docs/types.md.
 *
 * @since 0.1.0
 */
export { PgArray, parseArrayLiteral } from "./Array.ts"
export { type CatalogQuery, type TypeInfo } from "./Catalog.ts"
export { type Codec } from "./Codec.ts"
export { type DateMode, type TimestampMode } from "./DateTime.ts"
export { type PgBox, type PgCircle, type PgLine, type PgLineSegment, type PgPath, type PgPoint, type PgPolygon } from "./Geometry.ts"
export { PgInterval } from "./Interval.ts"
export { ArrayOid, builtinOid, Oid } from "./Oids.ts"
export { PgRange, type RangeBounds } from "./Range.ts"
export { parseRecordLiteral } from "./Record.ts"
export { type CustomType, type ResultColumn, TypeRegistry, type TypeRegistryOptions } from "./Registry.ts"
export { moneyFromBinary } from "./Scalars.ts"
export { PgDate, PgTimestamp } from "./Temporal.ts"
export { inferOid, isTyped, Typed, typed } from "./Typed.ts"
