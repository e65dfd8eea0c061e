// Replays Cerbos's own server conformance cases (testdata/server/checks and authzen) against every
// available target, over HTTP and gRPC, with the configuration Cerbos's server tests use: the
// engine test store, schema enforcement `reject`, a local JWT key set `cerbos` holding
// auxdata/keys/verify_key.jwk, and request limits of 5 resources and 5 actions.
//
// Compared: the status (HTTP and gRPC code) and, for successful calls, the whole response after
// a protojson round trip through message types generated from Cerbos 0.55's protos (so `1` and `1.0`, or a
// default left out or written, compare equal). Ignored, as Cerbos's own runner ignores them:
// `cerbosCallId` (a fresh ULID per call; only checked to be present), the order of
// `effectiveDerivedRoles` and of `outputs` (set-like; ordered by source). Also ignored: the order
// of `results` in the `cerbos.response` context of an AuthZEN batch answer (the whole batch's
// CheckResources answer), which Cerbos itself varies between identical calls. For a case that wants
// an error only the status is compared: the message is not part of the case.

import { fromJson, toJson, type DescMessage, type JsonValue } from "@bufbuild/protobuf";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { AuthorizationService } from "../../src/protocols/grpc/gen/authzen/authorization/v1/svc_pb.ts";
import { CerbosService } from "../../src/protocols/grpc/gen/cerbos/svc/v1/svc_pb.ts";
import { Health } from "../../src/protocols/grpc/gen/grpc/health/v1/health_pb.ts";
import type { PdpServer } from "../support/cerbos-server.ts";
import { serverTargets } from "../support/gatehouse-server.ts";
import { testdata } from "../support/reference.ts";

export const replayConfig = {
  schema: { enforcement: "reject" },
  auxData: {
    jwt: { keySets: [{ id: "cerbos", local: { file: testdata("auxdata/keys/verify_key.jwk") } }] },
  },
  server: { requestLimits: { maxActionsPerResource: 5, maxResourcesPerRequest: 5 } },
};

type CallKind =
  | "checkResources"
  | "checkResourceSet"
  | "checkResourceBatch"
  | "accessEvaluation"
  | "accessEvaluationBatch";

interface ServerCase {
  readonly id: string;
  readonly kind: CallKind;
  readonly input: JsonValue;
  readonly wantResponse?: JsonValue;
  readonly wantError: boolean;
  readonly wantHttp: number;
  readonly wantGrpc: number;
}

const httpPaths: Record<CallKind, string> = {
  checkResources: "/api/check/resources",
  checkResourceSet: "/api/check",
  checkResourceBatch: "/api/check_resource_batch",
  accessEvaluation: "/access/v1/evaluation",
  accessEvaluationBatch: "/access/v1/evaluations",
};

/** gRPC methods per call kind (messages generated from Cerbos 0.55's protos). */
const grpcMethods = {
  checkResources: CerbosService.method.checkResources,
  checkResourceSet: CerbosService.method.checkResourceSet,
  checkResourceBatch: CerbosService.method.checkResourceBatch,
  accessEvaluation: AuthorizationService.method.accessEvaluation,
  accessEvaluationBatch: AuthorizationService.method.accessEvaluationBatch,
} as const;

/**
 * Folders under testdata/server that are not replayed, with the reason. (`plan_resources` is
 * replayed by server-plan-replay.test.ts.)
 */
const skippedSuites: Record<string, string> = {
  admin: "the Admin API is not served",
  playground: "the playground API is not served",
};

function loadCases(): ServerCase[] {
  const cases: ServerCase[] = [];
  for (const suite of ["checks", "authzen"]) {
    const suiteDir = testdata("server", suite);
    for (const group of readdirSync(suiteDir).sort()) {
      for (const file of readdirSync(join(suiteDir, group)).sort()) {
        if (!/\.(ya?ml|json)$/.test(file)) continue;
        const doc = parse(readFileSync(join(suiteDir, group, file), "utf8")) as Record<
          string,
          unknown
        >;
        const kind = (Object.keys(httpPaths) as CallKind[]).find((k) => k in doc);
        if (!kind) throw new Error(`${suite}/${group}/${file}: no call this runner knows`);
        const call = doc[kind] as { input: JsonValue; wantResponse?: JsonValue };
        const status = (doc["wantStatus"] ?? {}) as {
          httpStatusCode?: number;
          grpcStatusCode?: number;
        };
        cases.push({
          id: `${group}/${file}`,
          kind,
          input: call.input,
          ...(call.wantResponse !== undefined ? { wantResponse: call.wantResponse } : {}),
          wantError: doc["wantError"] === true,
          wantHttp: status.httpStatusCode ?? 200,
          wantGrpc: status.grpcStatusCode ?? 0,
        });
      }
    }
  }
  return cases;
}

const isObj = (x: unknown): x is Record<string, JsonValue> =>
  typeof x === "object" && x !== null && !Array.isArray(x);

/** JSON text with object keys sorted: protobuf Struct fields arrive in no particular order. */
const stableText = (v: JsonValue): string =>
  Array.isArray(v)
    ? `[${v.map(stableText).join(",")}]`
    : isObj(v)
      ? `{${Object.keys(v)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${stableText(v[k]!)}`)
          .join(",")}}`
      : JSON.stringify(v);
const byJson = (a: JsonValue, b: JsonValue): number => stableText(a).localeCompare(stableText(b));

const srcOf = (x: JsonValue): string => (isObj(x) && typeof x["src"] === "string" ? x["src"] : "");

/** Drops `cerbosCallId` and sorts the set-like lists, recursively. */
function canonical(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(canonical);
  if (!isObj(v)) return v;
  const out: Record<string, JsonValue> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === "cerbosCallId") continue;
    if (k === "effectiveDerivedRoles" && Array.isArray(x)) out[k] = [...x].sort();
    else if (k === "outputs" && Array.isArray(x))
      out[k] = x.map(canonical).sort((a, b) => srcOf(a).localeCompare(srcOf(b)));
    else if (k === "cerbos.response" && isObj(x) && Array.isArray(x["results"]))
      out[k] = {
        ...(canonical(x) as Record<string, JsonValue>),
        results: x["results"].map(canonical).sort(byJson),
      };
    else out[k] = canonical(x);
  }
  return out;
}

/** The protojson form of `json` as the message type reads it back. */
function normalise(schema: DescMessage, json: JsonValue): JsonValue {
  return canonical(toJson(schema, fromJson(schema, json)));
}

function outputSchema(kind: CallKind): DescMessage {
  return grpcMethods[kind].output;
}

const cases = loadCases();

describe("server conformance cases not replayed", () => {
  for (const [suite, reason] of Object.entries(skippedSuites)) {
    const count = readdirSync(testdata("server", suite), { recursive: true }).filter((f) =>
      /\.ya?ml$/.test(String(f)),
    ).length;
    test(`testdata/server/${suite} (${count} cases)`, { skip: reason }, () => {});
  }
});

for (const target of serverTargets()) {
  describe(`server replay: ${target.name}`, { skip: target.unavailable }, () => {
    let server: PdpServer;
    before(async () => {
      server = await target.start({ policyDir: testdata("store"), config: replayConfig });
    });
    after(async () => {
      await server?.stop();
    });

    test("has the cases", () => {
      assert.ok(cases.length >= 40, `only ${cases.length} cases found`);
    });

    test("GET /_cerbos/health and gRPC health answer SERVING", async () => {
      const res = await server.request("GET", "/_cerbos/health");
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, { status: "SERVING" });
      const grpc = await server.grpc(Health.method.check, {});
      assert.equal(grpc.code, 0, grpc.details);
      assert.deepEqual(grpc.json, { status: "SERVING" });
    });

    test("ServerInfo over HTTP and gRPC", async () => {
      const res = await server.request("GET", "/api/server_info");
      assert.equal(res.status, 200);
      assert.ok(isObj(res.json) && typeof res.json["version"] === "string", res.text);
      const grpc = await server.grpc(CerbosService.method.serverInfo, {});
      assert.equal(grpc.code, 0, grpc.details);
      assert.ok(isObj(grpc.json) && typeof grpc.json["version"] === "string");
    });

    for (const c of cases) {
      test(`http ${c.id}`, async () => {
        const res = await server.request("POST", httpPaths[c.kind], c.input as object);
        assert.equal(res.status, c.wantHttp, `status for ${c.id}: ${res.text}`);
        if (c.wantError) {
          assert.notEqual(res.status, 200);
          return;
        }
        assert.ok(res.json !== undefined, `not JSON: ${res.text}`);
        if (c.kind === "checkResources")
          assert.equal(typeof (res.json as Record<string, unknown>)["cerbosCallId"], "string");
        const schema = outputSchema(c.kind);
        assert.deepEqual(
          normalise(schema, res.json as JsonValue),
          normalise(schema, c.wantResponse ?? {}),
        );
      });
      {
        test(`grpc ${c.id}`, async () => {
          const method = grpcMethods[c.kind];
          const res = await server.grpc(method, c.input);
          assert.equal(res.code, c.wantGrpc, `gRPC code for ${c.id}: ${res.details}`);
          if (c.wantError) return;
          assert.ok(res.json !== undefined);
          assert.deepEqual(
            normalise(method.output, res.json),
            normalise(method.output, c.wantResponse ?? {}),
          );
        });
      }
    }
  });
}
