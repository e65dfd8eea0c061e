// What the query planner does with a condition whose value depends on unknown resource
// attributes, after the first partial evaluation (Cerbos's evaluateUnknown): partially evaluates
// the bodies of comprehensions with their iteration variable unknown, then rewrites two shapes
// into plain comparisons when it can: a comparison against a known map indexed by an unknown key
// (`P.attr.m[R.attr.k] == 1`), and `exists`/`all` over a known list or map (one disjunct or
// conjunct per element, at most ten).

import type { CallNode, ComprehensionNode, Expr } from "../cel/ast.ts";
import type { Environment } from "../cel/environment.ts";
import {
  evaluatePartially,
  isUnknown,
  mkCall,
  mkSelect,
  type PartialVariables,
} from "../cel/residual.ts";
import type { CelType } from "../cel/types.ts";
import { CelError, type CelValue } from "../cel/value.ts";

/**
 * A failure that makes Cerbos fail the whole plan request (an error evaluating a comprehension's
 * body with its variable unknown, a comprehension whose step it cannot take apart).
 */
export interface PlanError {
  readonly planError: string;
}

class BodyFailure extends Error {}

/** The residual of an expression whose first partial evaluation was unknown. */
export function processUnknown(
  env: Environment,
  residual: Expr,
  vars: PartialVariables,
): Expr | PlanError {
  let e: Expr;
  try {
    e = evalComprehensionBodies(env, residual, vars);
  } catch (err) {
    if (err instanceof BodyFailure) return { planError: err.message };
    throw err;
  }
  const processed: Expr | PlanError | undefined =
    structIndexMatch(e) ?? lambdaExpansion(env, e, vars);
  if (processed === undefined) return e;
  if ("planError" in processed) return processed;
  const final = evaluatePartially(env, processed, vars);
  return final.value instanceof CelError ? { planError: final.value.message } : final.residual;
}

function evalComprehensionBodies(env: Environment, e: Expr, vars: PartialVariables): Expr {
  const r = (x: Expr): Expr => evalComprehensionBodies(env, x, vars);
  switch (e.kind) {
    case "select":
      return { ...e, operand: r(e.operand) };
    case "call":
      return {
        ...e,
        target: e.target === undefined ? undefined : r(e.target),
        args: e.args.map(r),
      };
    case "struct":
      return { ...e, fields: e.fields.map((f) => ({ ...f, value: r(f.value) })) };
    case "map":
      return {
        ...e,
        entries: e.entries.map((en) => ({ ...en, key: r(en.key), value: r(en.value) })),
      };
    case "list":
      return { ...e, elements: e.elements.map(r) };
    case "comprehension":
      return comprehensionBody(env, e, vars);
    default:
      return e;
  }
}

function comprehensionBody(env: Environment, e: ComprehensionNode, vars: PartialVariables): Expr {
  const step = e.loopStep;
  // Cerbos expects a call here (cel.bind's step is the bare variable and fails its plan).
  if (step.kind !== "call" || step.args.length === 0) throw new BodyFailure("expected call expr");
  const args = [...step.args];
  const first = args[0]!;
  const i = first.kind === "ident" && first.name === e.accuVar ? 1 : 0;
  if (i >= args.length) return e;
  const inner: PartialVariables = {
    ...vars,
    unknowns: [
      ...vars.unknowns,
      { variable: e.iterVar, fields: [] },
      ...(e.iterVar2 === undefined ? [] : [{ variable: e.iterVar2, fields: [] }]),
    ],
  };
  const { value, residual: evaluated } = evaluatePartially(env, args[i]!, inner);
  if (value instanceof CelError) throw new BodyFailure(value.message);
  args[i] = evalComprehensionBodies(env, evaluated, inner);
  const loopStep: CallNode = mkCall(step.fn, args);
  return {
    ...e,
    iterRange: evalComprehensionBodies(env, e.iterRange, vars),
    loopStep,
  };
}

// ---- comparisons against a map indexed by an unknown key -----------------------------------

const COMPARISONS = new Set(["_==_", "_!=_", "_<_", "_<=_", "_>_", "_>=_"]);

interface IndexedMap {
  readonly map: Extract<Expr, { kind: "map" }>;
  readonly indexer: Expr;
  /** `P.attr.m[R.attr.k].field`: the field read from each value. */
  readonly field: string | undefined;
}

function indexedMap(e: Expr): IndexedMap | undefined {
  let field: string | undefined;
  let x = e;
  if (x.kind === "select" && !x.testOnly && !x.optional) {
    field = x.field;
    x = x.operand;
  }
  if (x.kind !== "call" || x.fn !== "_[_]" || x.target !== undefined || x.args.length !== 2)
    return undefined;
  const [map, indexer] = x.args as [Expr, Expr];
  if (map.kind !== "map" || indexer.kind !== "select") return undefined;
  return { map, indexer, field };
}

function structIndexMatch(e: Expr): Expr | undefined {
  if (e.kind !== "call" || e.target !== undefined || e.args.length !== 2) return undefined;
  let im: IndexedMap | undefined;
  let constant: Expr | undefined;
  if (COMPARISONS.has(e.fn)) {
    im = indexedMap(e.args[0]!);
    constant = e.args[1];
  } else if (e.fn === "@in") {
    constant = e.args[0];
    im = indexedMap(e.args[1]!);
  }
  if (im === undefined || constant?.kind !== "literal") return undefined;
  const entries = im.map.entries.filter((en) => !en.optional);
  if (entries.length === 0) return undefined;
  const sorted = [...entries].sort((a, b) => {
    const x = a.key.kind === "literal" ? a.key.value : undefined;
    const y = b.key.kind === "literal" ? b.key.value : undefined;
    if (typeof x !== "string" || typeof y !== "string") return 0;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const options = sorted.map((en) => {
    const value = im.field === undefined ? en.value : mkSelect(en.value, im.field);
    return mkCall("_&&_", [mkCall("_==_", [im.indexer, en.key]), mkCall(e.fn, [constant, value])]);
  });
  return rightNested("_||_", options);
}

function rightNested(fn: string, args: readonly Expr[]): Expr {
  if (args.length === 1) return args[0]!;
  return mkCall(fn, [args[0]!, rightNested(fn, args.slice(1))]);
}

function containsComprehension(e: Expr): boolean {
  switch (e.kind) {
    case "comprehension":
      return true;
    case "select":
      return containsComprehension(e.operand);
    case "call":
      return (
        (e.target !== undefined && containsComprehension(e.target)) ||
        e.args.some(containsComprehension)
      );
    case "list":
      return e.elements.some(containsComprehension);
    case "map":
      return e.entries.some(
        (en) => containsComprehension(en.key) || containsComprehension(en.value),
      );
    case "struct":
      return e.fields.some((f) => containsComprehension(f.value));
    default:
      return false;
  }
}

// ---- optionals ------------------------------------------------------------------------------

let optionalFunctions: ReadonlySet<string> | undefined;

function mentionsOptional(t: CelType | undefined): boolean {
  if (t === undefined) return false;
  switch (t.kind) {
    case "optional":
      return true;
    case "list":
      return mentionsOptional(t.elem);
    case "map":
      return mentionsOptional(t.key) || mentionsOptional(t.value);
    default:
      return false;
  }
}

/** Functions every overload of which takes or returns an optional. */
function optionalOnly(env: Environment): ReadonlySet<string> {
  if (optionalFunctions !== undefined) return optionalFunctions;
  const names = new Set<string>(["_[?_]"]);
  for (const [name, overloads] of env.functions) {
    if (
      overloads.length > 0 &&
      overloads.every(
        (o) =>
          mentionsOptional(o.result) ||
          mentionsOptional(o.receiver) ||
          o.params.some(mentionsOptional),
      )
    )
      names.add(name);
  }
  optionalFunctions = names;
  return names;
}

/**
 * Why a residual cannot be planned because it still holds an optional value (Cerbos rejects
 * those: the plan request fails), or undefined when it holds none.
 */
export function optionalInResidual(env: Environment, e: Expr): string | undefined {
  const fns = optionalOnly(env);
  const visit = (x: Expr): string | undefined => {
    switch (x.kind) {
      case "select":
        if (x.optional) return "_?._";
        return visit(x.operand);
      case "call":
        if (fns.has(x.fn)) return x.fn;
        return (x.target === undefined ? undefined : visit(x.target)) ?? first(x.args, visit);
      case "list":
        if (x.optionalIndices.length > 0) return "optional list element";
        return first(x.elements, visit);
      case "map":
        if (x.entries.some((en) => en.optional)) return "optional map entry";
        return first(
          x.entries.flatMap((en) => [en.key, en.value]),
          visit,
        );
      case "struct": {
        const f = x.fields.find((y) => y.optional);
        if (f !== undefined) return `optional field "${f.name}"`;
        return first(
          x.fields.map((y) => y.value),
          visit,
        );
      }
      case "comprehension":
        return first([x.iterRange, x.accuInit, x.loopCondition, x.loopStep, x.result], visit);
      default:
        return undefined;
    }
  };
  const found = visit(e);
  return found === undefined
    ? undefined
    : `optional values are not supported in query plans: ${found}`;
}

function first(xs: readonly Expr[], f: (x: Expr) => string | undefined): string | undefined {
  for (const x of xs) {
    const r = f(x);
    if (r !== undefined) return r;
  }
  return undefined;
}

// ---- exists / all over known ranges ---------------------------------------------------------

const MAX_ITEMS = 10;

function onlyKnownValues(e: Expr): boolean {
  switch (e.kind) {
    case "literal":
      return true;
    case "list":
      return e.elements.every(onlyKnownValues);
    case "map":
      return e.entries.every((en) => onlyKnownValues(en.key) && onlyKnownValues(en.value));
    case "struct":
      return e.fields.every((f) => onlyKnownValues(f.value));
    default:
      return false;
  }
}

function lambdaExpansion(
  env: Environment,
  e: Expr,
  vars: PartialVariables,
): Expr | PlanError | undefined {
  if (e.kind !== "comprehension") return undefined;
  const range = e.iterRange;
  if ((range.kind !== "list" && range.kind !== "map") || !onlyKnownValues(range)) return undefined;
  const step = e.loopStep;
  if (step.kind !== "call") return undefined;
  const merge = step.fn === "_&&_" ? "_&&_" : step.fn === "_||_" ? "_||_" : undefined;
  const pred = step.args[1];
  if (merge === undefined || pred === undefined) return undefined;
  // Cerbos turns the body back into source text to compile it per element, which it cannot do
  // for a body holding a comprehension: the plan request fails.
  if (containsComprehension(pred)) return { planError: "unparse: unsupported comprehension" };
  const evalValue = (x: Expr): CelValue | undefined => {
    const v = evaluatePartially(env, x, vars).value;
    return v instanceof CelError || isUnknown(v) ? undefined : v;
  };
  const options: Expr[] = [];
  let failed: PlanError | undefined;
  const withVars = (bound: ReadonlyMap<string, CelValue>): Expr => {
    const known = new Map(vars.known);
    for (const [k, v] of bound) known.set(k, v);
    const r = evaluatePartially(env, pred, { ...vars, known });
    if (r.value instanceof CelError) failed ??= { planError: r.value.message };
    return r.residual;
  };
  if (range.kind === "list") {
    if (range.elements.length > MAX_ITEMS) return undefined;
    for (let i = 0; i < range.elements.length; i++) {
      const v = evalValue(range.elements[i]!);
      if (v === undefined) return undefined;
      const bound = new Map<string, CelValue>();
      if (e.iterVar2 === undefined) bound.set(e.iterVar, v);
      else {
        bound.set(e.iterVar, BigInt(i));
        bound.set(e.iterVar2, v);
      }
      options.push(withVars(bound));
    }
  } else {
    if (range.entries.length > MAX_ITEMS) return undefined;
    for (const en of range.entries) {
      const k = evalValue(en.key);
      const v = evalValue(en.value);
      if (k === undefined || v === undefined) return undefined;
      const bound = new Map<string, CelValue>([[e.iterVar, k]]);
      if (e.iterVar2 !== undefined) bound.set(e.iterVar2, v);
      options.push(withVars(bound));
    }
  }
  if (failed !== undefined) return failed;
  if (options.length === 0) return undefined;
  return rightNested(merge, options);
}
