import { test } from "node:test";
import assert from "node:assert/strict";
import { renderList, renderTree } from "./tree-text.ts";

const items = [
  { level: 0, text: "suite A" },
  { level: 1, text: "test 1" },
  { level: 2, text: "alice" },
  { level: 1, text: "test 2" },
  { level: 0, text: "suite B" },
];

test("tree layout matches cerbos compile's", () => {
  assert.deepEqual(renderTree(items), [
    "├─┬suite A",
    "│ ├─┬test 1",
    "│ │ └──alice",
    "│ └──test 2",
    "└──suite B",
  ]);
});

test("list layout indents two spaces per level", () => {
  assert.deepEqual(renderList(items), ["suite A", "  test 1", "    alice", "  test 2", "suite B"]);
});
