import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compilePolicySet } from "./index.ts";

const compile = (files: Record<string, string>) =>
  compilePolicySet({ policies: Object.entries(files).map(([file, text]) => ({ file, text })) });

const resource = (kind: string, scope: string, extra = ""): string => `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: ${kind}
  version: default
  scope: "${scope}"
${extra}  rules:
    - actions: ["view"]
      roles: ["user"]
      effect: EFFECT_ALLOW
`;

const role = (name: string, scope: string): string => `apiVersion: api.cerbos.dev/v1
rolePolicy:
  role: ${name}
  scope: "${scope}"
  rules:
    - resource: doc
      allowActions: ["view"]
`;

describe("compilePolicySet", () => {
  it("produces a policy set listing its policies", () => {
    const { policySet, diagnostics } = compile({
      "a.yaml": resource("doc", ""),
      "r.yaml": role("auditor", ""),
    });
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(policySet?.policyKeys, ["resource.doc.vdefault", "role.auditor.vdefault"]);
  });

  it("reports duplicates against the earlier file", () => {
    const { policySet, diagnostics } = compile({
      "a.yaml": resource("doc", ""),
      "b.yaml": resource("doc", ""),
    });
    assert.equal(policySet, undefined);
    assert.equal(diagnostics[0]?.file, "b.yaml");
    assert.equal(
      diagnostics[0]?.description,
      "duplicate definition of resource.doc.vdefault (previous definition in a.yaml)",
    );
  });

  it("reports each missing scope ancestor once, on its deepest descendant", () => {
    const { diagnostics } = compile({
      "a.b.yaml": resource("doc", "a.b"),
      "a.b.c.yaml": resource("doc", "a.b.c"),
    });
    assert.deepEqual(
      diagnostics.map((d) => [d.file, d.description]),
      [
        ["a.b.c.yaml", 'Missing ancestor policy "resource.doc.vdefault/a"'],
        ["a.b.c.yaml", 'Missing ancestor policy "resource.doc.vdefault"'],
      ],
    );
  });

  it("rejects conflicting scope permissions in a scope with role policies (as Cerbos does)", () => {
    const files = {
      "a.yaml": resource("a", ""),
      "b.yaml": resource("b", ""),
      "a.s.yaml": resource(
        "a",
        "s",
        "  scopePermissions: SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS\n",
      ),
      "b.s.yaml": resource("b", "s", "  scopePermissions: SCOPE_PERMISSIONS_OVERRIDE_PARENT\n"),
    };
    assert.deepEqual(compile(files).diagnostics, []);
    // Two agreeing explicit settings are refused too (cerbos 0.55 `compile` does so).
    const agreeing = compile({
      ...files,
      "b.s.yaml": resource(
        "b",
        "s",
        "  scopePermissions: SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS\n",
      ),
      "r.yaml": role("x", "s"),
    });
    assert.equal(agreeing.diagnostics.length, 1);
    const withRole = compile({ ...files, "r.yaml": role("x", "s") });
    assert.deepEqual(
      withRole.diagnostics.map((d) => d.description),
      ["policies sharing scope s have conflicting scopePermissions"],
    );
  });

  it("names an unknown derived role once, at its last use", () => {
    const { diagnostics } = compile({
      "a.yaml": `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: doc
  version: default
  rules:
    - actions: ["view"]
      derivedRoles: ["owner"]
      effect: EFFECT_ALLOW
    - actions: ["edit"]
      derivedRoles: ["owner"]
      effect: EFFECT_ALLOW
`,
    });
    assert.deepEqual(
      diagnostics.map((d) => [d.error, d.position?.path]),
      [["unknown derived role", "$.resourcePolicy.rules[1].derivedRoles[0]"]],
    );
  });

  it("reports undefined variables and constants and variable cycles", () => {
    const { diagnostics } = compile({
      "a.yaml": `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: doc
  version: default
  variables:
    local:
      a: V.b
      b: V.a
  rules:
    - actions: ["view"]
      roles: ["user"]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: V.nope || C.none
`,
    });
    assert.deepEqual(diagnostics.map((d) => d.description).sort(), [
      "Undefined constant 'none'",
      "Undefined variable 'nope'",
      "Variables 'a' (a.yaml:7:10) and 'b' (a.yaml:8:10) form a cycle",
    ]);
  });

  it("gives every row of a rule (per role, action and derived role) one shared rule", () => {
    const { policySet, diagnostics } = compile({
      "roles.yaml": `apiVersion: api.cerbos.dev/v1
derivedRoles:
  name: common
  definitions:
    - name: owner
      parentRoles: ["user"]
      condition:
        match:
          expr: R.attr.owner == P.id
`,
      "doc.yaml": `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: doc
  version: default
  importDerivedRoles: ["common"]
  rules:
    - name: read
      actions: ["view", "list"]
      roles: ["user", "admin"]
      derivedRoles: ["owner"]
      effect: EFFECT_ALLOW
    - name: edit
      actions: ["edit"]
      roles: ["admin"]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: R.attr.open
`,
    });
    assert.deepEqual(diagnostics, []);
    const table = policySet!.internal.ruleTable;
    const rows = (action: string, role: string) =>
      table.query("RESOURCE", "default", "doc", "", action, [role], "", []).slice();
    const read = [...rows("view", "user"), ...rows("view", "admin"), ...rows("list", "user")];
    assert.deepEqual(
      read.map((r) => [r.role, r.action, r.derivedRole?.name]),
      [
        ["user", "view", undefined],
        ["user", "view", "owner"],
        ["admin", "view", undefined],
        ["user", "list", undefined],
        ["user", "list", "owner"],
      ],
    );
    const rule = read[0]!.rule;
    assert.ok(read.every((r) => r.rule === rule));
    assert.equal(rule.name, "read");
    assert.equal(rule.outputSource, "resource.doc.vdefault#read");
    assert.equal(rule.condition, undefined);
    const [edit] = rows("edit", "admin");
    assert.notEqual(edit?.rule, rule);
    assert.equal(edit?.rule.condition?.op, "expr");
  });
});
