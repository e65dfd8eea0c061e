// Engine outputs -> the CheckResources response, shaped as Cerbos's JSON gateway writes it:
// keys in proto field order, map keys sorted (protojson sorts them), empty lists and empty
// strings left out, the resource echoed as the request sent it (no defaults filled in).

import type { CheckOutput, OutputEntry } from "../authz/engine/types.ts";
import type { JsonValue } from "../authz/policy/model.ts";
import type { CheckResourcesResponse, EffectMeta, ResourceEntry, ResultEntry } from "./types.ts";

/** An output as the API returns it: `val`, or (when the expression failed) `error`, plus the action. */
export interface ApiOutputEntry {
  readonly src: string;
  readonly val?: JsonValue;
  readonly action?: string;
  readonly error?: string;
}

const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function apiOutput(o: OutputEntry): ApiOutputEntry {
  // Cerbos sets `val` only when the expression evaluated; a failed one carries `error` instead
  const failed = o.error !== undefined && o.error !== "";
  return {
    src: o.src,
    ...(failed ? {} : { val: o.val }),
    ...(o.action ? { action: o.action } : {}),
    ...(failed ? { error: o.error } : {}),
  };
}

export function toResultEntry(
  entry: ResourceEntry,
  out: CheckOutput,
  includeMeta: boolean,
): ResultEntry {
  const r = entry.resource;
  const keys = Object.keys(out.actions).sort(byKey);
  const actions: Record<string, ResultEntry["actions"][string]> = {};
  for (const a of keys) actions[a] = out.actions[a]!.effect;
  let meta: ResultEntry["meta"];
  if (includeMeta) {
    const metaActions: Record<string, EffectMeta> = {};
    for (const a of keys) {
      const e = out.actions[a]!;
      metaActions[a] = e.scope
        ? { matchedPolicy: e.policy, matchedScope: e.scope }
        : { matchedPolicy: e.policy };
    }
    const roles = out.effectiveDerivedRoles;
    meta = roles?.length
      ? { actions: metaActions, effectiveDerivedRoles: roles }
      : { actions: metaActions };
  }
  const outputs = out.outputs?.length ? out.outputs.map(apiOutput) : undefined;
  return {
    resource: {
      id: r.id,
      kind: r.kind,
      ...(r.policyVersion ? { policyVersion: r.policyVersion } : {}),
      ...(r.scope ? { scope: r.scope } : {}),
    },
    actions,
    ...(out.validationErrors?.length
      ? {
          validationErrors: out.validationErrors.map((v) => ({
            path: v.path,
            message: v.message,
            source: v.source,
          })),
        }
      : {}),
    ...(meta ? { meta } : {}),
    // ResultEntry's output type lacks `action`/`error`, which Cerbos does return
    ...(outputs ? { outputs: outputs as ResultEntry["outputs"] } : {}),
  };
}

export function toResponse(
  requestId: string,
  entries: readonly ResourceEntry[],
  outputs: readonly CheckOutput[],
  includeMeta: boolean,
  callId: string,
): CheckResourcesResponse {
  const results = entries.map((e, i) => toResultEntry(e, outputs[i]!, includeMeta));
  // Cerbos leaves an empty requestId out of the JSON (proto3 default)
  return (
    requestId ? { requestId, results, cerbosCallId: callId } : { results, cerbosCallId: callId }
  ) as CheckResourcesResponse;
}
