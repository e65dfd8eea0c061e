// What one check computes once and shares between its actions: the bindings conditions run
// against, variables, remembered condition and derived role results, evaluation errors and
// outputs; and the engine-lifetime memory behind them, reused from check to check.

import type {
  CompiledDerivedRole,
  CompiledExpr,
  CompiledParams,
} from "../compile/compiled-policy.ts";
import type { EvalContext } from "../cel/library.ts";
import { toJsonValue } from "../cel/index.ts";
import { ReusableRequestValues, type CerbosRequestValues } from "../cel/cerbos/index.ts";
import { CelError, type CelValue } from "../cel/value.ts";
import type { CheckConfig } from "./check.ts";
import type { PlanRow } from "./check-plan.ts";
import { CheckClock, type StampedSlots } from "./check-scratch.ts";
import type { ConditionRun, ConditionTest } from "./condition-test.ts";
import { FailedRuntime } from "./failed-runtime.ts";
import type { ActionEffect, CheckInput, EvaluationError, OutputEntry } from "./types.ts";
import { EMPTY_VARIABLES, VariablesMap } from "./variables-map.ts";

/** What evaluating a row's conditions came to. */
export type RowResult = "satisfied" | "unsatisfied" | "skipped" | "errored";

/** The decision for the default deny, shared by every check. */
export const NO_MATCH_DENY: ActionEffect = Object.freeze({
  effect: "EFFECT_DENY",
  policy: "NO_MATCH",
});

/** Condition results as remembered within a check (see `Evaluation.conditionResult`). */
const UNSATISFIED = 1;
const SATISFIED = 2;
/** A condition that failed to evaluate under strict evaluation (see `conditionFailed`). */
const FAILED = 3;
type Remembered = typeof UNSATISFIED | typeof SATISFIED | typeof FAILED;

/** `runtime` before any resource scope's derived roles are known. */
export const INITIAL_RUNTIME: CelValue = Object.freeze({
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

const NO_CONTEXT: EvalContext = {
  now() {
    throw new Error("no check is running");
  },
};
const NO_INPUT: CheckInput = Object.freeze({
  principal: Object.freeze({ id: "", roles: [] }),
  resource: Object.freeze({ kind: "", id: "" }),
  actions: [],
});

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
  #evaluation: Evaluation | undefined;

  /**
   * The evaluation of a check about to start: one object per engine, reset for every check
   * (checks run one at a time, and what a check returns never refers to it).
   */
  evaluation(config: CheckConfig, input: CheckInput, ctx: EvalContext): Evaluation {
    const e = (this.#evaluation ??= new Evaluation(config));
    e.begin(input, ctx);
    return e;
  }

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
export class Evaluation implements ConditionRun {
  readonly config: CheckConfig;
  ctx: EvalContext;
  readonly strict: boolean;
  readonly #memory: CheckMemory;
  #input: CheckInput;
  readonly #values = new ReusableRequestValues();
  readonly #bindingsObject: ConditionBindings;
  /** Whether `#values` points at this check's request yet (done on first use). */
  #valuesSet = false;
  runtime: CelValue = INITIAL_RUNTIME;
  /** Derived roles decided up front whose results rules may reuse, each followed by its result. */
  readonly #derivedRoles: (CompiledDerivedRole | boolean)[] = [];
  /** How many entries of `#derivedRoles` belong to this check. */
  #derivedRoleEntries = 0;
  /** Evaluation errors, each reported once; undefined while there are none. */
  errors: Map<string, string[]> | undefined;
  outputs: OutputEntry[] | undefined;
  /** Errors of the condition being evaluated, for explanations. */
  currentErrors: string[] | undefined;
  /** Whether an expression of the last `condition` failed to evaluate. */
  errored = false;
  /** Effective derived roles in the order they were found (a Set only once there is one). */
  effectiveDerivedRoles: Set<string> | undefined;

  constructor(config: CheckConfig) {
    this.config = config;
    this.strict = config.strictEvaluation;
    this.#memory = config.memory;
    this.#bindingsObject = new ConditionBindings(this.#values, config.globals);
    this.ctx = NO_CONTEXT;
    this.#input = NO_INPUT;
  }

  readonly #decisions: (ActionEffect | undefined)[] = [];
  readonly #scopeRuntimes: (CelValue | undefined)[] = [];

  /**
   * This check's decisions by action index, all unset: one array for the engine's life, as
   * nothing a check returns holds it.
   */
  decisions(count: number): (ActionEffect | undefined)[] {
    return clearedTo(this.#decisions, count);
  }

  /** This check's `runtime` per resource scope index, all unset (as for `decisions`). */
  scopeRuntimes(count: number): (CelValue | undefined)[] {
    return clearedTo(this.#scopeRuntimes, count);
  }

  /** Starts a check: forgets everything the previous one computed. */
  begin(input: CheckInput, ctx: EvalContext): void {
    this.ctx = ctx;
    this.#input = input;
    this.#valuesSet = false;
    this.runtime = INITIAL_RUNTIME;
    this.#derivedRoleEntries = 0;
    this.errors = undefined;
    this.outputs = undefined;
    this.currentErrors = undefined;
    this.errored = false;
    this.effectiveDerivedRoles = undefined;
    this.#memory.clock.next();
  }

  #bindingsBase(): ConditionBindings {
    if (!this.#valuesSet) {
      const input = this.#input;
      // Conditions see the scope `.` as the root scope it stands for.
      const p = input.principal.scope === "." ? { ...input.principal, scope: "" } : input.principal;
      const r = input.resource.scope === "." ? { ...input.resource, scope: "" } : input.resource;
      this.#values.reset(p, r, input.auxData);
      this.#valuesSet = true;
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
    // One array for the engine's life; a check uses its first entries.
    const at = this.#derivedRoleEntries;
    this.#derivedRoles[at] = dr;
    this.#derivedRoles[at + 1] = holds;
    this.#derivedRoleEntries = at + 2;
  }

  /** The up-front result of a derived role, when it may be reused. */
  derivedRoleResult(dr: CompiledDerivedRole): boolean | undefined {
    const remembered = this.#derivedRoles;
    const n = this.#derivedRoleEntries;
    for (let i = 0; i < n; i += 2) if (remembered[i] === dr) return remembered[i + 1] as boolean;
    return undefined;
  }

  /** The last actions object handed out, for `actionsObject` (see there). */
  #lastActions: readonly string[] = [];
  #lastDecisions: readonly ActionEffect[] = [];
  #lastActionsObject: Readonly<Record<string, ActionEffect>> | undefined;

  /**
   * The response's actions object: each action (distinct, in order) with its decision, unset
   * ones the default deny. When every decision is one of the shared frozen ones, as most are,
   * the object is frozen too and handed out again to the next check that decides the same
   * actions the same way, instead of being built again.
   */
  actionsObject(
    actions: readonly string[],
    decisions: readonly (ActionEffect | undefined)[],
  ): Readonly<Record<string, ActionEffect>> {
    const n = actions.length;
    const last = this.#lastActionsObject;
    if (last !== undefined && this.#lastActions.length === n) {
      const lastActions = this.#lastActions;
      const lastDecisions = this.#lastDecisions;
      let same = true;
      for (let i = 0; i < n; i++) {
        if (lastActions[i] !== actions[i] || lastDecisions[i] !== (decisions[i] ?? NO_MATCH_DENY)) {
          same = false;
          break;
        }
      }
      if (same) return last;
    }
    const out: Record<string, ActionEffect> = {};
    let shared = true;
    for (let i = 0; i < n; i++) {
      const d = decisions[i] ?? NO_MATCH_DENY;
      if (shared && !Object.isFrozen(d)) shared = false;
      // Defined, not assigned, so that an action named `__proto__` is a property too.
      if (actions[i] === "__proto__")
        Object.defineProperty(out, "__proto__", {
          value: d,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      else out[actions[i] as string] = d;
    }
    if (shared) {
      this.#lastActions = [...actions];
      this.#lastDecisions = decisions.map((d) => d ?? NO_MATCH_DENY);
      this.#lastActionsObject = Object.freeze(out);
    }
    return out;
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

/** `a` with its first `count` entries unset, and no more entries than that. */
function clearedTo<T>(a: (T | undefined)[], count: number): (T | undefined)[] {
  if (a.length > count) a.length = count;
  for (let i = 0; i < a.length; i++) a[i] = undefined;
  while (a.length < count) a.push(undefined);
  return a;
}
