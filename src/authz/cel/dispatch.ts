// Calling library functions from compiled expressions: a direct call when the one candidate
// overload accepts any argument, otherwise a choice among the candidates by the run-time types
// of the arguments (static types can be wrong at run time, as with dyn), failing with cel-go's
// "no such overload" wording.

import type { CallResolution } from "./checker.ts";
import type { EvalContext, Overload } from "./library.ts";
import { celEquals } from "./equality.ts";
import { runtimeTypeName } from "./maps.ts";
import { valueMatches } from "./type-rules.ts";
import type { CelType } from "./types.ts";
import { CelError, CelTimestamp, type CelResult, type CelValue } from "./value.ts";

export type Bindings = Readonly<Record<string, CelValue>>;
/** Comprehension variables by slot; a slot may hold an error (cel.bind of a failing init). */
export type Slots = CelResult[];
export type Evaluator = (b: Bindings, l: Slots, c: EvalContext | undefined) => CelResult;

export const NO_SUCH_OVERLOAD = new CelError("no such overload");

/** Evaluators of literals and their values, so calls can take a literal operand as a constant. */
const literals = new WeakMap<Evaluator, CelValue>();

/** Records that `ev` always returns `value` (a literal). */
export function noteLiteral(ev: Evaluator, value: CelValue): void {
  literals.set(ev, value);
}

/** The value of a literal's evaluator, when it is one of a JS primitive type. */
function primitiveLiteral(ev: Evaluator): string | boolean | bigint | number | null | undefined {
  const v = literals.get(ev);
  return v === null || (typeof v !== "object" && v !== undefined) ? v : undefined;
}

let defaultContext: EvalContext | undefined;
/** Used when a contextual function runs without a context: the wall clock. */
function fallbackContext(): EvalContext {
  defaultContext ??= {
    now: () => {
      const ms = Date.now();
      return new CelTimestamp(Math.floor(ms / 1000), (ms % 1000) * 1_000_000);
    },
  };
  return defaultContext;
}

/** Each overload's formal parameters, the receiver first for member calls. */
function formalsOf(res: CallResolution): (readonly CelType[])[] {
  return res.overloads.map((o) => (res.member ? [o.receiver!, ...o.params] : o.params));
}

/** True when any value passes the parameter check, so a lone overload needs no run-time test. */
function acceptsAnything(o: Overload, member: boolean): boolean {
  const formals = member ? [o.receiver!, ...o.params] : o.params;
  return formals.every((f) => f.kind === "dyn" || f.kind === "param");
}

const NUMBERS = ["int", "uint", "double"];
const TS = "google.protobuf.Timestamp";
const DUR = "google.protobuf.Duration";
const ORDERED = [...NUMBERS, "string", "bytes", "bool", TS, DUR];
/** Run-time types that carry the cel-go trait each operator dispatches on (its left operand). */
const OPERATOR_TRAITS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ["_+_", new Set([...NUMBERS, "string", "bytes", "list", TS, DUR])],
  ["_-_", new Set([...NUMBERS, TS, DUR])],
  ["_*_", new Set(NUMBERS)],
  ["_/_", new Set(NUMBERS)],
  ["_%_", new Set(["int", "uint"])],
  ["-_", new Set(["int", "double", "bool", DUR])],
  ["_<_", new Set(ORDERED)],
  ["_<=_", new Set(ORDERED)],
  ["_>_", new Set(ORDERED)],
  ["_>=_", new Set(ORDERED)],
  ["size", new Set(["string", "bytes", "list", "map"])],
  ["matches", new Set(["string"])],
]);
/** cel-go types that accept unknown functions as receivers (and then fail without a name). */
const RECEIVERS = new Set(["string", TS, DUR]);
/**
 * Functions whose cel-go declarations skip the run-time type guard, so a misfit argument
 * reaches the implementation and fails without a signature: the standard string tests, the
 * lists `sort`, Cerbos's `timeSince` and the optional combinators.
 */
const UNGUARDED = new Set([
  "contains",
  "startsWith",
  "endsWith",
  "sort",
  "timeSince",
  "orValue",
  "or",
]);
/**
 * Methods Cerbos implements on its own types (hierarchy, SPIFFE) rather than as bound
 * overloads: a receiver of another type fails naming only the function, a misfit argument
 * fails without a name.
 */
const TYPE_METHODS = new Set([
  "ancestorOf",
  "descendentOf",
  "immediateChildOf",
  "immediateParentOf",
  "siblingOf",
  "overlaps",
  "commonAncestors",
  "path",
  "trustDomain",
  "name",
  "isMemberOf",
  "matchesID",
]);

/** cel-go expands these macros into calls of internal functions, which its errors name. */
const MACRO_TARGETS: ReadonlyMap<string, string> = new Map([
  ["math.greatest", "math.@max"],
  ["math.least", "math.@min"],
]);

/**
 * cel-go's wording when no overload fits the run-time arguments. An operator whose left
 * operand lacks the operator's trait names the operator (`no such overload: _+_`); a guarded
 * overload names the function and the argument types, receiver first
 * (`no such overload: charAt(int, int)`); the exceptions above are plain or name the function.
 */
function noSuchOverload(
  res: CallResolution,
  formals: readonly (readonly CelType[])[],
  vals: readonly CelValue[],
): CelError {
  const name = res.name;
  if (vals.length === 0 || UNGUARDED.has(name)) return NO_SUCH_OVERLOAD;
  const lhs = runtimeTypeName(vals[0]!);
  const traits = OPERATOR_TRAITS.get(name);
  if (traits !== undefined) {
    return traits.has(lhs) || RECEIVERS.has(lhs)
      ? NO_SUCH_OVERLOAD
      : new CelError(`no such overload: ${name}`);
  }
  if (res.member && TYPE_METHODS.has(name)) {
    const receiverFits = formals.some((f) => valueMatches(f[0]!, vals[0]!));
    return receiverFits ? NO_SUCH_OVERLOAD : new CelError(`no such overload: ${name}`);
  }
  // cel-go's lists extension checks the receiver itself and words it differently
  if (name === "flatten") return new CelError(`no such overload: ${lhs}.flatten()`);
  // operators and internal functions keep the plain wording
  if (/^[^a-z]|_$/iu.test(name)) return NO_SUCH_OVERLOAD;
  const shown = MACRO_TARGETS.get(name) ?? name;
  return new CelError(`no such overload: ${shown}(${vals.map(runtimeTypeName).join(", ")})`);
}

/**
 * A call to non-strict overloads (Cerbos's global `intersect(a, b)` and friends): every
 * argument is evaluated and an error argument passes the type guard and reaches the
 * implementation (which then fails with a plain `no such overload`).
 */
function dispatchNonStrict(
  res: CallResolution,
  formals: readonly (readonly CelType[])[],
  args: Evaluator[],
): Evaluator {
  const overloads = res.overloads;
  return (b, l, c) => {
    const vals = args.map((a) => a(b, l, c));
    for (let k = 0; k < overloads.length; k++) {
      const o = overloads[k]!;
      const f = formals[k]!;
      const fits = vals.every(
        (v, i) =>
          (o.nonStrict === true && v instanceof CelError) ||
          (!(v instanceof CelError) && valueMatches(f[i]!, v)),
      );
      if (!fits) continue;
      if (o.nonStrict === true) {
        return (o.impl as (...a: CelResult[]) => CelResult)(...vals);
      }
      return o.impl(...(vals as CelValue[]));
    }
    const failed = vals.find((v) => v instanceof CelError);
    return failed ?? noSuchOverload(res, formals, vals as CelValue[]);
  };
}

/**
 * `==` and `!=`, the commonest calls in conditions: strings, booleans and null (what request
 * attributes mostly hold) compare with `===` before falling back to CEL's full equality.
 */
function dispatchEquality(args: Evaluator[], negate: boolean): Evaluator {
  const a0 = args[0]!;
  const a1 = args[1]!;
  const k = primitiveLiteral(a1);
  if (typeof k === "string" || typeof k === "boolean" || k === null) {
    // `x == "literal"`, `x == true`: the literal needs no evaluating.
    return (b, l, c) => {
      const x = a0(b, l, c);
      if (x === k) return !negate;
      if (typeof x === "string" || typeof x === "boolean" || x === null) return negate;
      if (x instanceof CelError) return x;
      return celEquals(x, k) !== negate;
    };
  }
  return (b, l, c) => {
    const x = a0(b, l, c);
    if (x instanceof CelError) return x;
    const y = a1(b, l, c);
    if (typeof x === "string" || typeof x === "boolean" || x === null) {
      if (x === y) return !negate;
      if (typeof y !== "object" || y === null) return negate;
    }
    if (y instanceof CelError) return y;
    return celEquals(x, y) !== negate;
  };
}

/** The `typeof` of every value of a CEL type, for the types whose values are JS primitives. */
function typeofTag(t: CelType): string | undefined {
  switch (t.kind) {
    case "bool":
      return "boolean";
    case "int":
      return "bigint";
    case "double":
      return "number";
    case "string":
      return "string";
    default:
      return undefined;
  }
}

/**
 * A lone overload over primitive types (`string + string`, `int < int`, `size(string)`): its
 * run-time guard is a `typeof` per argument.
 */
function dispatchByTypeof(
  res: CallResolution,
  formals: readonly CelType[],
  args: Evaluator[],
): Evaluator | undefined {
  const tags = formals.map(typeofTag);
  if (tags.some((t) => t === undefined)) return undefined;
  const impl = res.overloads[0]!.impl;
  const a0 = args[0]!;
  const t0 = tags[0]!;
  if (args.length === 2) {
    // A literal operand of the right type needs neither evaluating nor testing.
    const a1 = args[1]!;
    const t1 = tags[1]!;
    const k0 = primitiveLiteral(a0);
    const k1 = primitiveLiteral(a1);
    if (typeof k0 === t0 && k1 === undefined) {
      const x = k0 as CelValue;
      return (b, l, c) => {
        const y = a1(b, l, c);
        if (typeof y === t1) return impl(x, y as CelValue);
        return y instanceof CelError ? y : noSuchOverload(res, [formals], [x, y]);
      };
    }
    if (typeof k1 === t1 && k0 === undefined) {
      const y = k1 as CelValue;
      return (b, l, c) => {
        const x = a0(b, l, c);
        if (typeof x === t0) return impl(x as CelValue, y);
        return x instanceof CelError ? x : noSuchOverload(res, [formals], [x, y]);
      };
    }
  }
  if (args.length === 1) {
    return (b, l, c) => {
      const x = a0(b, l, c);
      if (typeof x === t0) return impl(x as CelValue);
      return x instanceof CelError ? x : noSuchOverload(res, [formals], [x]);
    };
  }
  const a1 = args[1]!;
  const t1 = tags[1]!;
  return (b, l, c) => {
    const x = a0(b, l, c);
    if (x instanceof CelError) return x;
    const y = a1(b, l, c);
    if (typeof x === t0 && typeof y === t1) return impl(x, y as CelValue);
    return y instanceof CelError ? y : noSuchOverload(res, [formals], [x, y]);
  };
}

export function dispatch(res: CallResolution, args: Evaluator[]): Evaluator {
  const n = args.length;
  if (n === 2 && res.overloads.length === 1) {
    const id = res.overloads[0]!.id;
    if (id === "equals" || id === "not_equals") return dispatchEquality(args, id === "not_equals");
  }
  if (res.overloads.some((o) => o.nonStrict === true)) {
    return dispatchNonStrict(res, formalsOf(res), args);
  }
  // Only an overload that accepts anything is called unguarded. Static types can be wrong at run
  // time (`dyn([true]) + [1]` checks as list(int)), so even a call the checker pinned to one
  // overload tests its arguments, as cel-go's guarded bindings do.
  if (res.overloads.length === 1 && acceptsAnything(res.overloads[0]!, res.member)) {
    const o = res.overloads[0]!;
    const impl = o.impl;
    if (o.usesContext) {
      const ctxImpl = impl as unknown as (ctx: EvalContext, ...a: CelValue[]) => CelResult;
      return (b, l, c) => {
        const vals: CelValue[] = [];
        for (let i = 0; i < n; i++) {
          const v = args[i]!(b, l, c);
          if (v instanceof CelError) return v;
          vals.push(v);
        }
        return ctxImpl(c ?? fallbackContext(), ...vals);
      };
    }
    switch (n) {
      case 0:
        return () => impl();
      case 1: {
        const a0 = args[0]!;
        return (b, l, c) => {
          const x = a0(b, l, c);
          return x instanceof CelError ? x : impl(x);
        };
      }
      case 2: {
        const a0 = args[0]!;
        const a1 = args[1]!;
        return (b, l, c) => {
          const x = a0(b, l, c);
          if (x instanceof CelError) return x;
          const y = a1(b, l, c);
          return y instanceof CelError ? y : impl(x, y);
        };
      }
      default:
        break;
    }
  }
  const overloads = res.overloads;
  const formals = formalsOf(res);
  const plain = !overloads.some((o) => o.usesContext);
  if (plain && overloads.length === 1 && (n === 1 || n === 2)) {
    const simple = dispatchByTypeof(res, formals[0]!, args);
    if (simple !== undefined) return simple;
  }
  if (plain && n === 1) {
    const a0 = args[0]!;
    return (b, l, c) => {
      const x = a0(b, l, c);
      if (x instanceof CelError) return x;
      for (let k = 0; k < overloads.length; k++) {
        if (valueMatches(formals[k]![0]!, x)) return overloads[k]!.impl(x);
      }
      return noSuchOverload(res, formals, [x]);
    };
  }
  if (plain && n === 2) {
    const a0 = args[0]!;
    const a1 = args[1]!;
    return (b, l, c) => {
      const x = a0(b, l, c);
      if (x instanceof CelError) return x;
      const y = a1(b, l, c);
      if (y instanceof CelError) return y;
      for (let k = 0; k < overloads.length; k++) {
        const f = formals[k]!;
        if (valueMatches(f[0]!, x) && valueMatches(f[1]!, y)) return overloads[k]!.impl(x, y);
      }
      return noSuchOverload(res, formals, [x, y]);
    };
  }
  return (b, l, c) => {
    const vals: CelValue[] = new Array<CelValue>(n);
    for (let i = 0; i < n; i++) {
      const v = args[i]!(b, l, c);
      if (v instanceof CelError) return v;
      vals[i] = v;
    }
    for (let k = 0; k < overloads.length; k++) {
      const f = formals[k]!;
      let ok = true;
      for (let i = 0; i < n; i++) {
        if (!valueMatches(f[i]!, vals[i]!)) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      const o: Overload = overloads[k]!;
      if (o.usesContext)
        return (o.impl as unknown as (ctx: EvalContext, ...a: CelValue[]) => CelResult)(
          c ?? fallbackContext(),
          ...vals,
        );
      return o.impl(...vals);
    }
    return noSuchOverload(res, formals, vals);
  };
}
