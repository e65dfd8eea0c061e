// The official @cerbos/http client, unchanged, against Gatehouse's HTTP server deciding with
// the example policies; plus raw requests for each class of bad input, each followed by a
// request that must still succeed.

import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, it } from "node:test";
import { HTTP } from "@cerbos/http";
import { NotOK, Status } from "@cerbos/core";
import { loadPolicies } from "../../../src/index.ts";
import { silentLogger } from "../../../src/kernel/logger.ts";
import { noMetrics } from "../../../src/kernel/metrics.ts";
import { toResponse } from "../../../src/pdp/check-response.ts";
import { toPlanResponse } from "../../../src/pdp/plan-response.ts";
import type { PdpService } from "../../../src/pdp/types.ts";
import { createHttpServer, type HttpServer } from "../../../src/protocols/http/index.ts";

/** A PDP service over the example policies, without tokens or audit. */
async function examplePdp(): Promise<PdpService> {
  const engine = await loadPolicies("examples/policies");
  return {
    checkResources(request, context) {
      const outputs = engine.check(
        request.resources.map((entry) => ({
          ...(request.requestId ? { requestId: request.requestId } : {}),
          principal: request.principal!,
          resource: entry.resource,
          actions: entry.actions,
        })),
      );
      return Promise.resolve(
        toResponse(
          request.requestId,
          request.resources,
          outputs,
          request.includeMeta,
          context.callId,
        ),
      );
    },
    planResources(request, context) {
      const output = engine.plan({
        ...(request.requestId ? { requestId: request.requestId } : {}),
        actions: request.actions,
        ...(request.action !== undefined ? { action: request.action } : {}),
        principal: request.principal!,
        resource: request.resource,
      });
      return Promise.resolve(toPlanResponse(request, output, context.callId));
    },
    serverInfo: () => ({ version: "0.55.0", commit: "test", buildDate: "2026-01-01T00:00:00Z" }),
    policyStatus: () => ({ serving: true, policies: 2 }),
  };
}

const alice = { id: "alice", roles: ["user"], attr: { department: "eng" } };
const validBody = JSON.stringify({
  requestId: "ok",
  principal: alice,
  resources: [
    { actions: ["view"], resource: { kind: "document", id: "d1", attr: { owner: "alice" } } },
  ],
});

describe("@cerbos/http against Gatehouse", () => {
  let server: HttpServer;
  let base: string;
  let client: HTTP;

  before(async () => {
    server = createHttpServer({
      pdp: await examplePdp(),
      decode: { maxActionsPerResource: 50, maxResourcesPerRequest: 50, principalOptional: false },
      logger: silentLogger,
      metrics: noMetrics,
      metricsText: () => Promise.resolve({ contentType: "text/plain", body: "" }),
      cors: { disabled: false, allowedOrigins: ["*"], allowedHeaders: ["content-type"], maxAge: 0 },
      maxBodyBytes: 256 * 1024,
    });
    base = `http://${await server.listen("127.0.0.1:0")}`;
    client = new HTTP(base);
  });
  after(async () => {
    await server.shutdown(1000);
  });

  const expectOk = async (): Promise<void> => {
    const res = await fetch(`${base}/api/check/resources`, { method: "POST", body: validBody });
    assert.equal(res.status, 200);
    const json = (await res.json()) as { results: { actions: Record<string, string> }[] };
    assert.equal(json.results[0]?.actions["view"], "EFFECT_ALLOW");
  };

  it("checkResources", async () => {
    const result = await client.checkResources({
      requestId: "r1",
      principal: alice,
      resources: [
        {
          resource: { kind: "document", id: "own", attr: { owner: "alice" } },
          actions: ["view", "edit", "delete"],
        },
        {
          resource: { kind: "document", id: "other", attr: { owner: "bob", department: "sales" } },
          actions: ["view"],
        },
        {
          resource: { kind: "document", id: "locked", attr: { owner: "alice", locked: true } },
          actions: ["delete"],
        },
      ],
      includeMetadata: true,
    });
    assert.equal(result.requestId, "r1");
    assert.match(result.cerbosCallId ?? "", /^[0-9A-Z]{26}$/);
    const own = result.findResult({ kind: "document", id: "own" });
    assert.equal(own?.isAllowed("edit"), true);
    assert.equal(own?.isAllowed("delete"), true);
    assert.equal(
      result.isAllowed({ resource: { kind: "document", id: "other" }, action: "view" }),
      false,
    );
    const locked = result.findResult({ kind: "document", id: "locked" });
    assert.equal(locked?.isAllowed("delete"), false);
    assert.deepEqual(
      locked?.outputs.map((o) => o.value),
      ["document locked is locked"],
    );
    assert.equal(own?.metadata?.actions["edit"]?.matchedPolicy, "resource.document.vdefault");
  });

  it("checkResource and isAllowed", async () => {
    const one = await client.checkResource({
      principal: alice,
      resource: { kind: "document", id: "d2", attr: { department: "eng" } },
      actions: ["view", "edit"],
    });
    assert.equal(one.isAllowed("view"), true);
    assert.equal(one.isAllowed("edit"), false);
    assert.equal(
      await client.isAllowed({
        principal: { id: "root", roles: ["admin"] },
        resource: { kind: "document", id: "d3" },
        action: "anything",
      }),
      true,
    );
    assert.equal(
      await client.isAllowed({
        principal: alice,
        resource: { kind: "document", id: "d4", attr: { public: false } },
        action: "view",
      }),
      false,
    );
  });

  it("serverInfo", async () => {
    assert.deepEqual(await client.serverInfo(), {
      version: "0.55.0",
      commit: "test",
      buildDate: "2026-01-01T00:00:00Z",
    });
  });

  it("surfaces validation errors as NotOK with code 3 and Cerbos's message", async () => {
    const err = await client
      .checkResources({
        principal: { id: "alice", roles: [] },
        resources: [{ resource: { kind: "document", id: "d1" }, actions: ["view"] }],
      })
      .then(
        () => assert.fail("expected a NotOK"),
        (e: unknown) => e,
      );
    assert.ok(err instanceof NotOK, String(err));
    assert.equal(err.code, Status.INVALID_ARGUMENT);
    assert.equal(err.code, 3);
    // Cerbos 0.55's message for this request, word for word
    assert.equal(err.details, "validation error: principal.roles: value is required");
    await expectOk();
  });

  describe("bad input over raw HTTP, each followed by a good request", () => {
    const post = async (body: string | Buffer, path = "/api/check/resources", method = "POST") => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { "content-type": "application/json" },
        ...(method === "GET"
          ? {}
          : { body: typeof body === "string" ? body : new Uint8Array(body) }),
      });
      const text = await res.text();
      let json: { code?: number; message?: string } | undefined;
      try {
        json = JSON.parse(text) as { code?: number; message?: string };
      } catch {
        json = undefined;
      }
      return { status: res.status, text, json };
    };

    it("invalid JSON", async () => {
      const r = await post('{"principal": {"id": "alice",}}');
      assert.equal(r.status, 400);
      assert.equal(r.json?.code, 3);
      assert.equal(
        r.json?.message,
        "invalid JSON at line 1 column 30: expected a property name, found `}`",
      );
      await expectOk();
    });

    it("wrong types", async () => {
      const r = await post('{"principal": {"id": 7, "roles": ["user"]}, "resources": []}');
      assert.equal(r.status, 400);
      assert.equal(r.json?.code, 3);
      assert.match(r.json?.message ?? "", /invalid value for string field id: 7/);
      await expectOk();
    });

    it("invalid UTF-8", async () => {
      const r = await post(
        Buffer.concat([
          Buffer.from('{"requestId":"\xff'),
          Buffer.from([0xc0, 0x80]),
          Buffer.from('"}'),
        ]),
      );
      assert.equal(r.status, 400);
      assert.match(r.json?.message ?? "", /invalid UTF-8/);
      await expectOk();
    });

    it("oversized body", async () => {
      const r = await post(JSON.stringify({ requestId: "x".repeat(300 * 1024) }));
      assert.equal(r.status, 429);
      assert.equal(r.json?.code, 8);
      await expectOk();
    });

    it("oversized body sent chunked", async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${base}/api/check/resources`, { method: "POST" }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        for (let i = 0; i < 20; i++) req.write(`{"requestId":"${"x".repeat(16 * 1024)}`);
        req.end();
      });
      assert.equal(status, 429);
      await expectOk();
    });

    it("deep nesting", async () => {
      const depth = 5000;
      const attr = `{"a":${"[".repeat(depth)}${"]".repeat(depth)}}`;
      const r = await post(
        `{"principal":{"id":"a","roles":["user"]},"resources":[{"actions":["view"],"resource":{"kind":"document","id":"d","attr":${attr}}}]}`,
      );
      assert.equal(r.status, 400);
      assert.match(r.json?.message ?? "", /nesting deeper than 1000 levels/);
      await expectOk();
    });

    it("unknown routes", async () => {
      const api = await post("{}", "/api/check/nothing");
      assert.equal(api.status, 404);
      assert.deepEqual(api.json, { code: 5, message: "Not Found" });
      const other = await post("", "/elsewhere", "GET");
      assert.equal(other.status, 404);
      assert.equal(other.text, "404 page not found\n");
      await expectOk();
    });

    it("wrong methods", async () => {
      const r = await post("", "/api/check/resources", "GET");
      assert.equal(r.status, 501);
      assert.deepEqual(r.json, { code: 12, message: "Method Not Allowed" });
      const put = await post(validBody, "/api/check/resources", "PUT");
      assert.equal(put.status, 501);
      await expectOk();
    });
  });
});
