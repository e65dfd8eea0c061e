// Unit tests of the AuthZEN mapping: requests to CheckResources, grouping of batches,
// evaluation semantics, responses and metadata.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CheckResourcesResponse } from "../../pdp/types.ts";
import {
  authzenMetadata,
  decodeAccessEvaluationBatchRequest,
  decodeAccessEvaluationRequest,
  encodeAccessEvaluationBatchResponse,
  encodeAccessEvaluationResponse,
} from "./authzen.ts";

const options = { maxActionsPerResource: 50, maxResourcesPerRequest: 50, principalOptional: false };
const subject = {
  type: "user",
  id: "alice",
  properties: {
    "cerbos.roles": ["employee"],
    "cerbos.scope": "acme",
    "cerbos.policyVersion": "v1",
    team: "a",
  },
};
const resource = {
  type: "doc",
  id: "1",
  properties: { "cerbos.scope": "acme.hr", owner: "alice" },
};

describe("AuthZEN evaluation", () => {
  it("maps subject, resource, action and context onto CheckResources", () => {
    const req = decodeAccessEvaluationRequest(
      {
        subject,
        resource,
        action: { name: "view" },
        context: {
          "cerbos.requestId": "r1",
          "cerbos.includeMeta": true,
          "cerbos.auxData": { jwt: { token: "t", keySetId: "ks" } },
        },
      },
      options,
    );
    assert.deepEqual(req, {
      requestId: "r1",
      principal: {
        id: "alice",
        roles: ["employee"],
        scope: "acme",
        policyVersion: "v1",
        attr: { team: "a" },
      },
      resources: [
        {
          actions: ["view"],
          resource: { kind: "doc", id: "1", scope: "acme.hr", attr: { owner: "alice" } },
        },
      ],
      includeMeta: true,
      auxData: { jwt: { token: "t", keySetId: "ks" } },
    });
  });

  it("takes the subject's type as its role when cerbos.roles has none", () => {
    const roles = (value: unknown): readonly string[] | undefined =>
      decodeAccessEvaluationRequest(
        {
          subject: { type: "employee", id: "x", properties: { "cerbos.roles": value } },
          resource,
          action: { name: "view" },
        },
        options,
      ).principal?.roles;
    assert.deepEqual(roles(["manager", 1, ""]), ["manager"]);
    assert.deepEqual(roles([]), ["employee"]);
    assert.deepEqual(roles([""]), ["employee"]);
    assert.deepEqual(roles("manager"), ["employee"]);
    assert.deepEqual(roles(null), ["employee"]);
  });

  it("ignores cerbos.* values of the wrong type but refuses auxData that is not an object", () => {
    const req = decodeAccessEvaluationRequest(
      {
        subject: { type: "user", id: "x", properties: { "cerbos.roles": "admin" } },
        resource,
        action: { name: "view" },
        context: { "cerbos.requestId": 7, "cerbos.includeMeta": "yes" },
      },
      options,
    );
    assert.deepEqual(req.principal?.roles, ["user"]);
    assert.equal(req.requestId, "");
    assert.equal(req.includeMeta, false);
    assert.throws(
      () =>
        decodeAccessEvaluationRequest(
          { subject, resource, action: { name: "v" }, context: { "cerbos.auxData": [] } },
          options,
        ),
      { message: "invalid auxData" },
    );
  });

  it("answers with the decision, and the Cerbos response (keys sorted, no call id) only when asked", () => {
    const response: CheckResourcesResponse = {
      requestId: "r1",
      results: [{ resource: { id: "1", kind: "doc" }, actions: { view: "EFFECT_ALLOW" } }],
      cerbosCallId: "01H",
    };
    const req = decodeAccessEvaluationRequest(
      { subject, resource, action: { name: "view" } },
      options,
    );
    assert.deepEqual(encodeAccessEvaluationResponse(req, response), { decision: true });
    const withMeta = { ...req, includeMeta: true };
    assert.equal(
      JSON.stringify(encodeAccessEvaluationResponse(withMeta, response)),
      '{"decision":true,"context":{"cerbos.response":{"requestId":"r1","results":[{"actions":{"view":"EFFECT_ALLOW"},"resource":{"id":"1","kind":"doc"}}]}}}',
    );
  });

  it("serves metadata for the URL it was reached at", () => {
    assert.deepEqual(authzenMetadata("https://pdp.example:3592/"), {
      policy_decision_point: "https://pdp.example:3592",
      access_evaluation_endpoint: "https://pdp.example:3592/access/v1/evaluation",
      access_evaluations_endpoint: "https://pdp.example:3592/access/v1/evaluations",
    });
  });
});

describe("AuthZEN evaluations (batch)", () => {
  const evaluations = [
    { action: { name: "view" } },
    { action: { name: "edit" } },
    { resource: { type: "doc", id: "2" }, action: { name: "view" } },
    { subject: { type: "user", id: "bob" }, action: { name: "view" } },
  ];
  const respond =
    (allow: (id: string, action: string) => boolean) =>
    (req: {
      resources: readonly { actions: readonly string[]; resource: { id: string; kind: string } }[];
    }) => ({
      requestId: "",
      cerbosCallId: "x",
      results: req.resources.map((e) => ({
        resource: { id: e.resource.id, kind: e.resource.kind },
        actions: Object.fromEntries(
          e.actions.map(
            (a) => [a, allow(e.resource.id, a) ? "EFFECT_ALLOW" : "EFFECT_DENY"] as const,
          ),
        ),
      })),
    });

  it("groups evaluations by subject and resource into CheckResources requests", () => {
    const batch = decodeAccessEvaluationBatchRequest({ subject, resource, evaluations }, options);
    assert.equal(batch.requests.length, 2);
    assert.deepEqual(
      batch.requests[0]?.resources.map((r) => [r.resource.id, r.actions]),
      [
        ["1", ["view", "edit"]],
        ["2", ["view"]],
      ],
    );
    assert.deepEqual(batch.evaluations, [
      { request: 0, resource: 0, action: "view" },
      { request: 0, resource: 0, action: "edit" },
      { request: 0, resource: 1, action: "view" },
      { request: 1, resource: 0, action: "view" },
    ]);
    assert.equal(batch.semantic, "execute_all");
  });

  it("stops where the evaluations semantic says", () => {
    const allowViews = respond((_, a) => a === "view");
    for (const [semantic, want] of [
      ["execute_all", [true, false, true, true]],
      ["deny_on_first_deny", [true, false]],
      ["permit_on_first_permit", [true]],
    ] as const) {
      const batch = decodeAccessEvaluationBatchRequest(
        { subject, resource, evaluations, options: { evaluations_semantic: semantic } },
        options,
      );
      const out = encodeAccessEvaluationBatchResponse(batch, batch.requests.map(allowViews));
      assert.deepEqual(
        out.evaluations.map((e) => e.decision),
        want,
        semantic,
      );
    }
  });

  it("checks the request limits on the grouped requests", () => {
    const many = ["a", "b", "c"].map((name) => ({ action: { name } }));
    assert.throws(
      () =>
        decodeAccessEvaluationBatchRequest(
          { subject, resource, evaluations: many },
          { ...options, maxActionsPerResource: 2 },
        ),
      { message: "number of actions (3) exceeds configured limit (2)" },
    );
  });

  it("reports missing defaults with Cerbos's messages", () => {
    assert.throws(() => decodeAccessEvaluationBatchRequest({ evaluations: [{}] }, options), {
      message: [
        "validation errors:",
        " - either the default action must be set or all evaluations must have an action",
        " - either the default subject must be set or all evaluations must have a subject",
        " - either the default resource must be set or all evaluations must have a resource",
      ].join("\n"),
    });
  });
});
