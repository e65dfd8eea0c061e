// Audit entries in the shape Cerbos's file backend writes them: the access and decision log
// entries of cerbos.audit.v1 as protojson (camelCase, empty fields left out), prefixed with the
// `log.logger` / `log.kind` fields Cerbos adds, keys in the order Cerbos writes them.

import type { CheckOutput } from "../authz/engine/types.ts";
import type { PlanFilter, PlanOperand, PlanOutput } from "../authz/planner/types.ts";
import type { RequestContext } from "../pdp/types.ts";
import type { AccessRecord, DecisionRecord, PlanDecisionRecord } from "./types.ts";

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

// ---- PlanResources ---------------------------------------------------------------------

/**
 * A JSON value with object keys sorted at every depth. Cerbos writes maps and Structs in no
 * fixed order; sorted is one of its orders, and the same for the same request.
 */
function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (typeof v !== "object" || v === null) return v;
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) out[k] = sortedKeys(o[k]);
  return out;
}

/** The principal as Cerbos logs cerbos.engine.v1.Principal: proto field order, empty fields left out. */
function loggedPrincipal(p: PlanDecisionRecord["input"]["principal"]): Json {
  return {
    id: p.id,
    ...(p.policyVersion ? { policyVersion: p.policyVersion } : {}),
    ...(p.roles.length > 0 ? { roles: p.roles } : {}),
    ...(p.attr && Object.keys(p.attr).length > 0 ? { attr: sortedKeys(p.attr) } : {}),
    ...(p.scope ? { scope: p.scope } : {}),
  };
}

/** The resource as protojson writes cerbos.engine.v1.PlanResourcesInput.Resource. */
function loggedPlanResource(r: PlanDecisionRecord["input"]["resource"]): Json {
  return {
    kind: r.kind,
    ...(r.attr && Object.keys(r.attr).length > 0 ? { attr: sortedKeys(r.attr) } : {}),
    ...(r.policyVersion ? { policyVersion: r.policyVersion } : {}),
    ...(r.scope ? { scope: r.scope } : {}),
  };
}

/** A filter operand as Cerbos's decision log writes it: an expression's `operands` before `operator`. */
function loggedOperand(o: PlanOperand): Json {
  if ("expression" in o)
    return {
      expression: {
        operands: o.expression.operands.map(loggedOperand),
        operator: o.expression.operator,
      },
    };
  if ("value" in o) return { value: sortedKeys(o.value) };
  return o;
}

/** The filter as Cerbos's decision log writes it: `condition` (when there is one) before `kind`. */
function loggedFilter(f: PlanFilter): Json {
  return f.kind === "KIND_CONDITIONAL"
    ? { condition: loggedOperand(f.condition), kind: f.kind }
    : { kind: f.kind };
}

function planInputEntry(r: PlanDecisionRecord): Json {
  const i = r.input;
  return {
    ...(i.requestId ? { requestId: i.requestId } : {}),
    actions: i.actions,
    ...(i.action ? { action: i.action } : {}),
    principal: loggedPrincipal(i.principal),
    resource: loggedPlanResource(i.resource),
    ...(i.auxData ? { auxData: sortedKeys(i.auxData) } : {}),
    ...(r.includeMeta ? { includeMeta: true } : {}),
  };
}

function planOutputEntry(input: PlanDecisionRecord["input"], o: PlanOutput): Json {
  const scopes: Record<string, string> = {};
  for (const a of o.actions) scopes[a] = o.matchedScopes[a] ?? "";
  return {
    ...(o.requestId ? { requestId: o.requestId } : {}),
    ...(input.action ? { action: input.action } : {}),
    kind: o.kind,
    ...(o.policyVersion ? { policyVersion: o.policyVersion } : {}),
    ...(o.scope ? { scope: o.scope } : {}),
    filter: loggedFilter(o.filter),
    ...(o.filterDebug ? { filterDebug: o.filterDebug } : {}),
    ...(o.validationErrors?.length ? { validationErrors: o.validationErrors } : {}),
    actions: o.actions,
    matchedScopes: scopes,
    ...(o.evaluationErrors?.length ? { evaluationErrors: o.evaluationErrors } : {}),
  };
}

/** The policies a plan consulted, with where they came from. */
function planAuditTrail(ctx: EntryContext, keys: readonly string[]): Json {
  if (keys.length === 0) return {};
  const effective: Json = {};
  for (const key of keys) {
    const source = ctx.sourceOf?.(key);
    effective[key] = { attributes: source ? { driver: "disk", source } : { driver: "disk" } };
  }
  return { effectivePolicies: effective };
}

/**
 * A PlanResources decision entry, messages in Cerbos's key order, maps sorted.
 * `auditTrail` is always written (Cerbos writes it empty when no policy matched).
 */
export function planDecisionEntry(ctx: EntryContext, r: PlanDecisionRecord): Json {
  const md = metadata(ctx, r.context.metadata);
  return {
    "log.logger": "cerbos.audit",
    "log.kind": "decision",
    callId: r.context.callId,
    timestamp: timestamp(r.timestamp),
    peer: peer(r.context.peer),
    planResources: {
      input: planInputEntry(r),
      ...(r.output ? { output: planOutputEntry(r.input, r.output) } : {}),
      ...(r.error ? { error: r.error } : {}),
    },
    ...(md ? { metadata: md } : {}),
    auditTrail: planAuditTrail(ctx, r.output?.effectivePolicies ?? []),
    policySource: policySource(ctx),
    ...(r.requestContext ? { requestContext: sortedKeys(r.requestContext) } : {}),
  };
}
