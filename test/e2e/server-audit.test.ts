// The audit log end to end, against every available target (file backend, access and decision
// logs on): each CheckResources call, over HTTP or gRPC, leaves one access entry and one decision
// entry under the call id the response carries, in Cerbos's entry shape.

import { CerbosService } from "@cerbos/api/cerbos/svc/v1/svc_pb";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sleep, type PdpServer } from "../support/cerbos-server.ts";
import { serverTargets } from "../support/gatehouse-server.ts";
import { testdata } from "../support/reference.ts";

const body = (requestId: string): Record<string, unknown> => ({
  requestId,
  principal: { id: "p", roles: ["employee"] },
  resources: [{ resource: { kind: "leave_request", id: "r1" }, actions: ["view"] }],
});

const method = "/cerbos.svc.v1.CerbosService/CheckResources";

for (const target of serverTargets()) {
  describe(`audit log: ${target.name}`, { skip: target.unavailable }, () => {
    let server: PdpServer;
    before(async () => {
      server = await target.start({
        policyDir: testdata("store"),
        config: { audit: { accessLogsEnabled: true } },
      });
    });
    after(async () => {
      await server?.stop();
    });

    /** The access and decision entries of a call id, once both are written. */
    const entriesOf = async (callId: string): Promise<Record<string, unknown>[]> => {
      const deadline = Date.now() + 5000;
      for (;;) {
        const found = server.auditEntries().filter((e) => e["callId"] === callId);
        if (found.length >= 2 || Date.now() > deadline) return found;
        await sleep(20);
      }
    };

    const assertEntries = (entries: Record<string, unknown>[], requestId: string): void => {
      const access = entries.filter((e) => e["log.kind"] === "access");
      const decision = entries.filter((e) => e["log.kind"] === "decision");
      assert.equal(access.length, 1, JSON.stringify(entries));
      assert.equal(decision.length, 1, JSON.stringify(entries));
      assert.equal(access[0]!["method"], method);
      const check = decision[0]!["checkResources"] as {
        inputs: { requestId: string; resource: { kind: string } }[];
        outputs: {
          resourceId: string;
          actions: Record<string, { effect: string; policy: string }>;
        }[];
      };
      assert.equal(check.inputs[0]?.requestId, requestId);
      assert.equal(check.inputs[0]?.resource.kind, "leave_request");
      assert.deepEqual(check.outputs[0]?.actions["view"], {
        effect: "EFFECT_DENY",
        policy: "resource.leave_request.vdefault",
      });
      assert.equal(check.outputs[0]?.resourceId, "r1");
      for (const e of [...access, ...decision]) {
        assert.equal(typeof e["timestamp"], "string");
        assert.equal(typeof (e["peer"] as { address?: unknown })["address"], "string");
      }
    };

    test("an HTTP call is logged under its cerbosCallId", async () => {
      const res = await server.request("POST", "/api/check/resources", body("audit-http"));
      assert.equal(res.status, 200, res.text);
      const callId = (res.json as { cerbosCallId: string }).cerbosCallId;
      assert.match(callId, /^[0-9A-HJKMNP-TV-Z]{26}$/);
      assertEntries(await entriesOf(callId), "audit-http");
    });

    test("a gRPC call is logged under its cerbosCallId", async () => {
      const res = await server.grpc(
        CerbosService.method.checkResources,
        body("audit-grpc") as never,
      );
      assert.equal(res.code, 0, res.details);
      const callId = (res.json as { cerbosCallId: string }).cerbosCallId;
      assertEntries(await entriesOf(callId), "audit-grpc");
    });
  });
}
