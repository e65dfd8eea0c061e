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
// proto (snake_case) names, as in Cerbos (`request.aux_data.jwt` and `request.auxData.jwt`);
// cerbosBindings adds the snake_case names as non-enumerable aliases.

import { createEnvironment, type CelEnvironment } from "../index.ts";
import type { CelLibrary, MessageDecl } from "../library.ts";
import { extensionLibraries } from "../lib/index.ts";
import { T, type CelType } from "../types.ts";
import type { CelMapValue, CelValue } from "../value.ts";
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
  },
  { name: AUX_DATA_TYPE, fields: { jwt: ATTR, jwts: T.map(T.string, T.message(JWT_TYPE)) } },
  { name: JWT_TYPE, fields: { claims: ATTR } },
  {
    name: RUNTIME_TYPE,
    fields: { effectiveDerivedRoles: T.list(T.string), effective_derived_roles: T.list(T.string) },
  },
];

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

let cached: CelEnvironment | undefined;

/** The environment every Cerbos condition is compiled in; built once and shared. */
export function cerbosEnvironment(): CelEnvironment {
  cached ??= createEnvironment({
    variables: cerbosVariables,
    libraries: CERBOS_LIBRARIES,
    messages: cerbosMessages,
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

/**
 * Adds the proto (snake_case) name of a field as a non-enumerable alias: selects find it, while
 * iteration and JSON conversion see each field once, under its JSON name.
 */
function withAlias<T extends object>(obj: T, alias: string, value: CelValue): T {
  Object.defineProperty(obj, alias, { value, enumerable: false });
  return obj;
}

/** Adds the fields principals and resources share, with defaults and the snake_case alias. */
function entityFields<T extends object>(
  base: T,
  e: { readonly attr?: CelValue; readonly policyVersion?: string; readonly scope?: string },
): T & { attr: CelValue; policyVersion: string; scope: string } {
  const policyVersion = e.policyVersion ?? "";
  const fields = { ...base, attr: e.attr ?? EMPTY, policyVersion, scope: e.scope ?? "" };
  return withAlias(fields, "policy_version", policyVersion);
}

/**
 * The bindings object for `CompiledExpression.evaluate`. Absent fields take their defaults
 * (empty strings, lists and maps) so that `R.attr.x` on a resource without attributes reports
 * `no such key: x`, as Cerbos does. Build it once per request and resource, not per condition.
 */
export function cerbosBindings(input: CerbosConditionInput): Record<string, CelValue> {
  const p = input.principal;
  const r = input.resource;
  const principal = entityFields({ id: p.id, roles: p.roles }, p);
  const resource = entityFields({ kind: r.kind, id: r.id }, r);
  const jwts: Record<string, CelValue> = {};
  for (const [name, token] of Object.entries(input.auxData?.jwts ?? {}))
    jwts[name] = { claims: token.claims ?? EMPTY };
  const auxData: CelMapValue = { jwt: input.auxData?.jwt ?? EMPTY, jwts };
  const roles = input.effectiveDerivedRoles ?? [];
  const variables = input.variables ?? EMPTY;
  const constants = input.constants ?? EMPTY;
  const globals = input.globals ?? EMPTY;
  return {
    request: withAlias({ principal, resource, auxData }, "aux_data", auxData),
    P: principal,
    R: resource,
    V: variables,
    variables,
    C: constants,
    constants,
    G: globals,
    globals,
    runtime: withAlias({ effectiveDerivedRoles: roles }, "effective_derived_roles", roles),
  };
}
