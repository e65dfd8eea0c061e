// The APIs Cerbos answers through CheckResources (AuthZEN evaluation and evaluations, the
// deprecated CheckResourceSet and CheckResourceBatch) against the real Cerbos: a request is
// decoded here, the CheckResources request(s) it maps to are sent to Cerbos, and our encoding
// of Cerbos's CheckResources answer must equal what Cerbos answers on the mapped API itself.
// So the mapping is checked both ways without our engine in the loop.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import {
  cerbosUnavailableReason,
  startCerbosServer,
  type CerbosServer,
} from "../../../test/support/cerbos-server.ts";
import { testdata } from "../../../test/support/reference.ts";
import type { CheckResourcesRequest, CheckResourcesResponse } from "../../pdp/types.ts";
import {
  authzenMetadata,
  decodeAccessEvaluationBatchRequest,
  decodeAccessEvaluationRequest,
  decodeCheckResourceBatchRequest,
  decodeCheckResourceSetRequest,
  encodeAccessEvaluationBatchResponse,
  encodeAccessEvaluationResponse,
  encodeCheckResourceBatchResponse,
  encodeCheckResourceSetResponse,
  toHttpError,
  type DecodeOptions,
} from "./index.ts";

const options: DecodeOptions = {
  maxActionsPerResource: 5,
  maxResourcesPerRequest: 5,
  principalOptional: false,
};

function inputs(dir: string, key: string): { name: string; input: unknown }[] {
  const out: { name: string; input: unknown }[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith(".yaml")) continue;
    const tc = parse(readFileSync(join(dir, file), "utf8")) as Record<string, unknown>;
    if (tc["wantError"] === true) continue;
    out.push({ name: file, input: (tc[key] as { input: unknown }).input });
  }
  return out;
}

/**
 * Go builds derived-role lists from maps, and the batch groups evaluations in a map, so the
 * results inside an AuthZEN `cerbos.response` come in no fixed order: compare those as sets.
 */
function normalize(v: unknown, inStruct = false): unknown {
  if (Array.isArray(v)) return v.map((x) => normalize(x, inStruct));
  if (typeof v !== "object" || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === "effectiveDerivedRoles") out[k] = [...(x as string[])].sort();
    else if (k === "results" && inStruct)
      out[k] = (normalize(x, true) as { resource: { kind: string; id: string } }[]).sort((a, b) =>
        `${a.resource.kind}/${a.resource.id}` < `${b.resource.kind}/${b.resource.id}` ? -1 : 1,
      );
    else out[k] = normalize(x, inStruct || k === "cerbos.response");
  }
  return out;
}

/** Cerbos's `(line L:C)` and our JSON path sit in the same place of a protojson message. */
function withoutPosition(message: string): string {
  return message.replace(/^proto:\u00a0(syntax error )?\((?:line \d+:\d+|.*?)\): /, (_, syntax) =>
    syntax ? "proto:\u00a0syntax error: " : "proto:\u00a0",
  );
}

const subject = {
  type: "user",
  id: "donald_duck",
  properties: {
    "cerbos.policyVersion": "20210210",
    "cerbos.roles": ["employee"],
    department: "marketing",
    geography: "GB",
    team: "design",
  },
};
const resource = (id: string, owner: string): unknown => ({
  type: "leave_request",
  id,
  properties: {
    "cerbos.policyVersion": "20210210",
    department: "marketing",
    geography: "GB",
    id,
    owner,
    team: "design",
  },
});

/** Hand-written requests beyond Cerbos's cases: grouping, overrides, lenient `cerbos.*` values. */
const extraEvaluations: unknown[] = [
  ...[undefined, [], [""], ["manager", 1], "manager", ["employee", 1]].map((roles) => ({
    subject: { type: "employee", id: "d", properties: { "cerbos.roles": roles, team: "design" } },
    resource: resource("XX125", "john"),
    action: { name: "view:public" },
    context: { "cerbos.includeMeta": true },
  })),
  { subject, resource: resource("XX125", "john"), action: { name: "view:public" } },
  {
    subject,
    resource: resource("XX125", "john"),
    action: { name: "view:public" },
    context: { "cerbos.requestId": "r", "cerbos.includeMeta": true },
  },
  {
    subject: { ...subject, properties: { ...subject.properties, "cerbos.roles": "employee" } },
    resource: resource("XX125", "john"),
    action: { name: "view:public" },
    context: { "cerbos.includeMeta": true, "cerbos.requestId": 7 },
  },
  {
    subject: { type: "user", id: "x" },
    resource: { type: "leave_request", id: "1" },
    action: { name: "a" },
    context: { "cerbos.includeMeta": "yes" },
  },
];

const extraBatches: unknown[] = [
  {
    subject,
    context: { "cerbos.includeMeta": true, "cerbos.requestId": "r" },
    evaluations: [
      { resource: resource("XX125", "john"), action: { name: "view:public" } },
      { resource: resource("XX125", "donald_duck"), action: { name: "approve" } },
      { resource: resource("XX150", "john"), action: { name: "view:public" } },
      {
        subject: { type: "user", id: "mickey", properties: { "cerbos.roles": ["manager"] } },
        resource: resource("XX125", "john"),
        action: { name: "approve" },
      },
      {
        resource: resource("XX125", "john"),
        action: { name: "view:public" },
        context: { "cerbos.requestId": "other" },
      },
    ],
  },
  {
    resource: resource("XX125", "john"),
    action: { name: "view:public" },
    evaluations: [{ subject }, { subject: { ...subject, id: "john" } }, { subject }],
    options: { evaluations_semantic: "permit_on_first_permit" },
  },
  {
    subject,
    resource: resource("XX125", "john"),
    evaluations: [{ action: { name: "approve" } }, { action: { name: "view:public" } }],
    options: { evaluationsSemantic: "deny_on_first_deny" },
  },
];

describe(
  "APIs mapped onto CheckResources match the real Cerbos",
  { skip: cerbosUnavailableReason() },
  () => {
    let cerbos: CerbosServer;
    before(async () => {
      cerbos = await startCerbosServer({
        policyDir: testdata("store"),
        config: {
          server: { requestLimits: { maxActionsPerResource: 5, maxResourcesPerRequest: 5 } },
          auxData: {
            jwt: {
              keySets: [
                { id: "default", local: { file: testdata("auxdata", "keys", "verify_key.jwk") } },
              ],
            },
          },
          schema: { enforcement: "warn" },
          audit: { enabled: false },
        },
      });
    });
    after(async () => {
      await cerbos?.stop();
    });

    const post = async (
      path: string,
      body: unknown,
    ): Promise<{ status: number; body: unknown }> => {
      const res = await fetch(`${cerbos.baseUrl}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    };

    const check = async (req: CheckResourcesRequest): Promise<CheckResourcesResponse> => {
      const res = await post("/api/check/resources", req);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body as CheckResourcesResponse;
    };

    const same = (ours: unknown, theirs: unknown, name: string): void => {
      const a = normalize(ours);
      const b = normalize(theirs);
      assert.deepEqual(a, b, name);
      assert.equal(JSON.stringify(a), JSON.stringify(b), `${name}: key order`);
    };

    it("answers AuthZEN evaluations as Cerbos does", async () => {
      const all = [
        ...inputs(testdata("server", "authzen", "access_evaluation"), "accessEvaluation"),
        ...extraEvaluations.map((input, i) => ({ name: `extra ${i}`, input })),
      ];
      for (const { name, input } of all) {
        const theirs = await post("/access/v1/evaluation", input);
        assert.equal(theirs.status, 200, `${name}: ${JSON.stringify(theirs.body)}`);
        const req = decodeAccessEvaluationRequest(input, options);
        same(encodeAccessEvaluationResponse(req, await check(req)), theirs.body, name);
      }
    });

    it("answers AuthZEN batches as Cerbos does", async () => {
      const all = [
        ...inputs(
          testdata("server", "authzen", "access_evaluation_batch"),
          "accessEvaluationBatch",
        ),
        ...extraBatches.map((input, i) => ({ name: `extra ${i}`, input })),
      ];
      for (const { name, input } of all) {
        const theirs = await post("/access/v1/evaluations", input);
        assert.equal(theirs.status, 200, `${name}: ${JSON.stringify(theirs.body)}`);
        const batch = decodeAccessEvaluationBatchRequest(input, options);
        const responses = [];
        for (const r of batch.requests) responses.push(await check(r));
        same(encodeAccessEvaluationBatchResponse(batch, responses), theirs.body, name);
      }
    });

    it("rejects invalid AuthZEN requests as Cerbos does", async () => {
      const ok = { type: "k", id: "1" };
      const single: unknown[] = [
        {},
        [],
        {
          subject: { type: "", id: "" },
          resource: { ...ok, properties: { "": 1 } },
          action: { name: "" },
          context: { "": 1 },
        },
        { subject: { type: "u", id: "x", foo: 1 } },
        { subject: { type: 1 } },
        { subject: null, resource: ok, action: { name: "a" } },
        { subject: ok, resource: ok, action: { name: "a", properties: [] } },
        { subject: ok, resource: ok, action: { name: "a" }, context: "x" },
        { subject: ok, resource: ok, action: { name: "a" }, context: { "cerbos.auxData": "x" } },
        { subject: ok, resource: ok, action: { name: "a" }, context: { "cerbos.auxData": [] } },
        { subject: ok, resource: ok, action: { name: "a" }, extra: true },
      ];
      const batch: unknown[] = [
        {},
        { evaluations: [] },
        { evaluations: [{}], options: { evaluations_semantic: "x" } },
        { evaluations: [{ subject: {}, resource: ok, action: { name: "a" } }] },
        {
          evaluations: [{ subject: ok, resource: ok, action: { name: "a" } }],
          options: { foo: 1 },
        },
        { subject: ok, resource: ok, evaluations: [{ action: { name: "" } }, { action: null }] },
        {
          subject: ok,
          action: { name: "a" },
          evaluations: [{ resource: { type: "k" } }],
          context: { "": 1 },
        },
        { subject: ok, action: { name: "a" }, evaluations: [1] },
        {
          subject: ok,
          resource: ok,
          evaluations: ["a", "b", "c", "d", "e", "f"].map((name) => ({ action: { name } })),
        },
        {
          subject: ok,
          action: { name: "a" },
          evaluations: ["1", "2", "3", "4", "5", "6"].map((id) => ({
            resource: { type: "k", id },
          })),
        },
      ];
      const cases = [
        ...single.map((body) => ({
          path: "/access/v1/evaluation",
          body,
          decode: decodeAccessEvaluationRequest,
        })),
        ...batch.map((body) => ({
          path: "/access/v1/evaluations",
          body,
          decode: decodeAccessEvaluationBatchRequest,
        })),
      ];
      for (const { path, body, decode } of cases) {
        const theirs = await post(path, body);
        const text = `${path} ${JSON.stringify(body)}`;
        assert.equal(theirs.status, 400, `${text}: ${JSON.stringify(theirs.body)}`);
        const want = theirs.body as { code: number; message: string; details?: unknown };
        let got: ReturnType<typeof toHttpError> | undefined;
        try {
          decode(body, options);
        } catch (e) {
          got = toHttpError(e);
        }
        assert.ok(got, `${text} accepted`);
        assert.equal(got.status, 400, text);
        assert.equal(withoutPosition(got.body.message), withoutPosition(want.message), text);
        assert.deepEqual(got.body.details, want.details, text);
      }
    });

    it("serves the same AuthZEN metadata", async () => {
      const res = await fetch(`${cerbos.baseUrl}/.well-known/authzen-configuration`);
      same(authzenMetadata(cerbos.baseUrl), await res.json(), "metadata");
    });

    it("answers the deprecated CheckResourceSet and CheckResourceBatch as Cerbos does", async () => {
      for (const { name, input } of inputs(
        testdata("server", "checks", "check_resource_set"),
        "checkResourceSet",
      )) {
        const theirs = await post("/api/check", input);
        assert.equal(theirs.status, 200, `${name}: ${JSON.stringify(theirs.body)}`);
        const req = decodeCheckResourceSetRequest(input, options);
        same(encodeCheckResourceSetResponse(req, await check(req)), theirs.body, name);
      }
      for (const { name, input } of inputs(
        testdata("server", "checks", "check_resource_batch"),
        "checkResourceBatch",
      )) {
        const theirs = await post("/api/check_resource_batch", input);
        assert.equal(theirs.status, 200, `${name}: ${JSON.stringify(theirs.body)}`);
        const req = decodeCheckResourceBatchRequest(input, options);
        same(encodeCheckResourceBatchResponse(await check(req)), theirs.body, name);
      }
    });
  },
);
