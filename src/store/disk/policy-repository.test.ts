// The disk store against Cerbos's reference store (testdata/store) and a few layouts built in
// a temporary folder: which files are policies, schemas, test suites and fixtures.

import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { testdata } from "../../../test/support/reference.ts";
import { readPolicyRepository } from "./policy-repository.ts";

test("reads the reference store: hidden paths, testdata and _schemas are not policies", async () => {
  const repo = await readPolicyRepository(testdata("store"));
  const policies = repo.policies.map((p) => p.file);
  assert.ok(policies.includes("resource_policies/policy_01.yaml"));
  assert.ok(policies.includes("derived_roles/common_roles.yaml"));
  for (const f of policies) {
    assert.ok(!f.split("/").some((s) => s.startsWith(".")), `${f} is hidden`);
    assert.ok(!f.includes("testdata/"), `${f} is a fixture`);
    assert.ok(!f.startsWith("_schemas/"), `${f} is a schema`);
    assert.ok(!/_test\.(ya?ml|json)$/u.test(f), `${f} is a test suite`);
  }
  assert.deepEqual(policies, [...policies].sort());
  assert.deepEqual(
    repo.schemas.map((s) => s.ref),
    [
      "cerbos:///principal.json",
      "cerbos:///resources/leave_request.json",
      "cerbos:///resources/purchase_order.json",
      "cerbos:///resources/salary_record.json",
    ],
  );
  assert.deepEqual(
    repo.testSuites.map((s) => s.file),
    [
      "resource_policies/policy_04_test.yaml",
      "tests/policy_04_test.yaml",
      "tests/policy_05_test.yaml",
    ],
  );
  assert.deepEqual(repo.diagnostics, []);
});

async function withTree(
  files: Record<string, string>,
  fn: (root: string) => Promise<void>,
): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "gatehouse-store-"));
  try {
    for (const [name, text] of Object.entries(files)) {
      await mkdir(dirname(join(root, name)), { recursive: true });
      await writeFile(join(root, name), text);
    }
    await fn(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

test("collects fixtures per testdata folder and test suites anywhere", async () => {
  await withTree(
    {
      "a.yaml": "x",
      "b.yml": "x",
      "c.json": "{}",
      "notes.txt": "x",
      "suite_test.yml": "x",
      "testdata/principals.yaml": "p",
      "testdata/resources.json": "r",
      "testdata/auxdata.yml": "a",
      "testdata/other.yaml": "o",
      "sub/testdata/principals.yaml": "p2",
      "sub/x_test.json": "{}",
      ".hidden/d.yaml": "x",
      "sub/.e.yaml": "x",
    },
    async (root) => {
      const repo = await readPolicyRepository(root);
      assert.deepEqual(
        repo.policies.map((p) => p.file),
        ["a.yaml", "b.yml", "c.json"],
      );
      assert.deepEqual(
        repo.testSuites.map((p) => p.file),
        ["sub/x_test.json", "suite_test.yml"],
      );
      const fixtures = Object.fromEntries(repo.testFixtures.map((f) => [f.dir, f]));
      assert.equal(fixtures["testdata"]?.principals?.text, "p");
      assert.equal(fixtures["testdata"]?.resources?.file, "testdata/resources.json");
      assert.equal(fixtures["testdata"]?.auxData?.text, "a");
      assert.equal(fixtures["sub/testdata"]?.principals?.text, "p2");
      assert.equal(fixtures["sub/testdata"]?.resources, undefined);
    },
  );
});

// Checked with `cerbos compile`: base names are case-sensitive, extensions are not; `auxdata`
// beats `auxData`, which beats `aux_data`; among extensions the first file by name wins.
test("fixture file names as Cerbos accepts them", async () => {
  await withTree(
    {
      "a/testdata/aux_data.yaml": "a1",
      "b/testdata/aux_data.yaml": "b3",
      "b/testdata/auxData.yaml": "b2",
      "b/testdata/auxdata.json": "b1",
      "c/testdata/Principals.yaml": "c1",
      "c/testdata/RESOURCES.yaml": "c2",
      "c/testdata/AuxData.yaml": "c3",
      "d/testdata/principals.json": "d1",
      "d/testdata/principals.yaml": "d2",
      "d/testdata/resources.YAML": "d3",
    },
    async (root) => {
      const repo = await readPolicyRepository(root);
      const fixtures = Object.fromEntries(repo.testFixtures.map((f) => [f.dir, f]));
      assert.equal(fixtures["a/testdata"]?.auxData?.text, "a1");
      assert.equal(fixtures["b/testdata"]?.auxData?.text, "b1");
      assert.equal(fixtures["c/testdata"], undefined);
      assert.equal(fixtures["d/testdata"]?.principals?.text, "d1");
      assert.equal(fixtures["d/testdata"]?.resources?.text, "d3");
    },
  );
});

test("a _schemas folder below the root is reported, and its files are neither policies nor schemas", async () => {
  await withTree(
    {
      "policies/_schemas/principal.json": "{}",
      "_schemas/ok.json": "{}",
      "_schemas/skip.yaml": "x",
    },
    async (root) => {
      const repo = await readPolicyRepository(root);
      assert.deepEqual(repo.policies, []);
      assert.deepEqual(
        repo.schemas.map((s) => s.ref),
        ["cerbos:///ok.json"],
      );
      assert.deepEqual(repo.diagnostics, [
        {
          file: "policies/_schemas",
          error: "load failure",
          description: "_schemas directory must be under the root of the storage directory",
        },
      ]);
    },
  );
});

test("a missing root is an I/O error", async () => {
  await assert.rejects(readPolicyRepository(join(tmpdir(), "gatehouse-does-not-exist-4711")));
});
