// Differential test against the real Cerbos: the same signed tokens go to Cerbos and to our
// verifier plus engine, under a policy whose outputs print every registered claim (iss, sub, aud,
// exp, nbf, iat, jti), its CEL type and, for dates, the timestamp conditions would compare. Both
// must accept and refuse the same tokens and print the same outputs.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  cerbosUnavailableReason,
  startCerbosServer,
  type CerbosServer,
} from "../../test/support/cerbos-server.ts";
import { compilePolicySet, createEngine } from "../authz/index.ts";
import { silentLogger } from "../kernel/logger.ts";
import { noMetrics } from "../kernel/metrics.ts";
import { jwtConfig, localKeySet, makeKey, sign, type TestKey } from "./test-fixtures.ts";
import type { AuxDataVerifier } from "./types.ts";
import { createAuxDataVerifier } from "./verifier.ts";

const CLAIMS = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"] as const;
const DATES = new Set(["exp", "nbf", "iat"]);
const J = "request.aux_data.jwt";

const rules = CLAIMS.map((c) => {
  const v = `${J}.${c}`;
  const shape = `[${v}, type(${v}) == string, type(${v}) == list, type(${v}) == double, type(${v}) == int, type(${v}) == map]`;
  const expr = DATES.has(c)
    ? `${shape} + [timestamp(${v}), timestamp(${v}) > timestamp("2000-01-01T00:00:00Z")]`
    : shape;
  return `    - actions: ["${c}"]
      effect: EFFECT_ALLOW
      roles: ["*"]
      condition:
        match:
          expr: has(${v})
      output:
        when:
          ruleActivated: |-
            ${expr}
          conditionNotMet: |-
            "absent"`;
}).join("\n");

const POLICY = `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  version: default
  resource: token
  rules:
${rules}
    - actions: ["count"]
      effect: EFFECT_ALLOW
      roles: ["*"]
      output:
        when:
          ruleActivated: ${J}.size()
    - actions: ["named"]
      effect: EFFECT_ALLOW
      roles: ["*"]
      output:
        when:
          ruleActivated: request.aux_data.jwts
`;

const unavailable = cerbosUnavailableReason();

describe(
  "registered claims: Gatehouse and Cerbos present them alike",
  { skip: unavailable },
  () => {
    let key: TestKey;
    let cerbos: CerbosServer;
    let verifier: AuxDataVerifier;
    let work: string;
    const engine = (() => {
      const { policySet, diagnostics } = compilePolicySet({
        policies: [{ file: "token.yaml", text: POLICY }],
      });
      assert.deepEqual(diagnostics, []);
      assert.ok(policySet);
      return createEngine(policySet);
    })();

    before(async () => {
      key = await makeKey("ES256", "diff-1");
      const keySet = localKeySet("ks", [key.jwk]);
      work = mkdtempSync(join(tmpdir(), "gatehouse-claims-diff-"));
      writeFileSync(join(work, "token.yaml"), POLICY);
      const local = (keySet as { local: { data?: string } }).local;
      cerbos = await startCerbosServer({
        policyDir: work,
        config: { auxData: { jwt: { keySets: [{ id: "ks", local: { data: local.data } }] } } },
      });
      verifier = await createAuxDataVerifier(
        jwtConfig([keySet]),
        {},
        { logger: silentLogger, metrics: noMetrics },
      );
    });

    after(async () => {
      verifier?.close();
      await cerbos?.stop();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    const actions = [...CLAIMS, "count", "named"];

    const signed = (payload: unknown): Promise<string> =>
      sign(key, { alg: "ES256", kid: "diff-1", typ: "JWT" }, payload);

    async function compare(
      name: string,
      payload: unknown,
      named?: Record<string, unknown>,
    ): Promise<void> {
      const token = await signed(payload);
      const aux = named
        ? {
            jwts: Object.fromEntries(
              await Promise.all(
                Object.entries(named).map(
                  async ([n, p]) => [n, { token: await signed(p) }] as const,
                ),
              ),
            ),
          }
        : { jwt: { token } };
      const theirs = await cerbos.checkResources({
        requestId: name,
        principal: { id: "p", roles: ["user"] },
        resources: [{ resource: { kind: "token", id: "t" }, actions }],
        auxData: aux,
      });
      let ours: { status: number; outputs?: unknown };
      try {
        const auxData = await verifier.verify(aux);
        const [out] = engine.check([
          {
            requestId: name,
            principal: { id: "p", roles: ["user"] },
            resource: { kind: "token", id: "t" },
            actions,
            ...(auxData ? { auxData } : {}),
          },
        ]);
        ours = { status: 200, outputs: normalise(out?.outputs ?? []) };
      } catch (e) {
        assert.equal((e as Error).message, "invalid auxData");
        ours = { status: 400 };
      }
      const theirsNorm =
        theirs.status === 200
          ? {
              status: 200,
              outputs: normalise(
                ((theirs.body["results"] as { outputs?: unknown[] }[])[0]?.outputs ?? []) as {
                  src: string;
                  val: unknown;
                }[],
              ),
            }
          : { status: theirs.status, body: theirs.body };
      if (theirs.status !== 200) {
        assert.deepEqual(theirs.body, { code: 3, message: "invalid auxData" }, name);
        assert.equal(
          ours.status,
          400,
          `${name}: Cerbos refused, we accepted ${JSON.stringify(ours.outputs)}`,
        );
        return;
      }
      assert.ok(
        Object.keys(theirsNorm.outputs ?? {}).length >= 2,
        `${name}: Cerbos printed outputs`,
      );
      if (process.env["GATEHOUSE_DIFF_VERBOSE"] === "1")
        console.log(name, JSON.stringify(theirsNorm));
      assert.deepEqual(ours, theirsNorm, name);
    }

    const now = Math.floor(Date.now() / 1000);
    const cases: Record<string, unknown> = {
      "all registered claims": {
        iss: "https://idp.example.com/",
        sub: "alice",
        aud: "api",
        exp: now + 3600,
        nbf: now - 60,
        iat: now - 60,
        jti: "id-1",
        custom: { nested: [1, "two", null] },
      },
      "aud as a list": { aud: ["a", "b"], exp: now + 3600 },
      "aud as an empty list": { aud: [], exp: now + 3600 },
      "aud as an empty string": { aud: "", exp: now + 3600 },
      "null iss, sub and jti": { iss: null, sub: null, jti: null, exp: now + 3600 },
      "empty strings": { iss: "", sub: "", jti: "", exp: now + 3600 },
      "no exp": { sub: "forever" },
      "fractional dates": { exp: now + 3600.75, iat: now - 0.5, nbf: 0.999 },
      "dates as digit strings": { exp: `${now + 3600}`, nbf: `${now - 10}.9`, iat: "0001" },
      "dates as RFC 3339 strings": {
        exp: "2099-12-31T23:59:59+05:30",
        iat: "2001-02-03T04:05:06.789Z",
      },
      "year beyond 9999": { exp: 1e12, iat: 253402300800 },
      "dates at the epoch": { exp: now + 3600, nbf: 0, iat: 0 },
      "top-level null claims are dropped": { exp: now + 3600, gone: null, kept: 0 },
      "large numbers": { exp: now + 3600, big: 1.2345678901234567e19, neg: -1.5 },
      // refused by both
      "iss as a number": { iss: 5, exp: now + 3600 },
      "sub as a list": { sub: ["a"], exp: now + 3600 },
      "jti as an object": { jti: {}, exp: now + 3600 },
      "aud as a number": { aud: 5, exp: now + 3600 },
      "aud with a number": { aud: ["a", 1], exp: now + 3600 },
      "aud null": { aud: null, exp: now + 3600 },
      "exp null": { exp: null },
      "exp negative": { exp: -5 },
      "exp zero": { exp: 0 },
      "exp text": { exp: "tomorrow" },
      "exp with exponent as text": { exp: "1.9e9" },
      "exp beyond int64": { exp: 1e19 },
      "nbf in the future": { nbf: now + 3600 },
      "iat in the future": { iat: now + 3600 },
      expired: { exp: now - 3600 },
      "payload not an object": [1, 2],
    };

    it("named tokens (auxData.jwts)", async () => {
      await compare(
        "named",
        {},
        { user: { sub: "alice", aud: "x", exp: now + 60 }, svc: { sub: "svc", iat: 0 } },
      );
    });

    it("named tokens, one expired", async () => {
      await compare(
        "named-expired",
        {},
        { user: { sub: "alice", exp: now + 60 }, svc: { exp: now - 60 } },
      );
    });

    for (const [name, payload] of Object.entries(cases))
      it(name, async () => {
        await compare(name, payload);
      });
  },
);

/** Outputs keyed by action, values as JSON, so order and the output shape's other fields do not matter. */
function normalise(
  outputs: readonly { src: string; val: unknown; action?: string }[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of outputs) out[`${o.src}:${o.action ?? ""}`] = JSON.parse(JSON.stringify(o.val));
  return out;
}
