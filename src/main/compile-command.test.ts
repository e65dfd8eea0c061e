// `gatehouse compile` in-process on small repositories written to a temporary directory:
// exit codes, summary lines and the output formats. (test/e2e compares with the cerbos binary.)
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { memoryIo } from "./cli-io.ts";
import { runCli } from "./cli.ts";

const policy = `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: doc
  version: default
  rules:
    - actions: [view]
      roles: [user]
      effect: EFFECT_ALLOW
`;

const suite = (viewEffect: string): string => `name: DocSuite
principals:
  alice: {id: alice, roles: [user]}
resources:
  doc1: {id: doc1, kind: doc}
tests:
  - name: alice views
    input: {principals: [alice], resources: [doc1], actions: [view, edit]}
    expected: [{principal: alice, resource: doc1, actions: {view: ${viewEffect}}}]
`;

describe("gatehouse compile", () => {
  const root = mkdtempSync(join(tmpdir(), "gatehouse-compile-"));
  after(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  const repo = (files: Record<string, string>): string => {
    const dir = join(root, String(n++));
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    }
    return dir;
  };
  const run = async (
    ...args: string[]
  ): Promise<{ code: number; stdout: string; stderr: string }> => {
    const io = memoryIo();
    const code = await runCli(["compile", "--no-color", ...args], io);
    return { code, stdout: io.stdout, stderr: io.stderr };
  };

  it("passing tests exit 0 with Cerbos's summary line", async () => {
    const r = await run(repo({ "doc.yaml": policy, "doc_test.yaml": suite("EFFECT_ALLOW") }));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(
      r.stdout,
      "Test results\n└──DocSuite (doc_test.yaml) [2 OK]\n\n2 tests executed [2 OK]\n",
    );
  });

  it("failing tests exit 4", async () => {
    const r = await run(repo({ "doc.yaml": policy, "doc_test.yaml": suite("EFFECT_DENY") }));
    assert.equal(r.code, 4);
    assert.ok(r.stdout.endsWith("\n2 tests executed [1 OK] [1 FAILED]\n"), r.stdout);
    assert.equal(r.stderr, "gatehouse: error: tests failed\n");
  });

  it("compile errors exit 3 before any test runs", async () => {
    const broken = policy.replace("roles: [user]", "derivedRoles: [nope]");
    const r = await run(repo({ "doc.yaml": broken, "doc_test.yaml": suite("EFFECT_ALLOW") }));
    assert.equal(r.code, 3);
    assert.ok(!r.stdout.includes("tests executed"));
    assert.equal(r.stderr, "gatehouse: error: failed to compile\n");
    const json = await run("-o", "json", repo({ "doc.yaml": broken }));
    assert.ok(
      Array.isArray(
        (JSON.parse(json.stdout) as { compileErrors: { errors: unknown[] } }).compileErrors.errors,
      ),
    );
  });

  it("--skip-tests, json output, junit output, --tests", async () => {
    const dir = repo({ "doc.yaml": policy, "doc_test.yaml": suite("EFFECT_DENY") });
    assert.deepEqual(await run("--skip-tests", dir), { code: 0, stdout: "", stderr: "" });
    const json = await run("-o", "json", dir);
    assert.equal(
      (JSON.parse(json.stdout) as { summary: { testsCount: number } }).summary.testsCount,
      2,
    );
    const junit = await run("--test-output=junit", dir);
    assert.match(junit.stdout, /^<testsuites errors="0" failures="1" skipped="0" tests="2">/u);
    const tests = repo({ "t/doc_test.yaml": suite("EFFECT_ALLOW") });
    const r = await run(`--tests=${join(tests, "t")}`, repo({ "doc.yaml": policy }));
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it("--ignore-schemas skips the checks that referenced schemas exist", async () => {
    const withSchema = policy.replace(
      "version: default",
      "version: default\n  schemas:\n    principalSchema:\n      ref: cerbos:///missing.json",
    );
    const dir = repo({ "doc.yaml": withSchema });
    const strict = await run("--skip-tests", dir);
    assert.equal(strict.code, 3);
    assert.match(strict.stdout, /schema _schemas\/missing\.json doesn't exist <invalid schema>/u);
    assert.deepEqual(await run("--skip-tests", "--ignore-schemas", dir), {
      code: 0,
      stdout: "",
      stderr: "",
    });
  });

  // Checked with `cerbos compile`: its index rejects the file before compiling it.
  it("a rule that matches no role is a load failure", async () => {
    const roleless = policy.replace("      roles: [user]\n", "");
    const r = await run("-o", "list", repo({ "doc.yaml": roleless }));
    assert.equal(r.code, 3);
    assert.match(
      r.stdout,
      /^Load failures\ndoc\.yaml:\d+:\d+ rule #1 does not specify any roles or derived roles to match\n/u,
    );
  });

  it("a missing directory exits 1", async () => {
    const r = await run(join(root, "nope"));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^gatehouse: error: failed to load policy repository at /u);
  });
});
