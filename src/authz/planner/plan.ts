// Plans one PlanInput against the rule table: which resources of a kind the principal may act
// on. It walks the same rows as a check (resource policies narrowed by role policies, then
// principal policies; scope by scope from the nearest; role by role), but where a check gets
// true or false from each condition, the plan gets a residual condition over the resource
// attributes the request does not know, and combines them the way Cerbos 0.55's planner does:
// within a role, ALLOWs are or-ed and a DENY is and-ed in negated; roles are or-ed; principal
// policies override resource policies; the actions' filters are and-ed.

import type {
  CompiledCondition,
  CompiledDerivedRole,
  CompiledParams,
  ScopePermissions,
} from "../compile/compiled-policy.ts";
import { normalizeScope } from "../compile/policy-names.ts";
import type { EvalContext } from "../cel/library.ts";
import { validationErrorsOf, type CheckConfig } from "../engine/check.ts";
import type { PlanRow } from "../engine/check-plan.ts";
import type { EvaluationError, ValidationError } from "../engine/types.ts";
import {
  isStrictFailure,
  planCondition,
  type ConditionPlanContext,
  type StrictFailure,
} from "./condition-residual.ts";
import { PlanFailedError } from "./filter-error.ts";
import { filterToString, mergeWithAnd, toFilter } from "./filter.ts";
import { andNode, constBool, FALSE_NODE, invertNode, orNode, type PlanNode } from "./plan-node.ts";
import type { PlanFilter, PlanInput, PlanOutput } from "./types.ts";

/** The filterDebug of a plan no policy had anything to say about. */
const NO_MATCH = "NO_MATCH";

const OVERRIDE_PARENT: ScopePermissions = "SCOPE_PERMISSIONS_OVERRIDE_PARENT";
const REQUIRE_PARENTAL_CONSENT: ScopePermissions =
  "SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS";

type DerivedRoleNodes = readonly { readonly name: string; readonly node: PlanNode }[];

/**
 * Whether planning a condition failed. A failure Cerbos does not survive in any mode fails the
 * whole request; under strict evaluation the others deny the action.
 */
function isFailure(x: PlanNode | StrictFailure): x is StrictFailure {
  if (!isStrictFailure(x)) return false;
  if (x.requestFailed) throw new PlanFailedError(x.failure);
  return true;
}

/** `curr OP next`, where either may be absent (Cerbos `addNode`). */
function add(
  curr: PlanNode | undefined,
  next: PlanNode | undefined,
  combine: (nodes: readonly PlanNode[]) => PlanNode | undefined,
): PlanNode | undefined {
  if (next === undefined) return curr;
  if (curr === undefined) return next;
  return combine([curr, next]);
}

/**
 * A parent scope's DENY only counts where no child scope with OVERRIDE_PARENT has already
 * allowed.
 */
function gateByChildOverrideAllow(
  childOverrideAllow: PlanNode | undefined,
  deny: PlanNode | undefined,
): PlanNode | undefined {
  if (deny === undefined || childOverrideAllow === undefined) return deny;
  const inverted = invertNode(childOverrideAllow);
  if (constBool(deny) === true) return inverted;
  return andNode([inverted, deny]);
}

export function planInput(config: CheckConfig, input: PlanInput, ctx: EvalContext): PlanOutput {
  const principal = input.principal;
  const resource = input.resource;
  const pScope = normalizeScope(principal.scope || config.defaultScope);
  const rScope = normalizeScope(resource.scope || config.defaultScope);
  const principalVersion = principal.policyVersion || config.defaultPolicyVersion;
  const resourceVersion = resource.policyVersion || config.defaultPolicyVersion;
  const roles = principal.roles;

  const plan = config.plans.resourcePlan(resourceVersion, resource.kind, rScope, roles);
  const principalPlan = config.plans.principalPlan(
    principal.id,
    principalVersion,
    pScope,
    resourceVersion,
    plan.kind,
  );
  const output = (
    filter: PlanFilter,
    filterDebug: string,
    matchedScopes: Readonly<Record<string, string>>,
    evaluationErrors: readonly EvaluationError[] = [],
    validationErrors: readonly ValidationError[] = [],
    effectivePolicies: readonly string[] = [],
  ): PlanOutput => ({
    ...(input.requestId !== undefined ? { requestId: input.requestId } : {}),
    kind: resource.kind,
    policyVersion: resource.policyVersion ?? "",
    scope: resource.scope ?? "",
    ...(input.action !== undefined ? { action: input.action } : {}),
    actions: input.actions,
    filter,
    filterDebug,
    matchedScopes,
    ...(validationErrors.length > 0 ? { validationErrors } : {}),
    ...(evaluationErrors.length > 0 ? { evaluationErrors } : {}),
    effectivePolicies,
  });

  if (plan.scopes.length === 0 && principalPlan.scopes.length === 0)
    return output({ kind: "KIND_ALWAYS_DENIED" }, NO_MATCH, {});

  const validationErrors =
    plan.scopes.length > 0
      ? validationErrorsOf(
          config,
          input,
          resourceVersion,
          plan.scopes[0] as string,
          plan.kind,
          true,
        )
      : [];
  if (validationErrors.length > 0 && config.schemaEnforcement === "reject")
    return output(
      { kind: "KIND_ALWAYS_DENIED" },
      filterToString({ kind: "KIND_ALWAYS_DENIED" }),
      {},
      [],
      validationErrors,
    );

  const errors: EvaluationError[] = [];
  const conditionContext = (derivedRoles: () => DerivedRoleNodes | StrictFailure) =>
    ({
      input,
      globals: config.globals,
      ctx,
      strictEvaluation: config.strictEvaluation,
      derivedRoles,
      errors,
    }) satisfies ConditionPlanContext;
  const noDerivedRoles = conditionContext(() => []);

  /**
   * Planned conditions by context and condition: a condition planned once per call, however many
   * roles and actions reach its rule (a plan depends only on the request and the context).
   */
  const planned = new Map<ConditionPlanContext, Map<CompiledCondition, PlanNode | StrictFailure>>();
  const plannedCondition = (
    condition: CompiledCondition | undefined,
    params: CompiledParams | undefined,
    context: ConditionPlanContext,
  ): PlanNode | StrictFailure => {
    if (condition === undefined) return planCondition(condition, params, context);
    let byCondition = planned.get(context);
    if (byCondition === undefined)
      planned.set(context, (byCondition = new Map<CompiledCondition, PlanNode | StrictFailure>()));
    let node = byCondition.get(condition);
    if (node === undefined) {
      node = planCondition(condition, params, context);
      byCondition.set(condition, node);
    }
    return node;
  };

  /** Per resource scope (by index): its derived roles planned, worked out on first use. */
  const scopeDerivedRoles = new Array<DerivedRoleNodes | StrictFailure | undefined>(
    plan.scopes.length,
  );
  const derivedRolesOf = (s: number): DerivedRoleNodes | StrictFailure => {
    let known = scopeDerivedRoles[s];
    if (known === undefined) {
      const nodes: { name: string; node: PlanNode }[] = [];
      let failure: StrictFailure | undefined;
      for (const dr of plan.derivedRoles[s] as readonly CompiledDerivedRole[]) {
        const node = planCondition(dr.condition, dr.params, noDerivedRoles);
        if (isFailure(node)) {
          failure ??= node;
          continue;
        }
        nodes.push({ name: dr.name, node });
      }
      nodes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      known = failure ?? nodes;
      scopeDerivedRoles[s] = known;
    }
    return known;
  };
  const scopeContexts = plan.scopes.map((_, s) => conditionContext(() => derivedRolesOf(s)));

  const filters: PlanFilter[] = [];
  const effectivePolicies = new Set<string>();
  const matchedScopes: Record<string, string> = {};
  let policyMatch = false;

  for (const action of input.actions) {
    matchedScopes[action] = "";
    let hasPolicyTypeAllow = false;
    let rootNode: PlanNode | undefined;
    let failed = false;

    kinds: for (const isPrincipal of [false, true]) {
      const side = isPrincipal ? principalPlan : plan;
      const scopes = side.scopes;
      const permissions = side.permissions;
      const rowsByRoleAndScope = side.rowsFor(action);
      let policyTypeAllow: PlanNode | undefined;
      let policyTypeDeny: PlanNode | undefined;

      for (let i = 0; i < roles.length; i++) {
        // Principal rules apply to every role: one pass covers them all.
        if (i > 0 && isPrincipal) break;
        let roleAllow: PlanNode | undefined;
        let roleDeny: PlanNode | undefined;
        let roleDenyRolePolicy: PlanNode | undefined;
        let pendingAllow = false;
        let childOverrideAllow: PlanNode | undefined;

        for (let s = 0; s < scopes.length; s++) {
          // Once a child scope that overrides its parents allows unconditionally, parents
          // cannot change the outcome.
          if (constBool(childOverrideAllow) === true) break;
          const scope = scopes[s] as string;
          const context = isPrincipal ? noDerivedRoles : (scopeContexts[s] as ConditionPlanContext);
          let scopeAllow: PlanNode | undefined;
          let scopeDeny: PlanNode | undefined;
          let scopeDenyRolePolicy: PlanNode | undefined;

          const rows = rowsByRoleAndScope[
            (isPrincipal ? 0 : i) * scopes.length + s
          ] as readonly PlanRow[];
          for (const row of rows) {
            const rule = row.row.rule;
            effectivePolicies.add(rule.origin.key);
            let node = plannedCondition(rule.condition, rule.params, context);
            if (isFailure(node)) {
              failed = true;
              break kinds;
            }
            const dr = row.derivedRole;
            if (dr?.condition !== undefined) {
              const drNode = plannedCondition(dr.condition, dr.params, context);
              if (isFailure(drNode)) {
                failed = true;
                break kinds;
              }
              node = rule.condition === undefined ? drNode : { kind: "and", nodes: [node, drNode] };
            }
            if (row.effect === "EFFECT_ALLOW") {
              scopeAllow = add(scopeAllow, node, orNode);
            } else if (row.effect === "EFFECT_DENY") {
              if (constBool(node) === false) continue;
              if (row.fromRolePolicy) scopeDenyRolePolicy = add(scopeDenyRolePolicy, node, orNode);
              else scopeDeny = add(scopeDeny, node, orNode);
            }
          }

          scopeDeny = gateByChildOverrideAllow(childOverrideAllow, scopeDeny);
          scopeDenyRolePolicy = gateByChildOverrideAllow(childOverrideAllow, scopeDenyRolePolicy);
          roleDeny = add(roleDeny, scopeDeny, orNode);
          roleDenyRolePolicy = add(roleDenyRolePolicy, scopeDenyRolePolicy, orNode);

          const scopePermissions = permissions[s];
          if (scopeAllow !== undefined) {
            if (roleAllow === undefined) {
              roleAllow = scopeAllow;
            } else if (pendingAllow) {
              roleAllow = andNode([roleAllow, scopeAllow]);
              pendingAllow = false;
            } else {
              roleAllow = orNode([roleAllow, scopeAllow]);
            }
            if (scopePermissions === REQUIRE_PARENTAL_CONSENT) pendingAllow = true;
          }
          if (scopePermissions === OVERRIDE_PARENT) {
            if (
              scopeDeny !== undefined ||
              scopeDenyRolePolicy !== undefined ||
              scopeAllow !== undefined
            )
              matchedScopes[action] = scope;
            if (scopeAllow !== undefined)
              childOverrideAllow = add(childOverrideAllow, scopeAllow, orNode);
          }
        }

        // An ALLOW from a scope that needs its parents' consent, which no parent gave.
        if (pendingAllow) roleAllow = undefined;

        if (constBool(roleDeny) === true || constBool(roleDenyRolePolicy) === true) {
          // An unconditional DENY cancels this role's ALLOWs; other roles may still allow, so
          // the role contributes `false` to the roles' `or` rather than a DENY to the `and`.
          roleAllow = FALSE_NODE;
          roleDeny = undefined;
          roleDenyRolePolicy = undefined;
        } else if (
          roleAllow !== undefined &&
          roleDeny === undefined &&
          roleDenyRolePolicy === undefined &&
          constBool(roleAllow) === true
        ) {
          policyTypeAllow = roleAllow;
          policyTypeDeny = undefined;
          break;
        }

        // The role's own role policy narrows what the role allows.
        if (roleDenyRolePolicy !== undefined && roleAllow !== undefined)
          roleAllow = andNode([roleAllow, invertNode(roleDenyRolePolicy)]);

        policyTypeAllow = add(policyTypeAllow, roleAllow, orNode);
        policyTypeDeny = add(policyTypeDeny, roleDeny, orNode);
      }

      if (policyTypeAllow !== undefined) {
        hasPolicyTypeAllow = true;
        rootNode = rootNode === undefined ? policyTypeAllow : orNode([policyTypeAllow, rootNode]);
      }
      // A policy kind's DENY sits at the top of its subtree: `not deny and (allows...)`.
      if (policyTypeDeny !== undefined) {
        const inverted = invertNode(policyTypeDeny);
        rootNode = rootNode === undefined ? inverted : andNode([inverted, rootNode]);
      }
    }

    let node: PlanNode = FALSE_NODE;
    if (failed) {
      policyMatch = true;
    } else if (rootNode !== undefined) {
      policyMatch = true;
      if (hasPolicyTypeAllow) node = rootNode;
    }
    filters.push(toFilter(node));
  }

  const merged = mergeWithAnd(filters);
  return output(
    merged.filter,
    policyMatch ? merged.filterDebug : NO_MATCH,
    matchedScopes,
    errors,
    validationErrors,
    [...effectivePolicies].sort(),
  );
}
