// The policy model: Cerbos policy documents (apiVersion api.cerbos.dev/v1) as typed data.
// Field names follow Cerbos's JSON form so a policy file maps onto these types one to one.
// Values are as written by the author; defaults are applied by the compiler, not here.

export type Effect = "EFFECT_ALLOW" | "EFFECT_DENY";

export type ScopePermissions =
  | "SCOPE_PERMISSIONS_UNSPECIFIED"
  | "SCOPE_PERMISSIONS_OVERRIDE_PARENT"
  | "SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS";

/** JSON value as found in constants, globals and attributes. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

export interface Match {
  readonly all?: { readonly of: readonly Match[] };
  readonly any?: { readonly of: readonly Match[] };
  readonly none?: { readonly of: readonly Match[] };
  readonly expr?: string;
}

export interface Condition {
  readonly match?: Match;
  /** No longer supported by Cerbos; kept so the validator can reject it with a clear message. */
  readonly script?: string;
}

export interface Output {
  /** Deprecated single expression, evaluated when the rule activates. */
  readonly expr?: string;
  readonly when?: { readonly ruleActivated?: string; readonly conditionNotMet?: string };
}

export interface Variables {
  readonly import?: readonly string[];
  readonly local?: Readonly<Record<string, string>>;
}

export interface Constants {
  readonly import?: readonly string[];
  readonly local?: Readonly<Record<string, JsonValue>>;
}

export interface SchemaRef {
  readonly ref: string;
  readonly ignoreWhen?: { readonly actions: readonly string[] };
}

export interface Schemas {
  readonly principalSchema?: SchemaRef;
  readonly resourceSchema?: SchemaRef;
}

export interface Metadata {
  readonly sourceFile?: string;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly hash?: string;
  readonly storeIdentifier?: string;
  readonly storeIdentifer?: string;
  readonly sourceAttributes?: { readonly attributes?: Readonly<Record<string, JsonValue>> };
}

export interface ResourceRule {
  readonly actions: readonly string[];
  readonly derivedRoles?: readonly string[];
  readonly roles?: readonly string[];
  readonly condition?: Condition;
  readonly effect: Effect;
  readonly name?: string;
  readonly output?: Output;
}

export interface ResourcePolicy {
  readonly resource: string;
  readonly version: string;
  readonly importDerivedRoles?: readonly string[];
  readonly rules?: readonly ResourceRule[];
  readonly scope?: string;
  readonly schemas?: Schemas;
  readonly variables?: Variables;
  readonly scopePermissions?: ScopePermissions;
  readonly constants?: Constants;
}

export interface PrincipalRuleAction {
  readonly action: string;
  readonly condition?: Condition;
  readonly effect: Effect;
  readonly name?: string;
  readonly output?: Output;
}

export interface PrincipalRule {
  readonly resource: string;
  readonly actions: readonly PrincipalRuleAction[];
}

export interface PrincipalPolicy {
  readonly principal: string;
  readonly version: string;
  readonly rules?: readonly PrincipalRule[];
  readonly scope?: string;
  readonly variables?: Variables;
  readonly scopePermissions?: ScopePermissions;
  readonly constants?: Constants;
}

export interface RoleRule {
  readonly resource: string;
  readonly allowActions: readonly string[];
  readonly condition?: Condition;
  readonly name?: string;
  readonly output?: Output;
}

export interface RolePolicy {
  readonly role: string;
  readonly version?: string;
  readonly parentRoles?: readonly string[];
  readonly scope?: string;
  readonly rules?: readonly RoleRule[];
  /** Deprecated on role policies; role policies always require parental consent. */
  readonly scopePermissions?: ScopePermissions;
  readonly variables?: Variables;
  readonly constants?: Constants;
}

export interface RoleDef {
  readonly name: string;
  readonly parentRoles: readonly string[];
  readonly condition?: Condition;
}

export interface DerivedRoles {
  readonly name: string;
  readonly definitions: readonly RoleDef[];
  readonly variables?: Variables;
  readonly constants?: Constants;
}

export interface ExportVariables {
  readonly name: string;
  readonly definitions?: Readonly<Record<string, string>>;
}

export interface ExportConstants {
  readonly name: string;
  readonly definitions?: Readonly<Record<string, JsonValue>>;
}

/** A policy document. Exactly one of the kind fields is set. */
export interface Policy {
  readonly apiVersion: string;
  readonly disabled?: boolean;
  readonly description?: string;
  readonly metadata?: Metadata;
  readonly resourcePolicy?: ResourcePolicy;
  readonly principalPolicy?: PrincipalPolicy;
  readonly derivedRoles?: DerivedRoles;
  readonly exportVariables?: ExportVariables;
  readonly rolePolicy?: RolePolicy;
  readonly exportConstants?: ExportConstants;
  /** Deprecated top-level variables (a map of name to expression). */
  readonly variables?: Readonly<Record<string, string>>;
  readonly $schema?: string;
}

export type PolicyKind =
  | "RESOURCE"
  | "PRINCIPAL"
  | "DERIVED_ROLES"
  | "EXPORT_VARIABLES"
  | "EXPORT_CONSTANTS"
  | "ROLE_POLICY";
