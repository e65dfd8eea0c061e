// Expected texts were printed by the real `cerbos compile --test-output=junit` for the same results.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { TestResults } from "../authz/verify/index.ts";
import { testdata } from "../../test/support/reference.ts";
import { formatJUnit } from "./junit-report.ts";

const golden = (name: string): TestResults =>
  JSON.parse(
    readFileSync(testdata("verify", "cases", `${name}.yaml.golden`), "utf8"),
  ) as TestResults;

test("a suite that failed to load", () => {
  assert.equal(
    formatJUnit(golden("case_006"), false),
    `<testsuites errors="1" failures="0" skipped="0" tests="0">
  <testsuite description="Tests for verifying something" name="TestSuite" file="suite_test.yaml" errors="1" failures="0" skipped="0" tests="0">
    <error type="RESULT_ERRORED">Failed to load the test suite: invalid test &#34;John and his leave request&#34;: principal &#34;john&#34; not found</error>
    <properties></properties>
  </testsuite>
</testsuites>
`,
  );
});

test("skips, output failures and multi-line errors", () => {
  assert.ok(
    formatJUnit(golden("case_029"), false).includes(
      '      <skipped message="This test was skipped"></skipped>\n',
    ),
  );
  const outputs = formatJUnit(golden("case_011"), false);
  assert.ok(
    outputs.includes(
      "            <actual><![CDATA[Failed to evaluate output expression: division by zero]]></actual>\n",
    ),
  );
  assert.ok(
    formatJUnit(golden("case_014"), false).includes(
      "failed to load test suite:&#xA;20:24 tests[0]",
    ),
  );
});
