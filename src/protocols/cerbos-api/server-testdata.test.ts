// Cerbos's server test cases (testdata/server/checks and authzen): each request must be
// rejected by our decoders exactly when the case wants an error. When the Cerbos binary is
// here, each is also sent to the real server (limits 5/5, as those cases assume) and the
// answers compared: accepted exactly when Cerbos accepts, rejected with Cerbos's message.

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
import {
  decodeAccessEvaluationBatchRequest,
  decodeAccessEvaluationRequest,
  decodeCheckResourceBatchRequest,
  decodeCheckResourceSetRequest,
  decodeCheckResourcesRequest,
  toHttpError,
  type DecodeOptions,
} from "./index.ts";

const options: DecodeOptions = {
  maxActionsPerResource: 5,
  maxResourcesPerRequest: 5,
  principalOptional: false,
};

const kinds = {
  checkResources: { path: "/api/check/resources", decode: decodeCheckResourcesRequest },
  checkResourceSet: { path: "/api/check", decode: decodeCheckResourceSetRequest },
  checkResourceBatch: {
    path: "/api/check_resource_batch",
    decode: decodeCheckResourceBatchRequest,
  },
  accessEvaluation: { path: "/access/v1/evaluation", decode: decodeAccessEvaluationRequest },
  accessEvaluationBatch: {
    path: "/access/v1/evaluations",
    decode: decodeAccessEvaluationBatchRequest,
  },
} as const;

interface Case {
  readonly name: string;
  readonly kind: keyof typeof kinds;
  readonly input: unknown;
  readonly wantError: boolean;
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const dir of ["checks", "authzen"])
    for (const sub of readdirSync(testdata("server", dir)).sort())
      for (const file of readdirSync(testdata("server", dir, sub)).sort()) {
        if (!file.endsWith(".yaml")) continue;
        const tc = parse(readFileSync(join(testdata("server", dir, sub), file), "utf8")) as Record<
          string,
          unknown
        >;
        const kind = (Object.keys(kinds) as (keyof typeof kinds)[]).find((k) => k in tc);
        if (!kind) continue;
        out.push({
          name: `${sub}/${file}`,
          kind,
          input: (tc[kind] as { input: unknown }).input,
          wantError: tc["wantError"] === true,
        });
      }
  return out;
}

function decode(c: Case): { ok: true } | { ok: false; status: number; message: string } {
  try {
    kinds[c.kind].decode(c.input, options);
    return { ok: true };
  } catch (e) {
    const { status, body } = toHttpError(e);
    return { ok: false, status, message: body.message };
  }
}

const all = cases();

describe("Cerbos server test cases", () => {
  it("finds the cases", () => {
    assert.ok(all.length >= 40, `only ${all.length} cases`);
    assert.ok(all.filter((c) => c.wantError).length >= 14);
  });

  for (const c of all)
    it(`${c.name} is ${c.wantError ? "rejected" : "accepted"}`, () => {
      const got = decode(c);
      assert.equal(!got.ok, c.wantError, got.ok ? "accepted" : got.message);
      if (!got.ok) assert.equal(got.status, 400);
    });
});

describe(
  "Cerbos server test cases, against the real Cerbos",
  { skip: cerbosUnavailableReason() },
  () => {
    let cerbos: CerbosServer;
    before(async () => {
      cerbos = await startCerbosServer({
        policyDir: testdata("store"),
        config: {
          server: { requestLimits: { maxActionsPerResource: 5, maxResourcesPerRequest: 5 } },
          audit: { enabled: false },
        },
      });
    });
    after(async () => {
      await cerbos?.stop();
    });

    it("rejects each case with Cerbos's status and message", async () => {
      for (const c of all) {
        const res = await fetch(`${cerbos.baseUrl}${kinds[c.kind].path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(c.input),
        });
        const body = (await res.json()) as { message?: string };
        const got = decode(c);
        // the cases' tokens are signed with keys this server is not given: verification is the
        // service's business, after decoding
        const cerbosAccepted = res.status === 200 || body.message === "invalid auxData";
        assert.equal(got.ok, cerbosAccepted, `${c.name}: cerbos ${res.status} ${body.message}`);
        if (!got.ok) {
          assert.equal(got.status, res.status, c.name);
          assert.equal(got.message, body.message, c.name);
        }
      }
    });
  },
);
