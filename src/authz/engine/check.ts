// Evaluates one CheckInput against the rule table, the way Cerbos 0.55 does: principal policies
// first, then resource policies (narrowed by role policies), scope by scope from the nearest;
// within one role a DENY wins, across roles the first ALLOW wins; an expression that fails to
// evaluate counts as false and is reported as an evaluation error (under strict evaluation the
// failing rule denies the action instead); default deny. Where Cerbos's behaviour is not
// documented it was established against the 0.55 binary; comments say so.

import type {
  CompiledCondition,
  CompiledExpr,
  CompiledParams,
} from "../compile/compiled-policy.ts";
import {
  normalizeScope,
  principalPolicyKey,
  resourcePolicyKey,
  sanitizeName,
} from "../compile/policy-names.ts";
import type { EvalContext } from "../cel/library.ts";
import { toJsonValue } from "../cel/index.ts";
import { cerbosBindings } from "../cel/cerbos/index.ts";
import { CelError, type CelValue } from "../cel/value.ts";
import type { Effect } from "../policy/model.ts";
import { matchesGlob } from "../ruletable/glob.ts";
import type { RuleRow } from "../ruletable/rule-row.ts";
import type { QueryKind, RuleTable } from "../ruletable/rule-table.ts";
import { validateAttributes, type SchemaRegistry } from "../schema/index.ts";
import type { ActionExplanation, CheckExplanation, RuleTrace } from "./explanation.ts";
import type {
  ActionEffect,
  CheckInput,
  CheckOutput,
  EvaluationError,
  OutputEntry,
  ValidationError,
} from "./types.ts";
import { FailedRuntime } from "./failed-runtime.ts";
import { EMPTY_VARIABLES, VariablesMap } from "./variables-map.ts";

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
}

type EffectOrNoMatch = Effect | "NO_MATCH";

interface EffectInfo {
  effect: EffectOrNoMatch;
  policy: string;
  scope: string;
}

/** Everything one check call computes once and shares between actions. */
class Evaluation {
  readonly config: CheckConfig;
  readonly ctx: EvalContext;
  /** `request`, `P` and `R`, built once per input. */
  readonly base: Readonly<Record<string, CelValue>>;
  runtime: CelValue = { effectiveDerivedRoles: [], effective_derived_roles: [] };
  readonly variables = new Map<number, VariablesMap>();
  /** Variables as the up-front derived role evaluation sees them (see `nullFailedVariablesOf`). */
  readonly nullFailedVariables = new Map<number, VariablesMap>();
  readonly constants = new Map<number, VariablesMap>();
  readonly conditions = new Map<number, boolean>();
  /** Evaluation keys whose conditions failed to evaluate under strict evaluation. */
  readonly failedConditions = new Set<number>();
  readonly errors = new Map<string, EvaluationError>();
  readonly outputs: OutputEntry[] = [];
  /** Errors of the condition being evaluated, for explanations. */
  currentErrors: string[] | undefined;

  constructor(config: CheckConfig, input: CheckInput, ctx: EvalContext) {
    this.config = config;
    this.ctx = ctx;
    const p = input.principal;
    const r = input.resource;
    this.base = cerbosBindings({
      principal: { ...p, scope: normalizeScope(p.scope) },
      resource: { ...r, scope: normalizeScope(r.scope) },
      ...(input.auxData ? { auxData: input.auxData } : {}),
    });
  }

  /** `failedRoles`: derived roles whose conditions failed to evaluate under strict evaluation. */
  setEffectiveDerivedRoles(roles: readonly string[], failedRoles: readonly string[]): void {
    this.runtime =
      failedRoles.length > 0
        ? new FailedRuntime(failedRoles)
        : { effectiveDerivedRoles: roles, effective_derived_roles: roles };
  }

  /** Bindings per params, rebuilt only when `runtime` changes; conditions share them. */
  readonly #bindingsCache = new Map<
    number,
    { runtime: CelValue; vars: VariablesMap; bindings: Record<string, CelValue> }
  >();

  #bindings(params: CompiledParams | undefined, vars: VariablesMap): Record<string, CelValue> {
    const id = params?.id ?? 0;
    const hit = this.#bindingsCache.get(id);
    if (hit && hit.runtime === this.runtime && hit.vars === vars) return hit.bindings;
    const bindings = this.#makeBindings(params, vars);
    this.#bindingsCache.set(id, { runtime: this.runtime, vars, bindings });
    return bindings;
  }

  #makeBindings(params: CompiledParams | undefined, vars: VariablesMap): Record<string, CelValue> {
    const consts = params ? this.#constants(params) : EMPTY_VARIABLES;
    return {
      request: this.base["request"] as CelValue,
      P: this.base["P"] as CelValue,
      R: this.base["R"] as CelValue,
      V: vars,
      variables: vars,
      C: consts,
      constants: consts,
      G: this.config.globals,
      globals: this.config.globals,
      runtime: this.runtime,
    };
  }

  #constants(params: CompiledParams): VariablesMap {
    let c = this.constants.get(params.id);
    if (!c) {
      c = new VariablesMap(params.constants);
      this.constants.set(params.id, c);
    }
    return c;
  }

  recordError(expression: string, message: string): void {
    const key = `${expression}\u0000${message}`;
    if (!this.errors.has(key)) this.errors.set(key, { celError: { expression, message } });
    this.currentErrors?.push(message);
  }

  /** Variables of a policy, evaluated in order once per check; failures are left out. */
  variablesOf(params: CompiledParams | undefined): VariablesMap {
    if (!params) return EMPTY_VARIABLES;
    return this.#evaluateVariables(params, this.variables, false);
  }

  /**
   * Variables of a derived roles set as cerbos 0.55 evaluates them when it works out the
   * effective derived roles up front (without strict evaluation): a variable that fails is
   * reported and then reads as `null` rather than being left out, so `V.x` of a failed `x` is
   * no error there (`V.x == null` even holds), unlike in rule conditions (found by experiment).
   */
  nullFailedVariablesOf(params: CompiledParams): VariablesMap {
    return this.#evaluateVariables(params, this.nullFailedVariables, true);
  }

  #evaluateVariables(
    params: CompiledParams,
    cache: Map<number, VariablesMap>,
    failedAsNull: boolean,
  ): VariablesMap {
    if (params.variables.length === 0) return EMPTY_VARIABLES;
    let v = cache.get(params.id);
    if (v) return v;
    const values: Record<string, CelValue> = {};
    v = new VariablesMap(values);
    const bindings = this.#bindings(params, v);
    for (const variable of params.variables) {
      const result = variable.expr.program.evaluate(bindings, this.ctx);
      if (result instanceof CelError) {
        this.recordError(variable.expr.source, result.message);
        if (failedAsNull) values[variable.name] = null;
      } else {
        values[variable.name] = result;
      }
    }
    cache.set(params.id, v);
    return v;
  }

  /**
   * A boolean condition. An expression that fails counts as false and its error is recorded;
   * under strict evaluation the failure instead ends the whole condition (`errored`), so the
   * caller can let a DENY rule deny. Non-boolean results count as false.
   */
  condition(
    cond: CompiledCondition | undefined,
    params: CompiledParams | undefined,
    vars?: VariablesMap,
  ): { ok: boolean; errored: boolean } {
    if (!cond) return { ok: true, errored: false };
    // Variables are worked out only for a condition that is there (a role policy rule without
    // one evaluates none, as in cerbos 0.55).
    const bindings = this.#bindings(params, vars ?? this.variablesOf(params));
    const strict = this.config.strictEvaluation;
    let errored = false;
    const run = (c: CompiledCondition): boolean => {
      switch (c.op) {
        case "expr": {
          const v = c.expr.program.evaluate(bindings, this.ctx);
          if (v instanceof CelError) {
            errored = true;
            this.recordError(c.expr.source, v.message);
            return false;
          }
          return v === true;
        }
        case "all":
          for (const sub of c.of) if (!run(sub) || (strict && errored)) return false;
          return true;
        case "any":
          for (const sub of c.of) {
            if (run(sub)) return true;
            if (strict && errored) return false;
          }
          return false;
        case "none":
          for (const sub of c.of) if (run(sub) || (strict && errored)) return false;
          return true;
      }
    };
    const ok = run(cond);
    return { ok: strict && errored ? false : ok, errored };
  }

  output(row: RuleRow, expr: CompiledExpr, action: string): void {
    const bindings = this.#bindings(row.params, this.variablesOf(row.params));
    const v = expr.program.evaluate(bindings, this.ctx);
    if (v instanceof CelError) {
      this.outputs.push({ src: row.outputSource, action, val: null, error: v.message });
      return;
    }
    const json = toJsonValue(v);
    if (json instanceof CelError) {
      // Cerbos reports a value with no JSON form as the output's error, like a failed expression.
      this.outputs.push({ src: row.outputSource, action, val: null, error: json.message });
      return;
    }
    this.outputs.push({ src: row.outputSource, action, val: json });
  }
}

/** Cerbos lists evaluation errors sorted by expression, then message. */
function compareEvaluationErrors(x: EvaluationError, y: EvaluationError): number {
  const a = x.celError;
  const b = y.celError;
  if (a.expression !== b.expression) return a.expression < b.expression ? -1 : 1;
  if (a.message !== b.message) return a.message < b.message ? -1 : 1;
  return 0;
}

function rolesIntersect(parentRoles: readonly string[], roles: ReadonlySet<string>): boolean {
  for (const p of parentRoles) {
    if (p === "*" || roles.has(p)) return true;
    if (p.includes("*")) for (const r of roles) if (matchesGlob(p, r)) return true;
  }
  return false;
}

function validationErrorsOf(
  config: CheckConfig,
  input: CheckInput,
  version: string,
  scope: string,
  kind: string,
): ValidationError[] {
  if (config.schemaEnforcement === "none" || !config.schemas) return [];
  const schemas = config.table.schemas(version, scope, kind);
  if (!schemas) return [];
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
      ...(validateAttributes(
        config.schemas,
        rs.ref,
        input.resource.attr ?? {},
        "SOURCE_RESOURCE",
      ) ?? []),
    );
  }
  return errors;
}

export function checkInput(
  config: CheckConfig,
  input: CheckInput,
  ctx: EvalContext,
  explain: boolean,
): CheckOutput & { explanation?: CheckExplanation } {
  const table = config.table;
  const actions = [...new Set(input.actions)];
  const effects = new Map<string, EffectInfo>();
  const effectiveDerivedRoles = new Set<string>();
  let validationErrors: ValidationError[] = [];
  const explanations: Record<string, ActionExplanation> = {};

  const principalScope =
    input.principal.scope === undefined || input.principal.scope === ""
      ? config.defaultScope
      : input.principal.scope;
  const resourceScope =
    input.resource.scope === undefined || input.resource.scope === ""
      ? config.defaultScope
      : input.resource.scope;
  const pScope = normalizeScope(principalScope);
  const rScope = normalizeScope(resourceScope);
  const principalVersion = input.principal.policyVersion || config.defaultPolicyVersion;
  const resourceVersion = input.resource.policyVersion || config.defaultPolicyVersion;
  const kind = sanitizeName(input.resource.kind);

  const principalScopes = table.scopesFor("PRINCIPAL", pScope, config.lenientScopeSearch);
  const resourceScopes = table.scopesFor("RESOURCE", rScope, config.lenientScopeSearch);
  const principalKey =
    principalScopes.length > 0
      ? principalPolicyKey(input.principal.id, principalVersion, principalScopes[0] as string)
      : "";
  const resourceKey =
    resourceScopes.length > 0
      ? resourcePolicyKey(input.resource.kind, resourceVersion, resourceScopes[0] as string)
      : "";

  const evaluation = new Evaluation(config, input, ctx);

  const finish = (): CheckOutput & { explanation?: CheckExplanation } => {
    const actionsOut: Record<string, ActionEffect> = {};
    for (const a of input.actions) {
      const e = effects.get(a);
      actionsOut[a] =
        e && e.effect !== "NO_MATCH"
          ? { effect: e.effect, policy: e.policy, ...(e.scope !== "" ? { scope: e.scope } : {}) }
          : { effect: "EFFECT_DENY", policy: NO_MATCH };
    }
    const errors = [...evaluation.errors.values()].sort(compareEvaluationErrors);
    return {
      ...(input.requestId !== undefined ? { requestId: input.requestId } : {}),
      resourceId: input.resource.id,
      actions: actionsOut,
      ...(effectiveDerivedRoles.size > 0
        ? { effectiveDerivedRoles: [...effectiveDerivedRoles] }
        : {}),
      ...(validationErrors.length > 0 ? { validationErrors } : {}),
      ...(evaluation.outputs.length > 0 ? { outputs: evaluation.outputs } : {}),
      ...(errors.length > 0 ? { evaluationErrors: errors } : {}),
      ...(explain ? { explanation: { actions: explanations } } : {}),
    };
  };

  if (principalScopes.length === 0 && resourceScopes.length === 0) return finish();

  if (resourceScopes.length > 0) {
    validationErrors = validationErrorsOf(
      config,
      input,
      resourceVersion,
      resourceScopes[0] as string,
      kind,
    );
    if (validationErrors.length > 0 && config.schemaEnforcement === "reject") {
      for (const a of actions)
        effects.set(a, { effect: "EFFECT_DENY", policy: resourceKey, scope: "" });
      return finish();
    }
  }

  const scopedPrincipalExists = table.principalExists(principalVersion, principalScopes);
  const scopedResourceExists = table.resourceExists(resourceVersion, kind, resourceScopes);
  if (!scopedPrincipalExists && !scopedResourceExists) return finish();

  const includingParentRoles = new Set(table.withParentRoles(rScope, input.principal.roles));
  /** `runtime` of each resource scope whose derived roles were worked out. */
  const scopeRuntimes = new Map<string, CelValue>();
  const rows: RuleRow[] = [];
  const kinds: readonly QueryKind[] = ["PRINCIPAL", "RESOURCE"];

  for (const action of actions) {
    let actionEffect: EffectInfo = { effect: "NO_MATCH", policy: NO_MATCH, scope: "" };
    const traces: RuleTrace[] = [];
    let decidedBy: RuleTrace | undefined;

    kindsLoop: for (const pt of kinds) {
      const mainKey = pt === "PRINCIPAL" ? principalKey : resourceKey;
      const scopes = pt === "PRINCIPAL" ? principalScopes : resourceScopes;
      const exists = pt === "PRINCIPAL" ? scopedPrincipalExists : scopedResourceExists;
      actionEffect.effect = "NO_MATCH";

      const roles = input.principal.roles;
      for (let i = 0; i < roles.length; i++) {
        // Principal rules apply to every role: one pass covers them all.
        if (i > 0 && pt === "PRINCIPAL") break;
        const role = roles[i] as string;
        let hasAllow = false;
        const roleEffect: EffectInfo = {
          effect: "NO_MATCH",
          policy: exists ? mainKey : NO_MATCH,
          scope: "",
        };
        const parentRoles = table.withParentRoles(rScope, [role]);
        // The rule behind this role's effect (explanations only).
        let roleDecider: RuleTrace | undefined;
        let allowDecider: RuleTrace | undefined;

        scopesLoop: for (const scope of scopes) {
          const seenRuntime = pt === "RESOURCE" ? scopeRuntimes.get(scope) : undefined;
          if (seenRuntime !== undefined) {
            evaluation.runtime = seenRuntime;
          } else if (pt === "RESOURCE") {
            const scopeRoles: string[] = [];
            const failedRoles: string[] = [];
            // Every derived role the scope's policy references is decided here, whatever the
            // action, and the errors of its condition are reported (as cerbos 0.55 does).
            for (const dr of table.derivedRoles(resourceVersion, scope, kind) ?? []) {
              if (!rolesIntersect(dr.parentRoles, includingParentRoles)) continue;
              const vars = config.strictEvaluation
                ? evaluation.variablesOf(dr.params)
                : evaluation.nullFailedVariablesOf(dr.params);
              const { ok, errored } = evaluation.condition(dr.condition, dr.params, vars);
              if (errored && config.strictEvaluation) failedRoles.push(dr.name);
              if (ok) {
                scopeRoles.push(dr.name);
                effectiveDerivedRoles.add(dr.name);
              }
            }
            evaluation.setEffectiveDerivedRoles([...new Set(scopeRoles)].sort(), failedRoles);
            scopeRuntimes.set(scope, evaluation.runtime);
          }
          // As in cerbos 0.55, a resource scope's rules see that scope's derived roles in
          // runtime.effectiveDerivedRoles, however many scopes were visited since; principal
          // policy rules see those of the resource scope visited last (both found by experiment).
          if (roleEffect.effect !== "NO_MATCH") break;

          table.query(
            pt,
            resourceVersion,
            kind,
            scope,
            action,
            parentRoles,
            input.principal.id,
            rows,
          );
          for (const row of rows) {
            // A rule's variables are worked out whenever the rule is visited (errors included);
            // a role policy rule's only when its condition is (as cerbos 0.55 does).
            if (!row.fromRolePolicy) evaluation.variablesOf(row.params);
            let satisfied: boolean;
            let errors: string[] | undefined;
            const cached = evaluation.conditions.get(row.evaluationKey);
            if (cached !== undefined) {
              satisfied = cached;
            } else if (evaluation.failedConditions.has(row.evaluationKey)) {
              satisfied = false;
            } else {
              if (explain) errors = evaluation.currentErrors = [];
              const result = evaluateRow(evaluation, row);
              evaluation.currentErrors = undefined;
              if (result === "errored") evaluation.failedConditions.add(row.evaluationKey);
              else evaluation.conditions.set(row.evaluationKey, result === "satisfied");
              if (result === "skipped") {
                if (explain) traces.push(trace(pt, scope, role, row, false, errors));
                continue;
              }
              satisfied = result === "satisfied";
            }
            if (config.strictEvaluation && evaluation.failedConditions.has(row.evaluationKey)) {
              // Strict evaluation: a rule that cannot be evaluated denies the action outright,
              // whatever its effect, in the name of its own policy and scope (as cerbos 0.55 does).
              actionEffect = { effect: "EFFECT_DENY", policy: row.origin.key, scope: row.scope };
              if (explain) decidedBy = trace(pt, scope, role, row, false, errors);
              break kindsLoop;
            }
            const t = explain ? trace(pt, scope, role, row, satisfied, errors) : undefined;
            if (t) traces.push(t);

            if (satisfied) {
              if (row.output?.ruleActivated)
                evaluation.output(row, row.output.ruleActivated, action);
              if (row.effect === "EFFECT_ALLOW") {
                hasAllow = true;
                allowDecider ??= t;
              }
              if (row.effect === "EFFECT_DENY") {
                roleEffect.effect = "EFFECT_DENY";
                roleEffect.scope = scope;
                // The implicit DENY of a role policy is attributed to that role policy.
                if (row.fromRolePolicy) roleEffect.policy = row.origin.key;
                roleDecider = t;
                break scopesLoop;
              } else if (row.noMatchForScopePermissions) {
                roleEffect.policy = NO_MATCH_FOR_SCOPE_PERMISSIONS;
                roleEffect.scope = scope;
              }
            } else if (row.output?.conditionNotMet) {
              evaluation.output(row, row.output.conditionNotMet, action);
            }
          }

          if (hasAllow) {
            const permissions = table.scopePermissions(scope);
            if (permissions === "SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS") {
              hasAllow = false;
            } else if (permissions === "SCOPE_PERMISSIONS_OVERRIDE_PARENT") {
              roleEffect.effect = "EFFECT_ALLOW";
              roleEffect.scope = scope;
              roleDecider = allowDecider;
              break scopesLoop;
            }
          }
        }

        if (actionEffect.effect === "NO_MATCH") {
          actionEffect = { ...roleEffect };
          decidedBy = roleDecider;
        }
        if (roleEffect.effect === "EFFECT_ALLOW") {
          actionEffect = { ...roleEffect };
          decidedBy = roleDecider;
          break;
        } else if (
          roleEffect.effect === "EFFECT_DENY" &&
          actionEffect.policy === NO_MATCH_FOR_SCOPE_PERMISSIONS &&
          roleEffect.policy !== NO_MATCH_FOR_SCOPE_PERMISSIONS
        ) {
          actionEffect = { ...roleEffect };
          decidedBy = roleDecider;
        }
      }
      if (actionEffect.effect === "EFFECT_ALLOW" || actionEffect.effect === "EFFECT_DENY") break;
    }
    if (actionEffect.effect === "NO_MATCH") actionEffect.effect = "EFFECT_DENY";
    effects.set(action, actionEffect);
    if (explain) {
      explanations[action] = {
        effect: actionEffect.effect,
        policy: actionEffect.policy,
        ...(actionEffect.scope !== "" ? { scope: actionEffect.scope } : {}),
        principalScopes,
        resourceScopes,
        rules: traces,
        ...(decidedBy ? { decidedBy } : {}),
      };
    }
  }
  return finish();
}

/**
 * A row's derived role condition (when it names a derived role) and then its own condition. A
 * derived role that does not hold skips the row. `errored` means a condition failed to
 * evaluate (it also counts as not matching, but strict evaluation treats it specially).
 */
function evaluateRow(
  evaluation: Evaluation,
  row: RuleRow,
): "satisfied" | "unsatisfied" | "skipped" | "errored" {
  if (row.derivedRole?.condition) {
    const dr = evaluation.condition(row.derivedRole.condition, row.derivedRole.params);
    if (dr.errored && evaluation.config.strictEvaluation) return "errored";
    if (!dr.ok) return "skipped";
  }
  const c = evaluation.condition(row.condition, row.params);
  if (c.errored && evaluation.config.strictEvaluation) return "errored";
  return c.ok ? "satisfied" : "unsatisfied";
}

function trace(
  pt: QueryKind,
  scope: string,
  role: string,
  row: RuleRow,
  matched: boolean,
  errors: string[] | undefined,
): RuleTrace {
  return {
    policyKind: pt,
    scope,
    role,
    rule: row.outputSource,
    ...(row.effect ? { effect: row.effect } : {}),
    ...(row.derivedRole ? { derivedRole: row.derivedRole.name } : {}),
    matched,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}
