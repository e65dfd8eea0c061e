// PlanResources requests (cerbos.request.v1.PlanResourcesRequest) as Cerbos accepts them: the
// same protojson decoding as CheckResources (first problem stops it), then the proto's
// buf.validate rules in Cerbos's order (the message-level "action or actions" rule first, then
// the fields in declaration order; every violation reported). Cerbos applies no request limit
// to plans beyond the proto's own `max_items: 20` on `actions`.

import type { PlanResource } from "../../authz/planner/types.ts";
import type { Principal } from "../../authz/engine/types.ts";
import type { PlanResourcesRequest, RequestAuxData } from "../../pdp/types.ts";
import {
  annotationsField,
  decodeAuxData,
  decodePrincipal,
  decodeRequestContext,
  mark,
  validateAuxData,
  validatePrincipal,
  type DecodeOptions,
  type DecodedPrincipal,
} from "./check-resources.ts";
import {
  ProtoFault,
  isObject,
  protoJsonError,
  readBool,
  readMessage,
  readString,
  readStringList,
  readValueMap,
  unexpectedToken,
  unknownField,
  within,
} from "./proto-json.ts";
import {
  POLICY_VERSION_PATTERN,
  SCOPE_PATTERN,
  ViolationSink,
  hasDuplicate,
  isPolicyVersion,
  isScope,
  type FieldDesc,
  type PathStep,
} from "./violations.ts";

/** The most actions one plan may ask for (the proto's `max_items`). */
export const MAX_PLAN_ACTIONS = 20;

type Attributes = NonNullable<PlanResource["attr"]>;
const EMPTY: readonly string[] = [];

const str = (number: number, name: string): FieldDesc => ({ number, name, type: "TYPE_STRING" });
const msg = (number: number, name: string): FieldDesc => ({ number, name, type: "TYPE_MESSAGE" });

const requestFields = {
  actions: str(7, "actions"),
  principal: msg(3, "principal"),
  resource: msg(4, "resource"),
  auxData: msg(5, "aux_data"),
  requestContext: msg(8, "request_context"),
};
// cerbos.engine.v1.PlanResourcesInput.Resource: no `id`, and no rule on attribute keys
const resourceFields = {
  kind: str(1, "kind"),
  policyVersion: str(3, "policy_version"),
  scope: str(4, "scope"),
};

const exclusiveActions = {
  celId: "exclusiveFieldsActionOrActions",
  message: "Exactly one of 'action' or 'actions' field must be set",
};

/** The resource to plan for, as decoded: `policyVersion` and `scope` only when non-empty. */
interface DecodedPlanResource {
  kind: string;
  attr?: Attributes;
  policyVersion?: string;
  scope?: string;
}

function decodePlanResource(v: unknown): DecodedPlanResource {
  const o = readMessage(v);
  const r: DecodedPlanResource = { kind: "" };
  let seen = 0;
  for (const key in o) {
    const val = o[key];
    try {
      switch (key) {
        case "kind":
          seen = mark(seen, 1, key);
          if (val != null) r.kind = readString(val, "kind");
          break;
        case "attr":
          seen = mark(seen, 2, key);
          if (val != null) r.attr = readValueMap(val) as Attributes;
          break;
        case "policyVersion":
        case "policy_version":
          seen = mark(seen, 4, key);
          if (val != null && readString(val, "policyVersion") !== "")
            r.policyVersion = val as string;
          break;
        case "scope":
          seen = mark(seen, 8, key);
          if (val != null && readString(val, "scope") !== "") r.scope = val as string;
          break;
        default:
          throw unknownField(key);
      }
    } catch (e) {
      within(e, key);
    }
  }
  return r;
}

const at = (prefix: readonly PathStep[], field: FieldDesc): PathStep[] => [...prefix, { field }];
const RESOURCE_PATH: readonly PathStep[] = [{ field: requestFields.resource }];
const PRINCIPAL_PATH: readonly PathStep[] = [{ field: requestFields.principal }];
const AUX_PATH: readonly PathStep[] = [{ field: requestFields.auxData }];
const ACTIONS_PATH: readonly PathStep[] = [{ field: requestFields.actions }];

function validatePlanResource(r: DecodedPlanResource, sink: ViolationSink): void {
  if (r.kind === "") sink.add(at(RESOURCE_PATH, resourceFields.kind), "required");
  if (r.policyVersion !== undefined && !isPolicyVersion(r.policyVersion))
    sink.add(
      at(RESOURCE_PATH, resourceFields.policyVersion),
      "string.pattern",
      `does not match regex pattern \`${POLICY_VERSION_PATTERN}\``,
    );
  if (r.scope !== undefined && !isScope(r.scope))
    sink.add(
      at(RESOURCE_PATH, resourceFields.scope),
      "string.pattern",
      `does not match regex pattern \`${SCOPE_PATTERN}\``,
    );
}

/** `repeated string actions`: unique, at most 20, no empty item (in protovalidate's order). */
function validatePlanActions(actions: readonly string[], sink: ViolationSink): void {
  if (hasDuplicate(actions)) sink.add(ACTIONS_PATH, "repeated.unique");
  if (actions.length > MAX_PLAN_ACTIONS)
    sink.add(
      ACTIONS_PATH,
      "repeated.max_items",
      `must contain no more than ${MAX_PLAN_ACTIONS} item(s)`,
    );
  for (let i = 0; i < actions.length; i++)
    if (actions[i] === "")
      sink.add([{ field: requestFields.actions, index: i }], "repeated.items.string.min_len");
}

/**
 * Validates a PlanResources request body (already JSON-parsed) the way Cerbos does and returns
 * it in the service's shape. Throws InvalidArgumentError with Cerbos's message (a
 * RequestValidationError, carrying the violation detail, for rule violations). Only
 * `principalOptional` of the options applies: Cerbos's request limits are for checks.
 */
export function decodePlanResourcesRequest(
  json: unknown,
  options: DecodeOptions,
): PlanResourcesRequest {
  let requestId = "";
  let action = "";
  let actions: readonly string[] = EMPTY;
  let includeMeta = false;
  let principal: DecodedPrincipal | undefined;
  let resource: DecodedPlanResource | undefined;
  let auxData: RequestAuxData | undefined;
  let annotations: Record<string, unknown> | undefined;
  let hasContext = false;
  try {
    if (!isObject(json)) throw unexpectedToken(json);
    let seen = 0;
    for (const key in json) {
      const val = json[key];
      try {
        switch (key) {
          case "requestId":
          case "request_id":
            seen = mark(seen, 1, key);
            if (val != null) requestId = readString(val, "requestId");
            break;
          case "action":
            seen = mark(seen, 2, key);
            if (val != null) action = readString(val, "action");
            break;
          case "actions":
            seen = mark(seen, 4, key);
            if (val != null) actions = readStringList(val, "actions");
            break;
          case "principal":
            seen = mark(seen, 8, key);
            if (val != null) principal = decodePrincipal(val);
            break;
          case "resource":
            seen = mark(seen, 16, key);
            if (val != null) resource = decodePlanResource(val);
            break;
          case "auxData":
          case "aux_data":
            seen = mark(seen, 32, key);
            if (val != null) auxData = decodeAuxData(val);
            break;
          case "includeMeta":
          case "include_meta":
            seen = mark(seen, 64, key);
            if (val != null) includeMeta = readBool(val, "includeMeta");
            break;
          case "requestContext":
          case "request_context":
            seen = mark(seen, 128, key);
            if (val != null) {
              hasContext = true;
              annotations = decodeRequestContext(val);
            }
            break;
          default:
            throw unknownField(key);
        }
      } catch (e) {
        within(e, key);
      }
    }
  } catch (e) {
    if (e instanceof ProtoFault) throw protoJsonError(e);
    throw e;
  }

  const sink = new ViolationSink();
  // proto3 `has()`: a string is set when non-empty, a list when it has items
  if ((action !== "") === actions.length > 0) sink.add([], exclusiveActions);
  validatePlanActions(actions, sink);
  const lenient = options.principalOptional;
  if (principal) validatePrincipal(principal, PRINCIPAL_PATH, sink, lenient);
  else if (!lenient) sink.add(PRINCIPAL_PATH, "required");
  if (resource) validatePlanResource(resource, sink);
  else sink.add(RESOURCE_PATH, "required");
  if (auxData) validateAuxData(auxData, AUX_PATH, sink);
  if (annotations && Object.hasOwn(annotations, ""))
    sink.add(
      [{ field: requestFields.requestContext }, { field: annotationsField, key: "" }],
      "map.keys.string.min_len",
    );
  sink.throwIfAny();

  const out: {
    requestId: string;
    action?: string;
    actions: readonly string[];
    principal?: Principal;
    resource: PlanResource;
    auxData?: RequestAuxData;
    includeMeta: boolean;
    requestContext?: { annotations?: Record<string, unknown> };
  } = {
    requestId,
    actions: action !== "" ? [action] : actions,
    // validation guarantees a resource
    resource: resource!,
    includeMeta,
  };
  if (action !== "") out.action = action;
  if (principal) out.principal = principal;
  if (auxData && (auxData.jwt || auxData.jwts)) out.auxData = auxData;
  // an empty map is "not set" in proto; the (optional) message itself is kept for the audit log
  if (hasContext)
    out.requestContext = annotations && Object.keys(annotations).length > 0 ? { annotations } : {};
  return out;
}
