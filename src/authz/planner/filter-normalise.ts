// Simplifies a filter's operand tree the way Cerbos 0.55 does (normaliseFilter in
// internal/ruletable/planner/ast.go), so that plans match Cerbos's operand for operand:
// - `and`/`or` drop `true`/`false` operands and collapse to a constant when one decides them,
//   drop repeated operands, and become their operand when only one is left;
// - `not` of a constant is the opposite constant;
// - `in` over a constant list or map of one element becomes `eq`, over an empty one `false`,
//   over a scalar `eq`;
// - abbreviated variables are spelled out (`R.attr.x` -> `request.resource.attr.x`).
// It rewrites the tree in place in the same order as Cerbos, because which operands count as
// repeats depends on it: Cerbos compares an operand as it stands after its own rewriting, which
// is not always what the rewriting returned (an `and` of `true` and `x` is compared as that
// `and`, not as `x`). Cerbos's equality-contradiction simplifier (simplify.go) came after 0.55
// and is not applied: 0.55 leaves `x == 1 && x == 2` as it is.

import type { JsonValue } from "../policy/model.ts";
import type { MutableOperand, MutableExpression } from "./filter-build.ts";
import type { PlanFilter, PlanOperand } from "./types.ts";

const ABBREVIATIONS: ReadonlyMap<string, string> = new Map([
  ["P", "request.principal"],
  ["R", "request.resource"],
  ["C", "constants"],
  ["V", "variables"],
  ["G", "globals"],
]);

/** `R.attr.x` -> `request.resource.attr.x`; only the first segment is looked at. */
export function expandAbbreviation(name: string): string {
  const dot = name.indexOf(".");
  const head = dot < 0 ? name : name.slice(0, dot);
  const expanded = ABBREVIATIONS.get(head);
  if (expanded === undefined) return name;
  return dot < 0 ? expanded : expanded + name.slice(dot);
}

function boolOf(op: MutableOperand): boolean | undefined {
  return "value" in op && typeof op.value === "boolean" ? op.value : undefined;
}

/** A structural key of an operand: equal keys for equal operands (Cerbos hashes them). */
export function operandKey(op: PlanOperand): string {
  if ("value" in op) return "v" + valueKey(op.value);
  if ("variable" in op) return "r" + JSON.stringify(op.variable);
  return `e${JSON.stringify(op.expression.operator)}(${op.expression.operands.map(operandKey).join(",")})`;
}

function valueKey(v: JsonValue): string {
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(valueKey).join(",")}]`;
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${valueKey(v[k] as JsonValue)}`)
    .join(",")}}`;
}

/** Rewrites `in` in place; returns a replacement only when the test is decided (`false`). */
function normaliseMembership(e: MutableExpression): MutableOperand | undefined {
  const range = e.operands[1];
  if (range === undefined || !("value" in range)) return undefined;
  const v = range.value;
  if (Array.isArray(v)) {
    if (v.length === 0) return { value: false };
    if (v.length === 1) {
      e.operator = "eq";
      e.operands[1] = { value: v[0] as JsonValue };
    }
  } else if (v !== null && typeof v === "object") {
    const keys = Object.keys(v);
    if (keys.length === 0) return { value: false };
    if (keys.length === 1) {
      e.operator = "eq";
      e.operands[1] = { value: keys[0] as string };
    }
  } else {
    e.operator = "eq";
  }
  return undefined;
}

function normaliseExpression(e: MutableExpression): MutableOperand | undefined {
  if (e.operator === "in" && e.operands.length === 2) {
    const decided = normaliseMembership(e);
    if (decided !== undefined) return decided;
  }
  const op = e.operator;
  const logical = op === "and" || op === "or" || op === "not";
  const seen = op === "and" || op === "or" ? new Set<string>() : undefined;
  const kept: MutableOperand[] = [];
  for (const operand of e.operands) {
    const normal = normaliseOperand(operand);
    if (normal === undefined) continue;
    const b = boolOf(normal);
    if (b !== undefined) {
      if ((op === "and" && b) || (op === "or" && !b)) continue;
      if (op === "and") return { value: false };
      if (op === "or") return { value: true };
    }
    if (seen !== undefined) {
      // the operand as rewritten in place, which is not always `normal`
      const key = operandKey(operand);
      if (seen.has(key)) continue;
      seen.add(key);
    }
    kept.push(normal);
  }
  if (logical) {
    if (kept.length === 0) {
      if (op === "and") return { value: true };
      if (op === "or") return { value: false };
      return undefined;
    }
    if (kept.length === 1) {
      const only = kept[0] as MutableOperand;
      if (op !== "not") return only;
      const b = boolOf(only);
      if (b !== undefined) return { value: !b };
    }
  }
  e.operands = kept;
  return { expression: e };
}

/** Normalises an operand, rewriting it in place; undefined when nothing is left of it. */
export function normaliseOperand(op: MutableOperand | undefined): MutableOperand | undefined {
  if (op === undefined) return undefined;
  if ("expression" in op) return normaliseExpression(op.expression);
  if ("variable" in op) {
    op.variable = expandAbbreviation(op.variable);
    return { variable: op.variable };
  }
  return op;
}

/** A fresh, mutable copy of an operand. */
export function toMutable(op: PlanOperand): MutableOperand {
  if ("value" in op) return { value: copyJson(op.value) };
  if ("variable" in op) return { variable: op.variable };
  return {
    expression: {
      operator: op.expression.operator,
      operands: op.expression.operands.map(toMutable),
    },
  };
}

/** A fresh copy of an operand tree that shares nothing with the working tree. */
function toPlanOperand(op: MutableOperand): PlanOperand {
  if ("value" in op) return { value: copyJson(op.value) };
  if ("variable" in op) return { variable: op.variable };
  return {
    expression: {
      operator: op.expression.operator,
      operands: op.expression.operands.map(toPlanOperand),
    },
  };
}

function copyJson(v: JsonValue): JsonValue {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(copyJson);
  const out: { [k: string]: JsonValue } = {};
  for (const [k, x] of Object.entries(v)) out[k] = copyJson(x);
  return out;
}

/** The filter of a condition: normalised, then always allowed, always denied or conditional. */
export function filterOfCondition(condition: MutableOperand | undefined): PlanFilter {
  const normal = normaliseOperand(condition);
  if (normal === undefined) return { kind: "KIND_ALWAYS_ALLOWED" };
  const b = boolOf(normal);
  if (b !== undefined) return { kind: b ? "KIND_ALWAYS_ALLOWED" : "KIND_ALWAYS_DENIED" };
  return { kind: "KIND_CONDITIONAL", condition: toPlanOperand(normal) };
}
