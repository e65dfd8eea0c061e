import { test } from "node:test";
import assert from "node:assert/strict";
import type { CheckOptions, CheckResult, Engine, EngineOptions } from "../engine/index.ts";
import type { CheckInput } from "../engine/types.ts";
import { parseTestFilter } from "./test-filter.ts";
import type { TestFilter } from "./test-filter.ts";
import type { TestResults } from "./test-results.ts";
import { runTestSuites, usedDefaultNowError } from "./verify.ts";
import type { FixtureSource, SourceFile, VerifyConfig } from "./verify.ts";

/** A fake engine: ALLOWs `view` for role `user`, outputs on `view`, reads the clock on `remind`. */
function fakeEngines(
  seen: EngineOptions[] = [],
  calls: CheckInput[][] = [],
): (o: EngineOptions) => Engine {
  return (options) => {
    seen.push(options);
    return {
      check(inputs: readonly CheckInput[], opts?: CheckOptions): CheckResult[] {
        calls.push([...inputs]);
        return inputs.map((input) => {
          const actions: Record<
            string,
            { effect: "EFFECT_ALLOW" | "EFFECT_DENY"; policy: string }
          > = {};
          const outputs = [];
          for (const a of input.actions) {
            let allow = a === "view" && input.principal.roles.includes("user");
            if (a === "remind") allow = (opts?.now?.() ?? 0) > 0;
            if (a === "global") allow = options.globals?.["on"] === true;
            actions[a] = {
              effect: allow ? "EFFECT_ALLOW" : "EFFECT_DENY",
              policy: "resource.doc.vdefault",
            };
            if (a === "view")
              outputs.push({
                src: "resource.doc.vdefault#r1",
                val: { who: input.principal.id },
                action: a,
              });
          }
          return { resourceId: input.resource.id, actions, outputs };
        });
      },
      plan(): never {
        throw new Error("the test runner does not plan");
      },
    };
  };
}

const run = (
  suites: SourceFile[],
  opts: {
    fixtures?: FixtureSource[];
    config?: VerifyConfig;
    seen?: EngineOptions[];
    calls?: CheckInput[][];
  } = {},
): TestResults => {
  const r = runTestSuites({
    suites,
    engines: fakeEngines(opts.seen, opts.calls),
    ...(opts.fixtures ? { fixtures: opts.fixtures } : {}),
    ...(opts.config ? { config: opts.config } : {}),
  });
  assert.ok(!("error" in r));
  return r;
};

const suite = (body: string, file = "doc_test.yaml"): SourceFile => ({ file, text: body });

const basic = `
name: DocSuite
principals:
  alice: {id: alice, roles: [user]}
  bob: {id: bob, roles: [guest]}
resources:
  doc1: {id: doc1, kind: doc}
tests:
  - name: view docs
    input:
      principals: [alice, bob]
      resources: [doc1]
      actions: [view, edit]
    expected:
      - principal: alice
        resource: doc1
        actions: {view: EFFECT_ALLOW}
`;

test("a passing suite: omitted expectations mean EFFECT_DENY", () => {
  const r = run([suite(basic)]);
  assert.deepEqual(r.summary, {
    overallResult: "RESULT_PASSED",
    testsCount: 4,
    resultCounts: [{ result: "RESULT_PASSED", count: 4 }],
  });
  const s = r.suites[0]!;
  assert.equal(s.file, "doc_test.yaml");
  assert.deepEqual(
    s.testCases?.[0]?.principals.map((p) => p.name),
    ["alice", "bob"],
  );
  const aliceView = s.testCases?.[0]?.principals[0]?.resources[0]?.actions[0];
  assert.deepEqual(aliceView, {
    name: "view",
    details: {
      result: "RESULT_PASSED",
      success: {
        effect: "EFFECT_ALLOW",
        outputs: [{ src: "resource.doc.vdefault#r1", val: { who: "alice" }, action: "view" }],
      },
    },
  });
});

test("a wrong effect fails with expected and actual", () => {
  const r = run([suite(basic.replace("{view: EFFECT_ALLOW}", "{view: EFFECT_DENY}"))]);
  assert.equal(r.summary.overallResult, "RESULT_FAILED");
  assert.deepEqual(r.summary.resultCounts, [
    { result: "RESULT_PASSED", count: 3 },
    { result: "RESULT_FAILED", count: 1 },
  ]);
  const d = r.suites[0]!.testCases![0]!.principals[0]!.resources[0]!.actions[0]!.details;
  assert.deepEqual(d, {
    result: "RESULT_FAILED",
    failure: { expected: "EFFECT_DENY", actual: "EFFECT_ALLOW" },
  });
});

test("output expectations: mismatched and missing values fail", () => {
  const text = basic.replace(
    "        actions: {view: EFFECT_ALLOW}",
    `        actions: {view: EFFECT_ALLOW}
        outputs:
          - action: view
            expected:
              - {src: "resource.doc.vdefault#r1", val: {who: bob}}
              - {src: "resource.doc.vdefault#nope", val: 1}`,
  );
  const r = run([suite(text)]);
  const d = r.suites[0]!.testCases![0]!.principals[0]!.resources[0]!.actions[0]!.details;
  assert.deepEqual(d.failure?.outputs, [
    { src: "resource.doc.vdefault#nope", missing: { expected: 1 } },
    {
      src: "resource.doc.vdefault#r1",
      mismatched: { expected: { who: "bob" }, actual: { who: "alice" } },
    },
  ]);
});

test("shared fixtures come from the sibling testdata directory", () => {
  const text = `
name: S
tests:
  - name: t
    input: {principals: [alice], resources: [doc1], actions: [view]}
    expected: [{principal: alice, resource: doc1, actions: {view: EFFECT_ALLOW}}]
`;
  const fixtures: FixtureSource[] = [
    {
      dir: "a/testdata",
      principals: {
        file: "a/testdata/principals.yaml",
        text: "principals:\n  alice: {id: alice, roles: [user]}\n",
      },
      resources: {
        file: "a/testdata/resources.yaml",
        text: "resources:\n  doc1: {id: doc1, kind: doc}\n",
      },
    },
  ];
  assert.equal(
    run([suite(text, "a/x_test.yaml")], { fixtures }).summary.overallResult,
    "RESULT_PASSED",
  );
  const elsewhere = run([suite(text, "b/x_test.yaml")], { fixtures }).suites[0]!;
  assert.equal(
    elsewhere.error,
    'Failed to load the test suite: invalid test "t": principal "alice" not found',
  );
});

test("broken fixtures fail every suite beside them, with Cerbos's message", () => {
  const fixtures: FixtureSource[] = [
    {
      dir: "testdata",
      principals: { file: "testdata/principals.yaml", text: "principals:\n  a:\n    idd: x\n" },
    },
  ];
  const s = run([suite(basic)], { fixtures }).suites[0]!;
  assert.equal(
    s.error,
    'failed to load test fixtures from testdata: failed to load principals:\n3:5 unknown field "idd"',
  );
  assert.deepEqual(s.summary, { overallResult: "RESULT_ERRORED" });
});

test("suite-level errors: bad document, duplicate test names, unknown auxData", () => {
  const bad = run([suite("name: [")]).suites[0]!;
  assert.equal(bad.name, "Unknown");
  assert.equal(
    bad.error,
    // Cerbos 0.55 reports the YAML syntax error itself (checked with `cerbos compile`).
    "failed to load test suite:\n1:7 sequence end token ']' not found",
  );

  const dup = run([suite(basic + basic.slice(basic.indexOf("  - name: view docs")))]).suites[0]!;
  assert.equal(dup.error, "Invalid test suite: another test named view docs already exists");

  const aux = run([
    suite(basic.replace("actions: [view, edit]", "actions: [view, edit]\n      auxData: jwt1")),
  ]).suites[0]!;
  assert.equal(
    aux.error,
    'Failed to load the test suite: invalid test "view docs": auxData "jwt1" not found',
  );
});

test("expectation problems are reported like Cerbos", () => {
  const extra = run([
    suite(basic.replace("{view: EFFECT_ALLOW}", "{view: EFFECT_ALLOW, delete: EFFECT_DENY}")),
  ]);
  assert.equal(
    extra.suites[0]!.error,
    'Failed to load the test suite: invalid test "view docs": found expectations for actions that do not exist in the input actions list: [delete]',
  );
  const stranger = run([
    suite(basic.replace("      - principal: alice", "      - principal: carol")),
  ]);
  assert.equal(
    stranger.suites[0]!.error,
    'Failed to load the test suite: invalid test "view docs": found an expectation for principal "carol" and resource "doc1", but at least one of these is not present in input',
  );
});

test("skipped suites and tests", () => {
  // `skip: true` here is suite data under test (Cerbos's suite-level skip), not a skipped test.
  const s = run([suite(`skip: true\nskipReason: later\n${basic}`)]);
  assert.deepEqual(s.suites[0], {
    file: "doc_test.yaml",
    name: "DocSuite",
    summary: { overallResult: "RESULT_SKIPPED" },
    skipReason: "later",
  });
  const t = run([
    suite(basic.replace("    input:", "    skip: true\n    skipReason: flaky\n    input:")),
  ]);
  assert.deepEqual(t.summary.resultCounts, [{ result: "RESULT_SKIPPED", count: 4 }]);
  assert.equal(
    t.suites[0]!.testCases![0]!.principals[0]!.resources[0]!.actions[0]!.details.skipReason,
    "flaky",
  );
});

test("groups expand into principals and resources", () => {
  const text = `
name: G
principals:
  alice: {id: alice, roles: [user]}
  bob: {id: bob, roles: [user]}
principalGroups:
  everyone: {principals: [alice, bob]}
resources:
  doc1: {id: doc1, kind: doc}
tests:
  - name: t
    input: {principalGroups: [everyone], resources: [doc1], actions: [view]}
    expected: [{principalGroups: [everyone], resources: [doc1], actions: {view: EFFECT_ALLOW}}]
`;
  const r = run([suite(text)]);
  assert.deepEqual(r.summary.resultCounts, [{ result: "RESULT_PASSED", count: 2 }]);
  const missing = run([suite(text.replace("[alice, bob]", "[alice, carol]"))]).suites[0]!;
  assert.equal(
    missing.error,
    'Invalid principal groups in test suite: missing fixture "carol" referenced in group "everyone"',
  );
});

test("test options become engine options; table options replace suite options", () => {
  const seen: EngineOptions[] = [];
  const text = `
name: O
options:
  globals: {on: true}
  defaultScope: acme
principals: {alice: {id: alice, roles: [user]}}
resources: {doc1: {id: doc1, kind: doc}}
tests:
  - name: with suite options
    input: {principals: [alice], resources: [doc1], actions: [global]}
    expected: [{principal: alice, resource: doc1, actions: {global: EFFECT_ALLOW}}]
  - name: with own options
    options: {lenientScopeSearch: true, strictEvaluation: true, defaultPolicyVersion: v2}
    input: {principals: [alice], resources: [doc1], actions: [global]}
    expected: [{principal: alice, resource: doc1, actions: {global: EFFECT_DENY}}]
`;
  assert.equal(run([suite(text)], { seen }).summary.overallResult, "RESULT_PASSED");
  assert.deepEqual(seen, [
    { globals: { on: true }, defaultScope: "acme" },
    { lenientScopeSearch: true, defaultPolicyVersion: "v2", strictEvaluation: true },
  ]);
});

test("a condition reading the clock without options.now errors the test", () => {
  const text = `
name: T
principals: {alice: {id: alice, roles: [user]}}
resources: {doc1: {id: doc1, kind: doc}}
tests:
  - name: t
    input: {principals: [alice], resources: [doc1], actions: [remind]}
    expected: [{principal: alice, resource: doc1, actions: {remind: EFFECT_ALLOW}}]
`;
  const without = run([suite(text)]);
  assert.deepEqual(
    without.suites[0]!.testCases![0]!.principals[0]!.resources[0]!.actions[0]!.details,
    {
      result: "RESULT_ERRORED",
      error: usedDefaultNowError,
    },
  );
  const withNow = run([suite(`options: {now: "2022-08-02T15:00:00Z"}\n${text}`)]);
  assert.equal(withNow.summary.overallResult, "RESULT_PASSED");
});

test("--test-filter skips are listed but not counted", () => {
  const filter = (spec: string): TestFilter => {
    const f = parseTestFilter(spec);
    assert.ok("filter" in f);
    return f.filter;
  };
  const byPrincipal = run([suite(basic)], { config: { filter: filter("principal=al*") } });
  assert.deepEqual(byPrincipal.summary, {
    overallResult: "RESULT_PASSED",
    testsCount: 2,
    resultCounts: [{ result: "RESULT_PASSED", count: 2 }],
  });
  const bob = byPrincipal.suites[0]!.testCases![0]!.principals[1]!;
  assert.deepEqual(bob.resources[0]!.actions[0]!.details, {
    result: "RESULT_SKIPPED",
    skipReason: "Principal did not match the test filter",
  });
  const noSuite = run([suite(basic)], { config: { filter: filter("suite=Other") } });
  assert.deepEqual(noSuite.summary, { overallResult: "RESULT_SKIPPED" });

  const calls: CheckInput[][] = [];
  const byAction = run([suite(basic)], { config: { filter: filter("action=view") }, calls });
  assert.equal(byAction.summary.testsCount, 2);
  assert.deepEqual(
    calls.map((c) => c[0]?.actions),
    [["view"], ["view"]],
  );
});

test("skipBatching checks one action at a time", () => {
  const calls: CheckInput[][] = [];
  run([suite(basic)], { config: { skipBatching: true }, calls });
  assert.equal(calls.length, 4);
});

test("suites are sorted by file and the run's summary adds them up", () => {
  const r = run([suite(basic, "z_test.yaml"), suite("name: [", "a_test.yaml")]);
  assert.deepEqual(
    r.suites.map((s) => s.file),
    ["a_test.yaml", "z_test.yaml"],
  );
  assert.deepEqual(r.summary, {
    overallResult: "RESULT_ERRORED",
    testsCount: 4,
    resultCounts: [{ result: "RESULT_PASSED", count: 4 }],
  });
});

test("an invalid test name regexp is an error value", () => {
  const r = runTestSuites({
    suites: [],
    engines: fakeEngines(),
    config: { includedTestNamesRegexp: "(" },
  });
  assert.ok("error" in r && r.error.startsWith("invalid run specification"));
});
