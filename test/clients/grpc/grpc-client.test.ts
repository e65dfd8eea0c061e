// The official @cerbos/grpc client, unchanged, against Gatehouse's gRPC server (in process, over
// the example policies with the real engine), and the same calls against the real Cerbos: both
// must give the client identical answers.

import { GRPC } from "@cerbos/grpc";
import { NotOK, Service, ServiceStatus, type CheckResourcesRequest } from "@cerbos/core";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import { after, before, describe, it } from "node:test";
import { loadPolicies } from "../../../src/index.ts";
import { silentLogger } from "../../../src/kernel/logger.ts";
import { noMetrics } from "../../../src/kernel/metrics.ts";
import { createPdpService } from "../../../src/pdp/service.ts";
import type { PdpService } from "../../../src/pdp/types.ts";
import { createGrpcServer, type GrpcServer } from "../../../src/protocols/grpc/index.ts";
import {
  cerbosUnavailableReason,
  startCerbosServer,
  type CerbosServer,
} from "../../support/cerbos-server.ts";
import { repoRoot, testdata } from "../../support/reference.ts";

const policyDir = `${repoRoot}/examples/policies`;
const decode = { maxActionsPerResource: 50, maxResourcesPerRequest: 50, principalOptional: false };

async function examplePdp(): Promise<PdpService> {
  const engine = await loadPolicies(policyDir);
  return createPdpService({
    policies: { current: () => engine, status: () => ({ serving: true, policies: 3 }) },
    // No request here carries tokens.
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
    serverInfo: { version: "0.0.0-test", commit: "test", buildDate: "2026-01-01T00:00:00Z" },
  });
}

async function startGatehouse(tls?: {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}): Promise<{ server: GrpcServer; addr: string }> {
  const server = createGrpcServer({
    pdp: await examplePdp(),
    decode,
    logger: silentLogger,
    metrics: noMetrics,
    maxMessageBytes: 64 * 1024,
    ...(tls ? { tls } : {}),
  });
  return { server, addr: await server.listen("127.0.0.1:0") };
}

const alice = { id: "alice", roles: ["user"], attr: { department: "sales" } };
const requests: CheckResourcesRequest[] = [
  {
    requestId: "mixed",
    principal: alice,
    resources: [
      {
        resource: { kind: "document", id: "d1", attr: { owner: "alice", locked: true } },
        actions: ["view", "edit", "delete"],
      },
      {
        resource: { kind: "document", id: "d2", attr: { owner: "bob", department: "sales" } },
        actions: ["view", "edit"],
      },
      {
        resource: { kind: "document", id: "d3", attr: { owner: "bob", public: false } },
        actions: ["view"],
      },
    ],
    includeMetadata: true,
  },
  {
    principal: { id: "root", roles: ["admin"] },
    resources: [{ resource: { kind: "document", id: "d4" }, actions: ["archive", "view"] }],
  },
  {
    principal: alice,
    resources: [{ resource: { kind: "unknown_kind", id: "x" }, actions: ["view"] }],
    includeMetadata: true,
  },
];

/** The client's response as plain data, without the call id every server makes up. */
function plain(value: unknown): unknown {
  const json = JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  delete json["cerbosCallId"];
  return json;
}

async function notOK(p: Promise<unknown>): Promise<NotOK> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof NotOK, `expected NotOK, got ${String(e)}`);
    return e;
  }
  assert.fail("the call succeeded");
}

describe("@cerbos/grpc against Gatehouse", () => {
  let gatehouse: { server: GrpcServer; addr: string };
  let client: GRPC;

  before(async () => {
    gatehouse = await startGatehouse();
    client = new GRPC(gatehouse.addr, { tls: false });
  });
  after(async () => {
    client.close();
    await gatehouse.server.shutdown(1000);
  });

  it("checkResources", async () => {
    const res = await client.checkResources(requests[0]!);
    assert.equal(res.requestId, "mixed");
    assert.match(res.cerbosCallId, /^[0-9A-Z]{26}$/);
    const d1 = res.findResult({ kind: "document", id: "d1" });
    assert.deepEqual(d1?.actions, {
      view: "EFFECT_ALLOW",
      edit: "EFFECT_ALLOW",
      delete: "EFFECT_DENY",
    });
    assert.equal(d1?.metadata?.actions["view"]?.matchedPolicy, "resource.document.vdefault");
    assert.deepEqual(d1?.outputs, [
      {
        action: "delete",
        source: "resource.document.vdefault#no-deleting-locked",
        value: "document d1 is locked",
      },
    ]);
    assert.equal(res.isAllowed({ resource: { kind: "document", id: "d2" }, action: "view" }), true);
    assert.equal(
      res.isAllowed({ resource: { kind: "document", id: "d3" }, action: "view" }),
      false,
    );
  });

  it("checkResource and isAllowed", async () => {
    const result = await client.checkResource({
      principal: alice,
      resource: { kind: "document", id: "d5", attr: { public: true } },
      actions: ["view", "edit"],
    });
    assert.equal(result.isAllowed("view"), true);
    assert.equal(result.isAllowed("edit"), false);
    assert.equal(
      await client.isAllowed({
        principal: { id: "root", roles: ["admin"] },
        resource: { kind: "document", id: "d6" },
        action: "delete",
      }),
      true,
    );
  });

  it("serverInfo", async () => {
    assert.deepEqual(await client.serverInfo(), {
      version: "0.0.0-test",
      commit: "test",
      buildDate: "2026-01-01T00:00:00Z",
    });
  });

  it("checkHealth", async () => {
    assert.deepEqual(await client.checkHealth(), { status: ServiceStatus.SERVING });
    assert.deepEqual(await client.checkHealth({ service: Service.CERBOS }), {
      status: ServiceStatus.SERVING,
    });
    // The admin API is not served, which the client reports as disabled.
    assert.deepEqual(await client.checkHealth({ service: Service.ADMIN }), {
      status: ServiceStatus.DISABLED,
    });
  });

  it("refuses an invalid request with NotOK code 3 and Cerbos's message, then keeps serving", async () => {
    const err = await notOK(
      client.checkResources({
        principal: { id: "", roles: ["user"] },
        resources: [{ resource: { kind: "document", id: "d1" }, actions: ["view"] }],
      }),
    );
    assert.equal(err.code, 3);
    assert.match(err.details, /principal\.id/);
    assert.equal((await client.checkResources(requests[1]!)).results.length, 1);
  });

  it("refuses an oversized message with RESOURCE_EXHAUSTED, then keeps serving", async () => {
    const err = await notOK(
      client.checkResources({
        principal: { ...alice, attr: { blob: "x".repeat(100 * 1024) } },
        resources: [{ resource: { kind: "document", id: "d1" }, actions: ["view"] }],
      }),
    );
    assert.equal(err.code, 8);
    assert.equal((await client.checkResources(requests[1]!)).results.length, 1);
  });
});

describe("@cerbos/grpc against Gatehouse over TLS", () => {
  it("checks resources over an encrypted connection", async () => {
    const cert = readFileSync(testdata("server", "tls.crt"));
    const key = readFileSync(testdata("server", "tls.key"));
    const gatehouse = await startGatehouse({ cert, key });
    // The certificate names `cerbos.local`; the client connects to 127.0.0.1.
    const client = new GRPC(gatehouse.addr, {
      tls: createSecureContext({ ca: cert }),
      channelOptions: { "grpc.ssl_target_name_override": "cerbos.local" },
    });
    const plaintext = new GRPC(gatehouse.addr, { tls: false });
    try {
      const res = await client.checkResources(requests[1]!);
      assert.equal(
        res.isAllowed({ resource: { kind: "document", id: "d4" }, action: "view" }),
        true,
      );
      // A plaintext client cannot talk to a TLS listener.
      assert.equal((await notOK(plaintext.serverInfo())).code, 14);
    } finally {
      client.close();
      plaintext.close();
      await gatehouse.server.shutdown(1000);
    }
  });

  it("with a CA, accepts clients with a certificate it signed and refuses the others", async () => {
    const cert = readFileSync(testdata("server", "tls.crt"));
    const key = readFileSync(testdata("server", "tls.key"));
    // The self-signed certificate is its own CA, so it serves as the client's certificate too.
    const gatehouse = await startGatehouse({ cert, key, ca: cert });
    const channelOptions = { "grpc.ssl_target_name_override": "cerbos.local" };
    const withCert = new GRPC(gatehouse.addr, {
      tls: createSecureContext({ ca: cert, cert, key }),
      channelOptions,
    });
    const withoutCert = new GRPC(gatehouse.addr, {
      tls: createSecureContext({ ca: cert }),
      channelOptions,
    });
    try {
      assert.equal((await withCert.serverInfo()).version, "0.0.0-test");
      assert.equal((await notOK(withoutCert.serverInfo())).code, 14);
    } finally {
      withCert.close();
      withoutCert.close();
      await gatehouse.server.shutdown(1000);
    }
  });
});

const skip = cerbosUnavailableReason();

describe("@cerbos/grpc gets the same answers from Gatehouse and Cerbos", { skip }, () => {
  let gatehouse: { server: GrpcServer; addr: string };
  let cerbos: CerbosServer;
  let ours: GRPC;
  let theirs: GRPC;

  before(async () => {
    gatehouse = await startGatehouse();
    cerbos = await startCerbosServer({ policyDir });
    ours = new GRPC(gatehouse.addr, { tls: false });
    theirs = new GRPC(cerbos.grpcAddr, { tls: false });
  });
  after(async () => {
    ours?.close();
    theirs?.close();
    await gatehouse?.server.shutdown(1000);
    await cerbos?.stop();
  });

  for (const [i, request] of requests.entries()) {
    it(`checkResources #${i}`, async () => {
      // The client makes up a request id when there is none; send the same one to both.
      const same = { ...request, requestId: `same-${i}` };
      const [a, b] = await Promise.all([ours.checkResources(same), theirs.checkResources(same)]);
      assert.deepEqual(plain(a), plain(b));
    });
  }

  const invalid: [string, CheckResourcesRequest][] = [
    [
      "empty principal id",
      {
        principal: { id: "", roles: ["user"] },
        resources: [{ resource: { kind: "document", id: "d1" }, actions: ["view"] }],
      },
    ],
    [
      "no actions",
      {
        principal: alice,
        resources: [{ resource: { kind: "document", id: "d1" }, actions: [] }],
      },
    ],
    [
      "bad scope and duplicate actions",
      {
        principal: { ...alice, scope: "bad scope!" },
        resources: [{ resource: { kind: "document", id: "d1" }, actions: ["view", "view"] }],
      },
    ],
  ];
  for (const [name, request] of invalid) {
    it(`refuses the same way: ${name}`, async () => {
      const [a, b] = await Promise.all([
        notOK(ours.checkResources(request)),
        notOK(theirs.checkResources(request)),
      ]);
      assert.deepEqual({ code: a.code, details: a.details }, { code: b.code, details: b.details });
    });
  }

  it("health is the same", async () => {
    for (const service of [undefined, Service.CERBOS, Service.ADMIN]) {
      const req = service === undefined ? {} : { service };
      assert.deepEqual(await ours.checkHealth(req), await theirs.checkHealth(req));
    }
  });
});
