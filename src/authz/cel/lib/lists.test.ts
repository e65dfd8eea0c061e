// lists extension: every case was run through `cerbos repl` (Cerbos 0.55) and the table records what
// it answered ({ value }, an evaluation { error }, or { rejected } at compile time).

import { celCases } from "../../../../test/support/cel-cases.ts";

celCases("lists extension", [
  ["[3,1,2].sortBy(x, x).map(y, y * 2)", { value: [2, 4, 6] }],
  ["[1, 2, 3].sortBy(x, x % 2)", { value: [2, 1, 3] }],
  ["dyn([3, 1]).sortBy(x, x)", { value: [1, 3] }],
  ['dyn("x").sortBy(x, x)', { error: "got 'types.String', expected iterable type" }],
  ['[1, "a"].sortBy(x, x)', { error: "list elements must have the same type" }],
  ["[[2], [1]].sortBy(x, x[0])", { value: [[1], [2]] }],
  [
    '{"a": 1}.sortBy(x, x)',
    {
      rejected:
        "sortBy can only be applied to a list, identifier, comprehension, call or select expression",
    },
  ],
  ["[3, 1].sortBy(x.y, x)", { rejected: "argument is not an identifier" }],
  ["[1,2,3].slice(-1, 2)", { error: "cannot slice(-1, 2), negative indexes not supported" }],
  [
    "[1,2,3].slice(2, 1)",
    { error: "cannot slice(2, 1), start index must be less than or equal to end index" },
  ],
  ["[1,2,3].slice(1, 4)", { error: "cannot slice(1, 4), list is length 3" }],
  ["[1,2,3].slice(3, 3)", { value: [] }],
  ["[1,[2,[3,[4]]]].flatten(2)", { value: [1, 2, 3, [4]] }],
  ["[1,[2,[3,[4]]]].flatten(0)", { value: [1, [2, [3, [4]]]] }],
  ["[1,[2]].flatten(-1)", { error: "level must be non-negative" }],
  ["[].flatten()", { value: [] }],
  ["[1,[2,[3,4]]].flatten()", { value: [1, 2, [3, 4]] }],
  ["dyn([1,[2]]).flatten()", { value: [1, 2] }],
  ['[1, "a"].sort()', { error: "list elements must have the same type" }],
  ["[1, 1.0].sort()", { error: "list elements must have the same type" }],
  ["[].sort()", { value: [] }],
  ["[3, 1, 2].sort()", { value: [1, 2, 3] }],
  ['["b", "a", "C"].sort()', { value: ["C", "a", "b"] }],
  ["[2.5, -1.0].sort()", { value: [-1, 2.5] }],
  ["[true, false].sort()", { value: [false, true] }],
  [
    '[timestamp("2021-01-01T00:00:00Z"), timestamp("2020-01-01T00:00:00Z")].sort()',
    { value: ["2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z"] },
  ],
  ['dyn([{"a": 1}]).sort()', { error: "list elements must be comparable" }],
  ["[1.0, 1].distinct()", { value: [1] }],
  ["[1, 1.0, 1u].distinct()", { value: [1] }],
  ["[[1],[1]].distinct()", { value: [[1]] }],
  ['[2, 1, 2, "a", "a"].distinct()', { value: [2, 1, "a"] }],
  ["lists.range(-1)", { error: "lists.range: size must be non-negative, got -1" }],
  ["lists.range(0)", { value: [] }],
  ["lists.range(3)", { value: [0, 1, 2] }],
  ["[1,2].last()", { value: 2 }],
  ["[1,2].first().value()", { value: 1 }],
  ["[].first().hasValue()", { value: false }],
  ["[2, 1, 'a'].reverse()", { value: ["a", 1, 2] }],
  ["[].reverse()", { value: [] }],
  ["[3,1,2].sortBy(x, -x)", { value: [3, 2, 1] }],
  ['["bb", "a", "ccc"].sortBy(s, size(s))', { value: ["a", "bb", "ccc"] }],
  [
    '[1, 2].sortBy(x, dyn(x == 1 ? "a" : 1))',
    { rejected: "found no matching overload for '_?_:_' applied to '(bool, string, int)'" },
  ],
  ["[1,2,3,4].slice(1, 3)", { value: [2, 3] }],
  ["[1,2,1,2,3,1,2].distinct().sort()", { value: [1, 2, 3] }],
  ['["b", "c", "a"].sort()', { value: ["a", "b", "c"] }],
  ['[b"b", b"a"].sort()', { value: ["YQ==", "Yg=="] }],
  // The REPL prints durations in lists as nanoseconds ([1000000000, 2000000000]).
  ['[duration("2s"), duration("1s")].sort()', { value: ["1s", "2s"] }],
  ["[2u, 1u].sort()", { value: [1, 2] }],
]);
