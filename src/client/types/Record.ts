/**
 * Composite types as objects keyed by attribute name, in both formats (the
 * binary record format, and the text record literal `(1,"a b",,"")` where
 * an empty field is NULL and `""` an empty string). The attributes and
 * their codecs come from the catalog (`Catalog.ts`).
 *
 * The anonymous `record` type (a bare `ROW(...)`) has no attribute names or
 * known field types before the rows arrive: it reads from text as an array
 * of field texts (`null` for NULL), which loses nothing.
 *
 * @since 0.1.0
 */
import { fail } from "../../protocol/ProtocolError.ts"
import { cannotEncode, type Codec, int32At, invalid, need, neverBinary, noBinaryWriter } from "./Codec.ts"
import { Oid } from "./Oids.ts"

/**
 * One attribute of a composite type.
 *
 * @since 0.1.0
 * @category models
 */
export interface Attribute {
  readonly name: string
  readonly codec: Codec
}

const isSpace = (c: string | undefined): boolean =>
  c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\v" || c === "\f"

/**
 * Reads a record literal into its field texts (`null` for NULL).
 * `expected` resolves `()`, which is both a record of no fields and a
 * record of one NULL field.
 *
 * @since 0.1.0
 * @category decoding
 */
export const parseRecordLiteral = (name: string, text: string, expected?: number): Array<string | null> => {
  let p = 0
  const bad = (why: string): never => invalid(name, `malformed record literal (${why}): ${text.length > 80 ? `${text.slice(0, 80)}…` : text}`)
  while (isSpace(text[p])) p++
  if (text[p] !== "(") return bad("missing (")
  p++
  const fields: Array<string | null> = []
  if (text[p] === ")" && expected === 0) p++
  else {
    for (;;) {
      let field: string | null = null
      let quoted = false
      for (;;) {
        const c = text[p]
        if (c === undefined) return bad("unexpected end")
        if (!quoted && (c === "," || c === ")")) break
        field ??= ""
        if (c === "\\") {
          if (p + 1 >= text.length) return bad("backslash at the end")
          field += text[p + 1]
          p += 2
        } else if (c === "\"") {
          if (quoted && text[p + 1] === "\"") {
            field += "\""
            p += 2
          } else {
            quoted = !quoted
            p++
          }
        } else {
          field += c
          p++
        }
      }
      fields.push(field)
      if (text[p++] === ")") break
    }
  }
  while (isSpace(text[p])) p++
  if (p !== text.length) return bad("text after the closing )")
  return fields
}

const quote = (text: string): string => `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`

const isPlainObject = (value: unknown): value is Readonly<Record<string, unknown>> => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * A composite type's codec: objects keyed by attribute name. A parameter
 * may leave attributes out (they are NULL) but may not name attributes the
 * type does not have.
 *
 * @since 0.1.0
 * @category constructors
 */
export const compositeCodec = (oid: number, name: string, attributes: ReadonlyArray<Attribute>): Codec => {
  const names = new Set(attributes.map((a) => a.name))
  const binary = attributes.every((a) => a.codec.readBinary !== undefined)
  const problem = (value: unknown): string | undefined => {
    if (!isPlainObject(value)) return "pass an object keyed by attribute name"
    for (const key of Object.keys(value)) if (!names.has(key)) return `the type has no attribute "${key}"`
    return undefined
  }
  return {
    oid,
    name,
    delimiter: ",",
    preferText: attributes.some((a) => a.codec.preferText === true),
    readBinary: !binary ? undefined : (b, start, length) => {
      const end = start + length
      need(name, start, 4, end)
      const count = int32At(b, start)
      if (count !== attributes.length) return invalid(name, `${count} fields, the type has ${attributes.length} attributes`)
      let p = start + 4
      const out: Record<string, unknown> = {}
      for (const attribute of attributes) {
        need(name, p, 8, end)
        const fieldOid = int32At(b, p) >>> 0
        const size = int32At(b, p + 4)
        p += 8
        if (fieldOid !== attribute.codec.oid) {
          return invalid(name, `attribute "${attribute.name}" has type ${fieldOid}, expected ${attribute.codec.oid}`)
        }
        if (size === -1) {
          out[attribute.name] = null
          continue
        }
        need(name, p, size, end)
        out[attribute.name] = attribute.codec.readBinary!(b, p, size)
        p += size
      }
      if (p !== end) return invalid(name, `${end - p} bytes after the last field`)
      return out
    },
    readText: (text) => {
      const fields = parseRecordLiteral(name, text, attributes.length)
      if (fields.length !== attributes.length) return invalid(name, `${fields.length} fields, the type has ${attributes.length} attributes`)
      const out: Record<string, unknown> = {}
      for (let i = 0; i < attributes.length; i++) {
        const field = fields[i]!
        out[attributes[i]!.name] = field === null ? null : attributes[i]!.codec.readText(field)
      }
      return out
    },
    sendsBinary: (value) => {
      if (problem(value) !== undefined) return false
      const object = value as Readonly<Record<string, unknown>>
      return attributes.every((a) => object[a.name] === null || object[a.name] === undefined || a.codec.sendsBinary(object[a.name]))
    },
    writeBinary: (w, value) => {
      const object = value as Readonly<Record<string, unknown>>
      w.i32(attributes.length)
      for (const attribute of attributes) {
        w.i32(attribute.codec.oid)
        const v = object[attribute.name]
        if (v === null || v === undefined) {
          w.i32(-1)
          continue
        }
        const at = w.beginValue()
        attribute.codec.writeBinary(w, v)
        w.endValue(at)
      }
    },
    writeText: (value) => {
      if (typeof value === "string") return value
      const why = problem(value)
      if (why !== undefined) return cannotEncode(name, value, why)
      const object = value as Readonly<Record<string, unknown>>
      return `(${
        attributes.map((a) => {
          const v = object[a.name]
          return v === null || v === undefined ? "" : quote(a.codec.writeText(v))
        }).join(",")
      })`
    }
  }
}

/**
 * The anonymous `record` type: read from text as the array of field texts.
 *
 * @since 0.1.0
 * @category codecs
 */
export const record: Codec = {
  oid: Oid.record,
  name: "record",
  delimiter: ",",
  readBinary: undefined,
  readText: (text) => parseRecordLiteral("record", text),
  sendsBinary: neverBinary,
  writeBinary: noBinaryWriter,
  writeText: (value) =>
    typeof value === "string" ? value : fail("EncodeFailed", `cannot encode ${Array.isArray(value) ? "an array" : typeof value} as an anonymous record: cast the parameter to a composite type`)
}
