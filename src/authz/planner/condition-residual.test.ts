// Expected residuals here were checked against Cerbos 0.55's PlanResources.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatResidual } from "../cel/residual-format.ts";
import { CelTimestamp, type CelValue } from "../cel/value.ts";
import type { CompiledExpression } from "../cel/index.ts";
import type { CompiledCondition, CompiledParams } from "../compile/compiled-policy.ts";
import { VariablesMap } from "../engine/variables-map.ts";
import {
  planCondition,
  type ConditionPlanContext,
  type PlannedDerivedRole,
  type StrictFailure,
} from "./condition-residual.ts";
import { FALSE_NODE, TRUE_NODE, type PlanNode } from "./plan-node.ts";
import type { PlanInput } from "./types.ts";

const input: PlanInput = {
  actions: ["view"],
  principal: {
    id: "u1",
    roles: ["user"],
    scope: "acme",
    attr: {
      tag: "t",
      list: ["a", "b"],
      m: { k: 1, j: [1, 2] },
      m2: { a: ["j"], b: ["k"] },
      figures: {
        "set-1": { colors: ["red"], sizes: ["small"] },
        "set-2": { colors: ["blue", "black"], sizes: ["small", "large"] },
      },
    },
  },
  resource: { kind: "doc", scope: "acme.hr", attr: { known: { z: 1 }, owner: "u1" } },
};

function context(overrides: Partial<ConditionPlanContext> = {}): ConditionPlanContext {
  return {
    input,
    globals: new VariablesMap({ environment: "test" }),
    ctx: { now: () => new CelTimestamp(1700000000, 0) },
    strictEvaluation: false,
    derivedRoles: () => [],
    errors: [],
    ...overrides,
  };
}

const NO_PROGRAM = undefined as unknown as CompiledExpression;

function expr(source: string): CompiledCondition {
  return { op: "expr", expr: { source, program: NO_PROGRAM } };
}

function params(
  constants: Record<string, CelValue> = {},
  variables: Record<string, string> = {},
  folded: Record<string, CelValue> = {},
): CompiledParams {
  return {
    id: 1,
    constants,
    variables: Object.entries(variables).map(([name, source]) => ({
      name,
      expr: { source, program: NO_PROGRAM },
    })),
    folded,
  };
}

function show(node: PlanNode | StrictFailure): string {
  if ("failure" in node) return `failure: ${node.failure}`;
  if (node.kind === "expr") return formatResidual(node.expr);
  return `${node.kind}(${node.nodes.map(show).join(", ")})`;
}

function plan(
  condition: CompiledCondition | string,
  p?: CompiledParams,
  ctx: ConditionPlanContext = context(),
): string {
  return show(planCondition(typeof condition === "string" ? expr(condition) : condition, p, ctx));
}

describe("planCondition", () => {
  it("plans no condition as true", () => {
    assert.equal(planCondition(undefined, undefined, context()), TRUE_NODE);
  });

  it("writes R and P out in the residual", () => {
    assert.equal(
      plan('R.attr.status == P.attr.tag && R.id != ""'),
      '((request.resource.attr.status == "t") && (request.resource.id != ""))',
    );
    assert.equal(
      plan('(R.attr.y == 1 ? P.attr.tag : "z") == "t"'),
      '(((request.resource.attr.y == 1) ? request.principal.attr.tag : "z") == "t")',
    );
  });

  it("knows the attributes the request supplied, the kind and the scopes", () => {
    assert.equal(plan("R.attr.owner == P.id"), "true");
    assert.equal(plan('R.kind == "doc" && R.scope == "acme.hr" && P.scope == "acme"'), "true");
    assert.equal(plan("R.attr.known.z == 1 && R.attr.y"), "request.resource.attr.y");
    assert.equal(plan('R.policyVersion == "x"'), '(request.resource.policyVersion == "x")');
  });

  it("reads constants and globals", () => {
    assert.equal(
      plan("C.c == R.attr.y && G.environment == R.attr.env", params({ c: 3 })),
      '((3 == request.resource.attr.y) && ("test" == request.resource.attr.env))',
    );
  });

  it("folds all, any and none the way Cerbos does", () => {
    const of = (op: "all" | "any" | "none", ...sources: string[]): CompiledCondition => ({
      op,
      of: sources.map(expr),
    });
    assert.equal(planCondition(of("any", "R.attr.a", "true"), undefined, context()), TRUE_NODE);
    assert.equal(planCondition(of("all", "R.attr.a", "false"), undefined, context()), FALSE_NODE);
    assert.equal(planCondition(of("none", "R.attr.a", "true"), undefined, context()), FALSE_NODE);
    assert.equal(plan(of("any", "false", "R.attr.a")), "request.resource.attr.a");
    assert.equal(
      plan(of("all", "true", "R.attr.a", "R.attr.b")),
      "and(request.resource.attr.a, request.resource.attr.b)",
    );
    assert.equal(
      plan(of("any", "R.attr.a", "R.attr.b")),
      "or(request.resource.attr.a, request.resource.attr.b)",
    );
    assert.equal(plan(of("none", "false", "R.attr.a")), "not(request.resource.attr.a)");
    assert.equal(
      plan(of("none", "R.attr.a", "R.attr.b")),
      "and(not(request.resource.attr.a), not(request.resource.attr.b))",
    );
    assert.equal(planCondition(of("any", "false"), undefined, context()), FALSE_NODE);
    assert.equal(planCondition(of("all"), undefined, context()), TRUE_NODE);
  });

  it("inlines variables, folded or not", () => {
    const p = params(
      { one: 1 },
      {
        is_owner: "V.resource_owner == variables.principal_id",
        principal_id: "request.principal.id",
        resource_owner: "R.attr.owner2",
      },
      { limit: 10 },
    );
    // definition order here is dependency order
    const ordered = params(
      { one: 1 },
      {
        principal_id: "request.principal.id",
        resource_owner: "R.attr.owner2",
        is_owner: "V.resource_owner == variables.principal_id",
      },
      { limit: 10 },
    );
    assert.equal(plan("V.is_owner", ordered), '(request.resource.attr.owner2 == "u1")');
    assert.equal(plan("R.attr.n < V.limit + C.one", p), "(request.resource.attr.n < 11)");
  });

  it("replaces runtime.effectiveDerivedRoles by the derived roles' planned conditions", () => {
    const roles: PlannedDerivedRole[] = [
      { name: "one", node: TRUE_NODE },
      {
        name: "three",
        node: {
          kind: "and",
          nodes: [
            {
              kind: "expr",
              expr: {
                kind: "select",
                id: 0,
                offset: 0,
                operand: { kind: "ident", id: 0, offset: 0, name: "R" },
                field: "three",
                testOnly: false,
                optional: false,
              },
            },
            { kind: "not", nodes: [FALSE_NODE] },
          ],
        },
      },
      { name: "two", node: TRUE_NODE },
    ];
    const ctx = context({ derivedRoles: () => roles });
    assert.equal(
      plan('runtime.effectiveDerivedRoles == ["one", "three", "two"]', undefined, ctx),
      '((["one"] + ((request.resource.three ? ["three"] : []) + ["two"])) == ["one", "three", "two"])',
    );
    assert.equal(
      plan('"one" in runtime.effective_derived_roles', undefined, ctx),
      '("one" in (["one"] + ((request.resource.three ? ["three"] : []) + ["two"])))',
    );
    const none = context({ derivedRoles: () => [] });
    assert.equal(plan("runtime.effectiveDerivedRoles == []", undefined, none), "true");
    const failing = context({ derivedRoles: () => ({ failure: "boom" }) });
    assert.equal(
      plan("size(runtime.effectiveDerivedRoles) > 0", undefined, failing),
      "failure: boom",
    );
  });

  it("compares against a known map indexed by an unknown key entry by entry", () => {
    assert.equal(plan("P.attr.m[R.attr.y] == 1"), '(request.resource.attr.y == "k")');
    assert.equal(
      plan("P.attr.m[R.attr.y] < 5"),
      '((request.resource.attr.y == "j") && (5 < [1, 2]))',
    );
    assert.equal(plan('"j" in P.attr.m2[R.attr.y]'), '(request.resource.attr.y == "a")');
  });

  it("expands exists and all over a known range into one term per element", () => {
    assert.equal(
      plan("[1, 2, 3].exists(x, x == R.attr.y)"),
      "((1 == request.resource.attr.y) || ((2 == request.resource.attr.y) || (3 == request.resource.attr.y)))",
    );
    assert.equal(
      plan('P.attr.figures.exists(k, v, R.attr.color in v["colors"] && R.attr.size in v["sizes"])'),
      '(((request.resource.attr.color in ["red"]) && (request.resource.attr.size in ["small"])) || ((request.resource.attr.color in ["blue", "black"]) && (request.resource.attr.size in ["small", "large"])))',
    );
    assert.equal(plan('{"a": 1}.exists(k, v, v == R.attr.y)'), "(1 == request.resource.attr.y)");
  });

  it("evaluates comprehension bodies with their variables unknown", () => {
    assert.equal(
      plan("R.attr.tags.exists(t, t == P.attr.tag)"),
      'compr(t, request.resource.attr.tags, false, @not_strictly_false(!@result), (@result || (t == "t")), @result)',
    );
    assert.equal(
      plan("R.attr.deps.all(k, v, k != v && v != P.attr.tag)"),
      'compr(k, v, request.resource.attr.deps, true, @not_strictly_false(@result), (@result && ((k != v) && (v != "t"))), @result)',
    );
    assert.equal(
      plan("R.attr.y.map(t, t + P.attr.m.k)"),
      "compr(t, request.resource.attr.y, [], true, @listAppend(@result, (t + 1)), @result)",
    );
  });

  it("plans a failing condition as false and reports the error", () => {
    const ctx = context();
    assert.equal(plan("P.attr.missing == R.attr.y", undefined, ctx), "false");
    assert.deepEqual(
      ctx.errors.map((e) => e.celError.message),
      ["no such key: missing"],
    );
    assert.equal(plan("R.attr.known + 1 == R.attr.y"), "false");
    // non-boolean values count as false
    assert.equal(plan("R.attr.known"), "false");
  });

  it("fails under strict evaluation", () => {
    const node = planCondition(
      expr("P.attr.missing == R.attr.y"),
      undefined,
      context({ strictEvaluation: true }),
    );
    assert.ok("failure" in node && node.requestFailed === undefined);
  });

  it("fails the request where Cerbos's planner does", () => {
    const failed = (source: string): boolean => {
      const node = planCondition(expr(source), undefined, context());
      return "failure" in node && node.requestFailed === true;
    };
    // an error in a comprehension body evaluated with its variable unknown
    assert.ok(failed("R.attr.y.all(t, t == P.attr.missing)"));
    // optionals left in the residual
    assert.ok(failed("R.attr.y.?z.orValue(1) == 1"));
    // exists over a known range whose body holds a comprehension
    assert.ok(failed("P.attr.list.exists(x, R.attr.y.exists(z, z == x))"));
    assert.ok(!failed("R.attr.y.?z.orValue(1) == 1 || true"));
  });

  it("writes math.greatest and math.least as cel-go's macros expand them", () => {
    assert.equal(
      plan("math.greatest(R.attr.y, P.attr.m.k) == 1"),
      "(math.@max(request.resource.attr.y, 1) == 1)",
    );
    // such residuals evaluate again when a derived role's condition is inlined
    const node = planCondition(expr("math.least(R.attr.y, 2) == 1"), undefined, context());
    assert.ok(!("failure" in node));
    const ctx = context({ derivedRoles: () => [{ name: "low", node }] });
    assert.equal(
      plan('"low" in runtime.effectiveDerivedRoles', undefined, ctx),
      '("low" in ((math.@min(request.resource.attr.y, 2) == 1) ? ["low"] : []))',
    );
  });

  it("reads has() of a variable as the variable, as Cerbos's substitution does", () => {
    assert.equal(
      plan("has(V.flag) && R.attr.y", params({}, {}, { flag: true })),
      "request.resource.attr.y",
    );
  });
});
