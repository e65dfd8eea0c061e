import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compilePolicySet } from "../compile/index.ts";
import { PlanCache } from "./check-plan.ts";
import { createEngine } from "./engine.ts";
import type { CheckInput } from "./types.ts";

const POLICIES = [
  {
    file: "doc.yaml",
    text: `
apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: doc
  version: default
  rules:
    - actions: ["view"]
      roles: ["user"]
      effect: EFFECT_ALLOW
    - actions: ["edit", "view"]
      roles: ["admin"]
      effect: EFFECT_ALLOW
    - actions: ["*"]
      roles: ["*"]
      effect: EFFECT_DENY
      condition:
        match:
          expr: R.attr.locked == true
`,
  },
  {
    file: "doc_a.yaml",
    text: `
apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: doc
  version: default
  scope: a
  rules:
    - actions: ["edit"]
      roles: ["user"]
      effect: EFFECT_ALLOW
`,
  },
];

function compiled() {
  const { policySet } = compilePolicySet({ policies: POLICIES });
  assert.ok(policySet);
  return policySet;
}

describe("PlanCache", () => {
  const table = compiled().internal.ruleTable;

  it("returns one plan per (version, kind, scope, roles)", () => {
    const cache = new PlanCache(table, false);
    const p = cache.resourcePlan("default", "doc", "", ["user", "admin"]);
    assert.equal(cache.resourcePlan("default", "doc", "", ["user", "admin"]), p);
    assert.notEqual(cache.resourcePlan("default", "doc", "", ["admin", "user"]), p);
    assert.notEqual(cache.resourcePlan("default", "doc", "", ["user"]), p);
    assert.notEqual(cache.resourcePlan("default", "doc", "a", ["user", "admin"]), p);
    // Right after itself (the last plan is checked first) and after others alike.
    const q = cache.resourcePlan("default", "doc", "", ["user"]);
    assert.equal(cache.resourcePlan("default", "doc", "", ["user"]), q);
    assert.notEqual(cache.resourcePlan("default", "doc", "", ["user", "user"]), q);
    assert.notEqual(cache.resourcePlan("v2", "doc", "", ["user"]), q);
    assert.notEqual(cache.resourcePlan("default", "doc2", "", ["user"]), q);
    assert.equal(cache.resourcePlan("default", "doc", "", ["user", "admin"]), p);
    assert.equal(p.policyKey, "resource.doc.vdefault");
    assert.deepEqual(p.scopes, [""]);
    assert.equal(p.exists, true);
  });

  it("answers the rows the rule table's query answers", () => {
    const cache = new PlanCache(table, true);
    const roles = ["user", "admin"];
    const plan = cache.resourcePlan("default", "doc", "a", roles);
    assert.deepEqual(plan.scopes, ["a", ""]);
    for (const action of ["view", "edit", "delete"]) {
      roles.forEach((role, i) => {
        plan.scopes.forEach((scope, s) => {
          const want = table.query("RESOURCE", "default", "doc", scope, action, [role], "", []);
          const got = plan.rowsFor(action)[i * plan.scopes.length + s] ?? [];
          assert.deepEqual(
            got.map((r) => r.row),
            want,
          );
        });
      });
    }
  });

  it("keeps answering correctly past its size limit", () => {
    const engine = createEngine(compiled());
    const check = (kind: string, roles: string[]) =>
      engine.check([
        {
          principal: { id: "p", roles },
          resource: { kind, id: "r", attr: { locked: false } },
          actions: ["view", "edit"],
        },
      ])[0]?.actions;
    for (let i = 0; i < 5000; i++) check(`unknown_${i}`, [`role_${i}`]);
    assert.deepEqual(check("doc", ["user"]), {
      view: { effect: "EFFECT_ALLOW", policy: "resource.doc.vdefault" },
      edit: { effect: "EFFECT_DENY", policy: "resource.doc.vdefault" },
    });
  });
});

describe("checks sharing a plan", () => {
  it("do not share what they return", () => {
    const engine = createEngine(compiled(), { lenientScopeSearch: true });
    const input: CheckInput = {
      principal: { id: "p", roles: ["user"] },
      resource: { kind: "doc", id: "r", scope: "a", attr: { locked: false } },
      actions: ["view", "edit", "view"],
    };
    const [first] = engine.check([input], { explain: true });
    assert.ok(first?.explanation);
    (first.explanation.actions["view"]?.resourceScopes as string[]).push("mutated");
    const [second] = engine.check([input], { explain: true });
    assert.deepEqual(second?.explanation?.actions["view"]?.resourceScopes, ["a", ""]);
    assert.deepEqual(Object.keys(second?.actions ?? {}), ["view", "edit"]);
    assert.deepEqual(second?.actions, {
      view: { effect: "EFFECT_ALLOW", policy: "resource.doc.vdefault/a" },
      edit: { effect: "EFFECT_ALLOW", policy: "resource.doc.vdefault/a", scope: "a" },
    });
  });
});
