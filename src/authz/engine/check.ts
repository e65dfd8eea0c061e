// Evaluates one CheckInput against the rule table, the way Cerbos 0.55 does: principal policies
// first, then resource policies (narrowed by role policies), scope by scope from the nearest;
// within one role a DENY wins, across roles the first ALLOW wins; an expression that fails to
// evaluate counts as false and is reported as an evaluation error (under strict evaluation the
// failing rule denies the action instead); default deny. Where Cerbos's behaviour is not
// documented it was established against the 0.55 binary; comments say so. The commonest checks
// (no principal policy applies, no explanation, no strict evaluation) take a shorter loop,
// decideOnResourcePolicies, that follows the same procedure with those parts left out.

import type { CompiledDerivedRole } from "../compile/compiled-policy.ts";
import { normalizeScope } from "../compile/policy-names.ts";
import type { EvalContext } from "../cel/library.ts";
import type { CelValue } from "../cel/value.ts";
import type { Effect } from "../policy/model.ts";
import { matchesGlob } from "../ruletable/glob.ts";
import type { QueryKind, RuleTable } from "../ruletable/rule-table.ts";
import { validateAttributes, type SchemaRegistry } from "../schema/index.ts";
import type { ActionExplanation, CheckExplanation, RuleTrace } from "./explanation.ts";
import type { ActionEffect, CheckInput, CheckOutput, ValidationError } from "./types.ts";
import type { PlanCache, PlanRow, ResourcePlan, SharedDecisions } from "./check-plan.ts";
import type { ConditionTest } from "./condition-test.ts";
import { NO_MATCH_DENY, type CheckMemory, type Evaluation, type RowResult } from "./evaluation.ts";
import type { VariablesMap } from "./variables-map.ts";

export const NO_MATCH = "NO_MATCH";
export const NO_MATCH_FOR_SCOPE_PERMISSIONS = "NO_MATCH_FOR_SCOPE_PERMISSIONS";

export interface CheckConfig {
  readonly table: RuleTable;
  readonly schemas: SchemaRegistry | undefined;
  readonly defaultPolicyVersion: string;
  readonly defaultScope: string;
  readonly lenientScopeSearch: boolean;
  readonly strictEvaluation: boolean;
  readonly schemaEnforcement: "none" | "warn" | "reject";
  readonly globals: VariablesMap;
  /** Rule table lookups remembered per request shape. */
  readonly plans: PlanCache;
  /** What checks remember, reused from check to check. */
  readonly memory: CheckMemory;
}

type EffectOrNoMatch = Effect | "NO_MATCH";

const KINDS: readonly QueryKind[] = ["PRINCIPAL", "RESOURCE"];
const NO_ROLES: readonly string[] = Object.freeze([]);
/** Shared by every check without validation errors; never added to. */
const NO_VALIDATION_ERRORS: ValidationError[] = [];

/**
 * Schema violations of a request's attributes. A plan knows only some resource attributes, so
 * for plans (`partialResource`) a missing required resource attribute is not a violation.
 */
export function validationErrorsOf(
  config: CheckConfig,
  input: Pick<CheckInput, "actions" | "principal"> & {
    readonly resource: { readonly attr?: CheckInput["resource"]["attr"] };
  },
  version: string,
  scope: string,
  kind: string,
  partialResource = false,
): ValidationError[] {
  if (config.schemaEnforcement === "none" || !config.schemas) return NO_VALIDATION_ERRORS;
  const schemas = config.table.schemas(version, scope, kind);
  if (!schemas) return NO_VALIDATION_ERRORS;
  const errors: ValidationError[] = [];
  // A schema is skipped when its ignoreWhen globs cover every requested action.
  const ignored = (actions: readonly string[] | undefined): boolean =>
    actions !== undefined &&
    actions.length > 0 &&
    input.actions.every((a) => actions.some((pattern) => matchesGlob(pattern, a)));
  const ps = schemas.principalSchema;
  if (ps?.ref && !ignored(ps.ignoreWhen?.actions)) {
    errors.push(
      ...(validateAttributes(
        config.schemas,
        ps.ref,
        input.principal.attr ?? {},
        "SOURCE_PRINCIPAL",
      ) ?? []),
    );
  }
  const rs = schemas.resourceSchema;
  if (rs?.ref && !ignored(rs.ignoreWhen?.actions)) {
    errors.push(
      ...(validateAttributes(config.schemas, rs.ref, input.resource.attr ?? {}, "SOURCE_RESOURCE", {
        ignoreRequired: partialResource,
      }) ?? []),
    );
  }
  return errors;
}

/** Each distinct action once, in request order (requests repeat an action rarely). */
function distinctActions(actions: readonly string[]): readonly string[] {
  if (actions.length > 16) {
    const distinct = new Set(actions);
    return distinct.size === actions.length ? actions : [...distinct];
  }
  for (let i = 1; i < actions.length; i++) {
    const action = actions[i];
    for (let j = 0; j < i; j++) if (actions[j] === action) return [...new Set(actions)];
  }
  return actions;
}

/** The output for one input, allocating only what it returns. */
function finish(
  input: CheckInput,
  actions: readonly string[],
  decisions: readonly (ActionEffect | undefined)[],
  evaluation: Evaluation,
  validationErrors: readonly ValidationError[],
  explanations: Record<string, ActionExplanation> | undefined,
): CheckOutput & { explanation?: CheckExplanation } {
  const actionsOut = evaluation.actionsObject(actions, decisions);
  // Built in the order Cerbos's JSON lists the fields.
  const out: {
    -readonly [K in keyof CheckOutput]: CheckOutput[K];
  } & { explanation?: CheckExplanation } =
    input.requestId !== undefined
      ? { requestId: input.requestId, resourceId: input.resource.id, actions: actionsOut }
      : { resourceId: input.resource.id, actions: actionsOut };
  const effectiveDerivedRoles = evaluation.effectiveDerivedRoles;
  if (effectiveDerivedRoles !== undefined) out.effectiveDerivedRoles = [...effectiveDerivedRoles];
  if (validationErrors.length > 0) out.validationErrors = validationErrors;
  if (evaluation.outputs !== undefined) out.outputs = evaluation.outputs;
  const evaluationErrors = evaluation.evaluationErrors();
  if (evaluationErrors !== undefined) out.evaluationErrors = evaluationErrors;
  if (explanations !== undefined) out.explanation = { actions: explanations };
  return out;
}

/**
 * A decision as the response states it (no match is a deny). The commonest ones, naming a
 * plan's policy and no scope, are shared frozen objects rather than allocated per action.
 */
function decision(
  effect: EffectOrNoMatch,
  policy: string,
  scope: string,
  resourceDecisions: SharedDecisions,
  principalDecisions: SharedDecisions,
): ActionEffect {
  const e = effect === "NO_MATCH" ? "EFFECT_DENY" : effect;
  if (scope !== "") return { effect: e, policy, scope };
  if (policy === NO_MATCH && e === "EFFECT_DENY") return NO_MATCH_DENY;
  const d =
    policy === resourceDecisions.allow.policy
      ? resourceDecisions
      : policy === principalDecisions.allow.policy
        ? principalDecisions
        : undefined;
  if (d !== undefined) return e === "EFFECT_ALLOW" ? d.allow : d.deny;
  return { effect: e, policy };
}

export function checkInput(
  config: CheckConfig,
  input: CheckInput,
  ctx: EvalContext,
  explain: boolean,
): CheckOutput & { explanation?: CheckExplanation } {
  const actions = distinctActions(input.actions);

  let validationErrors: ValidationError[] = NO_VALIDATION_ERRORS;
  const explanations: Record<string, ActionExplanation> | undefined = explain ? {} : undefined;

  const principal = input.principal;
  const resource = input.resource;
  const pScope = normalizeScope(principal.scope || config.defaultScope);
  const rScope = normalizeScope(resource.scope || config.defaultScope);
  const principalVersion = principal.policyVersion || config.defaultPolicyVersion;
  const resourceVersion = resource.policyVersion || config.defaultPolicyVersion;

  const plan = config.plans.resourcePlan(resourceVersion, resource.kind, rScope, principal.roles);
  const kind = plan.kind;
  const principalPlan = config.plans.principalPlan(
    principal.id,
    principalVersion,
    pScope,
    resourceVersion,
    kind,
  );
  const principalScopes = principalPlan.scopes;
  const resourceScopes = plan.scopes;

  const evaluation = config.memory.evaluation(config, input, ctx);
  /** Decisions by index into `actions`; unset means no decision (default deny). */
  const decisions = evaluation.decisions(actions.length);

  if (principalScopes.length === 0 && resourceScopes.length === 0)
    return finish(input, actions, decisions, evaluation, validationErrors, explanations);

  if (resourceScopes.length > 0) {
    validationErrors = validationErrorsOf(
      config,
      input,
      resourceVersion,
      resourceScopes[0] as string,
      kind,
    );
    if (validationErrors.length > 0 && config.schemaEnforcement === "reject") {
      for (let i = 0; i < actions.length; i++)
        decisions[i] = { effect: "EFFECT_DENY", policy: plan.policyKey };
      return finish(input, actions, decisions, evaluation, validationErrors, explanations);
    }
  }

  if (!principalPlan.exists && !plan.exists)
    return finish(input, actions, decisions, evaluation, validationErrors, explanations);

  const roles = principal.roles;
  const strict = config.strictEvaluation;
  if (!explain && !strict && principalScopes.length === 0) {
    decideOnResourcePolicies(evaluation, plan, actions, decisions, roles);
    return finish(input, actions, decisions, evaluation, validationErrors, explanations);
  }

  /** `runtime` of each resource scope (by index) whose derived roles were worked out. */
  const scopeRuntimes = new Array<CelValue | undefined>(resourceScopes.length);

  for (let actionIndex = 0; actionIndex < actions.length; actionIndex++) {
    const action = actions[actionIndex] as string;
    // The action's decision so far.
    let effect: EffectOrNoMatch = "NO_MATCH";
    let policy = NO_MATCH;
    let decidingScope = "";
    const traces: RuleTrace[] | undefined = explain ? [] : undefined;
    let decidedBy: RuleTrace | undefined;

    kindsLoop: for (let k = 0; k < KINDS.length; k++) {
      const pt = KINDS[k] as QueryKind;
      const isPrincipal = pt === "PRINCIPAL";
      // Without principal scopes the principal pass decides nothing and leaves no trace.
      if (isPrincipal && principalScopes.length === 0) continue;
      const side = isPrincipal ? principalPlan : plan;
      const scopes = side.scopes;
      const permissions = side.permissions;
      const rowsByRoleAndScope = side.rowsFor(action);
      const exists = side.exists;
      effect = "NO_MATCH";

      for (let i = 0; i < roles.length; i++) {
        // Principal rules apply to every role: one pass covers them all.
        if (i > 0 && isPrincipal) break;
        const role = roles[i] as string;
        let hasAllow = false;
        // This role's decision.
        let roleEffect: EffectOrNoMatch = "NO_MATCH";
        let rolePolicy = exists ? side.policyKey : NO_MATCH;
        let roleScope = "";
        // The rule behind this role's effect (explanations only).
        let roleDecider: RuleTrace | undefined;
        let allowDecider: RuleTrace | undefined;

        scopesLoop: for (let s = 0; s < scopes.length; s++) {
          const scope = scopes[s] as string;
          if (!isPrincipal) {
            const seenRuntime = scopeRuntimes[s];
            if (seenRuntime !== undefined) evaluation.runtime = seenRuntime;
            else scopeRuntimes[s] = scopeDerivedRoles(evaluation, plan, s, strict);
          }
          // As in cerbos 0.55, a resource scope's rules see that scope's derived roles in
          // runtime.effectiveDerivedRoles, however many scopes were visited since; principal
          // policy rules see those of the resource scope visited last (both found by experiment).
          if (roleEffect !== "NO_MATCH") break;

          const rows = rowsByRoleAndScope[
            (isPrincipal ? 0 : i) * scopes.length + s
          ] as readonly PlanRow[];
          for (let r = 0; r < rows.length; r++) {
            const row = rows[r] as PlanRow;
            if (row.visitParams !== undefined) evaluation.variablesOf(row.visitParams);
            let satisfied: boolean;
            let errors: string[] | undefined;
            // A row without conditions holds: nothing to evaluate or remember.
            const cached = row.unconditional ? true : evaluation.conditionResult(row.evaluationKey);
            if (cached !== undefined) {
              satisfied = cached;
            } else {
              if (explain) errors = evaluation.currentErrors = [];
              const result = evaluateRow(evaluation, row, explain);
              evaluation.currentErrors = undefined;
              evaluation.setConditionResult(row.evaluationKey, result);
              if (result === "skipped") {
                if (traces) traces.push(trace(pt, scope, role, row, false, errors));
                continue;
              }
              satisfied = result === "satisfied";
            }
            if (strict && evaluation.conditionFailed(row.evaluationKey)) {
              // Strict evaluation: a rule that cannot be evaluated denies the action outright,
              // whatever its effect, in the name of its own policy and scope (as cerbos 0.55 does).
              effect = "EFFECT_DENY";
              policy = row.row.rule.origin.key;
              decidingScope = row.row.rule.scope;
              if (explain) decidedBy = trace(pt, scope, role, row, false, errors);
              break kindsLoop;
            }
            const t = traces ? trace(pt, scope, role, row, satisfied, errors) : undefined;
            if (t) traces?.push(t);

            if (satisfied) {
              if (row.ruleActivated !== undefined)
                evaluation.output(row, row.ruleActivated, action);
              if (row.effect === "EFFECT_ALLOW") {
                hasAllow = true;
                allowDecider ??= t;
              }
              if (row.effect === "EFFECT_DENY") {
                roleEffect = "EFFECT_DENY";
                roleScope = scope;
                // The implicit DENY of a role policy is attributed to that role policy.
                if (row.fromRolePolicy) rolePolicy = row.row.rule.origin.key;
                roleDecider = t;
                break scopesLoop;
              } else if (row.noMatchForScopePermissions) {
                rolePolicy = NO_MATCH_FOR_SCOPE_PERMISSIONS;
                roleScope = scope;
              }
            } else if (row.conditionNotMet !== undefined) {
              evaluation.output(row, row.conditionNotMet, action);
            }
          }

          if (hasAllow) {
            const scopePermissions = permissions[s];
            if (scopePermissions === "SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS") {
              hasAllow = false;
            } else if (scopePermissions === "SCOPE_PERMISSIONS_OVERRIDE_PARENT") {
              roleEffect = "EFFECT_ALLOW";
              roleScope = scope;
              roleDecider = allowDecider;
              break scopesLoop;
            }
          }
        }

        if (roleOutcomeWins(effect, policy, roleEffect, rolePolicy)) {
          effect = roleEffect;
          policy = rolePolicy;
          decidingScope = roleScope;
          decidedBy = roleDecider;
        }
        if (roleEffect === "EFFECT_ALLOW") break;
      }
      if (effect === "EFFECT_ALLOW" || effect === "EFFECT_DENY") break;
    }
    decisions[actionIndex] = decision(
      effect,
      policy,
      decidingScope,
      plan.decisions,
      principalPlan.decisions,
    );
    if (explanations !== undefined) {
      explanations[action] = {
        effect: effect === "NO_MATCH" ? "EFFECT_DENY" : effect,
        policy,
        ...(decidingScope !== "" ? { scope: decidingScope } : {}),
        // Copies: the plan's arrays are shared between checks.
        principalScopes: [...principalScopes],
        resourceScopes: [...resourceScopes],
        rules: traces ?? [],
        ...(decidedBy ? { decidedBy } : {}),
      };
    }
  }
  return finish(input, actions, decisions, evaluation, validationErrors, explanations);
}

/**
 * Whether one role's outcome replaces the action's decision so far: when there is none yet, when
 * the role allows (the first ALLOW across roles wins), or when the role denies and the decision
 * so far only said that no rule matched the scope's permissions.
 */
function roleOutcomeWins(
  effect: EffectOrNoMatch,
  policy: string,
  roleEffect: EffectOrNoMatch,
  rolePolicy: string,
): boolean {
  return (
    effect === "NO_MATCH" ||
    roleEffect === "EFFECT_ALLOW" ||
    (roleEffect === "EFFECT_DENY" &&
      policy === NO_MATCH_FOR_SCOPE_PERMISSIONS &&
      rolePolicy !== NO_MATCH_FOR_SCOPE_PERMISSIONS)
  );
}

/**
 * The commonest check, apart so that it stays small: no principal policies apply, no
 * explanation is asked for and evaluation is not strict. The same procedure as the general
 * loop of `checkInput` with those parts left out: per action, role by role, scope by scope
 * from the nearest; within a role a DENY wins, across roles the first ALLOW wins.
 */
function decideOnResourcePolicies(
  evaluation: Evaluation,
  plan: ResourcePlan,
  actions: readonly string[],
  decisions: (ActionEffect | undefined)[],
  roles: readonly string[],
): void {
  const scopes = plan.scopes;
  const permissions = plan.permissions;
  const scopeCount = scopes.length;
  const policyKey = plan.exists ? plan.policyKey : NO_MATCH;
  /** `runtime` of each scope (by index) whose derived roles were worked out. */
  const scopeRuntimes = evaluation.scopeRuntimes(scopeCount);

  for (let a = 0; a < actions.length; a++) {
    const action = actions[a] as string;
    const rowsByRoleAndScope = plan.rowsFor(action);
    let effect: EffectOrNoMatch = "NO_MATCH";
    let policy = NO_MATCH;
    let decidingScope = "";

    for (let i = 0; i < roles.length; i++) {
      let hasAllow = false;
      let roleEffect: EffectOrNoMatch = "NO_MATCH";
      let rolePolicy = policyKey;
      let roleScope = "";

      scopesLoop: for (let s = 0; s < scopeCount; s++) {
        const seenRuntime = scopeRuntimes[s];
        if (seenRuntime !== undefined) evaluation.runtime = seenRuntime;
        else scopeRuntimes[s] = scopeDerivedRoles(evaluation, plan, s, false);

        const rows = rowsByRoleAndScope[i * scopeCount + s] as readonly PlanRow[];
        for (let r = 0; r < rows.length; r++) {
          const row = rows[r] as PlanRow;
          if (row.visitParams !== undefined) evaluation.variablesOf(row.visitParams);
          let satisfied: boolean;
          if (row.unconditional) {
            satisfied = true;
          } else {
            const cached = evaluation.conditionResult(row.evaluationKey);
            if (cached !== undefined) {
              satisfied = cached;
            } else {
              const result = evaluateRow(evaluation, row, false);
              evaluation.setConditionResult(row.evaluationKey, result);
              if (result === "skipped") continue;
              satisfied = result === "satisfied";
            }
          }
          if (satisfied) {
            if (row.ruleActivated !== undefined) evaluation.output(row, row.ruleActivated, action);
            if (row.effect === "EFFECT_ALLOW") hasAllow = true;
            if (row.effect === "EFFECT_DENY") {
              roleEffect = "EFFECT_DENY";
              roleScope = scopes[s] as string;
              // The implicit DENY of a role policy is attributed to that role policy.
              if (row.fromRolePolicy) rolePolicy = row.row.rule.origin.key;
              break scopesLoop;
            } else if (row.noMatchForScopePermissions) {
              rolePolicy = NO_MATCH_FOR_SCOPE_PERMISSIONS;
              roleScope = scopes[s] as string;
            }
          } else if (row.conditionNotMet !== undefined) {
            evaluation.output(row, row.conditionNotMet, action);
          }
        }

        if (hasAllow) {
          const scopePermissions = permissions[s];
          if (scopePermissions === "SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS") {
            hasAllow = false;
          } else if (scopePermissions === "SCOPE_PERMISSIONS_OVERRIDE_PARENT") {
            roleEffect = "EFFECT_ALLOW";
            roleScope = scopes[s] as string;
            break;
          }
        }
      }

      if (roleOutcomeWins(effect, policy, roleEffect, rolePolicy)) {
        effect = roleEffect;
        policy = rolePolicy;
        decidingScope = roleScope;
      }
      if (roleEffect === "EFFECT_ALLOW") break;
    }
    decisions[a] = decision(effect, policy, decidingScope, plan.decisions, plan.decisions);
  }
}

/**
 * A row's derived role condition (when it names a derived role) and then its own condition. A
 * derived role that does not hold skips the row. `errored` means a condition failed to
 * evaluate (it also counts as not matching, but strict evaluation treats it specially).
 */
function evaluateRow(evaluation: Evaluation, row: PlanRow, explain: boolean): RowResult {
  const strict = evaluation.config.strictEvaluation;
  const dr = row.derivedRole;
  if (dr !== undefined && row.derivedRoleTest !== undefined) {
    // Explanations list each rule's own errors, so they evaluate the derived role again.
    const reused = explain ? undefined : evaluation.derivedRoleResult(dr);
    const ok = reused ?? evaluation.condition(row.derivedRoleTest, dr.params);
    if (evaluation.errored && strict) return "errored";
    if (!ok) return "skipped";
  }
  const ok = evaluation.condition(row.conditionTest, row.params);
  if (evaluation.errored && strict) return "errored";
  return ok ? "satisfied" : "unsatisfied";
}

function trace(
  pt: QueryKind,
  scope: string,
  role: string,
  planRow: PlanRow,
  matched: boolean,
  errors: string[] | undefined,
): RuleTrace {
  const { effect, derivedRole } = planRow;
  return {
    policyKind: pt,
    scope,
    role,
    rule: planRow.row.rule.outputSource,
    ...(effect ? { effect } : {}),
    ...(derivedRole ? { derivedRole: derivedRole.name } : {}),
    matched,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

/**
 * Decides every derived role the scope's policy references, whatever the action, reporting the
 * errors of their conditions (as cerbos 0.55 does); sets and returns the scope's `runtime`.
 */
function scopeDerivedRoles(
  evaluation: Evaluation,
  plan: ResourcePlan,
  s: number,
  strict: boolean,
): CelValue {
  let scopeRoles: string[] | undefined;
  let failedRoles: string[] | undefined;
  const derivedRoles = plan.derivedRoles[s] as readonly CompiledDerivedRole[];
  const reusable = plan.reusableDerivedRoles[s] as readonly boolean[];
  const tests = plan.derivedRoleTests[s] as readonly (ConditionTest | undefined)[];
  for (let d = 0; d < derivedRoles.length; d++) {
    const dr = derivedRoles[d] as CompiledDerivedRole;
    const vars = strict
      ? evaluation.variablesOf(dr.params)
      : evaluation.nullFailedVariablesOf(dr.params);
    const ok = evaluation.condition(tests[d], dr.params, vars);
    if (reusable[d]) evaluation.rememberDerivedRole(dr, ok);
    if (evaluation.errored && strict) (failedRoles ??= []).push(dr.name);
    if (ok) {
      (scopeRoles ??= []).push(dr.name);
      (evaluation.effectiveDerivedRoles ??= new Set()).add(dr.name);
    }
  }
  evaluation.setEffectiveDerivedRoles(
    scopeRoles === undefined
      ? NO_ROLES
      : scopeRoles.length === 1
        ? scopeRoles
        : [...new Set(scopeRoles)].sort(),
    failedRoles ?? NO_ROLES,
  );
  return evaluation.runtime;
}
