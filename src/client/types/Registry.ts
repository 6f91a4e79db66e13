/**
 * The type registry of one connection: which codec serves each type OID,
 * in which format result columns are asked for, and how each parameter is
 * encoded. It knows the built-in types from the start; user codecs are
 * added with `register`; custom types (enums, domains, composites, and
 * arrays and ranges of anything) are learnt from the catalog on demand:
 * the connection asks `missing(oids)` after a statement is described and
 * runs `resolve(oids, run)` before building its decoders. A type the
 * registry does not know stays readable, as text.
 *
 * Not here: running queries (the caller supplies `run`) and deciding when
 * to resolve (the connection does).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { fail } from "../../protocol/ProtocolError.ts"
import { ColumnKind, type ColumnDecoder } from "../../protocol/RowDecoder.ts"
import type { Writer } from "../../protocol/Writer.ts"
import { arrayCodec } from "./Array.ts"
import { builtinCodecs } from "./Builtins.ts"
import { type CatalogQuery, lookupNames, lookupTypes, type TypeInfo } from "./Catalog.ts"
import { cannotEncode, type Codec, copyBytes, guarded, textReader } from "./Codec.ts"
import type { DateMode, TimestampMode } from "./DateTime.ts"
import { builtinOid, elementOf } from "./Oids.ts"
import { multirangeCodec, rangeCodec } from "./Range.ts"
import { compositeCodec } from "./Record.ts"
import { enumCodec, textFallback } from "./Strings.ts"
import { inferOid, Typed } from "./Typed.ts"

/**
 * Options of a registry.
 *
 * @since 0.1.0
 * @category models
 */
export interface TypeRegistryOptions {
  /**
   * timestamp and timestamptz as `Date` (millisecond precision; ±infinity
   * and years beyond ±275760 fail to decode) or as `PgTimestamp` (exact).
   * Default `"Date"`.
   */
  readonly timestamps?: TimestampMode | undefined
  /** date as PostgreSQL's ISO spelling (`"string"`, exact) or as `PgDate`. Default `"string"`. */
  readonly dates?: DateMode | undefined
}

/**
 * A codec supplied by the user for one type, named by OID or by name (a
 * name is matched against `pg_type` when the type is resolved, with or
 * without its schema: `"hstore"`, `"public.hstore"`). It replaces the
 * built-in codec of that type, if any.
 *
 * @since 0.1.0
 * @category models
 */
export interface CustomType<A = unknown> {
  readonly type: number | string
  /** Reads the type's text format. */
  readonly fromText: (text: string) => A
  /** Reads the binary format; without it, results of the type are asked for in text. */
  readonly fromBinary?: ((bytes: Uint8Array) => A) | undefined
  /** A parameter's text form; without it, only strings are accepted (as the type's input syntax). */
  readonly toText?: ((value: unknown) => string) | undefined
  /** A parameter's binary form; when given, every non-NULL parameter of the type goes in binary through it. */
  readonly toBinary?: ((value: unknown) => Uint8Array) | undefined
}

/**
 * How one result column is asked for (0 text, 1 binary) and decoded.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResultColumn {
  readonly format: 0 | 1
  readonly decoder: ColumnDecoder
}

/** A user's CustomType as a codec, every call into user code guarded. */
const customCodec = (oid: number, name: string, custom: CustomType): Codec => {
  const { fromBinary, fromText, toBinary, toText } = custom
  return {
    oid,
    name,
    delimiter: ",",
    readBinary: fromBinary === undefined
      ? undefined
      : (b, start, length) => guarded("InvalidValue", name, () => fromBinary(copyBytes(b, start, length))),
    readText: (text) => guarded("InvalidValue", name, () => fromText(text)),
    sendsBinary: () => toBinary !== undefined,
    writeBinary: (w, value) => {
      const bytes = guarded("EncodeFailed", name, () => toBinary!(value))
      if (!(bytes instanceof Uint8Array)) fail("EncodeFailed", `${name}: toBinary returned no Uint8Array`)
      w.bytes(bytes)
    },
    writeText: (value) => {
      if (toText === undefined) return typeof value === "string" ? value : cannotEncode(name, value, "the registered type has no toText")
      const text = guarded("EncodeFailed", name, () => toText(value))
      return typeof text === "string" ? text : fail("EncodeFailed", `${name}: toText returned no string`)
    }
  }
}

/**
 * The codecs of one connection. Create one per connection (what the
 * catalog says about custom types is per database).
 *
 * @since 0.1.0
 * @category models
 */
export class TypeRegistry {
  private readonly builtins: ReadonlyMap<number, Codec>
  /** User codecs by OID. */
  private readonly byOid = new Map<number, CustomType>()
  /** User codecs by type name, bound to an OID once the catalog names it. */
  private readonly byName = new Map<string, CustomType>()
  /** What the catalog said, by OID. */
  private readonly infos = new Map<number, TypeInfo>()
  /** OIDs the catalog does not have. */
  private readonly absent = new Set<number>()
  /** Type names resolved through the catalog (0: no such type). */
  private readonly names = new Map<string, number>()
  /** Codecs built from user codecs and catalog facts. */
  private readonly built = new Map<number, Codec>()
  private readonly building = new Set<number>()
  /** Text fallbacks handed out for OIDs without a codec. */
  private readonly fallbacks = new Map<number, Codec>()

  constructor(options: TypeRegistryOptions = {}) {
    this.builtins = builtinCodecs({ timestamps: options.timestamps ?? "Date", dates: options.dates ?? "string" })
  }

  // -------------------------------------------------------------------------
  // Codecs

  /**
   * The codec of `oid`, if the registry knows the type.
   *
   * @since 0.1.0
   */
  lookup(oid: number): Codec | undefined {
    const done = this.built.get(oid)
    if (done !== undefined) return done
    if (this.building.has(oid)) return undefined
    this.building.add(oid)
    try {
      const codec = this.build(oid)
      if (codec !== undefined) this.built.set(oid, codec)
      return codec
    } finally {
      this.building.delete(oid)
    }
  }

  /**
   * The codec of `oid`: the registry's, or the text fallback for a type it
   * does not know.
   *
   * @since 0.1.0
   */
  codec(oid: number): Codec {
    const codec = this.lookup(oid)
    if (codec !== undefined) return codec
    let fallback = this.fallbacks.get(oid)
    if (fallback === undefined) {
      fallback = textFallback(oid, this.infos.get(oid)?.name ?? `type ${oid}`)
      this.fallbacks.set(oid, fallback)
    }
    return fallback
  }

  private build(oid: number): Codec | undefined {
    const custom = this.byOid.get(oid)
    if (custom !== undefined) return customCodec(oid, typeof custom.type === "string" ? custom.type : `type ${oid}`, custom)
    const info = this.infos.get(oid)
    if (info !== undefined) return this.fromCatalog(info)
    // A built-in array of a type the user replaced follows the replacement.
    const element = elementOf.get(oid)
    if (element !== undefined && this.byOid.has(element)) return arrayCodec(oid, this.codec(element))
    return this.builtins.get(oid)
  }

  private fromCatalog(info: TypeInfo): Codec {
    const qualified = `${info.schema}.${info.name}`
    const custom = this.byName.get(qualified) ?? this.byName.get(info.name)
    if (custom !== undefined) return customCodec(info.oid, qualified, custom)
    const builtin = this.builtins.get(info.oid)
    if (builtin !== undefined) return builtin
    switch (info.kind) {
      case "e":
        return enumCodec(info.oid, qualified)
      case "d":
        return { ...this.codec(info.base), oid: info.oid, name: qualified }
      case "c":
        return compositeCodec(info.oid, qualified, info.attributes.map((a) => ({ name: a.name, codec: this.codec(a.type) })))
      case "r":
        return rangeCodec(info.oid, qualified, this.codec(info.subtype))
      case "m":
        return multirangeCodec(info.oid, qualified, this.codec(this.infos.get(info.range)?.subtype ?? 0))
    }
    if (info.category === "A" && info.element !== 0) {
      const element = this.codec(info.element)
      return arrayCodec(info.oid, { ...element, delimiter: this.infos.get(info.element)?.delimiter ?? element.delimiter })
    }
    return textFallback(info.oid, qualified)
  }

  /**
   * Adds a user codec (replacing the built-in one of that type, if any).
   *
   * @since 0.1.0
   */
  register(custom: CustomType): this {
    if (typeof custom.type === "number") this.byOid.set(custom.type, custom)
    else {
      const oid = builtinOid(custom.type)
      if (oid !== undefined) this.byOid.set(oid, custom)
      else this.byName.set(custom.type, custom)
    }
    this.built.clear()
    this.fallbacks.clear()
    return this
  }

  // -------------------------------------------------------------------------
  // Results

  /**
   * How a result column of type `oid` is asked for on the extended
   * protocol and decoded: binary wherever a codec reads it (inline row
   * decoder kinds for the hot types), text otherwise.
   *
   * @since 0.1.0
   */
  column(oid: number): ResultColumn {
    const codec = this.lookup(oid)
    if (codec === undefined || codec.readBinary === undefined || codec.preferText === true) {
      return { format: 0, decoder: this.textColumn(oid) }
    }
    if (codec.binaryKind !== undefined) return { format: 1, decoder: { kind: codec.binaryKind } }
    return { format: 1, decoder: { kind: ColumnKind.Custom, read: codec.readBinary } }
  }

  /**
   * How a column of type `oid` sent in text format (the simple protocol)
   * decodes.
   *
   * @since 0.1.0
   */
  textColumn(oid: number): ColumnDecoder {
    const codec = this.lookup(oid)
    if (codec === undefined || codec.textIsValue === true) return { kind: ColumnKind.Text }
    return { kind: ColumnKind.Custom, read: textReader(codec.readText) }
  }

  // -------------------------------------------------------------------------
  // Parameters

  /**
   * The format (0 text, 1 binary) a parameter value is sent in for a
   * parameter of type `oid` (a `typed(...)` wrapper is unwrapped).
   *
   * @since 0.1.0
   */
  parameterFormat(oid: number, value: unknown): 0 | 1 {
    const v = value instanceof Typed ? value.value : value
    if (v === null || v === undefined) return 0
    return this.codec(oid).sendsBinary(v) ? 1 : 0
  }

  /**
   * Writes one Bind parameter (length and bytes) for a parameter of type
   * `oid`, in the format `parameterFormat` chose. A value that does not fit
   * the type fails with `EncodeFailed`.
   *
   * @since 0.1.0
   */
  writeValue(w: Writer, oid: number, value: unknown): void {
    const v = value instanceof Typed ? value.value : value
    if (v === null || v === undefined) return w.i32(-1)
    const codec = this.codec(oid)
    if (codec.sendsBinary(v)) {
      const at = w.beginValue()
      codec.writeBinary(w, v)
      return w.endValue(at)
    }
    w.lengthPrefixedString(codec.writeText(v))
  }

  /**
   * The type OID to state in Parse for a parameter value: a `typed(...)`
   * wrapper's type (its name resolved through built-in names and `resolve`),
   * otherwise `inferOid(value)`. `undefined` for a type name that is
   * unknown: one `unresolvedNames` lists, or one the catalog does not have.
   *
   * @since 0.1.0
   */
  parameterOid(value: unknown): number | undefined {
    if (!(value instanceof Typed)) return inferOid(value)
    if (typeof value.type === "number") return value.type
    const oid = builtinOid(value.type) ?? this.names.get(value.type)
    return oid === undefined || oid === 0 ? undefined : oid
  }

  /**
   * The type names of `typed(...)` parameters the registry cannot map to
   * an OID yet; give them to `resolve`.
   *
   * @since 0.1.0
   */
  unresolvedNames(params: ReadonlyArray<unknown>): ReadonlyArray<string> {
    const out = new Set<string>()
    for (const p of params) {
      if (p instanceof Typed && typeof p.type === "string" && builtinOid(p.type) === undefined && !this.names.has(p.type)) {
        out.add(p.type)
      }
    }
    return [...out]
  }

  // -------------------------------------------------------------------------
  // The catalog

  private known(oid: number): boolean {
    return oid === 0 || this.byOid.has(oid) || this.infos.has(oid) || this.builtins.has(oid) || this.absent.has(oid)
  }

  /**
   * The OIDs among `oids` the registry has no codec for and has not looked
   * up yet (each once): resolve them before building decoders, or they
   * read as text.
   *
   * @since 0.1.0
   */
  missing(oids: Iterable<number>): ReadonlyArray<number> {
    const out = new Set<number>()
    for (const oid of oids) if (!this.known(oid)) out.add(oid)
    return [...out]
  }

  /**
   * Looks types up in the catalog through `run` and keeps what it learns:
   * OIDs (with every type they are built from) and type names (for
   * `typed(...)`). Types the catalog does not have stay text. Only what is
   * not known yet is queried; nothing is queried when nothing is missing.
   *
   * @since 0.1.0
   */
  resolve<E>(types: Iterable<number | string>, run: CatalogQuery<E>): Effect.Effect<void, E> {
    return Effect.gen({ self: this }, function*() {
      const oids = new Set<number>()
      const names = new Set<string>()
      for (const type of types) {
        if (typeof type === "number") {
          if (!this.known(type)) oids.add(type)
        } else if (builtinOid(type) === undefined && !this.names.has(type)) names.add(type)
      }
      if (names.size > 0) {
        const found = yield* lookupNames([...names], run)
        for (const name of names) {
          const oid = found.get(name) ?? 0
          this.names.set(name, oid)
          if (!this.known(oid)) oids.add(oid)
        }
      }
      if (oids.size === 0) return
      const infos = yield* lookupTypes(oids, (oid) => this.known(oid), run)
      for (const [oid, info] of infos) this.infos.set(oid, info)
      for (const oid of oids) if (!infos.has(oid)) this.absent.add(oid)
      this.built.clear()
      this.fallbacks.clear()
    })
  }

  /**
   * What the catalog said about a type, once resolved (enum labels,
   * composite attributes, ...).
   *
   * @since 0.1.0
   */
  typeInfo(oid: number): TypeInfo | undefined {
    return this.infos.get(oid)
  }

  /**
   * Forgets everything learnt from the catalog (after types were dropped
   * and created again, their OIDs change); user codecs stay.
   *
   * @since 0.1.0
   */
  reset(): void {
    this.infos.clear()
    this.absent.clear()
    this.names.clear()
    this.built.clear()
    this.fallbacks.clear()
  }
}
