/**
 * Exact date and timestamp values: `PgDate` (days since 1970-01-01) and
 * `PgTimestamp` (microseconds since 1970-01-01 00:00:00 UTC as a bigint),
 * both with PostgreSQL's ±infinity, its BC dates and its whole range
 * (4713 BC to 5874897 AD for dates, to 294276 AD for timestamps), which a
 * JavaScript `Date` (milliseconds, ±275760 years) cannot hold. Plus the
 * proleptic Gregorian calendar arithmetic and the ISO-DateStyle spellings
 * the date/time codecs share.
 *
 * Not time-zone aware: a `PgTimestamp` of a `timestamp without time zone`
 * holds the wall-clock reading as if it were UTC, exactly as PostgreSQL
 * stores it.
 *
 * @since 0.1.0
 */

/**
 * Days between 1970-01-01 and PostgreSQL's epoch, 2000-01-01.
 *
 * @internal
 */
export const postgresEpochDays = 10_957
/**
 * Microseconds between 1970-01-01 and 2000-01-01.
 *
 * @internal
 */
export const postgresEpochMicros = 946_684_800_000_000n
/** @internal */
export const microsPerDay = 86_400_000_000n
const int64Max = 2n ** 63n - 1n
const int64Min = -(2n ** 63n)
/**
 * The largest time a `Date` holds, in milliseconds either side of 1970.
 *
 * @internal
 */
export const maxDateMillis = 8.64e15

// ---------------------------------------------------------------------------
// Calendar (proleptic Gregorian, astronomical years: year 0 is 1 BC)

/**
 * Days since 1970-01-01 of a calendar date.
 *
 * @internal
 */
export const daysFromCivil = (year: number, month: number, day: number): number => {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yearOfEra = y - era * 400
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear
  return era * 146_097 + dayOfEra - 719_468
}

/**
 * The calendar date of a day count since 1970-01-01.
 *
 * @internal
 */
export const civilFromDays = (days: number): { readonly year: number; readonly month: number; readonly day: number } => {
  const z = days + 719_468
  const era = Math.floor(z / 146_097)
  const dayOfEra = z - era * 146_097
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365
  )
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100))
  const shifted = Math.floor((5 * dayOfYear + 2) / 153)
  const day = dayOfYear - Math.floor((153 * shifted + 2) / 5) + 1
  const month = shifted < 10 ? shifted + 3 : shifted - 9
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
  return { year, month, day }
}

const daysInMonth = (year: number, month: number): number =>
  month === 2
    ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28)
    : month === 4 || month === 6 || month === 9 || month === 11
    ? 30
    : 31

/**
 * Whether year/month/day names a real calendar date.
 *
 * @internal
 */
export const isValidDate = (year: number, month: number, day: number): boolean =>
  Number.isInteger(year) && Number.isInteger(month) && Number.isInteger(day) && month >= 1 && month <= 12 && day >= 1 &&
  day <= daysInMonth(year, month)

const pad = (n: number, width: number): string => String(n).padStart(width, "0")

/** `YYYY-MM-DD` with PostgreSQL's ` BC` suffix flag, of a finite day count. */
const datePart = (days: number): { readonly text: string; readonly bc: boolean } => {
  const { day, month, year } = civilFromDays(days)
  const bc = year <= 0
  return { text: `${pad(bc ? 1 - year : year, 4)}-${pad(month, 2)}-${pad(day, 2)}`, bc }
}

/**
 * PostgreSQL's ISO spelling of a date: `2024-02-29`, `0001-01-01 BC`, `infinity`.
 *
 * @internal
 */
export const formatDate = (days: number): string => {
  if (days === Infinity) return "infinity"
  if (days === -Infinity) return "-infinity"
  const { bc, text } = datePart(days)
  return bc ? `${text} BC` : text
}

/**
 * `HH:MM:SS` plus the fraction without trailing zeros, of microseconds since midnight.
 *
 * @internal
 */
export const formatTimeOfDay = (micros: number): string => {
  const seconds = Math.floor(micros / 1_000_000)
  const fraction = micros - seconds * 1_000_000
  let out = `${pad(Math.floor(seconds / 3600), 2)}:${pad(Math.floor(seconds / 60) % 60, 2)}:${pad(seconds % 60, 2)}`
  if (fraction !== 0) out += "." + pad(fraction, 6).replace(/0+$/, "")
  return out
}

/**
 * A UTC offset as PostgreSQL prints it: `+00`, `+05:30`, `-00:09:21` (seconds east of UTC).
 *
 * @internal
 */
export const formatOffset = (secondsEast: number): string => {
  const sign = secondsEast < 0 ? "-" : "+"
  const abs = Math.abs(secondsEast)
  const hours = Math.floor(abs / 3600)
  const minutes = Math.floor(abs / 60) % 60
  const seconds = abs % 60
  return `${sign}${pad(hours, 2)}${minutes !== 0 || seconds !== 0 ? `:${pad(minutes, 2)}` : ""}${seconds !== 0 ? `:${pad(seconds, 2)}` : ""}`
}

const floorDiv = (a: bigint, b: bigint): bigint => {
  const q = a / b
  return a % b < 0n ? q - 1n : q
}

/**
 * PostgreSQL's ISO spelling of a finite timestamp, in UTC when `withZone` (`+00`).
 *
 * @internal
 */
export const formatTimestamp = (micros: bigint, withZone: boolean): string => {
  const days = floorDiv(micros, microsPerDay)
  const { bc, text } = datePart(Number(days))
  return `${text} ${formatTimeOfDay(Number(micros - days * microsPerDay))}${withZone ? "+00" : ""}${bc ? " BC" : ""}`
}

/** ISO 8601 with microseconds and expanded years (`+294276-…`, `-000001-…`), in UTC. */
const isoTimestamp = (micros: bigint): string => {
  const days = floorDiv(micros, microsPerDay)
  const { day, month, year } = civilFromDays(Number(days))
  const yearText = year >= 0 && year <= 9999 ? pad(year, 4) : `${year < 0 ? "-" : "+"}${pad(Math.abs(year), 6)}`
  const tod = Number(micros - days * microsPerDay)
  const seconds = Math.floor(tod / 1_000_000)
  return `${yearText}-${pad(month, 2)}-${pad(day, 2)}T${pad(Math.floor(seconds / 3600), 2)}:${pad(Math.floor(seconds / 60) % 60, 2)}:${
    pad(seconds % 60, 2)
  }.${pad(tod % 1_000_000, 6)}Z`
}

// ---------------------------------------------------------------------------
// Parsing PostgreSQL's ISO DateStyle output

const datePattern = /^(\d{4,})-(\d\d)-(\d\d)( BC)?$/
const timestampPattern =
  /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?)?( BC)?$/

const astronomicalYear = (digits: string, bc: boolean): number => (bc ? 1 - Number(digits) : Number(digits))

/**
 * Days since 1970 of a date in PostgreSQL's ISO spelling; ±Infinity; `undefined` when it is not one.
 *
 * @internal
 */
export const parseDate = (text: string): number | undefined => {
  if (text === "infinity") return Infinity
  if (text === "-infinity") return -Infinity
  const m = datePattern.exec(text)
  if (m === null) return undefined
  const year = astronomicalYear(m[1]!, m[4] !== undefined)
  const month = Number(m[2])
  const day = Number(m[3])
  return isValidDate(year, month, day) ? daysFromCivil(year, month, day) : undefined
}

/**
 * Microseconds since 1970 (UTC) of a timestamp in PostgreSQL's ISO
 * spelling, its offset applied when it has one; PostgreSQL's infinity
 * sentinels for `infinity`; `undefined` when it is not one.
  *
  * @internal
 */
export const parseTimestamp = (text: string): bigint | undefined => {
  if (text === "infinity") return PgTimestamp.infinity.micros
  if (text === "-infinity") return PgTimestamp.negativeInfinity.micros
  const m = timestampPattern.exec(text)
  if (m === null) return undefined
  const year = astronomicalYear(m[1]!, m[12] !== undefined)
  const month = Number(m[2])
  const day = Number(m[3])
  const hours = Number(m[4])
  const minutes = Number(m[5])
  const seconds = Number(m[6])
  if (!isValidDate(year, month, day) || hours > 24 || minutes > 59 || seconds > 60) return undefined
  const fraction = m[7] === undefined ? 0 : Number(m[7].padEnd(6, "0"))
  let micros = BigInt(daysFromCivil(year, month, day)) * microsPerDay +
    BigInt(((hours * 60 + minutes) * 60 + seconds) * 1_000_000 + fraction)
  if (m[8] !== undefined) {
    const offset = (Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0)) * (m[8] === "-" ? -1 : 1)
    micros -= BigInt(offset) * 1_000_000n
  }
  return micros
}

// ---------------------------------------------------------------------------
// PgDate

/**
 * A date exactly as PostgreSQL holds it: whole days since 1970-01-01
 * (negative before), `Infinity` / `-Infinity` for PostgreSQL's `infinity`
 * and `-infinity`. Its whole range (4713 BC to 5874897 AD) fits.
 *
 * @since 0.1.0
 * @category models
 */
export class PgDate {
  /** Days since 1970-01-01; ±Infinity for ±infinity. */
  readonly days: number

  private constructor(days: number) {
    this.days = days
  }

  /** @since 0.1.0 */
  static readonly infinity: PgDate = new PgDate(Infinity)
  /** @since 0.1.0 */
  static readonly negativeInfinity: PgDate = new PgDate(-Infinity)

  /**
   * The date `days` days after 1970-01-01; `undefined` unless `days` is an
   * integer or ±Infinity.
   *
   * @since 0.1.0
   */
  static fromDays(days: number): PgDate | undefined {
    return Number.isInteger(days) || days === Infinity || days === -Infinity ? new PgDate(days) : undefined
  }

  /**
   * A calendar date, with astronomical years (0 is 1 BC, -1 is 2 BC);
   * `undefined` when there is no such day.
   *
   * @since 0.1.0
   */
  static fromParts(year: number, month: number, day: number): PgDate | undefined {
    return isValidDate(year, month, day) ? new PgDate(daysFromCivil(year, month, day)) : undefined
  }

  /**
   * The UTC calendar date of a `Date` (its time of day is dropped);
   * `undefined` for an invalid Date.
   *
   * @since 0.1.0
   */
  static fromDate(date: Date): PgDate | undefined {
    const millis = date.getTime()
    return Number.isNaN(millis) ? undefined : new PgDate(Math.floor(millis / 86_400_000))
  }

  /**
   * Reads PostgreSQL's ISO spelling (`2024-02-29`, `0044-03-15 BC`,
   * `infinity`); `undefined` when `text` is not one.
   *
   * @since 0.1.0
   */
  static parse(text: string): PgDate | undefined {
    const days = parseDate(text)
    return days === undefined ? undefined : new PgDate(days)
  }

  /** @since 0.1.0 */
  get isFinite(): boolean {
    return Number.isFinite(this.days)
  }

  /**
   * Year (astronomical), month (1-12) and day; `undefined` for ±infinity.
   *
   * @since 0.1.0
   */
  toParts(): { readonly year: number; readonly month: number; readonly day: number } | undefined {
    return this.isFinite ? civilFromDays(this.days) : undefined
  }

  /**
   * Midnight UTC of this date as a `Date`; `undefined` for ±infinity and
   * dates beyond a Date's range (±275760 years).
   *
   * @since 0.1.0
   */
  toDate(): Date | undefined {
    const millis = this.days * 86_400_000
    return Number.isFinite(millis) && Math.abs(millis) <= maxDateMillis ? new Date(millis) : undefined
  }

  /**
   * PostgreSQL's ISO spelling: `2024-02-29`, `0001-01-01 BC`, `infinity`.
   *
   * @since 0.1.0
   */
  toString(): string {
    return formatDate(this.days)
  }

  /** @since 0.1.0 */
  toJSON(): string {
    return this.toString()
  }
}

// ---------------------------------------------------------------------------
// PgTimestamp

/**
 * A timestamp exactly as PostgreSQL holds it: microseconds since
 * 1970-01-01 00:00:00 UTC as a bigint. For `timestamp without time zone`
 * the same count is the wall-clock reading taken as UTC. PostgreSQL's
 * `infinity` and `-infinity` are the instances `PgTimestamp.infinity` and
 * `PgTimestamp.negativeInfinity`, whose `micros` lie beyond every finite
 * timestamp (PostgreSQL's own int64 sentinels, moved to the 1970 epoch), so
 * comparing `micros` orders them correctly.
 *
 * @since 0.1.0
 * @category models
 */
export class PgTimestamp {
  /** Microseconds since 1970-01-01 00:00:00 UTC. */
  readonly micros: bigint

  private constructor(micros: bigint) {
    this.micros = micros
  }

  /** @since 0.1.0 */
  static readonly infinity: PgTimestamp = new PgTimestamp(int64Max + postgresEpochMicros)
  /** @since 0.1.0 */
  static readonly negativeInfinity: PgTimestamp = new PgTimestamp(int64Min + postgresEpochMicros)

  /**
   * The timestamp `micros` microseconds after 1970-01-01 00:00:00 UTC.
   *
   * @since 0.1.0
   */
  static fromMicros(micros: bigint): PgTimestamp {
    if (micros === PgTimestamp.infinity.micros) return PgTimestamp.infinity
    if (micros === PgTimestamp.negativeInfinity.micros) return PgTimestamp.negativeInfinity
    return new PgTimestamp(micros)
  }

  /**
   * The instant of a `Date`; `undefined` for an invalid Date.
   *
   * @since 0.1.0
   */
  static fromDate(date: Date): PgTimestamp | undefined {
    const millis = date.getTime()
    return Number.isNaN(millis) ? undefined : new PgTimestamp(BigInt(millis) * 1000n)
  }

  /**
   * Reads PostgreSQL's ISO spelling (`2024-01-02 03:04:05.123456`, with an
   * offset such as `+05:30` for timestamptz, ` BC`, `infinity`); `undefined`
   * when `text` is not one.
   *
   * @since 0.1.0
   */
  static parse(text: string): PgTimestamp | undefined {
    const micros = parseTimestamp(text)
    return micros === undefined ? undefined : PgTimestamp.fromMicros(micros)
  }

  /** @since 0.1.0 */
  get isFinite(): boolean {
    return this !== PgTimestamp.infinity && this !== PgTimestamp.negativeInfinity &&
      this.micros !== PgTimestamp.infinity.micros && this.micros !== PgTimestamp.negativeInfinity.micros
  }

  /**
   * The same instant as a `Date`, the microseconds below a millisecond
   * dropped (rounded toward the past); `undefined` for ±infinity and beyond
   * a Date's range (±275760 years).
   *
   * @since 0.1.0
   */
  toDate(): Date | undefined {
    if (!this.isFinite) return undefined
    const millis = Number(floorDiv(this.micros, 1000n))
    return Math.abs(millis) <= maxDateMillis ? new Date(millis) : undefined
  }

  /**
   * ISO 8601 in UTC with all six fraction digits (`2024-01-02T03:04:05.123456Z`,
   * `+294276-12-31T…`, `-000001-…` for 2 BC); `infinity` / `-infinity`.
   *
   * @since 0.1.0
   */
  toISOString(): string {
    if (this.isFinite) return isoTimestamp(this.micros)
    return this.micros > 0n ? "infinity" : "-infinity"
  }

  /** @since 0.1.0 */
  toString(): string {
    return this.toISOString()
  }

  /** @since 0.1.0 */
  toJSON(): string {
    return this.toISOString()
  }
}
