// A filter in Cerbos's prefix notation, the `filterDebug` of a PlanResources response:
// `(and (eq request.resource.attr.status "open") (in request.resource.attr.tag ["a","b"]))`.
// Values are written as Cerbos writes them (compact protobuf JSON of google.protobuf.Value):
// object keys sorted bytewise, numbers in Go's shortest form (`1e+21`, `1e-7`, `-0`).

import type { JsonValue } from "../policy/model.ts";
import { compareGoStrings } from "./filter-build.ts";
import type { PlanFilter, PlanOperand } from "./types.ts";

export function filterToString(filter: PlanFilter): string {
  switch (filter.kind) {
    case "KIND_ALWAYS_ALLOWED":
      return "(true)";
    case "KIND_ALWAYS_DENIED":
      return "(false)";
    case "KIND_CONDITIONAL":
      return operandToString(filter.condition);
  }
}

export function operandToString(op: PlanOperand): string {
  if ("variable" in op) return op.variable;
  if ("value" in op) return valueToString(op.value);
  const { operator, operands } = op.expression;
  return `(${operator} ${operands.map(operandToString).join(" ")})`;
}

/** What Cerbos prints when a value cannot be written as JSON (NaN, infinities). */
const UNPRINTABLE = "<ERROR>";

function valueToString(v: JsonValue): string {
  try {
    return jsonText(v);
  } catch {
    return UNPRINTABLE;
  }
}

function jsonText(v: JsonValue): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return String(v);
    case "number":
      if (!Number.isFinite(v)) throw new RangeError("not a JSON number");
      return Object.is(v, -0) ? "-0" : String(v);
    case "string":
      return JSON.stringify(v);
    default:
      break;
  }
  if (Array.isArray(v)) return `[${v.map(jsonText).join(",")}]`;
  return `{${Object.keys(v)
    .sort(compareGoStrings)
    .map((k) => `${JSON.stringify(k)}:${jsonText(v[k] as JsonValue)}`)
    .join(",")}}`;
}
