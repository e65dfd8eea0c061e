// Timestamp and duration accessors of the standard library (getFullYear, getHours, ...),
// each with an optional time zone argument for timestamps, as cel-go defines them.

import type { FunctionDecl, Overload } from "../library.ts";
import { calendarFields, durationToNanos, type CalendarFields } from "../time.ts";
import { T } from "../types.ts";
import {
  CelError,
  type CelDuration,
  type CelResult,
  type CelTimestamp,
  type CelValue,
} from "../value.ts";

function timestampGetter(
  name: string,
  idBase: string,
  pick: (f: CalendarFields, ts: CelTimestamp) => number,
): FunctionDecl {
  const get = (ts: CelTimestamp, tz?: string): CelResult => {
    const f = calendarFields(ts, tz);
    return f instanceof CelError ? f : BigInt(pick(f, ts));
  };
  const overloads: Overload[] = [
    {
      id: `timestamp_to_${idBase}`,
      receiver: T.timestamp,
      params: [],
      result: T.int,
      impl: ((ts: CelTimestamp) => get(ts)) as (...a: CelValue[]) => CelResult,
    },
    {
      id: `timestamp_to_${idBase}_with_tz`,
      receiver: T.timestamp,
      params: [T.string],
      result: T.int,
      impl: ((ts: CelTimestamp, tz: string) => get(ts, tz)) as (...a: CelValue[]) => CelResult,
    },
  ];
  return { name, overloads };
}

function durationGetter(idBase: string, unitNanos: bigint): Overload {
  return {
    id: `duration_to_${idBase}`,
    receiver: T.duration,
    params: [],
    result: T.int,
    impl: ((d: CelDuration) => durationToNanos(d) / unitNanos) as (...a: CelValue[]) => CelResult,
  };
}

function withDuration(decl: FunctionDecl, o: Overload): FunctionDecl {
  return { name: decl.name, overloads: [...decl.overloads, o] };
}

export const timestampFunctions: readonly FunctionDecl[] = [
  timestampGetter("getFullYear", "year", (f) => f.year),
  timestampGetter("getMonth", "month", (f) => f.month - 1),
  timestampGetter("getDayOfMonth", "day_of_month", (f) => f.day - 1),
  timestampGetter("getDate", "day_of_month_1_based", (f) => f.day),
  timestampGetter("getDayOfWeek", "day_of_week", (f) => f.dayOfWeek),
  timestampGetter("getDayOfYear", "day_of_year", (f) => f.dayOfYear),
  withDuration(
    timestampGetter("getHours", "hours", (f) => f.hours),
    durationGetter("hours", 3_600_000_000_000n),
  ),
  withDuration(
    timestampGetter("getMinutes", "minutes", (f) => f.minutes),
    durationGetter("minutes", 60_000_000_000n),
  ),
  withDuration(
    timestampGetter("getSeconds", "seconds", (f) => f.seconds),
    durationGetter("seconds", 1_000_000_000n),
  ),
  withDuration(
    timestampGetter("getMilliseconds", "milliseconds", (_f, ts) =>
      Math.floor(ts.nanos / 1_000_000),
    ),
    durationGetter("milliseconds", 1_000_000n),
  ),
];
