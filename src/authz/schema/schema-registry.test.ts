// Schema registry: loading (missing, broken and cross-referencing schemas) and the wording of
// attribute validation errors, which follows santhosh-tekuri/jsonschema v5 as Cerbos uses it.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createSchemaRegistry, schemaLoadError, validateAttributes } from "./schema-registry.ts";

const schema = (body: object): string =>
  JSON.stringify({ $schema: "https://json-schema.org/draft/2020-12/schema", ...body });

const { registry } = createSchemaRegistry([
  {
    ref: "cerbos:///principal.json",
    text: schema({
      type: "object",
      required: ["department", "team"],
      additionalProperties: false,
      properties: {
        department: { enum: ["marketing", "engineering"] },
        team: { type: "string", minLength: 3, maxLength: 5, pattern: "^[a-z]+$" },
        age: { type: "integer", minimum: 18, exclusiveMaximum: 100, multipleOf: 2 },
        tags: {
          type: "array",
          minItems: 1,
          maxItems: 2,
          uniqueItems: true,
          items: { type: "string" },
        },
        email: { type: "string", format: "email" },
        address: { $ref: "address.json" },
        kind: { const: "x" },
      },
    }),
  },
  {
    ref: "cerbos:///address.json",
    text: schema({ type: "object", required: ["city"], properties: { city: { type: "string" } } }),
  },
  {
    ref: "cerbos:///broken_ref.json",
    text: schema({ properties: { a: { $ref: "cerbos:///nowhere.json" } } }),
  },
  { ref: "cerbos:///not_a_schema.json", text: '"this": "is not a schema"' },
]);

const validate = (attrs: unknown): string[] =>
  (validateAttributes(registry, "cerbos:///principal.json", attrs, "SOURCE_PRINCIPAL") ?? []).map(
    (e) => `${e.path} ${e.message}`,
  );

describe("attribute validation messages", () => {
  test("valid attributes", () =>
    assert.deepEqual(
      validate({ department: "marketing", team: "abc", address: { city: "x" } }),
      [],
    ));

  test("required and additional properties are reported once per object", () => {
    assert.deepEqual(validate({ x: 1, y: 2 }).sort(), [
      "/ additionalProperties 'x', 'y' not allowed",
      "/ missing properties: 'department', 'team'",
    ]);
  });

  // As in santhosh-tekuri, a value of the wrong type gets only the type error (`age`).
  test("keyword messages", () => {
    assert.deepEqual(
      validate({
        department: "sales",
        team: "AB",
        age: 17.5,
        tags: ["a", "a", "b"],
        email: "nope",
        address: { city: 3 },
        kind: "y",
      }).sort(),
      [
        "/address/city expected string, but got number",
        "/age expected integer, but got number",
        '/department value must be one of "marketing", "engineering"',
        "/email 'nope' is not valid 'email'",
        '/kind value must be "x"',
        "/tags items at index 0 and 1 are equal",
        "/tags maximum 2 items required, but found 3 items",
        "/team does not match pattern '^[a-z]+$'",
        "/team length must be >= 3, but got 2",
      ].sort(),
    );
    assert.deepEqual(
      validate({ department: "marketing", team: "abc", age: 101 }).sort(),
      ["/age must be < 100 but found 101", "/age 101 not multipleOf 2"].sort(),
    );
  });

  test("the source is kept", () => {
    const [e] = validateAttributes(registry, "cerbos:///address.json", {}, "SOURCE_RESOURCE") ?? [];
    assert.deepEqual(e, {
      path: "/",
      message: "missing properties: 'city'",
      source: "SOURCE_RESOURCE",
    });
  });

  test("planning ignores required properties", () => {
    assert.deepEqual(
      validateAttributes(registry, "cerbos:///address.json", {}, "SOURCE_RESOURCE", {
        ignoreRequired: true,
      }),
      [],
    );
  });
});

// Checked against the cerbos 0.55 server (schema.enforcement: warn) with the same schema.
test("applicator keywords report their causes, as santhosh-tekuri's leaf errors", () => {
  const { registry: reg } = createSchemaRegistry([
    {
      ref: "cerbos:///p.json",
      text: schema({
        properties: {
          num: { enum: [1, 2] },
          any: { anyOf: [{ type: "string" }, { type: "number" }] },
          oneof: { oneOf: [{ type: "number" }, { type: "integer" }] },
          not: { not: { type: "string" } },
          deps: { type: "object", dependentRequired: { a: ["b"] }, minProperties: 2 },
          nope: false,
          ifthen: { if: { type: "string" }, then: { minLength: 2 }, else: { type: "number" } },
          contains: { type: "array", contains: { type: "number" } },
          unev: { type: "object", properties: { a: {} }, unevaluatedProperties: false },
        },
      }),
    },
  ]);
  const errors = (attrs: unknown): string[] =>
    (validateAttributes(reg, "cerbos:///p.json", attrs, "SOURCE_PRINCIPAL") ?? [])
      .map((e) => `${e.path} ${e.message}`)
      .sort();
  assert.deepEqual(errors({ num: 3, any: true, oneof: 2, not: "s", deps: { a: 1 }, nope: 1 }), [
    "/any expected number, but got boolean",
    "/any expected string, but got boolean",
    "/deps minimum 2 properties allowed, but found 1 properties",
    "/deps property 'b' is required, if 'a' property exists",
    "/nope not allowed",
    "/not not failed",
    '/num value must be one of "1", "2"',
    "/oneof valid against schemas at indexes 0 and 1",
  ]);
  assert.deepEqual(errors({ ifthen: "a", contains: ["x"], unev: { a: 1, b: 2 } }), [
    "/contains/0 expected number, but got string",
    "/ifthen length must be >= 2, but got 1",
    "/unev/b not allowed",
  ]);
  assert.deepEqual(errors({ ifthen: true }), ["/ifthen expected number, but got boolean"]);
});

describe("loading", () => {
  test("usable schemas have no load error", () =>
    assert.equal(schemaLoadError(registry, "cerbos:///principal.json"), undefined));

  test("missing, broken and dangling schemas say why in Cerbos's words", () => {
    assert.equal(
      schemaLoadError(registry, "cerbos:///blah.json"),
      "schema _schemas/blah.json doesn't exist",
    );
    assert.equal(schemaLoadError(registry, "file:///blah.json"), "schema /blah.json doesn't exist");
    assert.equal(
      schemaLoadError(registry, "cerbos:///broken_ref.json"),
      "schema _schemas/nowhere.json referenced by cerbos:///broken_ref.json doesn't exist",
    );
    assert.equal(
      schemaLoadError(registry, "cerbos:///not_a_schema.json"),
      "jsonschema cerbos:///not_a_schema.json compilation failed: '' does not validate with https://json-schema.org/draft/2020-12/schema#/type: expected object or boolean, but got string",
    );
  });

  test("validating against a schema that cannot load gives one error without a path", () => {
    assert.deepEqual(validateAttributes(registry, "cerbos:///blah.json", {}, "SOURCE_PRINCIPAL"), [
      {
        path: "",
        message:
          'Failed to load principal schema "cerbos:///blah.json": schema _schemas/blah.json doesn\'t exist',
        source: "SOURCE_PRINCIPAL",
      },
    ]);
  });
});
