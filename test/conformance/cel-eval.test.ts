// Cerbos's CEL evaluation cases (testdata/cel_eval/*.yaml): a condition (expr, or all/any/none
// of nested conditions), a request, and the wanted boolean. Each expression is compiled in the
// Cerbos environment and evaluated with the request's bindings; an expression that fails to
// evaluate counts as false, which is what these cases expect (missing_attr_anyof is true).
// `now()` is fixed to the instant cerbos_lib.yaml expects.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { parse } from "yaml";
import {
  cerbosBindings,
  cerbosEnvironment,
  type CerbosConditionInput,
} from "../../src/authz/cel/cerbos/index.ts";
import {
  CelError,
  compileExpression,
  formatCelValue,
  parseTimestampLiteral,
  type CelValue,
  type EvalContext,
} from "../../src/authz/cel/index.ts";
import { testdata } from "../support/reference.ts";

interface Match {
  expr?: string;
  all?: { of: Match[] };
  any?: { of: Match[] };
  none?: { of: Match[] };
}

interface CelCase {
  condition: Match;
  request: CerbosConditionInput;
  want?: boolean;
  wantError?: boolean;
}

/** Cases (file name -> reason) not expected to pass yet. */
const SKIPS: Readonly<Record<string, string>> = {};

/**
 * Expressions that need a CEL-core feature not there yet. While they fail to compile or evaluate
 * they count as true (and are reported); once the core supports them they are checked like the rest.
 */
const PENDING_CORE: readonly [RegExp, string][] = [];

function pendingReason(expr: string): string | undefined {
  return PENDING_CORE.find(([re]) => re.test(expr))?.[1];
}

const NOW = parseTimestampLiteral("2021-04-22T10:05:20.021-05:00");
const ctx: EvalContext = {
  now: () => {
    assert.ok(NOW);
    return NOW;
  },
};

interface Outcome {
  value: boolean;
  problems: string[];
}

/** Expressions that counted as true because the core cannot compile them yet (see PENDING_CORE). */
const pending_: string[] = [];

function evaluate(m: Match, bindings: Record<string, CelValue>, problems: string[]): boolean {
  if (m.expr !== undefined) {
    const { expression, issues } = compileExpression(cerbosEnvironment(), m.expr);
    if (!expression) {
      const pending = pendingReason(m.expr);
      if (pending) {
        pending_.push(`${m.expr.trim()}: ${pending}`);
        return true;
      }
      problems.push(
        `compile \`${m.expr.trim()}\`: ${issues.map((i) => `${i.line}:${i.column} ${i.message}`).join("; ")}`,
      );
      return false;
    }
    const v = expression.evaluate(bindings, ctx);
    if (v !== true && v !== false) {
      const pending = pendingReason(m.expr);
      if (pending && v instanceof CelError) {
        pending_.push(`${m.expr.trim()}: ${pending} (${v.message})`);
        return true;
      }
      problems.push(
        `\`${m.expr.trim()}\` -> ${v instanceof CelError ? v.message : formatCelValue(v)}`,
      );
      return false;
    }
    if (!v) problems.push(`\`${m.expr.trim()}\` -> false`);
    return v;
  }
  if (m.all) return m.all.of.map((c) => evaluate(c, bindings, problems)).every(Boolean);
  if (m.any) return m.any.of.map((c) => evaluate(c, bindings, problems)).some(Boolean);
  if (m.none) return !m.none.of.map((c) => evaluate(c, bindings, problems)).some(Boolean);
  throw new Error("condition without expr, all, any or none");
}

function run(c: CelCase): Outcome {
  const problems: string[] = [];
  const value = evaluate(c.condition, cerbosBindings(c.request), problems);
  return { value, problems };
}

describe("cerbos cel_eval conformance", () => {
  const dir = testdata("cel_eval");
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort();
  test("finds the cases", () => assert.ok(files.length > 0));
  for (const file of files) {
    const reason = SKIPS[file];
    test(file, reason ? { skip: reason } : {}, (t) => {
      const c = parse(readFileSync(`${dir}/${file}`, "utf8")) as CelCase;
      pending_.length = 0;
      const { value, problems } = run(c);
      for (const p of pending_) t.diagnostic(`pending core support: ${p}`);
      // Compile problems always fail; false sub-expressions only matter when `want` is true.
      const compileProblems = problems.filter((p) => p.startsWith("compile"));
      assert.deepEqual(compileProblems, []);
      assert.equal(value, c.want ?? false, problems.join("\n"));
    });
  }
});
