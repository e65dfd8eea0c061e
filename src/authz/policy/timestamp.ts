// google.protobuf.Timestamp as Cerbos reads it from YAML/JSON: RFC 3339 text parsed with Go's
// time.Parse, whose error messages Cerbos shows verbatim (test suites' `options.now`).

const rfc3339Layout = "2006-01-02T15:04:05.999999999Z07:00";

/**
 * Parses an RFC 3339 timestamp to epoch milliseconds, or gives the message Cerbos prints:
 * `invalid timestamp value "<text>": parsing time "<text>"` followed by Go's detail
 * (`as "<layout>": cannot parse "<rest>" as "<element>"`, `: month out of range`,
 * `: extra text: "..."`).
 */
export function parseTimestamp(
  text: string,
): { readonly millis: number } | { readonly error: string } {
  try {
    return { millis: parseRfc3339(text) };
  } catch (e) {
    if (e instanceof TimestampError)
      return { error: `invalid timestamp value "${text}": parsing time "${text}"${e.message}` };
    throw e;
  }
}

// Thrown only inside this module to leave the parse at the first problem, as time.Parse does.
class TimestampError extends Error {}

function parseRfc3339(text: string): number {
  const fail = (detail: string): never => {
    throw new TimestampError(detail);
  };
  const cannot = (rest: string, elem: string): never =>
    fail(` as "${rfc3339Layout}": cannot parse "${rest}" as "${elem}"`);
  let rest = text;
  const digits = (n: number, elem: string): number => {
    const m = new RegExp(`^\\d{${n}}`, "u").exec(rest);
    if (!m) return cannot(rest, elem);
    rest = rest.slice(n);
    return Number(m[0]);
  };
  const literal = (c: string): void => {
    if (!rest.startsWith(c)) cannot(rest, c);
    rest = rest.slice(c.length);
  };
  const year = digits(4, "2006");
  literal("-");
  const month = digits(2, "01");
  if (month < 1 || month > 12) fail(": month out of range");
  literal("-");
  const day = digits(2, "02");
  literal("T");
  const hour = digits(2, "15");
  if (hour > 23) fail(": hour out of range");
  literal(":");
  const minute = digits(2, "04");
  if (minute > 59) fail(": minute out of range");
  literal(":");
  const second = digits(2, "05");
  if (second > 59) fail(": second out of range");
  let nanos = 0;
  const frac = /^[.,](\d+)/u.exec(rest);
  if (frac) {
    nanos = Number(frac[1]!.slice(0, 9).padEnd(9, "0"));
    rest = rest.slice(frac[0].length);
  }
  let offsetMinutes = 0;
  if (rest.startsWith("Z")) rest = rest.slice(1);
  else {
    const tz = /^([+-])(\d{2}):(\d{2})/u.exec(rest);
    if (!tz) return cannot(rest, "Z07:00");
    offsetMinutes = (tz[1] === "-" ? -1 : 1) * (Number(tz[2]) * 60 + Number(tz[3]));
    rest = rest.slice(tz[0].length);
  }
  if (rest !== "") fail(`: extra text: "${rest}"`);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) fail(": day out of range");
  const utc = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC maps years 0-99 to 1900-1999; set the year explicitly.
  const date = new Date(utc);
  date.setUTCFullYear(year);
  return date.getTime() - offsetMinutes * 60_000 + Math.floor(nanos / 1e6);
}
