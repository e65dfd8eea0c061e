// End to end: `gatehouse compile` against the real `cerbos compile` (0.55) on the same policy
// repositories: testdata/store, and testdata/store plus Cerbos's verify cases (their suites and
// fixtures). Exit codes and summary lines must be identical, and so must each suite's results.
// The verify cases share one repository (each case in its own folder, so its `testdata/`
// fixtures stay its own): one process per tool instead of one per case keeps this fast.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { repoRoot, testdata } from "../support/reference.ts";
import { parseTxtar } from "../support/txtar-archive.ts";

const cerbos = join(repoRoot, "node_modules/@cerbos/cerbos-linux-x64/cerbos-linux-x64");
const node = join(repoRoot, "node_modules/.bin/node");
const gatehouse = join(repoRoot, "bin/gatehouse.js");

/** Verify cases where gatehouse deliberately differs from the cerbos binary, and why. */
const divergent: Readonly<Record<string, string>> = {};

/** Cases that need a repository of their own (they add a broken policy). */
const standalone = new Set(["case_037"]);

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function exec(cmd: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const both = (args: readonly string[]): Promise<[Run, Run]> =>
  Promise.all([exec(cerbos, ["compile", ...args]), exec(node, [gatehouse, "compile", ...args])]);

const summaryOf = (out: string): string | undefined =>
  out
    .split("\n")
    .filter((l) => /^\d+ tests executed/u.test(l))
    .at(-1);

function assertSame(want: Run, have: Run): void {
  const context = `\n--- cerbos (${want.code}):\n${want.stdout}${want.stderr}\n--- gatehouse (${have.code}):\n${have.stdout}${have.stderr}`;
  assert.equal(have.code, want.code, `exit codes differ${context}`);
  assert.equal(summaryOf(have.stdout), summaryOf(want.stdout), `summary lines differ${context}`);
}

/** The store's policies (not its tests), in a fresh directory. */
function storeCopy(root: string): string {
  const dir = mkdtempSync(join(root, "repo-"));
  cpSync(testdata("store"), dir, {
    recursive: true,
    filter: (src) => !/_test\.(ya?ml|json)$/u.test(src) && !/[/\\]testdata$/u.test(src),
  });
  return dir;
}

function addCase(repo: string, folder: string, input: string): void {
  for (const [file, text] of parseTxtar(readFileSync(input, "utf8"))) {
    const target = join(repo, folder, file);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
  }
}

interface SuiteJson {
  readonly file: string;
  readonly summary: unknown;
  readonly error?: string;
  readonly testCases?: unknown;
}

const table = `name: X
principals:
  a: {id: a, roles: [user]}
resources:
  r: {id: r, kind: doc}
tests:
  - name: t
    input:
      principals: [a]
      resources: [r]
      actions: [view]
    expected:
      - principal: a
        resource: r
        actions:
          view: EFFECT_ALLOW
`;
const withNow = (now: string): string => `${table}options:\n  now: "${now}"\n`;
const minimal = `name: X
tests:
  - name: t
    input: {principals: [a], resources: [r], actions: [view]}
    expected: [{principal: a, resource: r, actions: {view: EFFECT_ALLOW}}]
`;

/** Folder -> files: test suites and fixtures with one problem each (checked by hand too). */
const brokenSuites: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  emptyName: { "s_test.yaml": table.replace("name: X", 'name: ""') },
  dupActions: { "s_test.yaml": table.replace("actions: [view]", "actions: [view, view]") },
  scalarForList: { "s_test.yaml": table.replace("actions: [view]", "actions: view") },
  principalAndPrincipals: {
    "s_test.yaml": table.replace(
      "      - principal: a\n",
      "      - principal: a\n        principals: [a]\n",
    ),
  },
  effectNumber: { "s_test.yaml": table.replace("view: EFFECT_ALLOW", "view: 7") },
  effectNull: { "s_test.yaml": table.replace("view: EFFECT_ALLOW", "view: null") },
  emptyActionKey: { "s_test.yaml": table.replace("view: EFFECT_ALLOW", '"": EFFECT_ALLOW') },
  dateOnly: { "s_test.yaml": withNow("2022-01-01") },
  badMonth: { "s_test.yaml": withNow("2022-13-01T00:00:00Z") },
  badDay: { "s_test.yaml": withNow("2022-02-30T00:00:00Z") },
  extraText: { "s_test.yaml": withNow("2022-01-01T00:00:00Zjunk") },
  badScope: { "s_test.yaml": table.replace("roles: [user]}", 'roles: [user], scope: "a..b"}') },
  badVersion: { "s_test.yaml": table.replace("kind: doc}", 'kind: doc, policyVersion: "1.0"}') },
  jwtAndJwts: {
    "s_test.yaml": `${table}auxData:\n  j:\n    jwt: {a: 1}\n    jwts: {x: {claims: {}}}\n`,
  },
  emptyOutputs: {
    "s_test.yaml": table.replace(
      "          view: EFFECT_ALLOW",
      "          view: EFFECT_ALLOW\n        outputs:\n          - action: view\n            expected: []",
    ),
  },
  unknownField: { "s_test.yaml": table.replace("name: X", "name: X\nbogus: 1") },
  duplicateKey: { "s_test.yaml": `${table}name: Y\n` },
  emptyListItem: { "s_test.yaml": table.replace("tests:", "tests:\n  -") },
  emptyInput: { "s_test.yaml": "name: X\ntests:\n  - name: t\n    input:\n" },
  twoDocuments: { "s_test.yaml": `${table}---\nname: Y\n` },
  notYaml: { "s_test.yaml": "- a\n- b\n" },
  groupMissingMember: { "s_test.yaml": `${table}principalGroups:\n  g: {principals: [a, zz]}\n` },
  fixtureUnknownField: {
    "s_test.yaml": minimal,
    "testdata/principals.yaml": "principals:\n  a: {id: a, roles: [user], bad: 1}\n",
  },
  fixtureMissingKind: {
    "s_test.yaml": minimal,
    "testdata/principals.yaml": "principals:\n  a: {id: a, roles: [user]}\n",
    "testdata/resources.yaml": "resources:\n  john_leave_request: {id: r}\n",
  },
  yamlSyntax: { "s_test.yaml": "name: X\ntests: [\n" },
  quotedThenText: { "s_test.yaml": 'name: "a" b\ntests: []\n' },
  literalForBool: { "s_test.yaml": `${table}skip: |\n  yes\n` },
  unknownAnchor: { "s_test.yaml": table.replace("tests:", "tests: *nope\nx:") },
  infiniteAttr: {
    "s_test.yaml": table.replace("roles: [user]}", "roles: [user], attr: {x: .inf}}"),
  },
  auxDataSnakeCase: {
    "s_test.yaml": table.replace("actions: [view]", "actions: [view]\n      auxData: j"),
    "testdata/aux_data.yaml": "auxData:\n  j:\n    jwt: {sub: x}\n",
  },
  fixtureGroup: {
    "s_test.yaml": minimal,
    "testdata/principals.json":
      '{"principals": {"a": {"id": "a", "roles": ["user"]}}, "principalGroups": {"g": {"principals": ["a", "zz"]}}}',
  },
};

// The cerbos npm package ships a linux-x64 binary only.
const skip = existsSync(cerbos) ? false : "cerbos binary not installed (linux-x64 only)";
const casesDir = testdata("verify", "cases");
const caseNames = readdirSync(casesDir)
  .filter((f) => f.endsWith(".yaml.input"))
  .map((f) => f.slice(0, -".yaml.input".length))
  .sort();

describe("gatehouse compile vs cerbos compile", { skip, concurrency: 2 }, () => {
  const root = mkdtempSync(join(tmpdir(), "gatehouse-e2e-"));
  after(() => rmSync(root, { recursive: true, force: true }));

  it("testdata/store", async () => assertSame(...(await both(["--no-color", testdata("store")]))));
  it("testdata/store, list output, --test-filter", async () =>
    assertSame(...(await both(["-o", "list", "--test-filter=principal=john", testdata("store")]))));
  it("testdata/store, identical json results", async () => {
    const [want, have] = await both(["-o", "json", testdata("store")]);
    assertSame(want, have);
    assert.deepEqual(JSON.parse(have.stdout), JSON.parse(want.stdout));
  });
  it("testdata/store, --skip-tests", async () =>
    assertSame(...(await both(["--skip-tests", testdata("store")]))));

  for (const name of standalone) {
    it(`verify ${name} (own repository)`, async () => {
      const repo = storeCopy(root);
      addCase(repo, ".", join(casesDir, `${name}.yaml.input`));
      assertSame(...(await both(["--no-color", repo])));
    });
  }

  describe("verify cases, one repository", () => {
    let tree: [Run, Run];
    let json: [Run, Run];
    const compared = caseNames.filter((n) => !standalone.has(n) && !divergent[n]);
    before(async () => {
      const repo = storeCopy(root);
      for (const name of compared) addCase(repo, name, join(casesDir, `${name}.yaml.input`));
      [tree, json] = await Promise.all([both(["--no-color", repo]), both(["-o", "json", repo])]);
    });

    it("exit code and summary line", () => assertSame(...tree));
    it("json exit code", () => assert.equal(json[1].code, json[0].code));

    const suitesOf = (run: Run, folder: string): SuiteJson[] => {
      const parsed = JSON.parse(run.stdout) as { suites?: SuiteJson[] };
      return (parsed.suites ?? []).filter((s) => s.file.startsWith(`${folder}/`));
    };
    for (const name of caseNames.filter((n) => !standalone.has(n))) {
      const reason = divergent[name];
      it(`verify ${name}`, reason ? { skip: reason } : {}, () => {
        // Go's protojson may print NBSP for spaces; compare the JSON values, not the text.
        const want = suitesOf(json[0], name);
        const have = suitesOf(json[1], name);
        assert.ok(want.length > 0, `cerbos ran no suite of ${name}`);
        assert.deepEqual(have, want);
      });
    }
  });

  it("broken test suites and fixtures are reported in cerbos's words", async () => {
    const repo = mkdtempSync(join(root, "broken-"));
    for (const [folder, files] of Object.entries(brokenSuites)) {
      for (const [file, text] of Object.entries(files)) {
        mkdirSync(dirname(join(repo, folder, file)), { recursive: true });
        writeFileSync(join(repo, folder, file), text);
      }
    }
    const [want, have] = await both(["-o", "json", repo]);
    assert.equal(have.code, want.code);
    const errors = (run: Run): Record<string, string | undefined> =>
      Object.fromEntries(
        (JSON.parse(run.stdout) as { suites: SuiteJson[] }).suites.map((s) => [s.file, s.error]),
      );
    assert.deepEqual(errors(have), errors(want));
  });

  it("load failures and misplaced _schemas are printed like cerbos", async () => {
    const repo = mkdtempSync(join(root, "load-"));
    const policy = (body: string): string =>
      `apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  version: default\n${body}`;
    const files: Record<string, string> = {
      "0corrupt.yaml": "hello world\n",
      "a/_schemas/x.json": "{}",
      "m/invalid.yaml": policy('  resource: ""\n'),
      "p/dup.yaml": policy(
        "  resource: d\n  rules:\n    - {name: a, actions: [v], effect: EFFECT_ALLOW, roles: [u]}\n    - {name: a, actions: [w], effect: EFFECT_ALLOW, roles: [u]}\n",
      ),
      "p/roleless.yaml": policy(
        "  resource: r\n  rules:\n    - actions: [v]\n      effect: EFFECT_ALLOW\n",
      ),
      "p/two.yaml": `${policy("  resource: t\n")}---\n${policy("  resource: u\n")}`,
    };
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(dirname(join(repo, file)), { recursive: true });
      writeFileSync(join(repo, file), text);
    }
    for (const output of ["tree", "json"]) {
      const [want, have] = await both(["--no-color", "-o", output, repo]);
      assert.equal(have.code, want.code);
      assert.equal(have.stdout, want.stdout);
    }
  });

  it("--ignore-schemas also skips the check that schemas exist", async () => {
    const repo = mkdtempSync(join(root, "schemas-"));
    writeFileSync(
      join(repo, "p.yaml"),
      "apiVersion: api.cerbos.dev/v1\nresourcePolicy:\n  resource: doc\n  version: default\n  schemas:\n    principalSchema:\n      ref: cerbos:///missing.json\n",
    );
    const [want, have] = await both(["--no-color", "--ignore-schemas", repo]);
    assertSame(want, have);
    assert.equal(have.stdout, want.stdout);
  });

  it("usage errors exit like cerbos (kong exits 80)", async () => {
    const [want, have] = await both(["--bogus", testdata("store")]);
    assert.equal(have.code, want.code);
    assert.match(have.stderr, /unknown flag --bogus/u);
  });

  it("an invalid --test-filter exits 1 like cerbos", async () => {
    const [want, have] = await both(["--test-filter=foo=bar", testdata("store")]);
    assert.equal(have.code, want.code);
    assert.match(have.stderr, /invalid test filter: unknown filter dimension "foo"/u);
  });
});
