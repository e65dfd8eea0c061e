// CEL equality and ordering as cel-go implements them with heterogeneous numeric
// equality: int, uint and double compare by mathematical value; values of different
// types are unequal (never an error); lists and maps compare element-wise.

import { isCelMap, mapEntries, mapGet, mapSize } from "./maps.ts";
import {
  CelDuration,
  CelError,
  CelOptional,
  CelTimestamp,
  CelTypeValue,
  CelUint,
  type CelOpaqueValue,
  type CelValue,
} from "./value.ts";

/** Compares an int or uint with a double the way cel-go does: the integer converted to double. */
function compareIntDouble(i: bigint, d: number): number | undefined {
  if (Number.isNaN(d)) return undefined;
  const x = Number(i);
  return x < d ? -1 : x > d ? 1 : 0;
}

/** Numeric comparison across int/uint/double; undefined when not numbers or unordered (NaN). */
export function compareNumbers(a: CelValue, b: CelValue): number | undefined {
  const ai = typeof a === "bigint" ? a : a instanceof CelUint ? a.value : undefined;
  const bi = typeof b === "bigint" ? b : b instanceof CelUint ? b.value : undefined;
  if (ai !== undefined && bi !== undefined) return ai < bi ? -1 : ai > bi ? 1 : 0;
  if (typeof a === "number") {
    if (typeof b === "number")
      return Number.isNaN(a) || Number.isNaN(b) ? undefined : a < b ? -1 : a > b ? 1 : 0;
    if (bi !== undefined) {
      const c = compareIntDouble(bi, a);
      return c === undefined ? undefined : -c;
    }
    return undefined;
  }
  if (ai !== undefined && typeof b === "number") return compareIntDouble(ai, b);
  return undefined;
}

function isNumber(v: CelValue): boolean {
  return typeof v === "bigint" || typeof v === "number" || v instanceof CelUint;
}

/** Compares two strings by Unicode code point (UTF-16 order differs above the BMP). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      const xs = x >= 0xd800 && x < 0xe000;
      const ys = y >= 0xd800 && y < 0xe000;
      if (xs !== ys) return xs ? 1 : -1;
      return x < y ? -1 : 1;
    }
  }
  return a.length < b.length ? -1 : 1;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function compareSecondsNanos(
  a: { seconds: number; nanos: number },
  b: { seconds: number; nanos: number },
): number {
  if (a.seconds !== b.seconds) return a.seconds < b.seconds ? -1 : 1;
  return a.nanos === b.nanos ? 0 : a.nanos < b.nanos ? -1 : 1;
}

/**
 * Ordering for `<`, `<=`, `>`, `>=`: numbers across types, strings, bytes, bools, timestamps,
 * durations. `undefined` means the pair has no ordering (an error, or false for NaN).
 */
export function celCompare(a: CelValue, b: CelValue): number | undefined {
  if (typeof a === "string" && typeof b === "string") return compareStrings(a, b);
  if (isNumber(a)) return compareNumbers(a, b);
  if (typeof a === "boolean" && typeof b === "boolean") return a === b ? 0 : a ? 1 : -1;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return compareBytes(a, b);
  if (a instanceof CelTimestamp && b instanceof CelTimestamp) return compareSecondsNanos(a, b);
  if (a instanceof CelDuration && b instanceof CelDuration) return compareSecondsNanos(a, b);
  return undefined;
}

/** Whether the pair can be ordered at all (NaN pairs are orderable types but unordered). */
export function isOrderablePair(a: CelValue, b: CelValue): boolean {
  if (isNumber(a)) return isNumber(b);
  if (typeof a === "string" || typeof a === "boolean") return typeof b === typeof a;
  if (a instanceof Uint8Array) return b instanceof Uint8Array;
  if (a instanceof CelTimestamp) return b instanceof CelTimestamp;
  if (a instanceof CelDuration) return b instanceof CelDuration;
  return false;
}

function isOpaque(v: CelValue): v is CelOpaqueValue {
  return (
    typeof v === "object" &&
    v !== null &&
    "celTypeName" in v &&
    typeof (v as CelOpaqueValue).celEquals === "function"
  );
}

/** CEL `==`. Never fails: values of unrelated types are unequal. */
export function celEquals(a: CelValue, b: CelValue): boolean {
  // Not for lists and maps: the same list holding NaN is unequal to itself, as in cel-go.
  if (a === b && (typeof a !== "object" || !(Array.isArray(a) || isCelMap(a))))
    return typeof a !== "number" || !Number.isNaN(a);
  switch (typeof a) {
    case "string":
    case "boolean":
      return false;
    case "bigint":
    case "number":
      return compareNumbers(a, b) === 0;
    default:
      break;
  }
  if (a === null || b === null) return false;
  if (a instanceof CelUint) return compareNumbers(a, b) === 0;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++)
      if (!celEquals(a[i] as CelValue, b[i] as CelValue)) return false;
    return true;
  }
  if (a instanceof Uint8Array) return b instanceof Uint8Array && compareBytes(a, b) === 0;
  if (a instanceof CelTimestamp)
    return b instanceof CelTimestamp && compareSecondsNanos(a, b) === 0;
  if (a instanceof CelDuration) return b instanceof CelDuration && compareSecondsNanos(a, b) === 0;
  if (a instanceof CelTypeValue) return b instanceof CelTypeValue && a.name === b.name;
  if (a instanceof CelOptional) {
    if (!(b instanceof CelOptional)) return false;
    if (a.value === undefined || b.value === undefined) return a.value === b.value;
    return celEquals(a.value, b.value);
  }
  if (isOpaque(a)) return isOpaque(b) && a.celTypeName === b.celTypeName && a.celEquals(b);
  if (isCelMap(a)) {
    if (!isCelMap(b) || mapSize(a) !== mapSize(b)) return false;
    for (const [k, v] of mapEntries(a)) {
      const w = mapGet(b, k);
      if (w === undefined || v instanceof CelError || w instanceof CelError) return false;
      if (!celEquals(v, w)) return false;
    }
    return true;
  }
  return false;
}
