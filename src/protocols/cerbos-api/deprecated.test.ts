// Unit tests of the deprecated CheckResourceSet and CheckResourceBatch mappings.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CheckResourcesResponse } from "../../pdp/types.ts";
import {
  decodeCheckResourceBatchRequest,
  decodeCheckResourceSetRequest,
  encodeCheckResourceBatchResponse,
  encodeCheckResourceSetResponse,
} from "./deprecated.ts";

const options = { maxActionsPerResource: 50, maxResourcesPerRequest: 2, principalOptional: false };
const principal = { id: "john", roles: ["employee"] };

describe("CheckResourceSet (POST /api/check)", () => {
  const body = {
    requestId: "r",
    actions: ["view", "approve"],
    principal,
    resource: {
      kind: "leave_request",
      policy_version: "v1",
      instances: { XX2: { attr: { owner: "a" } }, XX1: {} },
    },
    includeMeta: true,
  };

  it("becomes one resource entry per instance", () => {
    const req = decodeCheckResourceSetRequest(body, options);
    assert.deepEqual(
      req.resources.map((r) => r.resource),
      [
        { kind: "leave_request", id: "XX2", policyVersion: "v1", attr: { owner: "a" } },
        { kind: "leave_request", id: "XX1", policyVersion: "v1" },
      ],
    );
    assert.equal(req.includeMeta, true);
    assert.equal(req.requestId, "r");
  });

  it("answers by instance, keys sorted, meta only when asked", () => {
    const req = decodeCheckResourceSetRequest(body, options);
    const response: CheckResourcesResponse = {
      requestId: "r",
      cerbosCallId: "c",
      results: ["XX2", "XX1"].map((id) => ({
        resource: { id, kind: "leave_request", policyVersion: "v1" },
        actions: { view: "EFFECT_ALLOW", approve: "EFFECT_DENY" },
        meta: { actions: { view: { matchedPolicy: "p" }, approve: { matchedPolicy: "p" } } },
      })),
    };
    assert.equal(
      JSON.stringify(encodeCheckResourceSetResponse(req, response)),
      JSON.stringify({
        requestId: "r",
        resourceInstances: {
          XX1: { actions: { approve: "EFFECT_DENY", view: "EFFECT_ALLOW" } },
          XX2: { actions: { approve: "EFFECT_DENY", view: "EFFECT_ALLOW" } },
        },
        meta: {
          resourceInstances: {
            XX1: { actions: { approve: { matchedPolicy: "p" }, view: { matchedPolicy: "p" } } },
            XX2: { actions: { approve: { matchedPolicy: "p" }, view: { matchedPolicy: "p" } } },
          },
        },
      }),
    );
  });

  it("validates with Cerbos's paths and applies the limits", () => {
    assert.throws(
      () => decodeCheckResourceSetRequest({ principal, resource: { instances: {} } }, options),
      {
        message:
          "validation errors:\n - actions: value is required\n - resource.kind: value is required\n - resource.instances: value is required",
      },
    );
    const three = { ...body, resource: { kind: "k", instances: { a: {}, b: {}, c: {} } } };
    assert.throws(() => decodeCheckResourceSetRequest(three, options), {
      message: "number of resources in batch (3) exceeds configured limit (2)",
    });
  });
});

describe("CheckResourceBatch (POST /api/check_resource_batch)", () => {
  it("decodes entries and answers by resource id", () => {
    const req = decodeCheckResourceBatchRequest(
      { principal, resources: [{ actions: ["b", "a"], resource: { kind: "k", id: "1" } }] },
      options,
    );
    assert.deepEqual(req.resources, [{ actions: ["b", "a"], resource: { kind: "k", id: "1" } }]);
    assert.equal(req.includeMeta, false);
    const out = encodeCheckResourceBatchResponse({
      requestId: "",
      cerbosCallId: "c",
      results: [
        { resource: { id: "1", kind: "k" }, actions: { b: "EFFECT_DENY", a: "EFFECT_ALLOW" } },
      ],
    });
    assert.equal(
      JSON.stringify(out),
      '{"results":[{"resourceId":"1","actions":{"a":"EFFECT_ALLOW","b":"EFFECT_DENY"}}]}',
    );
  });

  it("reports a missing principal as Cerbos does", () => {
    assert.throws(
      () =>
        decodeCheckResourceBatchRequest(
          { resources: [{ actions: ["a"], resource: { kind: "k", id: "1" } }] },
          options,
        ),
      { message: "validation error: principal: value is required" },
    );
  });
});
