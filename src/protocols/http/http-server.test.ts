import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { GatehouseError, InvalidArgumentError } from "../../kernel/errors.ts";
import { silentLogger } from "../../kernel/logger.ts";
import { noMetrics, type Metrics } from "../../kernel/metrics.ts";
import type {
  CheckResourcesRequest,
  CheckResourcesResponse,
  PdpService,
  PlanResourcesRequest,
  PlanResourcesResponse,
  PolicyStatus,
  RequestContext,
} from "../../pdp/types.ts";
import { defaultApiBindings, type ApiBindings, type CheckBinding } from "./api-bindings.ts";
import { createHttpServer, type AccessEntry, type HttpServerOptions } from "./http-server.ts";

const validBody = {
  requestId: "r1",
  principal: { id: "alice", roles: ["user"] },
  resources: [{ actions: ["view"], resource: { kind: "document", id: "d1" } }],
};

/** A PDP that allows everything and remembers what it was asked. */
function fakePdp(status: PolicyStatus = { serving: true, policies: 1 }): PdpService & {
  calls: { request: CheckResourcesRequest; context: RequestContext }[];
  plans: { request: PlanResourcesRequest; context: RequestContext }[];
  status: PolicyStatus;
  gate?: Promise<void>;
} {
  const pdp = {
    calls: [] as { request: CheckResourcesRequest; context: RequestContext }[],
    plans: [] as { request: PlanResourcesRequest; context: RequestContext }[],
    status,
    gate: undefined as Promise<void> | undefined,
    async checkResources(
      request: CheckResourcesRequest,
      context: RequestContext,
    ): Promise<CheckResourcesResponse> {
      pdp.calls.push({ request, context });
      if (pdp.gate) await pdp.gate;
      if (request.requestId === "explode") throw new Error("secret internals");
      if (request.requestId === "bad-token") throw new InvalidArgumentError("", "invalid auxData");
      return {
        requestId: request.requestId,
        results: request.resources.map((r) => ({
          resource: { id: r.resource.id, kind: r.resource.kind },
          actions: Object.fromEntries(r.actions.map((a) => [a, "EFFECT_ALLOW" as const])),
        })),
        cerbosCallId: context.callId,
      };
    },
    planResources(
      request: PlanResourcesRequest,
      context: RequestContext,
    ): Promise<PlanResourcesResponse> {
      pdp.plans.push({ request, context });
      if (request.requestId === "explode") return Promise.reject(new Error("secret internals"));
      return Promise.resolve({
        ...(request.requestId ? { requestId: request.requestId } : {}),
        ...(request.action !== undefined
          ? { action: request.action }
          : { actions: request.actions }),
        resourceKind: request.resource.kind,
        filter: { kind: "KIND_ALWAYS_ALLOWED" },
        cerbosCallId: context.callId,
      });
    },
    serverInfo: () => ({ version: "0.55.0", commit: "abc", buildDate: "2026-01-01T00:00:00Z" }),
    policyStatus: () => pdp.status,
  };
  return pdp;
}

const decode = { maxActionsPerResource: 50, maxResourcesPerRequest: 50, principalOptional: false };
const cors = {
  disabled: false,
  allowedOrigins: ["*"],
  allowedHeaders: ["accept", "content-type", "user-agent", "x-requested-with"],
  maxAge: 0,
};

async function start(over: Partial<HttpServerOptions> = {}) {
  const pdp = fakePdp();
  const access: AccessEntry[] = [];
  const observed: { method: string; status: number }[] = [];
  const metrics: Metrics = {
    ...noMetrics,
    observeRequest: (_p, method, status) => observed.push({ method, status }),
  };
  const server = createHttpServer({
    pdp,
    decode,
    logger: silentLogger,
    metrics,
    metricsText: () =>
      Promise.resolve({ contentType: "text/plain; version=0.0.4", body: "up 1\n" }),
    onAccess: (e) => access.push(e),
    cors,
    maxBodyBytes: 64 * 1024,
    ...over,
  });
  const addr = await server.listen("127.0.0.1:0");
  const base = `http://${addr}`;
  const req = async (
    method: string,
    path: string,
    body?: string | Buffer,
    headers: Record<string, string> = {},
  ) => {
    const res = await fetch(base + path, {
      method,
      headers,
      ...(body !== undefined
        ? { body: typeof body === "string" ? body : new Uint8Array(body) }
        : {}),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return {
      status: res.status,
      headers: res.headers,
      text,
      json: json as Record<string, unknown>,
    };
  };
  return { server, addr, base, pdp, access, observed, req };
}

describe("http server", () => {
  let s: Awaited<ReturnType<typeof start>>;
  before(async () => {
    s = await start();
  });
  after(async () => {
    await s.server.shutdown(1000);
  });

  it("answers CheckResources with the service's response and a Content-Length", async () => {
    const r = await s.req("POST", "/api/check/resources", JSON.stringify(validBody));
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-type"), "application/json");
    assert.equal(r.headers.get("content-length"), String(Buffer.byteLength(r.text)));
    assert.equal(r.json["requestId"], "r1");
    assert.deepEqual(r.json["results"], [
      { resource: { id: "d1", kind: "document" }, actions: { view: "EFFECT_ALLOW" } },
    ]);
    assert.match(String(r.json["cerbosCallId"]), /^[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it("passes peer, user agent, forwarded-for and lower-case headers to the service", async () => {
    s.pdp.calls.length = 0;
    await s.req("POST", "/api/check/resources", JSON.stringify(validBody), {
      "User-Agent": "test-agent/1",
      "X-Forwarded-For": "10.0.0.1",
      "X-Custom": "v1",
    });
    const ctx = s.pdp.calls[0]!.context;
    assert.equal(ctx.protocol, "http");
    assert.equal(ctx.peer.userAgent, "test-agent/1");
    assert.equal(ctx.peer.forwardedFor, "10.0.0.1, 127.0.0.1");
    assert.match(ctx.peer.address, /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(ctx.metadata["x-custom"], ["v1"]);
    assert.match(ctx.callId, /^[0-9A-Z]{26}$/);
  });

  it("ignores the content type, as Cerbos does", async () => {
    const r = await s.req("POST", "/api/check/resources", JSON.stringify(validBody), {
      "content-type": "text/plain",
    });
    assert.equal(r.status, 200);
  });

  it("reads an empty body as {} and reports Cerbos's validation errors", async () => {
    const r = await s.req("POST", "/api/check/resources", "");
    assert.equal(r.status, 400);
    assert.equal(r.json["code"], 3);
    assert.match(String(r.json["message"]), /principal: value is required/);
    assert.ok(Array.isArray(r.json["details"]));
  });

  it("refuses malformed JSON with a line and column", async () => {
    const r = await s.req("POST", "/api/check/resources", '{"requestId": x}');
    assert.equal(r.status, 400);
    assert.deepEqual(r.json, {
      code: 3,
      message: "invalid JSON at line 1 column 15: expected a value, found `x`",
    });
  });

  it("refuses invalid UTF-8", async () => {
    const body = Buffer.concat([
      Buffer.from('{"requestId":"'),
      Buffer.from([0xff]),
      Buffer.from('"}'),
    ]);
    const r = await s.req("POST", "/api/check/resources", body);
    assert.equal(r.status, 400);
    assert.equal(r.json["message"], "invalid JSON at line 1 column 15: invalid UTF-8");
  });

  it("refuses deep nesting cleanly", async () => {
    const deep = "[".repeat(20_000) + "]".repeat(20_000);
    const r = await s.req("POST", "/api/check/resources", `{"requestId":${deep}}`);
    assert.equal(r.status, 400);
    assert.match(String(r.json["message"]), /nesting deeper than 1000 levels/);
  });

  it("refuses a body over the limit with 429 and code 8, declared or streamed", async () => {
    const big = JSON.stringify({ ...validBody, requestId: "x".repeat(70 * 1024) });
    const r = await s.req("POST", "/api/check/resources", big);
    assert.equal(r.status, 429);
    assert.equal(r.json["code"], 8);
    assert.match(String(r.json["message"]), /larger than max \(\d+ vs\. 65536\)/);

    // chunked: no Content-Length, so the limit is found while reading
    const streamed = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${s.base}/api/check/resources`, { method: "POST" }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      for (let i = 0; i < 8; i++) req.write("x".repeat(16 * 1024));
      req.end();
    });
    assert.equal(streamed.status, 429);
    assert.match(streamed.body, /more than 65536/);
    assert.equal(
      (await s.req("POST", "/api/check/resources", JSON.stringify(validBody))).status,
      200,
    );
  });

  it("keeps serving after every kind of bad input", async () => {
    for (const bad of ["{", "[]", "null", '{"requestId":5}', '{"foo":1}', "\u0000"]) {
      const r = await s.req("POST", "/api/check/resources", bad);
      assert.equal(r.status, 400, bad);
      assert.equal(r.json["code"], 3, bad);
      const ok = await s.req("POST", "/api/check/resources", JSON.stringify(validBody));
      assert.equal(ok.status, 200, `after ${bad}`);
    }
  });

  it("maps service errors: Gatehouse errors keep their message, others are internal", async () => {
    const bad = await s.req(
      "POST",
      "/api/check/resources",
      JSON.stringify({ ...validBody, requestId: "bad-token" }),
    );
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json, { code: 3, message: "invalid auxData" });
    const boom = await s.req(
      "POST",
      "/api/check/resources",
      JSON.stringify({ ...validBody, requestId: "explode" }),
    );
    assert.equal(boom.status, 500);
    assert.equal(boom.json["code"], 13);
    assert.doesNotMatch(boom.text, /secret/);
  });

  it("answers server info, health and metrics", async () => {
    const info = await s.req("GET", "/api/server_info");
    assert.deepEqual(info.json, {
      version: "0.55.0",
      commit: "abc",
      buildDate: "2026-01-01T00:00:00Z",
    });
    const health = await s.req("GET", "/_cerbos/health");
    assert.equal(health.status, 200);
    assert.equal(health.text, '{"status":"SERVING"}\n');
    assert.equal(
      (await s.req("GET", "/_cerbos/health?service=cerbos.svc.v1.CerbosService")).status,
      200,
    );
    const unknown = await s.req("GET", "/_cerbos/health?service=foo");
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.json, { code: 5, message: "unknown service" });
    const metrics = await s.req("GET", "/_cerbos/metrics");
    assert.equal(metrics.status, 200);
    assert.equal(metrics.text, "up 1\n");
    assert.equal(metrics.headers.get("content-type"), "text/plain; version=0.0.4");
  });

  it("is NOT_SERVING until a policy set loads, and exposes the last reload error", async () => {
    s.pdp.status = { serving: false, policies: 0 };
    const down = await s.req("GET", "/_cerbos/health");
    assert.equal(down.status, 503);
    assert.deepEqual(down.json, { code: 14, message: "status:NOT_SERVING" });
    const failed: PolicyStatus = {
      serving: true,
      policies: 3,
      loadedAt: "2026-01-01T00:00:00.000Z",
      lastError: { at: "2026-01-01T00:01:00.000Z", problems: ["a.yaml:1:1: bad"] },
    };
    s.pdp.status = failed;
    assert.equal((await s.req("GET", "/_cerbos/health")).status, 200);
    const status = await s.req("GET", "/_gatehouse/status");
    assert.deepEqual(status.json, failed);
    s.pdp.status = { serving: true, policies: 1 };
  });

  it("answers PlanResources with the service's response and logs the call", async () => {
    const body = {
      requestId: "p1",
      action: "view",
      principal: { id: "alice", roles: ["user"] },
      resource: { kind: "document", scope: "" },
    };
    const r = await s.req("POST", "/api/plan/resources", JSON.stringify(body));
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(s.pdp.plans.at(-1)?.request, {
      requestId: "p1",
      action: "view",
      actions: ["view"],
      principal: { id: "alice", roles: ["user"] },
      resource: { kind: "document" },
      includeMeta: false,
    });
    const callId = s.pdp.plans.at(-1)?.context.callId;
    assert.deepEqual(r.json, {
      requestId: "p1",
      action: "view",
      resourceKind: "document",
      filter: { kind: "KIND_ALWAYS_ALLOWED" },
      cerbosCallId: callId,
    });
    const entry = s.access.find((e) => e.callId === callId);
    assert.equal(entry?.method, "/cerbos.svc.v1.CerbosService/PlanResources");
    assert.equal(entry?.statusCode, 0);
  });

  it("refuses an invalid plan request with Cerbos's validation error and no call", async () => {
    const plans = s.pdp.plans.length;
    const accessed = s.access.length;
    const r = await s.req(
      "POST",
      "/api/plan/resources",
      JSON.stringify({ actions: ["view", "view"], principal: { id: "a", roles: ["r"] } }),
    );
    assert.equal(r.status, 400);
    assert.equal(r.json["code"], 3);
    assert.equal(
      r.json["message"],
      "validation errors:\n - actions: repeated value must contain unique items\n - resource: value is required",
    );
    assert.ok(Array.isArray(r.json["details"]));
    assert.equal(s.pdp.plans.length, plans);
    assert.equal(s.access.length, accessed);
  });

  it("answers a failed plan with 500 and a private message, logged with its status", async () => {
    const r = await s.req(
      "POST",
      "/api/plan/resources",
      JSON.stringify({
        requestId: "explode",
        actions: ["view"],
        principal: { id: "a", roles: ["r"] },
        resource: { kind: "document" },
      }),
    );
    assert.equal(r.status, 500);
    assert.deepEqual(r.json, { code: 13, message: "internal error" });
    const callId = s.pdp.plans.at(-1)?.context.callId;
    assert.equal(s.access.find((e) => e.callId === callId)?.statusCode, 13);
  });

  it("refuses GET on the plan endpoint as Cerbos does", async () => {
    const r = await s.req("GET", "/api/plan/resources");
    assert.equal(r.status, 501);
    assert.deepEqual(r.json, { code: 12, message: "Method Not Allowed" });
  });

  it("answers unknown paths and wrong methods as Cerbos does", async () => {
    const api = await s.req("POST", "/api/nope", "{}");
    assert.equal(api.status, 404);
    assert.deepEqual(api.json, { code: 5, message: "Not Found" });
    const other = await s.req("GET", "/nope");
    assert.equal(other.status, 404);
    assert.equal(other.text, "404 page not found\n");
    assert.equal(other.headers.get("content-type"), "text/plain; charset=utf-8");
    const admin = await s.req("GET", "/admin/policies");
    assert.equal(admin.status, 404);
    assert.equal(admin.json["code"], 12);
    for (const [method, path] of [
      ["GET", "/api/check/resources"],
      ["PUT", "/api/check/resources"],
      ["POST", "/api/server_info"],
      ["POST", "/_cerbos/health"],
      ["DELETE", "/access/v1/evaluation"],
    ] as const) {
      const r = await s.req(method, path);
      assert.equal(r.status, 501, `${method} ${path}`);
      assert.deepEqual(r.json, { code: 12, message: "Method Not Allowed" });
    }
    assert.equal(
      (await s.req("POST", "/api/check/resources", JSON.stringify(validBody))).status,
      200,
    );
  });

  it("answers AuthZEN metadata from the request's host", async () => {
    const r = await s.req("GET", "/.well-known/authzen-configuration");
    assert.deepEqual(r.json, {
      policy_decision_point: s.base,
      access_evaluation_endpoint: `${s.base}/access/v1/evaluation`,
      access_evaluations_endpoint: `${s.base}/access/v1/evaluations`,
    });
  });

  it("answers CORS preflights and actual requests as rs/cors does", async () => {
    const pre = await s.req("OPTIONS", "/api/check/resources", undefined, {
      origin: "https://app.example",
      "access-control-request-method": "POST",
      "access-control-request-headers": "content-type",
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), "*");
    assert.equal(pre.headers.get("access-control-allow-methods"), "POST");
    assert.equal(pre.headers.get("access-control-allow-headers"), "content-type");
    const refused = await s.req("OPTIONS", "/api/check/resources", undefined, {
      origin: "https://app.example",
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization",
    });
    assert.equal(refused.status, 204);
    assert.equal(refused.headers.get("access-control-allow-origin"), null);
    const actual = await s.req("POST", "/api/check/resources", JSON.stringify(validBody), {
      origin: "https://app.example",
    });
    assert.equal(actual.headers.get("access-control-allow-origin"), "*");
    assert.equal(actual.headers.get("vary"), "Origin");
  });

  it("records metrics per request and access entries per API call", async () => {
    s.observed.length = 0;
    s.access.length = 0;
    await s.req("POST", "/api/check/resources", JSON.stringify(validBody), { "user-agent": "ua" });
    await s.req("POST", "/api/check/resources", "{");
    await s.req("GET", "/nope");
    await s.req("GET", "/api/server_info");
    assert.deepEqual(s.observed, [
      { method: "/api/check/resources", status: 200 },
      { method: "/api/check/resources", status: 400 },
      { method: "other", status: 404 },
      { method: "/api/server_info", status: 200 },
    ]);
    assert.deepEqual(
      s.access.map((e) => [e.method, e.statusCode, e.status, e.httpMethod, e.path]),
      [
        ["/cerbos.svc.v1.CerbosService/CheckResources", 0, 200, "POST", "/api/check/resources"],
        ["/cerbos.svc.v1.CerbosService/ServerInfo", 0, 200, "GET", "/api/server_info"],
      ],
    );
    const entry = s.access[0]!;
    assert.equal(entry.peer.userAgent, "ua");
    assert.equal(entry.context.callId, entry.callId);
    assert.ok(entry.durationMs >= 0);
  });

  it("keeps serving after a client leaves mid-body or sends broken HTTP", async () => {
    const port = Number(s.addr.split(":")[1]);
    const partial = connect(port, "127.0.0.1");
    await new Promise<void>((resolve) => partial.on("connect", resolve));
    partial.write(
      'POST /api/check/resources HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"requestId":',
    );
    await new Promise((r) => setTimeout(r, 20));
    partial.destroy();
    const garbage = connect(port, "127.0.0.1");
    const answer = await new Promise<string>((resolve) => {
      let got = "";
      garbage.on("data", (d: Buffer) => (got += d.toString()));
      garbage.on("close", () => resolve(got));
      garbage.write("NOT HTTP AT ALL\r\n\r\n");
    });
    assert.match(answer, /^HTTP\/1\.1 400 Bad Request/);
    assert.equal(
      (await s.req("POST", "/api/check/resources", JSON.stringify(validBody))).status,
      200,
    );
  });

  it("keeps the connection open across requests", async () => {
    const socket = connect(Number(s.addr.split(":")[1]), "127.0.0.1");
    const body = JSON.stringify(validBody);
    const one = `POST /api/check/resources HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const text = await new Promise<string>((resolve, reject) => {
      let got = "";
      socket.on("data", (d: Buffer) => {
        got += d.toString();
        if ((got.match(/EFFECT_ALLOW/g) ?? []).length === 2) resolve(got);
      });
      socket.on("error", reject);
      socket.write(one + one);
    });
    socket.destroy();
    assert.equal((text.match(/HTTP\/1\.1 200 OK/g) ?? []).length, 2);
  });
});

describe("http server bindings", () => {
  it("routes AuthZEN evaluations through their binding and encoder", async () => {
    const evaluation: CheckBinding = {
      rpc: "/authzen.authorization.v1.AuthorizationService/AccessEvaluation",
      decode: (json) => {
        const j = json as {
          subject: { id: string };
          resource: { type: string; id: string };
          action: { name: string };
        };
        return {
          requestId: "",
          principal: { id: j.subject.id, roles: ["user"] },
          resources: [
            { actions: [j.action.name], resource: { kind: j.resource.type, id: j.resource.id } },
          ],
          includeMeta: false,
        };
      },
      encode: (req, res) => ({
        decision: res.results[0]!.actions[req.resources[0]!.actions[0]!] === "EFFECT_ALLOW",
      }),
    };
    const bindings: ApiBindings = {
      checkResources: defaultApiBindings.checkResources,
      accessEvaluation: evaluation,
    };
    const s = await start({ bindings });
    try {
      const r = await s.req(
        "POST",
        "/access/v1/evaluation",
        JSON.stringify({
          subject: { id: "a" },
          resource: { type: "document", id: "d" },
          action: { name: "view" },
        }),
      );
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { decision: true });
      assert.equal(s.access[0]?.method, evaluation.rpc);
      const batch = await s.req("POST", "/access/v1/evaluations", "{}");
      assert.equal(batch.status, 501);
      assert.equal(batch.json["code"], 12);
    } finally {
      await s.server.shutdown(1000);
    }
  });
});

describe("http server lifecycle", () => {
  it("listens on a unix socket", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gatehouse-http-"));
    const path = join(dir, "http.sock");
    const server = createHttpServer({
      pdp: fakePdp(),
      decode,
      logger: silentLogger,
      metrics: noMetrics,
      metricsText: () => Promise.resolve({ contentType: "text/plain", body: "" }),
      cors,
      maxBodyBytes: 1024,
    });
    try {
      assert.equal(await server.listen(`unix:${path}`), `unix:${path}`);
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest({ socketPath: path, path: "/_cerbos/health" }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end();
      });
      assert.equal(status, 200);
    } finally {
      await server.shutdown(1000);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rejects a bad listen address and a taken port", async () => {
    const s = await start();
    try {
      const other = createHttpServer({
        pdp: fakePdp(),
        decode,
        logger: silentLogger,
        metrics: noMetrics,
        metricsText: () => Promise.resolve({ contentType: "text/plain", body: "" }),
        cors,
        maxBodyBytes: 1024,
      });
      await assert.rejects(other.listen("nonsense"), GatehouseError);
      await assert.rejects(other.listen(s.addr), /EADDRINUSE/);
    } finally {
      await s.server.shutdown(1000);
    }
  });

  it("lets in-flight requests finish on shutdown, then refuses connections", async () => {
    const s = await start();
    let release!: () => void;
    s.pdp.gate = new Promise((r) => (release = r));
    const inflight = s.req("POST", "/api/check/resources", JSON.stringify(validBody));
    while (s.pdp.calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    const stopped = s.server.shutdown(5000);
    // the listener is closed: new connections are refused while the call finishes
    await assert.rejects(fetch(`${s.base}/_cerbos/health`));
    release();
    const r = await inflight;
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("connection"), "close");
    await stopped;
  });

  it("force-closes connections still busy after the grace period", async () => {
    const s = await start();
    s.pdp.gate = new Promise(() => {});
    const inflight = s.req("POST", "/api/check/resources", JSON.stringify(validBody));
    while (s.pdp.calls.length === 0) await new Promise((r) => setTimeout(r, 5));
    await s.server.shutdown(50);
    await assert.rejects(inflight);
  });
});
