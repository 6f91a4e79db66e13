/**
 * interval as PostgreSQL holds it: `PgInterval` with months, days and
 * microseconds kept apart (a month is not a fixed number of days, nor a day
 * a fixed number of hours across a DST change), so nothing is normalised
 * away. Reads the binary format and the text of all four IntervalStyles
 * (postgres, the default; postgres_verbose; sql_standard; iso_8601);
 * writes in binary. PostgreSQL 17's `infinity` and `-infinity` are
 * `PgInterval.infinity` and `PgInterval.negativeInfinity`.
 *
 * @since 0.1.0
 */
import { cannotEncode, type Codec, expectLength, int32At, int64At, invalid } from "./Codec.ts"
import { Oid } from "./Oids.ts"

const int32Max = 2147483647
const int32Min = -2147483648
const int64Max = 2n ** 63n - 1n
const int64Min = -(2n ** 63n)
const microsPerHour = 3_600_000_000n
const microsPerMinute = 60_000_000n
const microsPerSecond = 1_000_000n

/**
 * An interval: months, days and microseconds, each with its own sign.
 *
 * @since 0.1.0
 * @category models
 */
export class PgInterval {
  /** Whole months (a year is 12). */
  readonly months: number
  /** Whole days. */
  readonly days: number
  /** The time part, in microseconds. */
  readonly micros: bigint

  private constructor(months: number, days: number, micros: bigint) {
    this.months = months
    this.days = days
    this.micros = micros
  }

  /** @since 0.1.0 */
  static readonly infinity: PgInterval = new PgInterval(int32Max, int32Max, int64Max)
  /** @since 0.1.0 */
  static readonly negativeInfinity: PgInterval = new PgInterval(int32Min, int32Min, int64Min)

  /**
   * An interval of the given parts (each defaults to zero); `undefined` when
   * `months` or `days` is not a 32-bit integer or `micros` not a 64-bit one.
   *
   * @since 0.1.0
   */
  static make(parts: { readonly months?: number; readonly days?: number; readonly micros?: bigint }): PgInterval | undefined {
    const months = parts.months ?? 0
    const days = parts.days ?? 0
    const micros = parts.micros ?? 0n
    const int32 = (n: number) => Number.isInteger(n) && n >= int32Min && n <= int32Max
    if (!int32(months) || !int32(days) || micros < int64Min || micros > int64Max) return undefined
    // Adding 0 turns a negated zero (-0) into 0.
    return new PgInterval(months + 0, days + 0, micros)
  }

  /**
   * Reads an interval as PostgreSQL prints it in any IntervalStyle
   * (`1 year 2 mons -3 days +04:05:06.789`, `@ 1 year ago`, `+1-2 -3 +4:05:06`,
   * `P1Y2M-3DT4H5M6.789S`); `undefined` when `text` is none of them.
   *
   * @since 0.1.0
   */
  static parse(text: string): PgInterval | undefined {
    if (text === "infinity") return PgInterval.infinity
    if (text === "-infinity") return PgInterval.negativeInfinity
    const parts = parseIntervalText(text)
    return parts === undefined ? undefined : PgInterval.make(parts)
  }

  /** @since 0.1.0 */
  get isFinite(): boolean {
    return !isInfinite(this, PgInterval.infinity) && !isInfinite(this, PgInterval.negativeInfinity)
  }

  /**
   * The postgres IntervalStyle spelling: `1 year 2 mons -3 days +04:05:06.789`,
   * `00:00:00`, `infinity`.
   *
   * @since 0.1.0
   */
  toString(): string {
    if (!this.isFinite) return this.months > 0 ? "infinity" : "-infinity"
    const out: Array<string> = []
    let negativeSeen = false
    const field = (value: number, unit: string) => {
      if (value === 0) return
      out.push(`${negativeSeen && value > 0 ? "+" : ""}${value} ${unit}${value === 1 ? "" : "s"}`)
      if (value < 0) negativeSeen = true
    }
    field(Math.trunc(this.months / 12), "year")
    field(this.months % 12, "mon")
    field(this.days, "day")
    if (this.micros !== 0n || out.length === 0) {
      const sign = this.micros < 0n ? "-" : negativeSeen ? "+" : ""
      out.push(sign + clock(this.micros < 0n ? -this.micros : this.micros))
    }
    return out.join(" ")
  }

  /**
   * ISO 8601 duration: `P1Y2M-3DT4H5M6.789S`, `PT0S`, `infinity`.
   *
   * @since 0.1.0
   */
  toISOString(): string {
    if (!this.isFinite) return this.toString()
    const years = Math.trunc(this.months / 12)
    const months = this.months % 12
    let out = "P"
    if (years !== 0) out += `${years}Y`
    if (months !== 0) out += `${months}M`
    if (this.days !== 0) out += `${this.days}D`
    if (this.micros !== 0n) {
      const hours = this.micros / microsPerHour
      const minutes = (this.micros % microsPerHour) / microsPerMinute
      const seconds = this.micros % microsPerMinute
      out += "T"
      if (hours !== 0n) out += `${hours}H`
      if (minutes !== 0n) out += `${minutes}M`
      if (seconds !== 0n) out += `${secondsText(seconds)}S`
    }
    return out === "P" ? "PT0S" : out
  }

  /** @since 0.1.0 */
  toJSON(): string {
    return this.toISOString()
  }
}

const isInfinite = (a: PgInterval, b: PgInterval): boolean => a.months === b.months && a.days === b.days && a.micros === b.micros

/** `HH:MM:SS[.ffffff]` of a non-negative microsecond count (hours may pass 24). */
const clock = (micros: bigint): string => {
  const hours = micros / microsPerHour
  const minutes = (micros % microsPerHour) / microsPerMinute
  const seconds = (micros % microsPerMinute) / microsPerSecond
  const fraction = micros % microsPerSecond
  let out = `${String(hours).padStart(2, "0")}:${String(minutes).padStart(2, "0")}:${String(seconds).padStart(2, "0")}`
  if (fraction !== 0n) out += "." + String(fraction).padStart(6, "0").replace(/0+$/, "")
  return out
}

/** Seconds with a trimmed fraction, signed, of a microsecond count. */
const secondsText = (micros: bigint): string => {
  const negative = micros < 0n
  const abs = negative ? -micros : micros
  const fraction = abs % microsPerSecond
  const whole = `${negative ? "-" : ""}${abs / microsPerSecond}`
  return fraction === 0n ? whole : `${whole}.${String(fraction).padStart(6, "0").replace(/0+$/, "")}`
}

// ---------------------------------------------------------------------------
// Parsing the four IntervalStyles

interface Parts {
  months: number
  days: number
  micros: bigint
}

/** A signed decimal number of seconds as microseconds (`"-1.5"` → -1500000n). */
const secondsToMicros = (text: string): bigint | undefined => {
  const m = /^([+-])?(\d+)(?:\.(\d{1,6})\d*)?$/.exec(text)
  if (m === null) return undefined
  const micros = BigInt(m[2]!) * microsPerSecond + BigInt((m[3] ?? "").padEnd(6, "0"))
  return m[1] === "-" ? -micros : micros
}

/** `[+-]H:MM:SS[.f]` as signed microseconds. */
const clockToMicros = (text: string): bigint | undefined => {
  const m = /^([+-])?(\d+):(\d\d):(\d\d(?:\.\d+)?)$/.exec(text)
  if (m === null) return undefined
  const seconds = secondsToMicros(m[4]!)
  if (seconds === undefined) return undefined
  const micros = BigInt(m[2]!) * microsPerHour + BigInt(m[3]!) * microsPerMinute + seconds
  return m[1] === "-" ? -micros : micros
}

const integerPattern = /^[+-]?\d+$/

/** postgres style: `1 year 2 mons -3 days +04:05:06.789`. */
const parsePostgres = (tokens: ReadonlyArray<string>): Parts | undefined => {
  const parts: Parts = { months: 0, days: 0, micros: 0n }
  let i = 0
  while (i < tokens.length) {
    const token = tokens[i]!
    if (token.includes(":")) {
      if (i !== tokens.length - 1) return undefined
      const micros = clockToMicros(token)
      if (micros === undefined) return undefined
      parts.micros = micros
      return parts
    }
    const unit = tokens[i + 1]
    if (!integerPattern.test(token) || unit === undefined) return undefined
    const n = Number(token)
    if (unit === "year" || unit === "years") parts.months += 12 * n
    else if (unit === "mon" || unit === "mons") parts.months += n
    else if (unit === "day" || unit === "days") parts.days += n
    else return undefined
    i += 2
  }
  return tokens.length > 0 ? parts : undefined
}

/** postgres_verbose style: `@ 1 year 2 mons -3 days 4 hours 5 mins 6.789 secs ago`. */
const parseVerbose = (tokens: ReadonlyArray<string>): Parts | undefined => {
  const parts: Parts = { months: 0, days: 0, micros: 0n }
  let end = tokens.length
  const ago = tokens[end - 1] === "ago"
  if (ago) end--
  if (end === 1 && tokens[0] === "0") return parts
  for (let i = 0; i < end; i += 2) {
    const token = tokens[i]!
    const unit = tokens[i + 1]
    if (unit === undefined) return undefined
    if (unit === "sec" || unit === "secs") {
      const micros = secondsToMicros(token)
      if (micros === undefined) return undefined
      parts.micros += micros
      continue
    }
    if (!integerPattern.test(token)) return undefined
    const n = Number(token)
    switch (unit) {
      case "year":
      case "years":
        parts.months += 12 * n
        break
      case "mon":
      case "mons":
        parts.months += n
        break
      case "day":
      case "days":
        parts.days += n
        break
      case "hour":
      case "hours":
        parts.micros += BigInt(n) * microsPerHour
        break
      case "min":
      case "mins":
        parts.micros += BigInt(n) * microsPerMinute
        break
      default:
        return undefined
    }
  }
  if (ago) {
    parts.months = -parts.months
    parts.days = -parts.days
    parts.micros = -parts.micros
  }
  return parts
}

/**
 * sql_standard style: `+1-2 -3 +4:05:06.789`, `-1 2:00:00`. When only the
 * first field has a sign, it applies to every field.
 */
const parseSqlStandard = (tokens: ReadonlyArray<string>): Parts | undefined => {
  const parts: Parts = { months: 0, days: 0, micros: 0n }
  const signed = (t: string) => t.startsWith("-") || t.startsWith("+")
  const shared = tokens.slice(1).every((t) => !signed(t)) && tokens[0]?.startsWith("-") === true
  for (let i = 0; i < tokens.length; i++) {
    let token = tokens[i]!
    if (shared && i > 0) token = `-${token}`
    const yearMonth = /^([+-])?(\d+)-(\d+)$/.exec(token)
    if (yearMonth !== null) {
      const months = Number(yearMonth[2]) * 12 + Number(yearMonth[3])
      parts.months += yearMonth[1] === "-" ? -months : months
    } else if (token.includes(":")) {
      const micros = clockToMicros(token)
      if (micros === undefined) return undefined
      parts.micros += micros
    } else if (integerPattern.test(token)) {
      parts.days += Number(token)
    } else return undefined
  }
  return tokens.length > 0 ? parts : undefined
}

const isoPattern =
  /^P(?:(-?\d+)Y)?(?:(-?\d+)M)?(?:(-?\d+)W)?(?:(-?\d+)D)?(?:T(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?\d+(?:\.\d+)?)S)?)?$/

/** iso_8601 style: `P1Y2M-3DT4H5M6.789S`, `PT0S`. */
const parseIso = (text: string): Parts | undefined => {
  const m = isoPattern.exec(text)
  if (m === null || text === "P" || text.endsWith("T")) return undefined
  const int = (s: string | undefined) => (s === undefined ? 0 : Number(s))
  const seconds = m[7] === undefined ? 0n : secondsToMicros(m[7])
  if (seconds === undefined) return undefined
  return {
    months: int(m[1]) * 12 + int(m[2]),
    days: int(m[3]) * 7 + int(m[4]),
    micros: BigInt(int(m[5])) * microsPerHour + BigInt(int(m[6])) * microsPerMinute + seconds
  }
}

const parseIntervalText = (text: string): Parts | undefined => {
  if (text.startsWith("P")) return parseIso(text)
  const tokens = text.split(" ").filter((t) => t.length > 0)
  if (tokens[0] === "@") return parseVerbose(tokens.slice(1))
  return parsePostgres(tokens) ?? parseSqlStandard(tokens)
}

// ---------------------------------------------------------------------------
// The codec

/** @since 0.1.0 @category codecs */
export const interval: Codec = {
  oid: Oid.interval,
  name: "interval",
  delimiter: ",",
  readBinary: (b, start, length) => {
    expectLength("interval", length, 16)
    const value = PgInterval.make({ micros: int64At(b, start), days: int32At(b, start + 8), months: int32At(b, start + 12) })
    return value !== undefined && !value.isFinite ? (value.months > 0 ? PgInterval.infinity : PgInterval.negativeInfinity) : value
  },
  readText: (text) => PgInterval.parse(text) ?? invalid("interval", `cannot read "${text}"`),
  sendsBinary: (value) => value instanceof PgInterval,
  writeBinary: (w, value) => {
    const v = value as PgInterval
    w.i64(v.micros)
    w.i32(v.days)
    w.i32(v.months)
  },
  writeText: (value) =>
    typeof value === "string" ? value : value instanceof PgInterval ? value.toString() : cannotEncode("interval", value)
}
