// JWT auxData end to end, against every available target: tokens that must be refused (alg
// `none`, a signature by another key, expired, not yet valid, HMAC keyed with the public key,
// an unknown kid, a tampered payload, a bad token among several named ones) get Cerbos's answer,
// HTTP 400 `{"code":3,"message":"invalid auxData"}` and gRPC INVALID_ARGUMENT; good tokens' claims
// reach conditions as `request.auxData.jwt` / `request.auxData.jwts.NAME.claims` (read back
// through rule outputs). Issuer and audience checks are a Gatehouse extension
// (`gatehouse.jwt.keySets.<id>`): Cerbos accepts those tokens, Gatehouse must refuse them.
//
// Also Cerbos's key set cases (testdata/auxdata/*.yaml): each key becomes a local key set; a
// token signed with it is accepted, or refused when the case says the key is unusable.

import { CerbosService } from "@cerbos/api/cerbos/svc/v1/svc_pb";
import assert from "node:assert/strict";
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  createHmac,
  sign as cryptoSign,
  type KeyObject,
} from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import type { PdpServer } from "../support/cerbos-server.ts";
import { serverTargets } from "../support/gatehouse-server.ts";
import { testdata } from "../support/reference.ts";

const b64url = (data: string | Buffer): string => Buffer.from(data).toString("base64url");

type Claims = Record<string, unknown>;

/** A compact JWS over `header` and `claims`; `key` decides the signature (none when undefined). */
function jws(header: Claims, claims: Claims, key?: KeyObject | { hmac: Buffer }): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  if (key === undefined) return `${input}.`;
  if ("hmac" in key) {
    return `${input}.${b64url(createHmac("sha256", key.hmac).update(input).digest())}`;
  }
  const alg = String(header["alg"]);
  const digest = alg.endsWith("384") ? "sha384" : "sha256";
  const sig = cryptoSign(digest, Buffer.from(input), {
    key,
    ...(alg.startsWith("ES") ? { dsaEncoding: "ieee-p1363" as const } : {}),
  });
  return `${input}.${b64url(sig)}`;
}

const now = (): number => Math.floor(Date.now() / 1000);
/** How Cerbos hands a NumericDate claim to conditions: an RFC 3339 timestamp. */
const rfc3339 = (seconds: number): string =>
  new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

const policy = `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: doc
  version: default
  rules:
    - name: jwt
      actions: ["jwt"]
      effect: EFFECT_ALLOW
      roles: ["*"]
      condition:
        match:
          expr: has(request.auxData.jwt.sub)
      output:
        when:
          ruleActivated: request.auxData.jwt
    - name: jwts
      actions: ["jwts"]
      effect: EFFECT_ALLOW
      roles: ["*"]
      output:
        when:
          ruleActivated: request.auxData.jwts
`;

const keyA = generateKeyPairSync("rsa", { modulusLength: 2048 });
const keyB = generateKeyPairSync("rsa", { modulusLength: 2048 });
const keyEc = generateKeyPairSync("ec", { namedCurve: "P-256" });
const publicJwk = (k: KeyObject, kid: string, alg: string): Record<string, unknown> => ({
  ...(k.export({ format: "jwk" }) as Record<string, unknown>),
  kid,
  alg,
  use: "sig",
});
const jwks = {
  keys: [publicJwk(keyA.publicKey, "k1", "RS256"), publicJwk(keyEc.publicKey, "k2", "ES256")],
};
const issuer = "https://issuer.example.test";
const audience = "gatehouse-e2e";

const jwtConfig = {
  auxData: {
    jwt: {
      keySets: [
        { id: "main", local: { data: Buffer.from(JSON.stringify(jwks)).toString("base64") } },
      ],
    },
  },
  gatehouse: { jwt: { keySets: { main: { issuer, audiences: [audience] } } } },
};

const good = (extra: Claims = {}): Claims => ({
  sub: "alice",
  iss: issuer,
  aud: [audience],
  exp: now() + 3600,
  groups: ["g1", "g2"],
  ...extra,
});
const rs = (claims: Claims, kid = "k1", key: KeyObject = keyA.privateKey): string =>
  jws({ alg: "RS256", typ: "JWT", kid }, claims, key);

const request = (auxData: unknown, action = "jwt"): Record<string, unknown> => ({
  requestId: "jwt-test",
  principal: { id: "p1", roles: ["user"] },
  resources: [{ resource: { kind: "doc", id: "d1" }, actions: [action] }],
  auxData,
});
const single = (token: string): unknown => ({ jwt: { token, keySetId: "main" } });

/** Tokens every implementation must refuse. */
function attacks(): Record<string, unknown> {
  const claims = good();
  const signed = rs(claims);
  const [h, , s] = signed.split(".");
  const publicPem = keyA.publicKey.export({ type: "spki", format: "pem" });
  return {
    "alg none": single(jws({ alg: "none", typ: "JWT", kid: "k1" }, claims)),
    "alg none with the original signature": single(
      `${b64url(JSON.stringify({ alg: "none", kid: "k1" }))}.${signed.split(".")[1]}.${s}`,
    ),
    "signed by another key": single(rs(claims, "k1", keyB.privateKey)),
    "expired an hour ago": single(rs(good({ exp: now() - 3600 }))),
    "not valid for another hour (nbf)": single(rs(good({ nbf: now() + 3600 }))),
    "HS256 keyed with the RSA public key (alg confusion)": single(
      jws({ alg: "HS256", typ: "JWT", kid: "k1" }, claims, { hmac: Buffer.from(publicPem) }),
    ),
    "unknown kid": single(rs(claims, "no-such-kid")),
    "RS256 header over the EC key's kid": single(rs(claims, "k2")),
    "tampered payload": single(`${h}.${b64url(JSON.stringify(good({ sub: "mallory" })))}.${s}`),
    "not a JWT": single("not.a.jwt"),
    "unknown key set": { jwt: { token: signed, keySetId: "nope" } },
    "a bad token among named tokens": {
      jwts: {
        ok: { token: signed, keySetId: "main" },
        bad: { token: rs(claims, "k1", keyB.privateKey), keySetId: "main" },
      },
    },
  };
}

/** Tokens Cerbos accepts and Gatehouse refuses when issuer/audiences are configured. */
function extensionAttacks(): Record<string, unknown> {
  return {
    "wrong issuer": single(rs(good({ iss: "https://evil.example.test" }))),
    "no issuer": single(rs(good({ iss: undefined }))),
    "wrong audience": single(rs(good({ aud: ["someone-else"] }))),
    "audience as a wrong string": single(rs(good({ aud: "someone-else" }))),
  };
}

const refusal = { code: 3, message: "invalid auxData" };

for (const target of serverTargets()) {
  describe(`JWT auxData: ${target.name}`, { skip: target.unavailable }, () => {
    let server: PdpServer;
    let dir: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "gatehouse-jwt-"));
      writeFileSync(join(dir, "doc.yaml"), policy);
      server = await target.start({ policyDir: dir, config: jwtConfig });
    });
    after(async () => {
      await server?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const [name, auxData] of Object.entries(attacks())) {
      test(`refuses: ${name}`, async () => {
        const res = await server.request("POST", "/api/check/resources", request(auxData));
        assert.equal(res.status, 400, res.text);
        assert.deepEqual(res.json, refusal);
        // the server keeps serving
        const ok = await server.request(
          "POST",
          "/api/check/resources",
          request(single(rs(good()))),
        );
        assert.equal(ok.status, 200, ok.text);
      });
    }

    test("refuses over gRPC with INVALID_ARGUMENT", async () => {
      const res = await server.grpc(CerbosService.method.checkResources, {
        principal: { id: "p1", roles: ["user"] },
        resources: [{ resource: { kind: "doc", id: "d1" }, actions: ["jwt"] }],
        auxData: { jwt: { token: rs(good(), "k1", keyB.privateKey), keySetId: "main" } },
      });
      assert.equal(res.code, 3);
      assert.equal(res.details, "invalid auxData");
    });

    for (const [name, auxData] of Object.entries(extensionAttacks())) {
      const cerbos = target.name === "cerbos";
      test(`${cerbos ? "accepts (no issuer/audience checks in Cerbos)" : "refuses"}: ${name}`, async () => {
        const res = await server.request("POST", "/api/check/resources", request(auxData));
        if (cerbos) assert.equal(res.status, 200, res.text);
        else {
          assert.equal(res.status, 400, res.text);
          assert.deepEqual(res.json, refusal);
        }
      });
    }

    test("a good token's claims reach conditions as request.auxData.jwt", async () => {
      const claims = good({ nbf: now() - 60, custom: { a: [1, "x"] } });
      const res = await server.request("POST", "/api/check/resources", request(single(rs(claims))));
      assert.equal(res.status, 200, res.text);
      const result = (res.json as { results: Record<string, unknown>[] }).results[0]!;
      assert.deepEqual(result["actions"], { jwt: "EFFECT_ALLOW" });
      assert.deepEqual(result["outputs"], [
        {
          src: "resource.doc.vdefault#jwt",
          action: "jwt",
          val: {
            ...claims,
            exp: rfc3339(claims["exp"] as number),
            nbf: rfc3339(claims["nbf"] as number),
          },
        },
      ]);
    });

    test("an ES256 token from the same key set verifies", async () => {
      const token = jws({ alg: "ES256", kid: "k2" }, good(), keyEc.privateKey);
      const res = await server.request("POST", "/api/check/resources", request(single(token)));
      assert.equal(res.status, 200, res.text);
      assert.deepEqual((res.json as { results: { actions: unknown }[] }).results[0]!.actions, {
        jwt: "EFFECT_ALLOW",
      });
    });

    test("several named tokens reach conditions as request.auxData.jwts.NAME.claims", async () => {
      const a = good({ sub: "a" });
      const b = good({ sub: "b", groups: ["x"] });
      const res = await server.request(
        "POST",
        "/api/check/resources",
        request(
          {
            jwts: {
              first: { token: rs(a), keySetId: "main" },
              second: {
                token: jws({ alg: "ES256", kid: "k2" }, b, keyEc.privateKey),
                keySetId: "main",
              },
            },
          },
          "jwts",
        ),
      );
      assert.equal(res.status, 200, res.text);
      const result = (res.json as { results: Record<string, unknown>[] }).results[0]!;
      const asSeen = (c: Claims): Claims => ({ ...c, exp: rfc3339(c["exp"] as number) });
      assert.deepEqual(result["outputs"], [
        {
          src: "resource.doc.vdefault#jwts",
          action: "jwts",
          val: { first: { claims: asSeen(a) }, second: { claims: asSeen(b) } },
        },
      ]);
    });
  });
}

interface AuxDataCase {
  readonly description: string;
  readonly input: { readonly key: string; readonly pem?: boolean };
  readonly wantErr?: string;
  readonly wantLocalErr?: string;
}

const auxCases = readdirSync(testdata("auxdata"))
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((file) => ({
    id: file.replace(/\.yaml$/, ""),
    c: parse(readFileSync(testdata("auxdata", file), "utf8")) as AuxDataCase,
  }));

/** The key set entry for a case: PEM keys carry no kid or alg, which Cerbos must be told to allow. */
function keySetFor(id: string, c: AuxDataCase): Record<string, unknown> {
  return {
    id,
    local: {
      data: Buffer.from(c.input.key).toString("base64"),
      ...(c.input.pem ? { pem: true } : {}),
    },
    ...(c.input.pem ? { insecure: { optionalAlg: true, optionalKid: true } } : {}),
  };
}

/** A token signed with the case's private key (or undefined when the key cannot sign at all). */
function tokenFor(c: AuxDataCase, claims: Claims): string | undefined {
  try {
    if (c.input.pem) {
      const key = createPrivateKey(c.input.key);
      const alg = key.asymmetricKeyType === "ec" ? "ES384" : "RS256";
      return jws({ alg, typ: "JWT" }, claims, key);
    }
    const parsed = JSON.parse(c.input.key) as Record<string, unknown> & {
      keys?: Record<string, unknown>[];
    };
    const jwk = parsed.keys?.[0] ?? parsed;
    const key = createPrivateKey({ key: jwk, format: "jwk" });
    const alg = key.asymmetricKeyType === "ec" ? "ES384" : "RS256";
    return jws({ alg, typ: "JWT", ...(jwk["kid"] ? { kid: jwk["kid"] } : {}) }, claims, key);
  } catch {
    return undefined;
  }
}

for (const target of serverTargets()) {
  describe(
    `JWT key set cases (testdata/auxdata): ${target.name}`,
    { skip: target.unavailable },
    () => {
      let server: PdpServer;
      let dir: string;
      before(async () => {
        dir = mkdtempSync(join(tmpdir(), "gatehouse-jwt-keys-"));
        writeFileSync(join(dir, "doc.yaml"), policy);
        server = await target.start({
          policyDir: dir,
          config: { auxData: { jwt: { keySets: auxCases.map(({ id, c }) => keySetFor(id, c)) } } },
        });
      });
      after(async () => {
        await server?.stop();
        if (dir) rmSync(dir, { recursive: true, force: true });
      });

      for (const { id, c } of auxCases) {
        const wantError = c.wantErr ?? c.wantLocalErr;
        test(`${id}: ${c.description}${wantError ? ` (refused: ${wantError})` : ""}`, async () => {
          const claims = { sub: "alice", customString: "foobar", exp: now() + 3600 };
          const token = tokenFor(c, claims);
          assert.ok(token !== undefined, "the case's key could not sign");
          const res = await server.request(
            "POST",
            "/api/check/resources",
            request({ jwt: { token, keySetId: id } }),
          );
          if (wantError) {
            assert.equal(res.status, 400, res.text);
            assert.deepEqual(res.json, refusal);
            return;
          }
          assert.equal(res.status, 200, res.text);
          const result = (res.json as { results: Record<string, unknown>[] }).results[0]!;
          assert.deepEqual(result["outputs"], [
            {
              src: "resource.doc.vdefault#jwt",
              action: "jwt",
              val: { ...claims, exp: rfc3339(claims.exp) },
            },
          ]);
        });
      }

      test("keys of PEM cases are public-derivable (sanity)", () => {
        for (const { c } of auxCases.filter((x) => x.c.input.pem))
          assert.ok(createPublicKey(c.input.key).asymmetricKeyType);
      });
    },
  );
}
