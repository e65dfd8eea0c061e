// Conformance: Cerbos's engine cases (testdata/engine, engine_lenient_scope_search,
// engine_strict_scope_search, engine_schema_enforcement) checked against testdata/store.
// Decision logs are not compared (auditing belongs to the server). Outputs are compared as a
// multiset because Cerbos visits actions in map order, so their order is not stable there.

import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { compilePolicySet, createEngine, type EngineOptions } from "../../src/authz/index.ts";
import type { CheckInput, CheckOutput } from "../../src/authz/engine/types.ts";
import { testdata } from "../support/reference.ts";

interface EngineCase {
  readonly description: string;
  readonly inputs: readonly CheckInput[];
  readonly wantOutputs: readonly Record<string, unknown>[];
}

/** Cerbos's rules for a policy directory: hidden entries, `testdata`, `_schemas` and test suites are not policies. */
function readStore(root: string): {
  policies: { file: string; text: string }[];
  schemas: { ref: string; text: string }[];
} {
  const policies: { file: string; text: string }[] = [];
  const schemas: { ref: string; text: string }[] = [];
  const walk = (dir: string, inSchemas: boolean): void => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith(".")) continue;
      const full = join(dir, name);
      const rel = relative(root, full).split("\\").join("/");
      if (statSync(full).isDirectory()) {
        if (name === "testdata") continue;
        walk(full, inSchemas || (dir === root && name === "_schemas"));
        continue;
      }
      if (inSchemas) {
        if (name.endsWith(".json"))
          schemas.push({
            ref: `cerbos:///${rel.slice("_schemas/".length)}`,
            text: readFileSync(full, "utf8"),
          });
        continue;
      }
      if (!/\.(ya?ml|json)$/u.test(name) || /_test\.(ya?ml|json)$/u.test(name)) continue;
      policies.push({ file: rel, text: readFileSync(full, "utf8") });
    }
  };
  walk(root, false);
  return { policies, schemas };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Puts an output in a canonical shape: proto3 defaults dropped, unordered lists sorted. */
function normalize(out: Record<string, unknown>): Json {
  const o = JSON.parse(JSON.stringify(out)) as Record<string, Json>;
  delete o["requestId"];
  delete o["explanation"];
  if (o["effective_derived_roles"] !== undefined) {
    o["effectiveDerivedRoles"] = o["effective_derived_roles"];
    delete o["effective_derived_roles"];
  }
  const sortJson = (list: Json[]): Json[] =>
    [...list].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  if (Array.isArray(o["effectiveDerivedRoles"]))
    o["effectiveDerivedRoles"] = sortJson(o["effectiveDerivedRoles"]);
  if (Array.isArray(o["outputs"])) {
    o["outputs"] = sortJson(
      o["outputs"].map((e) => {
        const entry = { ...(e as Record<string, Json>) };
        if (entry["error"] !== undefined && entry["val"] === null) delete entry["val"];
        return entry;
      }),
    );
  }
  if (Array.isArray(o["validationErrors"])) o["validationErrors"] = sortJson(o["validationErrors"]);
  for (const k of ["effectiveDerivedRoles", "outputs", "evaluationErrors", "validationErrors"]) {
    if (Array.isArray(o[k]) && o[k].length === 0) delete o[k];
  }
  const actions = o["actions"] as Record<string, Record<string, Json>> | undefined;
  for (const a of Object.values(actions ?? {})) if (a["scope"] === "") delete a["scope"];
  return o;
}

/** Cases that cannot pass yet, with the reason. */
const SKIPS: Readonly<Record<string, string>> = {};

const FIXED_NOW = Date.parse("2024-01-01T00:00:00Z");

function runSuite(title: string, caseDir: string, storeDir: string, options: EngineOptions): void {
  describe(title, () => {
    const store = readStore(storeDir);
    const { policySet, diagnostics } = compilePolicySet(store);
    it("compiles the store", () => {
      assert.deepEqual(diagnostics, []);
      assert.ok(policySet);
    });
    if (!policySet) return;
    const engine = createEngine(policySet, options);
    const files = readdirSync(caseDir)
      .filter((f) => f.endsWith(".yaml"))
      .sort();
    for (const f of files) {
      const tc = parse(readFileSync(join(caseDir, f), "utf8")) as EngineCase;
      const skip = SKIPS[`${title}/${f}`];
      it(`${f}: ${tc.description}`, skip ? { skip } : {}, () => {
        // With explanations the engine takes its general loop; without, checks no principal
        // policy applies to take the shorter one: both must answer as Cerbos does.
        for (const explain of [false, true]) {
          const have = engine.check(tc.inputs, { now: () => FIXED_NOW, explain });
          assert.equal(have.length, tc.wantOutputs.length);
          have.forEach((h: CheckOutput, i) => {
            assert.deepEqual(
              normalize(h as unknown as Record<string, unknown>),
              normalize(tc.wantOutputs[i] as Record<string, unknown>),
              `explain: ${explain}`,
            );
          });
        }
      });
    }
  });
}

const globals = { environment: "test", my_map: { foo: ["a", "b"] } };
const store = testdata("store");
runSuite("engine", testdata("engine"), store, { globals });
runSuite("engine_lenient_scope_search", testdata("engine_lenient_scope_search"), store, {
  globals,
  lenientScopeSearch: true,
});
runSuite("engine_strict_scope_search", testdata("engine_strict_scope_search"), store, {
  globals,
  lenientScopeSearch: false,
});
runSuite("engine_schema_enforcement/warn", testdata("engine_schema_enforcement", "warn"), store, {
  globals,
  schemaEnforcement: "warn",
});
runSuite(
  "engine_schema_enforcement/reject",
  testdata("engine_schema_enforcement", "reject"),
  store,
  { globals, schemaEnforcement: "reject" },
);
