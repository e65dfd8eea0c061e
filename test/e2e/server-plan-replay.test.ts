// Replays Cerbos's own PlanResources server cases (testdata/server/plan_resources) against every
// available target, over HTTP and gRPC, with the configuration Cerbos's server tests use (as
// server-replay.test.ts does for checks): the engine test store, schema enforcement `reject`, a
// local JWT key set holding auxdata/keys/verify_key.jwk, request limits of 5 and 5.
//
// Compared: the status, and for successful calls the whole response after a protojson round trip
// through PlanResourcesResponse (generated from Cerbos 0.55's protos). Ignored: `cerbosCallId`
// (a fresh ULID per call; checked to be present) and the order of `validationErrors` (Cerbos
// de-duplicates them through a Go map, so its order varies between identical calls).

import { fromJson, toJson, type JsonValue } from "@bufbuild/protobuf";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { PlanResourcesResponseSchema } from "../../src/protocols/grpc/gen/cerbos/response/v1/response_pb.ts";
import { CerbosService } from "../../src/protocols/grpc/gen/cerbos/svc/v1/svc_pb.ts";
import type { PdpServer } from "../support/cerbos-server.ts";
import { serverTargets } from "../support/gatehouse-server.ts";
import { testdata } from "../support/reference.ts";

const config = {
  schema: { enforcement: "reject" },
  auxData: {
    jwt: { keySets: [{ id: "cerbos", local: { file: testdata("auxdata/keys/verify_key.jwk") } }] },
  },
  server: { requestLimits: { maxActionsPerResource: 5, maxResourcesPerRequest: 5 } },
};

interface PlanCase {
  readonly id: string;
  readonly description: string;
  readonly input: JsonValue;
  readonly wantResponse?: JsonValue;
  readonly wantHttp: number;
  readonly wantGrpc: number;
}

function loadCases(): PlanCase[] {
  const dir = testdata("server", "plan_resources");
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((file) => {
      const doc = parse(readFileSync(`${dir}/${file}`, "utf8")) as {
        description?: string;
        wantStatus?: { httpStatusCode?: number; grpcStatusCode?: number };
        planResources: { input: JsonValue; wantResponse?: JsonValue };
      };
      return {
        id: file,
        description: doc.description ?? "",
        input: doc.planResources.input,
        ...(doc.planResources.wantResponse !== undefined
          ? { wantResponse: doc.planResources.wantResponse }
          : {}),
        wantHttp: doc.wantStatus?.httpStatusCode ?? 200,
        wantGrpc: doc.wantStatus?.grpcStatusCode ?? 0,
      };
    });
}

const isObj = (x: unknown): x is Record<string, JsonValue> =>
  typeof x === "object" && x !== null && !Array.isArray(x);

/** The response as PlanResourcesResponse reads it back, without the call id, errors sorted. */
function normalise(json: JsonValue): JsonValue {
  const out = toJson(PlanResourcesResponseSchema, fromJson(PlanResourcesResponseSchema, json));
  if (!isObj(out)) return out;
  const { cerbosCallId: _callId, ...rest } = out;
  const errors = rest["validationErrors"];
  if (Array.isArray(errors))
    rest["validationErrors"] = errors
      .map((e) => JSON.stringify(e))
      .sort()
      .map((t) => JSON.parse(t) as JsonValue);
  return rest;
}

const cases = loadCases();

for (const target of serverTargets()) {
  describe(`PlanResources server cases: ${target.name}`, { skip: target.unavailable }, () => {
    let server: PdpServer;
    before(async () => {
      server = await target.start({ policyDir: testdata("store"), config });
    });
    after(async () => {
      await server?.stop();
    });

    test("has the cases", () => {
      assert.ok(cases.length >= 10, `only ${cases.length} cases found`);
    });

    for (const c of cases) {
      test(`http ${c.id}: ${c.description}`, async () => {
        const res = await server.request("POST", "/api/plan/resources", c.input as object);
        assert.equal(res.status, c.wantHttp, res.text);
        if (c.wantHttp !== 200) return;
        assert.ok(isObj(res.json), res.text);
        const callId = res.json["cerbosCallId"];
        assert.ok(typeof callId === "string" && /^[0-9A-Z]{26}$/.test(callId), res.text);
        assert.deepEqual(normalise(res.json as JsonValue), normalise(c.wantResponse ?? {}));
      });
      test(`grpc ${c.id}: ${c.description}`, async () => {
        const res = await server.grpc(CerbosService.method.planResources, c.input);
        assert.equal(res.code, c.wantGrpc, res.details);
        if (c.wantGrpc !== 0) return;
        assert.ok(res.json !== undefined);
        assert.deepEqual(normalise(res.json), normalise(c.wantResponse ?? {}));
      });
    }
  });
}
