// cel-go's math extension (latest version, as Cerbos 0.55 enables it): math.greatest and
// math.least over any mix of int, uint and double (variadic or one list), rounding functions,
// abs, sign, the isInf/isNaN/isFinite predicates, bitwise operations and sqrt. cel-go writes
// greatest/least as a macro over `math.@max`/`math.@min`; here they are ordinary functions
// with one overload per arity, which the checker resolves the same way for valid calls.

import type { CelLibrary, Overload } from "../library.ts";
import { T, type CelType } from "../types.ts";
import { CelError, CelUint, type CelResult, type CelValue } from "../value.ts";
import { compareNumbers, noSuchOverload } from "./value-ops.ts";

const INT64_MIN = -(1n << 63n);
const UINT64_MASK = (1n << 64n) - 1n;

function isNumeric(v: CelValue): v is bigint | number | CelUint {
  return typeof v === "bigint" || typeof v === "number" || v instanceof CelUint;
}

/** Picks the extreme value; ties keep the earlier argument (REPL: math.greatest(1, 1.0) is the int 1). */
function extreme(values: readonly CelValue[], wantGreater: boolean): CelResult {
  const name = wantGreater ? "math.@max" : "math.@min";
  if (values.length === 0) return new CelError(`${name}(list) argument must not be empty`);
  let best: CelValue | undefined;
  for (const v of values) {
    // cel-go's run-time guard on the list form looks at the first element only; a later
    // misfit reaches the implementation, which words it without a signature
    if (!isNumeric(v)) {
      return new CelError(`no such overload: ${name}${best === undefined ? "(list)" : ""}`);
    }
    if (typeof v === "number" && Number.isNaN(v))
      return new CelError(`NaN values cannot be ordered: ${name}`);
    if (best === undefined) {
      best = v;
      continue;
    }
    const c = compareNumbers(v, best);
    if (c === (wantGreater ? 1 : -1)) best = v;
  }
  return best as CelValue;
}

function extremeOf(args: readonly CelValue[], wantGreater: boolean): CelResult {
  if (args.length === 1 && Array.isArray(args[0]))
    return extreme(args[0] as readonly CelValue[], wantGreater);
  return extreme(args, wantGreater);
}

const NUMS: readonly [string, CelType][] = [
  ["int", T.int],
  ["uint", T.uint],
  ["double", T.double],
];

/** Arity 1 (a number or a list), arity 2 for every numeric pair, then dyn up to 16 arguments. */
function extremeOverloads(prefix: string, wantGreater: boolean): Overload[] {
  const impl = (...args: CelValue[]): CelResult => extremeOf(args, wantGreater);
  const out: Overload[] = [];
  for (const [n, t] of NUMS) out.push({ id: `${prefix}_${n}`, params: [t], result: t, impl });
  for (const [n, t] of NUMS)
    out.push({ id: `${prefix}_list_${n}`, params: [T.list(t)], result: t, impl });
  out.push({ id: `${prefix}_list_dyn`, params: [T.list(T.dyn)], result: T.dyn, impl });
  for (const [a, ta] of NUMS) {
    for (const [b, tb] of NUMS) {
      out.push({ id: `${prefix}_${a}_${b}`, params: [ta, tb], result: a === b ? ta : T.dyn, impl });
    }
  }
  for (let arity = 3; arity <= 16; arity++) {
    out.push({
      id: `${prefix}_dyn_${arity}`,
      params: Array<CelType>(arity).fill(T.dyn),
      result: T.dyn,
      impl,
    });
  }
  return out;
}

function doubleFn(f: (x: number) => number): (x: CelValue) => CelResult {
  return (x) => (typeof x === "number" ? f(x) : noSuchOverload());
}

/** Go's math.Round: halves round away from zero. */
function roundHalfAway(x: number): number {
  if (!Number.isFinite(x)) return x;
  const t = Math.trunc(x);
  // x - t is exact for doubles, so the half test has no rounding error.
  return Math.abs(x - t) >= 0.5 ? t + Math.sign(x) : t;
}

function abs(x: CelValue): CelResult {
  if (typeof x === "bigint") {
    if (x === INT64_MIN) return new CelError("integer overflow");
    return x < 0n ? -x : x;
  }
  if (typeof x === "number") return Math.abs(x);
  if (x instanceof CelUint) return x;
  return noSuchOverload();
}

function sign(x: CelValue): CelResult {
  if (typeof x === "bigint") return x > 0n ? 1n : x < 0n ? -1n : 0n;
  if (typeof x === "number") return Number.isNaN(x) ? x : x > 0 ? 1 : x < 0 ? -1 : 0;
  if (x instanceof CelUint) return new CelUint(x.value > 0n ? 1n : 0n);
  return noSuchOverload();
}

function toInt64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

function bitwise(op: (a: bigint, b: bigint) => bigint): (a: CelValue, b: CelValue) => CelResult {
  return (a, b) => {
    if (typeof a === "bigint" && typeof b === "bigint") return toInt64(op(a, b));
    if (a instanceof CelUint && b instanceof CelUint)
      return new CelUint(op(a.value, b.value) & UINT64_MASK);
    return noSuchOverload();
  };
}

function bitNot(a: CelValue): CelResult {
  if (typeof a === "bigint") return toInt64(~a);
  if (a instanceof CelUint) return new CelUint(~a.value & UINT64_MASK);
  return noSuchOverload();
}

function shift(left: boolean): (a: CelValue, n: CelValue) => CelResult {
  const name = left ? "math.bitShiftLeft" : "math.bitShiftRight";
  return (a, n) => {
    if (typeof n !== "bigint") return noSuchOverload();
    if (n < 0n) return new CelError(`${name}() negative offset: ${n}`);
    // Shifts of 64 or more clear every bit; right shifts of ints are logical, as in cel-go.
    if (typeof a === "bigint") {
      if (n > 63n) return 0n;
      const u = BigInt.asUintN(64, a);
      return toInt64(left ? (u << n) & UINT64_MASK : u >> n);
    }
    if (a instanceof CelUint) {
      if (n > 63n) return new CelUint(0n);
      return new CelUint(left ? (a.value << n) & UINT64_MASK : a.value >> n);
    }
    return noSuchOverload();
  };
}

function sqrt(x: CelValue): CelResult {
  if (typeof x === "number") return Math.sqrt(x);
  if (typeof x === "bigint") return Math.sqrt(Number(x));
  if (x instanceof CelUint) return Math.sqrt(Number(x.value));
  return noSuchOverload();
}

const D = T.double;
const B = T.bool;

function unaryDouble(name: string, id: string, result: CelType, f: (x: CelValue) => CelResult) {
  return { name, overloads: [{ id, params: [D], result, impl: f }] };
}

function perNumeric(
  name: string,
  idPrefix: string,
  f: (x: CelValue) => CelResult,
  result?: CelType,
) {
  return {
    name,
    overloads: NUMS.map(([n, t]) => ({
      id: `${idPrefix}_${n}`,
      params: [t],
      result: result ?? t,
      impl: f,
    })),
  };
}

function intAndUint(
  name: string,
  idPrefix: string,
  f: (a: CelValue, b: CelValue) => CelResult,
  second?: CelType,
) {
  return {
    name,
    overloads: [
      { id: `${idPrefix}_int_int`, params: [T.int, T.int], result: T.int, impl: f },
      {
        id: `${idPrefix}_uint_${second ? "int" : "uint"}`,
        params: [T.uint, second ?? T.uint],
        result: T.uint,
        impl: f,
      },
    ],
  };
}

export const mathLibrary: CelLibrary = {
  name: "cel.lib.ext.math",
  functions: [
    { name: "math.greatest", overloads: extremeOverloads("math_greatest", true) },
    { name: "math.least", overloads: extremeOverloads("math_least", false) },
    unaryDouble("math.ceil", "math_ceil_double", D, doubleFn(Math.ceil)),
    unaryDouble("math.floor", "math_floor_double", D, doubleFn(Math.floor)),
    unaryDouble("math.round", "math_round_double", D, doubleFn(roundHalfAway)),
    unaryDouble("math.trunc", "math_trunc_double", D, doubleFn(Math.trunc)),
    unaryDouble("math.isInf", "math_isInf_double", B, (x) =>
      typeof x === "number" ? x === Infinity || x === -Infinity : noSuchOverload(),
    ),
    unaryDouble("math.isNaN", "math_isNaN_double", B, (x) =>
      typeof x === "number" ? Number.isNaN(x) : noSuchOverload(),
    ),
    unaryDouble("math.isFinite", "math_isFinite_double", B, (x) =>
      typeof x === "number" ? Number.isFinite(x) : noSuchOverload(),
    ),
    perNumeric("math.abs", "math_abs", abs),
    perNumeric("math.sign", "math_sign", sign),
    perNumeric("math.sqrt", "math_sqrt", sqrt, D),
    intAndUint(
      "math.bitAnd",
      "math_bitAnd",
      bitwise((a, b) => a & b),
    ),
    intAndUint(
      "math.bitOr",
      "math_bitOr",
      bitwise((a, b) => a | b),
    ),
    intAndUint(
      "math.bitXor",
      "math_bitXor",
      bitwise((a, b) => a ^ b),
    ),
    {
      name: "math.bitNot",
      overloads: [
        { id: "math_bitNot_int_int", params: [T.int], result: T.int, impl: bitNot },
        { id: "math_bitNot_uint_uint", params: [T.uint], result: T.uint, impl: bitNot },
      ],
    },
    intAndUint("math.bitShiftLeft", "math_bitShiftLeft", shift(true), T.int),
    intAndUint("math.bitShiftRight", "math_bitShiftRight", shift(false), T.int),
  ],
};
