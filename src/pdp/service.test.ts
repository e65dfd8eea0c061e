import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compilePolicySet, createEngine, type Engine } from "../authz/index.ts";
import type { AuxData, Principal } from "../authz/engine/types.ts";
import type { DecisionRecord, PlanDecisionRecord } from "../audit/types.ts";
import type { PlanInput, PlanOutput } from "../authz/planner/types.ts";
import type { AuxDataVerifier } from "../auxdata/types.ts";
import { GatehouseError, InvalidArgumentError } from "../kernel/errors.ts";
import { createLogger, silentLogger } from "../kernel/logger.ts";
import { noMetrics, type Metrics } from "../kernel/metrics.ts";
import type { PrincipalFromTokenConfig } from "../main/config/types.ts";
import { createPdpService, mergePrincipals, type PdpServiceOptions } from "./service.ts";
import type { CheckResourcesRequest, PlanResourcesRequest, RequestContext } from "./types.ts";

const { policySet } = compilePolicySet({
  policies: [
    {
      file: "doc.yaml",
      text: `
apiVersion: api.cerbos.dev/v1
resourcePolicy:
  version: default
  resource: doc
  rules:
    - actions: ["view"]
      roles: ["reader"]
      effect: EFFECT_ALLOW
    - actions: ["edit"]
      roles: ["reader"]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: request.auxData.jwt.team == "a" && P.attr.level > 1
`,
    },
  ],
});
assert.ok(policySet);
const engine = createEngine(policySet);

const fromToken = (over: Partial<PrincipalFromTokenConfig> = {}): PrincipalFromTokenConfig => ({
  enabled: true,
  token: "jwt",
  preset: "generic",
  idClaim: "sub",
  roleClaims: ["groups"],
  defaultRoles: [],
  attrClaims: {},
  explicitPrincipal: "reject",
  ...over,
});

const claims = { sub: "alice", groups: ["reader"], team: "a", level: 2 };
const verifier = (aux: AuxData | undefined = { jwt: claims }): AuxDataVerifier => ({
  verify: (a) => Promise.resolve(a ? aux : undefined),
  close: () => {},
});
const principalFromClaims = (c: Readonly<Record<string, unknown>>): Principal => ({
  id: String(c["sub"]),
  roles: c["groups"] as string[],
  attr: { level: c["level"] as number },
});

const context: RequestContext = {
  callId: "01CALL",
  protocol: "http",
  peer: { address: "127.0.0.1:1" },
  metadata: {},
};

const make = (over: Partial<PdpServiceOptions> = {}) =>
  createPdpService({
    policies: {
      current: () => engine,
      status: () => ({ serving: true, policies: 1 }),
    },
    verifier: verifier(),
    principalFromToken: fromToken({ enabled: false }),
    principalFromClaims,
    metrics: noMetrics,
    logger: silentLogger,
    serverInfo: { version: "1.0.0", commit: "abc", buildDate: "2026-01-01" },
    ...over,
  });

const request = (over: Partial<CheckResourcesRequest> = {}): CheckResourcesRequest => ({
  requestId: "r1",
  principal: { id: "bob", roles: ["reader"] },
  resources: [
    { actions: ["view", "edit"], resource: { kind: "doc", id: "d1", policyVersion: "default" } },
    { actions: ["view"], resource: { kind: "doc", id: "d2", scope: "" } },
  ],
  includeMeta: false,
  ...over,
});

describe("createPdpService", () => {
  it("answers in Cerbos's shape and key order", async () => {
    const res = await make().checkResources(request(), context);
    assert.equal(
      JSON.stringify(res),
      JSON.stringify({
        requestId: "r1",
        results: [
          {
            resource: { id: "d1", kind: "doc", policyVersion: "default" },
            actions: { edit: "EFFECT_DENY", view: "EFFECT_ALLOW" },
          },
          { resource: { id: "d2", kind: "doc" }, actions: { view: "EFFECT_ALLOW" } },
        ],
        cerbosCallId: "01CALL",
      }),
    );
  });

  it("leaves an empty requestId out and adds meta on request", async () => {
    const res = await make().checkResources(request({ requestId: "", includeMeta: true }), context);
    assert.equal("requestId" in res, false);
    assert.deepEqual(res.results[1]?.meta, {
      actions: { view: { matchedPolicy: "resource.doc.vdefault" } },
    });
  });

  it("requires a principal when none can be built", async () => {
    await assert.rejects(
      make().checkResources(request({ principal: undefined }), context),
      (e: unknown) =>
        e instanceof InvalidArgumentError && /^principal: value is required$/u.test(e.message),
    );
  });

  it("passes a verifier's refusal through", async () => {
    const refusing: AuxDataVerifier = {
      verify: () => Promise.reject(new InvalidArgumentError("", "invalid auxData")),
      close: () => {},
    };
    await assert.rejects(
      make({ verifier: refusing }).checkResources(
        request({ auxData: { jwt: { token: "x" } } }),
        context,
      ),
      /invalid auxData/u,
    );
  });

  describe("principal from token", () => {
    it("builds the principal from the verified token", async () => {
      const records: DecisionRecord[] = [];
      const svc = make({
        principalFromToken: fromToken(),
        decisionLog: { recordDecision: (r) => void records.push(r), recordPlan: () => {} },
      });
      const res = await svc.checkResources(
        request({ principal: undefined, auxData: { jwt: { token: "t" } } }),
        context,
      );
      assert.deepEqual(res.results[0]?.actions, { edit: "EFFECT_ALLOW", view: "EFFECT_ALLOW" });
      assert.equal(records[0]?.inputs[0]?.principal.id, "alice");
      assert.deepEqual(records[0]?.inputs[0]?.auxData, { jwt: claims });
    });

    it("refuses an explicit principal with `reject`, saying why", async () => {
      await assert.rejects(
        make({ principalFromToken: fromToken() }).checkResources(
          request({ auxData: { jwt: { token: "t" } } }),
          context,
        ),
        (e: unknown) =>
          e instanceof InvalidArgumentError &&
          e.path === "principal" &&
          /must not be sent with a `jwt` token/u.test(e.message),
      );
    });

    it("merges with `merge`, the request's fields winning", async () => {
      const records: DecisionRecord[] = [];
      await make({
        principalFromToken: fromToken({ explicitPrincipal: "merge" }),
        decisionLog: { recordDecision: (r) => void records.push(r), recordPlan: () => {} },
      }).checkResources(
        request({
          principal: { id: "bob", roles: ["reader"], attr: { level: 1 } },
          auxData: { jwt: { token: "t" } },
        }),
        context,
      );
      assert.deepEqual(records[0]?.inputs[0]?.principal, {
        id: "bob",
        roles: ["reader"],
        attr: { level: 1 },
      });
    });

    it("uses a named token and otherwise the request's principal", async () => {
      const svc = make({
        principalFromToken: fromToken({ token: "idp" }),
        verifier: verifier({ jwts: { idp: { claims } } }),
      });
      const built = await svc.checkResources(
        request({ principal: undefined, auxData: { jwts: { idp: { token: "t" } } } }),
        context,
      );
      assert.equal(built.results[0]?.actions["view"], "EFFECT_ALLOW");
      await assert.rejects(
        svc.checkResources(request({ principal: undefined }), context),
        /principal: value is required when the request has no `idp` token/u,
      );
    });

    it("mergePrincipals fills only what the request leaves empty", () => {
      assert.deepEqual(
        mergePrincipals(
          { id: "", roles: [], attr: { a: 1 }, scope: "x" },
          { id: "t", roles: ["r"], attr: { a: 0, b: 2 }, policyVersion: "v1" },
        ),
        { id: "t", roles: ["r"], attr: { a: 1, b: 2 }, policyVersion: "v1", scope: "x" },
      );
    });
  });

  it("reads the clock once, records metrics and the decision", async () => {
    let reads = 0;
    const checks: number[] = [];
    const effects: string[] = [];
    const records: DecisionRecord[] = [];
    const metrics: Metrics = {
      ...noMetrics,
      observeCheck: (n) => void checks.push(n),
      countDecision: (e) => void effects.push(e),
    };
    await make({
      metrics,
      now: () => (reads++, 1_700_000_000_000),
      decisionLog: { recordDecision: (r) => void records.push(r), recordPlan: () => {} },
    }).checkResources(request(), context);
    assert.equal(reads, 1);
    assert.deepEqual(checks, [2]);
    assert.deepEqual(effects.sort(), ["EFFECT_ALLOW", "EFFECT_ALLOW", "EFFECT_DENY"]);
    assert.equal(records.length, 1);
    assert.equal(records[0]?.timestamp, 1_700_000_000_000);
    assert.equal(records[0]?.context, context);
    assert.equal(records[0]?.inputs.length, 2);
    assert.equal(records[0]?.inputs[0]?.requestId, "r1");
  });

  it("turns an engine failure into INTERNAL and logs it", async () => {
    const lines: string[] = [];
    const broken: Engine = {
      check: () => {
        throw new Error("boom");
      },
      plan: () => {
        throw new Error("boom");
      },
    };
    await assert.rejects(
      make({
        policies: { current: () => broken, status: () => ({ serving: true, policies: 1 }) },
        logger: createLogger({ write: (l) => void lines.push(l) }),
      }).checkResources(request(), context),
      (e: unknown) => e instanceof GatehouseError && e.code === "INTERNAL",
    );
    assert.ok(lines.some((l) => l.includes("boom") && l.includes("01CALL")));
  });

  it("reports server info and policy status", () => {
    const svc = make();
    assert.equal(svc.serverInfo().version, "1.0.0");
    assert.equal(svc.policyStatus().serving, true);
  });
});

describe("createPdpService planResources", () => {
  /** An engine whose plan is given; it remembers what it was asked and when. */
  const planner = (output: Partial<PlanOutput> = {}) => {
    const asked: { input: PlanInput; now: number | undefined }[] = [];
    const fake: Engine = {
      check: () => [],
      plan(input, opts) {
        asked.push({ input, now: opts?.now?.() });
        return {
          ...(input.requestId ? { requestId: input.requestId } : {}),
          kind: input.resource.kind,
          policyVersion: input.resource.policyVersion ?? "",
          scope: input.resource.scope ?? "",
          actions: input.actions,
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
          matchedScopes: Object.fromEntries(input.actions.map((a) => [a, ""])),
          ...output,
        };
      },
    };
    return { asked, engine: fake };
  };
  const planRequest = (over: Partial<PlanResourcesRequest> = {}): PlanResourcesRequest => ({
    requestId: "p1",
    actions: ["view", "edit"],
    principal: { id: "bob", roles: ["reader"] },
    resource: { kind: "doc" },
    includeMeta: false,
    ...over,
  });
  const withEngine = (e: Engine, over: Partial<PdpServiceOptions> = {}) =>
    make({
      policies: { current: () => e, status: () => ({ serving: true, policies: 1 }) },
      ...over,
    });

  it("answers in Cerbos's shape and key order, with one clock reading logged", async () => {
    const { asked, engine: e } = planner({
      matchedScopes: { view: "acme", edit: "" },
      validationErrors: [
        { path: "/a", message: "bad", source: "SOURCE_RESOURCE" },
        { path: "/a", message: "bad", source: "SOURCE_RESOURCE" },
        { path: "/b", message: "bad", source: "SOURCE_PRINCIPAL" },
      ],
    });
    const plans: PlanDecisionRecord[] = [];
    let reads = 0;
    const res = await withEngine(e, {
      now: () => (reads++, 1_700_000_000_000),
      decisionLog: { recordDecision: () => {}, recordPlan: (r) => void plans.push(r) },
    }).planResources(
      planRequest({ includeMeta: true, resource: { kind: "doc", policyVersion: "v1" } }),
      context,
    );
    assert.equal(
      JSON.stringify(res),
      JSON.stringify({
        requestId: "p1",
        actions: ["view", "edit"],
        resourceKind: "doc",
        policyVersion: "v1",
        filter: {
          kind: "KIND_CONDITIONAL",
          condition: {
            expression: {
              operator: "eq",
              operands: [{ variable: "request.resource.attr.status" }, { value: "open" }],
            },
          },
        },
        meta: {
          filterDebug: '(eq request.resource.attr.status "open")',
          matchedScopes: { edit: "", view: "acme" },
        },
        validationErrors: [
          { path: "/a", message: "bad", source: "SOURCE_RESOURCE" },
          { path: "/b", message: "bad", source: "SOURCE_PRINCIPAL" },
        ],
        cerbosCallId: "01CALL",
      }),
    );
    assert.equal(reads, 1);
    assert.equal(asked[0]?.now, 1_700_000_000_000);
    assert.deepEqual(asked[0]?.input, {
      requestId: "p1",
      actions: ["view", "edit"],
      principal: { id: "bob", roles: ["reader"] },
      resource: { kind: "doc", policyVersion: "v1" },
    });
    assert.equal(plans.length, 1);
    assert.equal(plans[0]?.timestamp, 1_700_000_000_000);
    assert.equal(plans[0]?.context, context);
    assert.equal(plans[0]?.includeMeta, true);
    assert.equal(plans[0]?.input, asked[0]?.input);
    assert.equal(plans[0]?.output?.filterDebug, '(eq request.resource.attr.status "open")');
  });

  it("echoes the deprecated action alone, with matchedScope only when not the root", async () => {
    const { engine: e } = planner({ matchedScopes: { view: "acme" } });
    const req = planRequest({
      requestId: "",
      action: "view",
      actions: ["view"],
      includeMeta: true,
    });
    const res = await withEngine(e).planResources(req, context);
    assert.deepEqual(Object.keys(res), [
      "action",
      "resourceKind",
      "filter",
      "meta",
      "cerbosCallId",
    ]);
    assert.equal(res.action, "view");
    assert.deepEqual(res.meta, {
      filterDebug: '(eq request.resource.attr.status "open")',
      matchedScope: "acme",
    });
    const root = await withEngine(planner().engine).planResources(req, context);
    assert.deepEqual(root.meta, { filterDebug: '(eq request.resource.attr.status "open")' });
  });

  it("leaves meta out unless asked, and a condition out of unconditional filters", async () => {
    const { engine: e } = planner({
      filter: { kind: "KIND_ALWAYS_DENIED" },
      filterDebug: "(false)",
    });
    const res = await withEngine(e).planResources(planRequest(), context);
    assert.deepEqual(res, {
      requestId: "p1",
      actions: ["view", "edit"],
      resourceKind: "doc",
      filter: { kind: "KIND_ALWAYS_DENIED" },
      cerbosCallId: "01CALL",
    });
  });

  it("builds the principal from a verified token, as for checks", async () => {
    const { asked, engine: e } = planner();
    await withEngine(e, { principalFromToken: fromToken() }).planResources(
      planRequest({ principal: undefined, auxData: { jwt: { token: "t" } } }),
      context,
    );
    assert.equal(asked[0]?.input.principal.id, "alice");
    assert.deepEqual(asked[0]?.input.auxData, { jwt: claims });
  });

  it("refuses an unverifiable token with Cerbos's message before planning", async () => {
    const { asked, engine: e } = planner();
    await assert.rejects(
      withEngine(e, {
        verifier: {
          verify: () => Promise.reject(new InvalidArgumentError("", "invalid auxData")),
          close: () => {},
        },
      }).planResources(planRequest({ auxData: { jwt: { token: "t" } } }), context),
      /invalid auxData/u,
    );
    assert.equal(asked.length, 0);
  });

  it("turns an engine failure into INTERNAL with Cerbos's message, logged with the call id", async () => {
    const lines: string[] = [];
    const plans: PlanDecisionRecord[] = [];
    const broken: Engine = {
      check: () => [],
      plan: () => {
        throw new Error("boom");
      },
    };
    await assert.rejects(
      withEngine(broken, {
        logger: createLogger({ write: (l) => void lines.push(l) }),
        decisionLog: { recordDecision: () => {}, recordPlan: (r) => void plans.push(r) },
      }).planResources(planRequest(), context),
      (e: unknown) =>
        e instanceof GatehouseError &&
        e.code === "INTERNAL" &&
        e.message === "Resources query plan request failed",
    );
    assert.ok(lines.some((l) => l.includes("boom") && l.includes("01CALL")));
    // the decision log records the failure, as Cerbos's does
    assert.equal(plans.length, 1);
    assert.equal(plans[0]?.error, "boom");
    assert.equal(plans[0]?.output, undefined);
  });
});
