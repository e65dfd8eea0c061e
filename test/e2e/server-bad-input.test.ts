// Bad input end to end, against every available target: what Cerbos answers (status, gRPC-style
// `code`, and the message where it is part of Cerbos's API: validation errors and request
// limits), and that a good request still succeeds after each. Messages that come from Go's JSON
// and protojson parsers (`unexpected EOF`, `proto: (line 1:20): ...`) are compared by status and
// code only: they name byte offsets of Go's decoder, not something a client can rely on.
//
// Validation errors also carry `details` (buf.validate.Violations) in Cerbos; those are not
// compared here.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { PdpServer } from "../support/cerbos-server.ts";
import { serverTargets } from "../support/gatehouse-server.ts";
import { testdata } from "../support/reference.ts";

const principal = { id: "p", roles: ["employee"] };
const entry = (kind = "leave_request", actions = ["view"]): Record<string, unknown> => ({
  resource: { kind, id: "r1" },
  actions,
});
const nested = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};

interface BadCase {
  readonly body: string | object;
  readonly status: number;
  readonly code: number;
  /** The exact message, when it is part of Cerbos's API. */
  readonly message?: string;
  readonly headers?: Record<string, string>;
}

const limits = { maxActionsPerResource: 3, maxResourcesPerRequest: 2 };

const cases: Record<string, BadCase> = {
  "invalid JSON": { body: "{", status: 400, code: 3 },
  "a JSON array": { body: "[]", status: 400, code: 3 },
  "JSON null": { body: "null", status: 400, code: 3 },
  "principal as a string": {
    body: { principal: "x", resources: [entry()] },
    status: 400,
    code: 3,
  },
  "roles as a string": {
    body: { principal: { id: "p", roles: "admin" }, resources: [entry()] },
    status: 400,
    code: 3,
  },
  "id as a number": {
    body: { principal: { id: 5, roles: ["a"] }, resources: [entry()] },
    status: 400,
    code: 3,
  },
  "an unknown field": {
    body: { principal, resources: [entry()], foo: 1 },
    status: 400,
    code: 3,
  },
  "an empty body": {
    body: "",
    status: 400,
    code: 3,
    message: "validation errors:\n - principal: value is required\n - resources: value is required",
  },
  "no roles": {
    body: { principal: { id: "p", roles: [] }, resources: [entry()] },
    status: 400,
    code: 3,
    message: "validation error: principal.roles: value is required",
  },
  "no resources": {
    body: { principal, resources: [] },
    status: 400,
    code: 3,
    message: "validation error: resources: value is required",
  },
  "an empty kind": {
    body: { principal, resources: [entry("")] },
    status: 400,
    code: 3,
    message: "validation error: resources[0].resource.kind: value is required",
  },
  "no actions": {
    body: { principal, resources: [entry("leave_request", [])] },
    status: 400,
    code: 3,
    message: "validation error: resources[0].actions: value is required",
  },
  "an empty action": {
    body: { principal, resources: [entry("leave_request", [""])] },
    status: 400,
    code: 3,
    message: "validation error: resources[0].actions[0]: must be at least 1 characters",
  },
  "duplicate actions": {
    body: { principal, resources: [entry("leave_request", ["a", "a"])] },
    status: 400,
    code: 3,
    message: "validation error: resources[0].actions: repeated value must contain unique items",
  },
  "a bad policy version": {
    body: { principal: { ...principal, policyVersion: "bad version!" }, resources: [entry()] },
    status: 400,
    code: 3,
    message: "validation error: principal.policy_version: does not match regex pattern `^[\\w]*$`",
  },
  "a bad scope": {
    body: { principal: { ...principal, scope: "a..b" }, resources: [entry()] },
    status: 400,
    code: 3,
    message:
      "validation error: principal.scope: does not match regex pattern `^(^$|\\.|[0-9a-zA-Z][\\w\\-]*(\\.\\w[\\w\\-]*)*)$`",
  },
  "too many actions (requestLimits.maxActionsPerResource)": {
    body: { principal, resources: [entry("leave_request", ["a", "b", "c", "d"])] },
    status: 400,
    code: 3,
    message: "number of actions (4) exceeds configured limit (3)",
  },
  "too many resources (requestLimits.maxResourcesPerRequest)": {
    body: { principal, resources: [entry(), entry(), entry()] },
    status: 400,
    code: 3,
    message: "number of resources in batch (3) exceeds configured limit (2)",
  },
  "arrays nested 20000 deep": {
    body: `{"principal":{"id":"p","roles":["a"],"attr":{"x":${"[".repeat(20000)}${"]".repeat(20000)}}},"resources":[]}`,
    status: 400,
    code: 3,
  },
  "a body above the 4 MiB limit": {
    body: JSON.stringify({
      principal: { ...principal, attr: { blob: "x".repeat(5 * 1024 * 1024) } },
      resources: [entry()],
    }),
    status: 429,
    code: 8,
  },
};

/** Requests Cerbos serves, odd as they look: they must not be refused either. */
const accepted: Record<string, object> = {
  "an unknown resource kind (denied, not an error)": {
    principal,
    resources: [entry("no_such_kind")],
  },
  "a kind with odd characters (denied)": { principal, resources: [entry("bad kind!")] },
  "attributes nested 200 deep": {
    principal: { ...principal, attr: { x: nested(200) } },
    resources: [entry()],
  },
  "a body just under the limit (3 MiB)": {
    principal: { ...principal, attr: { blob: "x".repeat(3 * 1024 * 1024) } },
    resources: [entry()],
  },
};

const good = { requestId: "good", principal, resources: [entry()] };

for (const target of serverTargets()) {
  describe(`bad input: ${target.name}`, { skip: target.unavailable }, () => {
    let server: PdpServer;
    before(async () => {
      server = await target.start({
        policyDir: testdata("store"),
        config: { server: { requestLimits: limits } },
      });
    });
    after(async () => {
      await server?.stop();
    });

    const stillServes = async (): Promise<void> => {
      const res = await server.request("POST", "/api/check/resources", good);
      assert.equal(res.status, 200, res.text);
      assert.equal((res.json as { requestId?: string }).requestId, "good");
    };

    for (const [name, c] of Object.entries(cases)) {
      test(`${name}: ${c.status} code ${c.code}`, async () => {
        const res = await server.request("POST", "/api/check/resources", c.body, c.headers);
        assert.equal(res.status, c.status, res.text.slice(0, 500));
        const body = res.json as { code?: number; message?: string } | undefined;
        assert.ok(body, `not JSON: ${res.text.slice(0, 200)}`);
        assert.equal(body.code, c.code);
        assert.equal(typeof body.message, "string");
        assert.notEqual(body.message, "");
        if (c.message !== undefined) assert.equal(body.message, c.message);
        await stillServes();
      });
    }

    for (const [name, body] of Object.entries(accepted)) {
      test(`${name}: 200`, async () => {
        const res = await server.request("POST", "/api/check/resources", body);
        assert.equal(res.status, 200, res.text.slice(0, 500));
        const results = (res.json as { results: { actions: Record<string, string> }[] }).results;
        assert.deepEqual(results[0]?.actions, { view: "EFFECT_DENY" });
        await stillServes();
      });
    }

    test("a request without a content type is read as JSON", async () => {
      const res = await server.request("POST", "/api/check/resources", JSON.stringify(good), {
        "content-type": "",
      });
      assert.equal(res.status, 200, res.text);
    });

    test("an unknown path: 404 code 5", async () => {
      const res = await server.request("POST", "/api/nope", "{}");
      assert.equal(res.status, 404);
      assert.equal((res.json as { code?: number }).code, 5);
      await stillServes();
    });

    test("GET on a POST endpoint is refused", async () => {
      const res = await server.request("GET", "/api/check/resources");
      // Cerbos's gateway answers 501 code 12 (UNIMPLEMENTED)
      assert.equal(res.status, 501, res.text);
      assert.equal((res.json as { code?: number }).code, 12);
      await stillServes();
    });
  });
}
