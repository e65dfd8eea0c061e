// Test run results in the shape of Cerbos's cerbos.policy.v1.TestResults JSON, so
// `gatehouse compile -o json` prints what `cerbos compile -o json` prints. Empty fields are
// left out, as protojson leaves them out; keys are created in proto field order.

import type { ActionExplanation } from "../engine/index.ts";
import type { Effect, JsonValue } from "../policy/model.ts";

export type TestResult = "RESULT_SKIPPED" | "RESULT_PASSED" | "RESULT_FAILED" | "RESULT_ERRORED";

/** Severity order: a suite's (and the run's) overall result is its worst entry. */
const rank: Readonly<Record<TestResult | "RESULT_UNSPECIFIED", number>> = {
  RESULT_UNSPECIFIED: 0,
  RESULT_SKIPPED: 1,
  RESULT_PASSED: 2,
  RESULT_FAILED: 3,
  RESULT_ERRORED: 4,
};

export interface Tally {
  readonly result: TestResult;
  count: number;
}

export interface Summary {
  overallResult?: TestResult;
  testsCount?: number;
  resultCounts?: Tally[];
}

/** An output as Cerbos lists it in results: an output that failed to evaluate has no value. */
export interface TestOutputEntry {
  readonly src: string;
  readonly val?: JsonValue;
  readonly action?: string;
  readonly error?: string;
}

export interface OutputFailure {
  readonly src: string;
  readonly mismatched?: { readonly expected: JsonValue; readonly actual: JsonValue };
  readonly missing?: { readonly expected: JsonValue };
  readonly errored?: { readonly expected: JsonValue; readonly error: string };
}

export interface Details {
  readonly result: TestResult;
  readonly failure?: {
    readonly expected: Effect;
    readonly actual: Effect;
    readonly outputs?: readonly OutputFailure[];
  };
  readonly error?: string;
  readonly success?: { readonly effect: Effect; readonly outputs?: readonly TestOutputEntry[] };
  readonly skipReason?: string;
  /** Gatehouse's counterpart of Cerbos's engine trace, present when the run was asked to explain. */
  readonly explanation?: ActionExplanation;
}

export interface ActionResult {
  readonly name: string;
  details: Details;
}

export interface ResourceResult {
  readonly name: string;
  readonly actions: ActionResult[];
}

export interface PrincipalResult {
  readonly name: string;
  readonly resources: ResourceResult[];
}

export interface TestCaseResult {
  readonly name: string;
  readonly principals: PrincipalResult[];
}

export interface SuiteResult {
  readonly file: string;
  readonly name: string;
  readonly summary: Summary;
  error?: string;
  testCases?: TestCaseResult[];
  description?: string;
  skipReason?: string;
}

export interface TestResults {
  readonly suites: SuiteResult[];
  readonly summary: Summary;
}

export function worse(a: TestResult | undefined, b: TestResult): TestResult {
  return rank[a ?? "RESULT_UNSPECIFIED"] >= rank[b] ? (a as TestResult) : b;
}

export function newSuiteResult(file: string, name: string, description?: string): SuiteResult {
  const suite: SuiteResult = { file, name, summary: {} };
  if (description) suite.description = description;
  return suite;
}

export function addTally(summary: Summary, result: TestResult, count: number): void {
  const counts = (summary.resultCounts ??= []);
  const tally = counts.find((t) => t.result === result);
  if (tally) tally.count += count;
  else {
    counts.push({ result, count });
    counts.sort((a, b) => rank[a.result] - rank[b.result]);
  }
}

/**
 * Records one action's outcome under test case / principal / resource, creating levels as
 * needed. An uncounted result (a `--test-filter` skip) is listed and still affects the overall
 * result, but not the tallies, so the summary reports what actually ran.
 */
export function addActionResult(
  suite: SuiteResult,
  name: { readonly table: string; readonly principal: string; readonly resource: string },
  action: string,
  details: Details,
  counted = true,
): void {
  const cases = (suite.testCases ??= []);
  let tc = cases.find((c) => c.name === name.table);
  if (!tc) cases.push((tc = { name: name.table, principals: [] }));
  let p = tc.principals.find((x) => x.name === name.principal);
  if (!p) tc.principals.push((p = { name: name.principal, resources: [] }));
  let r = p.resources.find((x) => x.name === name.resource);
  if (!r) p.resources.push((r = { name: name.resource, actions: [] }));
  const existing = r.actions.find((a) => a.name === action);
  if (existing) existing.details = details;
  else r.actions.push({ name: action, details });
  if (counted) {
    suite.summary.testsCount = (suite.summary.testsCount ?? 0) + 1;
    addTally(suite.summary, details.result, 1);
  }
  suite.summary.overallResult = worse(suite.summary.overallResult, details.result);
}

/** Folds a suite's summary into the run's. */
export function addSuiteResult(results: TestResults, suite: SuiteResult): void {
  results.suites.push(suite);
  if (suite.summary.testsCount) {
    results.summary.testsCount = (results.summary.testsCount ?? 0) + suite.summary.testsCount;
  }
  for (const t of suite.summary.resultCounts ?? []) addTally(results.summary, t.result, t.count);
  if (suite.summary.overallResult) {
    results.summary.overallResult = worse(
      results.summary.overallResult,
      suite.summary.overallResult,
    );
  }
}
