// Policy parsing: the decoded model, positions and paths, and the parse, validation and policy
// errors, each checked against what the Cerbos 0.55 binary reports for the same file.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import { testdata } from "../../../test/support/reference.ts";
import type { Diagnostic } from "../../kernel/diagnostic.ts";
import {
  PARSE_ERROR,
  parsePolicy,
  parsePolicyDocuments,
  POLICY_ERROR,
  VALIDATION_ERROR,
} from "./parse-policy.ts";

const head = "apiVersion: api.cerbos.dev/v1\n";

/** `line:col path message` of each diagnostic, the parts Cerbos's `-o json` output shows. */
function problems(text: string): string[] {
  return parsePolicy({ file: "p.yaml", text }).diagnostics.map((d: Diagnostic) =>
    [
      d.position ? `${d.position.line}:${d.position.column}` : "",
      d.position?.path ?? "",
      d.description ?? "",
    ]
      .filter((x) => x !== "")
      .join(" "),
  );
}

describe("parse errors (wrong types, unknown fields), as the cerbos binary reports them", () => {
  const cases: [string, string][] = [
    ["disabled: 1", "2:11 $.disabled expected boolean value got Integer"],
    ["disabled: 1.5", "2:11 $.disabled expected boolean value got Float"],
    // goccy/go-yaml reads an exponent without a fraction as text, and `1_000` as an integer.
    ["disabled: 1e3", "2:11 $.disabled expected boolean value got String"],
    ["disabled: -1E+3", "2:11 $.disabled expected boolean value got String"],
    ["disabled: 1_000", "2:11 $.disabled expected boolean value got Integer"],
    // An empty value that ends the document sits one column past its colon.
    ["exportVariables:", "2:18 $.exportVariables expected object got Null"],
    ["disabled: null", "2:11 $.disabled expected boolean value got Null"],
    ['disabled: "true"', "2:11 $.disabled expected boolean value got String"],
    ["disabled: yes", "2:11 $.disabled expected boolean value got String"],
    ["disabled: [a]", "2:11 $.disabled expected boolean value got Sequence"],
    ["disabled:\n  - a", "3:3 $.disabled expected boolean value got Sequence"],
    ["description: [a]", "2:14 $.description expected string value got Sequence"],
    ["exportVariables: [a]", "2:18 $.exportVariables expected object got Sequence"],
    ['exportVariables: "s"', "2:18 $.exportVariables expected object got String"],
    ["exportVariables: null", "2:18 $.exportVariables expected object got Null"],
    [
      "exportVariables: {name: a, definitions: [1]}",
      "2:41 $.exportVariables.definitions expected map got Sequence",
    ],
    [
      "exportVariables: {name: a, definitions: {a: [1]}}",
      "2:45 $.exportVariables.definitions.a expected string value got Sequence",
    ],
    [
      "exportVariables:\n  name: a\n  definitions: |\n    x\n",
      "4:16 $.exportVariables.definitions expected map got Literal",
    ],
    ["metadata: {hash: -1}", "2:18 $.metadata.hash unexpected negative value -1"],
    [
      'resourcePolicy: {resource: a, version: "1", rules: {a: 1}}',
      "2:52 $.resourcePolicy.rules expected sequence got Mapping",
    ],
    [
      'resourcePolicy: {resource: a, version: "1", rules: [1]}',
      "2:53 $.resourcePolicy.rules[0] expected object got Integer",
    ],
    [
      'resourcePolicy: {resource: a, version: "1", rules: [{actions: a, roles: [a], effect: EFFECT_ALLOW}]}',
      "2:63 $.resourcePolicy.rules[0].actions expected sequence got String",
    ],
    [
      'resourcePolicy: {resource: a, version: "1", rules: [{actions: [a], roles: [a], effect: 1.5}]}',
      "2:88 $.resourcePolicy.rules[0].effect invalid enum value",
    ],
    [
      'resourcePolicy: {resource: a, version: "1", rules: [{actions: [a], roles: [a], effect: effect_allow}]}',
      '2:88 $.resourcePolicy.rules[0].effect invalid enum value "effect_allow"',
    ],
    [
      "resourcePolicy: {resource: a, version: 1.50, rules: [{actions: [a], roles: [a], effect: EFFECT_ALLOW}]}",
      "2:40 $.resourcePolicy.version expected string value got Float",
    ],
    [
      "exportConstants: {name: a, definitions: {a: 0x1F, b: 1e3, c: .inf}}",
      "2:62 $.exportConstants.definitions.c unexpected Infinity",
    ],
    [
      "exportConstants:\n  name: a\n  definitions:\n    a: 0x1F\n    b: .nan\n",
      "6:8 $.exportConstants.definitions.b unexpected Nan",
    ],
    ["some: key", '2:1 $.some unknown field "some"'],
    [
      'resourcePolicy:\n  resource:\n    kind: test\n  version: "1"',
      "4:9 $.resourcePolicy.resource expected string value got Mapping",
    ],
  ];
  for (const [body, want] of cases) {
    test(body.split("\n")[0] ?? body, () => assert.deepEqual(problems(head + body), [want]));
  }

  test("number forms: only a fraction makes a float, NaN and infinities are their own kinds", () => {
    const version = (v: string): string[] =>
      problems(`${head}resourcePolicy:\n  resource: r\n  version: ${v}\n`);
    assert.deepEqual(version("1e3"), []);
    assert.deepEqual(version("+1"), []);
    assert.deepEqual(version("0x1F"), []);
    assert.deepEqual(version(".5"), [
      "4:12 $.resourcePolicy.version expected string value got Float",
    ]);
    assert.deepEqual(version(".NaN"), [
      "4:12 $.resourcePolicy.version expected string value got Nan",
    ]);
    assert.deepEqual(version("-1"), [
      "4:3 $.resourcePolicy.version resourcePolicy.version: does not match regex pattern `^[\\w]+$`",
    ]);
    assert.deepEqual(version("Null"), [
      "4:3 $.resourcePolicy.version resourcePolicy.version: value is required",
    ]);
  });

  test("an empty list or map is an error, an empty string is not", () => {
    assert.deepEqual(
      problems(
        `${head}resourcePolicy:\n  resource: a\n  version: "1"\n  rules:\n    - actions: ~\n      roles: [a]\n      effect: EFFECT_ALLOW\n`,
      ),
      ["6:16 $.resourcePolicy.rules[0].actions expected sequence got Null"],
    );
    assert.deepEqual(
      problems(`${head}exportVariables:\n  name: a\n  definitions:\ndescription:\n`),
      ["4:15 $.exportVariables.definitions expected map got Null"],
    );
  });

  test("duplicate keys", () => {
    assert.deepEqual(
      problems(
        '{"apiVersion": "api.cerbos.dev/v1", "exportConstants": {"name": "a", "name": "b"}}',
      ),
      ['1:70 mapping key "name" already defined at [1:57]'],
    );
  });

  test("unlike Cerbos, which stops at the first, every parse error of a document is reported", () => {
    assert.deepEqual(problems(`${head}disabled: 1\ndescription: [a]\nwat: 1`), [
      "2:11 $.disabled expected boolean value got Integer",
      "3:14 $.description expected string value got Sequence",
      '4:1 $.wat unknown field "wat"',
    ]);
  });

  test("scalars become strings where protobuf wants a string; snake_case names are accepted", () => {
    const { policy, diagnostics } = parsePolicy({
      file: "p.yaml",
      text: `${head}resource_policy:\n  resource: 0x1F\n  version: yes\n  rules:\n    - actions: [1, true]\n      roles: [a]\n      effect: 2\n`,
    });
    assert.deepEqual(diagnostics, []);
    const rp = policy?.policy.resourcePolicy;
    assert.equal(rp?.resource, "0x1F");
    assert.equal(rp?.version, "yes");
    assert.deepEqual(rp?.rules?.[0]?.actions, ["1", "true"]);
    assert.equal(rp?.rules?.[0]?.effect, "EFFECT_DENY");
  });
});

describe("YAML syntax errors, as the cerbos binary reports them", () => {
  const cases: [string, string][] = [
    [
      `${head}exportVariables:\n  name: a\n   definitions: {}\n`,
      "3:9 mapping value is not allowed in this context",
    ],
    [`${head}exportVariables:\n  name: [a\n`, "3:9 sequence end token ']' not found"],
    [
      `${head}exportVariables:\n\tname: a\n`,
      "3:1 found character '\t' that cannot start any token",
    ],
    [
      `${head}exportVariables:\n  name: a\n  definitions:\n    x: *nope\n`,
      '5:8 $.exportVariables.definitions.x unknown anchor "nope"',
    ],
  ];
  for (const [text, want] of cases) test(want, () => assert.deepEqual(problems(text), [want]));

  test("goccy's lenient JSON: a trailing comma is accepted, a missing value is null", () => {
    assert.deepEqual(
      problems('{"apiVersion": "api.cerbos.dev/v1", "exportVariables": {"name": "a",}}'),
      [],
    );
    assert.deepEqual(
      problems('{"apiVersion": "api.cerbos.dev/v1", "exportVariables": {"name": }}'),
      ["1:57 $.exportVariables.name exportVariables.name: value is required"],
    );
  });

  test("merge keys expand, and documents may use anchors of earlier documents", () => {
    const docs = parsePolicyDocuments({
      file: "p.yaml",
      text: `${head}exportConstants:\n  name: a\n  definitions: &d {x: 1}\n---\n${head}exportConstants:\n  name: b\n  definitions: *d\n`,
    }).documents;
    assert.deepEqual(
      docs.map((d) => d.diagnostics),
      [[], []],
    );
    assert.deepEqual(docs[1]?.message, {
      apiVersion: "api.cerbos.dev/v1",
      exportConstants: { name: "b", definitions: { x: 1 } },
    });
    const merged = parsePolicy({
      file: "p.yaml",
      text: `${head}exportConstants:\n  name: a\n  definitions:\n    base: &b {x: 1, y: 2}\n    more:\n      <<: *b\n      y: 3\n`,
    });
    assert.deepEqual(merged.policy?.policy.exportConstants?.definitions, {
      base: { x: 1, y: 2 },
      more: { y: 3, x: 1 },
    });
  });
});

test("parsing never throws, whatever the text", () => {
  fc.assert(
    fc.property(fc.string(), (text) => {
      const r = parsePolicy({ file: "p.yaml", text: head + text });
      return Array.isArray(r.diagnostics) && r.diagnostics.every((d) => d.file === "p.yaml");
    }),
    { numRuns: 300 },
  );
});

describe("validation errors (buf.validate constraints), as the cerbos binary reports them", () => {
  test("resource policy", () => {
    const text = `${head}resourcePolicy:
  resource: "a*"
  version: "x.y"
  importDerivedRoles: [a, a]
  rules:
    - actions: []
      effect: EFFECT_NO_MATCH
      name: "1abc"
    - actions: ["", "x", "x"]
      roles: [""]
      effect: EFFECT_ALLOW
      condition:
        match: {}
    - actions: ["y"]
      roles: ["a"]
      effect: EFFECT_DENY
      condition: {}
  schemas:
    principalSchema:
      ref: ""
      ignoreWhen:
        actions: []
`;
    assert.deepEqual(
      problems(text),
      [
        "3:3 $.resourcePolicy.resource resourcePolicy.resource: does not match regex pattern `^[^!*?\\[\\]{}]+$`",
        "4:3 $.resourcePolicy.version resourcePolicy.version: does not match regex pattern `^[\\w]+$`",
        "5:3 $.resourcePolicy.importDerivedRoles resourcePolicy.importDerivedRoles: repeated value must contain unique items",
        "7:7 $.resourcePolicy.rules[0].actions resourcePolicy.rules[0].actions: value is required",
        "8:7 $.resourcePolicy.rules[0].effect resourcePolicy.rules[0].effect: must be one of [EFFECT_ALLOW, EFFECT_DENY]",
        "9:7 $.resourcePolicy.rules[0].name resourcePolicy.rules[0].name: does not match regex pattern `^([a-zA-Z][\\w\\@\\.\\-]*)*$`",
        "10:7 $.resourcePolicy.rules[1].actions resourcePolicy.rules[1].actions: repeated value must contain unique items",
        "10:17 $.resourcePolicy.rules[1].actions[0] resourcePolicy.rules[1].actions[0]: must be at least 1 characters",
        "11:15 $.resourcePolicy.rules[1].roles[0] resourcePolicy.rules[1].roles[0]: must be at least 1 characters",
        "21:7 $.resourcePolicy.schemas.principalSchema.ref resourcePolicy.schemas.principalSchema.ref: value is required",
        "23:9 $.resourcePolicy.schemas.principalSchema.ignoreWhen.actions resourcePolicy.schemas.principalSchema.ignoreWhen.actions: value is required",
        "resourcePolicy.rules[1].condition.match.op: exactly one field is required in oneof",
        "resourcePolicy.rules[2].condition.condition: exactly one field is required in oneof",
      ].sort(byPosition),
    );
  });

  test("derived roles, role and principal policies", () => {
    assert.deepEqual(
      problems(
        `${head}derivedRoles:\n  name: ""\n  definitions:\n    - name: "a b"\n      parentRoles: []\n    - name: x\n      parentRoles: ["", "y"]\n      condition:\n        match:\n          all:\n            of: []\n`,
      ),
      [
        "3:3 $.derivedRoles.name derivedRoles.name: value is required",
        "5:7 $.derivedRoles.definitions[0].name derivedRoles.definitions[0].name: does not match regex pattern `^[\\w\\-\\.]+$`",
        "6:7 $.derivedRoles.definitions[0].parentRoles derivedRoles.definitions[0].parentRoles: value is required",
        "8:21 $.derivedRoles.definitions[1].parentRoles[0] derivedRoles.definitions[1].parentRoles[0]: must be at least 1 characters",
        "12:13 $.derivedRoles.definitions[1].condition.match.all.of derivedRoles.definitions[1].condition.match.all.of: value is required",
      ],
    );
    assert.deepEqual(
      problems(
        `${head}rolePolicy:\n  role: "x"\n  version: "a.b"\n  scopePermissions: SCOPE_PERMISSIONS_OVERRIDE_PARENT\n  rules:\n    - resource: ""\n      allowActions: []\n`,
      ),
      [
        "4:3 $.rolePolicy.version rolePolicy.version: does not match regex pattern `^[\\w]*$`",
        "5:3 $.rolePolicy.scopePermissions rolePolicy.scopePermissions: must be one of [SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS, SCOPE_PERMISSIONS_UNSPECIFIED]",
        "7:7 $.rolePolicy.rules[0].resource rolePolicy.rules[0].resource: value is required",
        "8:7 $.rolePolicy.rules[0].allowActions rolePolicy.rules[0].allowActions: value is required",
      ],
    );
    assert.deepEqual(problems(`${head}rolePolicy:\n  version: "a"\n`), [
      "rolePolicy.policyType: exactly one field is required in oneof",
    ]);
    assert.deepEqual(
      problems(
        `${head}principalPolicy:\n  principal: x\n  version: default\n  rules:\n    - resource: ""\n      actions: []\n    - resource: "a"\n      actions:\n        - action: ""\n          effect: 3\n`,
      ),
      [
        "6:7 $.principalPolicy.rules[0].resource principalPolicy.rules[0].resource: value is required",
        "7:7 $.principalPolicy.rules[0].actions principalPolicy.rules[0].actions: value is required",
        "10:11 $.principalPolicy.rules[1].actions[0].action principalPolicy.rules[1].actions[0].action: value is required",
        "11:11 $.principalPolicy.rules[1].actions[0].effect principalPolicy.rules[1].actions[0].effect: must be one of [EFFECT_ALLOW, EFFECT_DENY]",
      ],
    );
    assert.deepEqual(problems(`${head}description: ~\n`), [
      "policyType: exactly one field is required in oneof",
    ]);
  });

  test("kinds", () => {
    const d = parsePolicy({ file: "p.yaml", text: `${head}rolePolicy:\n  version: "a"\n` })
      .diagnostics[0];
    assert.equal(d?.error, VALIDATION_ERROR);
    assert.equal(
      parsePolicy({ file: "p.yaml", text: `${head}x: 1\n` }).diagnostics[0]?.error,
      PARSE_ERROR,
    );
  });
});

const byPosition = (a: string, b: string): number => {
  const pa = /^(\d+):(\d+)/u.exec(a);
  const pb = /^(\d+):(\d+)/u.exec(b);
  if (!pa) return pb ? 1 : a.localeCompare(b);
  if (!pb) return -1;
  return Number(pa[1]) - Number(pb[1]) || Number(pa[2]) - Number(pb[2]);
};

describe("policy checks before indexing, as the cerbos binary reports them", () => {
  test("duplicate rule names, rules without roles, duplicate resources", () => {
    assert.deepEqual(
      problems(
        `${head}resourcePolicy:\n  resource: a\n  version: "1"\n  rules:\n    - actions: ["b"]\n      effect: EFFECT_ALLOW\n      name: x\n      roles: [a]\n    - actions: ["c"]\n      effect: EFFECT_ALLOW\n      name: x\n      roles: [a]\n`,
      ),
      [
        '10:14 $.resourcePolicy.rules[1] duplicate rule name "x": rule #2 has the same name as rule #1 defined at 6:14',
      ],
    );
    assert.deepEqual(
      problems(
        `${head}principalPolicy:\n  principal: a\n  version: "1"\n  rules:\n    - resource: r\n      actions: [{action: a, effect: EFFECT_ALLOW}]\n    - resource: r\n      actions: [{action: b, effect: EFFECT_ALLOW}]\n`,
      ),
      [
        '8:15 $.principalPolicy.rules[1] duplicate resource "r" at rule #2: previous definition in rule #1 at 6:15',
      ],
    );
    const json = `{"apiVersion": "api.cerbos.dev/v1", "resourcePolicy": {"resource": "x", "version": "1", "rules": [{"actions": ["a"], "effect": "EFFECT_ALLOW", "roles": ["a"], "name": "n"}, {"actions": ["a"], "effect": "EFFECT_ALLOW", "roles": ["a"], "name": "n"}]}}`;
    assert.deepEqual(problems(json), [
      '1:174 $.resourcePolicy.rules[1] duplicate rule name "n": rule #2 has the same name as rule #1 defined at 1:99',
    ]);
    assert.equal(parsePolicy({ file: "p.json", text: json }).diagnostics[0]?.error, POLICY_ERROR);
  });
});

test("with requireRuleRoles, a rule without roles is a load failure, as Cerbos's index reports it", () => {
  const text = `${head}resourcePolicy:\n  resource: a\n  version: "1"\n  rules:\n    - actions: ["a"]\n      effect: EFFECT_ALLOW\n`;
  assert.deepEqual(problems(text), []);
  const d = parsePolicy({ file: "p.yaml", text }, { requireRuleRoles: true }).diagnostics;
  assert.deepEqual(
    d.map((x) => [x.error, x.position, x.description]),
    [
      [
        POLICY_ERROR,
        { line: 6, column: 14, path: "$.resourcePolicy.rules[0]" },
        "rule #1 does not specify any roles or derived roles to match",
      ],
    ],
  );
});

describe("documents", () => {
  test("empty and comment-only files hold no policy and no problem", () => {
    for (const text of ["", "   ", "# nothing\n# here\n", "---\n"])
      assert.deepEqual(parsePolicy({ file: "p.yaml", text }), { diagnostics: [] });
  });

  test("a second document is a load failure", () => {
    const text = `${head}exportVariables: {name: a}\n---\n${head}exportVariables: {name: b}\n`;
    assert.deepEqual(problems(text), ["more than one YAML document detected"]);
  });

  test("text that is not a mapping", () => {
    assert.deepEqual(problems("wat\n"), [
      "1:1 $ invalid document: contents are not valid YAML or JSON",
    ]);
  });

  test("the snippet shows the lines around the problem, as cerbos compile does", () => {
    const text = `${head}# c1\n\n# c3\nresourcePolicy:\n  resource: foo\n  version: "1"\n  bogus: 1\n  rules:\n    - actions: ["a"]\n      effect: EFFECT_ALLOW\n      roles: ["a"]\n`;
    const d = parsePolicy({ file: "p.yaml", text }).diagnostics[0];
    assert.equal(
      d?.snippet,
      '   5 | resourcePolicy:\n   6 |   resource: foo\n   7 |   version: "1"\n>  8 |   bogus: 1\n         ^\n   9 |   rules:\n  10 |     - actions: ["a"]\n  11 |       effect: EFFECT_ALLOW\n  12 |       ',
    );
    const short = parsePolicy({ file: "p.yaml", text: "---\nsome: key\n" }).diagnostics[0];
    assert.equal(short?.snippet, "   1 | ---\n>  2 | some: key\n       ^\n");
  });

  test("positions: keys for fields and map entries, values for list items and scalar values", () => {
    const text = `${head}resourcePolicy:\n  resource: a\n  version: "1"\n  variables:\n    local:\n      a: V.b\n  rules:\n    - actions: ["x"]\n      roles: [a]\n      effect: EFFECT_ALLOW\n`;
    const parsed = parsePolicy({ file: "p.yaml", text }).policy;
    assert.ok(parsed);
    assert.deepEqual(parsed.positionOf("$.apiVersion"), {
      line: 1,
      column: 1,
      path: "$.apiVersion",
    });
    assert.deepEqual(parsed.positionOf("$.resourcePolicy.variables.local.a"), {
      line: 7,
      column: 7,
      path: "$.resourcePolicy.variables.local.a",
    });
    assert.deepEqual(parsed.valuePositionOf("$.resourcePolicy.variables.local.a"), {
      line: 7,
      column: 10,
      path: "$.resourcePolicy.variables.local.a",
    });
    assert.deepEqual(parsed.valuePositionOf("$.resourcePolicy.variables"), {
      line: 5,
      column: 3,
      path: "$.resourcePolicy.variables",
    });
    assert.deepEqual(parsed.positionOf("$.resourcePolicy.rules[0]"), {
      line: 9,
      column: 14,
      path: "$.resourcePolicy.rules[0]",
    });
    assert.deepEqual(parsed.positionOf("$.resourcePolicy.rules[0].actions[0]"), {
      line: 9,
      column: 17,
      path: "$.resourcePolicy.rules[0].actions[0]",
    });
    assert.equal(parsed.positionOf("$.resourcePolicy.nothing"), undefined);
  });

  test("keys with dots are quoted in paths", () => {
    const parsed = parsePolicy({
      file: "p.yaml",
      text: `${head}exportVariables:\n  name: a\n  definitions:\n    "a.b": "1"\n`,
    }).policy;
    assert.deepEqual(parsed?.positionOf("$.exportVariables.definitions.'a.b'"), {
      line: 5,
      column: 5,
      path: "$.exportVariables.definitions.'a.b'",
    });
  });

  test("the JSON and YAML forms in testdata/policy_formats decode to the same policy", () => {
    const dir = testdata("policy_formats");
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".json"))) {
      const fromJson = parsePolicy({ file: f, text: readFileSync(join(dir, f), "utf8") });
      const y = f.replace(/\.json$/u, ".yaml");
      const fromYaml = parsePolicy({ file: y, text: readFileSync(join(dir, y), "utf8") });
      assert.deepEqual(fromJson.diagnostics, [], f);
      assert.deepEqual(fromYaml.diagnostics, [], y);
      // Only the JSON files name their JSON Schema.
      assert.deepEqual(
        { ...fromJson.policy?.policy, $schema: undefined },
        { ...fromYaml.policy?.policy, $schema: undefined },
        f,
      );
    }
  });
});
