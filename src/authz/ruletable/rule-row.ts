// One row of the rule table: a single (resource, role, action) permission of a policy rule,
// flattened the way Cerbos flattens rules, with its condition and outputs ready to run.

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

export interface RuleRow {
  /** Definition order; query results are returned in this order. */
  readonly seq: number;
  readonly origin: PolicyIdentity;
  readonly kind: "RESOURCE" | "PRINCIPAL";
  readonly resource: string;
  /** Role pattern; `*` for principal policy rows, which apply to every role. */
  readonly role: string;
  /** Action pattern (literal or glob). */
  readonly action: string;
  readonly principal?: string;
  readonly condition?: CompiledCondition;
  /** Set when the row exists because a rule names a derived role whose parent role this is. */
  readonly derivedRole?: CompiledDerivedRole;
  /** Undefined for role policy rules, which only narrow and emit outputs. */
  readonly effect?: Effect;
  readonly scope: string;
  readonly version: string;
  readonly scopePermissions?: ScopePermissions;
  /** Rule name (`rule-001` when unnamed). */
  readonly name: string;
  /** `<policyKey>#<ruleName>`: the `src` of outputs. */
  readonly outputSource: string;
  readonly output?: CompiledOutput;
  readonly params?: CompiledParams;
  /** Rows sharing a key share the evaluated condition within one check (Cerbos's evaluation key). */
  readonly evaluationKey: number;
  readonly fromRolePolicy: boolean;
  readonly noMatchForScopePermissions: boolean;
}

/** A role policy rule: which actions the role may keep on which resources, and on what condition. */
export interface RolePolicyRule {
  readonly resource: GlobMatcher;
  readonly allowActions: readonly GlobMatcher[];
  /** The rule itself, evaluated for its outputs. */
  readonly allowRow: RuleRow;
  /** `none(condition)` as a DENY, present when the rule has a condition. */
  readonly denyRow?: RuleRow;
}

/** The role policies of one role in one scope and version. */
export interface RolePolicyGroup {
  readonly role: string;
  readonly rules: RolePolicyRule[];
  /** The DENY for actions no rule of the role allows. */
  readonly blanketDeny: RuleRow;
}
