// The service against the real Cerbos: every engine case of Cerbos's testdata, sent as
// CheckResources requests (one per engine input, with and without includeMeta) to the real
// server over HTTP and to this service; the response JSON must be identical, key order
// included, except the call id. Outputs and effective derived roles are compared as sets: Cerbos
// builds them in Go map order, so their order is not stable there.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import type { CheckInput } from "../authz/engine/types.ts";
import type { EngineOptions } from "../authz/index.ts";
import { silentLogger } from "../kernel/logger.ts";
import { noMetrics } from "../kernel/metrics.ts";
import type { PrincipalFromTokenConfig } from "../main/config/types.ts";
import {
  cerbosUnavailableReason,
  startCerbosServer,
  type CerbosServer,
} from "../../test/support/cerbos-server.ts";
import { testdata } from "../../test/support/reference.ts";
import { createPolicyReloader, type PolicyReloader } from "./policy-reloader.ts";
import { createPdpService } from "./service.ts";
import type { CheckResourcesRequest, PdpService } from "./types.ts";

const globals = { environment: "test", my_map: { foo: ["a", "b"] } };
const unavailable = cerbosUnavailableReason();

const principalFromToken: PrincipalFromTokenConfig = {
  enabled: false,
  token: "jwt",
  preset: "generic",
  idClaim: "sub",
  roleClaims: [],
  defaultRoles: [],
  attrClaims: {},
  explicitPrincipal: "reject",
};

interface Request {
  readonly name: string;
  readonly body: CheckResourcesRequest;
}

function requests(dir: string): Request[] {
  const out: Request[] = [];
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith(".yaml"))
    .sort()) {
    const tc = parse(readFileSync(join(dir, f), "utf8")) as { inputs: CheckInput[] };
    for (const includeMeta of [false, true]) {
      tc.inputs.forEach((input, i) => {
        out.push({
          name: `${f} input ${i} includeMeta=${includeMeta}`,
          body: {
            requestId: input.requestId ?? "",
            principal: input.principal,
            resources: [{ actions: input.actions, resource: input.resource }],
            includeMeta,
          },
        });
      });
      // inputs sharing one principal also go as one request with several resources
      const first = tc.inputs[0];
      const samePrincipal = tc.inputs.every(
        (x) => JSON.stringify(x.principal) === JSON.stringify(first?.principal),
      );
      if (first && tc.inputs.length > 1 && samePrincipal) {
        out.push({
          name: `${f} all inputs in one request includeMeta=${includeMeta}`,
          body: {
            requestId: first.requestId ?? "",
            principal: first.principal,
            resources: tc.inputs.map((x) => ({ actions: x.actions, resource: x.resource })),
            includeMeta,
          },
        });
      }
    }
  }
  return out;
}

/** The HTTP body Cerbos would be sent for a request (empty requestId left out). */
const wire = (r: CheckResourcesRequest): unknown => ({
  ...(r.requestId ? { requestId: r.requestId } : {}),
  principal: r.principal,
  resources: r.resources,
  includeMeta: r.includeMeta,
});

/** Drops the call id and sorts each result's outputs; key order is otherwise kept. */
function comparable(body: unknown): string {
  const o = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
  delete o["cerbosCallId"];
  for (const r of (o["results"] as Record<string, unknown>[] | undefined) ?? []) {
    const outs = r["outputs"] as unknown[] | undefined;
    if (outs)
      r["outputs"] = outs
        .map((x) => JSON.stringify(x))
        .sort()
        .map((x): unknown => JSON.parse(x));
    const meta = r["meta"] as { effectiveDerivedRoles?: string[] } | undefined;
    meta?.effectiveDerivedRoles?.sort();
  }
  return JSON.stringify(o, null, 1);
}

interface Suite {
  readonly cases: string;
  readonly cerbosConfig: Readonly<Record<string, unknown>>;
  readonly engine: EngineOptions;
}

const suites: readonly Suite[] = [
  { cases: "engine", cerbosConfig: {}, engine: {} },
  {
    cases: "engine_lenient_scope_search",
    cerbosConfig: { engine: { lenientScopeSearch: true } },
    engine: { lenientScopeSearch: true },
  },
  {
    cases: "engine_schema_enforcement/warn",
    cerbosConfig: { schema: { enforcement: "warn" } },
    engine: { schemaEnforcement: "warn" },
  },
  {
    cases: "engine_schema_enforcement/reject",
    cerbosConfig: { schema: { enforcement: "reject" } },
    engine: { schemaEnforcement: "reject" },
  },
];

for (const suite of suites) {
  describe(`service responses match the real Cerbos: ${suite.cases}`, { skip: unavailable }, () => {
    let cerbos: CerbosServer;
    let reloader: PolicyReloader;
    let service: PdpService;
    before(async () => {
      const engineConfig = (suite.cerbosConfig["engine"] ?? {}) as Record<string, unknown>;
      cerbos = await startCerbosServer({
        policyDir: testdata("store"),
        config: { ...suite.cerbosConfig, engine: { ...engineConfig, globals } },
      });
      reloader = await createPolicyReloader({
        directory: testdata("store"),
        watch: false,
        engine: { ...suite.engine, globals },
        logger: silentLogger,
        metrics: noMetrics,
      });
      service = createPdpService({
        policies: reloader,
        verifier: { verify: () => Promise.resolve(undefined), close: () => {} },
        principalFromToken,
        principalFromClaims: () => {
          throw new Error("not used");
        },
        metrics: noMetrics,
        logger: silentLogger,
        serverInfo: { version: "test", commit: "", buildDate: "" },
      });
    });
    after(async () => {
      await cerbos?.stop();
      await reloader?.close();
    });

    for (const r of requests(testdata(...suite.cases.split("/")))) {
      it(r.name, async () => {
        const theirs = await cerbos.checkResources(wire(r.body));
        assert.equal(theirs.status, 200, JSON.stringify(theirs.body));
        const ours = await service.checkResources(r.body, {
          callId: "01TEST",
          protocol: "http",
          peer: { address: "127.0.0.1" },
          metadata: {},
        });
        assert.equal(comparable(ours), comparable(theirs.body));
      });
    }
  });
}
