// The HTTP transport against the real Cerbos: the same raw requests (unknown paths, wrong
// methods, health, CORS preflights, oversized and malformed bodies, validation failures) must
// get the same status, the same error code and, where Gatehouse keeps Cerbos's wording, the
// same message and headers. Both decide with the example policies.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadPolicies } from "../../index.ts";
import { silentLogger } from "../../kernel/logger.ts";
import { noMetrics } from "../../kernel/metrics.ts";
import { toResponse } from "../../pdp/check-response.ts";
import { toPlanResponse } from "../../pdp/plan-response.ts";
import type { PdpService } from "../../pdp/types.ts";
import {
  cerbosUnavailableReason,
  startCerbosServer,
  type CerbosServer,
} from "../../../test/support/cerbos-server.ts";
import { createHttpServer, type HttpServer } from "./http-server.ts";

const unavailable = cerbosUnavailableReason();

interface Probe {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly body?: string | Buffer;
  readonly headers?: Readonly<Record<string, string>>;
  /** Compare the whole JSON body (else only status and `code`). */
  readonly sameBody?: boolean;
  /** Response headers that must match. */
  readonly sameHeaders?: readonly string[];
}

const good = JSON.stringify({
  requestId: "r",
  principal: { id: "alice", roles: ["user"] },
  resources: [
    { actions: ["view"], resource: { kind: "document", id: "d", attr: { owner: "alice" } } },
  ],
});
const origin = "https://app.example";
const preflight = (name: string, method: string, requestHeaders?: string): Probe => ({
  name,
  method: "OPTIONS",
  path: "/api/check/resources",
  headers: {
    origin,
    "access-control-request-method": method,
    ...(requestHeaders !== undefined ? { "access-control-request-headers": requestHeaders } : {}),
  },
  sameHeaders: [
    "vary",
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-max-age",
  ],
});

const evaluation = {
  subject: { type: "user", id: "alice", properties: { roles: ["user"] } },
  resource: { type: "document", id: "d1", properties: { owner: "alice" } },
  action: { name: "edit" },
};

const probes: readonly Probe[] = [
  {
    name: "AuthZEN evaluation",
    method: "POST",
    path: "/access/v1/evaluation",
    body: JSON.stringify(evaluation),
    sameBody: true,
  },
  {
    name: "AuthZEN evaluation with meta",
    method: "POST",
    path: "/access/v1/evaluation",
    body: JSON.stringify({ ...evaluation, context: { "cerbos.includeMeta": true } }),
    sameBody: true,
  },
  {
    name: "AuthZEN evaluation, empty",
    method: "POST",
    path: "/access/v1/evaluation",
    body: "{}",
    sameBody: true,
  },
  {
    name: "AuthZEN evaluations, deny on first deny",
    method: "POST",
    path: "/access/v1/evaluations",
    body: JSON.stringify({
      subject: evaluation.subject,
      evaluations: [
        { resource: evaluation.resource, action: { name: "view" } },
        {
          resource: { type: "document", id: "d2", properties: { owner: "bob" } },
          action: { name: "edit" },
        },
        { resource: evaluation.resource, action: { name: "delete" } },
      ],
      options: { evaluations_semantic: "deny_on_first_deny" },
    }),
    sameBody: true,
  },
  {
    name: "AuthZEN evaluations, empty",
    method: "POST",
    path: "/access/v1/evaluations",
    body: "{}",
    sameBody: true,
  },
  {
    name: "AuthZEN metadata",
    method: "GET",
    path: "/.well-known/authzen-configuration",
    sameBody: true,
  },
  {
    name: "deprecated CheckResourceSet",
    method: "POST",
    path: "/api/check",
    body: JSON.stringify({
      requestId: "s",
      actions: ["view", "edit"],
      principal: { id: "alice", roles: ["user"] },
      resource: {
        kind: "document",
        instances: { d1: { attr: { owner: "alice" } }, d2: { attr: {} } },
      },
    }),
    sameBody: true,
  },
  {
    name: "deprecated CheckResourceBatch",
    method: "POST",
    path: "/api/check_resource_batch",
    body: JSON.stringify({
      requestId: "b",
      principal: { id: "alice", roles: ["user"] },
      resources: [
        { actions: ["view"], resource: { kind: "document", id: "d1", attr: { owner: "alice" } } },
      ],
    }),
    sameBody: true,
  },
  {
    name: "PlanResources, several actions, with meta",
    method: "POST",
    path: "/api/plan/resources",
    body: JSON.stringify({
      requestId: "p",
      actions: ["view", "edit"],
      principal: { id: "root", roles: ["admin"] },
      resource: { kind: "document" },
      includeMeta: true,
    }),
    sameBody: true,
  },
  {
    name: "PlanResources, deprecated action, unknown kind",
    method: "POST",
    path: "/api/plan/resources",
    body: JSON.stringify({
      action: "view",
      principal: { id: "alice", roles: ["user"] },
      resource: { kind: "nothing", policyVersion: "default" },
      includeMeta: true,
    }),
    sameBody: true,
  },
  {
    // the whole body: message and buf.validate details
    name: "PlanResources, validation errors",
    method: "POST",
    path: "/api/plan/resources",
    body: JSON.stringify({
      action: "view",
      actions: ["a", "a", ""],
      principal: { id: "", roles: ["user"] },
      resource: { kind: "", scope: "-" },
      requestContext: { annotations: { "": 1 } },
    }),
    sameBody: true,
  },
  {
    name: "PlanResources, empty body",
    method: "POST",
    path: "/api/plan/resources",
    body: "",
    sameBody: true,
  },
  {
    name: "PlanResources, unknown field",
    method: "POST",
    path: "/api/plan/resources",
    body: '{"x":1}',
  },
  { name: "GET plan", method: "GET", path: "/api/plan/resources", sameBody: true },
  { name: "check without content type", method: "POST", path: "/api/check/resources", body: good },
  {
    name: "check as text/plain",
    method: "POST",
    path: "/api/check/resources",
    body: good,
    headers: { "content-type": "text/plain" },
  },
  { name: "empty body", method: "POST", path: "/api/check/resources", body: "", sameBody: true },
  { name: "malformed JSON", method: "POST", path: "/api/check/resources", body: "{" },
  { name: "wrong type", method: "POST", path: "/api/check/resources", body: '{"requestId":5}' },
  {
    name: "invalid UTF-8",
    method: "POST",
    path: "/api/check/resources",
    body: Buffer.concat([Buffer.from('{"requestId":"'), Buffer.from([0xff]), Buffer.from('"}')]),
  },
  {
    name: "nested 20000 deep",
    method: "POST",
    path: "/api/check/resources",
    body: `{"requestId":${"[".repeat(20000)}${"]".repeat(20000)}}`,
  },
  {
    name: "oversized",
    method: "POST",
    path: "/api/check/resources",
    body: JSON.stringify({ requestId: "x".repeat(5 * 1024 * 1024) }),
  },
  { name: "GET check", method: "GET", path: "/api/check/resources", sameBody: true },
  { name: "PUT check", method: "PUT", path: "/api/check/resources", body: good, sameBody: true },
  {
    name: "POST server info",
    method: "POST",
    path: "/api/server_info",
    body: "{}",
    sameBody: true,
  },
  { name: "POST health", method: "POST", path: "/_cerbos/health", sameBody: true },
  { name: "HEAD health", method: "HEAD", path: "/_cerbos/health" },
  { name: "health", method: "GET", path: "/_cerbos/health", sameBody: true },
  {
    name: "health of the Cerbos service",
    method: "GET",
    path: "/_cerbos/health?service=cerbos.svc.v1.CerbosService",
    sameBody: true,
  },
  {
    name: "health of another service",
    method: "GET",
    path: "/_cerbos/health?service=x.Y",
    sameBody: true,
  },
  { name: "unknown API path", method: "POST", path: "/api/nope", body: "{}", sameBody: true },
  { name: "unknown AuthZEN path", method: "GET", path: "/access/v1/nope", sameBody: true },
  { name: "GET evaluation", method: "GET", path: "/access/v1/evaluation", sameBody: true },
  {
    name: "POST AuthZEN metadata",
    method: "POST",
    path: "/.well-known/authzen-configuration",
    body: "{}",
    sameBody: true,
  },
  { name: "admin API", method: "GET", path: "/admin/policies", sameBody: true },
  {
    name: "unknown path",
    method: "GET",
    path: "/nope",
    sameHeaders: ["content-type", "x-content-type-options"],
  },
  {
    name: "trailing slash",
    method: "POST",
    path: "/api/check/resources/",
    body: good,
    sameBody: true,
  },
  { name: "query string", method: "POST", path: "/api/check/resources?x=1", body: good },
  {
    name: "OPTIONS without preflight headers",
    method: "OPTIONS",
    path: "/api/check/resources",
    sameBody: true,
  },
  preflight("preflight content-type", "POST", "content-type"),
  preflight("preflight without headers", "POST"),
  preflight("preflight header not allowed", "POST", "authorization,content-type"),
  preflight("preflight unsorted headers", "POST", "content-type,accept"),
  preflight("preflight PUT", "PUT"),
  preflight("preflight CONNECT", "CONNECT"),
  {
    name: "actual request with origin",
    method: "POST",
    path: "/api/check/resources",
    body: good,
    headers: { origin },
    sameHeaders: ["vary", "access-control-allow-origin"],
  },
];

describe("http server against Cerbos", { skip: unavailable }, () => {
  let cerbos: CerbosServer;
  let gatehouse: HttpServer;
  let gatehouseUrl: string;

  before(async () => {
    const engine = await loadPolicies("examples/policies");
    const pdp: PdpService = {
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
      serverInfo: () => ({ version: "0.55.0", commit: "x", buildDate: "y" }),
      policyStatus: () => ({ serving: true, policies: 2 }),
    };
    [cerbos, gatehouse] = await Promise.all([
      startCerbosServer({ policyDir: "examples/policies" }),
      Promise.resolve(
        createHttpServer({
          pdp,
          decode: {
            maxActionsPerResource: 50,
            maxResourcesPerRequest: 50,
            principalOptional: false,
          },
          logger: silentLogger,
          metrics: noMetrics,
          metricsText: () => Promise.resolve({ contentType: "text/plain", body: "" }),
          // Cerbos's defaults
          cors: {
            disabled: false,
            allowedOrigins: ["*"],
            allowedHeaders: ["accept", "content-type", "user-agent", "x-requested-with"],
            maxAge: 0,
          },
          maxBodyBytes: 4 * 1024 * 1024,
        }),
      ),
    ]);
    gatehouseUrl = `http://${await gatehouse.listen("127.0.0.1:0")}`;
  });
  after(async () => {
    await Promise.all([cerbos?.stop(), gatehouse?.shutdown(1000)]);
  });

  // the base URL differs; the call id is random
  const normalize = (text: string, base: string): string =>
    text
      .replaceAll(base, "BASE")
      .replace(/"cerbosCallId":\s*"[0-9A-Z]{26}"/g, '"cerbosCallId":"ID"');

  const send = async (base: string, p: Probe) => {
    const res = await fetch(base + p.path, {
      method: p.method,
      redirect: "manual",
      ...(p.headers ? { headers: p.headers } : {}),
      ...(p.body !== undefined
        ? { body: typeof p.body === "string" ? p.body : new Uint8Array(p.body) }
        : {}),
    });
    const text = normalize(await res.text(), base);
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };

  for (const p of probes) {
    it(p.name, async () => {
      const want = await send(cerbos.baseUrl, p);
      const got = await send(gatehouseUrl, p);
      assert.equal(got.status, want.status, `status; cerbos said ${want.text.slice(0, 200)}`);
      assert.equal(got.json?.["code"], want.json?.["code"], "error code");
      if (p.sameBody) {
        if (want.json === undefined) assert.equal(got.text, want.text);
        else assert.deepEqual(got.json, want.json);
      }
      for (const h of p.sameHeaders ?? []) assert.equal(got.headers.get(h), want.headers.get(h), h);
      // and both still serve
      assert.equal(
        (
          await send(gatehouseUrl, {
            name: "",
            method: "POST",
            path: "/api/check/resources",
            body: good,
          })
        ).status,
        200,
      );
    });
  }
});
