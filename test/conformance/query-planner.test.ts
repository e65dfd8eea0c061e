// Conformance: Cerbos's query planner suites (testdata/query_planner/suite) planned against
// testdata/query_planner/policies. As Cerbos's own harness does, every request carries a JWT
// claim `customInt: 42`, the engine has the global `environment: "test"`, the clock is fixed at
// 2024-01-16T10:18:27.395+13:00, and filters are
// compared after sorting the operands of commutative operators (and, or, eq, ne, add, mult),
// whose order Cerbos does not fix. Suites under `common/` run with strict and with lenient
// scope search; the others with the search their folder names.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { parse } from "yaml";
import { compilePolicySet, createEngine, type Engine } from "../../src/authz/index.ts";
import type { Principal } from "../../src/authz/engine/types.ts";
import type { PlanFilter, PlanOperand, PlanResource } from "../../src/authz/planner/types.ts";
import { readPolicyRepository } from "../../src/store/disk/index.ts";
import { testdata } from "../support/reference.ts";

interface PlannerTest {
  readonly action?: string;
  readonly actions?: readonly string[];
  readonly resource: PlanResource;
  readonly want: PlanFilter;
  readonly wantErr?: boolean;
}

interface PlannerSuite {
  readonly description: string;
  readonly principal: Principal;
  readonly tests: readonly PlannerTest[];
}

/** Cases known to differ, by `suite file/kind/actions`, with the reason. */
const SKIPS: ReadonlyMap<string, string> = new Map<string, string>([]);

/** The fixed clock of Cerbos's planner tests (basics.yaml's `now-once` rule compares with it). */
const NOW = Date.parse("2024-01-16T10:18:27.395+13:00");

const COMMUTATIVE = new Set(["and", "or", "eq", "ne", "add", "mult"]);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function stabilise(o: PlanOperand): Json {
  if ("expression" in o) {
    // Cerbos's YAML and JSON leave out an empty operand list.
    let operands = (o.expression.operands ?? []).map(stabilise);
    if (o.expression.operator === "struct")
      operands = [...operands].sort((a, b) => (structKey(a) < structKey(b) ? -1 : 1));
    if (COMMUTATIVE.has(o.expression.operator))
      operands = [...operands].sort((a, b) =>
        JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0,
      );
    return { expression: { operator: o.expression.operator, operands } };
  }
  return JSON.parse(JSON.stringify(o)) as Json;
}

function structKey(j: Json): string {
  const e = (j as { expression?: { operands?: { value?: unknown }[] } }).expression;
  const v = e?.operands?.[0]?.value;
  return typeof v === "string" ? v : "";
}

function stabiliseFilter(f: PlanFilter): Json {
  return f.kind === "KIND_CONDITIONAL"
    ? { kind: f.kind, condition: stabilise(f.condition) }
    : { kind: f.kind };
}

function suiteFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => /\.ya?ml$/u.test(n))
    .sort()
    .map((n) => join(dir, n));
}

const root = testdata("query_planner");
const folders: readonly { folder: string; lenient: readonly boolean[] }[] = [
  { folder: "common", lenient: [false, true] },
  { folder: "lenient_scope_search", lenient: [true] },
  { folder: "strict_scope_search", lenient: [false] },
];

describe("query planner conformance (testdata/query_planner)", () => {
  const engines = new Map<boolean, Engine>();
  before(async () => {
    const repo = await readPolicyRepository(join(root, "policies"));
    const { policySet, diagnostics } = compilePolicySet({
      policies: repo.policies,
      schemas: repo.schemas,
    });
    assert.ok(policySet, JSON.stringify(diagnostics));
    for (const lenient of [false, true])
      engines.set(
        lenient,
        createEngine(policySet, {
          lenientScopeSearch: lenient,
          globals: { environment: "test" },
        }),
      );
  });

  for (const { folder, lenient: modes } of folders) {
    for (const file of suiteFiles(join(root, "suite", folder))) {
      const suite = parse(readFileSync(file, "utf8"), { merge: true }) as PlannerSuite;
      const name = `${folder}/${file.slice(file.lastIndexOf("/") + 1)}`;
      for (const lenient of modes) {
        describe(`${name}${modes.length > 1 ? (lenient ? " (lenient)" : " (strict)") : ""}`, () => {
          for (const t of suite.tests) {
            const actions = t.action ? [t.action] : [...(t.actions ?? [])];
            const id = `${name}/${t.resource.kind}/${actions.join(",")}`;
            const skip = SKIPS.get(id);
            it(`${t.resource.kind}/${actions.join(", ")}`, skip ? { skip } : {}, () => {
              const engine = engines.get(lenient) as Engine;
              const run = () =>
                engine.plan(
                  {
                    requestId: "requestId",
                    principal: suite.principal,
                    resource: t.resource,
                    actions,
                    auxData: { jwt: { customInt: 42 } },
                  },
                  { now: () => NOW },
                );
              if (t.wantErr) {
                assert.throws(run);
                return;
              }
              const out = run();
              assert.deepEqual(
                stabiliseFilter(out.filter),
                stabiliseFilter(t.want),
                out.filterDebug,
              );
            });
          }
        });
      }
    }
  }
});
