import { test } from "node:test";
import assert from "node:assert/strict";
import type { CliIo } from "./cli-io.ts";
import { runCli, version } from "./cli.ts";

function fakeIo(): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    stdoutIsTTY: false,
    env: {},
    out: (t: string) => void (io.stdout += t),
    err: (t: string) => void (io.stderr += t),
    fail: (m: string, code: number) => {
      io.stderr += `gatehouse: error: ${m}\n`;
      return code;
    },
  };
  return io;
}

test("--version prints the package version", async () => {
  const io = fakeIo();
  assert.equal(await runCli(["--version"], io), 0);
  assert.equal(io.stdout, `${version()}\n`);
});

test("--help and compile --help exit 0", async () => {
  const top = fakeIo();
  assert.equal(await runCli(["--help"], top), 0);
  assert.match(top.stdout, /^Usage: gatehouse <command>/u);
  const compile = fakeIo();
  assert.equal(await runCli(["compile", "-h"], compile), 0);
  assert.match(compile.stdout, /--test-filter=TEST-FILTER/u);
});

test("usage errors print usage, the error, and exit 80 like cerbos", async () => {
  const io = fakeIo();
  assert.equal(await runCli(["compile", "--bogus", "dir"], io), 80);
  assert.match(io.stdout, /^Usage: gatehouse compile <dir> \[flags\]/u);
  assert.equal(io.stderr, "gatehouse: error: unknown flag --bogus\n");
  const none = fakeIo();
  assert.equal(await runCli([], none), 80);
  const other = fakeIo();
  assert.equal(await runCli(["serve"], other), 80);
  assert.equal(other.stderr, "gatehouse: error: unexpected argument serve\n");
});
