// JWT dates (`exp`, `nbf`, `iat`) read and written as Cerbos reads and writes them: a number of
// seconds (fraction dropped), a string of digits, or an RFC 3339 string in; an RFC 3339 UTC
// string with second precision out (`2030-01-01T00:00:00Z`), which is what policy conditions see.
// Seconds are bigints because Cerbos accepts years far beyond what a JS Date can hold.

const SECONDS_PER_DAY = 86_400n;
/** Seconds from 0001-01-01 to the Unix epoch: Cerbos's time type overflows past 2^63-1 minus this. */
const INTERNAL_EPOCH_OFFSET = 62_135_596_800n;
const MAX_INT64 = 9_223_372_036_854_775_807n;
const MAX_SECONDS = MAX_INT64 - INTERNAL_EPOCH_OFFSET;

/** Why a value is not a date, or the date in whole seconds since the Unix epoch. */
export type NumericDateResult =
  { readonly ok: true; readonly seconds: bigint } | { readonly ok: false; readonly reason: string };

const fail = (reason: string): NumericDateResult => ({ ok: false, reason });

/** A JSON value of a date claim to whole seconds since the epoch, or why it is not one. */
export function parseNumericDate(value: unknown): NumericDateResult {
  if (typeof value === "number") {
    // Cerbos formats the number with nine decimals and reads it back as text: negative numbers
    // (even -0) carry a sign that text does not allow, and 2^63 and above do not fit
    if (!Number.isFinite(value)) return fail("not a finite number");
    if (value < 0 || Object.is(value, -0)) return fail("negative number of seconds");
    if (value >= 2 ** 63) return fail("number of seconds out of range");
    return fromDigits(value < 1e21 ? value.toFixed(9) : BigInt(value).toString());
  }
  if (typeof value === "string") return parseDateString(value);
  return fail(`expected a number of seconds, got ${value === null ? "null" : typeof value}`);
}

function parseDateString(text: string): NumericDateResult {
  if (!/^[0-9.]*$/.test(text)) return parseRfc3339(text);
  return fromDigits(text);
}

/** Digits with an optional fraction after the first dot; the fraction is dropped, as Cerbos does. */
function fromDigits(text: string): NumericDateResult {
  const dot = text.indexOf(".");
  const whole = dot > 0 ? text.slice(0, dot) : text;
  if (!/^[0-9]+$/.test(whole)) return fail(`\`${text}\` is not a number of seconds`);
  const seconds = BigInt(whole);
  return checkRange(seconds);
}

function checkRange(seconds: bigint): NumericDateResult {
  if (seconds > MAX_SECONDS) return fail("number of seconds out of range");
  return { ok: true, seconds };
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,]\d+)?(?:Z|([+-])(\d{2}):(\d{2}))$/;

function parseRfc3339(text: string): NumericDateResult {
  const m = RFC3339.exec(text);
  if (!m) return fail(`\`${text}\` is neither a number of seconds nor an RFC 3339 time`);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month))
    return fail(`\`${text}\` has no such day`);
  if (hour > 23 || minute > 59 || second > 59) return fail(`\`${text}\` has no such time of day`);
  let offset = 0n;
  if (m[7] !== undefined) {
    const oh = Number(m[8]);
    const om = Number(m[9]);
    if (oh > 23 || om > 59) return fail(`\`${text}\` has an out-of-range zone offset`);
    offset = BigInt((oh * 60 + om) * 60) * (m[7] === "-" ? -1n : 1n);
  }
  const days = daysFromCivil(BigInt(year), BigInt(month), BigInt(day));
  const seconds = days * SECONDS_PER_DAY + BigInt(hour * 3600 + minute * 60 + second) - offset;
  return checkRange(seconds);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

// Floor division for bigints (bigint `/` truncates toward zero).
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function daysFromCivil(year: bigint, month: bigint, day: bigint): bigint {
  const y = month <= 2n ? year - 1n : year;
  const era = floorDiv(y, 400n);
  const yoe = y - era * 400n;
  const mp = (month + 9n) % 12n;
  const doy = (153n * mp + 2n) / 5n + day - 1n;
  const doe = yoe * 365n + yoe / 4n - yoe / 100n + doy;
  return era * 146_097n + doe - 719_468n;
}

function civilFromDays(days: bigint): { year: bigint; month: bigint; day: bigint } {
  const z = days + 719_468n;
  const era = floorDiv(z, 146_097n);
  const doe = z - era * 146_097n;
  const yoe = (doe - doe / 1460n + doe / 36_524n - doe / 146_096n) / 365n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const day = doy - (153n * mp + 2n) / 5n + 1n;
  const month = mp < 10n ? mp + 3n : mp - 9n;
  return { year: yoe + era * 400n + (month <= 2n ? 1n : 0n), month, day };
}

const pad2 = (n: bigint): string => n.toString().padStart(2, "0");

/** Seconds since the epoch as Cerbos prints them: RFC 3339, UTC, years padded to four digits. */
export function formatNumericDate(seconds: bigint): string {
  const days = floorDiv(seconds, SECONDS_PER_DAY);
  const rest = seconds - days * SECONDS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  const y =
    year < 0n ? `-${(-year).toString().padStart(4, "0")}` : year.toString().padStart(4, "0");
  const time = `${pad2(rest / 3600n)}:${pad2((rest % 3600n) / 60n)}:${pad2(rest % 60n)}`;
  return `${y}-${pad2(month)}-${pad2(day)}T${time}Z`;
}
