// Expected texts were printed by the real `cerbos compile --no-color` for the same results.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { TestResults } from "../authz/verify/index.ts";
import { testdata } from "../../test/support/reference.ts";
import { createStyle } from "./terminal-style.ts";
import { formatTestResults, singleLineJson } from "./test-report.ts";

const golden = (name: string): TestResults =>
  JSON.parse(
    readFileSync(testdata("verify", "cases", `${name}.yaml.golden`), "utf8"),
  ) as TestResults;
const plain = createStyle(false);

test("failed effects print as cerbos prints them", () => {
  assert.equal(
    formatTestResults(golden("case_008"), "tree", false, plain),
    `Test results
└─┬TestSuite (suite_test.yaml) [3 OK] [2 FAILED]
  ├─┬John and his leave request
  │ └─┬alicia
  │   └─┬john_leave_request
  │     └─┬view:public [FAILED]
  │       └──OUTCOME: expected: EFFECT_DENY, actual: EFFECT_ALLOW
  └─┬Alicia approves John leave request
    └─┬alicia
      └─┬john_leave_request
        └─┬approve [FAILED]
          └──OUTCOME: expected: EFFECT_ALLOW, actual: EFFECT_DENY

5 tests executed [3 OK] [2 FAILED]
`,
  );
});

test("output failures, suite errors, skipped suites", () => {
  const out = formatTestResults(golden("case_011"), "tree", false, plain);
  assert.ok(out.includes("    │     └─┬OUTCOME: output expectation unsatisfied\n"));
  assert.ok(out.includes("    │         └──ACTUAL: ERROR: division by zero\n"));
  assert.ok(out.includes("              └──ACTUAL: MISSING\n"));
  assert.ok(out.endsWith("\n24 tests executed [21 OK] [3 FAILED]\n"));

  assert.equal(
    formatTestResults(golden("case_014"), "tree", false, plain),
    `Test results
├─┬AnotherTestSuite (another_suite_test.yaml) [ERROR]
│ └──Failed to load the test suite: invalid test "John and his leave request": found expectations for actions that do not exist in the input actions list: [reject]
└─┬Unknown (suite_test.yaml) [ERROR]
  └──failed to load test suite:
20:24 tests[0].expected[0].actions["view:public"]: must be one of [EFFECT_ALLOW, EFFECT_DENY]
21:20 tests[0].expected[0].actions["approve"]: must be one of [EFFECT_ALLOW, EFFECT_DENY]

0 tests executed
`,
  );
  assert.equal(
    formatTestResults(golden("case_028"), "tree", false, plain),
    "Test results\n\n0 tests executed\n",
  );
});

test("list layout and json", () => {
  assert.ok(
    formatTestResults(golden("case_008"), "list", false, plain).startsWith(
      "Test results\nTestSuite (suite_test.yaml) [3 OK] [2 FAILED]\n  John and his leave request\n    alicia\n",
    ),
  );
  assert.deepEqual(
    JSON.parse(formatTestResults(golden("case_001"), "json", false, plain)),
    golden("case_001"),
  );
  assert.equal(
    formatTestResults({ suites: [], summary: {} }, "json", false, plain),
    '{\n  "summary": {}\n}\n',
  );
});

test("verbose shows passing actions with their effect", () => {
  const out = formatTestResults(golden("case_001"), "tree", true, plain);
  assert.ok(out.includes("  │     ├─┬view:public [OK]\n  │     │ └──RESULT: EFFECT_ALLOW\n"), out);
});

test("single-line JSON like protojson", () => {
  assert.equal(singleLineJson({ b: [1, "x"], a: { c: true } }), '{"a":{"c":true}, "b":[1, "x"]}');
});

test("verbose adds the engine's explanation of each failed action", () => {
  const results = golden("case_008");
  const action = results.suites[0]!.testCases![0]!.principals[1]!.resources[0]!.actions[0]!;
  action.details = {
    ...action.details,
    explanation: {
      effect: "EFFECT_ALLOW",
      policy: "resource.leave_request.v20210210",
      scope: "",
      principalScopes: [""],
      resourceScopes: [""],
      rules: [
        {
          policyKind: "RESOURCE",
          scope: "",
          role: "employee",
          rule: "resource.leave_request.v20210210#public-view",
          effect: "EFFECT_ALLOW",
          derivedRole: "any_employee",
          matched: true,
        },
        {
          policyKind: "RESOURCE",
          scope: "",
          role: "manager",
          rule: "resource.leave_request.v20210210#rule-007",
          effect: "EFFECT_ALLOW",
          matched: false,
          errors: ["no such key: status"],
        },
      ],
    },
  };
  const out = formatTestResults(results, "tree", true, plain);
  assert.ok(
    out.includes(`

TRACES
TestSuite - alicia.john_leave_request.view:public
  scopes: principal=[""] resource=[""]

  policy=resource.leave_request.v20210210 > action=view:public > scope="" > rule=public-view > role=employee > derivedRole=any_employee
    activated
    effect → allow

  policy=resource.leave_request.v20210210 > action=view:public > scope="" > rule=rule-007 > role=manager
    skipped
    error → no such key: status

  policy=resource.leave_request.v20210210 > action=view:public > scope=""
    activated
    effect → allow

5 tests executed [3 OK] [2 FAILED]
`),
    out,
  );
});
