import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { createLogger, silentLogger } from "../kernel/logger.ts";
import type { AuditConfig } from "../main/config/types.ts";
import type { RequestContext } from "../pdp/types.ts";
import { compileMetadataFilter } from "./audit-entries.ts";
import { createAuditLog } from "./audit-log.ts";
import { createLineWriter } from "./line-writer.ts";

const config = (path: string, over: Partial<AuditConfig> = {}): AuditConfig => ({
  enabled: true,
  accessLogsEnabled: true,
  decisionLogsEnabled: true,
  backend: "file",
  file: { path },
  includeMetadataKeys: [],
  excludeMetadataKeys: [],
  ...over,
});

const context: RequestContext = {
  callId: "01HGJWWJQSEEJ5FE3HGH0KXWZ4",
  protocol: "http",
  peer: { address: "10.0.0.1:5000", userAgent: "curl/8", forwardedFor: "1.2.3.4" },
  metadata: { authorization: ["Bearer x"], "x-foo": ["bar"], "content-type": ["application/json"] },
};

const decision = {
  context,
  timestamp: Date.parse("2024-01-01T00:00:00.123Z"),
  inputs: [
    {
      requestId: "r1",
      principal: { id: "john", roles: ["employee"] },
      resource: { kind: "equipment_request", id: "e1" },
      actions: ["error"],
    },
  ],
  outputs: [
    {
      requestId: "r1",
      resourceId: "e1",
      actions: {
        error: { effect: "EFFECT_ALLOW" as const, policy: "resource.equipment_request.vdefault" },
        none: { effect: "EFFECT_DENY" as const, policy: "NO_MATCH" },
      },
      outputs: [
        {
          src: "resource.equipment_request.vdefault#output-error",
          val: null,
          action: "error",
          error: "division by zero",
        },
      ],
      explanation: { not: "logged" },
    },
  ],
};

describe("compileMetadataFilter", () => {
  it("follows Cerbos's include/exclude rules", () => {
    const keys = ["authorization", "x-foo", "content-type"];
    const run = (include: string[], exclude: string[]) =>
      keys.filter(compileMetadataFilter({ include, exclude }));
    assert.deepEqual(run([], []), []);
    assert.deepEqual(run(["X-Foo"], []), ["x-foo"]);
    assert.deepEqual(run([], ["authorization"]), ["x-foo", "content-type"]);
    assert.deepEqual(run(["x-foo", "authorization"], ["authorization"]), ["x-foo"]);
  });
});

describe("createAuditLog", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "gatehouse-audit-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("writes decision and access entries in Cerbos's shape", async () => {
    const path = join(dir, "audit.log");
    const log = createAuditLog(config(path, { excludeMetadataKeys: ["authorization"] }), {
      logger: silentLogger,
      policySource: {
        directory: "/policies",
        sourceOf: (k) => (k === "resource.equipment_request.vdefault" ? "rp/p7.yaml" : undefined),
      },
    });
    log.recordAccess({
      context,
      timestamp: decision.timestamp,
      method: "/cerbos.svc.v1.CerbosService/CheckResources",
      statusCode: 0,
    });
    log.recordDecision(decision);
    await log.close();
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    assert.equal(lines.length, 2);
    const metadata = {
      "x-foo": { values: ["bar"] },
      "content-type": { values: ["application/json"] },
    };
    const peer = { address: "10.0.0.1:5000", userAgent: "curl/8", forwardedFor: "1.2.3.4" };
    const policySource = { disk: { directory: "/policies" } };
    assert.equal(
      lines[0],
      JSON.stringify({
        "log.logger": "cerbos.audit",
        "log.kind": "access",
        callId: context.callId,
        peer,
        timestamp: "2024-01-01T00:00:00.123Z",
        metadata,
        method: "/cerbos.svc.v1.CerbosService/CheckResources",
        policySource,
      }),
    );
    const { explanation: _e, ...rest } = decision.outputs[0]!;
    // a failed output expression is logged with `error` and without `val`, as Cerbos does
    const loggedOutput = {
      ...rest,
      outputs: [{ src: rest.outputs[0]!.src, action: "error", error: "division by zero" }],
    };
    assert.equal(
      lines[1],
      JSON.stringify({
        "log.logger": "cerbos.audit",
        "log.kind": "decision",
        callId: context.callId,
        timestamp: "2024-01-01T00:00:00.123Z",
        peer,
        checkResources: { inputs: decision.inputs, outputs: [loggedOutput] },
        metadata,
        auditTrail: {
          effectivePolicies: {
            "resource.equipment_request.vdefault": {
              attributes: { driver: "disk", source: "rp/p7.yaml" },
            },
          },
        },
        policySource,
      }),
    );
  });

  it("writes plan decision entries in Cerbos's shape", async () => {
    const path = join(dir, "audit.log");
    const log = createAuditLog(config(path), {
      logger: silentLogger,
      policySource: { directory: "/policies" },
    });
    const principal = { id: "u", roles: ["user"] };
    log.recordPlan({
      context: { ...context, metadata: {} },
      timestamp: decision.timestamp,
      input: {
        requestId: "r1",
        actions: ["view"],
        action: "view",
        principal,
        resource: { kind: "doc", scope: "acme" },
      },
      includeMeta: true,
      output: {
        requestId: "r1",
        kind: "doc",
        policyVersion: "",
        scope: "acme",
        action: "view",
        actions: ["view"],
        filter: {
          kind: "KIND_CONDITIONAL",
          condition: {
            expression: {
              operator: "eq",
              operands: [{ variable: "request.resource.attr.status" }, { value: "open" }],
            },
          },
        },
        filterDebug: '(eq request.resource.attr.status "open")',
        matchedScopes: { view: "" },
      },
    });
    log.recordPlan({
      context: { ...context, metadata: {} },
      timestamp: decision.timestamp,
      input: {
        actions: ["a", "b"],
        principal: { roles: ["user"], attr: { z: 1, a: { y: 1, x: 2 } }, id: "u" },
        resource: { scope: "", attr: { b: [{ d: 1, c: 2 }] }, kind: "nope" },
      },
      includeMeta: false,
      requestContext: { annotations: { k: 1, j: 2 } },
      output: {
        kind: "nope",
        policyVersion: "",
        scope: "",
        actions: ["a", "b"],
        filter: { kind: "KIND_ALWAYS_DENIED" },
        filterDebug: "NO_MATCH",
        matchedScopes: { b: "", a: "" },
      },
    });
    await log.close();
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    const peer = { address: "10.0.0.1:5000", userAgent: "curl/8", forwardedFor: "1.2.3.4" };
    const head = {
      "log.logger": "cerbos.audit",
      "log.kind": "decision",
      callId: context.callId,
      timestamp: "2024-01-01T00:00:00.123Z",
      peer,
    };
    const tail = { auditTrail: {}, policySource: { disk: { directory: "/policies" } } };
    // key order as the Cerbos 0.55 binary writes it, the filter's keys included
    assert.equal(
      lines[0],
      JSON.stringify({
        ...head,
        planResources: {
          input: {
            requestId: "r1",
            actions: ["view"],
            action: "view",
            principal,
            resource: { kind: "doc", scope: "acme" },
            includeMeta: true,
          },
          output: {
            requestId: "r1",
            action: "view",
            kind: "doc",
            scope: "acme",
            filter: {
              condition: {
                expression: {
                  operands: [{ variable: "request.resource.attr.status" }, { value: "open" }],
                  operator: "eq",
                },
              },
              kind: "KIND_CONDITIONAL",
            },
            filterDebug: '(eq request.resource.attr.status "open")',
            actions: ["view"],
            matchedScopes: { view: "" },
          },
        },
        ...tail,
      }),
    );
    assert.equal(
      lines[1],
      JSON.stringify({
        ...head,
        planResources: {
          // proto field order, map and Struct keys sorted
          input: {
            actions: ["a", "b"],
            principal: { id: "u", roles: ["user"], attr: { a: { x: 2, y: 1 }, z: 1 } },
            resource: { kind: "nope", attr: { b: [{ c: 2, d: 1 }] } },
          },
          output: {
            kind: "nope",
            filter: { kind: "KIND_ALWAYS_DENIED" },
            filterDebug: "NO_MATCH",
            actions: ["a", "b"],
            matchedScopes: { a: "", b: "" },
          },
        },
        ...tail,
        requestContext: { annotations: { j: 2, k: 1 } },
      }),
    );
  });

  it("writes only the enabled kinds, with a status code for failed calls", async () => {
    const path = join(dir, "audit.log");
    const log = createAuditLog(config(path, { decisionLogsEnabled: false }), {
      logger: silentLogger,
      policySource: { directory: "/p" },
    });
    log.recordDecision(decision);
    log.recordPlan({
      context,
      timestamp: 0,
      input: { actions: ["a"], principal: { id: "u", roles: ["r"] }, resource: { kind: "k" } },
      includeMeta: false,
    });
    log.recordAccess({ context, timestamp: 0, method: "/m", statusCode: 3 });
    await log.close();
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    assert.equal(lines.length, 1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(entry["log.kind"], "access");
    assert.equal(entry["statusCode"], 3);
    assert.equal(entry["metadata"], undefined);
  });

  it("appends to an existing file and keeps many entries whole and in order", async () => {
    const path = join(dir, "audit.log");
    for (let round = 0; round < 2; round++) {
      const log = createAuditLog(config(path), {
        logger: silentLogger,
        policySource: { directory: "/p" },
      });
      for (let i = 0; i < 500; i++)
        log.recordAccess({
          context: { ...context, callId: `c${round}-${i}` },
          timestamp: 0,
          method: "/m",
          statusCode: 0,
        });
      await log.close();
    }
    const ids = readFileSync(path, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => (JSON.parse(l) as { callId: string }).callId);
    assert.equal(ids.length, 1000);
    assert.equal(ids[0], "c0-0");
    assert.equal(ids[999], "c1-499");
  });

  it("logs a file it cannot open instead of throwing", async () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (l) => void lines.push(l) });
    const log = createAuditLog(config(join(dir, "missing", "dir", "audit.log")), {
      logger,
      policySource: { directory: "/p" },
    });
    log.recordDecision(decision);
    await log.close();
    assert.ok(lines.some((l) => l.includes("cannot open the audit log")));
  });

  it("is a no-op when disabled", async () => {
    const path = join(dir, "audit.log");
    const log = createAuditLog(config(path, { enabled: false }), {
      logger: silentLogger,
      policySource: { directory: "/p" },
    });
    log.recordDecision(decision);
    await log.close();
    assert.throws(() => readFileSync(path));
  });
});

describe("createLineWriter", () => {
  it("drops lines beyond its queue limit and says so", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gatehouse-lines-"));
    try {
      const logs: string[] = [];
      const w = createLineWriter({
        path: join(dir, "x.log"),
        logger: createLogger({ write: (l) => void logs.push(l) }),
        maxQueuedBytes: 10,
      });
      w.write("12345\n");
      w.write("67890\n");
      await w.close();
      assert.equal(readFileSync(join(dir, "x.log"), "utf8"), "12345\n");
      assert.ok(logs.some((l) => l.includes("entries dropped")));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
