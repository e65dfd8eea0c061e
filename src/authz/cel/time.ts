// Timestamps and durations: RFC 3339 and Go duration parsing and formatting, arithmetic
// with cel-go's range checks, and calendar fields in a time zone (IANA names via Intl, or
// fixed offsets like "+05:30").

import { CelDuration, CelError, CelTimestamp } from "./value.ts";

/** cel-go's valid timestamp range: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z. */
const MIN_TS_SECONDS = -62135596800;
const MAX_TS_SECONDS = 253402300799;
const NS_PER_S = 1_000_000_000n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(z: number): { year: number; month: number; day: number } {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 timestamp as Go's time.Parse(time.RFC3339) does; undefined if invalid. */
export function parseTimestampLiteral(s: string): CelTimestamp | undefined {
  const m = RFC3339.exec(s);
  if (m === null) return undefined;
  const [year, month, day, hour, min, sec] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || min > 59 || sec > 59) return undefined;
  const dim = month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (day > dim) return undefined;
  let offset = 0;
  const zone = m[8]!;
  if (zone !== "Z") {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return undefined;
    offset = (oh * 3600 + om * 60) * (zone[0] === "-" ? -1 : 1);
  }
  const seconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec - offset;
  // Go accepts more than nine fractional digits and truncates them.
  const nanos = m[7] === undefined ? 0 : Number(m[7].slice(0, 9).padEnd(9, "0"));
  if (seconds < MIN_TS_SECONDS || seconds > MAX_TS_SECONDS) return undefined;
  return new CelTimestamp(seconds, nanos, offset / 60);
}

export function makeTimestamp(seconds: number, nanos: number): CelTimestamp | CelError {
  if (seconds < MIN_TS_SECONDS || seconds > MAX_TS_SECONDS)
    return new CelError("timestamp overflow");
  return new CelTimestamp(seconds, nanos);
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, "0");
}

/**
 * RFC 3339 with nanoseconds and trailing zeros trimmed (Go's RFC3339Nano), at the timestamp's
 * own UTC offset unless another is given (`Z` for offset 0).
 */
export function formatTimestamp(ts: CelTimestamp, offsetMinutes = ts.offsetMinutes): string {
  const local = ts.seconds + offsetMinutes * 60;
  const days = Math.floor(local / 86400);
  const rem = local - days * 86400;
  const { year, month, day } = civilFromDays(days);
  let frac = "";
  if (ts.nanos !== 0) frac = "." + pad(ts.nanos, 9).replace(/0+$/, "");
  const abs = Math.abs(offsetMinutes);
  const zone =
    offsetMinutes === 0
      ? "Z"
      : `${offsetMinutes < 0 ? "-" : "+"}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(Math.floor(rem / 3600), 2)}:${pad(Math.floor((rem % 3600) / 60), 2)}:${pad(rem % 60, 2)}${frac}${zone}`;
}

export function durationToNanos(d: CelDuration): bigint {
  return BigInt(d.seconds) * NS_PER_S + BigInt(d.nanos);
}

export function timestampToNanos(t: CelTimestamp): bigint {
  return BigInt(t.seconds) * NS_PER_S + BigInt(t.nanos);
}

/** A duration from nanoseconds; errors outside int64 nanoseconds as cel-go does. */
export function durationFromNanos(ns: bigint): CelDuration | CelError {
  if (ns < INT64_MIN || ns > INT64_MAX) return new CelError("integer overflow");
  const seconds = ns / NS_PER_S;
  return new CelDuration(Number(seconds), Number(ns - seconds * NS_PER_S));
}

/** A timestamp from nanoseconds since the epoch, at the given UTC offset (for formatting). */
export function timestampFromNanos(ns: bigint, offsetMinutes = 0): CelTimestamp | CelError {
  let seconds = ns / NS_PER_S;
  let nanos = ns - seconds * NS_PER_S;
  if (nanos < 0n) {
    nanos += NS_PER_S;
    seconds -= 1n;
  }
  if (seconds < BigInt(MIN_TS_SECONDS) || seconds > BigInt(MAX_TS_SECONDS))
    return new CelError("timestamp overflow");
  return new CelTimestamp(Number(seconds), Number(nanos), offsetMinutes);
}

const UNIT_NANOS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  µs: 1000n,
  μs: 1000n,
  ms: 1_000_000n,
  s: NS_PER_S,
  m: 60n * NS_PER_S,
  h: 3600n * NS_PER_S,
};

/** Parses a Go duration string (`1h30m`, `-1.5s`, `300ms`); undefined if invalid or out of range. */
export function parseDurationLiteral(s: string): CelDuration | undefined {
  let i = 0;
  let neg = false;
  if (s[0] === "-" || s[0] === "+") {
    neg = s[0] === "-";
    i = 1;
  }
  if (s.slice(i) === "0") return new CelDuration(0, 0);
  if (i >= s.length) return undefined;
  let total = 0n;
  const re = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;
  while (i < s.length) {
    const m = re.exec(s.slice(i));
    if (m === null || (m[1] === "" && (m[2] === undefined || m[2] === ""))) return undefined;
    const unit = UNIT_NANOS[m[3]!]!;
    const whole = BigInt(m[1] === "" ? "0" : m[1]!);
    let v = whole * unit;
    if (m[2] !== undefined && m[2] !== "") {
      const frac = m[2];
      v += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    }
    total += v;
    if (total > INT64_MAX + (neg ? 1n : 0n)) return undefined;
    i += m[0].length;
  }
  const d = durationFromNanos(neg ? -total : total);
  return d instanceof CelError ? undefined : d;
}

/** cel-go's string form of a duration: seconds with up to 9 fractional digits, e.g. "1.5s". */
export function formatDuration(d: CelDuration): string {
  const ns = durationToNanos(d);
  const neg = ns < 0n;
  const abs = neg ? -ns : ns;
  const secs = abs / NS_PER_S;
  const frac = abs % NS_PER_S;
  let s = secs.toString();
  if (frac !== 0n) s += "." + frac.toString().padStart(9, "0").replace(/0+$/, "");
  return `${neg ? "-" : ""}${s}s`;
}

export interface CalendarFields {
  readonly year: number;
  readonly month: number; // 1-12
  readonly day: number; // 1-31
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
  readonly dayOfWeek: number; // 0 = Sunday
  readonly dayOfYear: number; // 0-based
}

const formatters = new Map<string, Intl.DateTimeFormat | null>();

function zoneFormatter(tz: string): Intl.DateTimeFormat | null {
  let f = formatters.get(tz);
  if (f !== undefined) return f;
  try {
    // Go's zone names are case-sensitive while Intl's are not: reject a mere case variant.
    const resolved = new Intl.DateTimeFormat("en-US", { timeZone: tz }).resolvedOptions().timeZone;
    if (resolved !== tz && resolved.toLowerCase() === tz.toLowerCase()) throw new RangeError(tz);
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      era: "short",
    });
  } catch {
    f = null;
  }
  formatters.set(tz, f);
  return f;
}

const FIXED_OFFSET = /^([+-])?(\d{2}):(\d{2})$/;

function fieldsFromLocalSeconds(local: number): CalendarFields {
  const days = Math.floor(local / 86400);
  const rem = local - days * 86400;
  const { year, month, day } = civilFromDays(days);
  return {
    year,
    month,
    day,
    hours: Math.floor(rem / 3600),
    minutes: Math.floor((rem % 3600) / 60),
    seconds: rem % 60,
    dayOfWeek: (((days + 4) % 7) + 7) % 7,
    dayOfYear: days - daysFromCivil(year, 1, 1),
  };
}

/** Calendar fields of a timestamp in UTC or the given zone; an error for unknown zones. */
export function calendarFields(ts: CelTimestamp, tz?: string): CalendarFields | CelError {
  // Go's time.LoadLocation: "" and "UTC" are UTC, "Local" is the server zone (UTC for Cerbos in containers).
  if (tz === undefined || tz === "UTC" || tz === "" || tz === "Local")
    return fieldsFromLocalSeconds(ts.seconds);
  const fixed = FIXED_OFFSET.exec(tz);
  if (fixed !== null) {
    const off = (Number(fixed[2]) * 3600 + Number(fixed[3]) * 60) * (fixed[1] === "-" ? -1 : 1);
    return fieldsFromLocalSeconds(ts.seconds + off);
  }
  const f = zoneFormatter(tz);
  if (f === null) return new CelError(`unknown time zone ${tz}`);
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(new Date(ts.seconds * 1000))) parts[p.type] = p.value;
  let year = Number(parts["year"]);
  if (parts["era"] === "BC" || parts["era"] === "B") year = 1 - year;
  const local =
    daysFromCivil(year, Number(parts["month"]), Number(parts["day"])) * 86400 +
    Number(parts["hour"]) * 3600 +
    Number(parts["minute"]) * 60 +
    Number(parts["second"]);
  return fieldsFromLocalSeconds(local);
}
