import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCompileArgs } from "./compile-args.ts";
import { UsageError } from "./cli-io.ts";

test("defaults mirror cerbos compile", () => {
  assert.deepEqual(parseCompileArgs(["repo"]), {
    dir: "repo",
    ignoreSchemas: false,
    testFilters: [],
    skipTests: false,
    skipBatching: false,
    strictEvaluation: false,
    output: "tree",
    noColor: false,
    verbose: false,
  });
});

test("flags with = or a separate value; -o short form; repeated --test-filter", () => {
  const f = parseCompileArgs([
    "-o",
    "json",
    "--test-filter=principal=a",
    "--test-filter",
    "action=view",
    "--tests=t",
    "--test-output=junit",
    "--color=never",
    "--verbose",
    "--skip-batching",
    "--strict-evaluation",
    "--ignore-schemas",
    "--skip-tests",
    "repo",
  ]);
  assert.ok(f !== "help");
  assert.equal(f.output, "json");
  assert.deepEqual(f.testFilters, ["principal=a", "action=view"]);
  assert.equal(f.tests, "t");
  assert.equal(f.testOutput, "junit");
  assert.equal(f.color, "never");
  assert.ok(f.verbose && f.skipBatching && f.strictEvaluation && f.ignoreSchemas && f.skipTests);
  const short = parseCompileArgs(["-olist", "repo"]);
  assert.ok(short !== "help" && short.output === "list");
});

test("--color alone means always", () => {
  const f = parseCompileArgs(["--color", "repo"]);
  assert.ok(f !== "help");
  assert.equal(f.color, "always");
  assert.equal(f.dir, "repo");
});

test("help and usage errors use Cerbos's words", () => {
  assert.equal(parseCompileArgs(["--help"]), "help");
  const cases: [string[], string][] = [
    [[], 'expected "<dir>"'],
    [["--bogus", "repo"], "unknown flag --bogus"],
    [["-o", "bogus", "repo"], '--output must be one of "tree","list","json" but got "bogus"'],
    [["--color=bad", "repo"], '--color: invalid value for output color level: "bad"'],
    [["a", "b"], "unexpected argument b"],
  ];
  for (const [args, message] of cases) {
    assert.throws(
      () => parseCompileArgs(args),
      (e: unknown) => e instanceof UsageError && e.message === message,
    );
  }
});
