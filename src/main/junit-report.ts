// `--test-output=junit`: test results as JUnit XML for CI systems, laid out like Cerbos's
// (one <testcase> per principal/resource/action, classname `principal.resource.action`).
// Cerbos's quirks are kept so CI dashboards read both the same: an errored action becomes a
// suite-level <error> rather than a <testcase>, and counts once more in <testsuites errors>.

import type { Details, SuiteResult, TestResults } from "../authz/verify/index.ts";
import { isFilterSkipReason } from "../authz/verify/index.ts";
import type { JsonValue } from "../authz/policy/model.ts";

const escapeXml = (s: string): string =>
  s.replace(
    /[&<>"'\n\r\t]/g,
    (c) =>
      ({
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&#34;",
        "'": "&#39;",
        "\n": "&#xA;",
        "\r": "&#xD;",
        "\t": "&#x9;",
      })[c]!,
  );

/** Compact JSON with sorted object keys, as Go's encoding/json prints a protobuf Value. */
function compactJson(v: JsonValue): string {
  if (Array.isArray(v)) return `[${v.map(compactJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${compactJson(v[k]!)}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

const cdata = (s: string): string => `<![CDATA[${s.replace(/]]>/g, "]]]]><![CDATA[>")}]]>`;

interface Counts {
  errors: number;
  failures: number;
  skipped: number;
  tests: number;
}

export function formatJUnit(results: TestResults, verbose: boolean): string {
  const total: Counts = { errors: 0, failures: 0, skipped: 0, tests: 0 };
  const body: string[] = [];
  for (const suite of results.suites) {
    const { lines, counts } = formatSuite(suite, verbose);
    total.errors += counts.errors;
    if (suite.summary.overallResult === "RESULT_ERRORED" && !suite.error) total.errors++;
    total.failures += counts.failures;
    total.skipped += counts.skipped;
    total.tests += counts.tests;
    body.push(...lines);
  }
  const head = `<testsuites errors="${total.errors}" failures="${total.failures}" skipped="${total.skipped}" tests="${total.tests}">`;
  return [head, ...body, "</testsuites>"].join("\n") + "\n";
}

function formatSuite(suite: SuiteResult, verbose: boolean): { lines: string[]; counts: Counts } {
  const tally = (r: string): number =>
    suite.summary.resultCounts?.find((t) => t.result === r)?.count ?? 0;
  const counts: Counts = {
    errors: tally("RESULT_ERRORED") + (suite.error ? 1 : 0),
    failures: tally("RESULT_FAILED"),
    skipped:
      tally("RESULT_SKIPPED") +
      (suite.summary.overallResult === "RESULT_SKIPPED" && !suite.testCases ? 1 : 0),
    tests: suite.summary.testsCount ?? 0,
  };
  const attrs = [
    ...(suite.description ? [`description="${escapeXml(suite.description)}"`] : []),
    `name="${escapeXml(suite.name)}"`,
    `file="${escapeXml(suite.file)}"`,
    `errors="${counts.errors}"`,
    `failures="${counts.failures}"`,
    `skipped="${counts.skipped}"`,
    `tests="${counts.tests}"`,
  ];
  const lines = [`  <testsuite ${attrs.join(" ")}>`];
  if (suite.summary.overallResult === "RESULT_ERRORED") {
    lines.push(`    <error type="RESULT_ERRORED">${escapeXml(suite.error ?? "")}</error>`);
  }
  lines.push("    <properties></properties>");
  for (const tc of suite.testCases ?? []) {
    for (const p of tc.principals) {
      for (const r of p.resources) {
        for (const a of r.actions) {
          if (a.details.result === "RESULT_ERRORED" || isFilterSkipReason(a.details.skipReason))
            continue;
          lines.push(
            `    <testcase file="${escapeXml(suite.file)}" classname="${escapeXml(`${p.name}.${r.name}.${a.name}`)}" name="${escapeXml(tc.name)}">`,
            ...outcome(a.details, verbose),
            "      <properties>",
            `        <property name="principal">${escapeXml(p.name)}</property>`,
            `        <property name="resource">${escapeXml(r.name)}</property>`,
            `        <property name="action">${escapeXml(a.name)}</property>`,
            "      </properties>",
            "    </testcase>",
          );
        }
      }
    }
  }
  lines.push("  </testsuite>");
  return { lines, counts };
}

function outcome(d: Details, verbose: boolean): string[] {
  const trace =
    verbose && d.explanation
      ? [`        <trace>${cdata(JSON.stringify(d.explanation))}</trace>`]
      : [];
  if (d.result === "RESULT_SKIPPED")
    return ['      <skipped message="This test was skipped"></skipped>'];
  if (d.result === "RESULT_PASSED" && d.success) {
    const lines = ['      <success type="RESULT_PASSED">'];
    const outputs = d.success.outputs ?? [];
    if (outputs.length > 0) {
      lines.push("        <outputs>");
      for (const o of outputs) {
        const val = cdata(compactJson(o.val ?? null));
        const actual =
          o.error !== undefined ? cdata(`Failed to evaluate output expression: ${o.error}`) : val;
        lines.push(
          `          <output src="${escapeXml(o.src)}">`,
          `            <expected>${val}</expected>`,
          `            <actual>${actual}</actual>`,
          "          </output>",
        );
      }
      lines.push("        </outputs>");
    }
    lines.push(
      `        <actual>${d.success.effect}</actual>`,
      `        <expected>${d.success.effect}</expected>`,
      "      </success>",
    );
    return lines;
  }
  if (d.result === "RESULT_FAILED" && d.failure) {
    const outputs = d.failure.outputs ?? [];
    const lines = [
      `      <failure type="RESULT_FAILED" message="${outputs.length > 0 ? "Output expectation unsatisfied" : "Effect expectation unsatisfied"}">`,
    ];
    if (outputs.length > 0) {
      lines.push("        <outputs>");
      for (const o of outputs) {
        const expected =
          o.mismatched?.expected ?? o.missing?.expected ?? o.errored?.expected ?? null;
        const actual = o.mismatched
          ? cdata(compactJson(o.mismatched.actual))
          : o.errored
            ? cdata(`Failed to evaluate output expression: ${o.errored.error}`)
            : "";
        lines.push(
          `          <output src="${escapeXml(o.src)}">`,
          `            <expected>${cdata(compactJson(expected))}</expected>`,
          `            <actual>${actual}</actual>`,
          "          </output>",
        );
      }
      lines.push("        </outputs>");
    }
    lines.push(
      `        <actual>${d.failure.actual}</actual>`,
      `        <expected>${d.failure.expected}</expected>`,
      ...trace,
      "      </failure>",
    );
    return lines;
  }
  return [`      <error type="RESULT_ERRORED">${escapeXml(d.error ?? "")}</error>`];
}
