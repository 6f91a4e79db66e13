/**
 * What the client learns about a type from the system catalog (`pg_type`,
 * `pg_attribute`, `pg_enum`, `pg_range`), and the queries that learn it.
 * Types are looked up by OID, together with every type they are built
 * from (array elements, domain base types, composite attributes, range
 * subtypes), until nothing is left unknown; type names (for `typed(...)`)
 * are resolved with `to_regtype`, which follows the session's search_path.
 *
 * Not here: turning the facts into codecs (`Registry.ts`). The queries run
 * through a caller-supplied function, so this module does no I/O itself.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"

/**
 * The catalog's facts about one type.
 *
 * @since 0.1.0
 * @category models
 */
export interface TypeInfo {
  readonly oid: number
  /** `pg_type.typname`. */
  readonly name: string
  /** The schema (`pg_namespace.nspname`). */
  readonly schema: string
  /** `typtype`: b base, c composite, d domain, e enum, m multirange, p pseudo, r range. */
  readonly kind: string
  /** `typcategory` (A for arrays). */
  readonly category: string
  /** `typelem`: the element type of an array type. */
  readonly element: number
  /** `typbasetype`: the base type of a domain. */
  readonly base: number
  /** `typdelim`: the delimiter of this type's arrays. */
  readonly delimiter: string
  /** The subtype of a range type. */
  readonly subtype: number
  /** The range type of a multirange type. */
  readonly range: number
  /** The attributes of a composite type, in order (dropped ones left out). */
  readonly attributes: ReadonlyArray<{ readonly name: string; readonly type: number }>
  /** The labels of an enum type, in sort order. */
  readonly labels: ReadonlyArray<string>
}

/**
 * Runs one catalog query on the connection (a prepared statement with
 * parameters) and returns its rows as objects keyed by column name;
 * `(sql, params) => connection.query(sql, params)` fits.
 *
 * @since 0.1.0
 * @category models
 */
export type CatalogQuery<E> = (
  sql: string,
  params: ReadonlyArray<unknown>
) => Effect.Effect<{ readonly rows: ReadonlyArray<Readonly<Record<string, unknown>>> }, E>

// Every column is cast to int8 or text so the rows read the same whatever
// codecs the running connection uses.
const typesSql = `SELECT t.oid::int8 AS oid, t.typname::text AS name, n.nspname::text AS schema,
  t.typtype::text AS kind, t.typcategory::text AS category, t.typelem::int8 AS element,
  t.typbasetype::int8 AS base, t.typrelid::int8 AS relation, t.typdelim::text AS delimiter,
  coalesce(r.rngsubtype, 0)::int8 AS subtype
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid
WHERE t.oid = ANY($1::oid[])`

// pg_range.rngmultitypid exists from PostgreSQL 14, as do multiranges: asked only when one shows up.
const multirangesSql = `SELECT rngmultitypid::int8 AS oid, rngtypid::int8 AS range
FROM pg_catalog.pg_range WHERE rngmultitypid = ANY($1::oid[])`

const attributesSql = `SELECT attrelid::int8 AS relation, attname::text AS name, atttypid::int8 AS type
FROM pg_catalog.pg_attribute
WHERE attrelid = ANY($1::oid[]) AND attnum > 0 AND NOT attisdropped
ORDER BY attrelid, attnum`

const labelsSql = `SELECT enumtypid::int8 AS type, enumlabel::text AS label
FROM pg_catalog.pg_enum WHERE enumtypid = ANY($1::oid[]) ORDER BY enumtypid, enumsortorder`

const namesSql = `SELECT x.name, to_regtype(x.name)::oid::int8 AS oid FROM unnest($1::text[]) AS x(name)`

/** A TypeInfo while its attributes, labels and range are being filled in. */
interface Draft extends Omit<TypeInfo, "attributes" | "labels" | "range"> {
  readonly relation: number
  readonly attributes: Array<{ readonly name: string; readonly type: number }>
  readonly labels: Array<string>
  range: number
}

const toOid = (value: unknown): number | undefined => {
  const n = typeof value === "bigint" || typeof value === "string" ? Number(value) : value
  return typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 4294967295 ? n : undefined
}
const toText = (value: unknown): string => (typeof value === "string" ? value : "")

/**
 * Looks up the type names with `to_regtype`: the OID of each, or 0 when
 * the server knows no such type.
 *
 * @since 0.1.0
 * @category catalog
 */
export const lookupNames = <E>(names: ReadonlyArray<string>, run: CatalogQuery<E>): Effect.Effect<ReadonlyMap<string, number>, E> =>
  Effect.map(run(namesSql, [names]), ({ rows }) => {
    const out = new Map<string, number>()
    for (const row of rows) out.set(toText(row["name"]), toOid(row["oid"]) ?? 0)
    return out
  })

/**
 * Looks up `oids` and, transitively, every type they are built from that
 * `known` does not already cover. Returns the facts found; an OID the
 * catalog does not have is absent from the result.
 *
 * @since 0.1.0
 * @category catalog
 */
export const lookupTypes = <E>(
  oids: Iterable<number>,
  known: (oid: number) => boolean,
  run: CatalogQuery<E>
): Effect.Effect<ReadonlyMap<number, TypeInfo>, E> =>
  Effect.gen(function*() {
    const found = new Map<number, TypeInfo>()
    const asked = new Set<number>()
    let pending = [...new Set(oids)].filter((oid) => oid !== 0 && !known(oid))
    while (pending.length > 0) {
      for (const oid of pending) asked.add(oid)
      const { rows } = yield* run(typesSql, [pending])
      const infos: Array<Draft> = []
      for (const row of rows) {
        const oid = toOid(row["oid"])
        if (oid === undefined) continue
        infos.push({
          oid,
          name: toText(row["name"]),
          schema: toText(row["schema"]),
          kind: toText(row["kind"]),
          category: toText(row["category"]),
          element: toOid(row["element"]) ?? 0,
          base: toOid(row["base"]) ?? 0,
          relation: toOid(row["relation"]) ?? 0,
          delimiter: toText(row["delimiter"]) || ",",
          subtype: toOid(row["subtype"]) ?? 0,
          range: 0,
          attributes: [],
          labels: []
        })
      }
      const composites = infos.filter((i) => i.kind === "c" && i.relation !== 0)
      if (composites.length > 0) {
        const byRelation = new Map(composites.map((i) => [i.relation, i]))
        const { rows: attributes } = yield* run(attributesSql, [[...byRelation.keys()]])
        for (const row of attributes) {
          const info = byRelation.get(toOid(row["relation"]) ?? 0)
          const type = toOid(row["type"])
          if (info !== undefined && type !== undefined) info.attributes.push({ name: toText(row["name"]), type })
        }
      }
      const enums = infos.filter((i) => i.kind === "e")
      if (enums.length > 0) {
        const byOid = new Map(enums.map((i) => [i.oid, i]))
        const { rows: labels } = yield* run(labelsSql, [[...byOid.keys()]])
        for (const row of labels) byOid.get(toOid(row["type"]) ?? 0)?.labels.push(toText(row["label"]))
      }
      const multiranges = infos.filter((i) => i.kind === "m")
      if (multiranges.length > 0) {
        const byOid = new Map(multiranges.map((i) => [i.oid, i]))
        const { rows: ranges } = yield* run(multirangesSql, [[...byOid.keys()]])
        for (const row of ranges) {
          const info = byOid.get(toOid(row["oid"]) ?? 0)
          if (info !== undefined) info.range = toOid(row["range"]) ?? 0
        }
      }
      const next = new Set<number>()
      for (const info of infos) {
        found.set(info.oid, info)
        const parts = [info.category === "A" ? info.element : 0, info.base, info.subtype, info.range, ...info.attributes.map((a) => a.type)]
        for (const part of parts) if (part !== 0 && !asked.has(part) && !known(part)) next.add(part)
      }
      pending = [...next]
    }
    return found
  })
