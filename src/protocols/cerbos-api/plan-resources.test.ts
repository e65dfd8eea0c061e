// PlanResources request decoding and validation: the messages and violation details below are
// what the Cerbos 0.55 binary answers for the same bodies (taken from its HTTP API).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidArgumentError } from "../../kernel/errors.ts";
import { decodePlanResourcesRequest } from "./plan-resources.ts";
import { RequestValidationError } from "./violations.ts";

const options = { maxActionsPerResource: 1, maxResourcesPerRequest: 1, principalOptional: false };
const principal = { id: "u", roles: ["user"] };
const decode = (body: unknown, opts = options) => decodePlanResourcesRequest(body, opts);
const ok = { actions: ["view"], principal, resource: { kind: "doc" } };

function refusal(body: unknown, opts = options): InvalidArgumentError {
  try {
    decode(body, opts);
  } catch (e) {
    assert.ok(e instanceof InvalidArgumentError, String(e));
    return e;
  }
  assert.fail("the request was accepted");
}

const PV = "does not match regex pattern `^[\\w]*$`";
const SCOPE = "does not match regex pattern `^(^$|\\.|[0-9a-zA-Z][\\w\\-]*(\\.\\w[\\w\\-]*)*)$`";
const EXCLUSIVE = "Exactly one of 'action' or 'actions' field must be set";

describe("decodePlanResourcesRequest", () => {
  it("reads a full request, dropping empty version and scope", () => {
    assert.deepEqual(
      decode({
        requestId: "r1",
        actions: ["view", "edit"],
        principal: { ...principal, attr: { a: 1 } },
        resource: { kind: "doc", attr: { status: "open" }, policyVersion: "", scope: "" },
        includeMeta: true,
        requestContext: { annotations: { x: 1 } },
      }),
      {
        requestId: "r1",
        actions: ["view", "edit"],
        principal: { ...principal, attr: { a: 1 } },
        resource: { kind: "doc", attr: { status: "open" } },
        includeMeta: true,
        requestContext: { annotations: { x: 1 } },
      },
    );
    // a request context without annotations is still "sent", for the decision log
    assert.deepEqual(decode({ ...ok, requestContext: {} }).requestContext, {});
    assert.equal(decode(ok).requestContext, undefined);
  });

  it("turns the deprecated `action` into a one-action list and remembers it", () => {
    const r = decode({ action: "view", actions: [], principal, resource: { kind: "doc" } });
    assert.equal(r.action, "view");
    assert.deepEqual(r.actions, ["view"]);
    // `null` is "not set"
    assert.deepEqual(
      decode({ action: "view", actions: null, principal, resource: { kind: "doc" } }).actions,
      ["view"],
    );
  });

  it("accepts snake_case names, version and scope, and an empty attribute key", () => {
    const r = decode({
      request_id: "x",
      actions: ["view"],
      include_meta: true,
      principal,
      resource: { kind: "doc", policy_version: "v2", scope: "acme.hr", attr: { "": 1 } },
      aux_data: { jwt: { token: "t", key_set_id: "ks" } },
    });
    assert.equal(r.requestId, "x");
    assert.equal(r.includeMeta, true);
    assert.deepEqual(r.resource, {
      kind: "doc",
      policyVersion: "v2",
      scope: "acme.hr",
      attr: { "": 1 },
    });
    assert.deepEqual(r.auxData, { jwt: { token: "t", keySetId: "ks" } });
  });

  it("applies no CheckResources request limit (only the proto's 20 actions)", () => {
    const actions = Array.from({ length: 20 }, (_, i) => `a${i}`);
    assert.equal(decode({ actions, principal, resource: { kind: "doc" } }).actions.length, 20);
  });

  const cases: Record<string, [unknown, string]> = {
    "an empty body": [
      {},
      `validation errors:\n - ${EXCLUSIVE}\n - principal: value is required\n - resource: value is required`,
    ],
    "no action": [{ principal, resource: { kind: "doc" } }, `validation error: ${EXCLUSIVE}`],
    "an empty action list": [
      { actions: [], principal, resource: { kind: "doc" } },
      `validation error: ${EXCLUSIVE}`,
    ],
    "an empty action": [
      { action: "", principal, resource: { kind: "doc" } },
      `validation error: ${EXCLUSIVE}`,
    ],
    "both action and actions": [
      { action: "view", actions: ["view"], principal, resource: { kind: "doc" } },
      `validation error: ${EXCLUSIVE}`,
    ],
    "no resource": [
      { actions: ["view"], principal },
      "validation error: resource: value is required",
    ],
    "a null resource": [
      { actions: ["view"], principal, resource: null },
      "validation error: resource: value is required",
    ],
    "no resource kind": [
      { actions: ["view"], principal, resource: {} },
      "validation error: resource.kind: value is required",
    ],
    "an empty resource kind": [
      { actions: ["view"], principal, resource: { kind: "" } },
      "validation error: resource.kind: value is required",
    ],
    "duplicate actions": [
      { actions: ["view", "view"], principal, resource: { kind: "doc" } },
      "validation error: actions: repeated value must contain unique items",
    ],
    "an empty item in actions": [
      { actions: ["view", ""], principal, resource: { kind: "doc" } },
      "validation error: actions[1]: must be at least 1 characters",
    ],
    "21 actions": [
      {
        actions: Array.from({ length: 21 }, (_, i) => `a${i + 1}`),
        principal,
        resource: { kind: "doc" },
      },
      "validation error: actions: must contain no more than 20 item(s)",
    ],
    "duplicates, too many and an empty item, in protovalidate's order": [
      {
        actions: ["a", "a", "", ...Array.from({ length: 18 }, (_, i) => `b${i}`)],
        principal,
        resource: { kind: "doc" },
      },
      "validation errors:\n - actions: repeated value must contain unique items\n - actions: must contain no more than 20 item(s)\n - actions[2]: must be at least 1 characters",
    ],
    "a bad resource": [
      { actions: ["view"], principal, resource: { kind: "", policyVersion: "a-b", scope: "-x" } },
      `validation errors:\n - resource.kind: value is required\n - resource.policy_version: ${PV}\n - resource.scope: ${SCOPE}`,
    ],
    "no principal": [
      { actions: ["view"], resource: { kind: "doc" } },
      "validation error: principal: value is required",
    ],
    "a principal without id": [
      { actions: ["view"], principal: { roles: ["user"] }, resource: { kind: "doc" } },
      "validation error: principal.id: value is required",
    ],
    "an empty principal attribute key": [
      {
        actions: ["view"],
        principal: { ...principal, attr: { "": 1 } },
        resource: { kind: "doc" },
      },
      'validation error: principal.attr[""]: must be at least 1 characters',
    ],
    "jwt and jwts together": [
      {
        actions: ["view"],
        principal,
        resource: { kind: "doc" },
        auxData: { jwt: { token: "a" }, jwts: { x: { token: "b" } } },
      },
      "validation error: aux_data: Only one of the jwt or jwts fields must be set",
    ],
    "everything wrong at once, in Cerbos's order": [
      {
        action: "v",
        actions: ["x", "x", ""],
        principal: { roles: [] },
        resource: { kind: "", attr: { "": 1 }, policyVersion: "-", scope: "." },
        auxData: { jwt: { token: "" } },
        requestContext: { annotations: { "": 1 } },
      },
      `validation errors:\n - ${EXCLUSIVE}\n - actions: repeated value must contain unique items\n - actions[2]: must be at least 1 characters\n - principal.id: value is required\n - principal.roles: value is required\n - resource.kind: value is required\n - resource.policy_version: ${PV}\n - aux_data.jwt.token: value is required\n - request_context.annotations[""]: must be at least 1 characters`,
    ],
    // protojson failures name the JSON path where Go names a line and column
    "an unknown top-level field": [
      { actions: ["view"], principal, resource: { kind: "doc" }, foo: 1 },
      'proto:\u00a0(foo): unknown field "foo"',
    ],
    "a resource id (not a field of a plan's resource)": [
      { actions: ["view"], principal, resource: { kind: "doc", id: "x" } },
      'proto:\u00a0(resource.id): unknown field "id"',
    ],
    "attributes as a string": [
      { actions: ["view"], principal, resource: { kind: "doc", attr: "x" } },
      'proto:\u00a0syntax error (resource.attr): unexpected token "x"',
    ],
    "principal attributes as a list": [
      { actions: ["view"], principal: { ...principal, attr: [1] }, resource: { kind: "doc" } },
      "proto:\u00a0syntax error (principal.attr): unexpected token [",
    ],
    "an action as a number": [
      { action: 5, principal, resource: { kind: "doc" } },
      "proto:\u00a0(action): invalid value for string field action: 5",
    ],
    "actions as a string": [
      { actions: "view", principal, resource: { kind: "doc" } },
      'proto:\u00a0syntax error (actions): unexpected token "view"',
    ],
    "includeMeta as a string": [
      { actions: ["v"], includeMeta: "true", principal, resource: { kind: "doc" } },
      'proto:\u00a0(includeMeta): invalid value for bool field includeMeta: "true"',
    ],
    "a field in both spellings": [
      {
        actions: ["view"],
        principal,
        resource: { kind: "doc", policyVersion: "a", policy_version: "b" },
      },
      'proto:\u00a0(resource.policy_version): duplicate field "policy_version"',
    ],
    "a JSON array": [[], "proto:\u00a0syntax error: unexpected token ["],
  };
  for (const [name, [body, message]] of Object.entries(cases)) {
    it(`refuses ${name}`, () => {
      assert.equal(refusal(body).message, message);
    });
  }

  it("gives Cerbos's violation details: a message rule has no field, max_items names its rule", () => {
    const err = refusal({
      actions: Array.from({ length: 21 }, (_, i) => `a${i}`),
      action: "x",
      principal,
      resource: { kind: "doc" },
    });
    assert.ok(err instanceof RequestValidationError);
    assert.deepEqual(err.details(), [
      {
        "@type": "type.googleapis.com/buf.validate.Violations",
        violations: [
          { ruleId: "exclusiveFieldsActionOrActions", message: EXCLUSIVE },
          {
            field: {
              elements: [{ fieldNumber: 7, fieldName: "actions", fieldType: "TYPE_STRING" }],
            },
            rule: {
              elements: [
                { fieldNumber: 18, fieldName: "repeated", fieldType: "TYPE_MESSAGE" },
                { fieldNumber: 2, fieldName: "max_items", fieldType: "TYPE_UINT64" },
              ],
            },
            ruleId: "repeated.max_items",
            message: "must contain no more than 20 item(s)",
          },
        ],
      },
    ]);
  });

  it("names the plan resource's own field numbers in details", () => {
    const err = refusal({ actions: ["v"], principal, resource: { kind: "d", scope: "-" } });
    assert.ok(err instanceof RequestValidationError);
    const v = (err.details()[0] as { violations: { field: { elements: unknown[] } }[] })
      .violations[0];
    assert.deepEqual(v?.field.elements, [
      { fieldNumber: 4, fieldName: "resource", fieldType: "TYPE_MESSAGE" },
      { fieldNumber: 4, fieldName: "scope", fieldType: "TYPE_STRING" },
    ]);
  });

  it("lets the principal go (or be partial) when principal-from-token is on", () => {
    const lenient = { ...options, principalOptional: true };
    const r = decode({ actions: ["view"], resource: { kind: "doc" } }, lenient);
    assert.equal(r.principal, undefined);
    assert.deepEqual(
      decode({ actions: ["view"], principal: { roles: [] }, resource: { kind: "doc" } }, lenient)
        .principal,
      { id: "", roles: [] },
    );
  });
});
