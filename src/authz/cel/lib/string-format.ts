// `string.format(list)` from cel-go's strings extension (the v2 formatter Cerbos 0.55 ships):
// clauses %s %d %f %e %b %o %x %X and %%, with an optional `.N` precision. Numbers are
// rendered from their exact binary value with Go's round-half-even, so `"%.0f".format([2.5])`
// is "2" as in Go (JS toFixed would say "3"). Messages match the REPL's.

import {
  CelDuration,
  CelError,
  CelTimestamp,
  CelTypeValue,
  CelUint,
  type CelResult,
  type CelValue,
} from "../value.ts";
import { formatDuration, formatTimestamp } from "../time.ts";
import { celTypeName, compareStrings, isCelMap, mapEntries, noSuchOverload } from "./value-ops.ts";

/** x = digits / 10^scale exactly (x finite, non-negative). */
function exactDecimal(x: number): { digits: bigint; scale: number } {
  if (x === 0) return { digits: 0n, scale: 0 };
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const expBits = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (expBits === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = expBits - 1075;
  }
  if (exp >= 0) return { digits: mant << BigInt(exp), scale: 0 };
  // mant / 2^-exp = mant * 5^-exp / 10^-exp
  return { digits: mant * 5n ** BigInt(-exp), scale: -exp };
}

/** Rounds digits/10^scale to `places` decimals, ties to even; returns the scaled integer. */
function roundHalfEven(digits: bigint, scale: number, places: number): bigint {
  if (places >= scale) return digits * 10n ** BigInt(places - scale);
  const div = 10n ** BigInt(scale - places);
  const q = digits / div;
  const r = digits % div;
  const twice = r * 2n;
  if (twice > div || (twice === div && q % 2n === 1n)) return q + 1n;
  return q;
}

function fixed(x: number, places: number): string {
  const neg = x < 0 || Object.is(x, -0);
  const { digits, scale } = exactDecimal(Math.abs(x));
  const n = roundHalfEven(digits, scale, places)
    .toString()
    .padStart(places + 1, "0");
  const body = places > 0 ? `${n.slice(0, n.length - places)}.${n.slice(n.length - places)}` : n;
  return (neg ? "-" : "") + body;
}

function scientific(x: number, places: number): string {
  const neg = x < 0 || Object.is(x, -0);
  const ax = Math.abs(x);
  let exp = ax === 0 ? 0 : Math.floor(Math.log10(ax));
  const { digits, scale } = exactDecimal(ax);
  let mant = 0n;
  for (let attempt = 0; attempt < 3; attempt++) {
    // value / 10^exp rounded to `places` decimals
    mant = roundHalfEven(digits, scale + exp, places);
    const limit = 10n ** BigInt(places + 1);
    if (ax !== 0 && mant >= limit) exp++;
    else if (ax !== 0 && mant < limit / 10n) exp--;
    else break;
  }
  const m = mant.toString().padStart(places + 1, "0");
  const body = places > 0 ? `${m[0]}.${m.slice(1)}` : m;
  const e = Math.abs(exp).toString().padStart(2, "0");
  return `${neg ? "-" : ""}${body}e${exp < 0 ? "-" : "+"}${e}`;
}

/** Go's strconv.FormatFloat(x, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function shortestDecimal(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "NaN" : x > 0 ? "+Inf" : "-Inf";
  if (Object.is(x, -0)) return "-0";
  const s = String(x);
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign = "", int = "", frac = "", expStr = "0"] = m;
  const digits = int + frac;
  const point = int.length + Number(expStr);
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + "0".repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

function nonFinite(x: number): string | undefined {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  return undefined;
}

/** The `%s` rendering of a value, or undefined when %s does not accept its type. */
function asString(v: CelValue): string | undefined {
  if (v === null) return "null";
  if (typeof v === "string") return v;
  if (typeof v === "boolean" || typeof v === "bigint") return String(v);
  // cerbos repl: "%s".format([[double("NaN"), double("Infinity")]]) is "[NaN, Infinity]"
  if (typeof v === "number") return nonFinite(v) ?? shortestDecimal(v);
  if (v instanceof CelUint) return v.value.toString();
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  // cel-go's %s prints timestamps in UTC whatever offset they were written with
  if (v instanceof CelTimestamp) return formatTimestamp(v, 0);
  if (v instanceof CelDuration) return formatDuration(v);
  if (v instanceof CelTypeValue) return v.name;
  if (Array.isArray(v)) {
    const parts: string[] = [];
    for (const e of v as readonly CelValue[]) {
      const s = asString(e);
      if (s === undefined) return undefined;
      parts.push(s);
    }
    return `[${parts.join(", ")}]`;
  }
  if (isCelMap(v)) {
    const parts: [string, string][] = [];
    for (const [k, e] of mapEntries(v)) {
      if (e instanceof CelError) return undefined;
      const ks = asString(k);
      const es = asString(e);
      if (ks === undefined || es === undefined) return undefined;
      parts.push([ks, es]);
    }
    parts.sort((a, b) => compareStrings(a[0], b[0]));
    return `{${parts.map(([k, e]) => `${k}: ${e}`).join(", ")}}`;
  }
  return undefined;
}

function formattingError(msg: string): CelError {
  return new CelError(`error during formatting: ${msg}`);
}

function hex(v: CelValue, upper: boolean): string | CelError {
  let s: string;
  if (typeof v === "bigint") s = v < 0n ? `-${(-v).toString(16)}` : v.toString(16);
  else if (v instanceof CelUint) s = v.value.toString(16);
  else if (typeof v === "string" || v instanceof Uint8Array) {
    const bytes = typeof v === "string" ? new TextEncoder().encode(v) : v;
    s = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  } else {
    return formattingError(
      `only ints, uints, bytes, and strings can be formatted as hex, was given ${celTypeName(v)}`,
    );
  }
  return upper ? s.toUpperCase() : s;
}

function radix(v: CelValue, base: 2 | 8): string | CelError {
  if (typeof v === "bigint") return v < 0n ? `-${(-v).toString(base)}` : v.toString(base);
  if (v instanceof CelUint) return v.value.toString(base);
  if (base === 2 && typeof v === "boolean") return v ? "1" : "0";
  return formattingError(
    base === 8
      ? `octal clause can only be used on ints and uints, was given ${celTypeName(v)}`
      : `only ints, uints, and bools can be formatted as binary, was given ${celTypeName(v)}`,
  );
}

function asNumber(v: CelValue): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (v instanceof CelUint) return Number(v.value);
  return undefined;
}

function clause(verb: string, precision: number | undefined, v: CelValue): string | CelError {
  switch (verb) {
    case "s": {
      const s = asString(v);
      if (s !== undefined) return s;
      return formattingError(
        `string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps, was given ${celTypeName(v)}`,
      );
    }
    case "d": {
      if (typeof v === "bigint") return v.toString();
      if (v instanceof CelUint) return v.value.toString();
      if (typeof v === "number") return nonFinite(v) ?? shortestDecimal(v);
      return formattingError(
        `decimal clause can only be used on ints, uints, and doubles, was given ${celTypeName(v)}`,
      );
    }
    case "f":
    case "e": {
      const n = asNumber(v);
      if (n === undefined) {
        const name = verb === "f" ? "fixed-point" : "scientific";
        return formattingError(
          `${name} clause can only be used on ints, uints, and doubles, was given ${celTypeName(v)}`,
        );
      }
      const nf = nonFinite(n);
      if (nf !== undefined) return nf;
      return verb === "f" ? fixed(n, precision ?? 6) : scientific(n, precision ?? 6);
    }
    case "x":
    case "X":
      return hex(v, verb === "X");
    case "o":
      return radix(v, 8);
    case "b":
      return radix(v, 2);
    default:
      return new CelError(
        `could not parse formatting clause: unrecognized formatting clause "${verb}"`,
      );
  }
}

export function formatString(fmt: CelValue, args: CelValue): CelResult {
  if (typeof fmt !== "string" || !Array.isArray(args)) return noSuchOverload();
  const list = args as readonly CelValue[];
  let out = "";
  let argIndex = 0;
  for (let i = 0; i < fmt.length; i++) {
    const ch = fmt[i] as string;
    if (ch !== "%") {
      out += ch;
      continue;
    }
    i++;
    if (i >= fmt.length) return new CelError("unexpected end of string");
    if (fmt[i] === "%") {
      out += "%";
      continue;
    }
    let precision: number | undefined;
    if (fmt[i] === ".") {
      let j = i + 1;
      while (j < fmt.length && /[0-9]/.test(fmt[j] as string)) j++;
      if (j === i + 1)
        return new CelError("could not parse formatting clause: error while parsing precision");
      precision = Number(fmt.slice(i + 1, j));
      i = j;
      if (i >= fmt.length)
        return new CelError("could not parse formatting clause: unexpected end of string");
    }
    const verb = fmt[i] as string;
    if (!"sdfeoxXb".includes(verb)) {
      return new CelError(
        `could not parse formatting clause: unrecognized formatting clause "${verb}"`,
      );
    }
    if (argIndex >= list.length) return new CelError(`index ${argIndex} out of range`);
    const r = clause(verb, precision, list[argIndex] as CelValue);
    argIndex++;
    if (r instanceof CelError) return r;
    out += r;
  }
  return out;
}
