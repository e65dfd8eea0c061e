// Evaluates one CheckInput against the rule table, the way Cerbos 0.55 does: principal policies
// first, then resource policies (narrowed by role policies), scope by scope from the nearest;
// within one role a DENY wins, across roles the first ALLOW wins; an expression that fails to
// evaluate counts as false and is reported as an evaluation error (under strict evaluation the
// failing rule denies the action instead); default deny. Where Cerbos's behaviour is not
// documented it was established against the 0.55 binary; comments say so.

import type {
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
import type { PlanCache, PlanRow, SharedDecisions } from "./check-plan.ts";
import { CheckClock, type StampedSlots } from "./check-scratch.ts";
import type { ConditionRun, ConditionTest } from "./condition-test.ts";
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
  /** What checks remember, reused from check to check. */
  readonly memory: CheckMemory;
}

type EffectOrNoMatch = Effect | "NO_MATCH";

type RowResult = "satisfied" | "unsatisfied" | "skipped" | "errored";

const KINDS: readonly QueryKind[] = ["PRINCIPAL", "RESOURCE"];
const NO_ROLES: readonly string[] = Object.freeze([]);
const NO_VALIDATION_ERRORS: ValidationError[] = [];

/** Condition results as remembered within a check (see `Evaluation.conditionResult`). */
const UNSATISFIED = 1;
const SATISFIED = 2;
/** A condition that failed to evaluate under strict evaluation (see `conditionFailed`). */
const FAILED = 3;
type Remembered = typeof UNSATISFIED | typeof SATISFIED | typeof FAILED;

/** `runtime` before any resource scope's derived roles are known. */
const INITIAL_RUNTIME: CelValue = Object.freeze({
  effectiveDerivedRoles: Object.freeze([]),
  effective_derived_roles: Object.freeze([]),
});

/**
 * What conditions are evaluated against: one object per check whose `V`/`C`/`runtime` fields are
 * set before each evaluation (a class, so every check's bindings share one shape).
 */
class ConditionBindings {
  readonly request: CelValue;
  readonly P: CelValue;
  readonly R: CelValue;
  V: CelValue = EMPTY_VARIABLES;
  variables: CelValue = EMPTY_VARIABLES;
  C: CelValue = EMPTY_VARIABLES;
  constants: CelValue = EMPTY_VARIABLES;
  readonly G: CelValue;
  readonly globals: CelValue;
  runtime: CelValue = INITIAL_RUNTIME;

  constructor(base: CerbosRequestValues, globals: VariablesMap) {
    this.request = base.request;
    this.P = base.P;
    this.R = base.R;
    this.G = globals;
    this.globals = globals;
  }
}

/**
 * Engine-lifetime state the checks share: constants maps per params (immutable) and the
 * stamped slots that remember conditions and variables within one check.
 */
export class CheckMemory {
  readonly clock = new CheckClock();
  readonly conditions = this.clock.slots<Remembered>();
  readonly variables = this.clock.slots<VariablesMap>();
  readonly nullFailedVariables = this.clock.slots<VariablesMap>();
  readonly #constants: (VariablesMap | undefined)[] = [];

  /** Constants do not depend on the request: one map per compiled params, shared by every check. */
  constantsOf(params: CompiledParams): VariablesMap {
    let c = this.#constants[params.id];
    if (c === undefined) {
      c = new VariablesMap(params.constants);
      while (this.#constants.length < params.id) this.#constants.push(undefined);
      this.#constants[params.id] = c;
    }
    return c;
  }
}

/**
 * Everything one check call computes once and shares between actions. Its structures are
 * created on first use: most checks need only a few of them.
 */
class Evaluation implements ConditionRun {
  readonly config: CheckConfig;
  readonly ctx: EvalContext;
  readonly strict: boolean;
  readonly #memory: CheckMemory;
  readonly #input: CheckInput;
  #bindingsObject: ConditionBindings | undefined;
  runtime: CelValue = INITIAL_RUNTIME;
  /** Derived roles decided up front whose results rules may reuse, each followed by its result. */
  #derivedRoles: (CompiledDerivedRole | boolean)[] | undefined;
  /** Evaluation errors, each reported once; undefined while there are none. */
  errors: Map<string, string[]> | undefined;
  outputs: OutputEntry[] | undefined;
  /** Errors of the condition being evaluated, for explanations. */
  currentErrors: string[] | undefined;
  /** Whether an expression of the last `condition` failed to evaluate. */
  errored = false;

  constructor(config: CheckConfig, input: CheckInput, ctx: EvalContext) {
    this.config = config;
    this.ctx = ctx;
    this.strict = config.strictEvaluation;
    this.#memory = config.memory;
    this.#input = input;
    config.memory.clock.next();
  }

  #bindingsBase(): ConditionBindings {
    if (this.#bindingsObject === undefined) {
      const input = this.#input;
      // Conditions see the scope `.` as the root scope it stands for.
      const p = input.principal.scope === "." ? { ...input.principal, scope: "" } : input.principal;
      const r = input.resource.scope === "." ? { ...input.resource, scope: "" } : input.resource;
      this.#bindingsObject = new ConditionBindings(
        cerbosRequestValues(p, r, input.auxData),
        this.config.globals,
      );
    }
    return this.#bindingsObject;
  }

  /** `failedRoles`: derived roles whose conditions failed to evaluate under strict evaluation. */
  setEffectiveDerivedRoles(roles: readonly string[], failedRoles: readonly string[]): void {
    this.runtime =
      failedRoles.length > 0
        ? new FailedRuntime(failedRoles)
        : roles.length === 0
          ? INITIAL_RUNTIME
          : { effectiveDerivedRoles: roles, effective_derived_roles: roles };
  }

  #bindings(params: CompiledParams | undefined, vars: VariablesMap): Record<string, CelValue> {
    const b = this.#bindingsBase();
    const consts = params ? this.#memory.constantsOf(params) : EMPTY_VARIABLES;
    b.V = vars;
    b.variables = vars;
    b.C = consts;
    b.constants = consts;
    b.runtime = this.runtime;
    return b as unknown as Record<string, CelValue>;
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

  /** The remembered result of a row's condition: undefined when not yet evaluated. */
  conditionResult(key: number): boolean | undefined {
    const r = this.#memory.conditions.get(key);
    return r === undefined ? undefined : r === SATISFIED;
  }

  /** Whether the condition failed to evaluate under strict evaluation. */
  conditionFailed(key: number): boolean {
    return this.#memory.conditions.get(key) === FAILED;
  }

  setConditionResult(key: number, result: RowResult): void {
    this.#memory.conditions.set(
      key,
      result === "errored" ? FAILED : result === "satisfied" ? SATISFIED : UNSATISFIED,
    );
  }

  /** Remembers a derived role decided up front whose result rules may reuse. */
  rememberDerivedRole(dr: CompiledDerivedRole, holds: boolean): void {
    if (this.config.strictEvaluation) return;
    // A literal first: an array grown by push reserves room for 17.
    if (this.#derivedRoles === undefined) this.#derivedRoles = [dr, holds];
    else this.#derivedRoles.push(dr, holds);
  }

  /** The up-front result of a derived role, when it may be reused. */
  derivedRoleResult(dr: CompiledDerivedRole): boolean | undefined {
    const remembered = this.#derivedRoles;
    if (remembered === undefined) return undefined;
    for (let i = 0; i < remembered.length; i += 2)
      if (remembered[i] === dr) return remembered[i + 1] as boolean;
    return undefined;
  }

  /** Variables of a policy, evaluated in order once per check; failures are left out. */
  variablesOf(params: CompiledParams | undefined): VariablesMap {
    if (!params || params.variables.length === 0) return EMPTY_VARIABLES;
    return this.#evaluateVariables(params, this.#memory.variables, false);
  }

  /**
   * Variables of a derived roles set as cerbos 0.55 evaluates them when it works out the
   * effective derived roles up front (without strict evaluation): a variable that fails is
   * reported and then reads as `null` rather than being left out, so `V.x` of a failed `x` is
   * no error there (`V.x == null` even holds), unlike in rule conditions (found by experiment).
   */
  nullFailedVariablesOf(params: CompiledParams): VariablesMap {
    if (params.variables.length === 0) return EMPTY_VARIABLES;
    return this.#evaluateVariables(params, this.#memory.nullFailedVariables, true);
  }

  #evaluateVariables(
    params: CompiledParams,
    cache: StampedSlots<VariablesMap>,
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
    test: ConditionTest | undefined,
    params: CompiledParams | undefined,
    vars?: VariablesMap,
  ): boolean {
    this.errored = false;
    if (test === undefined) return true;
    // Variables are worked out only for a condition that is there (a role policy rule without
    // one evaluates none, as in cerbos 0.55).
    const ok = test(this, this.#bindings(params, vars ?? this.variablesOf(params)));
    return this.strict && this.errored ? false : ok;
  }

  output(row: PlanRow, expr: CompiledExpr, action: string): void {
    const bindings = this.#bindings(row.params, this.variablesOf(row.params));
    const v = expr.program.evaluate(bindings, this.ctx);
    const src = row.row.rule.outputSource;
    let entry: OutputEntry;
    if (v instanceof CelError) {
      entry = { src, action, val: null, error: v.message };
    } else {
      const json = toJsonValue(v);
      // Cerbos reports a value with no JSON form as the output's error, like a failed expression.
      entry =
        json instanceof CelError
          ? { src, action, val: null, error: json.message }
          : { src, action, val: json };
    }
    // A literal for the first entry: an array grown by push reserves room for 17.
    if (this.outputs === undefined) this.outputs = [entry];
    else this.outputs.push(entry);
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
  decisions: readonly (ActionEffect | undefined)[],
  evaluation: Evaluation,
  effectiveDerivedRoles: ReadonlySet<string> | undefined,
  validationErrors: readonly ValidationError[],
  explanations: Record<string, ActionExplanation> | undefined,
): CheckOutput & { explanation?: CheckExplanation } {
  const actionsOut: Record<string, ActionEffect> = {};
  for (let i = 0; i < actions.length; i++)
    actionsOut[actions[i] as string] = decisions[i] ?? NO_MATCH_DENY;
  // Built in the order Cerbos's JSON lists the fields.
  const out: {
    -readonly [K in keyof CheckOutput]: CheckOutput[K];
  } & { explanation?: CheckExplanation } =
    input.requestId !== undefined
      ? { requestId: input.requestId, resourceId: input.resource.id, actions: actionsOut }
      : { resourceId: input.resource.id, actions: actionsOut };
  if (effectiveDerivedRoles !== undefined) out.effectiveDerivedRoles = [...effectiveDerivedRoles];
  if (validationErrors.length > 0) out.validationErrors = validationErrors;
  if (evaluation.outputs !== undefined) out.outputs = evaluation.outputs;
  const evaluationErrors = evaluation.evaluationErrors();
  if (evaluationErrors !== undefined) out.evaluationErrors = evaluationErrors;
  if (explanations !== undefined) out.explanation = { actions: explanations };
  return out;
}

/** The decision for the default deny, shared by every check. */
const NO_MATCH_DENY: ActionEffect = Object.freeze({ effect: "EFFECT_DENY", policy: NO_MATCH });

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
  /** Decisions by index into `actions`; unset means no decision (default deny). */
  const decisions = new Array<ActionEffect | undefined>(actions.length);
  /** Effective derived roles in the order they were found (a Set only once there is one). */
  let effectiveDerivedRoles: Set<string> | undefined;
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

  const evaluation = new Evaluation(config, input, ctx);

  if (principalScopes.length === 0 && resourceScopes.length === 0)
    return finish(
      input,
      actions,
      decisions,
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
        decisions[i] = { effect: "EFFECT_DENY", policy: plan.policyKey };
      return finish(
        input,
        actions,
        decisions,
        evaluation,
        effectiveDerivedRoles,
        validationErrors,
        explanations,
      );
    }
  }

  if (!principalPlan.exists && !plan.exists)
    return finish(
      input,
      actions,
      decisions,
      evaluation,
      effectiveDerivedRoles,
      validationErrors,
      explanations,
    );

  /** `runtime` of each resource scope (by index) whose derived roles were worked out. */
  const scopeRuntimes = new Array<CelValue | undefined>(resourceScopes.length);
  const roles = principal.roles;
  const strict = config.strictEvaluation;

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
            if (seenRuntime !== undefined) {
              evaluation.runtime = seenRuntime;
            } else {
              let scopeRoles: string[] | undefined;
              let failedRoles: string[] | undefined;
              // Every derived role the scope's policy references is decided here, whatever the
              // action, and the errors of its condition are reported (as cerbos 0.55 does).
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
                  (effectiveDerivedRoles ??= new Set()).add(dr.name);
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
              scopeRuntimes[s] = evaluation.runtime;
            }
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

        if (
          effect === "NO_MATCH" ||
          roleEffect === "EFFECT_ALLOW" ||
          (roleEffect === "EFFECT_DENY" &&
            policy === NO_MATCH_FOR_SCOPE_PERMISSIONS &&
            rolePolicy !== NO_MATCH_FOR_SCOPE_PERMISSIONS)
        ) {
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
  return finish(
    input,
    actions,
    decisions,
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
