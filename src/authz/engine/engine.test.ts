import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compilePolicySet } from "../compile/index.ts";
import { createEngine, type EngineOptions } from "./index.ts";
import type { ActionEffect, CheckInput } from "./types.ts";

function engineFor(policies: Record<string, string>, options?: EngineOptions) {
  const { policySet, diagnostics } = compilePolicySet({
    policies: Object.entries(policies).map(([file, text]) => ({ file, text })),
  });
  assert.deepEqual(diagnostics, []);
  assert.ok(policySet);
  return createEngine(policySet, options);
}

const input = (
  roles: string[],
  actions: string[],
  extra: Partial<CheckInput> = {},
): CheckInput => ({
  requestId: "r",
  principal: { id: "alice", roles, attr: { dept: "eng" } },
  resource: { kind: "doc", id: "d1", attr: { owner: "alice" } },
  actions,
  ...extra,
});

const DOC = `
apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: doc
  version: default
  variables:
    local:
      broken: P.attr.nope
      owner: R.attr.owner == P.id
  rules:
    - actions: ["view", "edit"]
      roles: ["admin"]
      effect: EFFECT_ALLOW
    - actions: ["edit"]
      roles: ["user"]
      effect: EFFECT_DENY
    - actions: ["view:*"]
      roles: ["user"]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: V.owner
      output:
        when:
          ruleActivated: '"owner:" + P.id'
          conditionNotMet: now()
    - actions: ["purge"]
      roles: ["*"]
      effect: EFFECT_DENY
      condition:
        match:
          expr: R.attr.missing == 1
    - actions: ["purge"]
      roles: ["admin"]
      effect: EFFECT_ALLOW
    - actions: ["env"]
      roles: ["*"]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: G.env == "prod"
`;

describe("engine", () => {
  it("lets an ALLOW of one role beat a DENY of another (DENY wins only within a role)", () => {
    const out = engineFor({ "doc.yaml": DOC }).check([input(["user", "admin"], ["edit"])]);
    assert.equal(out[0]?.actions["edit"]?.effect, "EFFECT_ALLOW");
    const userOnly = engineFor({ "doc.yaml": DOC }).check([input(["user"], ["edit"])]);
    assert.equal(userOnly[0]?.actions["edit"]?.effect, "EFFECT_DENY");
  });

  it("matches action globs and names unnamed rules rule-NNN in outputs", () => {
    const out = engineFor({ "doc.yaml": DOC }).check([input(["user"], ["view:public"])]);
    assert.deepEqual(out[0]?.actions["view:public"], {
      effect: "EFFECT_ALLOW",
      policy: "resource.doc.vdefault",
    });
    assert.deepEqual(out[0]?.outputs, [
      { src: "resource.doc.vdefault#rule-003", action: "view:public", val: "owner:alice" },
    ]);
  });

  it("keeps each result as it was when later checks run on the same engine", () => {
    const engine = engineFor({ "doc.yaml": DOC });
    const owner = engine.check([input(["user"], ["view:x", "edit", "purge"])])[0];
    const snapshot = JSON.stringify(owner);
    const other = engine.check([
      input(["admin"], ["view:x", "edit", "purge"], {
        principal: { id: "bob", roles: ["admin"], attr: { dept: "ops" } },
      }),
    ])[0];
    assert.equal(JSON.stringify(owner), snapshot);
    assert.notEqual(JSON.stringify(other), snapshot);
    // The same decisions again: equal answers, each still a complete object.
    const again = engine.check([input(["user"], ["view:x", "edit", "purge"])])[0];
    assert.equal(JSON.stringify(again), snapshot);
    assert.deepEqual(Object.keys(again?.actions ?? {}), ["view:x", "edit", "purge"]);
  });

  it("answers an action named __proto__ as an action like any other", () => {
    const engine = engineFor({ "doc.yaml": DOC });
    for (let i = 0; i < 2; i++) {
      const out = engine.check([input(["admin"], ["__proto__", "view"])])[0];
      assert.deepEqual(Object.keys(out?.actions ?? {}), ["__proto__", "view"]);
      assert.equal(Object.getPrototypeOf(out?.actions), Object.prototype);
      assert.equal(
        (Object.getOwnPropertyDescriptor(out?.actions, "__proto__")?.value as ActionEffect).effect,
        "EFFECT_DENY",
      );
      assert.equal(out?.actions["view"]?.effect, "EFFECT_ALLOW");
    }
  });

  it("evaluates only variables some expression reads", () => {
    const out = engineFor({ "doc.yaml": DOC }).check([input(["user"], ["view:public"])]);
    assert.equal(out[0]?.evaluationErrors, undefined);
  });

  it("fixes now() for the whole call", () => {
    const engine = engineFor({ "doc.yaml": DOC });
    const stranger = input(["user"], ["view:a", "view:b"], {
      resource: { kind: "doc", id: "d1", attr: { owner: "bob" } },
    });
    const out = engine.check([stranger], { now: () => Date.parse("2024-05-06T07:08:09.5Z") });
    assert.deepEqual(
      out[0]?.outputs?.map((o) => o.val),
      ["2024-05-06T07:08:09.5Z", "2024-05-06T07:08:09.5Z"],
    );
  });

  it("reads the clock only when a condition uses it, and once per call", () => {
    const engine = engineFor({ "doc.yaml": DOC });
    let calls = 0;
    const now = (): number => {
      calls++;
      return 0;
    };
    engine.check([input(["admin"], ["view"])], { now });
    assert.equal(calls, 0);
    const stranger = input(["user"], ["view:a", "view:b"], {
      resource: { kind: "doc", id: "d1", attr: { owner: "bob" } },
    });
    engine.check([stranger, stranger], { now });
    assert.equal(calls, 1);
  });

  it("does not let a failing DENY condition deny, unless evaluation is strict", () => {
    const lax = engineFor({ "doc.yaml": DOC }).check([input(["user"], ["purge"])]);
    assert.deepEqual(lax[0]?.actions["purge"], {
      effect: "EFFECT_DENY",
      policy: "resource.doc.vdefault",
    });
    assert.deepEqual(lax[0]?.evaluationErrors, [
      { celError: { expression: "R.attr.missing == 1", message: "no such key: missing" } },
    ]);
    const admin = engineFor({ "doc.yaml": DOC }).check([input(["admin"], ["purge"])]);
    assert.equal(admin[0]?.actions["purge"]?.effect, "EFFECT_ALLOW");
    const strict = engineFor({ "doc.yaml": DOC }, { strictEvaluation: true }).check([
      input(["admin"], ["purge"]),
    ]);
    assert.equal(strict[0]?.actions["purge"]?.effect, "EFFECT_DENY");
  });

  it("reads globals", () => {
    assert.equal(
      engineFor({ "doc.yaml": DOC }, { globals: { env: "prod" } }).check([input(["x"], ["env"])])[0]
        ?.actions["env"]?.effect,
      "EFFECT_ALLOW",
    );
    assert.equal(
      engineFor({ "doc.yaml": DOC }, { globals: { env: "dev" } }).check([input(["x"], ["env"])])[0]
        ?.actions["env"]?.effect,
      "EFFECT_DENY",
    );
  });

  it("denies by default with policy NO_MATCH", () => {
    const out = engineFor({ "doc.yaml": DOC }).check([
      input(["user"], ["x"], { resource: { kind: "other", id: "o" } }),
    ]);
    assert.deepEqual(out[0]?.actions["x"], { effect: "EFFECT_DENY", policy: "NO_MATCH" });
  });

  it("decides with a principal policy before resource policies", () => {
    const engine = engineFor({
      "doc.yaml": DOC,
      "alice.yaml": `
apiVersion: api.cerbos.dev/v1
principalPolicy:
  principal: alice
  version: default
  rules:
    - resource: doc
      actions:
        - action: "edit"
          effect: EFFECT_DENY
`,
    });
    const out = engine.check([input(["admin"], ["edit", "view"])]);
    assert.deepEqual(out[0]?.actions["edit"], {
      effect: "EFFECT_DENY",
      policy: "principal.alice.vdefault",
    });
    assert.deepEqual(out[0]?.actions["view"], {
      effect: "EFFECT_ALLOW",
      policy: "resource.doc.vdefault",
    });
  });

  it("narrows with role policies and attributes the implicit DENY to them", () => {
    const engine = engineFor({
      "doc.yaml": DOC,
      "role.yaml": `
apiVersion: api.cerbos.dev/v1
rolePolicy:
  role: auditor
  parentRoles: ["admin"]
  rules:
    - resource: doc
      allowActions: ["view"]
`,
    });
    const out = engine.check([input(["auditor"], ["view", "edit"])]);
    assert.deepEqual(out[0]?.actions["view"], {
      effect: "EFFECT_ALLOW",
      policy: "resource.doc.vdefault",
    });
    assert.deepEqual(out[0]?.actions["edit"], {
      effect: "EFFECT_DENY",
      policy: "role.auditor.vdefault",
    });
  });

  it("searches parent scopes leniently only when asked", () => {
    const scoped = `
apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: doc
  version: default
  scope: acme
  rules:
    - actions: ["view"]
      roles: ["user"]
      effect: EFFECT_ALLOW
`;
    const policies = { "doc.yaml": DOC, "doc.acme.yaml": scoped };
    const req = input(["user"], ["view"], {
      resource: { kind: "doc", id: "d", scope: "acme.uk", attr: { owner: "bob" } },
    });
    assert.deepEqual(engineFor(policies).check([req])[0]?.actions["view"], {
      effect: "EFFECT_DENY",
      policy: "NO_MATCH",
    });
    assert.deepEqual(
      engineFor(policies, { lenientScopeSearch: true }).check([req])[0]?.actions["view"],
      {
        effect: "EFFECT_ALLOW",
        policy: "resource.doc.vdefault/acme",
        scope: "acme",
      },
    );
  });

  it("explains decisions on request", () => {
    const out = engineFor({ "doc.yaml": DOC }).check([input(["user"], ["edit"])], {
      explain: true,
    });
    const ex = out[0]?.explanation?.actions["edit"];
    assert.equal(ex?.effect, "EFFECT_DENY");
    assert.equal(ex?.decidedBy?.rule, "resource.doc.vdefault#rule-002");
    assert.deepEqual(ex?.resourceScopes, [""]);
  });
});

describe("strict evaluation (checked against cerbos 0.55 with engine.strictEvaluation)", () => {
  const S = `
apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: s
  version: default
  rules:
    - actions: ["a", "b"]
      roles: ["*"]
      effect: EFFECT_ALLOW
    - actions: ["a"]
      roles: ["*"]
      effect: EFFECT_DENY
      condition:
        match:
          expr: R.attr.missing == 1
    - actions: ["c"]
      roles: ["*"]
      effect: EFFECT_ALLOW
      condition:
        match:
          any:
            of:
              - expr: R.attr.missing == 1
              - expr: "true"
    - actions: ["d"]
      roles: ["*"]
      effect: EFFECT_ALLOW
      condition:
        match:
          none:
            of:
              - expr: R.attr.missing == 1
`;
  const req: CheckInput = {
    principal: { id: "p", roles: ["u"] },
    resource: { kind: "s", id: "1" },
    actions: ["a", "b", "c", "d"],
  };
  const effects = (o: EngineOptions) =>
    Object.fromEntries(
      Object.entries(engineFor({ "s.yaml": S }, o).check([req])[0]?.actions ?? {}).map(([k, v]) => [
        k,
        v.effect,
      ]),
    );

  it("treats a failing expression as false by default", () => {
    assert.deepEqual(effects({}), {
      a: "EFFECT_ALLOW",
      b: "EFFECT_ALLOW",
      c: "EFFECT_ALLOW",
      d: "EFFECT_ALLOW",
    });
  });

  it("lets the failure end the condition when strict: DENY rules deny, ALLOW rules do not allow", () => {
    assert.deepEqual(effects({ strictEvaluation: true }), {
      a: "EFFECT_DENY",
      b: "EFFECT_ALLOW",
      c: "EFFECT_DENY",
      d: "EFFECT_DENY",
    });
  });
});

describe("strict evaluation denies in the name of the failing rule (checked against cerbos 0.55)", () => {
  const T = `
apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: t
  version: default
  rules:
    - actions: ["a", "b"]
      roles: ["*"]
      effect: EFFECT_ALLOW
    - actions: ["a"]
      roles: ["*"]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: R.attr.missing == 1
      output:
        when:
          ruleActivated: '"act"'
          conditionNotMet: '"cnm"'
    - actions: ["c"]
      roles: ["u"]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: R.attr.missing == 1
    - actions: ["c"]
      roles: ["v"]
      effect: EFFECT_ALLOW
`;
  const TS = `
apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: t
  version: default
  scope: s
  rules:
    - actions: ["d"]
      roles: ["*"]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: R.attr.missing == 1
`;
  const engine = () => engineFor({ "t.yaml": T, "t.s.yaml": TS }, { strictEvaluation: true });

  it("lets a failing ALLOW rule deny even next to an unconditional ALLOW, without outputs", () => {
    const out = engine().check([
      {
        principal: { id: "p", roles: ["u"] },
        resource: { kind: "t", id: "1" },
        actions: ["a", "b"],
      },
    ]);
    assert.deepEqual(out[0]?.actions, {
      a: { effect: "EFFECT_DENY", policy: "resource.t.vdefault" },
      b: { effect: "EFFECT_ALLOW", policy: "resource.t.vdefault" },
    });
    assert.equal(out[0]?.outputs, undefined);
  });

  it("overrides the ALLOW of another role", () => {
    const out = engine().check([
      {
        principal: { id: "p", roles: ["u", "v"] },
        resource: { kind: "t", id: "1" },
        actions: ["c"],
      },
    ]);
    assert.deepEqual(out[0]?.actions["c"], {
      effect: "EFFECT_DENY",
      policy: "resource.t.vdefault",
    });
  });

  it("names the policy and scope of the failing rule", () => {
    const out = engine().check([
      {
        principal: { id: "p", roles: ["u"] },
        resource: { kind: "t", id: "1", scope: "s" },
        actions: ["d", "a"],
      },
    ]);
    assert.deepEqual(out[0]?.actions, {
      d: { effect: "EFFECT_DENY", policy: "resource.t.vdefault/s", scope: "s" },
      a: { effect: "EFFECT_DENY", policy: "resource.t.vdefault" },
    });
  });
});

describe("derived roles decided up front (checked against cerbos 0.55)", () => {
  const DR = `
apiVersion: api.cerbos.dev/v1
derivedRoles:
  name: drs
  variables:
    local:
      v0: R.attr.owner == request.principal.id
  definitions:
    - name: peer
      parentRoles: [user]
      condition:
        match:
          expr: R.attr.status == "draft"
    - name: owner
      parentRoles: [user]
    - name: nulled
      parentRoles: [user]
      condition:
        match:
          expr: V.v0 == null
    - name: scored
      parentRoles: [user]
      condition:
        match:
          all:
            of:
              - expr: P.attr.score > 1
              - expr: V.v0
`;
  const RES = `
apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: doc
  version: default
  importDerivedRoles: [drs]
  rules:
    - actions: ["a"]
      effect: EFFECT_ALLOW
      roles: [user]
      condition:
        match:
          expr: '"owner" in runtime.effectiveDerivedRoles'
    - actions: ["b", "c"]
      effect: EFFECT_ALLOW
      derivedRoles: [peer, owner]
      output:
        when:
          ruleActivated: "'act'"
          conditionNotMet: "'not'"
    - actions: ["approve"]
      effect: EFFECT_ALLOW
      derivedRoles: [nulled, scored]
`;
  const check = (actions: string[], attr: Record<string, string>, options: EngineOptions = {}) =>
    engineFor({ "dr.yaml": DR, "res.yaml": RES }, options).check([
      {
        principal: { id: "alice", roles: ["user"] },
        resource: { kind: "doc", id: "1", attr },
        actions,
      },
    ])[0];
  const messages = (out: ReturnType<typeof check>) =>
    (out?.evaluationErrors ?? []).map((e) => `${e.celError.expression}: ${e.celError.message}`);

  it("applies a rule through one derived role when another listed one does not hold or fails", () => {
    for (const attr of [{ status: "x" }, {}] as Record<string, string>[]) {
      const out = check(["b", "c"], attr);
      assert.equal(out?.actions["b"]?.effect, "EFFECT_ALLOW");
      assert.equal(out?.actions["c"]?.effect, "EFFECT_ALLOW");
      // each derived role keeps its own cached decision: `peer`'s "no" emits conditionNotMet
      // only when it is reused (for `c`), `owner`'s "yes" activates the rule once per action
      assert.deepEqual(
        out?.outputs?.map((o) => `${o.action}:${JSON.stringify(o.val)}`),
        [`b:"act"`, `c:"not"`, `c:"act"`],
      );
    }
  });

  it("reports the condition errors of derived roles even for an action no rule covers", () => {
    const out = check(["view"], { status: "draft" });
    assert.deepEqual(messages(out), [
      "P.attr.score > 1: no such key: score",
      "R.attr.owner == request.principal.id: no such key: owner",
    ]);
  });

  it("reads a failed derived roles variable as null up front, but as missing in rules", () => {
    const view = check(["view"], { status: "draft" });
    assert.ok(view?.effectiveDerivedRoles?.includes("nulled"));
    const approve = check(["approve"], { status: "draft" });
    assert.equal(approve?.actions["approve"]?.effect, "EFFECT_DENY");
    assert.ok(messages(approve).includes("V.v0 == null: undefined field 'v0'"));
    // under strict evaluation the variable is missing up front too
    const strict = check(["view"], { status: "draft" }, { strictEvaluation: true });
    assert.ok(!strict?.effectiveDerivedRoles?.includes("nulled"));
  });

  it("makes runtime.effectiveDerivedRoles an error under strict evaluation when a derived role failed", () => {
    const out = check(["a", "b"], {}, { strictEvaluation: true });
    assert.deepEqual(out?.actions["a"], { effect: "EFFECT_DENY", policy: "resource.doc.vdefault" });
    // the failed roles, sorted (`nulled` fails too: its variable is missing under strict evaluation)
    assert.ok(
      messages(out).includes(
        `"owner" in runtime.effectiveDerivedRoles: failed to compute effective derived roles [nulled, peer, scored]`,
      ),
    );
    const one = check(["a"], { status: "x", owner: "alice" }, { strictEvaluation: true });
    assert.ok(
      messages(one).includes(
        `"owner" in runtime.effectiveDerivedRoles: failed to compute effective derived roles [scored]`,
      ),
    );
    // without strict evaluation it stays readable
    assert.equal(check(["a"], {})?.actions["a"]?.effect, "EFFECT_ALLOW");
    assert.ok(!messages(check(["a"], {})).some((m) => m.includes("failed to compute")));
  });
});

describe("runtime.effectiveDerivedRoles per scope (checked against cerbos 0.55)", () => {
  const policies = {
    "dr0.yaml": `
apiVersion: api.cerbos.dev/v1
derivedRoles:
  name: dr0
  definitions:
    - name: owner
      parentRoles: [guest]
`,
    "dr1.yaml": `
apiVersion: api.cerbos.dev/v1
derivedRoles:
  name: dr1
  definitions:
    - name: other
      parentRoles: [guest]
`,
    "root.yaml": `
apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: doc
  version: default
  importDerivedRoles: [dr1]
  rules:
    - actions: ["zzz"]
      effect: EFFECT_ALLOW
      derivedRoles: [other]
`,
    "child.yaml": `
apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: doc
  version: default
  scope: a
  importDerivedRoles: [dr0]
  rules:
    - actions: ["zzz"]
      effect: EFFECT_ALLOW
      derivedRoles: [owner]
    - actions: ["x"]
      effect: EFFECT_ALLOW
      roles: [user]
      condition:
        match:
          expr: '"owner" in runtime.effectiveDerivedRoles'
`,
  };

  it("lets a scope's rules see that scope's derived roles after a parent scope was visited", () => {
    // `guest` finds nothing for `x` in scope `a` and goes on to the root scope, whose derived
    // roles are worked out last; `user`'s rule in `a` still sees `a`'s
    const out = engineFor(policies).check([
      {
        principal: { id: "alice", roles: ["guest", "user"] },
        resource: { kind: "doc", id: "1", scope: "a" },
        actions: ["x"],
      },
    ]);
    assert.deepEqual(out[0]?.actions["x"], {
      effect: "EFFECT_ALLOW",
      policy: "resource.doc.vdefault/a",
      scope: "a",
    });
  });
});
