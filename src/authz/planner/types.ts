// Request and response shapes of PlanResources, as Cerbos's JSON API spells them. A plan says
// which resources of one kind a principal may act on: always, never, or where a condition over
// the resource's attributes holds.

import type { JsonValue } from "../policy/model.ts";
import type {
  Attributes,
  AuxData,
  EvaluationError,
  Principal,
  ValidationError,
} from "../engine/types.ts";

/** The resource side of a plan request: a kind and whatever attributes are already known. */
export interface PlanResource {
  readonly kind: string;
  /** Attributes known in advance; every other `request.resource.attr.*` is unknown. */
  readonly attr?: Attributes;
  readonly policyVersion?: string;
  readonly scope?: string;
}

export interface PlanInput {
  readonly requestId?: string;
  /** The actions to plan for; the filter is where all of them are allowed. */
  readonly actions: readonly string[];
  /** The deprecated single action, echoed back when the request used it. */
  readonly action?: string;
  readonly principal: Principal;
  readonly resource: PlanResource;
  readonly auxData?: AuxData;
}

/** One operand of a filter expression: exactly one of the three fields. */
export type PlanOperand =
  | { readonly value: JsonValue }
  | { readonly variable: string }
  | { readonly expression: PlanExpression };

export interface PlanExpression {
  /** `and or not eq ne lt le gt ge in add sub mult div mod index if list struct ...`, or a function name. */
  readonly operator: string;
  readonly operands: readonly PlanOperand[];
}

export type PlanFilter =
  | { readonly kind: "KIND_ALWAYS_ALLOWED" }
  | { readonly kind: "KIND_ALWAYS_DENIED" }
  | { readonly kind: "KIND_CONDITIONAL"; readonly condition: PlanOperand };

export interface PlanOutput {
  readonly requestId?: string;
  /** The resource kind. */
  readonly kind: string;
  /** As the request gave it (empty when it gave none). */
  readonly policyVersion: string;
  readonly scope: string;
  readonly action?: string;
  readonly actions: readonly string[];
  readonly filter: PlanFilter;
  /** The filter in Cerbos's prefix notation, `(eq request.resource.attr.status "open")`. */
  readonly filterDebug: string;
  /** Per action, the OVERRIDE_PARENT scope whose rules decided it ("" when none). */
  readonly matchedScopes: Readonly<Record<string, string>>;
  readonly validationErrors?: readonly ValidationError[];
  readonly evaluationErrors?: readonly EvaluationError[];
  /**
   * Keys of the policies whose rules the plan consulted (`resource.leave_request.vdefault`),
   * for audit trails. Not part of Cerbos's response.
   */
  readonly effectivePolicies?: readonly string[];
}
