// What `check(..., { explain: true })` reports per action: the policies and scopes consulted,
// every rule considered with its condition result (or error), and the rule that decided.
// It powers `gatehouse compile --verbose`; Cerbos's own traces carry the same facts.

import type { Effect } from "../policy/model.ts";

export interface RuleTrace {
  readonly policyKind: "PRINCIPAL" | "RESOURCE";
  readonly scope: string;
  readonly role: string;
  /** `<policyKey>#<ruleName>`, or the role policy key for its implicit DENY. */
  readonly rule: string;
  readonly effect?: Effect;
  readonly derivedRole?: string;
  readonly matched: boolean;
  /** Evaluation errors met while evaluating the rule's condition. */
  readonly errors?: readonly string[];
}

export interface ActionExplanation {
  readonly effect: Effect;
  readonly policy: string;
  readonly scope?: string;
  readonly principalScopes: readonly string[];
  readonly resourceScopes: readonly string[];
  readonly rules: readonly RuleTrace[];
  /** The rule whose effect was applied, when one was. */
  readonly decidedBy?: RuleTrace;
}

export interface CheckExplanation {
  readonly actions: Readonly<Record<string, ActionExplanation>>;
}
