// Expected texts below were produced by the real `cerbos compile` (0.55) on the same inputs.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeAuxDataFixtures,
  decodePrincipalFixtures,
  decodeResourceFixtures,
  decodeTestSuite,
} from "./suite-decoder.ts";

const errorOf = (r: { value: unknown } | { error: string }): string | undefined =>
  "error" in r ? r.error : undefined;

const table = `  - name: t
    input:
      principals: [a]
      resources: [r]
      actions: [v]
    expected:
      - principal: a
        resource: r
        actions: {v: EFFECT_ALLOW}`;

const cases: [string, string, string][] = [
  [
    "wrong scalar type",
    'name: X\nskip: "yes"\ntests: []\n',
    "2:7 expected boolean value got String",
  ],
  ["sequence expected", "name: X\ntests: {a: 1}\n", "2:8 expected sequence got Mapping"],
  [
    "block mapping where a sequence belongs",
    "name: X\ntests:\n  a: 1\n",
    "3:4 expected sequence got Mapping",
  ],
  ["string expected", "name: [a]\ntests: []\n", "1:7 expected string value got Sequence"],
  ["float is not a string", "name: 1.5\ntests: []\n", "1:7 expected string value got Float"],
  ["null bool", "name: X\nskip: null\ntests: []\n", "2:7 expected boolean value got Null"],
  ["message expected", "name: X\ntests: [5]\n", "2:9 expected object got Integer"],
  ["map expected", "name: X\nprincipals: [5]\n", "2:13 expected map got Sequence"],
  [
    "unknown field stops decoding",
    `name: X\nbogus: 1\nother: 2\ntests:\n${table}\n`,
    '2:1 unknown field "bogus"',
  ],
  [
    "duplicate key",
    "name: X\ntests: []\nname: Y\n",
    '3:1 mapping key "name" already defined at [1:1]',
  ],
  [
    "null name is missing",
    "name: null\ntests: []\n",
    "1:1 name: value is required\n2:1 tests: value is required",
  ],
  ["absent field has no position", "name: X\n", "tests: value is required"],
  ["two documents", "name: X\n---\nname: Y\n", "more than one YAML document detected"],
  ["not a mapping", "- a\n- b\n", "1:1 invalid document: contents are not valid YAML or JSON"],
  // Suites are read by the policy reader, so YAML problems read as they do for policies.
  ["yaml syntax error", "name: X\ntests: [\n", "2:8 sequence end token ']' not found"],
  [
    "block literal is not a bool",
    "name: X\nskip: |\n  yes\ntests: []\n",
    "2:7 expected boolean value got Literal",
  ],
  [
    "infinity is not a bool",
    "name: X\nskip: .inf\ntests: []\n",
    "2:7 expected boolean value got Infinity",
  ],
  ["unknown anchor", "name: X\ntests: *nope\n", '2:8 unknown anchor "nope"'],
  ["proto field names", "name: X\nskip_reason: r\ntests: []\n", "3:1 tests: value is required"],
  [
    "empty trailing document",
    "---\nname: X\ntests: []\n---\n# c\n",
    "3:1 tests: value is required",
  ],
  [
    "bad timestamp",
    `name: X\noptions:\n  now: "blah"\ntests:\n${table}\n`,
    '3:8 invalid timestamp value "blah": parsing time "blah" as "2006-01-02T15:04:05.999999999Z07:00": cannot parse "blah" as "2006"',
  ],
  [
    "json enum",
    '{"name": "X", "tests": [{"name": "t", "input": {"principals": ["a"], "resources": ["r"], "actions": ["v"]}, "expected": [{"principal": "a", "resource": "r", "actions": {"v": "EFFECT_FOO"}}]}]}',
    '1:175 invalid enum value "EFFECT_FOO"',
  ],
];

const withNow = (now: string): string => `name: X\noptions:\n  now: "${now}"\ntests:\n${table}\n`;
const goTime = (v: string, detail: string): string =>
  `3:8 invalid timestamp value "${v}": parsing time "${v}"${detail}`;
const asLayout = ' as "2006-01-02T15:04:05.999999999Z07:00"';
cases.push(
  [
    "date without time",
    withNow("2022-01-01"),
    goTime("2022-01-01", `${asLayout}: cannot parse "" as "T"`),
  ],
  [
    "month out of range",
    withNow("2022-13-01T00:00:00Z"),
    goTime("2022-13-01T00:00:00Z", ": month out of range"),
  ],
  [
    "day out of range",
    withNow("2022-02-30T00:00:00Z"),
    goTime("2022-02-30T00:00:00Z", ": day out of range"),
  ],
  [
    "extra text",
    withNow("2022-01-01T00:00:00Zjunk"),
    goTime("2022-01-01T00:00:00Zjunk", ': extra text: "junk"'),
  ],
  [
    "no zone",
    withNow("2022-01-01T00:00:00"),
    goTime("2022-01-01T00:00:00", `${asLayout}: cannot parse "" as "Z07:00"`),
  ],
  [
    "one-digit month",
    withNow("2022-1-01T00:00:00Z"),
    goTime("2022-1-01T00:00:00Z", `${asLayout}: cannot parse "1-01T00:00:00Z" as "01"`),
  ],
  ["empty list item", "name: X\ntests:\n  -\n", "3:4 expected object got Null"],
  [
    "empty message value sits after the colon",
    "name: X\ntests:\n  - name: t\n    input:\n",
    "4:12 expected object got Null",
  ],
  [
    "null effect is unspecified",
    `name: X\ntests:\n${table.replace("{v: EFFECT_ALLOW}", "{v: null}")}\n`,
    '11:22 tests[0].expected[0].actions["v"]: must be one of [EFFECT_ALLOW, EFFECT_DENY]',
  ],
);

test("numbers are read as goccy/go-yaml reads them: `1e3` is text, `1_000` an integer", () => {
  const r = decodeTestSuite(
    `name: X\nresources:\n  r: {id: r, kind: doc, attr: {x: 1e3, y: 1_000, z: 1.5e3}}\ntests:\n${table}\n`,
  );
  assert.ok("value" in r, errorOf(r));
  assert.deepEqual(r.value.resources?.["r"]?.attr, { x: "1e3", y: 1000, z: 1500 });
});

test("timestamps with offsets and fractions", () => {
  const r = decodeTestSuite(withNow("2022-01-01T05:30:00.123456+05:30"));
  assert.ok("value" in r);
  assert.equal(r.value.options?.now, Date.UTC(2022, 0, 1, 0, 0, 0, 123));
});

for (const [name, text, want] of cases) {
  test(`decoding: ${name}`, () => assert.equal(errorOf(decodeTestSuite(text)), want));
}

test("validation reports every problem, positioned ones first in file order", () => {
  const text = `name: X
tests:
  - name: t
    input:
      principals: [a, a, ""]
      actions: []
    expected: []
  - input:
      principals: [a]
      resources: [r]
      actions: [view]
    expected:
      - principal: a
        resource: r
        actions: {}
principals:
  a:
    id: ""
    roles: []
    policyVersion: "a.b"
    scope: "-x"
    attr:
      "": 1
resources:
  r:
    id: r
`;
  assert.equal(
    errorOf(decodeTestSuite(text)),
    [
      "4:5 tests[0].input: resources or resourceGroups must be present",
      "5:7 tests[0].input.principals: repeated value must contain unique items",
      "5:26 tests[0].input.principals[2]: must be at least 1 characters",
      "6:7 tests[0].input.actions: value is required",
      "7:5 tests[0].expected: value is required",
      "15:9 tests[1].expected[0].actions: value is required",
      '18:5 principals["a"].id: value is required',
      '19:5 principals["a"].roles: value is required',
      '20:5 principals["a"].policyVersion: does not match regex pattern `^[\\w]*$`',
      '21:5 principals["a"].scope: does not match regex pattern `^(^$|\\.|[0-9a-zA-Z][\\w\\-]*(\\.\\w[\\w\\-]*)*)$`',
      '23:11 principals["a"].attr[""]: must be at least 1 characters',
      "tests[1].name: value is required",
      'resources["r"].kind: value is required',
    ].join("\n"),
  );
});

test("message rules sit at the mapping's first colon; effects outside ALLOW/DENY are rejected", () => {
  const text = `name: X
tests:
  - name: t
    input:
      principals: [a]
      resources: [r]
      actions: [v, w]
    expected:
      - resource: r
        actions:
          v: EFFECT_UNSPECIFIED
          w: EFFECT_NO_MATCH
auxData:
  j:
    jwt: {a: 1}
    jwts: {x: {claims: {}}}
principalGroups:
  g: {principals: []}
resourceGroups:
  g: {}
`;
  assert.equal(
    errorOf(decodeTestSuite(text)),
    [
      "9:17 tests[0].expected[0]: principal, principals, or principalGroups must be present",
      '11:14 tests[0].expected[0].actions["v"]: must be one of [EFFECT_ALLOW, EFFECT_DENY]',
      '12:14 tests[0].expected[0].actions["w"]: must be one of [EFFECT_ALLOW, EFFECT_DENY]',
      '15:8 auxData["j"]: Only one of the jwt or jwts fields must be set',
      '18:7 principalGroups["g"].principals: value is required',
      'resourceGroups["g"].resources: value is required',
    ].join("\n"),
  );
});

test("anchors, aliases and merge keys resolve; numbers written for strings keep their text", () => {
  const r = decodePrincipalFixtures(`principals:
  bev: &bev
    id: bev
    policyVersion: 20210210
    roles: [employee]
    attr: &attr {a: 1, b: x}
  matt:
    <<: *bev
    id: matt
    attr:
      <<: *attr
      b: y
`);
  assert.ok("value" in r);
  assert.deepEqual(r.value.principals?.["matt"], {
    id: "matt",
    policyVersion: "20210210",
    roles: ["employee"],
    attr: { a: 1, b: "y" },
  });
});

test("fixture files: unknown fields and map keys in paths are camel-cased like Cerbos", () => {
  assert.equal(
    errorOf(decodeResourceFixtures("resources:\n  john_leave_request:\n    id: x\n")),
    'resources["johnLeaveRequest"].kind: value is required',
  );
  assert.equal(
    errorOf(decodeAuxDataFixtures("auxData:\n  myJWT:\n    jort: {}\n")),
    '3:5 unknown field "jort"',
  );
  const ok = decodeAuxDataFixtures("auxData:\n  t:\n    jwts:\n      a: {claims: {sub: x}}\n");
  assert.deepEqual("value" in ok && ok.value, {
    auxData: { t: { jwts: { a: { claims: { sub: "x" } } } } },
  });
});

test("an empty suite file is missing its required fields", () => {
  assert.equal(errorOf(decodeTestSuite("")), "name: value is required\ntests: value is required");
});
