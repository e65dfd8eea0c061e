// Evaluates one CheckInput against the rule table, the way Cerbos 0.55 does: principal policies
// first, then resource policies (narrowed by role policies), scope by scope from the nearest;
// within one role a DENY wins, across roles the first ALLOW wins; an expression that fails to
// evaluate counts as false and is reported as an evaluation error (under strict evaluation the
// failing rule denies the action instead); default deny. Where Cerbos's behaviour is not
// documented it was established against the 0.55 binary; comments say so.

import type {
  CompiledCondition,
  CompiledDerivedRole,
  CompiledExpr,
  CompiledParams,
} from "../compile/compiled-policy.ts";
import { normalizeScope } from "../compile/policy-names.ts";
import type { EvalContext } from "../cel/library.ts";
import { toJsonValue } from "../cel/index.ts";
import { cerbosRequestValues, type CerbosRequestValues } from "../cel/cerbos/index.ts";
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
import type { PlanCache } from "./check-plan.ts";
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
  /** Rule table lookups remembered per request shape. */
  readonly plans: PlanCache;
}

type EffectOrNoMatch = Effect | "NO_MATCH";

type RowResult = "satisfied" | "unsatisfied" | "skipped" | "errored";

const KINDS: readonly QueryKind[] = ["PRINCIPAL", "RESOURCE"];
const NO_ROLES: readonly string[] = Object.freeze([]);

interface EffectInfo {
  effect: EffectOrNoMatch;
  policy: string;
  scope: string;
}

/** A condition that failed to evaluate under strict evaluation (see `conditionFailed`). */
const FAILED = 2;

/** `runtime` before any resource scope's derived roles are known. */
const INITIAL_RUNTIME: CelValue = Object.freeze({
  effectiveDerivedRoles: Object.freeze([]),
  effective_derived_roles: Object.freeze([]),
});

/** Constants do not depend on the request: one map per compiled params, shared by every check. */
const constantsCache = new WeakMap<CompiledParams, VariablesMap>();

function constantsOf(params: CompiledParams): VariablesMap {
  let c = constantsCache.get(params);
  if (c === undefined) {
    c = new VariablesMap(params.constants);
    constantsCache.set(params, c);
  }
  return c;
}

interface CachedBindings {
  readonly runtime: CelValue;
  readonly vars: VariablesMap;
  readonly bindings: Record<string, CelValue>;
}

/**
 * Everything one check call computes once and shares between actions. Its maps are created on
 * first use: most checks need only a few of them.
 */
class Evaluation {
  readonly config: CheckConfig;
  readonly ctx: EvalContext;
  readonly #input: CheckInput;
  /** `request`, `P` and `R`, built on first use, once per input. */
  #base: CerbosRequestValues | undefined;
  runtime: CelValue = INITIAL_RUNTIME;
  #variables: Map<number, VariablesMap> | undefined;
  /** Variables as the up-front derived role evaluation sees them (see `nullFailedVariablesOf`). */
  #nullFailedVariables: Map<number, VariablesMap> | undefined;
  /** Condition results by evaluation key: true, false or FAILED. */
  #conditions: Map<number, boolean | typeof FAILED> | undefined;
  /** Bindings per params, rebuilt only when `runtime` changes; conditions share them. */
  #bindingsCache: Map<number, CachedBindings> | undefined;
  /** Evaluation errors, each reported once; undefined while there are none. */
  errors: Map<string, string[]> | undefined;
  readonly outputs: OutputEntry[] = [];
  /** Errors of the condition being evaluated, for explanations. */
  currentErrors: string[] | undefined;
  /** Whether an expression of the last `condition` failed to evaluate. */
  errored = false;

  constructor(config: CheckConfig, input: CheckInput, ctx: EvalContext) {
    this.config = config;
    this.ctx = ctx;
    this.#input = input;
  }

  #requestValues(): CerbosRequestValues {
    if (this.#base === undefined) {
      const input = this.#input;
      // Conditions see the scope `.` as the root scope it stands for.
      const p = input.principal.scope === "." ? { ...input.principal, scope: "" } : input.principal;
      const r = input.resource.scope === "." ? { ...input.resource, scope: "" } : input.resource;
      this.#base = cerbosRequestValues(p, r, input.auxData);
    }
    return this.#base;
  }

  /** `failedRoles`: derived roles whose conditions failed to evaluate under strict evaluation. */
  setEffectiveDerivedRoles(roles: readonly string[], failedRoles: readonly string[]): void {
    this.runtime =
      failedRoles.length > 0
        ? new FailedRuntime(failedRoles)
        : { effectiveDerivedRoles: roles, effective_derived_roles: roles };
  }

  #bindings(params: CompiledParams | undefined, vars: VariablesMap): Record<string, CelValue> {
    const id = params?.id ?? 0;
    this.#bindingsCache ??= new Map();
    const hit = this.#bindingsCache.get(id);
    if (hit && hit.runtime === this.runtime && hit.vars === vars) return hit.bindings;
    const bindings = this.#makeBindings(params, vars);
    this.#bindingsCache.set(id, { runtime: this.runtime, vars, bindings });
    return bindings;
  }

  #makeBindings(params: CompiledParams | undefined, vars: VariablesMap): Record<string, CelValue> {
    const consts = params ? constantsOf(params) : EMPTY_VARIABLES;
    const base = this.#requestValues();
    return {
      request: base.request,
      P: base.P,
      R: base.R,
      V: vars,
      variables: vars,
      C: consts,
      constants: consts,
      G: this.config.globals,
      globals: this.config.globals,
      runtime: this.runtime,
    };
  }

  recordError(expression: string, message: string): void {
    this.errors ??= new Map();
    // expression -> messages reported for it (almost always one); no key to build per error.
    const messages = this.errors.get(expression);
    if (messages === undefined) this.errors.set(expression, [message]);
    else if (!messages.includes(message)) messages.push(message);
    this.currentErrors?.push(message);
  }

  /** Evaluation errors as Cerbos lists them: sorted by expression, then message. */
  evaluationErrors(): EvaluationError[] | undefined {
    if (this.errors === undefined) return undefined;
    const out: EvaluationError[] = [];
    for (const [expression, messages] of this.errors)
      for (const message of messages) out.push({ celError: { expression, message } });
    return out.sort(compareEvaluationErrors);
  }

  /** The cached result of a row's condition: undefined when not yet evaluated. */
  conditionResult(key: number): boolean | undefined {
    const r = this.#conditions?.get(key);
    return r === FAILED ? false : r;
  }

  /** Whether the condition failed to evaluate under strict evaluation. */
  conditionFailed(key: number): boolean {
    return this.#conditions?.get(key) === FAILED;
  }

  setConditionResult(key: number, result: RowResult): void {
    this.#conditions ??= new Map();
    this.#conditions.set(key, result === "errored" ? FAILED : result === "satisfied");
  }

  /** Variables of a policy, evaluated in order once per check; failures are left out. */
  variablesOf(params: CompiledParams | undefined): VariablesMap {
    if (!params || params.variables.length === 0) return EMPTY_VARIABLES;
    this.#variables ??= new Map();
    return this.#evaluateVariables(params, this.#variables, false);
  }

  /**
   * Variables of a derived roles set as cerbos 0.55 evaluates them when it works out the
   * effective derived roles up front (without strict evaluation): a variable that fails is
   * reported and then reads as `null` rather than being left out, so `V.x` of a failed `x` is
   * no error there (`V.x == null` even holds), unlike in rule conditions (found by experiment).
   */
  nullFailedVariablesOf(params: CompiledParams): VariablesMap {
    if (params.variables.length === 0) return EMPTY_VARIABLES;
    this.#nullFailedVariables ??= new Map();
    return this.#evaluateVariables(params, this.#nullFailedVariables, true);
  }

  #evaluateVariables(
    params: CompiledParams,
    cache: Map<number, VariablesMap>,
    failedAsNull: boolean,
  ): VariablesMap {
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
   * under strict evaluation the failure instead ends the whole condition (`errored` is set
   * afterwards), so the caller can let a DENY rule deny. Non-boolean results count as false.
   */
  condition(
    cond: CompiledCondition | undefined,
    params: CompiledParams | undefined,
    vars?: VariablesMap,
  ): boolean {
    this.errored = false;
    if (!cond) return true;
    // Variables are worked out only for a condition that is there (a role policy rule without
    // one evaluates none, as in cerbos 0.55).
    const bindings = this.#bindings(params, vars ?? this.variablesOf(params));
    const ok = this.#run(cond, bindings);
    return this.config.strictEvaluation && this.errored ? false : ok;
  }

  #run(c: CompiledCondition, bindings: Record<string, CelValue>): boolean {
    const strict = this.config.strictEvaluation;
    switch (c.op) {
      case "expr": {
        const v = c.expr.program.evaluate(bindings, this.ctx);
        if (v instanceof CelError) {
          this.errored = true;
          this.recordError(c.expr.source, v.message);
          return false;
        }
        return v === true;
      }
      case "all":
        for (const sub of c.of)
          if (!this.#run(sub, bindings) || (strict && this.errored)) return false;
        return true;
      case "any":
        for (const sub of c.of) {
          if (this.#run(sub, bindings)) return true;
          if (strict && this.errored) return false;
        }
        return false;
      case "none":
        for (const sub of c.of)
          if (this.#run(sub, bindings) || (strict && this.errored)) return false;
        return true;
    }
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

function copyEffect(e: EffectInfo): EffectInfo {
  return { effect: e.effect, policy: e.policy, scope: e.scope };
}

/** Cerbos lists evaluation errors sorted by expression, then message. */
function compareEvaluationErrors(x: EvaluationError, y: EvaluationError): number {
  const a = x.celError;
  const b = y.celError;
  if (a.expression !== b.expression) return a.expression < b.expression ? -1 : 1;
  if (a.message !== b.message) return a.message < b.message ? -1 : 1;
  return 0;
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

/** Each distinct action once, in request order (requests repeat an action rarely). */
function distinctActions(actions: readonly string[]): readonly string[] {
  for (let i = 1; i < actions.length; i++) {
    if (actions.indexOf(actions[i] as string) < i) return [...new Set(actions)];
  }
  return actions;
}

/** The output for one input, allocating only what it returns. */
function finish(
  input: CheckInput,
  actions: readonly string[],
  effects: readonly (EffectInfo | undefined)[],
  evaluation: Evaluation,
  effectiveDerivedRoles: ReadonlySet<string> | undefined,
  validationErrors: readonly ValidationError[],
  explanations: Record<string, ActionExplanation> | undefined,
): CheckOutput & { explanation?: CheckExplanation } {
  const actionsOut: Record<string, ActionEffect> = {};
  for (let i = 0; i < actions.length; i++) {
    const e = effects[i];
    actionsOut[actions[i] as string] =
      e === undefined || e.effect === "NO_MATCH"
        ? { effect: "EFFECT_DENY", policy: NO_MATCH }
        : e.scope !== ""
          ? { effect: e.effect, policy: e.policy, scope: e.scope }
          : { effect: e.effect, policy: e.policy };
  }
  // Built in the order Cerbos's JSON lists the fields.
  const out: {
    -readonly [K in keyof CheckOutput]: CheckOutput[K];
  } & { explanation?: CheckExplanation } =
    input.requestId !== undefined
      ? { requestId: input.requestId, resourceId: input.resource.id, actions: actionsOut }
      : { resourceId: input.resource.id, actions: actionsOut };
  if (effectiveDerivedRoles !== undefined) out.effectiveDerivedRoles = [...effectiveDerivedRoles];
  if (validationErrors.length > 0) out.validationErrors = validationErrors;
  if (evaluation.outputs.length > 0) out.outputs = evaluation.outputs;
  const evaluationErrors = evaluation.evaluationErrors();
  if (evaluationErrors !== undefined) out.evaluationErrors = evaluationErrors;
  if (explanations !== undefined) out.explanation = { actions: explanations };
  return out;
}

export function checkInput(
  config: CheckConfig,
  input: CheckInput,
  ctx: EvalContext,
  explain: boolean,
): CheckOutput & { explanation?: CheckExplanation } {
  const table = config.table;
  const actions = distinctActions(input.actions);
  /** Decisions by index into `actions`; unset means no decision (default deny). */
  const effects: (EffectInfo | undefined)[] = [];
  /** Effective derived roles in the order they were found (a Set only once there is one). */
  let effectiveDerivedRoles: Set<string> | undefined;
  let validationErrors: ValidationError[] = [];
  const explanations: Record<string, ActionExplanation> | undefined = explain ? {} : undefined;

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

  const plan = config.plans.resourcePlan(
    resourceVersion,
    input.resource.kind,
    rScope,
    input.principal.roles,
  );
  const kind = plan.kind;
  const principalPlan = config.plans.principalPlan(
    input.principal.id,
    principalVersion,
    pScope,
    resourceVersion,
    kind,
  );
  const principalScopes = principalPlan.scopes;
  const resourceScopes = plan.scopes;
  const principalKey = principalPlan.policyKey;
  const resourceKey = plan.policyKey;

  const evaluation = new Evaluation(config, input, ctx);

  if (principalScopes.length === 0 && resourceScopes.length === 0)
    return finish(
      input,
      actions,
      effects,
      evaluation,
      effectiveDerivedRoles,
      validationErrors,
      explanations,
    );

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
        effects[i] = { effect: "EFFECT_DENY", policy: resourceKey, scope: "" };
      return finish(
        input,
        actions,
        effects,
        evaluation,
        effectiveDerivedRoles,
        validationErrors,
        explanations,
      );
    }
  }

  const scopedPrincipalExists = principalPlan.exists;
  const scopedResourceExists = plan.exists;
  if (!scopedPrincipalExists && !scopedResourceExists)
    return finish(
      input,
      actions,
      effects,
      evaluation,
      effectiveDerivedRoles,
      validationErrors,
      explanations,
    );

  /** `runtime` of each resource scope (by index) whose derived roles were worked out. */
  const scopeRuntimes: (CelValue | undefined)[] = [];
  const roles = input.principal.roles;

  for (let actionIndex = 0; actionIndex < actions.length; actionIndex++) {
    const action = actions[actionIndex] as string;
    let actionEffect: EffectInfo = { effect: "NO_MATCH", policy: NO_MATCH, scope: "" };
    const traces: RuleTrace[] | undefined = explain ? [] : undefined;
    let decidedBy: RuleTrace | undefined;

    kindsLoop: for (let k = 0; k < KINDS.length; k++) {
      const pt = KINDS[k] as QueryKind;
      const isPrincipal = pt === "PRINCIPAL";
      // Without principal scopes the principal pass decides nothing and leaves no trace.
      if (isPrincipal && principalScopes.length === 0) continue;
      const mainKey = isPrincipal ? principalKey : resourceKey;
      const scopes = isPrincipal ? principalScopes : resourceScopes;
      const exists = isPrincipal ? scopedPrincipalExists : scopedResourceExists;
      actionEffect.effect = "NO_MATCH";

      for (let i = 0; i < roles.length; i++) {
        // Principal rules apply to every role: one pass covers them all.
        if (i > 0 && isPrincipal) break;
        const role = roles[i] as string;
        let hasAllow = false;
        const roleEffect: EffectInfo = {
          effect: "NO_MATCH",
          policy: exists ? mainKey : NO_MATCH,
          scope: "",
        };
        // The rule behind this role's effect (explanations only).
        let roleDecider: RuleTrace | undefined;
        let allowDecider: RuleTrace | undefined;

        scopesLoop: for (let s = 0; s < scopes.length; s++) {
          const scope = scopes[s] as string;
          if (!isPrincipal) {
            const seenRuntime = scopeRuntimes[s];
            if (seenRuntime !== undefined) {
              evaluation.runtime = seenRuntime;
            } else {
              let scopeRoles: string[] | undefined;
              let failedRoles: string[] | undefined;
              // Every derived role the scope's policy references is decided here, whatever the
              // action, and the errors of its condition are reported (as cerbos 0.55 does).
              for (const dr of plan.derivedRoles[s] as readonly CompiledDerivedRole[]) {
                const vars = config.strictEvaluation
                  ? evaluation.variablesOf(dr.params)
                  : evaluation.nullFailedVariablesOf(dr.params);
                const ok = evaluation.condition(dr.condition, dr.params, vars);
                if (evaluation.errored && config.strictEvaluation)
                  (failedRoles ??= []).push(dr.name);
                if (ok) {
                  (scopeRoles ??= []).push(dr.name);
                  (effectiveDerivedRoles ??= new Set()).add(dr.name);
                }
              }
              evaluation.setEffectiveDerivedRoles(
                scopeRoles === undefined
                  ? []
                  : scopeRoles.length === 1
                    ? scopeRoles
                    : [...new Set(scopeRoles)].sort(),
                failedRoles ?? NO_ROLES,
              );
              scopeRuntimes[s] = evaluation.runtime;
            }
          }
          // As in cerbos 0.55, a resource scope's rules see that scope's derived roles in
          // runtime.effectiveDerivedRoles, however many scopes were visited since; principal
          // policy rules see those of the resource scope visited last (both found by experiment).
          if (roleEffect.effect !== "NO_MATCH") break;

          const rows = isPrincipal ? principalPlan.rows(action, s) : plan.rows(action, i, s);
          for (let r = 0; r < rows.length; r++) {
            const row = rows[r] as RuleRow;
            // A rule's variables are worked out whenever the rule is visited (errors included);
            // a role policy rule's only when its condition is (as cerbos 0.55 does).
            if (!row.fromRolePolicy) evaluation.variablesOf(row.params);
            let satisfied: boolean;
            let errors: string[] | undefined;
            // A row without conditions holds: nothing to evaluate or remember.
            const cached =
              row.condition === undefined && row.derivedRole?.condition === undefined
                ? true
                : evaluation.conditionResult(row.evaluationKey);
            if (cached !== undefined) {
              satisfied = cached;
            } else {
              if (explain) errors = evaluation.currentErrors = [];
              const result = evaluateRow(evaluation, row);
              evaluation.currentErrors = undefined;
              evaluation.setConditionResult(row.evaluationKey, result);
              if (result === "skipped") {
                if (traces) traces.push(trace(pt, scope, role, row, false, errors));
                continue;
              }
              satisfied = result === "satisfied";
            }
            if (config.strictEvaluation && evaluation.conditionFailed(row.evaluationKey)) {
              // Strict evaluation: a rule that cannot be evaluated denies the action outright,
              // whatever its effect, in the name of its own policy and scope (as cerbos 0.55 does).
              actionEffect = { effect: "EFFECT_DENY", policy: row.origin.key, scope: row.scope };
              if (explain) decidedBy = trace(pt, scope, role, row, false, errors);
              break kindsLoop;
            }
            const t = traces ? trace(pt, scope, role, row, satisfied, errors) : undefined;
            if (t) traces?.push(t);

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
          actionEffect = copyEffect(roleEffect);
          decidedBy = roleDecider;
        }
        if (roleEffect.effect === "EFFECT_ALLOW") {
          actionEffect = copyEffect(roleEffect);
          decidedBy = roleDecider;
          break;
        } else if (
          roleEffect.effect === "EFFECT_DENY" &&
          actionEffect.policy === NO_MATCH_FOR_SCOPE_PERMISSIONS &&
          roleEffect.policy !== NO_MATCH_FOR_SCOPE_PERMISSIONS
        ) {
          actionEffect = copyEffect(roleEffect);
          decidedBy = roleDecider;
        }
      }
      if (actionEffect.effect === "EFFECT_ALLOW" || actionEffect.effect === "EFFECT_DENY") break;
    }
    if (actionEffect.effect === "NO_MATCH") actionEffect.effect = "EFFECT_DENY";
    effects[actionIndex] = actionEffect;
    if (explanations !== undefined) {
      explanations[action] = {
        effect: actionEffect.effect,
        policy: actionEffect.policy,
        ...(actionEffect.scope !== "" ? { scope: actionEffect.scope } : {}),
        // Copies: the plan's arrays are shared between checks.
        principalScopes: [...principalScopes],
        resourceScopes: [...resourceScopes],
        rules: traces ?? [],
        ...(decidedBy ? { decidedBy } : {}),
      };
    }
  }
  return finish(
    input,
    actions,
    effects,
    evaluation,
    effectiveDerivedRoles,
    validationErrors,
    explanations,
  );
}

/**
 * A row's derived role condition (when it names a derived role) and then its own condition. A
 * derived role that does not hold skips the row. `errored` means a condition failed to
 * evaluate (it also counts as not matching, but strict evaluation treats it specially).
 */
function evaluateRow(evaluation: Evaluation, row: RuleRow): RowResult {
  const strict = evaluation.config.strictEvaluation;
  if (row.derivedRole?.condition) {
    const ok = evaluation.condition(row.derivedRole.condition, row.derivedRole.params);
    if (evaluation.errored && strict) return "errored";
    if (!ok) return "skipped";
  }
  const ok = evaluation.condition(row.condition, row.params);
  if (evaluation.errored && strict) return "errored";
  return ok ? "satisfied" : "unsatisfied";
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
