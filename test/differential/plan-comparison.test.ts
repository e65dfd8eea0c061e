// The plan differential's own machinery, without servers: how answers are put side by side,
// categorised and matched against the known divergences. A comparison that called every pair
// equal (or none) would make the differential test prove nothing.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PlanOutput } from "../../src/authz/planner/types.ts";
import { cerbosAnswer, comparePlans, gatehouseAnswer } from "./plan-comparison.ts";
import { knownPlanReason } from "./plan-known-divergences.ts";
import type { PlanCase } from "./plan-workload.ts";

const eq = (variable: string, value: unknown): unknown => ({
  expression: { operator: "eq", operands: [{ variable }, { value }] },
});

function ours(filter: PlanOutput["filter"], filterDebug: string): PlanOutput {
  return {
    kind: "doc",
    policyVersion: "default",
    scope: "",
    actions: ["view"],
    filter,
    filterDebug,
    matchedScopes: { view: "" },
  };
}

const theirs = (filter: unknown, filterDebug: string): ReturnType<typeof cerbosAnswer> =>
  cerbosAnswer(200, { filter, meta: { filterDebug, matchedScopes: { view: "" } } });

const aCase = (attr: Record<string, unknown> = {}): PlanCase =>
  ({
    id: "x",
    label: "x",
    input: {
      actions: ["view"],
      principal: { id: "p", roles: ["user"], attr },
      resource: { kind: "doc" },
    },
  }) as PlanCase;

describe("plan comparison", () => {
  it("finds equal plans equal, whatever the key order", () => {
    const c = theirs(
      { kind: "KIND_CONDITIONAL", condition: eq("request.resource.attr.a", 1) },
      "(eq request.resource.attr.a 1)",
    );
    const g = gatehouseAnswer(() =>
      ours(
        {
          kind: "KIND_CONDITIONAL",
          condition: {
            expression: {
              operands: [{ variable: "request.resource.attr.a" }, { value: 1 }],
              operator: "eq",
            },
          },
        },
        "(eq request.resource.attr.a 1)",
      ),
    );
    assert.equal(comparePlans(c, g), undefined);
  });

  it("reads an expression without operands (protojson drops the empty list) as operands: []", () => {
    const c = theirs(
      { kind: "KIND_CONDITIONAL", condition: { expression: { operator: "struct" } } },
      "(struct )",
    );
    const g = gatehouseAnswer(() =>
      ours(
        {
          kind: "KIND_CONDITIONAL",
          condition: { expression: { operator: "struct", operands: [] } },
        },
        "(struct )",
      ),
    );
    assert.equal(comparePlans(c, g), undefined);
  });

  it("names the first difference of two condition trees", () => {
    const c = theirs(
      { kind: "KIND_CONDITIONAL", condition: eq("request.resource.attr.a", 1) },
      "(eq request.resource.attr.a 1)",
    );
    const g = gatehouseAnswer(() =>
      ours(
        {
          kind: "KIND_CONDITIONAL",
          condition: eq("request.resource.attr.a", "1") as never,
        },
        '(eq request.resource.attr.a "1")',
      ),
    );
    const d = comparePlans(c, g);
    assert.ok(d);
    assert.deepEqual(d.fields, ["filter.condition", "filterDebug"]);
    assert.equal(d.category, "condition value type: cerbos value:number vs gatehouse value:string");
    assert.match(d.detail, /first difference at eq\[1\]/u);
  });

  it("reports a different filter kind, an exception and a refusal", () => {
    const allowed = theirs({ kind: "KIND_ALWAYS_ALLOWED" }, "(true)");
    const denied = gatehouseAnswer(() => ours({ kind: "KIND_ALWAYS_DENIED" }, "(false)"));
    assert.equal(
      comparePlans(allowed, denied)?.category,
      "filter kind: cerbos ALWAYS_ALLOWED vs gatehouse ALWAYS_DENIED",
    );
    const thrown = gatehouseAnswer(() => {
      throw new Error("no such overload `foo`");
    });
    assert.equal(comparePlans(allowed, thrown)?.category, "gatehouse throws no such overload `…`");
    const refused = cerbosAnswer(500, { message: "Resources query plan request failed" });
    assert.equal(comparePlans(refused, thrown), undefined, "both failing counts as agreeing");
    assert.match(comparePlans(refused, denied)?.category ?? "", /^cerbos refuses/u);
  });
});

describe("known plan divergences", () => {
  const struct = (...fields: [string, unknown][]): unknown => ({
    expression: {
      operator: "struct",
      operands: fields.map(([k, v]) => ({
        expression: { operator: "set-field", operands: [{ value: k }, { value: v }] },
      })),
    },
  });
  const getField = (s: unknown): PlanOutput["filter"] => ({
    kind: "KIND_CONDITIONAL",
    condition: {
      expression: { operator: "get-field", operands: [s as never, { variable: "x" }] },
    },
  });

  it("recognises struct fields in another order, and only that", () => {
    const c = theirs(
      getField(struct(["b", 2], ["a", 1])),
      '(get-field (struct (set-field "b" 2) (set-field "a" 1)) x)',
    );
    const g = gatehouseAnswer(() =>
      ours(
        getField(struct(["a", 1], ["b", 2])),
        '(get-field (struct (set-field "a" 1) (set-field "b" 2)) x)',
      ),
    );
    const difference = comparePlans(c, g);
    assert.ok(difference);
    assert.match(
      knownPlanReason({ case: aCase(), cerbos: c, gatehouse: g, difference }) ?? "",
      /struct/u,
    );
    const other = gatehouseAnswer(() =>
      ours(
        getField(struct(["a", 1], ["b", 3])),
        '(get-field (struct (set-field "a" 1) (set-field "b" 3)) x)',
      ),
    );
    const d2 = comparePlans(c, other);
    assert.ok(d2);
    assert.equal(
      knownPlanReason({ case: aCase(), cerbos: c, gatehouse: other, difference: d2 }),
      undefined,
    );
  });

  it("recognises timestamps of now() a few milliseconds apart, not other timestamps", () => {
    const at = (iso: string): PlanOutput["filter"] => ({
      kind: "KIND_CONDITIONAL",
      condition: eq("request.resource.attr.t", iso) as never,
    });
    const t = Date.now();
    const cerbosNow = new Date(t).toISOString().replace("Z", "123456Z");
    const gatehouseNow = new Date(t + 3).toISOString();
    const c = theirs(at(cerbosNow), `(eq request.resource.attr.t "${cerbosNow}")`);
    const g = gatehouseAnswer(() =>
      ours(at(gatehouseNow), `(eq request.resource.attr.t "${gatehouseNow}")`),
    );
    const difference = comparePlans(c, g);
    assert.ok(difference);
    assert.match(
      knownPlanReason({ case: aCase(), cerbos: c, gatehouse: g, difference }) ?? "",
      /now\(\)/u,
    );
    const old = "2020-01-01T00:00:00Z";
    const g2 = gatehouseAnswer(() => ours(at(old), `(eq request.resource.attr.t "${old}")`));
    const d2 = comparePlans(c, g2);
    assert.ok(d2);
    assert.equal(
      knownPlanReason({ case: aCase(), cerbos: c, gatehouse: g2, difference: d2 }),
      undefined,
    );
  });

  it("recognises the unfixed list-function divergence only where such a call differs", () => {
    const call = (operator: string): PlanOutput["filter"] => ({
      kind: "KIND_CONDITIONAL",
      condition: {
        expression: {
          operator,
          operands: [
            { variable: "request.resource.attr.labels" },
            {
              expression: {
                operator: "get-field",
                operands: [
                  { expression: { operator: "struct", operands: [] } },
                  { variable: "tags" },
                ],
              },
            },
          ],
        },
      },
    });
    const denied = gatehouseAnswer(() => ours({ kind: "KIND_ALWAYS_DENIED" }, "(false)"));
    const c = theirs(
      call("isSubset"),
      "(isSubset request.resource.attr.labels (get-field (struct ) tags))",
    );
    const d = comparePlans(c, denied);
    assert.ok(d);
    assert.match(
      knownPlanReason({ case: aCase(), cerbos: c, gatehouse: denied, difference: d }) ?? "",
      /Gatehouse differs here/u,
    );
    const other = theirs(
      call("startsWith"),
      "(startsWith request.resource.attr.labels (get-field (struct ) tags))",
    );
    const d2 = comparePlans(other, denied);
    assert.ok(d2);
    assert.equal(
      knownPlanReason({ case: aCase(), cerbos: other, gatehouse: denied, difference: d2 }),
      undefined,
    );
  });
});
