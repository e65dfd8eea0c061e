// The official @cerbos/grpc client's `planResources`, unchanged, against every available target
// (the real Cerbos 0.55 and the Gatehouse server, each as its own process): the filters of
// simple plans as the client presents them, and the same answers from both targets.

import { GRPC } from "@cerbos/grpc";
import {
  NotOK,
  PlanExpression,
  PlanExpressionValue,
  PlanExpressionVariable,
  PlanKind,
  type PlanResourcesRequest,
  type PlanResourcesResponse,
} from "@cerbos/core";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { PdpServer } from "../../support/cerbos-server.ts";
import { serverTargets } from "../../support/gatehouse-server.ts";
import { writePlanPolicies } from "../plan-policies.ts";

const user = { id: "u", roles: ["user"] };
const admin = { id: "a", roles: ["admin"] };

const requests: Record<string, PlanResourcesRequest> = {
  conditional: { requestId: "c1", principal: user, resource: { kind: "doc" }, action: "view" },
  "always allowed, with metadata": {
    requestId: "c2",
    principal: admin,
    resource: { kind: "doc" },
    actions: ["view", "edit"],
    includeMetadata: true,
  },
  "always denied": {
    requestId: "c3",
    principal: admin,
    resource: { kind: "doc" },
    actions: ["delete"],
  },
  "decided in a scope": {
    requestId: "c4",
    principal: user,
    resource: { kind: "doc", scope: "acme" },
    action: "comment",
    includeMetadata: true,
  },
  "a known attribute": {
    requestId: "c5",
    principal: user,
    resource: { kind: "doc", attr: { status: "open" } },
    actions: ["view"],
  },
};

/** The client's response as plain data, without the call id every server makes up. */
function plain(value: PlanResourcesResponse): unknown {
  const json = JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  delete json["cerbosCallId"];
  return json;
}

const policies = writePlanPolicies();
after(() => policies.remove());

const answers = new Map<string, Map<string, unknown>>();

for (const target of serverTargets()) {
  describe(`@cerbos/grpc planResources: ${target.name}`, { skip: target.unavailable }, () => {
    let server: PdpServer;
    let client: GRPC;
    before(async () => {
      server = await target.start({ policyDir: policies.dir });
      client = new GRPC(server.grpcAddr, { tls: false });
    });
    after(async () => {
      client?.close();
      await server?.stop();
    });

    const record = (name: string, res: PlanResourcesResponse): void => {
      const seen = answers.get(name) ?? new Map<string, unknown>();
      seen.set(target.name, plain(res));
      answers.set(name, seen);
    };

    it("a conditional plan: the filter as expression objects", async () => {
      const res = await client.planResources(requests["conditional"]!);
      record("conditional", res);
      assert.equal(res.requestId, "c1");
      assert.match(res.cerbosCallId, /^[0-9A-Z]{26}$/);
      assert.equal(res.kind, PlanKind.CONDITIONAL);
      assert.ok(res.kind === PlanKind.CONDITIONAL);
      assert.deepEqual(
        res.condition,
        new PlanExpression("eq", [
          new PlanExpressionVariable("request.resource.attr.status"),
          new PlanExpressionValue("open"),
        ]),
      );
      assert.equal(res.metadata, undefined);
    });

    it("an always-allowed plan with metadata", async () => {
      const res = await client.planResources(requests["always allowed, with metadata"]!);
      record("always allowed, with metadata", res);
      assert.equal(res.kind, PlanKind.ALWAYS_ALLOWED);
      assert.equal(res.metadata?.conditionString, "(true)");
      assert.deepEqual(res.metadata?.matchedScopes, { edit: "", view: "" });
    });

    it("an always-denied plan", async () => {
      const res = await client.planResources(requests["always denied"]!);
      record("always denied", res);
      assert.equal(res.kind, PlanKind.ALWAYS_DENIED);
    });

    it("a plan decided in a scope, asked with the deprecated single action", async () => {
      const res = await client.planResources(requests["decided in a scope"]!);
      record("decided in a scope", res);
      assert.equal(res.kind, PlanKind.ALWAYS_ALLOWED);
      assert.equal(res.metadata?.matchedScope, "acme");
    });

    it("a plan where a known attribute settles the condition", async () => {
      const res = await client.planResources(requests["a known attribute"]!);
      record("a known attribute", res);
      assert.equal(res.kind, PlanKind.ALWAYS_ALLOWED);
    });

    it("an invalid request: NotOK with code 3 and Cerbos's message", async () => {
      const err = await client
        .planResources({ principal: user, resource: { kind: "" }, actions: ["view", "view"] })
        .then(
          () => assert.fail("expected a NotOK"),
          (e: unknown) => e,
        );
      assert.ok(err instanceof NotOK, String(err));
      assert.equal(err.code, 3);
      assert.equal(
        err.details,
        "validation errors:\n - actions: repeated value must contain unique items\n - resource.kind: value is required",
      );
    });
  });
}

describe("@cerbos/grpc planResources: the same answers from every target", () => {
  it("matches", (t) => {
    const compared = [...answers.values()].filter((m) => m.size > 1);
    if (compared.length === 0) {
      t.skip("fewer than two targets answered");
      return;
    }
    for (const [name, byTarget] of answers) {
      const [first, ...rest] = [...byTarget.values()];
      for (const other of rest) assert.deepEqual(other, first, name);
    }
  });
});
