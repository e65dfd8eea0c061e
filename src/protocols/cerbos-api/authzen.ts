// AuthZEN access evaluation as Cerbos serves it (authzen.authorization.v1): requests mapped to
// CheckResources (subject -> principal with `cerbos.roles`, `cerbos.policyVersion`,
// `cerbos.scope` properties; resource type -> kind; context `cerbos.requestId`,
// `cerbos.auxData`, `cerbos.includeMeta`), answers mapped back to decisions, and the metadata
// document. A subject without usable `cerbos.roles` has its type as its one role. Cerbos
// reads the other `cerbos.*` values leniently: one of the wrong type is ignored,
// except a `cerbos.auxData` that is not an object, refused as `invalid auxData`.

import { InvalidArgumentError } from "../../kernel/errors.ts";
import type { Principal, Resource } from "../../authz/engine/types.ts";
import type {
  CheckResourcesRequest,
  CheckResourcesResponse,
  JwtRef,
  RequestAuxData,
  ResourceEntry,
} from "../../pdp/types.ts";
import { checkLimits, type DecodeOptions } from "./check-resources.ts";
import {
  ProtoFault,
  decodeMessage,
  isObject,
  protoJsonError,
  type Decoded,
  type MessageSpec,
} from "./proto-json.ts";
import { ViolationSink, type FieldDesc, type PathStep } from "./violations.ts";

// ---- wire shapes -----------------------------------------------------------------------

const properties = { slot: "properties", kind: "valueMap", jsonName: "properties" } as const;
const entitySpec: MessageSpec = {
  type: { slot: "type", kind: "string", jsonName: "type" },
  id: { slot: "id", kind: "string", jsonName: "id" },
  properties,
};
const actionSpec: MessageSpec = {
  name: { slot: "name", kind: "string", jsonName: "name" },
  properties,
};
const context = { slot: "context", kind: "valueMap", jsonName: "context" } as const;
const evaluationSpec: MessageSpec = {
  subject: { slot: "subject", kind: "message", spec: entitySpec },
  resource: { slot: "resource", kind: "message", spec: entitySpec },
  action: { slot: "action", kind: "message", spec: actionSpec },
  context,
};
const semantic = { slot: "semantic", kind: "string", jsonName: "evaluationsSemantic" } as const;
const batchSpec: MessageSpec = {
  ...evaluationSpec,
  evaluations: { slot: "evaluations", kind: "messageList", spec: evaluationSpec },
  options: {
    slot: "options",
    kind: "message",
    spec: { evaluationsSemantic: semantic, evaluations_semantic: semantic },
  },
};

const str = (number: number, name: string): FieldDesc => ({ number, name, type: "TYPE_STRING" });
const msg = (number: number, name: string): FieldDesc => ({ number, name, type: "TYPE_MESSAGE" });
const valueMap = (number: number, name: string): FieldDesc => ({
  number,
  name,
  type: "TYPE_MESSAGE",
  mapValue: "TYPE_MESSAGE",
});
const F = {
  subject: msg(1, "subject"),
  resource: msg(2, "resource"),
  action: msg(3, "action"),
  context: valueMap(4, "context"),
  evaluations: msg(5, "evaluations"),
  options: msg(6, "options"),
  type: str(1, "type"),
  id: str(2, "id"),
  entityProperties: valueMap(3, "properties"),
  name: str(1, "name"),
  actionProperties: valueMap(2, "properties"),
  semantic: str(1, "evaluations_semantic"),
};

// ---- validation ------------------------------------------------------------------------

function validateEntity(e: Decoded, prefix: PathStep[], sink: ViolationSink): void {
  if (!e["type"]) sink.add([...prefix, { field: F.type }], "required");
  if (!e["id"]) sink.add([...prefix, { field: F.id }], "required");
  const props = e["properties"] as Record<string, unknown> | undefined;
  if (props && Object.hasOwn(props, ""))
    sink.add([...prefix, { field: F.entityProperties, key: "" }], "map.keys.string.min_len");
}

function validateAction(a: Decoded, prefix: PathStep[], sink: ViolationSink): void {
  if (!a["name"]) sink.add([...prefix, { field: F.name }], "required");
  const props = a["properties"] as Record<string, unknown> | undefined;
  if (props && Object.hasOwn(props, ""))
    sink.add([...prefix, { field: F.actionProperties, key: "" }], "map.keys.string.min_len");
}

/** subject, resource, action and context of an evaluation (or of the batch defaults). */
function validateEvaluation(
  e: Decoded,
  prefix: PathStep[],
  sink: ViolationSink,
  required: boolean,
): void {
  for (const [slot, field] of [
    ["subject", F.subject],
    ["resource", F.resource],
    ["action", F.action],
  ] as const) {
    const part = e[slot] as Decoded | undefined;
    const path = [...prefix, { field }];
    if (!part) {
      if (required) sink.add(path, "required");
    } else if (slot === "action") validateAction(part, path, sink);
    else validateEntity(part, path, sink);
  }
  const ctx = e["context"] as Record<string, unknown> | undefined;
  if (ctx && Object.hasOwn(ctx, ""))
    sink.add([...prefix, { field: F.context, key: "" }], "map.keys.string.min_len");
}

const SEMANTICS = ["", "execute_all", "deny_on_first_deny", "permit_on_first_permit"] as const;
export type EvaluationsSemantic = "execute_all" | "deny_on_first_deny" | "permit_on_first_permit";

function decodeOrThrow(json: unknown, spec: MessageSpec): Decoded {
  try {
    return decodeMessage(json, spec);
  } catch (e) {
    if (e instanceof ProtoFault) throw protoJsonError(e);
    throw e;
  }
}

// ---- mapping to CheckResources ----------------------------------------------------------

const invalidAuxData = (): InvalidArgumentError => new InvalidArgumentError("", "invalid auxData");

/**
 * Roles are the non-empty strings of `cerbos.roles`; when there are none (no list, an empty
 * one, or one of other values) the subject's type is the one role, as Cerbos does.
 */
function toPrincipal(subject: Decoded): Principal {
  const type = subject["type"] as string;
  const out: { -readonly [K in keyof Principal]: Principal[K] } = {
    id: subject["id"] as string,
    roles: [type],
  };
  const props = subject["properties"] as Record<string, unknown> | undefined;
  if (!props) return out;
  const attr: Record<string, unknown> = {};
  let hasAttr = false;
  for (const key in props) {
    const v = props[key];
    switch (key) {
      case "cerbos.roles":
        if (Array.isArray(v)) {
          const roles = v.filter((r): r is string => typeof r === "string" && r !== "");
          if (roles.length > 0) out.roles = roles;
        }
        break;
      case "cerbos.policyVersion":
        if (typeof v === "string" && v) out.policyVersion = v;
        break;
      case "cerbos.scope":
        if (typeof v === "string" && v) out.scope = v;
        break;
      default:
        attr[key] = v;
        hasAttr = true;
    }
  }
  if (hasAttr) out.attr = attr as NonNullable<Principal["attr"]>;
  return out;
}

function toResource(resource: Decoded): Resource {
  const out: { -readonly [K in keyof Resource]: Resource[K] } = {
    kind: resource["type"] as string,
    id: resource["id"] as string,
  };
  const props = resource["properties"] as Record<string, unknown> | undefined;
  if (!props) return out;
  const attr: Record<string, unknown> = {};
  let hasAttr = false;
  for (const key in props) {
    const v = props[key];
    if (key === "cerbos.policyVersion") {
      if (typeof v === "string" && v) out.policyVersion = v;
    } else if (key === "cerbos.scope") {
      if (typeof v === "string" && v) out.scope = v;
    } else {
      attr[key] = v;
      hasAttr = true;
    }
  }
  if (hasAttr) out.attr = attr as NonNullable<Resource["attr"]>;
  return out;
}

interface ContextFields {
  readonly requestId: string;
  readonly includeMeta: boolean;
  readonly auxData?: RequestAuxData;
}

function fromContext(ctx: Record<string, unknown> | undefined): ContextFields {
  if (!ctx) return { requestId: "", includeMeta: false };
  const requestId = typeof ctx["cerbos.requestId"] === "string" ? ctx["cerbos.requestId"] : "";
  const includeMeta = ctx["cerbos.includeMeta"] === true;
  const raw = ctx["cerbos.auxData"];
  if (raw === undefined || raw === null) return { requestId, includeMeta };
  if (!isObject(raw)) throw invalidAuxData();
  // Cerbos reads what it can of an object here and ignores the rest (no validation)
  const jwt = jwtRef(raw["jwt"]);
  let jwts: Record<string, JwtRef> | undefined;
  if (isObject(raw["jwts"]))
    for (const [name, v] of Object.entries(raw["jwts"])) {
      const ref = jwtRef(v);
      if (ref && name) (jwts ??= {})[name] = ref;
    }
  if (!jwt && !jwts) return { requestId, includeMeta };
  return {
    requestId,
    includeMeta,
    auxData: jwt && jwts ? { jwt, jwts } : jwt ? { jwt } : { jwts: jwts! },
  };
}

function jwtRef(v: unknown): JwtRef | undefined {
  if (!isObject(v) || typeof v["token"] !== "string" || v["token"] === "") return undefined;
  const keySetId = v["keySetId"] ?? v["key_set_id"];
  return typeof keySetId === "string" && keySetId
    ? { token: v["token"], keySetId }
    : { token: v["token"] };
}

function checkRequest(
  ctx: ContextFields,
  principal: Principal,
  resources: ResourceEntry[],
): CheckResourcesRequest {
  return {
    requestId: ctx.requestId,
    principal,
    resources,
    includeMeta: ctx.includeMeta,
    ...(ctx.auxData ? { auxData: ctx.auxData } : {}),
  };
}

// ---- single evaluation -------------------------------------------------------------------

/** `POST /access/v1/evaluation` as one CheckResources request of one resource and action. */
export function decodeAccessEvaluationRequest(
  json: unknown,
  options: DecodeOptions,
): CheckResourcesRequest {
  const req = decodeOrThrow(json, evaluationSpec);
  const sink = new ViolationSink();
  validateEvaluation(req, [], sink, true);
  sink.throwIfAny();
  const ctx = fromContext(req["context"] as Record<string, unknown> | undefined);
  const action = (req["action"] as Decoded)["name"] as string;
  const resources = [{ actions: [action], resource: toResource(req["resource"] as Decoded) }];
  checkLimits(resources, options);
  return checkRequest(ctx, toPrincipal(req["subject"] as Decoded), resources);
}

export interface AccessEvaluationResponse {
  readonly decision: boolean;
  readonly context?: { readonly "cerbos.response": unknown };
}

/** Protobuf Struct order: every object's keys sorted; and no call id, which Cerbos leaves out. */
function asStruct(response: CheckResourcesResponse): unknown {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (!isObject(v)) return v;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sort(v[k]);
    return out;
  };
  const { cerbosCallId: _callId, ...rest } = response;
  // an empty requestId is not sent (proto3 default)
  return sort(rest.requestId === "" ? { results: rest.results } : rest);
}

function decisionOf(response: CheckResourcesResponse, resource: number, action: string): boolean {
  return response.results[resource]?.actions[action] === "EFFECT_ALLOW";
}

/** The answer to a single evaluation; `context` only when `cerbos.includeMeta` was true. */
export function encodeAccessEvaluationResponse(
  request: CheckResourcesRequest,
  response: CheckResourcesResponse,
): AccessEvaluationResponse {
  const action = request.resources[0]?.actions[0] ?? "";
  const decision = decisionOf(response, 0, action);
  return request.includeMeta
    ? { decision, context: { "cerbos.response": asStruct(response) } }
    : { decision };
}

// ---- batch -------------------------------------------------------------------------------

/**
 * `POST /access/v1/evaluations` as Cerbos runs it: evaluations with the same subject become
 * one CheckResources request (with the context of the first of them), evaluations of the
 * same resource (type and id) one entry of it, the first one's properties winning.
 */
export interface AccessEvaluationBatch {
  readonly requests: readonly CheckResourcesRequest[];
  /** Per evaluation, in request order: which request, which resource entry, which action. */
  readonly evaluations: readonly {
    readonly request: number;
    readonly resource: number;
    readonly action: string;
  }[];
  readonly semantic: EvaluationsSemantic;
}

const defaultsRules = [
  {
    slot: "action",
    celId: "actions",
    message: "either the default action must be set or all evaluations must have an action",
  },
  {
    slot: "subject",
    celId: "subjects",
    message: "either the default subject must be set or all evaluations must have a subject",
  },
  {
    slot: "resource",
    celId: "resources",
    message: "either the default resource must be set or all evaluations must have a resource",
  },
] as const;

export function decodeAccessEvaluationBatchRequest(
  json: unknown,
  options: DecodeOptions,
): AccessEvaluationBatch {
  const req = decodeOrThrow(json, batchSpec);
  const evals = (req["evaluations"] as Decoded[] | undefined) ?? [];
  const sink = new ViolationSink();
  for (const rule of defaultsRules)
    if (!req[rule.slot] && !evals.every((e) => e[rule.slot]))
      sink.add([], { celId: rule.celId, message: rule.message });
  validateEvaluation(req, [], sink, false);
  if (evals.length === 0) sink.add([{ field: F.evaluations }], "repeated.min_items");
  evals.forEach((e, index) =>
    validateEvaluation(e, [{ field: F.evaluations, index }], sink, false),
  );
  const opts = req["options"] as Decoded | undefined;
  const sem = (opts?.["semantic"] as string | undefined) ?? "";
  if (!(SEMANTICS as readonly string[]).includes(sem))
    sink.add(
      [{ field: F.options }, { field: F.semantic }],
      "string.in",
      `must be in list [${SEMANTICS.join(", ")}]`,
    );
  sink.throwIfAny();

  const groups = new Map<string, { index: number; resources: Map<string, number> }>();
  const requests: { ctx: ContextFields; principal: Principal; resources: ResourceEntry[] }[] = [];
  const evaluations: { request: number; resource: number; action: string }[] = [];
  for (const e of evals) {
    const subject = (e["subject"] ?? req["subject"]) as Decoded;
    const resource = (e["resource"] ?? req["resource"]) as Decoded;
    const action = ((e["action"] ?? req["action"]) as Decoded)["name"] as string;
    const subjectKey = JSON.stringify(subject);
    let group = groups.get(subjectKey);
    if (!group) {
      const ctx = fromContext(
        (e["context"] ?? req["context"]) as Record<string, unknown> | undefined,
      );
      group = { index: requests.length, resources: new Map() };
      groups.set(subjectKey, group);
      requests.push({ ctx, principal: toPrincipal(subject), resources: [] });
    }
    const entries = requests[group.index]!.resources;
    const resourceKey = `${resource["type"] as string}\u0000${resource["id"] as string}`;
    let at = group.resources.get(resourceKey);
    if (at === undefined) {
      at = entries.length;
      group.resources.set(resourceKey, at);
      entries.push({ actions: [], resource: toResource(resource) });
    }
    const actions = entries[at]!.actions as string[];
    if (!actions.includes(action)) actions.push(action);
    evaluations.push({ request: group.index, resource: at, action });
  }
  const out = requests.map((r) => checkRequest(r.ctx, r.principal, r.resources));
  for (const r of out) checkLimits(r.resources, options);
  return {
    requests: out,
    evaluations,
    semantic: sem === "" ? "execute_all" : (sem as EvaluationsSemantic),
  };
}

export function encodeAccessEvaluationBatchResponse(
  batch: AccessEvaluationBatch,
  responses: readonly CheckResourcesResponse[],
): { evaluations: AccessEvaluationResponse[] } {
  const structs = responses.map((r, i) =>
    batch.requests[i]?.includeMeta ? asStruct(r) : undefined,
  );
  const out: AccessEvaluationResponse[] = [];
  for (const e of batch.evaluations) {
    const decision = decisionOf(responses[e.request]!, e.resource, e.action);
    const struct = structs[e.request];
    out.push(
      struct === undefined ? { decision } : { decision, context: { "cerbos.response": struct } },
    );
    if (batch.semantic === "deny_on_first_deny" && !decision) break;
    if (batch.semantic === "permit_on_first_permit" && decision) break;
  }
  return { evaluations: out };
}

// ---- metadata ----------------------------------------------------------------------------

/** `GET /.well-known/authzen-configuration`; `baseUrl` is how the caller reached us (scheme and Host). */
export function authzenMetadata(baseUrl: string): Record<string, string> {
  const base = baseUrl.replace(/\/+$/, "");
  return {
    policy_decision_point: base,
    access_evaluation_endpoint: `${base}/access/v1/evaluation`,
    access_evaluations_endpoint: `${base}/access/v1/evaluations`,
  };
}
