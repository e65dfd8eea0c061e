// The engine's plan -> the PlanResources response, shaped as Cerbos's JSON gateway writes it:
// keys in proto field order, empty strings and lists left out, the deprecated single `action`
// echoed alone (with `meta.matchedScope`) when the request used it, `meta` only on request.

import type { ValidationError } from "../authz/engine/types.ts";
import type { PlanFilter, PlanOutput } from "../authz/planner/types.ts";
import type { PlanResourcesRequest, PlanResourcesResponse } from "./types.ts";

const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** `kind` first, `condition` only for KIND_CONDITIONAL (as the proto orders and Cerbos fills them). */
export function filterJson(filter: PlanFilter): PlanFilter {
  return filter.kind === "KIND_CONDITIONAL"
    ? { kind: filter.kind, condition: filter.condition }
    : { kind: filter.kind };
}

/** The same error reported for several actions is listed once, in first-seen order. */
export function distinctValidationErrors(
  errors: readonly ValidationError[] | undefined,
): ValidationError[] {
  if (!errors?.length) return [];
  const seen = new Set<string>();
  const out: ValidationError[] = [];
  for (const e of errors) {
    const key = `${e.source}\u0000${e.path}\u0000${e.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path: e.path, message: e.message, source: e.source });
  }
  return out;
}

/** Per action, the scope that decided it ("" for the root), keys sorted as protojson writes maps. */
function matchedScopes(
  actions: readonly string[],
  output: PlanOutput,
): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const a of [...actions].sort(byKey)) out[a] = output.matchedScopes[a] ?? "";
  return out;
}

export function toPlanResponse(
  request: PlanResourcesRequest,
  output: PlanOutput,
  callId: string,
): PlanResourcesResponse {
  const action = request.action;
  const deprecated = action !== undefined;
  let meta: PlanResourcesResponse["meta"];
  if (request.includeMeta) {
    if (deprecated) {
      const scope = output.matchedScopes[action] ?? "";
      meta = scope
        ? { filterDebug: output.filterDebug, matchedScope: scope }
        : { filterDebug: output.filterDebug };
    } else {
      meta = {
        filterDebug: output.filterDebug,
        matchedScopes: matchedScopes(request.actions, output),
      };
    }
  }
  const validationErrors = distinctValidationErrors(output.validationErrors);
  const version = request.resource.policyVersion;
  return {
    ...(request.requestId ? { requestId: request.requestId } : {}),
    ...(deprecated ? { action } : { actions: request.actions }),
    resourceKind: request.resource.kind,
    ...(version ? { policyVersion: version } : {}),
    filter: filterJson(output.filter),
    ...(meta ? { meta } : {}),
    ...(validationErrors.length > 0 ? { validationErrors } : {}),
    cerbosCallId: callId,
  };
}
