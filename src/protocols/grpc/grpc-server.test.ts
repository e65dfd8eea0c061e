import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import { Client, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GatehouseError, InvalidArgumentError } from "../../kernel/errors.ts";
import { silentLogger } from "../../kernel/logger.ts";
import { noMetrics, type Metrics } from "../../kernel/metrics.ts";
import type {
  CheckResourcesRequest,
  CheckResourcesResponse,
  PdpService,
  PlanResourcesRequest,
  PolicyStatus,
  RequestContext,
} from "../../pdp/types.ts";
import {
  CheckResourcesRequestSchema,
  PlanResourcesRequestSchema,
  ServerInfoRequestSchema,
} from "./gen/cerbos/request/v1/request_pb.ts";
import {
  CheckResourcesResponseSchema,
  PlanResourcesResponseSchema,
  ServerInfoResponseSchema,
} from "./gen/cerbos/response/v1/response_pb.ts";
import { Effect } from "./gen/cerbos/effect/v1/effect_pb.ts";
import {
  AccessEvaluationRequestSchema,
  AccessEvaluationResponseSchema,
  MetadataRequestSchema,
  MetadataResponseSchema,
} from "./gen/authzen/authorization/v1/evaluation_pb.ts";
import {
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthCheckResponseSchema,
} from "./gen/grpc/health/v1/health_pb.ts";
import { createGrpcServer, type GrpcServer } from "./grpc-server.ts";

const fixedResponse: CheckResourcesResponse = {
  requestId: "r1",
  results: [
    {
      resource: { id: "d1", kind: "document", policyVersion: "default" },
      actions: { view: "EFFECT_ALLOW", edit: "EFFECT_DENY" },
      meta: { actions: { view: { matchedPolicy: "resource.document.vdefault" } } },
      outputs: [{ src: "resource.document.vdefault#r1", val: { a: [1, "x", null] } }],
    },
  ],
  cerbosCallId: "01HXXXXXXXXXXXXXXXXXXXXXXX",
};

interface FakePdp extends PdpService {
  calls: { request: CheckResourcesRequest; context: RequestContext }[];
  plans: { request: PlanResourcesRequest; context: RequestContext }[];
  status: PolicyStatus;
  answer: (request: CheckResourcesRequest) => Promise<CheckResourcesResponse>;
}

function fakePdp(): FakePdp {
  const pdp: FakePdp = {
    calls: [],
    plans: [],
    status: { serving: true, policies: 1 },
    answer: () => Promise.resolve(fixedResponse),
    checkResources(request, context) {
      pdp.calls.push({ request, context });
      return pdp.answer(request);
    },
    planResources(request, context) {
      pdp.plans.push({ request, context });
      if (request.requestId === "explode") return Promise.reject(new Error("secret internals"));
      return Promise.resolve({
        requestId: request.requestId,
        actions: request.actions,
        resourceKind: request.resource.kind,
        filter: {
          kind: "KIND_CONDITIONAL",
          condition: {
            expression: {
              operator: "eq",
              operands: [{ variable: "request.resource.attr.owner" }, { value: { a: [1, null] } }],
            },
          },
        },
        meta: { filterDebug: "(eq ...)", matchedScopes: { view: "" } },
        cerbosCallId: context.callId,
      });
    },
    serverInfo: () => ({ version: "0.55.0", commit: "abc", buildDate: "2026-01-01" }),
    policyStatus: () => pdp.status,
  };
  return pdp;
}

interface Observed {
  method: string;
  status: number;
}
function recordingMetrics(): Metrics & { seen: Observed[] } {
  const seen: Observed[] = [];
  return {
    ...noMetrics,
    seen,
    observeRequest: (_p, method, status) => void seen.push({ method, status }),
  };
}

const validRequest: MessageInitShape<typeof CheckResourcesRequestSchema> = {
  requestId: "r1",
  principal: { id: "alice", roles: ["user"], attr: {} },
  resources: [{ actions: ["view", "edit"], resource: { kind: "document", id: "d1" } }],
};

class Caller {
  readonly client: Client;
  constructor(addr: string) {
    this.client = new Client(addr, credentials.createInsecure());
  }
  raw(path: string, bytes: Uint8Array, metadata = new Metadata()): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        path,
        (b: Uint8Array) => Buffer.from(b),
        (b: Buffer) => new Uint8Array(b),
        bytes,
        metadata,
        (err: ServiceError | null, value?: Uint8Array) => (err ? reject(err) : resolve(value!)),
      );
    });
  }
  async unary<I extends DescMessage, O extends DescMessage>(
    path: string,
    input: I,
    output: O,
    init: MessageInitShape<I>,
    metadata?: Metadata,
  ): Promise<MessageShape<O>> {
    const bytes = await this.raw(path, toBinary(input, create(input, init)), metadata);
    return fromBinary(output, bytes);
  }
  check(init: MessageInitShape<typeof CheckResourcesRequestSchema>, metadata?: Metadata) {
    return this.unary(
      "/cerbos.svc.v1.CerbosService/CheckResources",
      CheckResourcesRequestSchema,
      CheckResourcesResponseSchema,
      init,
      metadata,
    );
  }
  health(service: string) {
    return this.unary(
      "/grpc.health.v1.Health/Check",
      HealthCheckRequestSchema,
      HealthCheckResponseSchema,
      { service },
    );
  }
}

const decode = { maxActionsPerResource: 50, maxResourcesPerRequest: 50, principalOptional: false };

async function refusal(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (e) {
    return e as ServiceError;
  }
  assert.fail("the call succeeded");
}

describe("gRPC server", () => {
  const pdp = fakePdp();
  const metrics = recordingMetrics();
  let server: GrpcServer;
  let caller: Caller;
  let addr: string;

  before(async () => {
    server = createGrpcServer({
      pdp,
      decode,
      logger: silentLogger,
      metrics,
      maxMessageBytes: 64 * 1024,
      healthWatchIntervalMs: 10,
    });
    addr = await server.listen("127.0.0.1:0");
    caller = new Caller(addr);
  });
  after(async () => {
    caller.client.close();
    await server.shutdown(1000);
  });

  it("listens on the port it reports", () => {
    assert.match(addr, /^127\.0\.0\.1:[1-9]\d*$/);
  });

  it("answers CheckResources with the PDP's response, encoded", async () => {
    pdp.calls.length = 0;
    const md = new Metadata();
    md.set("X-Custom", "v1");
    const res = await caller.check(validRequest, md);
    assert.equal(res.requestId, "r1");
    assert.equal(res.cerbosCallId, fixedResponse.cerbosCallId);
    const [result] = res.results;
    assert.ok(result);
    assert.equal(result.resource?.kind, "document");
    assert.equal(result.resource?.policyVersion, "default");
    assert.deepEqual(result.actions, { view: Effect.ALLOW, edit: Effect.DENY });
    assert.equal(result.meta?.actions["view"]?.matchedPolicy, "resource.document.vdefault");
    assert.equal(result.outputs[0]?.src, "resource.document.vdefault#r1");

    const [call] = pdp.calls;
    assert.ok(call);
    assert.equal(call.request.principal?.id, "alice");
    assert.deepEqual(call.request.resources[0]?.actions, ["view", "edit"]);
    assert.equal(call.context.protocol, "grpc");
    assert.match(call.context.callId, /^[0-9A-Z]{26}$/);
    assert.deepEqual(call.context.metadata["x-custom"], ["v1"]);
    assert.match(call.context.peer.userAgent ?? "", /grpc-node-js/);
    assert.match(call.context.peer.address, /127\.0\.0\.1/);
  });

  it("refuses an invalid request with INVALID_ARGUMENT and the validator's message", async () => {
    pdp.calls.length = 0;
    const err = await refusal(caller.check({ ...validRequest, principal: undefined }));
    assert.equal(err.code, 3);
    assert.match(err.details, /principal/);
    assert.equal(pdp.calls.length, 0);
  });

  it("maps PDP errors to statuses and hides internal messages", async () => {
    pdp.answer = () => Promise.reject(new InvalidArgumentError("auxData.jwt", "token is expired"));
    const invalid = await refusal(caller.check(validRequest));
    assert.equal(invalid.code, 3);
    assert.equal(invalid.details, "auxData.jwt: token is expired");

    pdp.answer = () => Promise.reject(new GatehouseError("NOT_FOUND", "no such thing"));
    assert.equal((await refusal(caller.check(validRequest))).code, 5);

    pdp.answer = () => Promise.reject(new Error("secret internals"));
    const internal = await refusal(caller.check(validRequest));
    assert.equal(internal.code, 13);
    assert.doesNotMatch(internal.details, /secret/);
    pdp.answer = () => Promise.resolve(fixedResponse);
  });

  it("refuses bytes that are not a CheckResourcesRequest and keeps serving", async () => {
    const err = await refusal(
      caller.raw("/cerbos.svc.v1.CerbosService/CheckResources", new Uint8Array([0x0a, 0xff])),
    );
    assert.equal(err.code, 13);
    assert.match(err.details, /unmarshal/);
    assert.equal((await caller.check(validRequest)).requestId, "r1");
  });

  it("refuses a message over the size limit with RESOURCE_EXHAUSTED and keeps serving", async () => {
    const big = "x".repeat(100 * 1024);
    const err = await refusal(
      caller.check({ ...validRequest, principal: { id: big, roles: ["user"] } }),
    );
    assert.equal(err.code, 8);
    assert.equal((await caller.check(validRequest)).requestId, "r1");
  });

  it("answers ServerInfo from the PDP", async () => {
    const info = await caller.unary(
      "/cerbos.svc.v1.CerbosService/ServerInfo",
      ServerInfoRequestSchema,
      ServerInfoResponseSchema,
      {},
    );
    assert.deepEqual(
      { version: info.version, commit: info.commit, buildDate: info.buildDate },
      { version: "0.55.0", commit: "abc", buildDate: "2026-01-01" },
    );
  });

  const plan = (init: MessageInitShape<typeof PlanResourcesRequestSchema>) =>
    caller.unary(
      "/cerbos.svc.v1.CerbosService/PlanResources",
      PlanResourcesRequestSchema,
      PlanResourcesResponseSchema,
      init,
    );

  it("answers PlanResources through the shared decoder, filter values intact", async () => {
    const res = await plan({
      requestId: "p1",
      actions: ["view"],
      principal: { id: "alice", roles: ["user"] },
      resource: { kind: "document", policyVersion: "", scope: "" },
      includeMeta: true,
    });
    const seen = pdp.plans.at(-1)!;
    assert.deepEqual(seen.request, {
      requestId: "p1",
      actions: ["view"],
      principal: { id: "alice", roles: ["user"] },
      resource: { kind: "document" },
      includeMeta: true,
    });
    assert.equal(seen.context.protocol, "grpc");
    assert.equal(res.requestId, "p1");
    assert.deepEqual(res.actions, ["view"]);
    assert.equal(res.resourceKind, "document");
    assert.equal(res.cerbosCallId, seen.context.callId);
    assert.equal(res.meta?.filterDebug, "(eq ...)");
    assert.deepEqual(res.meta?.matchedScopes, { view: "" });
    const cond = res.filter?.condition?.node;
    assert.equal(cond?.case, "expression");
    const operands = cond?.case === "expression" ? cond.value.operands : [];
    assert.deepEqual(operands[0]?.node, { case: "variable", value: "request.resource.attr.owner" });
    assert.equal(operands[1]?.node.case, "value");
  });

  it("refuses an invalid PlanResources request with Cerbos's message, before the PDP", async () => {
    const before = pdp.plans.length;
    const err = await refusal(
      plan({ principal: { id: "alice", roles: ["user"] }, resource: { kind: "" } }),
    );
    assert.equal(err.code, 3);
    assert.equal(
      err.details,
      "validation errors:\n - Exactly one of 'action' or 'actions' field must be set\n - resource.kind: value is required",
    );
    assert.equal(pdp.plans.length, before);
  });

  it("answers a PDP failure during a plan with INTERNAL, keeping its message private", async () => {
    const err = await refusal(
      plan({
        requestId: "explode",
        action: "view",
        principal: { id: "alice", roles: ["user"] },
        resource: { kind: "document" },
      }),
    );
    assert.equal(err.code, 13);
    assert.doesNotMatch(err.details, /secret/);
  });

  it("answers methods it does not serve with UNIMPLEMENTED", async () => {
    const err = await refusal(
      caller.raw("/cerbos.svc.v1.CerbosAdminService/ListPolicies", new Uint8Array()),
    );
    assert.equal(err.code, 12);
  });

  it("reports health for the server and the Cerbos service, following the policy status", async () => {
    assert.equal((await caller.health("")).status, ServingStatus.SERVING);
    assert.equal(
      (await caller.health("cerbos.svc.v1.CerbosService")).status,
      ServingStatus.SERVING,
    );
    assert.equal((await refusal(caller.health("nope"))).code, 5);
    pdp.status = { serving: false, policies: 0 };
    assert.equal((await caller.health("")).status, ServingStatus.NOT_SERVING);
    pdp.status = { serving: true, policies: 1 };
  });

  it("streams health changes to Watch", async () => {
    const stream = caller.client.makeServerStreamRequest(
      "/grpc.health.v1.Health/Watch",
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => fromBinary(HealthCheckResponseSchema, b),
      toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service: "" })),
    );
    const seen: number[] = [];
    for await (const msg of stream) {
      seen.push((msg as MessageShape<typeof HealthCheckResponseSchema>).status);
      if (seen.length === 1) pdp.status = { serving: false, policies: 0 };
      if (seen.length === 2) break;
    }
    stream.cancel();
    pdp.status = { serving: true, policies: 1 };
    assert.deepEqual(seen, [ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
  });

  it("answers AuthZEN AccessEvaluation through the PDP", async () => {
    pdp.calls.length = 0;
    const res = await caller.unary(
      "/authzen.authorization.v1.AuthorizationService/AccessEvaluation",
      AccessEvaluationRequestSchema,
      AccessEvaluationResponseSchema,
      {
        subject: { type: "user", id: "alice" },
        resource: { type: "document", id: "d1" },
        action: { name: "view" },
      },
    );
    assert.equal(res.decision, true);
    assert.equal(pdp.calls[0]?.request.principal?.id, "alice");
    assert.deepEqual(pdp.calls[0]?.request.resources[0]?.actions, ["view"]);
    const err = await refusal(
      caller.unary(
        "/authzen.authorization.v1.AuthorizationService/AccessEvaluation",
        AccessEvaluationRequestSchema,
        AccessEvaluationResponseSchema,
        { resource: { type: "document", id: "d1" }, action: { name: "view" } },
      ),
    );
    assert.equal(err.code, 3);
    assert.match(err.details, /subject/);
  });

  it("answers AuthZEN Metadata with the address the caller reached", async () => {
    const res = await caller.unary(
      "/authzen.authorization.v1.AuthorizationService/Metadata",
      MetadataRequestSchema,
      MetadataResponseSchema,
      {},
    );
    assert.equal(res.policyDecisionPoint, `http://${addr}`);
    assert.equal(res.accessEvaluationEndpoint, `http://${addr}/access/v1/evaluation`);
  });

  it("records a metric per call with the method and status code", () => {
    const codes = (method: string) =>
      new Set(metrics.seen.filter((o) => o.method === method).map((o) => o.status));
    assert.deepEqual(codes("CheckResources"), new Set([0, 3, 5, 13]));
    assert.deepEqual(codes("PlanResources"), new Set([0, 3, 13]));
    assert.ok(codes("Check").has(0));
  });
});

describe("gRPC server shutdown", () => {
  it("ends Watch streams and cancels calls still running after the grace period", async () => {
    const pdp = fakePdp();
    pdp.answer = () => new Promise(() => {}); // never answers
    const server = createGrpcServer({
      pdp,
      decode,
      logger: silentLogger,
      metrics: noMetrics,
      maxMessageBytes: 1024 * 1024,
    });
    const caller = new Caller(await server.listen("127.0.0.1:0"));
    const stream = caller.client.makeServerStreamRequest(
      "/grpc.health.v1.Health/Watch",
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => fromBinary(HealthCheckResponseSchema, b),
      toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service: "" })),
    );
    const watched: number[] = [];
    const watchEnded = (async () => {
      for await (const msg of stream)
        watched.push((msg as MessageShape<typeof HealthCheckResponseSchema>).status);
    })();
    const hanging = refusal(caller.check(validRequest));
    // Wait until both calls have reached the server before shutting it down.
    while (pdp.calls.length === 0 || watched.length === 0)
      await new Promise((r) => setImmediate(r));
    await server.shutdown(50);
    await watchEnded;
    assert.deepEqual(watched, [ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
    const err = await hanging;
    assert.notEqual(err.code, 0);
    caller.client.close();
  });
});
