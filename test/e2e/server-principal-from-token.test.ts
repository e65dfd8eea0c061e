// Principal from token, end to end: with `gatehouse.principalFromToken` on, an application
// sends only the token and the resources, and the policies decide on the principal the token
// describes. A request that also names a principal is refused, so a caller cannot speak for
// someone else. (A Gatehouse extension: there is no Cerbos target to compare with.)

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createJwtSigner } from "../differential/jwt-signer.ts";
import { repoRoot } from "../support/reference.ts";
import {
  gatehouseUnavailableReason,
  startGatehouseServer,
  type GatehouseServer,
} from "../support/gatehouse-server.ts";
import { join } from "node:path";

const unavailable = gatehouseUnavailableReason();
const signer = createJwtSigner();

const document = (department: string) => ({
  kind: "document",
  id: `doc-${department}`,
  attr: { owner: "bob", department, public: false, locked: false },
});

const request = (token: string | undefined, extra: Record<string, unknown> = {}) => ({
  requestId: "pft",
  resources: [
    { actions: ["view", "edit"], resource: document("sales") },
    { actions: ["view", "edit"], resource: document("legal") },
  ],
  ...(token === undefined ? {} : { auxData: { jwt: { token } } }),
  ...extra,
});

const effects = (body: unknown): Record<string, string>[] =>
  (body as { results: { actions: Record<string, string> }[] }).results.map((r) => r.actions);

describe("principal from token", { skip: unavailable }, () => {
  let server: GatehouseServer;
  before(async () => {
    server = await startGatehouseServer({
      policyDir: join(repoRoot, "examples/policies"),
      config: {
        auxData: signer.cerbosConfig,
        gatehouse: {
          principalFromToken: {
            enabled: true,
            preset: "keycloak",
            attrClaims: { department: "dept" },
          },
        },
      },
    });
  });
  after(() => server?.stop());

  test("the token alone names the principal, its roles and attributes", async () => {
    const token = signer.sign({ sub: "alice", realm_access: { roles: ["user"] }, dept: "sales" });
    const answer = await server.request("POST", "/api/check/resources", request(token));
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(effects(answer.json), [
      { edit: "EFFECT_DENY", view: "EFFECT_ALLOW" },
      { edit: "EFFECT_DENY", view: "EFFECT_DENY" },
    ]);
    // The decision log records the principal the token described.
    const callId = (answer.json as { cerbosCallId: string }).cerbosCallId;
    const entry = await server.decisionEntry(callId);
    const inputs = (entry?.["checkResources"] as { inputs: { principal: unknown }[] }).inputs;
    assert.deepEqual(inputs[0]?.principal, {
      id: "alice",
      roles: ["user"],
      attr: { department: "sales" },
    });
  });

  test("roles come from the token: an admin token may do everything", async () => {
    const token = signer.sign({ sub: "root", realm_access: { roles: ["admin"] } });
    const answer = await server.request("POST", "/api/check/resources", request(token));
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(effects(answer.json), [
      { edit: "EFFECT_ALLOW", view: "EFFECT_ALLOW" },
      { edit: "EFFECT_ALLOW", view: "EFFECT_ALLOW" },
    ]);
  });

  test("a request that also names a principal is refused", async () => {
    const token = signer.sign({ sub: "alice", realm_access: { roles: ["user"] }, dept: "sales" });
    const answer = await server.request(
      "POST",
      "/api/check/resources",
      request(token, { principal: { id: "bob", roles: ["admin"] } }),
    );
    assert.equal(answer.status, 400, answer.text);
    assert.equal((answer.json as { code: number }).code, 3);
    assert.match((answer.json as { message: string }).message, /principal/);
  });

  test("no token and no principal is refused; a token without roles is refused", async () => {
    const none = await server.request("POST", "/api/check/resources", request(undefined));
    assert.equal(none.status, 400, none.text);
    assert.match((none.json as { message: string }).message, /principal/);

    const roleless = signer.sign({ sub: "carol" });
    const answer = await server.request("POST", "/api/check/resources", request(roleless));
    assert.equal(answer.status, 400, answer.text);
  });

  test("a forged token is refused as Cerbos refuses it", async () => {
    const other = createJwtSigner();
    const token = other.sign({ sub: "mallory", realm_access: { roles: ["admin"] } });
    const answer = await server.request("POST", "/api/check/resources", request(token));
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.json, { code: 3, message: "invalid auxData" });
  });
});
