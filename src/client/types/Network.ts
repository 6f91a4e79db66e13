/**
 * Codecs of the network address types: inet, cidr, macaddr and macaddr8.
 * Values are strings in PostgreSQL's own spelling (`"10.1.2.3/16"`,
 * `"2001:db8::/32"`, `"::ffff:1.2.3.4"`, `"08:00:2b:01:02:03"`); the
 * binary format is printed exactly as the server prints the text (the
 * longest run of zero groups as `::`, IPv4-mapped and IPv4-compatible
 * addresses with a dotted tail, the netmask omitted for a host inet), so
 * the value does not depend on the format. Parameters go as text, which
 * the server validates.
 *
 * @since 0.1.0
 */
import { cannotEncode, type Codec, expectLength, invalid, neverBinary, noBinaryWriter } from "./Codec.ts"
import { Oid } from "./Oids.ts"

const ipv4 = 2
const ipv6 = 3

const dotted = (b: Uint8Array, p: number): string => `${b[p]}.${b[p + 1]}.${b[p + 2]}.${b[p + 3]}`

/** An IPv6 address (16 bytes at `p`) as PostgreSQL prints it. */
const ipv6Text = (b: Uint8Array, p: number): string => {
  const words: Array<number> = new Array(8)
  for (let i = 0; i < 8; i++) words[i] = (b[p + 2 * i]! << 8) | b[p + 2 * i + 1]!
  // The first longest run of at least two zero groups becomes "::".
  let bestBase = -1
  let bestLength = 0
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && words[j] === 0) j++
    if (j - i > bestLength) {
      bestBase = i
      bestLength = j - i
    }
    i = j
  }
  if (bestLength < 2) bestBase = -1
  if (bestBase === 0 && (bestLength === 6 || (bestLength === 5 && words[5] === 0xffff))) {
    return `::${bestLength === 5 ? "ffff:" : ""}${dotted(b, p + 12)}`
  }
  let out = ""
  for (let i = 0; i < 8; i++) {
    if (i === bestBase) {
      out += "::"
      i += bestLength - 1
      continue
    }
    if (out.length > 0 && !out.endsWith(":")) out += ":"
    out += words[i]!.toString(16)
  }
  return out
}

const readAddress = (name: string, alwaysMask: boolean) => (b: Uint8Array, start: number, length: number): string => {
  if (length < 4) return invalid(name, `binary value of ${length} bytes`)
  const family = b[start]!
  const bits = b[start + 1]!
  const size = b[start + 3]!
  const max = family === ipv4 ? 32 : family === ipv6 ? 128 : invalid(name, `unknown address family ${family}`)
  if (size !== max / 8 || length !== 4 + size) return invalid(name, `${size}-byte address in ${length} bytes`)
  if (bits > max) return invalid(name, `netmask /${bits} on a ${max}-bit address`)
  const address = family === ipv4 ? dotted(b, start + 4) : ipv6Text(b, start + 4)
  return alwaysMask || bits !== max ? `${address}/${bits}` : address
}

const addressText = (name: string) => (value: unknown): string =>
  typeof value === "string" ? value : cannotEncode(name, value, "pass the address as a string")

const addressPattern = /^[0-9a-fA-F:.]+(?:\/\d{1,3})?$/

const address = (oid: number, name: string, alwaysMask: boolean): Codec => ({
  oid,
  name,
  delimiter: ",",
  readBinary: readAddress(name, alwaysMask),
  readText: (text) => (addressPattern.test(text) ? text : invalid(name, `cannot read "${text}"`)),
  textIsValue: true,
  sendsBinary: neverBinary,
  writeBinary: noBinaryWriter,
  writeText: addressText(name)
})

/** @since 0.1.0 @category codecs */
export const inet: Codec = address(Oid.inet, "inet", false)
/** @since 0.1.0 @category codecs */
export const cidr: Codec = address(Oid.cidr, "cidr", true)

const hex = "0123456789abcdef"

const mac = (oid: number, name: string, size: number): Codec => {
  const pattern = new RegExp(`^[0-9a-f]{2}(?::[0-9a-f]{2}){${size - 1}}$`)
  return {
    oid,
    name,
    delimiter: ",",
    readBinary: (b, start, length) => {
      expectLength(name, length, size)
      let out = ""
      for (let i = 0; i < size; i++) out += (i === 0 ? "" : ":") + hex[b[start + i]! >> 4]! + hex[b[start + i]! & 15]!
      return out
    },
    readText: (text) => (pattern.test(text) ? text : invalid(name, `cannot read "${text}"`)),
    textIsValue: true,
    sendsBinary: neverBinary,
    writeBinary: noBinaryWriter,
    writeText: addressText(name)
  }
}

/** @since 0.1.0 @category codecs */
export const macaddr: Codec = mac(Oid.macaddr, "macaddr", 6)
/** @since 0.1.0 @category codecs */
export const macaddr8: Codec = mac(Oid.macaddr8, "macaddr8", 8)
