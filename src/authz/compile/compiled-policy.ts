// The compiled form of policies: what the rule table indexes and the engine walks. Everything
// here is built once by the compiler and never mutated; conditions hold ready-to-run CEL
// programs, variables are in dependency order, derived roles are resolved.

import type { CompiledExpression } from "../cel/index.ts";
import type { CelValue } from "../cel/value.ts";
import type { Effect, ScopePermissions } from "../policy/model.ts";
import type { SchemaRef } from "../policy/model.ts";

/** A CEL expression with the text Cerbos quotes in evaluation errors. */
export interface CompiledExpr {
  readonly source: string;
  readonly program: CompiledExpression;
}

export type CompiledCondition =
  | { readonly op: "expr"; readonly expr: CompiledExpr }
  | { readonly op: "all" | "any" | "none"; readonly of: readonly CompiledCondition[] };

export interface CompiledVariable {
  readonly name: string;
  readonly expr: CompiledExpr;
}

/**
 * The constants and variables in scope for a policy's (or a derived roles set's) expressions.
 * The engine evaluates the variables once per check and caches them by `id`.
 */
export interface CompiledParams {
  readonly id: number;
  /** JSON values, which are CEL values as they are (objects are maps, numbers doubles). */
  readonly constants: Readonly<Record<string, CelValue>>;
  /**
   * The variables to evaluate per check, in dependency order. Variables that do not depend on
   * the request were evaluated at load (`folded`) and the programs read them as literals, so
   * they are left out unless an expression still reads them from `V` at run time.
   */
  readonly variables: readonly CompiledVariable[];
  /** Values of the variables in scope evaluated at load: for inspection, the engine needs none. */
  readonly folded: Readonly<Record<string, CelValue>>;
}

export interface CompiledOutput {
  readonly ruleActivated?: CompiledExpr;
  readonly conditionNotMet?: CompiledExpr;
}

export interface CompiledDerivedRole {
  readonly name: string;
  /** The derived roles set's policy key (`derived_roles.common_roles`). */
  readonly originKey: string;
  readonly parentRoles: readonly string[];
  readonly condition?: CompiledCondition;
  readonly params: CompiledParams;
}

export type RuleTablePolicyKind = "RESOURCE" | "PRINCIPAL" | "ROLE";

/** Identity of a compiled resource, principal or role policy. */
export interface PolicyIdentity {
  readonly kind: RuleTablePolicyKind;
  /** Resource kind, principal id or role name. */
  readonly name: string;
  readonly version: string;
  readonly scope: string;
  /** `resource.leave_request.v20210210/acme`. */
  readonly key: string;
  readonly file: string;
}

export interface CompiledSchemas {
  readonly principalSchema?: SchemaRef;
  readonly resourceSchema?: SchemaRef;
}

export type { Effect, ScopePermissions };
