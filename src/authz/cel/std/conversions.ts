// Type conversion functions of the standard library (int(), uint(), double(), string(),
// bytes(), bool(), timestamp(), duration(), dyn(), type()) with cel-go's range checks and
// error messages.

import type { FunctionDecl, Overload } from "../library.ts";
import { runtimeTypeName } from "../maps.ts";
import {
  formatTimestamp,
  makeTimestamp,
  parseDurationLiteral,
  parseTimestampLiteral,
} from "../time.ts";
import { T, type CelType } from "../types.ts";
import type { CelDuration, CelTimestamp } from "../value.ts";
import { CelError, CelTypeValue, CelUint, type CelResult, type CelValue } from "../value.ts";
import { checkedInt, intOverflow, uintOverflow } from "./operators.ts";

function op(
  id: string,
  params: CelType[],
  result: CelType,
  impl: (...args: never[]) => CelResult,
): Overload {
  return { id, params, result, impl: impl as (...args: CelValue[]) => CelResult };
}

const identity = (v: CelValue): CelValue => v;

const INT_PATTERN = /^[+-]?\d+$/;

function conversionError(from: string, to: string): CelError {
  return new CelError(`type conversion error from '${from}' to '${to}'`);
}

/** double -> int64 as cel-go does: truncate, error when outside the int64 range or NaN. */
function doubleToInt(d: number): bigint | CelError {
  // 2^63 is exactly representable; anything at or above it overflows.
  if (!Number.isFinite(d) || d <= -9223372036854775808.0 || d >= 9223372036854775808.0)
    return intOverflow;
  return BigInt(Math.trunc(d));
}

function doubleToUint(d: number): CelUint | CelError {
  if (!Number.isFinite(d) || d < 0 || d >= 18446744073709551616.0) return uintOverflow;
  return new CelUint(BigInt(Math.trunc(d)));
}

/** Go's strconv.FormatFloat(f, 'g', -1, 64)-like rendering used by string(double). */
export function formatDouble(d: number): string {
  if (Number.isNaN(d)) return "NaN";
  if (d === Infinity) return "+Inf";
  if (d === -Infinity) return "-Inf";
  if (d === 0) return Object.is(d, -0) ? "-0" : "0";
  const exp = d.toExponential(); // shortest round-trip digits: "1.2345e+6"
  const [mant, e] = exp.split("e") as [string, string];
  const x = Number(e);
  if (x < -4 || x >= 6) {
    return `${mant}e${x < 0 ? "-" : "+"}${String(Math.abs(x)).padStart(2, "0")}`;
  }
  return String(d);
}

/**
 * string(duration) as cel-go computes it: the seconds as a float64, printed in the shortest
 * fixed-point form (strconv.FormatFloat(d.Seconds(), 'f', -1, 64)), so durations with more
 * than about 16 significant digits lose their last nanoseconds (cerbos repl:
 * string(duration("-6325070632.851248742s")) is "-6325070632.851249s").
 */
export function durationToString(d: CelDuration): string {
  // Go's Duration.Seconds(): whole seconds plus the nanoseconds divided by 1e9, in float64.
  const x = d.seconds + d.nanos / 1e9;
  const text = String(x);
  const m = /^(-?)(\d)(?:\.(\d+))?e-(\d+)$/.exec(text);
  // Durations stay far below 1e21, so only tiny values print with an exponent in JavaScript.
  if (m === null) return `${text}s`;
  const [, sign = "", first = "", rest = "", exp = "0"] = m;
  return `${sign}0.${"0".repeat(Number(exp) - 1)}${first}${rest}s`;
}

const FLOAT_PATTERN = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)$/i;

function parseDouble(input: string): number | undefined {
  // Go's ParseFloat accepts underscores between digits.
  const s = /^[+-]?\d+(?:_\d+)+(?:\.\d*)?$/.test(input) ? input.replaceAll("_", "") : input;
  if (!FLOAT_PATTERN.test(s)) return undefined;
  const lower = s.toLowerCase().replace(/^\+/, "");
  if (lower === "inf" || lower === "infinity") return Infinity;
  if (lower === "-inf" || lower === "-infinity") return -Infinity;
  if (lower.endsWith("nan")) return NaN;
  const d = Number(s);
  // Go's ParseFloat reports out-of-range values as an error rather than infinity.
  return Number.isFinite(d) ? d : undefined;
}

const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

const BOOL_STRINGS: Record<string, boolean> = {
  "1": true,
  t: true,
  T: true,
  true: true,
  TRUE: true,
  True: true,
  "0": false,
  f: false,
  F: false,
  false: false,
  FALSE: false,
  False: false,
};

export const conversionFunctions: readonly FunctionDecl[] = [
  {
    name: "int",
    overloads: [
      op("int64_to_int64", [T.int], T.int, identity),
      op("uint64_to_int64", [T.uint], T.int, (u: CelUint) => checkedInt(u.value)),
      op("double_to_int64", [T.double], T.int, doubleToInt),
      op("string_to_int64", [T.string], T.int, (s: string) => {
        const v = INT_PATTERN.test(s) ? checkedInt(BigInt(s)) : undefined;
        return typeof v === "bigint" ? v : conversionError("string", "int");
      }),
      op("timestamp_to_int64", [T.timestamp], T.int, (t: CelTimestamp) => BigInt(t.seconds)),
      // cel-go holds a duration as int64 nanoseconds and converts it as such (cerbos repl:
      // int(duration("5s")) is 5000000000).
      op("duration_to_int64", [T.duration], T.int, (d: CelDuration) =>
        checkedInt(BigInt(d.seconds) * 1_000_000_000n + BigInt(d.nanos)),
      ),
    ],
  },
  {
    name: "uint",
    overloads: [
      op("uint64_to_uint64", [T.uint], T.uint, identity),
      op("int64_to_uint64", [T.int], T.uint, (i: bigint) =>
        i < 0n ? uintOverflow : new CelUint(i),
      ),
      op("double_to_uint64", [T.double], T.uint, doubleToUint),
      op("string_to_uint64", [T.string], T.uint, (s: string) => {
        if (!/^\d+$/.test(s)) return conversionError("string", "uint");
        const v = BigInt(s);
        return v >= 1n << 64n ? conversionError("string", "uint") : new CelUint(v);
      }),
    ],
  },
  {
    name: "double",
    overloads: [
      op("double_to_double", [T.double], T.double, identity),
      op("int64_to_double", [T.int], T.double, (i: bigint) => Number(i)),
      op("uint64_to_double", [T.uint], T.double, (u: CelUint) => Number(u.value)),
      op(
        "string_to_double",
        [T.string],
        T.double,
        (s: string) => parseDouble(s) ?? conversionError("string", "double"),
      ),
    ],
  },
  {
    name: "string",
    overloads: [
      op("string_to_string", [T.string], T.string, identity),
      op("int64_to_string", [T.int], T.string, (i: bigint) => i.toString()),
      op("uint64_to_string", [T.uint], T.string, (u: CelUint) => u.value.toString()),
      op("double_to_string", [T.double], T.string, formatDouble),
      op("bool_to_string", [T.bool], T.string, (b: boolean) => String(b)),
      op("bytes_to_string", [T.bytes], T.string, (b: Uint8Array) => {
        try {
          return decoder.decode(b);
        } catch {
          return new CelError("invalid UTF-8 in bytes, cannot convert to string");
        }
      }),
      op("timestamp_to_string", [T.timestamp], T.string, formatTimestamp),
      op("duration_to_string", [T.duration], T.string, durationToString),
    ],
  },
  {
    name: "bytes",
    overloads: [
      op("bytes_to_bytes", [T.bytes], T.bytes, identity),
      op("string_to_bytes", [T.string], T.bytes, (s: string) => encoder.encode(s)),
    ],
  },
  {
    name: "bool",
    overloads: [
      op("bool_to_bool", [T.bool], T.bool, identity),
      op(
        "string_to_bool",
        [T.string],
        T.bool,
        (s: string) => BOOL_STRINGS[s] ?? conversionError("string", "bool"),
      ),
    ],
  },
  {
    name: "timestamp",
    overloads: [
      op("timestamp_to_timestamp", [T.timestamp], T.timestamp, identity),
      op(
        "string_to_timestamp",
        [T.string],
        T.timestamp,
        (s: string) =>
          parseTimestampLiteral(s) ??
          new CelError(`invalid RFC 3339 timestamp ${JSON.stringify(s)}`),
      ),
      op("int64_to_timestamp", [T.int], T.timestamp, (i: bigint) =>
        i < -(1n << 53n) || i > 1n << 53n
          ? new CelError("timestamp overflow")
          : makeTimestamp(Number(i), 0),
      ),
    ],
  },
  {
    name: "duration",
    overloads: [
      op("duration_to_duration", [T.duration], T.duration, identity),
      op(
        "string_to_duration",
        [T.string],
        T.duration,
        (s: string) =>
          parseDurationLiteral(s) ?? conversionError("string", "google.protobuf.Duration"),
      ),
    ],
  },
  { name: "dyn", overloads: [op("to_dyn", [T.param("A")], T.dyn, identity)] },
  {
    name: "type",
    overloads: [
      op(
        "type",
        [T.param("A")],
        T.type(T.param("A")),
        (v: CelValue) => new CelTypeValue(runtimeTypeName(v)),
      ),
    ],
  },
];
