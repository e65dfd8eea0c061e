// sets extension: every case was run through `cerbos repl` (Cerbos 0.55) and the table records what
// it answered ({ value }, an evaluation { error }, or { rejected } at compile time).

import { celCases } from "../../../../test/support/cel-cases.ts";

celCases("sets extension", [
  ["sets.contains([], [])", { value: true }],
  ["sets.contains([1], [])", { value: true }],
  ["sets.equivalent([1, 1, 2], [2.0, 1u])", { value: true }],
  ["sets.intersects([], [1])", { value: false }],
  ["sets.intersects([1, [2]], [[2.0]])", { value: true }],
  ["sets.contains(dyn([1, 2]), dyn([1.0]))", { value: true }],
  ['sets.contains(["a", "b"], ["b"])', { value: true }],
  ["sets.equivalent([1], [1, 2])", { value: false }],
  ['sets.intersects(["a"], ["b", "a"])', { value: true }],
]);
