// Prints policy test results the way `cerbos compile` does: a tree (or indented list) of the
// suites with their tallies, failing and erroring actions spelled out, every action with
// `--verbose`, then `N tests executed [N OK] [M FAILED]`. JSON output is the TestResults shape.
// With `--verbose`, failed actions are followed by the engine's explanation of the decision.

import type { ActionExplanation } from "../authz/engine/index.ts";
import type { JsonValue } from "../authz/policy/model.ts";
import type {
  Details,
  SuiteResult,
  Tally,
  TestResult,
  TestResults,
} from "../authz/verify/index.ts";
import { isFilterSkipReason, skipReasons } from "../authz/verify/index.ts";
import type { Style } from "./terminal-style.ts";
import { renderList, renderTree, type LeveledItem } from "./tree-text.ts";

const labels: Readonly<Record<TestResult, string>> = {
  RESULT_PASSED: "OK",
  RESULT_SKIPPED: "SKIPPED",
  RESULT_FAILED: "FAILED",
  RESULT_ERRORED: "ERROR",
};

const level = {
  suite: 0,
  testCase: 1,
  principal: 2,
  resource: 3,
  action: 4,
  result: 5,
  outputSrc: 6,
  outputKind: 7,
};

export type TestReportFormat = "tree" | "list" | "json";

interface Trace {
  readonly title: string;
  readonly action: string;
  readonly explanation: ActionExplanation;
}

export function formatTestResults(
  results: TestResults,
  format: TestReportFormat,
  verbose: boolean,
  style: Style,
): string {
  if (format === "json") return `${JSON.stringify(jsonShape(results), null, 2)}\n`;
  const items: LeveledItem[] = [];
  const traces: Trace[] = [];
  for (const suite of results.suites) addSuite(items, traces, suite, verbose, style);
  const lines = [style.header("Test results")];
  lines.push(...(format === "tree" ? renderTree(items, style.treeLine) : renderList(items)));
  lines.push("");
  if (verbose && traces.length > 0) {
    lines.push("", "TRACES");
    for (const t of traces) lines.push(...formatTrace(t));
  }
  lines.push(summaryLine(results, style));
  return `${lines.join("\n")}\n`;
}

/** `5 tests executed [3 OK] [2 FAILED]`, exactly as Cerbos words it. */
export function summaryLine(results: TestResults, style: Style): string {
  const tallies = (results.summary.resultCounts ?? [])
    .map((t) => ` ${tallyLabel(t, style)}`)
    .join("");
  return `${results.summary.testsCount ?? 0} tests executed${tallies}`;
}

// protojson leaves out empty lists; so does Cerbos's JSON output.
function jsonShape(results: TestResults): object {
  return results.suites.length > 0 ? results : { summary: results.summary };
}

function colorFor(result: TestResult, style: Style): (s: string) => string {
  switch (result) {
    case "RESULT_PASSED":
      return style.passed;
    case "RESULT_SKIPPED":
      return style.skipped;
    case "RESULT_FAILED":
      return style.failed;
    case "RESULT_ERRORED":
      return style.errored;
  }
}

const resultLabel = (r: TestResult, style: Style): string => colorFor(r, style)(`[${labels[r]}]`);
const tallyLabel = (t: Tally, style: Style): string =>
  colorFor(t.result, style)(`[${t.count} ${labels[t.result]}]`);

function shown(details: Details, verbose: boolean): boolean {
  switch (details.result) {
    case "RESULT_PASSED":
      return verbose;
    case "RESULT_SKIPPED":
      return details.skipReason !== skipReasons.name && !isFilterSkipReason(details.skipReason);
    default:
      return true;
  }
}

function addSuite(
  items: LeveledItem[],
  traces: Trace[],
  suite: SuiteResult,
  verbose: boolean,
  style: Style,
): void {
  let text = `${style.suite(suite.name)} (${style.fileName(suite.file)})`;
  if (suite.error) {
    items.push({ level: level.suite, text: `${text} ${resultLabel("RESULT_ERRORED", style)}` });
    items.push({ level: level.suite + 1, text: style.errorMsg(suite.error) });
    return;
  }
  // A skipped suite (or one the test filter excluded entirely) is left out, as Cerbos 0.55 does.
  if (suite.summary.overallResult === "RESULT_SKIPPED" || suite.summary.overallResult === undefined)
    return;
  for (const t of suite.summary.resultCounts ?? []) text += ` ${tallyLabel(t, style)}`;
  items.push({ level: level.suite, text });
  for (const tc of suite.testCases ?? []) {
    if (
      !tc.principals.some((p) =>
        p.resources.some((r) => r.actions.some((a) => shown(a.details, verbose))),
      )
    )
      continue;
    items.push({ level: level.testCase, text: style.testCase(tc.name) });
    for (const p of tc.principals) {
      if (!p.resources.some((r) => r.actions.some((a) => shown(a.details, verbose)))) continue;
      items.push({ level: level.principal, text: style.principal(p.name) });
      for (const r of p.resources) {
        if (!r.actions.some((a) => shown(a.details, verbose))) continue;
        items.push({ level: level.resource, text: style.resource(r.name) });
        for (const a of r.actions) {
          if (!shown(a.details, verbose)) continue;
          items.push({
            level: level.action,
            text: `${style.action(a.name)} ${resultLabel(a.details.result, style)}`,
          });
          addDetails(items, a.details, verbose, style);
          const failedOrErrored =
            a.details.result === "RESULT_FAILED" || a.details.result === "RESULT_ERRORED";
          if (failedOrErrored && a.details.explanation) {
            traces.push({
              title: `${suite.name} - ${p.name}.${r.name}.${a.name}`,
              action: a.name,
              explanation: a.details.explanation,
            });
          }
        }
      }
    }
  }
}

function addDetails(items: LeveledItem[], d: Details, verbose: boolean, style: Style): void {
  if (d.result === "RESULT_FAILED" && d.failure) {
    const outputs = d.failure.outputs ?? [];
    if (outputs.length === 0) {
      items.push({
        level: level.result,
        text: `${style.errorMsg("OUTCOME:")} expected: ${d.failure.expected}, actual: ${style.failed(d.failure.actual)}`,
      });
      return;
    }
    items.push({
      level: level.result,
      text: `${style.errorMsg("OUTCOME:")} output expectation unsatisfied`,
    });
    for (const o of outputs) {
      items.push({ level: level.outputSrc, text: o.src });
      if (o.mismatched) {
        items.push({
          level: level.outputKind,
          text: `EXPECTED: ${singleLineJson(o.mismatched.expected)}`,
        });
        items.push({
          level: level.outputKind,
          text: `ACTUAL: ${singleLineJson(o.mismatched.actual)}`,
        });
      } else if (o.missing) {
        items.push({
          level: level.outputKind,
          text: `EXPECTED: ${singleLineJson(o.missing.expected)}`,
        });
        items.push({ level: level.outputKind, text: `ACTUAL: ${style.errorMsg("MISSING")}` });
      } else if (o.errored) {
        items.push({
          level: level.outputKind,
          text: `EXPECTED: ${singleLineJson(o.errored.expected)}`,
        });
        items.push({
          level: level.outputKind,
          text: `ACTUAL: ${style.errorMsg("ERROR:")} ${o.errored.error}`,
        });
      }
    }
    return;
  }
  if (d.result === "RESULT_ERRORED") {
    items.push({ level: level.result, text: `${style.errorMsg("ERROR:")} ${d.error ?? ""}` });
    return;
  }
  if (d.result === "RESULT_PASSED" && verbose && d.success) {
    items.push({ level: level.result, text: `RESULT: ${style.passed(d.success.effect)}` });
    const outputs = [...(d.success.outputs ?? [])].sort((a, b) =>
      a.src < b.src ? -1 : a.src > b.src ? 1 : 0,
    );
    if (outputs.length > 0) {
      items.push({ level: level.result, text: "OUTPUTS:" });
      for (const o of outputs) {
        items.push({ level: level.outputSrc, text: o.src });
        items.push({
          level: level.outputKind,
          text:
            o.error !== undefined
              ? `${style.errorMsg("ERROR:")} ${o.error}`
              : singleLineJson(o.val ?? null),
        });
      }
    }
  }
}

/**
 * One failed action's explanation, laid out like Cerbos's TRACES section: every rule the engine
 * considered (`policy > action > scope > rule > role`), whether it activated, its effect or
 * why not (condition unmet, evaluation errors), then the decision.
 */
function formatTrace(t: Trace): string[] {
  const e = t.explanation;
  const lines = [t.title];
  if (e.resourceScopes.length > 0 || e.principalScopes.length > 0) {
    lines.push(
      `  scopes: principal=[${e.principalScopes.map((s) => JSON.stringify(s)).join(", ")}] resource=[${e.resourceScopes.map((s) => JSON.stringify(s)).join(", ")}]`,
      "",
    );
  }
  for (const r of e.rules) {
    const hash = r.rule.indexOf("#");
    const policy = hash >= 0 ? r.rule.slice(0, hash) : r.rule;
    const rule = hash >= 0 ? r.rule.slice(hash + 1) : "";
    const parts = [`policy=${policy}`, `action=${t.action}`, `scope=${JSON.stringify(r.scope)}`];
    if (rule) parts.push(`rule=${rule}`);
    parts.push(`role=${r.role}`);
    if (r.derivedRole) parts.push(`derivedRole=${r.derivedRole}`);
    lines.push(`  ${parts.join(" > ")}`);
    lines.push(r.matched ? "    activated" : "    skipped");
    for (const err of r.errors ?? []) lines.push(`    error → ${err}`);
    if (r.matched && r.effect) lines.push(`    effect → ${effectWord(r.effect)}`);
    else if (!r.matched && (r.errors ?? []).length === 0) lines.push("    Condition not satisfied");
    lines.push("");
  }
  lines.push(
    `  policy=${e.policy} > action=${t.action}${e.scope !== undefined ? ` > scope=${JSON.stringify(e.scope)}` : ""}`,
  );
  lines.push("    activated", `    effect → ${effectWord(e.effect)}`, "");
  return lines;
}

const effectWord = (e: string): string => (e === "EFFECT_ALLOW" ? "allow" : "deny");

/** Go protojson's single-line form of a Value: sorted keys, `, ` between items. */
export function singleLineJson(v: JsonValue): string {
  if (Array.isArray(v)) return `[${v.map(singleLineJson).join(", ")}]`;
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${singleLineJson(v[k]!)}`).join(", ")}}`;
  }
  return JSON.stringify(v);
}
