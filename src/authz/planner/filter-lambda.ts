// Recognises which macro a residual comprehension came from, so the filter can name it:
// `all`, `exists`, `exists_one`, `map`, `filter`, `transformList`, `transformMap`,
// `transformMapEntry`, `sortBy`. Like Cerbos (internal/ruletable/planner/lambda.go), it reads
// the shape of the loop step and of the accumulator's initial value, quirks included: a
// three-argument `map(x, p, f)` counts as `transformList` when `f` is a call and as `filter`
// otherwise. Both the parser's list appends (`@listAppend(accu, x)`) and cel-go's
// (`accu + [x]`) are understood.

import type { ComprehensionNode, Expr } from "../cel/ast.ts";
import { FilterBuildError } from "./filter-error.ts";

export interface LambdaShape {
  readonly operator: string;
  readonly iterRange: Expr;
  /** The lambda's body: the predicate, or the mapped value when there is no predicate. */
  readonly expr: Expr;
  /** The mapped value of a filtering transform. */
  readonly expr2?: Expr;
  readonly iterVar: string;
  readonly iterVar2?: string;
}

type Shape = "const" | "list" | "struct" | "other";

function shapeOf(e: Expr): Shape {
  switch (e.kind) {
    case "literal":
      return "const";
    case "list":
      return "list";
    case "map":
    case "struct":
      return "struct";
    default:
      return "other";
  }
}

function arg(e: Expr | undefined, i: number): Expr | undefined {
  return e?.kind === "call" ? e.args[i] : undefined;
}

/** The element a loop step appends to the accumulator list, if it appends one. */
function appended(step: Expr | undefined): Expr | undefined {
  if (step?.kind !== "call") return undefined;
  if (step.fn === "@listAppend") return step.args[1];
  const list = step.args[1];
  return list?.kind === "list" ? list.elements[0] : undefined;
}

function isMapInsert(e: Expr | undefined): e is Expr & { kind: "call" } {
  return e?.kind === "call" && (e.fn === "@mapInsert" || e.fn === "cel.@mapInsert");
}

/** `transformMap` for `insert(accu, k, v)`, `transformMapEntry` for `insert(accu, entry)`. */
function mapTransform(step: Expr | undefined): { operator: string; value: Expr } {
  const n = step?.kind === "call" ? step.args.length : 0;
  const value = arg(step, n - 1);
  if ((n !== 3 && n !== 2) || value === undefined)
    throw new FilterBuildError(`unexpected args #, got: ${n}`);
  return { operator: n === 3 ? "transformMap" : "transformMapEntry", value };
}

function required(e: Expr | undefined, what: string): Expr {
  if (e === undefined) throw new FilterBuildError(`malformed ${what} comprehension`);
  return e;
}

/**
 * The lambda form of a comprehension. `expand` turns a literal holding a known list or map into
 * the list or map expression cel-go would have left in its place.
 */
export function decodeComprehension(c: ComprehensionNode, expand: (e: Expr) => Expr): LambdaShape {
  const step = c.loopStep;
  if (step.kind === "ident") return decodeSortBy(c);
  if (step.kind !== "call")
    throw new FilterBuildError(`expected loop-step expression type CallExpr, got: ${step.kind}`);
  const vars = {
    iterVar: c.iterVar,
    ...(c.iterVar2 !== undefined && c.iterVar2 !== "" ? { iterVar2: c.iterVar2 } : {}),
  };
  const base = { iterRange: c.iterRange, ...vars };
  switch (step.fn) {
    case "_&&_":
      return { ...base, operator: "all", expr: required(step.args[1], "all") };
    case "_||_":
      return { ...base, operator: "exists", expr: required(step.args[1], "exists") };
    case "_+_":
    case "@listAppend":
      return {
        ...base,
        operator: vars.iterVar2 === undefined ? "map" : "transformList",
        expr: required(appended(step), "map"),
      };
    case "_?_:_": {
      const expr = required(step.args[0], "conditional");
      switch (shapeOf(expand(c.accuInit))) {
        case "list": {
          const value = appended(step.args[1]);
          if (value?.kind === "call")
            return { ...base, operator: "transformList", expr, expr2: value };
          return { ...base, operator: "filter", expr };
        }
        case "const":
          return { ...base, operator: "exists_one", expr };
        case "struct": {
          const { operator, value } = mapTransform(step.args[1]);
          return { ...base, operator, expr, expr2: value };
        }
        default:
          throw new FilterBuildError(
            `expected loop-accu-init expression type ConstExpr or ListExpr, got: ${c.accuInit.kind}`,
          );
      }
    }
    default:
      if (isMapInsert(step)) {
        const { operator, value } = mapTransform(step);
        return { ...base, operator, expr: value };
      }
      throw new FilterBuildError(`unexpected loop-step function: ${JSON.stringify(step.fn)}`);
  }
}

/**
 * cel-go's `sortBy`: the target bound once, then sorted by the keys of a `map` comprehension
 * over it, `@sortByAssociatedKeys(target.map(x, key))`.
 */
function decodeSortBy(c: ComprehensionNode): LambdaShape {
  const r = c.result;
  const inner = r.kind === "call" ? r.args[0] : undefined;
  if (
    r.kind !== "call" ||
    r.fn !== "@sortByAssociatedKeys" ||
    r.args.length !== 1 ||
    inner?.kind !== "comprehension"
  ) {
    throw new FilterBuildError("expected sortBy comprehension");
  }
  const key = appended(inner.loopStep);
  if (key === undefined) throw new FilterBuildError("expected sortBy comprehension");
  return { operator: "sortBy", iterRange: c.accuInit, iterVar: inner.iterVar, expr: key };
}
