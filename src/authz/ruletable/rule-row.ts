// One row of the rule table: a single (resource, role, action) permission of a policy rule,
// flattened the way Cerbos flattens rules. A rule with several roles and actions has many
// rows; what they have in common (the policy, the condition and outputs ready to run, the
// effect) is one CompiledRule they share, so a large policy set holds each rule once.

import type {
  CompiledCondition,
  CompiledDerivedRole,
  CompiledOutput,
  CompiledParams,
  Effect,
  PolicyIdentity,
  ScopePermissions,
} from "../compile/compiled-policy.ts";
import type { GlobMatcher } from "./glob.ts";

/** What a CompiledRule is made from: optional fields may be left out. */
export interface RuleDefinition {
  readonly origin: PolicyIdentity;
  readonly kind: "RESOURCE" | "PRINCIPAL";
  /** Resource pattern (literal or glob). */
  readonly resource: string;
  /** The principal id of a principal policy rule. */
  readonly principal?: string | undefined;
  readonly scope: string;
  readonly version: string;
  readonly scopePermissions?: ScopePermissions | undefined;
  /** Rule name (`rule-001` when unnamed). */
  readonly name: string;
  /** `<policyKey>#<ruleName>`: the `src` of outputs. */
  readonly outputSource: string;
  readonly condition?: CompiledCondition | undefined;
  readonly output?: CompiledOutput | undefined;
  readonly params?: CompiledParams | undefined;
  /** Undefined for role policy rules, which only narrow and emit outputs. */
  readonly effect?: Effect | undefined;
  readonly fromRolePolicy: boolean;
  readonly noMatchForScopePermissions: boolean;
}

/**
 * A rule as its rows see it. Every field is always present (`undefined` when the rule has
 * none), so all rules share one shape and reads of them stay monomorphic.
 */
export class CompiledRule implements RuleDefinition {
  readonly origin: PolicyIdentity;
  readonly kind: "RESOURCE" | "PRINCIPAL";
  readonly resource: string;
  readonly principal: string | undefined;
  readonly scope: string;
  readonly version: string;
  readonly scopePermissions: ScopePermissions | undefined;
  readonly name: string;
  readonly outputSource: string;
  readonly condition: CompiledCondition | undefined;
  readonly output: CompiledOutput | undefined;
  readonly params: CompiledParams | undefined;
  readonly effect: Effect | undefined;
  readonly fromRolePolicy: boolean;
  readonly noMatchForScopePermissions: boolean;

  constructor(d: RuleDefinition) {
    this.origin = d.origin;
    this.kind = d.kind;
    this.resource = d.resource;
    this.principal = d.principal;
    this.scope = d.scope;
    this.version = d.version;
    this.scopePermissions = d.scopePermissions;
    this.name = d.name;
    this.outputSource = d.outputSource;
    this.condition = d.condition;
    this.output = d.output;
    this.params = d.params;
    this.effect = d.effect;
    this.fromRolePolicy = d.fromRolePolicy;
    this.noMatchForScopePermissions = d.noMatchForScopePermissions;
  }
}

export class RuleRow {
  /** Definition order; query results are returned in this order. */
  readonly seq: number;
  /** Role pattern; `*` for principal policy rows, which apply to every role. */
  readonly role: string;
  /** Action pattern (literal or glob). */
  readonly action: string;
  /** Rows sharing a key share the evaluated condition within one check (Cerbos's evaluation key). */
  readonly evaluationKey: number;
  /** Set when the row exists because a rule names a derived role whose parent role this is. */
  readonly derivedRole: CompiledDerivedRole | undefined;
  readonly rule: CompiledRule;

  constructor(
    rule: CompiledRule,
    seq: number,
    role: string,
    action: string,
    evaluationKey: number,
    derivedRole?: CompiledDerivedRole,
  ) {
    this.seq = seq;
    this.role = role;
    this.action = action;
    this.evaluationKey = evaluationKey;
    this.derivedRole = derivedRole;
    this.rule = rule;
  }
}

/** A role policy rule: which actions the role may keep on which resources, and on what condition. */
export interface RolePolicyRule {
  readonly resource: GlobMatcher;
  readonly allowActions: readonly GlobMatcher[];
  /** The rule itself, evaluated for its outputs. */
  readonly allowRow: RuleRow;
  /** `none(condition)` as a DENY, present when the rule has a condition. */
  readonly denyRow: RuleRow | undefined;
}

/** The role policies of one role in one scope and version. */
export interface RolePolicyGroup {
  readonly role: string;
  readonly rules: RolePolicyRule[];
  /** The DENY for actions no rule of the role allows. */
  readonly blanketDeny: RuleRow;
}
