import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { InvalidArgumentError } from "../kernel/errors.ts";
import { silentLogger } from "../kernel/logger.ts";
import { noMetrics } from "../kernel/metrics.ts";
import type { RequestAuxData } from "../pdp/types.ts";
import { refreshFromHeaders } from "./remote-key-set.ts";
import { jwtConfig, makeKey, NOW_MS, NOW_SECONDS, sign, type TestKey } from "./test-fixtures.ts";
import type { TokenRefusal } from "./token-refusal.ts";
import { createAuxDataVerifier } from "./verifier.ts";

/** A JWKS endpoint the test controls: what it serves and how many times it was asked. */
function fakeEndpoint(): {
  fetch: typeof fetch;
  serve: (keys: TestKey[] | "down" | 500) => void;
  calls: () => number;
} {
  let state: TestKey[] | "down" | 500 = "down";
  let calls = 0;
  const fetchFn = (() => {
    calls++;
    if (state === "down") return Promise.reject(new TypeError("fetch failed: connection refused"));
    if (state === 500) return Promise.resolve(new Response("oops", { status: 500 }));
    return Promise.resolve(
      new Response(JSON.stringify({ keys: state.map((k) => k.jwk) }), {
        headers: { "content-type": "application/json", "cache-control": "max-age=300" },
      }),
    );
  }) as typeof fetch;
  return { fetch: fetchFn, serve: (s) => (state = s), calls: () => calls };
}

const jwt = (token: string): RequestAuxData => ({ jwt: { token } });

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    assert.ok(e instanceof InvalidArgumentError);
    return (e.cause as TokenRefusal).reason;
  }
}

describe("remote key sets", () => {
  it("a JWKS URL that is down at startup does not fail startup; it is fetched once it is up", async () => {
    const k1 = await makeKey("ES256", "k1");
    const ep = fakeEndpoint();
    const clock = { ms: NOW_MS };
    const v = await createAuxDataVerifier(
      jwtConfig([{ id: "idp", remote: { url: "https://idp.example.com/jwks" } }]),
      {},
      { logger: silentLogger, metrics: noMetrics, now: () => clock.ms, fetch: ep.fetch },
    );
    try {
      const token = await sign(k1, { alg: "ES256", kid: "k1" }, { exp: NOW_SECONDS + 600 });
      assert.equal(await reason(v.verify(jwt(token))), "key_set_unavailable");
      assert.equal(ep.calls(), 1, "a request right after a failed fetch does not fetch again");
      ep.serve([k1]);
      clock.ms += 10_000;
      assert.equal(await reason(v.verify(jwt(token))), "ok");
      assert.equal(ep.calls(), 2);
    } finally {
      v.close();
    }
  });

  it("an unknown kid triggers one rate-limited refresh; a failed refresh keeps the last good set", async () => {
    const [k1, k2, k3] = await Promise.all([
      makeKey("ES256", "k1"),
      makeKey("ES256", "k2"),
      makeKey("ES256", "k3"),
    ]);
    const ep = fakeEndpoint();
    ep.serve([k1]);
    const clock = { ms: NOW_MS };
    const v = await createAuxDataVerifier(
      jwtConfig([{ id: "idp", remote: { url: "https://idp.example.com/jwks" } }], { cacheSize: 0 }),
      {},
      { logger: silentLogger, metrics: noMetrics, now: () => clock.ms, fetch: ep.fetch },
    );
    try {
      assert.equal(ep.calls(), 1, "fetched at startup");
      const t1 = await sign(k1, { alg: "ES256", kid: "k1" }, { exp: NOW_SECONDS + 3600 });
      const t2 = await sign(k2, { alg: "ES256", kid: "k2" }, { exp: NOW_SECONDS + 3600 });
      const t3 = await sign(k3, { alg: "ES256", kid: "k3" }, { exp: NOW_SECONDS + 3600 });

      assert.equal(await reason(v.verify(jwt(t1))), "ok");
      assert.equal(ep.calls(), 1, "a known kid never waits for a fetch");

      // keys rotate: the first token with the new kid refreshes the set
      ep.serve([k1, k2]);
      assert.equal(await reason(v.verify(jwt(t2))), "ok");
      assert.equal(ep.calls(), 2);

      // another unknown kid within the cool-down does not fetch again
      ep.serve([k1, k2, k3]);
      assert.equal(await reason(v.verify(jwt(t3))), "unknown_kid");
      assert.equal(ep.calls(), 2);

      // after the cool-down it does; a failing endpoint keeps the last good set serving
      ep.serve(500);
      clock.ms += 60_000;
      assert.equal(await reason(v.verify(jwt(t3))), "unknown_kid");
      assert.equal(ep.calls(), 3);
      assert.equal(await reason(v.verify(jwt(t1))), "ok");
      assert.equal(await reason(v.verify(jwt(t2))), "ok");
    } finally {
      v.close();
    }
  });

  it("serves over real HTTP and refuses keys without kid or alg, as Cerbos does", async () => {
    const k1 = await makeKey("RS256", "k1");
    let body = JSON.stringify({ keys: [k1.jwk] });
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    const clock = { ms: NOW_MS };
    const deps = { logger: silentLogger, metrics: noMetrics, now: () => clock.ms };
    const token = await sign(k1, { alg: "RS256", kid: "k1" }, { sub: "a", exp: NOW_SECONDS + 60 });
    const v1 = await createAuxDataVerifier(jwtConfig([{ id: "r", remote: { url } }]), {}, deps);
    try {
      assert.deepEqual(await v1.verify(jwt(token)), {
        jwt: { sub: "a", exp: "2027-01-15T08:01:00Z" },
      });
    } finally {
      v1.close();
    }
    const { kid: _kid, ...noKid } = k1.jwk;
    body = JSON.stringify({ keys: [noKid] });
    const v2 = await createAuxDataVerifier(jwtConfig([{ id: "r", remote: { url } }]), {}, deps);
    try {
      assert.equal(await reason(v2.verify(jwt(token))), "key_set_unavailable");
    } finally {
      v2.close();
      await new Promise((r) => server.close(r));
    }
  });
});

describe("refreshFromHeaders", () => {
  const h = (init: Record<string, string>): Headers => new Headers(init);
  it("follows max-age within one minute and one day", () => {
    assert.equal(refreshFromHeaders(h({ "cache-control": "public, max-age=600" })), 600);
    assert.equal(refreshFromHeaders(h({ "cache-control": "max-age=5" })), 60);
    assert.equal(refreshFromHeaders(h({ "cache-control": "max-age=9999999" })), 86_400);
    assert.equal(refreshFromHeaders(h({ "cache-control": "no-cache" })), 60);
  });
  it("falls back to Expires, then to fifteen minutes", () => {
    const date = "Mon, 23 Nov 2026 12:00:00 GMT";
    assert.equal(refreshFromHeaders(h({ date, expires: "Mon, 23 Nov 2026 12:10:00 GMT" })), 600);
    assert.equal(refreshFromHeaders(h({})), 900);
  });
});
