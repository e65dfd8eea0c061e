// PlanResources filters as Cerbos 0.55 builds them: the planner's working tree (PlanNode) turned
// into a filter of Cerbos operators over variables and values, simplified as Cerbos simplifies
// it; the filter's debug string; and the AND of the filters of several actions. The pieces live
// in filter-build.ts (operators, variables, values, lists, maps), filter-lambda.ts
// (comprehensions), filter-normalise.ts (simplification) and filter-string.ts (debug string).

import { buildNode, compareGoStrings } from "./filter-build.ts";
import { FilterBuildError } from "./filter-error.ts";
import { filterOfCondition, toMutable } from "./filter-normalise.ts";
import { filterToString } from "./filter-string.ts";
import type { PlanNode } from "./plan-node.ts";
import type { PlanFilter, PlanOperand } from "./types.ts";

export { filterToString, operandToString } from "./filter-string.ts";
export { expandAbbreviation } from "./filter-normalise.ts";
export { FilterBuildError } from "./filter-error.ts";

export type FilterConversion =
  | { readonly ok: true; readonly filter: PlanFilter }
  /** Cerbos fails the request (`Resources query plan request failed`); the reason is for logs. */
  | { readonly ok: false; readonly error: string };

/** The filter of a plan (Cerbos `ToFilter`), or why Cerbos could not build one. */
export function tryToFilter(node: PlanNode): FilterConversion {
  try {
    return { ok: true, filter: filterOfCondition(buildNode(node)) };
  } catch (e) {
    if (e instanceof FilterBuildError) return { ok: false, error: e.message };
    throw e;
  }
}

/**
 * The filter of a plan (Cerbos `ToFilter`): `true` is KIND_ALWAYS_ALLOWED, `false`
 * KIND_ALWAYS_DENIED, anything else KIND_CONDITIONAL. Throws FilterBuildError for the residual
 * expressions Cerbos cannot express (see tryToFilter for a result value instead).
 */
export function toFilter(node: PlanNode): PlanFilter {
  const r = tryToFilter(node);
  if (!r.ok) throw new FilterBuildError(r.error);
  return r.filter;
}

/** A filter as given to normaliseFilter: a KIND_CONDITIONAL one may lack its condition. */
export interface FilterInput {
  readonly kind: PlanFilter["kind"];
  readonly condition?: PlanOperand | undefined;
}

/**
 * Simplifies a filter (Cerbos `normaliseFilter`, which its query_planner_filter cases test): a
 * conditional filter whose condition simplifies to a constant becomes always allowed or denied,
 * and one without a condition is always allowed. Other kinds are returned as they are.
 */
export function normaliseFilter(filter: FilterInput): PlanFilter {
  if (filter.kind !== "KIND_CONDITIONAL") return { kind: filter.kind };
  return filterOfCondition(
    filter.condition === undefined ? undefined : toMutable(filter.condition),
  );
}

/**
 * The filter of a request for several actions (Cerbos `MergeWithAnd`): denied when any action is
 * always denied, else the AND of the distinct conditions in the order of their debug strings
 * (no further simplification), and the debug string of the result.
 */
export function mergeWithAnd(filters: readonly PlanFilter[]): {
  filter: PlanFilter;
  filterDebug: string;
} {
  const conditions = new Map<string, PlanOperand>();
  for (const f of filters) {
    if (f.kind === "KIND_ALWAYS_ALLOWED") continue;
    if (f.kind === "KIND_ALWAYS_DENIED") {
      return { filter: { kind: "KIND_ALWAYS_DENIED" }, filterDebug: filterToString(f) };
    }
    conditions.set(filterToString(f), f.condition);
  }
  let filter: PlanFilter;
  if (conditions.size === 0) {
    filter = { kind: "KIND_ALWAYS_ALLOWED" };
  } else if (conditions.size === 1) {
    filter = { kind: "KIND_CONDITIONAL", condition: [...conditions.values()][0] as PlanOperand };
  } else {
    const operands = [...conditions.keys()]
      .sort(compareGoStrings)
      .map((k) => conditions.get(k) as PlanOperand);
    filter = { kind: "KIND_CONDITIONAL", condition: { expression: { operator: "and", operands } } };
  }
  return { filter, filterDebug: filterToString(filter) };
}
