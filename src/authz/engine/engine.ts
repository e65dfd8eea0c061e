// The engine: a compiled policy set plus configuration, answering CheckResources requests
// synchronously. It only walks prepared data; `now()` is fixed once per check call.

import type { CompiledPolicySet } from "../compile/index.ts";
import type { EvalContext } from "../cel/library.ts";
import { CelTimestamp } from "../cel/value.ts";
import type { JsonValue } from "../policy/model.ts";
import { PlanCache } from "./check-plan.ts";
import { checkInput, type CheckConfig } from "./check.ts";
import { CheckMemory } from "./evaluation.ts";
import type { CheckExplanation } from "./explanation.ts";
import type { CheckInput, CheckOutput } from "./types.ts";
import { planInput } from "../planner/plan.ts";
import type { PlanInput, PlanOutput } from "../planner/types.ts";
import { VariablesMap } from "./variables-map.ts";

export interface EngineOptions {
  /** Policy version used when a request names none (`default`). */
  readonly defaultPolicyVersion?: string;
  /** Scope used when a request names none (the root scope). */
  readonly defaultScope?: string;
  /** Fall back to the nearest ancestor scope that has policies (Cerbos `engine.lenientScopeSearch`). */
  readonly lenientScopeSearch?: boolean;
  readonly globals?: Readonly<Record<string, JsonValue>>;
  /** A DENY rule whose condition fails to evaluate denies (Cerbos `engine.strictEvaluation`). */
  readonly strictEvaluation?: boolean;
  readonly schemaEnforcement?: "none" | "warn" | "reject";
}

export interface CheckOptions {
  /**
   * Epoch milliseconds. Called at most once per `check`, when a condition first asks for the
   * time, so every `now()` of the call agrees (and a caller can see whether the clock was used).
   */
  readonly now?: () => number;
  /** Attach an explanation of each decision to every output. */
  readonly explain?: boolean;
}

/**
 * One input's answer. Treat it as immutable: the commonest per-action decisions are frozen
 * objects shared between checks, and so is the `actions` object when all its decisions are.
 */
export interface CheckResult extends CheckOutput {
  readonly explanation?: CheckExplanation;
}

export interface PlanOptions {
  /** Epoch milliseconds, read at most once per call (as for `check`). */
  readonly now?: () => number;
}

export interface Engine {
  check(inputs: readonly CheckInput[], opts?: CheckOptions): CheckResult[];
  /**
   * Which resources of one kind the principal may perform all the input's actions on. Throws
   * PlanFailedError for the conditions Cerbos cannot plan either (it fails such requests).
   */
  plan(input: PlanInput, opts?: PlanOptions): PlanOutput;
}

export function createEngine(policySet: CompiledPolicySet, options: EngineOptions = {}): Engine {
  const lenientScopeSearch = options.lenientScopeSearch ?? false;
  const config: CheckConfig = {
    table: policySet.internal.ruleTable,
    schemas: policySet.internal.schemas,
    defaultPolicyVersion: options.defaultPolicyVersion || "default",
    defaultScope: options.defaultScope ?? "",
    lenientScopeSearch,
    strictEvaluation: options.strictEvaluation ?? false,
    schemaEnforcement: options.schemaEnforcement ?? "none",
    globals: new VariablesMap(options.globals ?? {}),
    plans: new PlanCache(policySet.internal.ruleTable, lenientScopeSearch),
    memory: new CheckMemory(),
  };
  return {
    check(inputs, opts = {}) {
      const ctx = new CheckContext(opts.now);
      const explain = opts.explain === true;
      const out: CheckResult[] = new Array<CheckResult>(inputs.length);
      for (let i = 0; i < inputs.length; i++)
        out[i] = checkInput(config, inputs[i] as CheckInput, ctx, explain);
      return out;
    },
    plan(input, opts = {}) {
      return planInput(config, input, new CheckContext(opts.now));
    },
  };
}

/**
 * The clock of one `check` call: read on first use only and then fixed for the whole call, so
 * every `now()` of the call agrees and callers can tell whether any condition looked at it.
 */
class CheckContext implements EvalContext {
  readonly #clock: (() => number) | undefined;
  #fixed: CelTimestamp | undefined;

  constructor(clock: (() => number) | undefined) {
    this.#clock = clock;
  }

  now(): CelTimestamp {
    if (this.#fixed === undefined) {
      const ms = this.#clock ? this.#clock() : Date.now();
      const seconds = Math.floor(ms / 1000);
      this.#fixed = new CelTimestamp(seconds, Math.round((ms - seconds * 1000) * 1e6));
    }
    return this.#fixed;
  }
}
