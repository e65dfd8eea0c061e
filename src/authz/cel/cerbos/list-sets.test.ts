// intersect, except, hasIntersection, isSubset: every case was run through `cerbos repl` (Cerbos 0.55) and the table records what
// it answered ({ value }, an evaluation { error }, or { rejected } at compile time).

import { celCases } from "../../../../test/support/cel-cases.ts";

celCases("intersect, except, hasIntersection, isSubset", [
  ["intersect([1, 2, 3], [2, 3, 4])", { value: [2, 3] }],
  [
    "intersect([1.0], [1, 2, 3, 4])",
    {
      rejected: "found no matching overload for 'intersect' applied to '(list(double), list(int))'",
    },
  ],
  ["intersect(dyn([1.0]), dyn([1, 2, 3]))", { value: [1] }],
  ["intersect(dyn([1.0]), dyn([1, 2, 3, 4]))", { value: [1] }],
  ['intersect(["a", "b", "c", "d", "e"], ["e", "a"])', { value: ["e", "a"] }],
  ["intersect([1, 2], [2, 1])", { value: [1, 2] }],
  ["[1, 2, 3].intersect([3])", { value: [3] }],
  ["except([1, 2, 3], [2])", { value: [1, 3] }],
  ["[1, 2, 3, 4].except([2.0, 3, 4, 5])", { value: [1] }],
  ["dyn([1, 2, 3, 4]).except(dyn([2.0, 3, 4, 5]))", { value: [1] }],
  ["dyn([1, 2]).except(dyn([2.0, 3, 4, 5]))", { value: [1] }],
  ["hasIntersection([1], [2, 1])", { value: true }],
  ["has_intersection([], [])", { value: false }],
  ["isSubset([1], [1, 2])", { value: true }],
  ["[1, 3].isSubset([1, 2])", { value: false }],
  ["is_subset([], [])", { value: true }],
  ["dyn([1.0]).isSubset(dyn([1, 2, 3, 4]))", { value: true }],
  ["dyn([1.0]).isSubset(dyn([1, 2, 3]))", { value: true }],
]);
