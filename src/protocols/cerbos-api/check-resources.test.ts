// Unit tests of CheckResources decoding: shapes, defaults, pass-through of attributes,
// Cerbos's messages for protojson and validation problems, limits, principal-from-token.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidArgumentError } from "../../kernel/errors.ts";
import { decodeCheckResourcesRequest, type DecodeOptions } from "./check-resources.ts";
import { RequestValidationError } from "./violations.ts";

const options: DecodeOptions = {
  maxActionsPerResource: 3,
  maxResourcesPerRequest: 2,
  principalOptional: false,
};

const principal = { id: "john", roles: ["employee"] };
const entry = { actions: ["view"], resource: { kind: "leave_request", id: "XX1" } };

function messageOf(json: unknown, opts: DecodeOptions = options): string {
  try {
    decodeCheckResourcesRequest(json, opts);
  } catch (e) {
    assert.ok(e instanceof InvalidArgumentError, String(e));
    return e.message;
  }
  assert.fail("accepted");
}

describe("decodeCheckResourcesRequest", () => {
  it("returns the request in the service's shape, with defaults for what is left out", () => {
    const attr = { department: "marketing", nested: { list: [1, "a", null] } };
    const body = {
      principal: { ...principal, attr, policyVersion: "", scope: "acme.hr" },
      resources: [entry],
    };
    const req = decodeCheckResourcesRequest(body, options);
    assert.deepEqual(req, {
      requestId: "",
      includeMeta: false,
      principal: { id: "john", roles: ["employee"], attr, scope: "acme.hr" },
      resources: [{ actions: ["view"], resource: { kind: "leave_request", id: "XX1" } }],
    });
    // attributes and lists are the caller's objects, not copies
    assert.equal(req.principal?.attr, attr);
    assert.equal(req.principal?.roles, body.principal.roles);
    assert.equal(req.resources[0]?.actions, entry.actions);
  });

  it("accepts snake_case field names and null for unset fields", () => {
    const req = decodeCheckResourcesRequest(
      {
        request_id: "r1",
        include_meta: true,
        principal: { ...principal, policy_version: "v1", attr: null },
        resources: [{ actions: ["a"], resource: { ...entry.resource, policy_version: "v2" } }],
        aux_data: { jwt: { token: "t", key_set_id: "ks" } },
        request_context: null,
      },
      options,
    );
    assert.equal(req.requestId, "r1");
    assert.equal(req.includeMeta, true);
    assert.equal(req.principal?.policyVersion, "v1");
    assert.equal(req.resources[0]?.resource.policyVersion, "v2");
    assert.deepEqual(req.auxData, { jwt: { token: "t", keySetId: "ks" } });
  });

  it("drops an empty jwts map and a null auxData", () => {
    const base = { principal, resources: [entry] };
    assert.equal(
      decodeCheckResourcesRequest({ ...base, auxData: { jwts: {} } }, options).auxData,
      undefined,
    );
    assert.equal(
      decodeCheckResourcesRequest({ ...base, auxData: null }, options).auxData,
      undefined,
    );
  });

  it("gathers every violation in field order with Cerbos's wording", () => {
    const err = (() => {
      try {
        decodeCheckResourcesRequest(
          {
            principal: { id: "", roles: ["a", "a", ""], policyVersion: "x-y", attr: { "": 1 } },
            resources: [{ actions: [], resource: {} }, {}],
          },
          options,
        );
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof RequestValidationError);
    assert.equal(
      err.message,
      [
        "validation errors:",
        " - principal.id: value is required",
        " - principal.policy_version: does not match regex pattern `^[\\w]*$`",
        " - principal.roles: repeated value must contain unique items",
        " - principal.roles[2]: must be at least 1 characters",
        ' - principal.attr[""]: must be at least 1 characters',
        " - resources[0].actions: value is required",
        " - resources[0].resource.kind: value is required",
        " - resources[0].resource.id: value is required",
        " - resources[1].actions: value is required",
        " - resources[1].resource: value is required",
      ].join("\n"),
    );
    assert.equal(err.violations.length, 10);
  });

  it("says `validation error` for a single violation", () => {
    assert.equal(
      messageOf({ principal: { id: "x" }, resources: [entry] }),
      "validation error: principal.roles: value is required",
    );
  });

  it("reports protojson problems at their JSON path, in the user's key names", () => {
    assert.equal(
      messageOf({ principal: { id: "x", roles: [1] }, resources: [entry] }),
      "proto:\u00a0(principal.roles[0]): invalid value for string field roles: 1",
    );
    assert.equal(
      messageOf({ principal: { ...principal, policy_version: true }, resources: [entry] }),
      "proto:\u00a0(principal.policy_version): invalid value for string field policyVersion: true",
    );
    assert.equal(
      messageOf({ principal, resources: [entry], foo: 1 }),
      'proto:\u00a0(foo): unknown field "foo"',
    );
    assert.equal(
      messageOf({ principal, resources: [null] }),
      "proto:\u00a0syntax error (resources[0]): unexpected token null",
    );
    assert.equal(messageOf([]), "proto:\u00a0syntax error: unexpected token [");
    assert.equal(
      messageOf({ principal, resources: [entry], requestId: null, request_id: "x" }),
      'proto:\u00a0(request_id): duplicate field "request_id"',
    );
  });

  it("stops at the first protojson problem, before validating", () => {
    assert.match(
      messageOf({ principal: {}, resources: [{ actions: "view" }] }),
      /^proto:\u00a0syntax error \(resources\[0\]\.actions\): unexpected token "view"$/,
    );
  });

  it("checks the limits once the request is valid, resources first", () => {
    const many = { actions: ["a", "b", "c", "d"], resource: entry.resource };
    assert.equal(
      messageOf({ principal, resources: [entry, entry, many] }),
      "number of resources in batch (3) exceeds configured limit (2)",
    );
    assert.equal(
      messageOf({ principal, resources: [entry, many] }),
      "number of actions (4) exceeds configured limit (3)",
    );
    assert.match(messageOf({ resources: [entry, entry, many] }), /^validation error: principal:/);
  });

  it("lets principal-from-token requests leave out the principal or its id and roles", () => {
    const lenient = { ...options, principalOptional: true };
    assert.equal(decodeCheckResourcesRequest({ resources: [entry] }, lenient).principal, undefined);
    assert.deepEqual(
      decodeCheckResourcesRequest({ principal: { attr: { a: 1 } }, resources: [entry] }, lenient)
        .principal,
      { id: "", roles: [], attr: { a: 1 } },
    );
    // the other rules still hold
    assert.equal(
      messageOf({ principal: { roles: [""] }, resources: [entry] }, lenient),
      "validation error: principal.roles[0]: must be at least 1 characters",
    );
  });

  it("validates auxData: one of jwt or jwts, tokens required, names non-empty", () => {
    assert.equal(
      messageOf({
        principal,
        resources: [entry],
        auxData: { jwt: { token: "" }, jwts: { "": { token: "t" } } },
      }),
      [
        "validation errors:",
        " - aux_data: Only one of the jwt or jwts fields must be set",
        " - aux_data.jwt.token: value is required",
        ' - aux_data.jwts[""]: must be at least 1 characters',
      ].join("\n"),
    );
  });
});
