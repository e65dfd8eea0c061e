// The CEL environment Cerbos policy conditions are compiled in: the identifiers Cerbos declares
// (request, P, R, V/variables, C/constants, G/globals, runtime), the message types behind them,
// the cel-go extension libraries Cerbos 0.55 enables, and Cerbos's own functions.
//
// What the engine passes to `CompiledExpression.evaluate` (see `cerbosBindings`):
//
//   {
//     request:   { principal, resource, auxData },               // cerbos.engine.v1.Request
//     P:         request.principal,                            // cerbos.engine.v1.Request.Principal
//     R:         request.resource,                             // cerbos.engine.v1.Request.Resource
//     V, variables:  a map (a CelMapLike for lazily evaluated policy variables),
//     C, constants:  a map,
//     G, globals:    a map,
//   (typed as the message cerbos.Variables, whose fields are read with map semantics)
//     runtime:   { effectiveDerivedRoles },                      // cerbos.engine.v1.Runtime
//   }
//
// and `{ now: () => CelTimestamp }` as the EvalContext, fixed once per check request, which
// `now()` and `timeSince()` read. Message fields are reachable by their JSON (camelCase) and
// proto (snake_case) names, as in Cerbos (`request.aux_data.jwt` and `request.auxData.jwt`):
// those four values are host maps that answer to both names (see CerbosMessage).

import { createEnvironment, type CelEnvironment } from "../index.ts";
import type {
  BindingReader,
  CelLibrary,
  FieldReader,
  MessageDecl,
  PathEvaluator,
  PathReader,
} from "../library.ts";
import { extensionLibraries } from "../lib/index.ts";
import { T, type CelType } from "../types.ts";
import type { CelMapLike, CelMapValue, CelValue } from "../value.ts";
import { coreFunctionsLibrary } from "./core-functions.ts";
import { hierarchyLibrary } from "./hierarchy.ts";
import { jsonLibrary } from "./json-encode.ts";
import { listSetsLibrary } from "./list-sets.ts";
import { pathFunctionsLibrary } from "./path-functions.ts";
import { spiffeLibrary } from "./spiffe.ts";
import { timeFunctionsLibrary } from "./time-functions.ts";

export const REQUEST_TYPE = "cerbos.engine.v1.Request";
export const PRINCIPAL_TYPE = "cerbos.engine.v1.Request.Principal";
export const RESOURCE_TYPE = "cerbos.engine.v1.Request.Resource";
export const AUX_DATA_TYPE = "cerbos.engine.v1.AuxData";
export const JWT_TYPE = "cerbos.engine.v1.AuxData.JWT";
export const RUNTIME_TYPE = "cerbos.engine.v1.Runtime";

const ATTR = T.map(T.string, T.dyn);

/** The messages behind Cerbos's identifiers; camelCase fields also answer to their proto names. */
/**
 * Cerbos types V, C and G as a message whose every field is dyn: `V.x` reads a variable, while
 * map operations on the whole (`V["x"]`, `size(V)`, `"x" in V`) are compile errors, as in
 * Cerbos (`found no matching overload for '_[_]' applied to '(cerbos.Variables, string)'`).
 */
const VARIABLES_TYPE = "cerbos.Variables";
const VARIABLES = T.message(VARIABLES_TYPE);

export const cerbosMessages: readonly MessageDecl[] = [
  { name: VARIABLES_TYPE, fields: {}, dynamicFields: true },
  {
    name: REQUEST_TYPE,
    fields: {
      principal: T.message(PRINCIPAL_TYPE),
      resource: T.message(RESOURCE_TYPE),
      auxData: T.message(AUX_DATA_TYPE),
      aux_data: T.message(AUX_DATA_TYPE),
    },
    fieldReader: (field) => readerOf(RequestMessage.readers, field),
  },
  {
    name: PRINCIPAL_TYPE,
    fields: {
      id: T.string,
      roles: T.list(T.string),
      attr: ATTR,
      policyVersion: T.string,
      policy_version: T.string,
      scope: T.string,
    },
    fieldReader: (field) => readerOf(PrincipalMessage.readers, field),
  },
  {
    name: RESOURCE_TYPE,
    fields: {
      kind: T.string,
      id: T.string,
      attr: ATTR,
      policyVersion: T.string,
      policy_version: T.string,
      scope: T.string,
    },
    fieldReader: (field) => readerOf(ResourceMessage.readers, field),
  },
  { name: AUX_DATA_TYPE, fields: { jwt: ATTR, jwts: T.map(T.string, T.message(JWT_TYPE)) } },
  { name: JWT_TYPE, fields: { claims: ATTR } },
  {
    name: RUNTIME_TYPE,
    fields: { effectiveDerivedRoles: T.list(T.string), effective_derived_roles: T.list(T.string) },
  },
];

function readerOf(
  readers: Readonly<Record<string, FieldReader>>,
  field: string,
): FieldReader | undefined {
  return Object.hasOwn(readers, field) ? readers[field] : undefined;
}

/** Every identifier a Cerbos condition may use, with its type. */
export const cerbosVariables: Readonly<Record<string, CelType>> = {
  request: T.message(REQUEST_TYPE),
  P: T.message(PRINCIPAL_TYPE),
  R: T.message(RESOURCE_TYPE),
  runtime: T.message(RUNTIME_TYPE),
  V: VARIABLES,
  variables: VARIABLES,
  C: VARIABLES,
  constants: VARIABLES,
  G: VARIABLES,
  globals: VARIABLES,
};

const CERBOS_LIBRARIES: readonly CelLibrary[] = [
  ...extensionLibraries,
  listSetsLibrary,
  hierarchyLibrary,
  timeFunctionsLibrary,
  coreFunctionsLibrary,
  pathFunctionsLibrary,
  spiffeLibrary,
  jsonLibrary,
];

/** The cel-go extension libraries Cerbos enables followed by Cerbos's own functions. */
export function cerbosLibraries(): readonly CelLibrary[] {
  return CERBOS_LIBRARIES;
}

/** One reader per identifier, each its own function, so each read site stays monomorphic. */
const CERBOS_BINDING_READERS: Readonly<Record<string, BindingReader>> = {
  request: (b) => b["request"],
  P: (b) => b["P"],
  R: (b) => b["R"],
  runtime: (b) => b["runtime"],
  V: (b) => b["V"],
  variables: (b) => b["variables"],
  C: (b) => b["C"],
  constants: (b) => b["constants"],
  G: (b) => b["G"],
  globals: (b) => b["globals"],
};

let cached: CelEnvironment | undefined;

/** The environment every Cerbos condition is compiled in; built once and shared. */
export function cerbosEnvironment(): CelEnvironment {
  cached ??= createEnvironment({
    variables: cerbosVariables,
    libraries: CERBOS_LIBRARIES,
    messages: cerbosMessages,
    bindingReaders: CERBOS_BINDING_READERS,
    pathReader: cerbosPathReader,
    emptyMembershipIsFalse: true,
  });
  return cached;
}

type Attributes = Readonly<Record<string, CelValue>>;

/** The parts of a check request conditions can see, as JSON arrives (numbers are doubles). */
export interface CerbosConditionInput {
  readonly principal: {
    readonly id: string;
    readonly roles: readonly string[];
    readonly attr?: Attributes;
    readonly policyVersion?: string;
    readonly scope?: string;
  };
  readonly resource: {
    readonly kind: string;
    readonly id: string;
    readonly attr?: Attributes;
    readonly policyVersion?: string;
    readonly scope?: string;
  };
  readonly auxData?: {
    readonly jwt?: Attributes;
    readonly jwts?: Readonly<Record<string, { readonly claims?: Attributes }>>;
  };
  readonly variables?: CelMapValue;
  readonly constants?: CelMapValue;
  readonly globals?: CelMapValue;
  readonly effectiveDerivedRoles?: readonly string[];
}

const EMPTY: Attributes = Object.freeze({});

type EntityInput = {
  readonly attr?: CelValue;
  readonly policyVersion?: string;
  readonly scope?: string;
};

/**
 * A message value (request, principal, resource, runtime) as conditions see it: its fields under
 * their JSON names, each also readable under its proto (snake_case) name, as in Cerbos, while
 * iteration, `size` and JSON conversion see each field once. A host map rather than a plain
 * object with a non-enumerable alias property: defining such a property on every request's
 * objects was the largest single cost of a check. Each message wraps the request's own object
 * (one field to set per check) and answers field reads from it; what every instance of a type
 * shares (`celMapLike`, the field names) lives on the prototype.
 */
abstract class CerbosMessage implements CelMapLike {
  declare readonly celMapLike: true;
  /** JSON names in Cerbos's order. */
  declare readonly fieldNames: readonly string[];
  /** JSON and proto names. */
  declare readonly allNames: readonly string[];
  abstract get(key: string): CelValue | undefined;

  has(key: string): boolean {
    return this.allNames.includes(key);
  }

  keys(): Iterable<string> {
    return this.fieldNames;
  }

  get size(): number {
    return this.fieldNames.length;
  }
}

/** Sets what every instance of a message type shares on its prototype. */
function describeMessage(
  cls: { prototype: CerbosMessage },
  fieldNames: readonly string[],
  aliases: readonly string[],
): void {
  Object.defineProperties(cls.prototype, {
    celMapLike: { value: true },
    fieldNames: { value: Object.freeze([...fieldNames]) },
    allNames: { value: Object.freeze([...fieldNames, ...aliases]) },
  });
}

/** The fields principals and resources share: attributes, policy version and scope. */
function entityField(e: EntityInput, key: string): CelValue | undefined {
  switch (key) {
    case "attr":
      return e.attr ?? EMPTY;
    case "policyVersion":
    case "policy_version":
      return e.policyVersion ?? "";
    case "scope":
      return e.scope ?? "";
    default:
      return undefined;
  }
}

class PrincipalMessage extends CerbosMessage {
  #p: CerbosConditionInput["principal"];

  constructor(p: CerbosConditionInput["principal"]) {
    super();
    this.#p = p;
  }

  /** Points the message at another principal (see ReusableRequestValues). */
  reset(p: CerbosConditionInput["principal"]): void {
    this.#p = p;
  }

  /** The principal behind a value when it is a principal message. */
  static principalOf(v: unknown): CerbosConditionInput["principal"] | undefined {
    return v instanceof PrincipalMessage ? v.#p : undefined;
  }

  get(key: string): CelValue | undefined {
    if (key === "id") return this.#p.id;
    if (key === "roles") return this.#p.roles;
    return entityField(this.#p, key);
  }

  /** One reader per field, each its own function, so each read site stays monomorphic. */
  static readonly readers: Readonly<Record<string, FieldReader>> = {
    id: (v) => (v instanceof PrincipalMessage ? v.#p.id : undefined),
    roles: (v) => (v instanceof PrincipalMessage ? v.#p.roles : undefined),
    attr: (v) => (v instanceof PrincipalMessage ? (v.#p.attr ?? EMPTY) : undefined),
    policyVersion: (v) => (v instanceof PrincipalMessage ? (v.#p.policyVersion ?? "") : undefined),
    policy_version: (v) => (v instanceof PrincipalMessage ? (v.#p.policyVersion ?? "") : undefined),
    scope: (v) => (v instanceof PrincipalMessage ? (v.#p.scope ?? "") : undefined),
  };
}
describeMessage(
  PrincipalMessage,
  ["id", "roles", "attr", "policyVersion", "scope"],
  ["policy_version"],
);

class ResourceMessage extends CerbosMessage {
  #r: CerbosConditionInput["resource"];

  constructor(r: CerbosConditionInput["resource"]) {
    super();
    this.#r = r;
  }

  /** Points the message at another resource (see ReusableRequestValues). */
  reset(r: CerbosConditionInput["resource"]): void {
    this.#r = r;
  }

  /** The resource behind a value when it is a resource message. */
  static resourceOf(v: unknown): CerbosConditionInput["resource"] | undefined {
    return v instanceof ResourceMessage ? v.#r : undefined;
  }

  get(key: string): CelValue | undefined {
    if (key === "kind") return this.#r.kind;
    if (key === "id") return this.#r.id;
    return entityField(this.#r, key);
  }

  /** One reader per field, each its own function, so each read site stays monomorphic. */
  static readonly readers: Readonly<Record<string, FieldReader>> = {
    kind: (v) => (v instanceof ResourceMessage ? v.#r.kind : undefined),
    id: (v) => (v instanceof ResourceMessage ? v.#r.id : undefined),
    attr: (v) => (v instanceof ResourceMessage ? (v.#r.attr ?? EMPTY) : undefined),
    policyVersion: (v) => (v instanceof ResourceMessage ? (v.#r.policyVersion ?? "") : undefined),
    policy_version: (v) => (v instanceof ResourceMessage ? (v.#r.policyVersion ?? "") : undefined),
    scope: (v) => (v instanceof ResourceMessage ? (v.#r.scope ?? "") : undefined),
  };
}
describeMessage(
  ResourceMessage,
  ["kind", "id", "attr", "policyVersion", "scope"],
  ["policy_version"],
);

class RequestMessage extends CerbosMessage {
  readonly principal: PrincipalMessage;
  readonly resource: ResourceMessage;
  #auxData: CerbosConditionInput["auxData"];
  /** `auxData` as conditions see it, built when first read. */
  #aux: CelMapValue | undefined;

  /** Points the message at another request's aux data (see ReusableRequestValues). */
  reset(auxData: CerbosConditionInput["auxData"]): void {
    this.#auxData = auxData;
    this.#aux = undefined;
  }

  constructor(
    principal: PrincipalMessage,
    resource: ResourceMessage,
    auxData: CerbosConditionInput["auxData"],
  ) {
    super();
    this.principal = principal;
    this.resource = resource;
    this.#auxData = auxData;
  }

  get(key: string): CelValue | undefined {
    switch (key) {
      case "principal":
        return this.principal;
      case "resource":
        return this.resource;
      case "auxData":
      case "aux_data":
        return this.#auxDataValue();
      default:
        return undefined;
    }
  }

  #auxDataValue(): CelMapValue {
    return (this.#aux ??= auxDataValue(this.#auxData));
  }

  /** One reader per field, each its own function, so each read site stays monomorphic. */
  static readonly readers: Readonly<Record<string, FieldReader>> = {
    principal: (v) => (v instanceof RequestMessage ? v.principal : undefined),
    resource: (v) => (v instanceof RequestMessage ? v.resource : undefined),
    auxData: (v) => (v instanceof RequestMessage ? v.#auxDataValue() : undefined),
    aux_data: (v) => (v instanceof RequestMessage ? v.#auxDataValue() : undefined),
  };
}
describeMessage(RequestMessage, ["principal", "resource", "auxData"], ["aux_data"]);

/** `request.auxData`: the token's claims, and named tokens' claims (empty maps when absent). */
function auxDataValue(auxData: CerbosConditionInput["auxData"]): CelMapValue {
  let jwts: Record<string, CelValue> | Attributes = EMPTY;
  if (auxData?.jwts !== undefined) {
    const named: Record<string, CelValue> = {};
    for (const [name, token] of Object.entries(auxData.jwts))
      named[name] = { claims: token.claims ?? EMPTY };
    jwts = named;
  }
  return { jwt: auxData?.jwt ?? EMPTY, jwts };
}

class RuntimeMessage extends CerbosMessage {
  readonly effectiveDerivedRoles: readonly string[];

  constructor(effectiveDerivedRoles: readonly string[]) {
    super();
    this.effectiveDerivedRoles = effectiveDerivedRoles;
  }

  get(key: string): CelValue | undefined {
    return key === "effectiveDerivedRoles" || key === "effective_derived_roles"
      ? this.effectiveDerivedRoles
      : undefined;
  }
}
describeMessage(RuntimeMessage, ["effectiveDerivedRoles"], ["effective_derived_roles"]);

/** `request`, `P` and `R` of one request: what the engine builds once per checked resource. */
export interface CerbosRequestValues {
  readonly request: CelValue;
  readonly P: CelValue;
  readonly R: CelValue;
}

/**
 * `request`, `P` and `R` for one principal and resource. Absent fields take their defaults
 * (empty strings, lists and maps) so that `R.attr.x` on a resource without attributes reports
 * `no such key: x`, as Cerbos does.
 */
export function cerbosRequestValues(
  principal: CerbosConditionInput["principal"],
  resource: CerbosConditionInput["resource"],
  auxData: CerbosConditionInput["auxData"],
): CerbosRequestValues {
  const P = new PrincipalMessage(principal);
  const R = new ResourceMessage(resource);
  const request = new RequestMessage(P, R, auxData);
  return { request, P, R };
}

const NO_PRINCIPAL: CerbosConditionInput["principal"] = Object.freeze({ id: "", roles: [] });
const NO_RESOURCE: CerbosConditionInput["resource"] = Object.freeze({ kind: "", id: "" });

/**
 * `request`, `P` and `R` made once and pointed at each request in turn by `reset`, for a caller
 * that evaluates one request at a time and lets none of the three outlive it (the engine's
 * checks: outputs are converted to JSON, so no message escapes into a result).
 */
export class ReusableRequestValues implements CerbosRequestValues {
  readonly #P = new PrincipalMessage(NO_PRINCIPAL);
  readonly #R = new ResourceMessage(NO_RESOURCE);
  readonly #request = new RequestMessage(this.#P, this.#R, undefined);
  readonly request: CelValue = this.#request;
  readonly P: CelValue = this.#P;
  readonly R: CelValue = this.#R;

  reset(
    principal: CerbosConditionInput["principal"],
    resource: CerbosConditionInput["resource"],
    auxData: CerbosConditionInput["auxData"],
  ): void {
    this.#P.reset(principal);
    this.#R.reset(resource);
    this.#request.reset(auxData);
  }
}

/**
 * Direct reads of the chains conditions use most: `R.attr.k`, `P.attr.k`, `R.id`, `P.id`
 * (and the same through `request.resource` and `request.principal`). Each is one function
 * reading the request's own objects; anything but a plain read (a missing key, attributes that
 * are not a plain object, bindings without Cerbos's messages) goes the ordinary way.
 */
const cerbosPathReader: PathReader = (path, fallback) => {
  let entity: "R" | "P";
  let rest: readonly string[];
  if (path[0] === "R" || path[0] === "P") {
    entity = path[0];
    rest = path.slice(1);
  } else if (path[0] === "request" && (path[1] === "resource" || path[1] === "principal")) {
    entity = path[1] === "resource" ? "R" : "P";
    rest = path.slice(2);
  } else {
    return undefined;
  }
  const viaRequest = path[0] === "request";
  if (rest.length === 1 && rest[0] === "id") {
    if (entity === "R") return viaRequest ? requestResourceId(fallback) : resourceId(fallback);
    return viaRequest ? requestPrincipalId(fallback) : principalId(fallback);
  }
  if (rest.length === 2 && rest[0] === "attr") {
    const key = rest[1] as string;
    // A key Object.prototype has would read through to it on a plain object.
    if (key in Object.prototype) return undefined;
    if (entity === "R")
      return viaRequest ? requestResourceAttr(key, fallback) : resourceAttr(key, fallback);
    return viaRequest ? requestPrincipalAttr(key, fallback) : principalAttr(key, fallback);
  }
  return undefined;
};

/** An attribute of a plain attributes object; undefined for anything else. */
function plainAttr(attr: CelValue | undefined, key: string): CelValue | undefined {
  if (typeof attr !== "object" || attr === null || attr.constructor !== Object) return undefined;
  return (attr as Readonly<Record<string, CelValue | undefined>>)[key];
}

/** `request.resource`/`request.principal` of the bindings' request message, if it is one. */
function requestOf(b: Readonly<Record<string, CelValue>>): RequestMessage | undefined {
  const q = b["request"];
  return q instanceof RequestMessage ? q : undefined;
}

// One factory per chain shape, so each shape's read sites stay monomorphic.
function resourceAttr(key: string, fallback: PathEvaluator): PathEvaluator {
  return (b, l, c) => {
    const v = plainAttr(ResourceMessage.resourceOf(b["R"])?.attr, key);
    return v !== undefined ? v : fallback(b, l, c);
  };
}
function principalAttr(key: string, fallback: PathEvaluator): PathEvaluator {
  return (b, l, c) => {
    const v = plainAttr(PrincipalMessage.principalOf(b["P"])?.attr, key);
    return v !== undefined ? v : fallback(b, l, c);
  };
}
function requestResourceAttr(key: string, fallback: PathEvaluator): PathEvaluator {
  return (b, l, c) => {
    const v = plainAttr(ResourceMessage.resourceOf(requestOf(b)?.resource)?.attr, key);
    return v !== undefined ? v : fallback(b, l, c);
  };
}
function requestPrincipalAttr(key: string, fallback: PathEvaluator): PathEvaluator {
  return (b, l, c) => {
    const v = plainAttr(PrincipalMessage.principalOf(requestOf(b)?.principal)?.attr, key);
    return v !== undefined ? v : fallback(b, l, c);
  };
}
function resourceId(fallback: PathEvaluator): PathEvaluator {
  return (b, l, c) => ResourceMessage.resourceOf(b["R"])?.id ?? fallback(b, l, c);
}
function principalId(fallback: PathEvaluator): PathEvaluator {
  return (b, l, c) => PrincipalMessage.principalOf(b["P"])?.id ?? fallback(b, l, c);
}
function requestResourceId(fallback: PathEvaluator): PathEvaluator {
  return (b, l, c) => ResourceMessage.resourceOf(requestOf(b)?.resource)?.id ?? fallback(b, l, c);
}
function requestPrincipalId(fallback: PathEvaluator): PathEvaluator {
  return (b, l, c) =>
    PrincipalMessage.principalOf(requestOf(b)?.principal)?.id ?? fallback(b, l, c);
}

/** `runtime`: the effective derived roles under both field names. */
function cerbosRuntime(effectiveDerivedRoles: readonly string[]): CelValue {
  return new RuntimeMessage(effectiveDerivedRoles);
}

/**
 * The bindings object for `CompiledExpression.evaluate`. Build it once per request and resource,
 * not per condition.
 */
export function cerbosBindings(input: CerbosConditionInput): Record<string, CelValue> {
  const { request, P, R } = cerbosRequestValues(input.principal, input.resource, input.auxData);
  const variables = input.variables ?? EMPTY;
  const constants = input.constants ?? EMPTY;
  const globals = input.globals ?? EMPTY;
  return {
    request,
    P,
    R,
    V: variables,
    variables,
    C: constants,
    constants,
    G: globals,
    globals,
    runtime: cerbosRuntime(input.effectiveDerivedRoles ?? []),
  };
}
