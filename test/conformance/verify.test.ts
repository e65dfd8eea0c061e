// Conformance: Cerbos's policy test runner cases (testdata/verify/cases). Each case is a txtar
// archive of test suites and fixtures, written to a temporary folder and read back with the disk
// store (as Cerbos's test reads it with os.DirFS), then run against the policies of
// testdata/store; the results must equal the case's .golden TestResults. Relaxations are listed
// in `relaxed` with reasons.

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { parse } from "yaml";
import { compilePolicySet, createEngine } from "../../src/authz/index.ts";
import { runTestSuites } from "../../src/authz/verify/index.ts";
import type { TestResults } from "../../src/authz/verify/index.ts";
import { readPolicyRepository } from "../../src/store/disk/index.ts";
import { testdata } from "../support/reference.ts";
import { parseTxtar } from "../support/txtar-archive.ts";

/** Cases whose golden file Gatehouse does not reproduce exactly, and why. */
const relaxed: Readonly<Record<string, string>> = {};

interface VerifyCase {
  readonly description?: string;
  readonly wantErr?: boolean;
  readonly config?: {
    readonly excludedResourcePolicyFqns?: string[];
    readonly excludedPrincipalPolicyFqns?: string[];
    readonly includedTestNamesRegexp?: string;
  };
}

/** Go's comparison in Cerbos's test treats NBSP and space alike; suites are compared by file. */
function canonical(results: unknown): unknown {
  const r = JSON.parse(
    JSON.stringify(results).replaceAll("\\u00a0", " ").replaceAll("\u00a0", " "),
  ) as TestResults;
  r.suites?.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return r;
}

const store = await readPolicyRepository(testdata("store"));

const casesDir = testdata("verify", "cases");
const caseNames = readdirSync(casesDir)
  .filter((f) => /^case_\d+\.yaml$/u.test(f))
  .sort();

describe("verify conformance (testdata/verify/cases)", () => {
  const { policySet, diagnostics } = compilePolicySet(store);
  const root = mkdtempSync(join(tmpdir(), "gatehouse-verify-"));
  after(() => rmSync(root, { recursive: true, force: true }));

  it("testdata/store compiles", () => {
    assert.deepEqual(diagnostics, []);
    assert.ok(policySet);
  });

  for (const name of caseNames) {
    const tc = (parse(readFileSync(join(casesDir, name), "utf8")) ?? {}) as VerifyCase;
    const reason = relaxed[name];
    it(`${name}: ${tc.description ?? ""}`, reason ? { skip: reason } : {}, async () => {
      assert.ok(policySet, "testdata/store did not compile");
      const dir = join(root, name);
      for (const [file, text] of parseTxtar(
        readFileSync(join(casesDir, `${name}.input`), "utf8"),
      )) {
        mkdirSync(dirname(join(dir, file)), { recursive: true });
        writeFileSync(join(dir, file), text);
      }
      const cases = await readPolicyRepository(dir);
      const results = runTestSuites({
        suites: cases.testSuites,
        fixtures: cases.testFixtures,
        engines: (options) => createEngine(policySet, options),
        config: {
          ...(tc.config?.excludedResourcePolicyFqns
            ? { excludedResourcePolicyFqns: tc.config.excludedResourcePolicyFqns }
            : {}),
          ...(tc.config?.excludedPrincipalPolicyFqns
            ? { excludedPrincipalPolicyFqns: tc.config.excludedPrincipalPolicyFqns }
            : {}),
          ...(tc.config?.includedTestNamesRegexp
            ? { includedTestNamesRegexp: tc.config.includedTestNamesRegexp }
            : {}),
        },
      });
      if (tc.wantErr) {
        assert.ok("error" in results, "expected the run to fail");
        return;
      }
      assert.ok(!("error" in results), "error" in results ? results.error : "");
      const golden: unknown = JSON.parse(readFileSync(join(casesDir, `${name}.golden`), "utf8"));
      assert.deepEqual(canonical(results), canonical(golden));
    });
  }
});
