// hierarchy: every case was run through `cerbos repl` (Cerbos 0.55) and the table records what
// it answered ({ value }, an evaluation { error }, or { rejected } at compile time).

import { celCases } from "../../../../test/support/cel-cases.ts";

celCases("hierarchy", [
  ['hierarchy("a.b")[1]', { value: "b" }],
  ['hierarchy("a.b")[0] == "a"', { value: true }],
  ['dyn(hierarchy("a.b"))[1]', { value: "b" }],
  ['hierarchy("a.b")[5]', { error: "index out of range" }],
  ['hierarchy("a.b")[-1]', { error: "index out of range" }],
  ['hierarchy("a.b")[dyn("x")]', { error: "unsupported index type 'string'" }],
  ['hierarchy("a.b")[dyn(1u)]', { error: "unsupported index type 'uint'" }],
  [
    'hierarchy("a.b")[1u]',
    { rejected: "found no matching overload for '_[_]' applied to '(cerbos.lib.hierarchy, uint)'" },
  ],
  [
    'hierarchy("a.b")[?1]',
    { rejected: "found no matching overload for '_[?_]' applied to '(cerbos.lib.hierarchy, int)'" },
  ],
  ['dyn(ip("1.2.3.4"))[1]', { error: "no such key: 1" }],
  ['hierarchy("a.b").size()', { value: 2 }],
  ['hierarchy("") == hierarchy([""])', { value: true }],
  ["hierarchy([]).size()", { value: 0 }],
  [
    "hierarchy([]).commonAncestors(hierarchy([]))",
    { error: "internal error: runtime error: slice bounds out of range [:-1]" },
  ],
  ['hierarchy("a").commonAncestors(hierarchy("a")).size()', { value: 0 }],
  ['hierarchy("a.b.c").commonAncestors(hierarchy("a.b.c")) == hierarchy("a.b")', { value: true }],
  ['hierarchy("a.b.c").commonAncestors(hierarchy("a.b.d.e")) == hierarchy("a.b")', { value: true }],
  ['hierarchy("a.b").siblingOf(hierarchy("a.b"))', { value: true }],
  ['hierarchy("x").siblingOf(hierarchy("y"))', { value: true }],
  ['hierarchy("a.b") == hierarchy("a.b")', { value: true }],
  ['hierarchy("a.b") != hierarchy("a.c")', { value: true }],
  ['hierarchy("a.b").overlaps(hierarchy("a"))', { value: true }],
  ['hierarchy("a.b").ancestorOf(hierarchy("a.b"))', { value: false }],
  ['hierarchy("a..b").size()', { value: 3 }],
  [
    'hierarchy(dyn(["a", 1]))',
    {
      error:
        "failed to convert list to string slice: unsupported type conversion from 'int' to string",
    },
  ],
  ['hierarchy("a", "").size()', { value: 1 }],
  ['hierarchy("abc", "").size()', { value: 3 }],
  ['hierarchy("a:b", ":") == hierarchy(["a", "b"])', { value: true }],
  ['hierarchy("a.b.c").immediateChildOf(hierarchy("a.b"))', { value: true }],
  ['hierarchy("a.b").immediateParentOf(hierarchy("a.b.c.d"))', { value: false }],
  ['hierarchy("a.b.c.d").descendentOf(hierarchy("a.b"))', { value: true }],
]);
