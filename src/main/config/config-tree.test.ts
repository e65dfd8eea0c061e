import assert from "node:assert/strict";
import { test } from "node:test";
import type { Diagnostic } from "../../kernel/diagnostic.ts";
import { mergeTrees, plainValue, readConfigText, resolvePlainScalar } from "./config-tree.ts";
import { readSetArgument } from "./set-overrides.ts";

test("plain scalars resolve as go-yaml v2 resolves them", () => {
  const cases: [string, unknown][] = [
    ["", null],
    ["~", null],
    ["null", null],
    ["yes", true],
    ["Off", false],
    ["y", true],
    ["42", 42],
    ["-7", -7],
    ["017", 15],
    ["0o17", 15],
    ["0x1F", 31],
    ["0b101", 5],
    ["1_000", 1000],
    ["1.5e3", 1500],
    [".5", 0.5],
    ["08", 8],
    ["1:30", "1:30"],
    [":3592", ":3592"],
    ["1h", "1h"],
    ["text", "text"],
  ];
  for (const [text, expected] of cases) assert.deepEqual(resolvePlainScalar(text), expected, text);
});

test("quoted scalars stay strings, positions are kept", () => {
  const read = readConfigText("a:\n  b: '42'\n  c: 42\n", "f.yaml", {});
  assert.deepEqual(read.diagnostics, []);
  assert.deepEqual(plainValue(read.root!), { a: { b: "42", c: 42 } });
  const a = read.root!.kind === "map" ? read.root!.entries.get("a")?.value : undefined;
  const c = a?.kind === "map" ? a.entries.get("c") : undefined;
  assert.deepEqual(c?.keyPlace, { file: "f.yaml", line: 3, column: 3 });
  assert.deepEqual(c?.value.place, { file: "f.yaml", line: 3, column: 6 });
});

test("an expanded value is typed only when go-yaml would write it without quotes", () => {
  const env = { N: "42", J: "[1, 2]", Q: "it's" };
  const read = readConfigText(
    "a: ${N}\nb: '${N}'\nc: 'x: ${N}'\nd: ${J}\ne: pre-${Q}\n",
    "f.yaml",
    env,
  );
  assert.deepEqual(plainValue(read.root!), { a: 42, b: 42, c: "x: 42", d: [1, 2], e: "pre-it's" });
});

test("--set pieces are typed as Helm types them and split on commas", () => {
  const diagnostics: Diagnostic[] = [];
  const tree = readSetArgument(
    "a.b=TRUE,a.c=1.5,a.d=0,a.e=007,a.f=-3,a.g=null,a.h=,l[2]=x",
    {},
    diagnostics,
  );
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(plainValue(tree!), {
    a: { b: true, c: "1.5", d: 0, e: "007", f: -3, g: null, h: "" },
    l: [null, null, "x"],
  });
});

test("--set reports bad keys naming the argument", () => {
  const diagnostics: Diagnostic[] = [];
  readSetArgument("a..b=1", {}, diagnostics);
  readSetArgument("=1", {}, diagnostics);
  assert.deepEqual(
    diagnostics.map((d) => d.file),
    ["--set=a..b=1", "--set==1"],
  );
});

test("merging layers maps key by key; anything else replaces, null keeps the base", () => {
  const base = readConfigText("a: {b: 1, c: [1, 2]}\nd: 1\n", "f", {}).root;
  const over = readConfigText("a: {c: [3]}\nd: null\n", "g", {}).root;
  assert.deepEqual(plainValue(mergeTrees(base, over)!), { a: { b: 1, c: [3] }, d: 1 });
});
