// regex extension: every case was run through `cerbos repl` (Cerbos 0.55) and the table records what
// it answered ({ value }, an evaluation { error }, or { rejected } at compile time).

import { celCases } from "../../../../test/support/cel-cases.ts";

celCases("regex extension", [
  ['regex.replace("abc", "(b)", r"[\\1]")', { value: "a[b]c" }],
  ['regex.replace("abc", "(b)", "$1")', { value: "a$1c" }],
  [
    'regex.replace("abc", "(b)", r"\\2")',
    { error: "replacement string references group 2 but regex has only 1 group(s)" },
  ],
  [
    'regex.replace("abc", "b", r"\\x")',
    { error: "invalid replacement string: '\\x' \\ must be followed by a digit or \\" },
  ],
  [
    'regex.replace("abc", "b", r"a\\xb")',
    { error: "invalid replacement string: 'a\\xb' \\ must be followed by a digit or \\" },
  ],
  ['regex.replace("abc", "b", r"x\\\\y")', { value: "ax\\yc" }],
  ['regex.replace("abc", "(", "x")', { error: "error parsing regexp: missing closing ): `(`" }],
  ['regex.replace("aaa", "a", "b", 0)', { value: "aaa" }],
  ['regex.replace("aaa", "a", "b", -1)', { value: "bbb" }],
  ['regex.replace("aaa", "a", "b", 2)', { value: "bba" }],
  ['regex.replace("aaa", "", "-")', { value: "-a-a-a-" }],
  ['regex.replace("aaa", "a*", "-")', { value: "-" }],
  ['regex.replace("abc", "x*", "-")', { value: "-a-b-c-" }],
  ['regex.replace("héllo", "l", "L", 1)', { value: "héLlo" }],
  ['regex.replace("abc", "b", r"\\0")', { value: "abc" }],
  ['regex.replace("abc", "a(x)?b", r"[\\1]")', { value: "[]c" }],
  ['regex.replace("banana", "b(a).*", r"\\1")', { value: "a" }],
  ['regex.extract("abc", "x") == optional.none()', { value: true }],
  [
    'regex.extract("abc", "(b)(c)")',
    { error: 'regular expression has more than one capturing group: "(b)(c)"' },
  ],
  ['regex.extract("abc", "a(x)?") == optional.none()', { value: true }],
  ['regex.extract("abc", "b")', { value: "b" }],
  ['regex.extract("hello world", "hello(.*)")', { value: " world" }],
  ['regex.extract("abc", "(?P<n>b)")', { value: "b" }],
  ['regex.extractAll("a1b2", r"[a-z](\\d)")', { value: ["1", "2"] }],
  [
    'regex.extractAll("a1b2", r"([a-z])(\\d)")',
    { error: 'regular expression has more than one capturing group: "([a-z])(\\\\d)"' },
  ],
  ['regex.extractAll("abc", "")', { value: ["", "", "", ""] }],
  ['regex.extractAll("ab", "(x)?b")', { value: [] }],
  ['regex.extractAll("aaa", "a*")', { value: ["aaa"] }],
  ['regex.extractAll("a😀b😀", "😀")', { value: ["😀", "😀"] }],
  ['regex.extractAll("abc", "[")', { error: "error parsing regexp: missing closing ]: `[`" }],
  ['regex.replace("abc", "(?i)B", "x")', { value: "axc" }],
  ['regex.replace("a.b", ".", "-")', { value: "---" }],
  [
    'regex.extract("abc", "(?<=a)b")',
    { error: "error parsing regexp: invalid named capture: `(?<=a)b`" },
  ],
]);
