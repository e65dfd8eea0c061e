import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createEngine } from "../engine/index.ts";
import type { CheckInput } from "../engine/types.ts";
import type { JsonValue } from "../policy/model.ts";
import type { CompiledRule } from "../ruletable/rule-row.ts";
import type { CompiledCondition } from "./compiled-policy.ts";
import { compilePolicySet } from "./index.ts";

function compile(files: Record<string, string>) {
  const { policySet, diagnostics } = compilePolicySet({
    policies: Object.entries(files).map(([file, text]) => ({ file, text })),
  });
  assert.deepEqual(diagnostics, []);
  assert.ok(policySet);
  return policySet;
}

/** The rules of the rows that apply to `action`. */
function rules(
  policySet: ReturnType<typeof compile>,
  action: string,
  kind = "doc",
  roles = ["user"],
): CompiledRule[] {
  return policySet.internal.ruleTable
    .query("RESOURCE", "default", kind, "", action, roles, "", [])
    .map((row) => row.rule);
}

const input = (action: string, attr: Record<string, JsonValue> = {}): CheckInput => ({
  principal: { id: "alice", roles: ["user"], attr: {} },
  resource: { kind: "doc", id: "d1", attr },
  actions: [action],
});

const policy = (body: string): string => `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: doc
  version: default
${body}`;

const FOLDING = policy(`  constants:
    local:
      minLevel: 3
      zero: 0
  variables:
    local:
      double: C.minLevel * 2.0
      quadruple: V.double * 2.0
      fromRequest: R.attr.level * 1.0
      mixed: V.fromRequest + V.quadruple
      fromGlobals: G.limit
      fromClock: now() > timestamp("2000-01-01T00:00:00Z")
      broken: 1.0 / C.zero == 1.0 || [1][C.minLevel] == 1
  rules:
    - actions: ["level"]
      roles: ["user"]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: R.attr.level > V.quadruple
    - actions: ["constant"]
      roles: ["user"]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: V.double == 6.0
    - actions: ["mixed"]
      roles: ["user"]
      effect: EFFECT_ALLOW
      condition:
        match:
          all:
            of:
              - expr: V.mixed > 0.0
              - expr: V.fromGlobals == 1
              - expr: V.fromClock
    - actions: ["broken"]
      roles: ["user"]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: V.broken
`);

const names = (rule: CompiledRule | undefined): string[] =>
  (rule?.params?.variables ?? []).map((v) => v.name);

describe("folding at load", () => {
  it("evaluates request-independent variables once and reads them as literals", () => {
    const set = compile({ "doc.yaml": FOLDING });
    const [level] = rules(set, "level");
    // The engine evaluates a policy's variables together: the folded ones are not among them.
    assert.deepEqual(names(level), ["fromRequest", "mixed", "fromGlobals", "fromClock", "broken"]);
    assert.deepEqual(level?.params?.folded, { double: 6, quadruple: 12 });
    const cond = level?.condition;
    assert.equal(cond?.op, "expr");
    // Only the request is read at run time: the engine evaluates no variable for this rule.
    assert.deepEqual(cond.op === "expr" && cond.expr.program.runtimeReferences, [
      ["R", "attr", "level"],
    ]);
    const [constant] = rules(set, "constant");
    assert.equal(
      constant?.condition?.op === "expr" && constant.condition.expr.program.constant,
      true,
    );
  });

  it("leaves variables that read the request, globals or the clock to the engine", () => {
    const set = compile({ "doc.yaml": FOLDING });
    const [mixed] = rules(set, "mixed");
    // `mixed` reads the folded `quadruple` as a literal.
    const program = mixed?.params?.variables.find((v) => v.name === "mixed")?.expr.program;
    assert.deepEqual(program?.runtimeReferences, [["V", "fromRequest"]]);
  });

  it("leaves a variable that fails to the engine, which reports it per check as before", () => {
    const set = compile({
      "doc.yaml": policy(`  constants:
    local:
      minLevel: 3
  variables:
    local:
      ok: C.minLevel + 1.0
      broken: "[1][C.minLevel] == 1"
      dependent: V.broken || V.ok > 0.0
  rules:
    - actions: ["view"]
      roles: ["user"]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: V.broken || V.dependent
`),
    });
    const [rule] = rules(set, "view");
    assert.deepEqual(names(rule), ["broken", "dependent"]);
    assert.deepEqual(rule?.params?.folded, { ok: 4 });
    // `broken` fails and is left out of V; `dependent` absorbs that error (`||`), and so does
    // the condition.
    const [out] = createEngine(set).check([input("view")]);
    assert.equal(out?.actions["view"]?.effect, "EFFECT_ALLOW");
    assert.deepEqual(out?.evaluationErrors, [
      { celError: { expression: "[1][C.minLevel] == 1", message: "index out of bounds: 3" } },
    ]);
  });

  it("decides as it would evaluating everything per check", () => {
    const engine = createEngine(compile({ "doc.yaml": FOLDING }), { globals: { limit: 1 } });
    const effect = (action: string, attr: Record<string, JsonValue> = {}) =>
      engine.check([input(action, attr)])[0]?.actions[action]?.effect;
    assert.equal(effect("level", { level: 13 }), "EFFECT_ALLOW");
    assert.equal(effect("level", { level: 12 }), "EFFECT_DENY");
    assert.equal(effect("constant"), "EFFECT_ALLOW");
    assert.equal(effect("mixed", { level: 1 }), "EFFECT_ALLOW");
    assert.equal(effect("mixed", { level: -20 }), "EFFECT_DENY");
  });

  it("keeps folded variables for an expression that reads V as a whole", () => {
    const set = compile({
      "doc.yaml": policy(`  variables:
    local:
      a: "1 + 1"
  rules:
    - actions: ["view"]
      roles: ["user"]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: V.a == 2 && dyn(V)["a"] == 2
`),
    });
    const [rule] = rules(set, "view");
    assert.deepEqual(names(rule), ["a"]);
    assert.equal(
      createEngine(set).check([input("view")])[0]?.actions["view"]?.effect,
      "EFFECT_ALLOW",
    );
  });

  it("compiles a shared expression once per distinct constant value", () => {
    const doc = (kind: string, min: number) => `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: ${kind}
  version: default
  constants:
    local:
      min: ${min}
  rules:
    - actions: ["view"]
      roles: ["user"]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: R.attr.n > C.min
`;
    const set = compile({ "a.yaml": doc("a", 1), "b.yaml": doc("b", 5), "c.yaml": doc("c", 1) });
    const programOf = (kind: string) => {
      const c = rules(set, "view", kind)[0]?.condition;
      return c?.op === "expr" ? c.expr.program : undefined;
    };
    assert.equal(programOf("a"), programOf("c"));
    assert.notEqual(programOf("a"), programOf("b"));
    const engine = createEngine(set);
    const effect = (kind: string, n: number) =>
      engine.check([{ ...input("view"), resource: { kind, id: "x", attr: { n } } }])[0]?.actions[
        "view"
      ]?.effect;
    assert.equal(effect("a", 3), "EFFECT_ALLOW");
    assert.equal(effect("b", 3), "EFFECT_DENY");
    assert.equal(effect("c", 3), "EFFECT_ALLOW");
  });
});

describe("conditions that fold", () => {
  const CONDITIONS = policy(`  constants:
    local:
      on: true
      zero: 0
  rules:
    - name: all
      actions: ["all"]
      roles: ["user"]
      effect: EFFECT_ALLOW
      condition:
        match:
          all:
            of:
              - expr: C.on
              - expr: R.attr.ok == true
              - expr: "!C.on"
              - expr: R.attr.never == true
    - name: any
      actions: ["any"]
      roles: ["user"]
      effect: EFFECT_ALLOW
      condition:
        match:
          any:
            of:
              - expr: "!C.on"
              - expr: R.attr.ok == true
              - expr: 1 / C.zero == 1
              - expr: C.on
              - expr: R.attr.never == true
    - name: none
      actions: ["none"]
      roles: ["user"]
      effect: EFFECT_ALLOW
      condition:
        match:
          none:
            of:
              - expr: "!C.on"
              - any:
                  of:
                    - expr: "!C.on"
    - name: never
      actions: ["never"]
      roles: ["user"]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: "!C.on"
      output:
        when:
          conditionNotMet: '"not met"'
`);

  const sources = (c: CompiledCondition | undefined): unknown =>
    c === undefined ? undefined : c.op === "expr" ? c.expr.source : { [c.op]: c.of.map(sources) };

  it("drops constants that decide nothing and what is never evaluated", () => {
    const set = compile({ "doc.yaml": CONDITIONS });
    assert.deepEqual(sources(rules(set, "all")[0]?.condition), {
      all: ["R.attr.ok == true", "!C.on"],
    });
    assert.deepEqual(sources(rules(set, "any")[0]?.condition), {
      any: ["R.attr.ok == true", "1 / C.zero == 1", "C.on"],
    });
    assert.deepEqual(sources(rules(set, "none")[0]?.condition), { none: [] });
    // A condition that is constant stays: the rule exists, and emits its outputs.
    assert.deepEqual(sources(rules(set, "never")[0]?.condition), "!C.on");
  });

  it("evaluates as before, errors and outputs included", () => {
    const engine = createEngine(compile({ "doc.yaml": CONDITIONS }));
    const check = (action: string, attr: Record<string, JsonValue> = {}) => {
      const [out] = engine.check([input(action, attr)]);
      assert.ok(out);
      return out;
    };
    assert.equal(check("all", { ok: true }).actions["all"]?.effect, "EFFECT_DENY");
    const any = check("any", { ok: false });
    assert.equal(any.actions["any"]?.effect, "EFFECT_ALLOW");
    assert.deepEqual(any.evaluationErrors, [
      // A JSON number is a double: int / double has no overload, at load as per check.
      { celError: { expression: "1 / C.zero == 1", message: "no such overload" } },
    ]);
    assert.equal(check("none").actions["none"]?.effect, "EFFECT_ALLOW");
    const never = check("never");
    assert.equal(never.actions["never"]?.effect, "EFFECT_DENY");
    assert.deepEqual(never.outputs, [
      { src: "resource.doc.vdefault#never", action: "never", val: "not met" },
    ]);
  });
});
