// Conformance: Cerbos's schema cases (testdata/schema/test_cases) against the schemas in
// testdata/schema/fs/_schemas: attribute validation errors must carry Cerbos's paths, messages
// and sources, and schemas that cannot be loaded must say why in Cerbos's words.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import {
  createSchemaRegistry,
  validateAttributes,
  type SchemaSource,
} from "../../src/authz/schema/index.ts";
import type { ValidationError } from "../../src/authz/engine/types.ts";
import { testdata } from "../support/reference.ts";

interface SchemaRefCase {
  readonly ref: string;
  readonly ignoreWhen?: { readonly actions: readonly string[] };
}

interface Input {
  readonly actions?: readonly string[];
  readonly action?: string;
  readonly principal: { readonly attr?: Record<string, unknown> };
  readonly resource: { readonly attr?: Record<string, unknown> };
}

interface SchemaCase {
  readonly description: string;
  readonly schemaRefs: {
    readonly principalSchema?: SchemaRefCase;
    readonly resourceSchema?: SchemaRefCase;
  };
  readonly checkInput?: Input;
  readonly planResourcesInput?: Input;
  readonly wantValidationErrors?: readonly {
    readonly path?: string;
    readonly message: string;
    readonly source: string;
  }[];
}

function schemaSources(dir: string): SchemaSource[] {
  const out: SchemaSource[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else
        out.push({
          ref: `cerbos:///${relative(dir, p).split("\\").join("/")}`,
          text: readFileSync(p, "utf8"),
        });
    }
  };
  walk(dir);
  return out;
}

/** Action globs as Cerbos matches them: `*` within a `:`-separated segment, a lone `*` everything. */
const globMatches = (glob: string, action: string): boolean =>
  glob === "*" ||
  new RegExp(
    `^${glob
      .split("*")
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/gu, "\\$&"))
      .join("[^:]*")}$`,
    "u",
  ).test(action);

const ignored = (ref: SchemaRefCase, actions: readonly string[]): boolean => {
  const globs = ref.ignoreWhen?.actions ?? [];
  return globs.length > 0 && actions.every((a) => globs.some((g) => globMatches(g, a)));
};

const key = (e: { path?: string; message: string; source: string }): string =>
  JSON.stringify([e.source, e.path ?? "", e.message]);

const { registry } = createSchemaRegistry(schemaSources(testdata("schema", "fs", "_schemas")));
const dir = testdata("schema", "test_cases");

describe("schema conformance", () => {
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith(".yaml"))
    .sort()) {
    const tc = parse(readFileSync(join(dir, f), "utf8")) as SchemaCase;
    it(`${f}: ${tc.description}`, () => {
      const plan = tc.planResourcesInput !== undefined;
      const input = (tc.checkInput ?? tc.planResourcesInput) as Input;
      const actions = input.actions ?? (input.action !== undefined ? [input.action] : []);
      const got: ValidationError[] = [];
      const { principalSchema, resourceSchema } = tc.schemaRefs;
      if (principalSchema && !ignored(principalSchema, actions)) {
        got.push(
          ...(validateAttributes(
            registry,
            principalSchema.ref,
            input.principal.attr ?? {},
            "SOURCE_PRINCIPAL",
          ) ?? []),
        );
      }
      if (resourceSchema && !ignored(resourceSchema, actions)) {
        got.push(
          ...(validateAttributes(
            registry,
            resourceSchema.ref,
            input.resource.attr ?? {},
            "SOURCE_RESOURCE",
            { ignoreRequired: plan },
          ) ?? []),
        );
      }
      // santhosh-tekuri walks properties in Go map order, so Cerbos's order is not stable.
      assert.deepEqual(got.map(key).sort(), (tc.wantValidationErrors ?? []).map(key).sort());
    });
  }
});
