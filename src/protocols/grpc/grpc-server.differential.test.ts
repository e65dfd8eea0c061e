// Gatehouse's gRPC server against the real Cerbos, for what the official client does not
// call: the AuthZEN service, the deprecated CheckResourceSet and CheckResourceBatch, bytes that
// are not a message. The same requests to Gatehouse (in process, real engine over the example
// policies) and to Cerbos must get the same answers and the same refusals.

import {
  create,
  fromBinary,
  toBinary,
  toJson,
  type DescMessage,
  type MessageInitShape,
} from "@bufbuild/protobuf";
import { Client, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  cerbosUnavailableReason,
  startCerbosServer,
  type CerbosServer,
} from "../../../test/support/cerbos-server.ts";
import { repoRoot } from "../../../test/support/reference.ts";
import { loadPolicies } from "../../index.ts";
import { silentLogger } from "../../kernel/logger.ts";
import { noMetrics } from "../../kernel/metrics.ts";
import { createPdpService } from "../../pdp/service.ts";
import {
  AccessEvaluationBatchRequestSchema,
  AccessEvaluationBatchResponseSchema,
  AccessEvaluationRequestSchema,
  AccessEvaluationResponseSchema,
  MetadataRequestSchema,
  MetadataResponseSchema,
} from "./gen/authzen/authorization/v1/evaluation_pb.ts";
import {
  CheckResourceBatchRequestSchema,
  CheckResourceSetRequestSchema,
} from "./gen/cerbos/request/v1/request_pb.ts";
import {
  CheckResourceBatchResponseSchema,
  CheckResourceSetResponseSchema,
} from "./gen/cerbos/response/v1/response_pb.ts";
import {
  HealthCheckRequestSchema,
  HealthCheckResponseSchema,
} from "./gen/grpc/health/v1/health_pb.ts";
import { createGrpcServer, type GrpcServer } from "./grpc-server.ts";

const policyDir = `${repoRoot}/examples/policies`;
const service = "/authzen.authorization.v1.AuthorizationService";

type Answer = { ok: unknown } | { code: number; details: string };

/** Cases named for what is missing or empty are refusals; the others must succeed. */
const refused = (name: string): boolean => /^(no|empty) /.test(name);

function call<I extends DescMessage, O extends DescMessage>(
  client: Client,
  path: string,
  input: I,
  output: O,
  init: MessageInitShape<I>,
): Promise<Answer> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => new Uint8Array(b),
      toBinary(input, create(input, init)),
      new Metadata(),
      (err: ServiceError | null, value?: Uint8Array) =>
        resolve(
          err
            ? { code: err.code, details: err.details }
            : { ok: toJson(output, fromBinary(output, value!)) },
        ),
    );
  });
}

const s = (v: string) => ({ kind: { case: "stringValue" as const, value: v } });
const b = (v: boolean) => ({ kind: { case: "boolValue" as const, value: v } });
const list = (...vs: string[]) => ({
  kind: { case: "listValue" as const, value: { values: vs.map(s) } },
});

const alice = {
  type: "user",
  id: "alice",
  properties: { "cerbos.roles": list("user"), department: s("sales") },
};

const evaluations: [string, MessageInitShape<typeof AccessEvaluationRequestSchema>][] = [
  [
    "owner may edit",
    {
      subject: alice,
      resource: { type: "document", id: "d1", properties: { owner: s("alice") } },
      action: { name: "edit" },
    },
  ],
  [
    "locked document with meta",
    {
      subject: alice,
      resource: { type: "document", id: "d2", properties: { owner: s("alice"), locked: b(true) } },
      action: { name: "delete" },
      context: { "cerbos.includeMeta": b(true), "cerbos.requestId": s("r1") },
    },
  ],
  ["no subject", { resource: { type: "document", id: "d3" }, action: { name: "view" } }],
  [
    "empty action name",
    { subject: alice, resource: { type: "document", id: "d3" }, action: { name: "" } },
  ],
];

const batches: [string, MessageInitShape<typeof AccessEvaluationBatchRequestSchema>][] = [
  [
    "defaults and overrides",
    {
      subject: alice,
      action: { name: "view" },
      evaluations: [
        { resource: { type: "document", id: "d1", properties: { public: b(true) } } },
        { resource: { type: "document", id: "d2" }, action: { name: "edit" } },
        {
          subject: { type: "user", id: "root", properties: { "cerbos.roles": list("admin") } },
          resource: { type: "document", id: "d3" },
        },
      ],
    },
  ],
  [
    "deny on first deny",
    {
      subject: alice,
      action: { name: "edit" },
      evaluations: [
        { resource: { type: "document", id: "d1", properties: { owner: s("alice") } } },
        { resource: { type: "document", id: "d2" } },
        { resource: { type: "document", id: "d3", properties: { owner: s("alice") } } },
      ],
      options: { evaluationsSemantic: "deny_on_first_deny" },
    },
  ],
  ["no evaluations", { subject: alice, action: { name: "view" } }],
];

const principal = { id: "alice", roles: ["user"], attr: { department: s("sales") } };

const resourceSets: [string, MessageInitShape<typeof CheckResourceSetRequestSchema>][] = [
  [
    "instances with meta",
    {
      requestId: "set1",
      actions: ["view", "delete"],
      principal,
      resource: {
        kind: "document",
        instances: {
          d1: { attr: { owner: s("alice"), locked: b(true) } },
          d2: { attr: { department: s("sales") } },
        },
      },
      includeMeta: true,
    },
  ],
  ["no actions", { principal, resource: { kind: "document", instances: { d1: {} } } }],
];

const resourceBatches: [string, MessageInitShape<typeof CheckResourceBatchRequestSchema>][] = [
  [
    "two resources",
    {
      requestId: "batch1",
      principal,
      resources: [
        {
          actions: ["view", "edit"],
          resource: { kind: "document", id: "d1", attr: { owner: s("alice") } },
        },
        { actions: ["view"], resource: { kind: "document", id: "d2" } },
      ],
    },
  ],
  [
    "no principal",
    { resources: [{ actions: ["view"], resource: { kind: "document", id: "d1" } }] },
  ],
];

describe("gRPC, Gatehouse and Cerbos", { skip: cerbosUnavailableReason() }, () => {
  let cerbos: CerbosServer;
  let gatehouse: GrpcServer;
  let ours: Client;
  let theirs: Client;

  before(async () => {
    cerbos = await startCerbosServer({ policyDir });
    const engine = await loadPolicies(policyDir);
    const pdp = createPdpService({
      policies: { current: () => engine, status: () => ({ serving: true, policies: 3 }) },
      verifier: { verify: () => Promise.resolve(undefined), close: () => {} },
      principalFromToken: {
        enabled: false,
        token: "jwt",
        preset: "generic",
        idClaim: "sub",
        roleClaims: [],
        defaultRoles: [],
        attrClaims: {},
        explicitPrincipal: "reject",
      },
      principalFromClaims: () => {
        throw new Error("principal from token is off");
      },
      metrics: noMetrics,
      logger: silentLogger,
      serverInfo: { version: "test", commit: "test", buildDate: "test" },
    });
    gatehouse = createGrpcServer({
      pdp,
      decode: { maxActionsPerResource: 50, maxResourcesPerRequest: 50, principalOptional: false },
      logger: silentLogger,
      metrics: noMetrics,
      maxMessageBytes: 4 * 1024 * 1024,
    });
    ours = new Client(await gatehouse.listen("127.0.0.1:0"), credentials.createInsecure());
    theirs = new Client(cerbos.grpcAddr, credentials.createInsecure());
  });
  after(async () => {
    ours?.close();
    theirs?.close();
    await gatehouse?.shutdown(1000);
    await cerbos?.stop();
  });

  const both = async <I extends DescMessage, O extends DescMessage>(
    method: string,
    input: I,
    output: O,
    init: MessageInitShape<I>,
    at = service,
  ): Promise<[Answer, Answer]> =>
    Promise.all([
      call(ours, `${at}/${method}`, input, output, init),
      call(theirs, `${at}/${method}`, input, output, init),
    ]);

  for (const [name, init] of resourceSets) {
    it(`CheckResourceSet: ${name}`, async () => {
      const [a, c] = await both(
        "CheckResourceSet",
        CheckResourceSetRequestSchema,
        CheckResourceSetResponseSchema,
        init,
        "/cerbos.svc.v1.CerbosService",
      );
      assert.equal("ok" in a, !refused(name));
      assert.deepEqual(a, c);
    });
  }

  for (const [name, init] of resourceBatches) {
    it(`CheckResourceBatch: ${name}`, async () => {
      const [a, c] = await both(
        "CheckResourceBatch",
        CheckResourceBatchRequestSchema,
        CheckResourceBatchResponseSchema,
        init,
        "/cerbos.svc.v1.CerbosService",
      );
      assert.equal("ok" in a, !refused(name));
      assert.deepEqual(a, c);
    });
  }

  it("bytes that are not a message: the same code", async () => {
    const raw = (client: Client) =>
      new Promise<number>((resolve) => {
        client.makeUnaryRequest(
          "/cerbos.svc.v1.CerbosService/CheckResources",
          (x: Uint8Array) => Buffer.from(x),
          (x: Buffer) => x,
          new Uint8Array([0x0a, 0xff]),
          new Metadata(),
          (err: ServiceError | null) => resolve(err?.code ?? 0),
        );
      });
    const [a, c] = await Promise.all([raw(ours), raw(theirs)]);
    assert.equal(a, 13);
    assert.equal(a, c);
  });

  for (const [name, init] of evaluations) {
    it(`AccessEvaluation: ${name}`, async () => {
      const [a, c] = await both(
        "AccessEvaluation",
        AccessEvaluationRequestSchema,
        AccessEvaluationResponseSchema,
        init,
      );
      assert.equal("ok" in a, !refused(name));
      assert.deepEqual(a, c);
    });
  }

  for (const [name, init] of batches) {
    it(`AccessEvaluationBatch: ${name}`, async () => {
      const [a, c] = await both(
        "AccessEvaluationBatch",
        AccessEvaluationBatchRequestSchema,
        AccessEvaluationBatchResponseSchema,
        init,
      );
      assert.equal("ok" in a, !refused(name));
      assert.deepEqual(a, c);
    });
  }

  it("Metadata names the address the caller reached, as Cerbos's does", async () => {
    const [a, c] = await both("Metadata", MetadataRequestSchema, MetadataResponseSchema, {});
    // The two listen on different ports: compare with each one's own address put back.
    const port = (addr: string) => addr.slice(addr.lastIndexOf(":") + 1);
    const ourPort = port(ours.getChannel().getTarget());
    const theirPort = port(cerbos.grpcAddr);
    assert.ok("ok" in a && "ok" in c);
    assert.equal(
      JSON.stringify(a.ok).replaceAll(ourPort, "PORT"),
      JSON.stringify(c.ok).replaceAll(theirPort, "PORT"),
    );
    assert.match(JSON.stringify(a.ok), /"policy_decision_point":"http:\/\/127\.0\.0\.1:\d+"/);
  });

  it("health of the AuthZEN service", async () => {
    const init = { service: "authzen.authorization.v1.AuthorizationService" };
    const path = "/grpc.health.v1.Health/Check";
    const [a, c] = await Promise.all([
      call(ours, path, HealthCheckRequestSchema, HealthCheckResponseSchema, init),
      call(theirs, path, HealthCheckRequestSchema, HealthCheckResponseSchema, init),
    ]);
    assert.deepEqual(a, { ok: { status: "SERVING" } });
    assert.deepEqual(a, c);
  });
});
