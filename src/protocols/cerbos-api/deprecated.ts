// The deprecated Cerbos APIs 0.55 still serves: `POST /api/check` (CheckResourceSet: one
// kind, many instances, one list of actions) and `POST /api/check_resource_batch`. Both are
// decoded into a CheckResources request and answered from its response, in their own shapes
// (maps with sorted keys, as protojson writes them).

import type {
  CheckResourcesRequest,
  CheckResourcesResponse,
  RequestAuxData,
  ResourceEntry,
} from "../../pdp/types.ts";
import {
  checkLimits,
  decodeAuxData,
  decodePrincipal,
  decodeResource,
  toResource,
  validateActions,
  validateAuxData,
  validatePrincipal,
  validateResource,
  type DecodeOptions,
  type DecodedPrincipal,
  type DecodedResource,
} from "./check-resources.ts";
import {
  ProtoFault,
  decodeMessage,
  protoJsonError,
  type Decoded,
  type MessageSpec,
} from "./proto-json.ts";
import {
  POLICY_VERSION_PATTERN,
  SCOPE_PATTERN,
  ViolationSink,
  isPolicyVersion,
  isScope,
  type FieldDesc,
  type PathStep,
} from "./violations.ts";

const str = (number: number, name: string): FieldDesc => ({ number, name, type: "TYPE_STRING" });
const msg = (number: number, name: string): FieldDesc => ({ number, name, type: "TYPE_MESSAGE" });

const requestId = { slot: "requestId", kind: "string", jsonName: "requestId" } as const;
const includeMeta = { slot: "includeMeta", kind: "bool", jsonName: "includeMeta" } as const;
const actions = { slot: "actions", kind: "stringList", jsonName: "actions" } as const;
const principal = { slot: "principal", kind: "custom", decode: decodePrincipal } as const;
const auxData = { slot: "auxData", kind: "custom", decode: decodeAuxData } as const;
const policyVersion = { slot: "policyVersion", kind: "string", jsonName: "policyVersion" } as const;
const attr = { slot: "attr", kind: "valueMap", jsonName: "attr" } as const;

const resourceSetSpec: MessageSpec = {
  kind: { slot: "kind", kind: "string", jsonName: "kind" },
  policyVersion,
  policy_version: policyVersion,
  instances: { slot: "instances", kind: "messageMap", spec: { attr } },
  scope: { slot: "scope", kind: "string", jsonName: "scope" },
};

const resourceSetRequestSpec: MessageSpec = {
  requestId,
  request_id: requestId,
  actions,
  principal,
  resource: { slot: "resource", kind: "message", spec: resourceSetSpec },
  includeMeta,
  include_meta: includeMeta,
  auxData,
  aux_data: auxData,
};

const batchEntrySpec: MessageSpec = {
  actions,
  resource: { slot: "resource", kind: "custom", decode: decodeResource },
};

const batchRequestSpec: MessageSpec = {
  requestId,
  request_id: requestId,
  principal,
  resources: { slot: "resources", kind: "messageList", spec: batchEntrySpec },
  auxData,
  aux_data: auxData,
};

function decodeOrThrow(json: unknown, spec: MessageSpec): Decoded {
  try {
    return decodeMessage(json, spec);
  } catch (e) {
    if (e instanceof ProtoFault) throw protoJsonError(e);
    throw e;
  }
}

function request(
  d: Decoded,
  p: DecodedPrincipal | undefined,
  resources: ResourceEntry[],
  options: DecodeOptions,
): CheckResourcesRequest {
  checkLimits(resources, options);
  const aux = d["auxData"] as RequestAuxData | undefined;
  return {
    requestId: (d["requestId"] as string | undefined) ?? "",
    ...(p ? { principal: p } : {}),
    resources,
    includeMeta: d["includeMeta"] === true,
    ...(aux && (aux.jwt || aux.jwts) ? { auxData: aux } : {}),
  };
}

// ---- CheckResourceSet ------------------------------------------------------------------

const SET = {
  actions: str(2, "actions"),
  principal: msg(3, "principal"),
  resource: msg(4, "resource"),
  auxData: msg(6, "aux_data"),
  kind: str(1, "kind"),
  policyVersion: str(2, "policy_version"),
  instances: { number: 3, name: "instances", type: "TYPE_MESSAGE", mapValue: "TYPE_MESSAGE" },
  scope: str(4, "scope"),
} satisfies Record<string, FieldDesc>;

/** `POST /api/check`: one resource entry per instance, all with the request's actions. */
export function decodeCheckResourceSetRequest(
  json: unknown,
  options: DecodeOptions,
): CheckResourcesRequest {
  const d = decodeOrThrow(json, resourceSetRequestSpec);
  const sink = new ViolationSink();
  const acts = (d["actions"] as readonly string[] | undefined) ?? [];
  validateActions(acts, SET.actions, [], sink);
  const p = d["principal"] as DecodedPrincipal | undefined;
  if (p) validatePrincipal(p, [{ field: SET.principal }], sink, options.principalOptional);
  else if (!options.principalOptional) sink.add([{ field: SET.principal }], "required");
  const set = d["resource"] as Decoded | undefined;
  const instances = (set?.["instances"] as Record<string, Decoded> | undefined) ?? {};
  if (!set) sink.add([{ field: SET.resource }], "required");
  else {
    const at = (field: FieldDesc): PathStep[] => [{ field: SET.resource }, { field }];
    const kind = (set["kind"] as string | undefined) ?? "";
    const version = (set["policyVersion"] as string | undefined) ?? "";
    const scope = (set["scope"] as string | undefined) ?? "";
    if (kind === "") sink.add(at(SET.kind), "required");
    if (!isPolicyVersion(version))
      sink.add(
        at(SET.policyVersion),
        "string.pattern",
        `does not match regex pattern \`${POLICY_VERSION_PATTERN}\``,
      );
    if (Object.keys(instances).length === 0) sink.add(at(SET.instances), "required");
    if (!isScope(scope))
      sink.add(
        at(SET.scope),
        "string.pattern",
        `does not match regex pattern \`${SCOPE_PATTERN}\``,
      );
  }
  const aux = d["auxData"] as RequestAuxData | undefined;
  if (aux) validateAuxData(aux, [{ field: SET.auxData }], sink);
  sink.throwIfAny();

  const resources: ResourceEntry[] = [];
  for (const id in instances) {
    const resource = toResource(
      set!["kind"] as string,
      id,
      instances[id]!["attr"] as DecodedResource["attr"],
      (set!["policyVersion"] as string | undefined) ?? "",
      (set!["scope"] as string | undefined) ?? "",
    );
    resources.push({ actions: acts, resource });
  }
  return request(d, p, resources, options);
}

function sortedKeys<T>(o: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k]!;
  return out;
}

/** The CheckResourceSet answer: instances by id, and `meta` when asked for. */
export function encodeCheckResourceSetResponse(
  request: CheckResourcesRequest,
  response: CheckResourcesResponse,
): Record<string, unknown> {
  const instances: Record<string, unknown> = {};
  const meta: Record<string, unknown> = {};
  for (const r of response.results) {
    instances[r.resource.id] = r.validationErrors?.length
      ? { actions: sortedKeys(r.actions), validationErrors: r.validationErrors }
      : { actions: sortedKeys(r.actions) };
    if (r.meta)
      meta[r.resource.id] = r.meta.effectiveDerivedRoles?.length
        ? {
            actions: sortedKeys(r.meta.actions),
            effectiveDerivedRoles: r.meta.effectiveDerivedRoles,
          }
        : { actions: sortedKeys(r.meta.actions) };
  }
  return {
    ...(response.requestId ? { requestId: response.requestId } : {}),
    resourceInstances: sortedKeys(instances),
    ...(request.includeMeta ? { meta: { resourceInstances: sortedKeys(meta) } } : {}),
  };
}

// ---- CheckResourceBatch ------------------------------------------------------------------

const BATCH = {
  principal: msg(2, "principal"),
  resources: msg(3, "resources"),
  auxData: msg(4, "aux_data"),
  actions: str(1, "actions"),
  resource: msg(2, "resource"),
} satisfies Record<string, FieldDesc>;

/** `POST /api/check_resource_batch`: the same entries as CheckResources, without includeMeta. */
export function decodeCheckResourceBatchRequest(
  json: unknown,
  options: DecodeOptions,
): CheckResourcesRequest {
  const d = decodeOrThrow(json, batchRequestSpec);
  const sink = new ViolationSink();
  const p = d["principal"] as DecodedPrincipal | undefined;
  if (p) validatePrincipal(p, [{ field: BATCH.principal }], sink, options.principalOptional);
  else if (!options.principalOptional) sink.add([{ field: BATCH.principal }], "required");
  const entries = (d["resources"] as Decoded[] | undefined) ?? [];
  if (entries.length === 0) sink.add([{ field: BATCH.resources }], "required");
  entries.forEach((e, index) => {
    const prefix: PathStep[] = [{ field: BATCH.resources, index }];
    validateActions(
      (e["actions"] as readonly string[] | undefined) ?? [],
      BATCH.actions,
      prefix,
      sink,
    );
    const r = e["resource"] as DecodedResource | undefined;
    if (!r) sink.add([...prefix, { field: BATCH.resource }], "required");
    else validateResource(r, [...prefix, { field: BATCH.resource }], sink);
  });
  const aux = d["auxData"] as RequestAuxData | undefined;
  if (aux) validateAuxData(aux, [{ field: BATCH.auxData }], sink);
  sink.throwIfAny();
  const resources = entries.map((e) => ({
    actions: e["actions"] as readonly string[],
    resource: e["resource"] as DecodedResource,
  }));
  return request(d, p, resources, options);
}

/** The CheckResourceBatch answer: one result per entry, by resource id. */
export function encodeCheckResourceBatchResponse(
  response: CheckResourcesResponse,
): Record<string, unknown> {
  return {
    ...(response.requestId ? { requestId: response.requestId } : {}),
    results: response.results.map((r) =>
      r.validationErrors?.length
        ? {
            resourceId: r.resource.id,
            actions: sortedKeys(r.actions),
            validationErrors: r.validationErrors,
          }
        : { resourceId: r.resource.id, actions: sortedKeys(r.actions) },
    ),
  };
}
