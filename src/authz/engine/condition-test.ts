// A compiled `match` tree (expr / all / any / none) turned, once, into one function per node,
// so a check runs a condition by calling it rather than by walking the tree and switching on
// each node's kind. Semantics as Cerbos 0.55: an expression that fails counts as false and its
// error is recorded; under strict evaluation a failure ends the whole condition.

import type { CompiledCondition } from "../compile/compiled-policy.ts";
import type { CompiledExpression } from "../cel/index.ts";
import type { EvalContext } from "../cel/library.ts";
import { CelError, type CelValue } from "../cel/value.ts";

/** What running a condition reads and reports to. */
export interface ConditionRun {
  readonly ctx: EvalContext;
  /** Strict evaluation: a failing expression ends the condition (see the file comment). */
  readonly strict: boolean;
  /** Whether an expression of the condition failed to evaluate. */
  errored: boolean;
  recordError(expression: string, message: string): void;
}

export type ConditionTest = (
  run: ConditionRun,
  bindings: Readonly<Record<string, CelValue>>,
) => boolean;

const tests = new WeakMap<CompiledCondition, ConditionTest>();

/** The condition as a function, built once per condition and shared by every check. */
export function conditionTest(c: CompiledCondition): ConditionTest {
  let t = tests.get(c);
  if (t === undefined) {
    t = build(c);
    tests.set(c, t);
  }
  return t;
}

function build(c: CompiledCondition): ConditionTest {
  if (c.op === "expr") {
    const program = c.expr.program;
    const source = c.expr.source;
    return (run, b) => {
      const v = program.evaluate(b, run.ctx);
      if (v === true) return true;
      if (v instanceof CelError) {
        run.errored = true;
        run.recordError(source, v.message);
      }
      return false;
    };
  }
  if (c.of.every((x) => x.op === "expr")) return buildOfExpressions(c.op, c.of);
  const of = c.of.map(conditionTest);
  switch (c.op) {
    case "all":
      return (run, b) => {
        for (const t of of) if (!t(run, b) || (run.strict && run.errored)) return false;
        return true;
      };
    case "any":
      return (run, b) => {
        for (const t of of) {
          if (t(run, b)) return true;
          if (run.strict && run.errored) return false;
        }
        return false;
      };
    case "none":
      return (run, b) => {
        for (const t of of) if (t(run, b) || (run.strict && run.errored)) return false;
        return true;
      };
  }
}

/**
 * `all`, `any` or `none` over plain expressions (the usual shape): one function that runs the
 * expressions itself, a call less per expression than a test per operand.
 */
function buildOfExpressions(
  op: "all" | "any" | "none",
  of: readonly CompiledCondition[],
): ConditionTest {
  const exprs = of.map((x) => (x as Extract<CompiledCondition, { op: "expr" }>).expr);
  const programs = exprs.map((e) => e.program);
  const sources = exprs.map((e) => e.source);
  const n = programs.length;
  /** Runs operand `i`: true when it holds; a failure is recorded and counts as false. */
  const holds = (run: ConditionRun, b: Readonly<Record<string, CelValue>>, i: number): boolean => {
    const v = (programs[i] as CompiledExpression).evaluate(b, run.ctx);
    if (v === true) return true;
    if (v instanceof CelError) {
      run.errored = true;
      run.recordError(sources[i] as string, v.message);
    }
    return false;
  };
  switch (op) {
    case "all":
      return (run, b) => {
        for (let i = 0; i < n; i++)
          if (!holds(run, b, i) || (run.strict && run.errored)) return false;
        return true;
      };
    case "any":
      return (run, b) => {
        for (let i = 0; i < n; i++) {
          if (holds(run, b, i)) return true;
          if (run.strict && run.errored) return false;
        }
        return false;
      };
    case "none":
      return (run, b) => {
        for (let i = 0; i < n; i++)
          if (holds(run, b, i) || (run.strict && run.errored)) return false;
        return true;
      };
  }
}
