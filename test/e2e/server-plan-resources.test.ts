// PlanResources end to end, against every available target: the same requests over HTTP
// (`POST /api/plan/resources`) and gRPC (`cerbos.svc.v1.CerbosService/PlanResources`) must get
// the answers the Cerbos 0.55 binary gives, key order included over HTTP; bad input must be
// refused with Cerbos's status, code and (for validation errors) message; each call leaves an
// access entry and a `planResources` decision entry. The policies (test/clients/plan-policies.ts)
// only need plans of simple rules: unconditional allow and deny, `request.resource.attr.x == "y"`.
//
// Not compared: `cerbosCallId` (made up per call), the protojson parser's messages beyond
// status and code (Go names byte offsets, Gatehouse names JSON paths), and the source attributes
// in the decision entry's `auditTrail` (only the policy keys are compared).

import { CerbosService } from "@cerbos/api/cerbos/svc/v1/svc_pb";
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sleep, type PdpServer } from "../support/cerbos-server.ts";
import { serverTargets } from "../support/gatehouse-server.ts";
import { statusIsOpen, writePlanPolicies } from "../clients/plan-policies.ts";

const user = { id: "u", roles: ["user"] };
const admin = { id: "a", roles: ["admin"] };
const conditional = { kind: "KIND_CONDITIONAL", condition: statusIsOpen };
const allowed = { kind: "KIND_ALWAYS_ALLOWED" };
const denied = { kind: "KIND_ALWAYS_DENIED" };
const openDebug = '(eq request.resource.attr.status "open")';

/** Request -> Cerbos's answer without `cerbosCallId`, keys in the order Cerbos writes them. */
const answered: Record<string, [object, object]> = {
  "the deprecated action, conditional": [
    { requestId: "r1", action: "view", principal: user, resource: { kind: "doc" } },
    { requestId: "r1", action: "view", resourceKind: "doc", filter: conditional },
  ],
  "several actions always allowed, with meta (no request limit applies)": [
    {
      requestId: "r2",
      actions: ["view", "edit"],
      principal: admin,
      resource: { kind: "doc" },
      includeMeta: true,
    },
    {
      requestId: "r2",
      actions: ["view", "edit"],
      resourceKind: "doc",
      filter: allowed,
      meta: { filterDebug: "(true)", matchedScopes: { edit: "", view: "" } },
    },
  ],
  "a scope without a rule for the action, decided by its parent": [
    {
      actions: ["view"],
      principal: user,
      resource: { kind: "doc", scope: "acme" },
      includeMeta: true,
    },
    {
      actions: ["view"],
      resourceKind: "doc",
      filter: conditional,
      meta: { filterDebug: openDebug, matchedScopes: { view: "" } },
    },
  ],
  "the deprecated action with a policy version and meta": [
    {
      action: "view",
      principal: user,
      resource: { kind: "doc", policyVersion: "default" },
      includeMeta: true,
    },
    {
      action: "view",
      resourceKind: "doc",
      policyVersion: "default",
      filter: conditional,
      meta: { filterDebug: openDebug },
    },
  ],
  "an action every role is denied": [
    { actions: ["delete"], principal: admin, resource: { kind: "doc" }, includeMeta: true },
    {
      actions: ["delete"],
      resourceKind: "doc",
      filter: denied,
      meta: { filterDebug: "(false)", matchedScopes: { delete: "" } },
    },
  ],
  "another policy version": [
    {
      actions: ["view"],
      principal: user,
      resource: { kind: "doc", policyVersion: "v2" },
      includeMeta: true,
    },
    {
      actions: ["view"],
      resourceKind: "doc",
      policyVersion: "v2",
      filter: allowed,
      meta: { filterDebug: "(true)", matchedScopes: { view: "" } },
    },
  ],
  "a known attribute decides the condition": [
    {
      actions: ["view"],
      principal: user,
      resource: { kind: "doc", attr: { status: "open" } },
      includeMeta: true,
    },
    {
      actions: ["view"],
      resourceKind: "doc",
      filter: allowed,
      meta: { filterDebug: "(true)", matchedScopes: { view: "" } },
    },
  ],
  "the deprecated action decided in a scope": [
    {
      action: "comment",
      principal: user,
      resource: { kind: "doc", scope: "acme" },
      includeMeta: true,
    },
    {
      action: "comment",
      resourceKind: "doc",
      filter: allowed,
      meta: { filterDebug: "(true)", matchedScope: "acme" },
    },
  ],
  "an action decided in a scope": [
    {
      actions: ["comment"],
      principal: user,
      resource: { kind: "doc", scope: "acme" },
      includeMeta: true,
    },
    {
      actions: ["comment"],
      resourceKind: "doc",
      filter: allowed,
      meta: { filterDebug: "(true)", matchedScopes: { comment: "acme" } },
    },
  ],
  "an allowed and a denied action together are denied": [
    {
      actions: ["view", "edit"],
      principal: user,
      resource: { kind: "doc", scope: "acme" },
      includeMeta: true,
    },
    {
      actions: ["view", "edit"],
      resourceKind: "doc",
      filter: denied,
      meta: { filterDebug: "(false)", matchedScopes: { edit: "", view: "" } },
    },
  ],
  "empty strings are unset": [
    {
      requestId: "",
      action: "",
      actions: ["view"],
      principal: user,
      resource: { kind: "doc", policyVersion: "", scope: "" },
      includeMeta: false,
    },
    { actions: ["view"], resourceKind: "doc", filter: conditional },
  ],
  "an empty resource attribute key and a request context are accepted": [
    {
      actions: ["view"],
      principal: user,
      resource: { kind: "doc", attr: { "": 1 } },
      requestContext: { annotations: { a: 1 } },
    },
    { actions: ["view"], resourceKind: "doc", filter: conditional },
  ],
};

const EXCLUSIVE = "Exactly one of 'action' or 'actions' field must be set";
const ok = { actions: ["view"], principal: user, resource: { kind: "doc" } };

interface BadCase {
  readonly body: unknown;
  readonly status: number;
  readonly code: number;
  /** The exact message, when it is part of Cerbos's API. */
  readonly message?: string;
}

const refused: Record<string, BadCase> = {
  "an empty body": {
    body: {},
    status: 400,
    code: 3,
    message: `validation errors:\n - ${EXCLUSIVE}\n - principal: value is required\n - resource: value is required`,
  },
  "no resource kind": {
    body: { ...ok, resource: {} },
    status: 400,
    code: 3,
    message: "validation error: resource.kind: value is required",
  },
  "no resource": {
    body: { actions: ["view"], principal: user },
    status: 400,
    code: 3,
    message: "validation error: resource: value is required",
  },
  "no action": {
    body: { principal: user, resource: { kind: "doc" } },
    status: 400,
    code: 3,
    message: `validation error: ${EXCLUSIVE}`,
  },
  "both action and actions": {
    body: { ...ok, action: "view" },
    status: 400,
    code: 3,
    message: `validation error: ${EXCLUSIVE}`,
  },
  "duplicate actions": {
    body: { ...ok, actions: ["view", "view"] },
    status: 400,
    code: 3,
    message: "validation error: actions: repeated value must contain unique items",
  },
  "an empty action": {
    body: { ...ok, actions: ["view", ""] },
    status: 400,
    code: 3,
    message: "validation error: actions[1]: must be at least 1 characters",
  },
  "21 actions": {
    body: { ...ok, actions: Array.from({ length: 21 }, (_, i) => `a${i}`) },
    status: 400,
    code: 3,
    message: "validation error: actions: must contain no more than 20 item(s)",
  },
  "a bad policy version and scope": {
    body: { ...ok, resource: { kind: "doc", policyVersion: "a b", scope: "a..b" } },
    status: 400,
    code: 3,
    message:
      "validation errors:\n - resource.policy_version: does not match regex pattern `^[\\w]*$`\n - resource.scope: does not match regex pattern `^(^$|\\.|[0-9a-zA-Z][\\w\\-]*(\\.\\w[\\w\\-]*)*)$`",
  },
  "a principal without id": {
    body: { ...ok, principal: { roles: ["user"] } },
    status: 400,
    code: 3,
    message: "validation error: principal.id: value is required",
  },
  "an unverifiable token": {
    body: { ...ok, auxData: { jwt: { token: "abc" } } },
    status: 400,
    code: 3,
    message: "invalid auxData",
  },
  "attributes that are not an object": {
    body: { ...ok, resource: { kind: "doc", attr: "x" } },
    status: 400,
    code: 3,
  },
  "an unknown field": { body: { ...ok, foo: 1 }, status: 400, code: 3 },
  "a resource id": { body: { ...ok, resource: { kind: "doc", id: "x" } }, status: 400, code: 3 },
  "an action that is not a string": { body: { ...ok, actions: [5] }, status: 400, code: 3 },
  "a JSON array": { body: "[]", status: 400, code: 3 },
};

/** What a target answered, with the call id taken out. */
function withoutCallId(json: unknown): { callId: unknown; rest: Record<string, unknown> } {
  const { cerbosCallId, ...rest } = json as Record<string, unknown>;
  return { callId: cerbosCallId, rest };
}

const policies = writePlanPolicies();
/** The policies a `view` plan for a user in scope `acme` consults. */
const auditedPolicies = ["resource.doc.vdefault"];
after(() => policies.remove());

for (const target of serverTargets()) {
  describe(`PlanResources: ${target.name}`, { skip: target.unavailable }, () => {
    let server: PdpServer;
    before(async () => {
      server = await target.start({
        policyDir: policies.dir,
        config: {
          audit: { accessLogsEnabled: true },
          server: { requestLimits: { maxActionsPerResource: 1, maxResourcesPerRequest: 1 } },
        },
      });
    });
    after(async () => {
      await server?.stop();
    });

    for (const [name, [body, expected]] of Object.entries(answered)) {
      test(`HTTP: ${name}`, async () => {
        const res = await server.request("POST", "/api/plan/resources", body);
        assert.equal(res.status, 200, res.text);
        const { callId, rest } = withoutCallId(res.json);
        assert.match(String(callId), /^[0-9A-Z]{26}$/);
        // key order too, as Cerbos's gateway writes it
        assert.equal(JSON.stringify(rest), JSON.stringify(expected));
      });

      test(`gRPC: ${name}`, async () => {
        // protojson forms of the request: `null`-free, and a gRPC request has no unknown keys
        const res = await server.grpc(CerbosService.method.planResources, body as never);
        assert.equal(res.code, 0, res.details);
        const { callId, rest } = withoutCallId(res.json);
        assert.match(String(callId), /^[0-9A-Z]{26}$/);
        assert.deepEqual(rest, expected);
      });
    }

    for (const [name, c] of Object.entries(refused)) {
      test(`HTTP refuses ${name}: ${c.status} code ${c.code}`, async () => {
        const res = await server.request("POST", "/api/plan/resources", c.body as string | object);
        assert.equal(res.status, c.status, res.text.slice(0, 500));
        const json = res.json as { code?: number; message?: string } | undefined;
        assert.ok(json, `not JSON: ${res.text.slice(0, 200)}`);
        assert.equal(json.code, c.code);
        if (c.message !== undefined) assert.equal(json.message, c.message);
        else assert.notEqual(json.message ?? "", "");
        // and the server still plans
        const good = await server.request("POST", "/api/plan/resources", ok);
        assert.equal(good.status, 200, good.text);
      });
    }

    test("gRPC refuses an invalid request with Cerbos's code and message", async () => {
      const res = await server.grpc(CerbosService.method.planResources, {
        actions: ["view", "view"],
        principal: user,
        resource: { kind: "" },
      });
      assert.equal(res.code, 3);
      assert.equal(
        res.details,
        "validation errors:\n - actions: repeated value must contain unique items\n - resource.kind: value is required",
      );
    });

    test("GET on the plan endpoint: 501 code 12", async () => {
      const res = await server.request("GET", "/api/plan/resources");
      assert.equal(res.status, 501, res.text);
      assert.equal((res.json as { code?: number }).code, 12);
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

    const auditCases: Record<string, () => Promise<unknown>> = {
      HTTP: async () => (await server.request("POST", "/api/plan/resources", auditBody)).json,
      gRPC: async () => (await server.grpc(CerbosService.method.planResources, auditBody)).json,
    };
    const auditBody = {
      requestId: "audited",
      action: "view",
      principal: { ...user, attr: { z: 1, a: { y: 1, x: 2 } } },
      resource: { kind: "doc", scope: "acme" },
      includeMeta: true,
      requestContext: { annotations: { k: "v", b: true } },
    };
    for (const [transport, call] of Object.entries(auditCases)) {
      test(`a plan over ${transport} leaves an access and a planResources decision entry`, async () => {
        const { callId } = withoutCallId(await call());
        const entries = await entriesOf(String(callId));
        const access = entries.filter((e) => e["log.kind"] === "access");
        const decision = entries.filter((e) => e["log.kind"] === "decision");
        assert.equal(access.length, 1, JSON.stringify(entries));
        assert.equal(decision.length, 1, JSON.stringify(entries));
        assert.equal(access[0]!["method"], "/cerbos.svc.v1.CerbosService/PlanResources");
        const trail = decision[0]!["auditTrail"] as { effectivePolicies?: object };
        assert.deepEqual(Object.keys(trail.effectivePolicies ?? {}).sort(), auditedPolicies);
        // Cerbos writes maps (attributes, annotations) in no fixed order: compared as values,
        // and the order of the messages' own fields separately
        assert.deepEqual(decision[0]!["requestContext"], { annotations: { b: true, k: "v" } });
        const plan = decision[0]!["planResources"] as Record<string, Record<string, unknown>>;
        assert.deepEqual(Object.keys(plan), ["input", "output"]);
        assert.deepEqual(Object.keys(plan["input"]!), [
          "requestId",
          "actions",
          "action",
          "principal",
          "resource",
          "includeMeta",
        ]);
        assert.deepEqual(Object.keys(plan["output"]!), [
          "requestId",
          "action",
          "kind",
          "scope",
          "filter",
          "filterDebug",
          "actions",
          "matchedScopes",
        ]);
        assert.equal(
          JSON.stringify(plan["output"]!["filter"]),
          JSON.stringify({
            condition: {
              expression: { operands: statusIsOpen.expression.operands, operator: "eq" },
            },
            kind: "KIND_CONDITIONAL",
          }),
        );
        assert.deepEqual(plan, {
          input: {
            requestId: "audited",
            actions: ["view"],
            action: "view",
            principal: { ...user, attr: { a: { x: 2, y: 1 }, z: 1 } },
            resource: { kind: "doc", scope: "acme" },
            includeMeta: true,
          },
          output: {
            requestId: "audited",
            action: "view",
            kind: "doc",
            scope: "acme",
            filter: {
              condition: {
                expression: {
                  operands: statusIsOpen.expression.operands,
                  operator: "eq",
                },
              },
              kind: "KIND_CONDITIONAL",
            },
            filterDebug: openDebug,
            actions: ["view"],
            matchedScopes: { view: "" },
          },
        });
      });
    }
  });
}
