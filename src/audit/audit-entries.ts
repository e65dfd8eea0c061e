// Audit entries in the shape Cerbos's file backend writes them: the access and decision log
// entries of cerbos.audit.v1 as protojson (camelCase, empty fields left out), prefixed with the
// `log.logger` / `log.kind` fields Cerbos adds, keys in the order Cerbos writes them.

import type { CheckOutput } from "../authz/engine/types.ts";
import type { RequestContext } from "../pdp/types.ts";
import type { AccessRecord, DecisionRecord } from "./types.ts";

/** Which request metadata keys go into entries: Cerbos's includeMetadataKeys / excludeMetadataKeys. */
export interface MetadataFilter {
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}

/**
 * Cerbos's rules: nothing when both lists are empty; only `include` when only it is set; all but
 * `exclude` when only it is set; `include` minus `exclude` when both are. Keys compare
 * case-insensitively (gRPC metadata keys are lower-case).
 */
export function compileMetadataFilter(f: MetadataFilter): (key: string) => boolean {
  const include = new Set(f.include.map((k) => k.toLowerCase()));
  const exclude = new Set(f.exclude.map((k) => k.toLowerCase()));
  if (include.size === 0 && exclude.size === 0) return () => false;
  if (include.size === 0) return (k) => !exclude.has(k.toLowerCase());
  return (k) => include.has(k.toLowerCase()) && !exclude.has(k.toLowerCase());
}

export interface EntryContext {
  readonly keepMetadata: (key: string) => boolean;
  readonly directory: string;
  /** The file a policy came from, when known. */
  readonly sourceOf?: (policyKey: string) => string | undefined;
}

type Json = Record<string, unknown>;

const timestamp = (ms: number): string => new Date(ms).toISOString();

function peer(p: RequestContext["peer"]): Json {
  return {
    address: p.address,
    ...(p.userAgent ? { userAgent: p.userAgent } : {}),
    ...(p.forwardedFor ? { forwardedFor: p.forwardedFor } : {}),
  };
}

function metadata(ctx: EntryContext, m: RequestContext["metadata"]): Json | undefined {
  let out: Json | undefined;
  for (const [k, values] of Object.entries(m)) {
    if (!ctx.keepMetadata(k)) continue;
    (out ??= {})[k] = { values };
  }
  return out;
}

const policySource = (ctx: EntryContext): Json => ({ disk: { directory: ctx.directory } });

/** Policies that decided an action, with where they came from. */
function auditTrail(ctx: EntryContext, outputs: readonly CheckOutput[]): Json | undefined {
  let effective: Json | undefined;
  for (const out of outputs) {
    for (const a of Object.values(out.actions)) {
      const key = a.policy;
      if (!key || key.startsWith("NO_MATCH") || effective?.[key]) continue;
      const source = ctx.sourceOf?.(key);
      (effective ??= {})[key] = {
        attributes: source ? { driver: "disk", source } : { driver: "disk" },
      };
    }
  }
  return effective ? { effectivePolicies: effective } : undefined;
}

/**
 * The engine output as Cerbos logs it: no explanation, and an output entry whose expression
 * failed carries `error` and no `val`.
 */
function loggedOutput(out: CheckOutput): CheckOutput {
  const { explanation: _explanation, ...rest } = out as CheckOutput & { explanation?: unknown };
  if (!rest.outputs?.some((o) => o.error)) return rest;
  return {
    ...rest,
    outputs: rest.outputs.map((o) =>
      o.error ? { src: o.src, ...(o.action ? { action: o.action } : {}), error: o.error } : o,
    ) as CheckOutput["outputs"],
  };
}

export function accessEntry(ctx: EntryContext, r: AccessRecord): Json {
  const md = metadata(ctx, r.context.metadata);
  return {
    "log.logger": "cerbos.audit",
    "log.kind": "access",
    callId: r.context.callId,
    peer: peer(r.context.peer),
    timestamp: timestamp(r.timestamp),
    ...(md ? { metadata: md } : {}),
    method: r.method,
    ...(r.statusCode ? { statusCode: r.statusCode } : {}),
    policySource: policySource(ctx),
  };
}

export function decisionEntry(ctx: EntryContext, r: DecisionRecord): Json {
  const md = metadata(ctx, r.context.metadata);
  const trail = auditTrail(ctx, r.outputs);
  return {
    "log.logger": "cerbos.audit",
    "log.kind": "decision",
    callId: r.context.callId,
    timestamp: timestamp(r.timestamp),
    peer: peer(r.context.peer),
    checkResources: {
      inputs: r.inputs,
      outputs: r.outputs.map(loggedOutput),
      ...(r.error ? { error: r.error } : {}),
    },
    ...(md ? { metadata: md } : {}),
    ...(trail ? { auditTrail: trail } : {}),
    policySource: policySource(ctx),
  };
}
