// CheckResources requests (cerbos.request.v1.CheckResourcesRequest) as Cerbos accepts them:
// protojson decoding in document order (the first problem stops it, as in Go), then the
// proto's buf.validate rules in field order (every violation is reported), then the
// configured request limits. On the hot path: strings, lists and attributes are passed
// through by reference; checks are char loops and bit masks; nothing is allocated for paths
// unless something is wrong. A field holding `undefined` (objects built in code, as the gRPC
// adapter may pass) counts as unset, like `null`.

import { InvalidArgumentError } from "../../kernel/errors.ts";
import type { Principal, Resource } from "../../authz/engine/types.ts";
import type {
  CheckResourcesRequest,
  JwtRef,
  RequestAuxData,
  ResourceEntry,
} from "../../pdp/types.ts";
import {
  ProtoFault,
  duplicateField,
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

export interface DecodeOptions {
  readonly maxActionsPerResource: number;
  readonly maxResourcesPerRequest: number;
  /**
   * Principal-from-token is on: a request may leave out `principal`, or send one without
   * `id` or `roles` for the service to merge with the token's.
   */
  readonly principalOptional: boolean;
}

type Attributes = NonNullable<Principal["attr"]>;
const EMPTY: readonly string[] = [];

// ---- proto fields, for violation paths -------------------------------------------------

const str = (number: number, name: string): FieldDesc => ({ number, name, type: "TYPE_STRING" });
const msg = (number: number, name: string): FieldDesc => ({ number, name, type: "TYPE_MESSAGE" });
const map = (number: number, name: string): FieldDesc => ({
  number,
  name,
  type: "TYPE_MESSAGE",
  mapValue: "TYPE_MESSAGE",
});

export const principalFields = {
  id: str(1, "id"),
  policyVersion: str(2, "policy_version"),
  roles: str(3, "roles"),
  attr: map(4, "attr"),
  scope: str(5, "scope"),
};
export const resourceFields = {
  kind: str(1, "kind"),
  policyVersion: str(2, "policy_version"),
  id: str(3, "id"),
  attr: map(4, "attr"),
  scope: str(5, "scope"),
};
const requestFields = {
  principal: msg(3, "principal"),
  resources: msg(4, "resources"),
  auxData: msg(5, "aux_data"),
  requestContext: msg(6, "request_context"),
};
const entryFields = { actions: str(1, "actions"), resource: msg(2, "resource") };
const auxFields = { jwt: msg(1, "jwt"), jwts: map(2, "jwts"), token: str(1, "token") };
export const annotationsField = map(1, "annotations");

// ---- decoding (protojson) --------------------------------------------------------------

/** Records that a field was seen (`bit`); a second sighting (camelCase and snake_case) is a protojson error. */
export function mark(seen: number, bit: number, key: string): number {
  if (seen & bit) throw duplicateField(key);
  return seen | bit;
}

/**
 * A principal as decoded, before validation; already the service's Principal (no second
 * object): `policyVersion` and `scope` are set only when sent non-empty, as Cerbos drops "".
 */
export interface DecodedPrincipal {
  id: string;
  roles: readonly string[];
  attr?: Attributes;
  policyVersion?: string;
  scope?: string;
}

export function decodePrincipal(v: unknown): DecodedPrincipal {
  const o = readMessage(v);
  const p: DecodedPrincipal = { id: "", roles: EMPTY };
  let seen = 0;
  for (const key in o) {
    const val = o[key];
    try {
      switch (key) {
        case "id":
          seen = mark(seen, 1, key);
          if (val != null) p.id = readString(val, "id");
          break;
        case "policyVersion":
        case "policy_version":
          seen = mark(seen, 2, key);
          if (val != null && readString(val, "policyVersion") !== "")
            p.policyVersion = val as string;
          break;
        case "roles":
          seen = mark(seen, 4, key);
          if (val != null) p.roles = readStringList(val, "roles");
          break;
        case "attr":
          seen = mark(seen, 8, key);
          if (val != null) p.attr = readValueMap(val) as Attributes;
          break;
        case "scope":
          seen = mark(seen, 16, key);
          if (val != null && readString(val, "scope") !== "") p.scope = val as string;
          break;
        default:
          throw unknownField(key);
      }
    } catch (e) {
      within(e, key);
    }
  }
  return p;
}

/** A resource as decoded: already the service's Resource, like DecodedPrincipal. */
export interface DecodedResource {
  kind: string;
  id: string;
  attr?: Attributes;
  policyVersion?: string;
  scope?: string;
}

export function decodeResource(v: unknown): DecodedResource {
  const o = readMessage(v);
  const r: DecodedResource = { kind: "", id: "" };
  let seen = 0;
  for (const key in o) {
    const val = o[key];
    try {
      switch (key) {
        case "kind":
          seen = mark(seen, 1, key);
          if (val != null) r.kind = readString(val, "kind");
          break;
        case "policyVersion":
        case "policy_version":
          seen = mark(seen, 2, key);
          if (val != null && readString(val, "policyVersion") !== "")
            r.policyVersion = val as string;
          break;
        case "id":
          seen = mark(seen, 4, key);
          if (val != null) r.id = readString(val, "id");
          break;
        case "attr":
          seen = mark(seen, 8, key);
          if (val != null) r.attr = readValueMap(val) as Attributes;
          break;
        case "scope":
          seen = mark(seen, 16, key);
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

interface DecodedEntry {
  actions: readonly string[];
  resource: DecodedResource | undefined;
}

function decodeEntry(v: unknown): DecodedEntry {
  const o = readMessage(v);
  const e: DecodedEntry = { actions: EMPTY, resource: undefined };
  let seen = 0;
  for (const key in o) {
    const val = o[key];
    try {
      switch (key) {
        case "actions":
          seen = mark(seen, 1, key);
          if (val != null) e.actions = readStringList(val, "actions");
          break;
        case "resource":
          seen = mark(seen, 2, key);
          if (val != null) e.resource = decodeResource(val);
          break;
        default:
          throw unknownField(key);
      }
    } catch (err) {
      within(err, key);
    }
  }
  return e;
}

/** Message-typed list elements may not be `null` (protojson reads them as objects). */
function decodeList<T>(v: unknown, decodeItem: (item: unknown) => T): T[] {
  if (!Array.isArray(v)) throw unexpectedToken(v);
  const out = new Array<T>(v.length);
  for (let i = 0; i < v.length; i++) {
    try {
      out[i] = decodeItem(v[i]);
    } catch (e) {
      within(e, i);
    }
  }
  return out;
}

function decodeJwt(v: unknown): JwtRef {
  const o = readMessage(v);
  let token = "";
  let keySetId = "";
  let seen = 0;
  for (const key in o) {
    const val = o[key];
    try {
      switch (key) {
        case "token":
          seen = mark(seen, 1, key);
          if (val != null) token = readString(val, "token");
          break;
        case "keySetId":
        case "key_set_id":
          seen = mark(seen, 2, key);
          if (val != null) keySetId = readString(val, "keySetId");
          break;
        default:
          throw unknownField(key);
      }
    } catch (e) {
      within(e, key);
    }
  }
  return keySetId ? { token, keySetId } : { token };
}

/** `auxData`: `jwts` is kept only when it has entries (an empty map is "not set" in proto). */
export function decodeAuxData(v: unknown): RequestAuxData {
  const o = readMessage(v);
  let jwt: JwtRef | undefined;
  let jwts: Record<string, JwtRef> | undefined;
  let seen = 0;
  for (const key in o) {
    const val = o[key];
    try {
      switch (key) {
        case "jwt":
          seen = mark(seen, 1, key);
          if (val != null) jwt = decodeJwt(val);
          break;
        case "jwts": {
          seen = mark(seen, 2, key);
          if (val == null) break;
          const m = readMessage(val);
          for (const name in m) {
            try {
              (jwts ??= {})[name] = decodeJwt(m[name]);
            } catch (e) {
              within(e, name);
            }
          }
          break;
        }
        default:
          throw unknownField(key);
      }
    } catch (e) {
      within(e, key);
    }
  }
  if (jwt && jwts) return { jwt, jwts };
  if (jwt) return { jwt };
  return jwts ? { jwts } : {};
}

/** `requestContext` (audit annotations): decoded for validation, not used by the PDP. */
export function decodeRequestContext(v: unknown): Record<string, unknown> | undefined {
  const o = readMessage(v);
  let annotations: Record<string, unknown> | undefined;
  let seen = 0;
  for (const key in o) {
    const val = o[key];
    try {
      if (key !== "annotations") throw unknownField(key);
      seen = mark(seen, 1, key);
      if (val != null) annotations = readValueMap(val);
    } catch (e) {
      within(e, key);
    }
  }
  return annotations;
}

// ---- validation (buf.validate) ---------------------------------------------------------

// Each check returns a bit mask of failed rules (no allocation); violations are built from
// it, with their paths, only when it is non-zero.
const P_ID = 1,
  P_VERSION = 2,
  P_ROLES_REQUIRED = 4,
  P_ROLES_UNIQUE = 8,
  P_ROLES_ITEM = 16,
  P_ATTR_KEY = 32,
  P_SCOPE = 64;

function principalFaults(p: DecodedPrincipal, lenient: boolean): number {
  let bits = 0;
  if (p.id === "" && !lenient) bits |= P_ID;
  if (p.policyVersion !== undefined && !isPolicyVersion(p.policyVersion)) bits |= P_VERSION;
  const roles = p.roles;
  if (roles.length === 0) {
    if (!lenient) bits |= P_ROLES_REQUIRED;
  } else {
    if (hasDuplicate(roles)) bits |= P_ROLES_UNIQUE;
    for (let i = 0; i < roles.length; i++) if (roles[i] === "") bits |= P_ROLES_ITEM;
  }
  if (p.attr !== undefined && Object.hasOwn(p.attr, "")) bits |= P_ATTR_KEY;
  if (p.scope !== undefined && !isScope(p.scope)) bits |= P_SCOPE;
  return bits;
}

const at = (prefix: readonly PathStep[], field: FieldDesc): PathStep[] => [...prefix, { field }];

/** Violations of a principal, in field order, under `prefix` (e.g. `principal`). */
export function validatePrincipal(
  p: DecodedPrincipal,
  prefix: readonly PathStep[],
  sink: ViolationSink,
  lenient: boolean,
): void {
  const bits = principalFaults(p, lenient);
  if (bits === 0) return;
  const f = principalFields;
  if (bits & P_ID) sink.add(at(prefix, f.id), "required");
  if (bits & P_VERSION)
    sink.add(
      at(prefix, f.policyVersion),
      "string.pattern",
      `does not match regex pattern \`${POLICY_VERSION_PATTERN}\``,
    );
  if (bits & P_ROLES_REQUIRED) sink.add(at(prefix, f.roles), "required");
  if (bits & P_ROLES_UNIQUE) sink.add(at(prefix, f.roles), "repeated.unique");
  if (bits & P_ROLES_ITEM)
    p.roles.forEach((r, index) => {
      if (r === "")
        sink.add([...prefix, { field: f.roles, index }], "repeated.items.string.min_len");
    });
  if (bits & P_ATTR_KEY)
    sink.add([...prefix, { field: f.attr, key: "" }], "map.keys.string.min_len");
  if (bits & P_SCOPE)
    sink.add(
      at(prefix, f.scope),
      "string.pattern",
      `does not match regex pattern \`${SCOPE_PATTERN}\``,
    );
}

const R_KIND = 1,
  R_VERSION = 2,
  R_ID = 4,
  R_ATTR_KEY = 8,
  R_SCOPE = 16;

function resourceFaults(r: DecodedResource, requireId: boolean): number {
  let bits = 0;
  if (r.kind === "") bits |= R_KIND;
  if (r.policyVersion !== undefined && !isPolicyVersion(r.policyVersion)) bits |= R_VERSION;
  if (requireId && r.id === "") bits |= R_ID;
  if (r.attr !== undefined && Object.hasOwn(r.attr, "")) bits |= R_ATTR_KEY;
  if (r.scope !== undefined && !isScope(r.scope)) bits |= R_SCOPE;
  return bits;
}

export function validateResource(
  r: DecodedResource,
  prefix: readonly PathStep[],
  sink: ViolationSink,
  requireId = true,
): void {
  const bits = resourceFaults(r, requireId);
  if (bits === 0) return;
  const f = resourceFields;
  if (bits & R_KIND) sink.add(at(prefix, f.kind), "required");
  if (bits & R_VERSION)
    sink.add(
      at(prefix, f.policyVersion),
      "string.pattern",
      `does not match regex pattern \`${POLICY_VERSION_PATTERN}\``,
    );
  if (bits & R_ID) sink.add(at(prefix, f.id), "required");
  if (bits & R_ATTR_KEY)
    sink.add([...prefix, { field: f.attr, key: "" }], "map.keys.string.min_len");
  if (bits & R_SCOPE)
    sink.add(
      at(prefix, f.scope),
      "string.pattern",
      `does not match regex pattern \`${SCOPE_PATTERN}\``,
    );
}

/** `repeated string actions` with `required`, `unique` and non-empty items. */
export function validateActions(
  actions: readonly string[],
  field: FieldDesc,
  prefix: readonly PathStep[],
  sink: ViolationSink,
): void {
  if (actions.length === 0) {
    sink.add(at(prefix, field), "required");
    return;
  }
  if (hasDuplicate(actions)) sink.add(at(prefix, field), "repeated.unique");
  for (let i = 0; i < actions.length; i++)
    if (actions[i] === "")
      sink.add([...prefix, { field, index: i }], "repeated.items.string.min_len");
}

const onlyOneJwt = {
  celId: "AuxData.only_one_jwt_field",
  message: "Only one of the jwt or jwts fields must be set",
};

export function validateAuxData(
  aux: RequestAuxData,
  prefix: readonly PathStep[],
  sink: ViolationSink,
): void {
  const { jwt, jwts } = aux;
  if (jwt && jwts) sink.add(prefix, onlyOneJwt);
  if (jwt && jwt.token === "")
    sink.add([...prefix, { field: auxFields.jwt }, { field: auxFields.token }], "required");
  if (jwts)
    for (const name in jwts) {
      if (name === "")
        sink.add([...prefix, { field: auxFields.jwts, key: "" }], "map.keys.string.min_len");
      if (jwts[name]!.token === "")
        sink.add(
          [...prefix, { field: auxFields.jwts, key: name }, { field: auxFields.token }],
          "required",
        );
    }
}

const PRINCIPAL_PATH: readonly PathStep[] = [{ field: requestFields.principal }];
const AUX_PATH: readonly PathStep[] = [{ field: requestFields.auxData }];

// ---- output ----------------------------------------------------------------------------

/** A Resource from its parts, leaving out what is empty (as Cerbos drops proto defaults). */
export function toResource(
  kind: string,
  id: string,
  attr: Attributes | undefined,
  policyVersion: string,
  scope: string,
): Resource {
  const out: DecodedResource = { kind, id };
  if (attr !== undefined) out.attr = attr;
  if (policyVersion !== "") out.policyVersion = policyVersion;
  if (scope !== "") out.scope = scope;
  return out;
}

/** Cerbos checks the limits only once the request is valid: resources first, then actions. */
export function checkLimits(resources: readonly ResourceEntry[], options: DecodeOptions): void {
  if (resources.length > options.maxResourcesPerRequest)
    throw new InvalidArgumentError(
      "",
      `number of resources in batch (${resources.length}) exceeds configured limit (${options.maxResourcesPerRequest})`,
    );
  for (const entry of resources)
    if (entry.actions.length > options.maxActionsPerResource)
      throw new InvalidArgumentError(
        "",
        `number of actions (${entry.actions.length}) exceeds configured limit (${options.maxActionsPerResource})`,
      );
}

// ---- the request -----------------------------------------------------------------------

/**
 * Validates a CheckResources request body (already JSON-parsed) the way Cerbos does and
 * returns it in the service's shape. Throws InvalidArgumentError with Cerbos's message
 * (a RequestValidationError, carrying the violation detail, for rule violations).
 */
export function decodeCheckResourcesRequest(
  json: unknown,
  options: DecodeOptions,
): CheckResourcesRequest {
  let requestId = "";
  let includeMeta = false;
  let principal: DecodedPrincipal | undefined;
  let entries: DecodedEntry[] | undefined;
  let auxData: RequestAuxData | undefined;
  let annotations: Record<string, unknown> | undefined;
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
          case "includeMeta":
          case "include_meta":
            seen = mark(seen, 2, key);
            if (val != null) includeMeta = readBool(val, "includeMeta");
            break;
          case "principal":
            seen = mark(seen, 4, key);
            if (val != null) principal = decodePrincipal(val);
            break;
          case "resources":
            seen = mark(seen, 8, key);
            if (val != null) entries = decodeList(val, decodeEntry);
            break;
          case "auxData":
          case "aux_data":
            seen = mark(seen, 16, key);
            if (val != null) auxData = decodeAuxData(val);
            break;
          case "requestContext":
          case "request_context":
            seen = mark(seen, 32, key);
            if (val != null) annotations = decodeRequestContext(val);
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
  const lenient = options.principalOptional;
  if (principal) validatePrincipal(principal, PRINCIPAL_PATH, sink, lenient);
  else if (!lenient) sink.add(PRINCIPAL_PATH, "required");

  const resources: ResourceEntry[] = [];
  if (!entries || entries.length === 0) sink.add(PRINCIPAL_PATH_RESOURCES, "required");
  else
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      validateEntry(e, i, sink);
      if (e.resource) resources.push(e as ResourceEntry);
    }
  if (auxData) validateAuxData(auxData, AUX_PATH, sink);
  if (annotations && Object.hasOwn(annotations, ""))
    sink.add(
      [{ field: requestFields.requestContext }, { field: annotationsField, key: "" }],
      "map.keys.string.min_len",
    );
  sink.throwIfAny();

  checkLimits(resources, options);
  const out: {
    requestId: string;
    principal?: Principal;
    resources: readonly ResourceEntry[];
    auxData?: RequestAuxData;
    includeMeta: boolean;
  } = { requestId, resources, includeMeta };
  if (principal) out.principal = principal;
  if (auxData && (auxData.jwt || auxData.jwts)) out.auxData = auxData;
  return out;
}

const PRINCIPAL_PATH_RESOURCES: readonly PathStep[] = [{ field: requestFields.resources }];

function validateEntry(e: DecodedEntry, index: number, sink: ViolationSink): void {
  // the common case, a valid entry, is decided without building a path
  if (
    e.actions.length > 0 &&
    e.resource !== undefined &&
    resourceFaults(e.resource, true) === 0 &&
    !hasDuplicate(e.actions) &&
    !e.actions.includes("")
  )
    return;
  const prefix: PathStep[] = [{ field: requestFields.resources, index }];
  validateActions(e.actions, entryFields.actions, prefix, sink);
  if (e.resource === undefined) sink.add(at(prefix, entryFields.resource), "required");
  else validateResource(e.resource, at(prefix, entryFields.resource), sink);
}
