// Request and response shapes of CheckResources, as Cerbos's JSON API spells them.
// The engine takes these plain objects as they arrive and never converts attribute trees.

import type { Effect, JsonValue } from "../policy/model.ts";

export type Attributes = Readonly<Record<string, JsonValue>>;

export interface Principal {
  readonly id: string;
  readonly roles: readonly string[];
  readonly attr?: Attributes;
  readonly policyVersion?: string;
  readonly scope?: string;
}

export interface Resource {
  readonly kind: string;
  readonly id: string;
  readonly attr?: Attributes;
  readonly policyVersion?: string;
  readonly scope?: string;
}

/** Auxiliary data after token verification: decoded claims. */
export interface AuxData {
  readonly jwt?: Readonly<Record<string, JsonValue>>;
  /** Several named tokens (Cerbos 0.55): `request.auxData.jwts.NAME.claims`. */
  readonly jwts?: Readonly<
    Record<string, { readonly claims: Readonly<Record<string, JsonValue>> }>
  >;
}

/** One principal, one resource, several actions: the engine's unit of work. */
export interface CheckInput {
  readonly requestId?: string;
  readonly principal: Principal;
  readonly resource: Resource;
  readonly actions: readonly string[];
  readonly auxData?: AuxData;
}

export interface ActionEffect {
  readonly effect: Effect;
  readonly policy: string;
  readonly scope?: string;
}

export interface OutputEntry {
  readonly src: string;
  readonly val: JsonValue;
  readonly action?: string;
  readonly error?: string;
}

export interface ValidationError {
  readonly path: string;
  readonly message: string;
  readonly source: "SOURCE_PRINCIPAL" | "SOURCE_RESOURCE";
}

export interface EvaluationError {
  readonly celError: { readonly expression: string; readonly message: string };
}

export interface CheckOutput {
  readonly requestId?: string;
  readonly resourceId: string;
  readonly actions: Readonly<Record<string, ActionEffect>>;
  readonly effectiveDerivedRoles?: readonly string[];
  readonly validationErrors?: readonly ValidationError[];
  readonly outputs?: readonly OutputEntry[];
  readonly evaluationErrors?: readonly EvaluationError[];
}
