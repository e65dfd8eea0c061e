import { test } from "node:test";
import assert from "node:assert/strict";
import { memoryIo } from "./cli-io.ts";
import { runCli, version } from "./cli.ts";

test("--version prints the package version", async () => {
  const io = memoryIo();
  assert.equal(await runCli(["--version"], io), 0);
  assert.equal(io.stdout, `${version()}\n`);
});

test("--help and compile --help exit 0", async () => {
  const top = memoryIo();
  assert.equal(await runCli(["--help"], top), 0);
  assert.match(top.stdout, /^Usage: gatehouse <command>/u);
  const compile = memoryIo();
  assert.equal(await runCli(["compile", "-h"], compile), 0);
  assert.match(compile.stdout, /--test-filter=TEST-FILTER/u);
});

test("usage errors print usage, the error, and exit 80 like cerbos", async () => {
  const io = memoryIo();
  assert.equal(await runCli(["compile", "--bogus", "dir"], io), 80);
  assert.match(io.stdout, /^Usage: gatehouse compile <dir> \[flags\]/u);
  assert.equal(io.stderr, "gatehouse: error: unknown flag --bogus\n");
  const none = memoryIo();
  assert.equal(await runCli([], none), 80);
  const other = memoryIo();
  assert.equal(await runCli(["serve"], other), 80);
  assert.equal(other.stderr, "gatehouse: error: unexpected argument serve\n");
});
