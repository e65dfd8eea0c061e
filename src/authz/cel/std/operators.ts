// The standard operators as library overloads: arithmetic with cel-go's overflow errors,
// ordering across numeric types (Cerbos enables cross-type comparisons), equality, `in`,
// logical not and negation.

import { celCompare, celEquals } from "../equality.ts";
import type { FunctionDecl, Overload } from "../library.ts";
import { mapHas } from "../maps.ts";
import {
  durationFromNanos,
  durationToNanos,
  timestampFromNanos,
  timestampToNanos,
} from "../time.ts";
import { T, type CelType } from "../types.ts";
import type { CelDuration, CelTimestamp } from "../value.ts";
import { CelError, CelUint, type CelMapValue, type CelResult, type CelValue } from "../value.ts";

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

export const intOverflow = new CelError("integer overflow");
export const uintOverflow = new CelError("unsigned integer overflow");

export function checkedInt(v: bigint): bigint | CelError {
  return v < INT64_MIN || v > INT64_MAX ? intOverflow : v;
}
export function checkedUint(v: bigint): CelUint | CelError {
  return v < 0n || v > UINT64_MAX ? uintOverflow : new CelUint(v);
}

const A = T.param("A");
const B = T.param("B");

function op(
  id: string,
  params: CelType[],
  result: CelType,
  impl: (...args: never[]) => CelResult,
): Overload {
  return { id, params, result, impl: impl as (...args: CelValue[]) => CelResult };
}

type Ts = CelTimestamp;
type Du = CelDuration;

const add: FunctionDecl = {
  name: "_+_",
  overloads: [
    op("add_int64", [T.int, T.int], T.int, (a: bigint, b: bigint) => checkedInt(a + b)),
    op("add_uint64", [T.uint, T.uint], T.uint, (a: CelUint, b: CelUint) =>
      checkedUint(a.value + b.value),
    ),
    op("add_double", [T.double, T.double], T.double, (a: number, b: number) => a + b),
    op("add_string", [T.string, T.string], T.string, (a: string, b: string) => a + b),
    op("add_bytes", [T.bytes, T.bytes], T.bytes, (a: Uint8Array, b: Uint8Array) => {
      const r = new Uint8Array(a.length + b.length);
      r.set(a);
      r.set(b, a.length);
      return r;
    }),
    op("add_list", [T.list(A), T.list(A)], T.list(A), (a: CelValue[], b: CelValue[]) =>
      a.length === 0 ? b : b.length === 0 ? a : [...a, ...b],
    ),
    op("add_timestamp_duration", [T.timestamp, T.duration], T.timestamp, (a: Ts, b: Du) =>
      timestampFromNanos(timestampToNanos(a) + durationToNanos(b), a.offsetMinutes),
    ),
    op("add_duration_timestamp", [T.duration, T.timestamp], T.timestamp, (a: Du, b: Ts) =>
      timestampFromNanos(timestampToNanos(b) + durationToNanos(a), b.offsetMinutes),
    ),
    op("add_duration_duration", [T.duration, T.duration], T.duration, (a: Du, b: Du) =>
      durationFromNanos(durationToNanos(a) + durationToNanos(b)),
    ),
  ],
};

const subtract: FunctionDecl = {
  name: "_-_",
  overloads: [
    op("subtract_int64", [T.int, T.int], T.int, (a: bigint, b: bigint) => checkedInt(a - b)),
    op("subtract_uint64", [T.uint, T.uint], T.uint, (a: CelUint, b: CelUint) =>
      checkedUint(a.value - b.value),
    ),
    op("subtract_double", [T.double, T.double], T.double, (a: number, b: number) => a - b),
    op("subtract_timestamp_timestamp", [T.timestamp, T.timestamp], T.duration, (a: Ts, b: Ts) =>
      durationFromNanos(timestampToNanos(a) - timestampToNanos(b)),
    ),
    op("subtract_timestamp_duration", [T.timestamp, T.duration], T.timestamp, (a: Ts, b: Du) =>
      timestampFromNanos(timestampToNanos(a) - durationToNanos(b), a.offsetMinutes),
    ),
    op("subtract_duration_duration", [T.duration, T.duration], T.duration, (a: Du, b: Du) =>
      durationFromNanos(durationToNanos(a) - durationToNanos(b)),
    ),
  ],
};

const multiply: FunctionDecl = {
  name: "_*_",
  overloads: [
    op("multiply_int64", [T.int, T.int], T.int, (a: bigint, b: bigint) => checkedInt(a * b)),
    op("multiply_uint64", [T.uint, T.uint], T.uint, (a: CelUint, b: CelUint) =>
      checkedUint(a.value * b.value),
    ),
    op("multiply_double", [T.double, T.double], T.double, (a: number, b: number) => a * b),
  ],
};

const divide: FunctionDecl = {
  name: "_/_",
  overloads: [
    op("divide_int64", [T.int, T.int], T.int, (a: bigint, b: bigint) =>
      b === 0n ? new CelError("division by zero") : checkedInt(a / b),
    ),
    op("divide_uint64", [T.uint, T.uint], T.uint, (a: CelUint, b: CelUint) =>
      b.value === 0n ? new CelError("division by zero") : new CelUint(a.value / b.value),
    ),
    op("divide_double", [T.double, T.double], T.double, (a: number, b: number) => a / b),
  ],
};

const modulo: FunctionDecl = {
  name: "_%_",
  overloads: [
    op("modulo_int64", [T.int, T.int], T.int, (a: bigint, b: bigint) => {
      if (b === 0n) return new CelError("modulus by zero");
      if (b === -1n && a === INT64_MIN) return intOverflow;
      return a % b;
    }),
    op("modulo_uint64", [T.uint, T.uint], T.uint, (a: CelUint, b: CelUint) =>
      b.value === 0n ? new CelError("modulus by zero") : new CelUint(a.value % b.value),
    ),
  ],
};

const negate: FunctionDecl = {
  name: "-_",
  overloads: [
    op("negate_int64", [T.int], T.int, (a: bigint) => checkedInt(-a)),
    op("negate_double", [T.double], T.double, (a: number) => -a),
  ],
};

const not: FunctionDecl = {
  name: "!_",
  overloads: [op("logical_not", [T.bool], T.bool, (a: boolean) => !a)],
};

const ORDERED: readonly [string, CelType][] = [
  ["int64", T.int],
  ["uint64", T.uint],
  ["double", T.double],
];

function comparison(name: string, suffix: string, test: (c: number) => boolean): FunctionDecl {
  const impl = (a: CelValue, b: CelValue): boolean => {
    const c = celCompare(a, b);
    return c !== undefined && test(c);
  };
  const overloads: Overload[] = [];
  for (const [n, t] of [
    ["bool", T.bool],
    ["string", T.string],
    ["bytes", T.bytes],
    ["timestamp", T.timestamp],
    ["duration", T.duration],
  ] as const) {
    overloads.push(op(`${suffix}_${n}`, [t, t], T.bool, impl));
  }
  for (const [an, at] of ORDERED) {
    for (const [bn, bt] of ORDERED) {
      overloads.push(
        op(an === bn ? `${suffix}_${an}` : `${suffix}_${an}_${bn}`, [at, bt], T.bool, impl),
      );
    }
  }
  return { name, overloads };
}

function inList(x: CelValue, list: readonly CelValue[]): boolean {
  for (const e of list) if (celEquals(x, e)) return true;
  return false;
}

function inMap(x: CelValue, m: CelMapValue): boolean | CelError {
  // cel-go hashes the key to look it up, and bytes are not hashable: Cerbos reports the
  // failure (cerbos repl: b"y" in {"y": 1} is "hash of unhashable type types.Bytes").
  if (x instanceof Uint8Array) return new CelError("unsupported key type: bytes");
  return mapHas(m, x);
}

const inDecl: FunctionDecl = {
  name: "@in",
  overloads: [
    op("in_list", [A, T.list(A)], T.bool, inList),
    op("in_map", [A, T.map(A, B)], T.bool, inMap),
  ],
};

export const operatorFunctions: readonly FunctionDecl[] = [
  add,
  subtract,
  multiply,
  divide,
  modulo,
  negate,
  not,
  comparison("_<_", "less", (c) => c < 0),
  comparison("_<=_", "less_equals", (c) => c <= 0),
  comparison("_>_", "greater", (c) => c > 0),
  comparison("_>=_", "greater_equals", (c) => c >= 0),
  { name: "_==_", overloads: [op("equals", [A, A], T.bool, celEquals)] },
  {
    name: "_!=_",
    overloads: [op("not_equals", [A, A], T.bool, (a: CelValue, b: CelValue) => !celEquals(a, b))],
  },
  inDecl,
];
