import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import { before, describe, it } from "node:test";
import { CompactSign, exportSPKI } from "jose";
import { InvalidArgumentError } from "../kernel/errors.ts";
import { silentLogger } from "../kernel/logger.ts";
import type { KeySetChecks, KeySetConfig } from "../main/config/types.ts";
import type { RequestAuxData } from "../pdp/types.ts";
import {
  jwtConfig,
  localKeySet,
  makeKey,
  NOW_MS,
  NOW_SECONDS,
  recordingMetrics,
  sign,
  unsigned,
  type TestKey,
} from "./test-fixtures.ts";
import { TokenRefusal } from "./token-refusal.ts";
import type { AuxDataVerifier } from "./types.ts";
import { createAuxDataVerifier } from "./verifier.ts";

let rsa: TestKey;
let ec: TestKey;
let other: TestKey;

before(async () => {
  rsa = await makeKey("RS256", "rsa-1");
  ec = await makeKey("ES256", "ec-1");
  // a different key pair that claims the RSA key's kid
  other = { ...(await makeKey("RS256", "rsa-1")) };
});

interface Setup {
  verifier: AuxDataVerifier;
  failures: string[];
  clock: { ms: number };
}

async function setup(
  keySets: readonly KeySetConfig[] = [localKeySet("main", [rsa.jwk, ec.jwk])],
  over: {
    skew?: number;
    checks?: Record<string, KeySetChecks>;
    disable?: boolean;
    cacheSize?: number;
  } = {},
): Promise<Setup> {
  const metrics = recordingMetrics();
  const clock = { ms: NOW_MS };
  const verifier = await createAuxDataVerifier(
    jwtConfig(keySets, {
      acceptableTimeSkewSeconds: over.skew ?? 0,
      disableVerification: over.disable ?? false,
      cacheSize: over.cacheSize ?? 256,
    }),
    over.checks ?? {},
    { logger: silentLogger, metrics, now: () => clock.ms },
  );
  return { verifier, failures: metrics.failures, clock };
}

const jwt = (token: string, keySetId?: string): RequestAuxData => ({
  jwt: keySetId === undefined ? { token } : { token, keySetId },
});

/** Asserts the refusal Cerbos gives (`invalid auxData`) and returns the hidden reason. */
async function refused(s: Setup, aux: RequestAuxData): Promise<string> {
  const before = s.failures.length;
  let caught: unknown;
  try {
    await s.verifier.verify(aux);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof InvalidArgumentError, `expected a refusal, got ${String(caught)}`);
  assert.equal(caught.message, "invalid auxData");
  assert.equal(caught.code, "INVALID_ARGUMENT");
  assert.ok(caught.cause instanceof TokenRefusal);
  assert.equal(s.failures.length, before + 1, "one failure counted");
  assert.equal(s.failures.at(-1), caught.cause.reason);
  return caught.cause.reason;
}

const rsHeader = (): Record<string, string> => ({ alg: "RS256", kid: "rsa-1", typ: "JWT" });

describe("createAuxDataVerifier: accepted tokens", () => {
  it("verifies an RS256 token and presents claims as Cerbos does", async () => {
    const s = await setup();
    const token = await sign(rsa, rsHeader(), {
      iss: "https://idp.example.com/",
      sub: "alice",
      aud: "gatehouse",
      exp: NOW_SECONDS + 3600,
      iat: NOW_SECONDS - 10,
      nbf: NOW_SECONDS - 10,
      jti: "t-1",
      groups: ["admin"],
      n: 42,
      gone: null,
    });
    const out = await s.verifier.verify(jwt(token));
    assert.deepEqual(out, {
      jwt: {
        iss: "https://idp.example.com/",
        sub: "alice",
        aud: ["gatehouse"],
        exp: "2027-01-15T09:00:00Z",
        iat: "2027-01-15T07:59:50Z",
        nbf: "2027-01-15T07:59:50Z",
        jti: "t-1",
        groups: ["admin"],
        n: 42,
      },
    });
    s.verifier.close();
  });

  it("verifies an ES256 token from the same set", async () => {
    const s = await setup();
    const token = await sign(
      ec,
      { alg: "ES256", kid: "ec-1" },
      { sub: "bob", exp: NOW_SECONDS + 60 },
    );
    assert.deepEqual(await s.verifier.verify(jwt(token)), {
      jwt: { sub: "bob", exp: "2027-01-15T08:01:00Z" },
    });
  });

  it("treats an empty token as no token and no auxData as undefined", async () => {
    const s = await setup();
    assert.deepEqual(await s.verifier.verify(jwt("")), {});
    assert.equal(await s.verifier.verify(undefined), undefined);
  });
});

describe("createAuxDataVerifier: attacks are refused", () => {
  it("alg none", async () => {
    const s = await setup();
    const reason = await refused(
      s,
      jwt(unsigned({ sub: "x", exp: NOW_SECONDS + 60 }, { alg: "none", kid: "rsa-1" })),
    );
    assert.equal(reason, "algorithm");
  });

  it("a token signed by another key with the same kid", async () => {
    const s = await setup();
    const token = await sign(other, rsHeader(), { sub: "x", exp: NOW_SECONDS + 60 });
    assert.equal(await refused(s, jwt(token)), "signature");
  });

  it("a tampered payload", async () => {
    const s = await setup();
    const token = await sign(rsa, rsHeader(), { sub: "user", exp: NOW_SECONDS + 60 });
    const [h, , sig] = token.split(".");
    const forged = Buffer.from(JSON.stringify({ sub: "admin", exp: NOW_SECONDS + 60 })).toString(
      "base64url",
    );
    assert.equal(await refused(s, jwt(`${h}.${forged}.${sig}`)), "signature");
  });

  it("HMAC signed with the RSA or EC public key as the secret (alg confusion)", async () => {
    const s = await setup();
    const rsaPem = await exportSPKI(createPublicKey({ key: rsa.jwk, format: "jwk" }));
    const secrets = [
      new TextEncoder().encode(rsaPem),
      new TextEncoder().encode(JSON.stringify(rsa.jwk)),
      new TextEncoder().encode(JSON.stringify(ec.jwk)),
    ];
    for (const [secret, kid] of [
      [secrets[0], "rsa-1"],
      [secrets[1], "rsa-1"],
      [secrets[2], "ec-1"],
    ] as const) {
      const payload = new TextEncoder().encode(
        JSON.stringify({ sub: "admin", exp: NOW_SECONDS + 60 }),
      );
      const token = await new CompactSign(payload)
        .setProtectedHeader({ alg: "HS256", kid })
        .sign(secret!);
      assert.equal(await refused(s, jwt(token)), "algorithm");
    }
  });

  it("a kid that is not in the set, or no kid at all", async () => {
    const s = await setup();
    const unknown = await sign(
      rsa,
      { alg: "RS256", kid: "rotated-away" },
      { exp: NOW_SECONDS + 60 },
    );
    assert.equal(await refused(s, jwt(unknown)), "unknown_kid");
    const noKid = await sign(rsa, { alg: "RS256" }, { exp: NOW_SECONDS + 60 });
    assert.equal(await refused(s, jwt(noKid)), "unknown_kid");
  });

  it("a key marked `use: enc`", async () => {
    const s = await setup([localKeySet("main", [{ ...rsa.jwk, use: "enc" }])]);
    const token = await sign(rsa, rsHeader(), { exp: NOW_SECONDS + 60 });
    assert.equal(await refused(s, jwt(token)), "algorithm");
  });

  it("a token whose alg differs from the key's", async () => {
    const s = await setup();
    const token = await sign(rsa, { alg: "PS256", kid: "rsa-1" }, { exp: NOW_SECONDS + 60 });
    assert.equal(await refused(s, jwt(token)), "algorithm");
  });

  it("garbage and non-JWS tokens", async () => {
    const s = await setup();
    for (const token of ["abc", "a.b", "a.b.c.d.e", "!!!.???.###"])
      assert.equal(await refused(s, jwt(token)), "malformed");
  });
});

describe("createAuxDataVerifier: dates and skew", () => {
  const at = async (skew: number, claims: Record<string, unknown>): Promise<string> => {
    const s = await setup(undefined, { skew });
    const token = await sign(rsa, rsHeader(), claims);
    try {
      await s.verifier.verify(jwt(token));
      return "ok";
    } catch (e) {
      return ((e as Error).cause as TokenRefusal).reason;
    }
  };

  it("exp: expired from exp itself, valid the second before", async () => {
    assert.equal(await at(0, { exp: NOW_SECONDS }), "expired");
    assert.equal(await at(0, { exp: NOW_SECONDS + 1 }), "ok");
    assert.equal(await at(0, { exp: NOW_SECONDS - 3600 }), "expired");
  });

  it("exp with skew: valid while now < exp + skew", async () => {
    assert.equal(await at(10, { exp: NOW_SECONDS - 9 }), "ok");
    assert.equal(await at(10, { exp: NOW_SECONDS - 10 }), "expired");
  });

  it("nbf: valid from nbf on; with skew from nbf - skew on", async () => {
    assert.equal(await at(0, { nbf: NOW_SECONDS }), "ok");
    assert.equal(await at(0, { nbf: NOW_SECONDS + 1 }), "not_yet_valid");
    assert.equal(await at(10, { nbf: NOW_SECONDS + 10 }), "ok");
    assert.equal(await at(10, { nbf: NOW_SECONDS + 11 }), "not_yet_valid");
  });

  it("iat in the future is refused beyond the skew", async () => {
    assert.equal(await at(0, { iat: NOW_SECONDS }), "ok");
    assert.equal(await at(0, { iat: NOW_SECONDS + 1 }), "issued_in_future");
    assert.equal(await at(10, { iat: NOW_SECONDS + 10 }), "ok");
    assert.equal(await at(10, { iat: NOW_SECONDS + 11 }), "issued_in_future");
  });

  it("claims of the wrong type are refused", async () => {
    assert.equal(await at(0, { exp: "soon" }), "claims");
    assert.equal(await at(0, { exp: NOW_SECONDS + 60, iss: 7 }), "claims");
    assert.equal(await at(0, { exp: NOW_SECONDS + 60, aud: [1] }), "claims");
  });
});

describe("createAuxDataVerifier: issuer, audience and algorithm checks", () => {
  const checks = { main: { issuer: "https://idp.example.com/", audiences: ["api", "gatehouse"] } };

  it("accepts the configured issuer and any configured audience", async () => {
    const s = await setup(undefined, { checks });
    const token = await sign(rsa, rsHeader(), {
      iss: "https://idp.example.com/",
      aud: ["other", "gatehouse"],
      exp: NOW_SECONDS + 60,
    });
    assert.ok((await s.verifier.verify(jwt(token)))?.jwt);
  });

  it("refuses a wrong or missing issuer", async () => {
    const s = await setup(undefined, { checks });
    for (const iss of ["https://evil.example.com/", undefined]) {
      const token = await sign(rsa, rsHeader(), { iss, aud: "api", exp: NOW_SECONDS + 60 });
      assert.equal(await refused(s, jwt(token)), "issuer");
    }
  });

  it("refuses a wrong or missing audience", async () => {
    const s = await setup(undefined, { checks });
    for (const aud of ["web", ["web", "mobile"], undefined]) {
      const token = await sign(rsa, rsHeader(), {
        iss: "https://idp.example.com/",
        aud,
        exp: NOW_SECONDS + 60,
      });
      assert.equal(await refused(s, jwt(token)), "audience");
    }
  });

  it("refuses an algorithm outside the configured list", async () => {
    const s = await setup(undefined, { checks: { main: { algorithms: ["ES256"] } } });
    assert.equal(
      await refused(s, jwt(await sign(rsa, rsHeader(), { exp: NOW_SECONDS + 60 }))),
      "algorithm",
    );
    const ok = await sign(ec, { alg: "ES256", kid: "ec-1" }, { exp: NOW_SECONDS + 60 });
    assert.ok((await s.verifier.verify(jwt(ok)))?.jwt);
  });
});

describe("createAuxDataVerifier: key set choice", () => {
  it("uses the only key set when the request names none", async () => {
    const s = await setup([localKeySet("only", [rsa.jwk])]);
    const token = await sign(rsa, rsHeader(), { exp: NOW_SECONDS + 60 });
    assert.ok((await s.verifier.verify(jwt(token)))?.jwt);
    assert.ok((await s.verifier.verify(jwt(token, "only")))?.jwt);
  });

  it("with several key sets the request must name one", async () => {
    const s = await setup([localKeySet("a", [rsa.jwk]), localKeySet("b", [ec.jwk])]);
    const token = await sign(rsa, rsHeader(), { exp: NOW_SECONDS + 60 });
    assert.equal(await refused(s, jwt(token)), "no_key_set");
    assert.ok((await s.verifier.verify(jwt(token, "a")))?.jwt);
    assert.equal(await refused(s, jwt(token, "b")), "unknown_kid");
  });

  it("refuses an unknown key set id", async () => {
    const s = await setup();
    const token = await sign(rsa, rsHeader(), { exp: NOW_SECONDS + 60 });
    assert.equal(await refused(s, jwt(token, "nope")), "unknown_key_set");
  });

  it("refuses every token when no key set is configured", async () => {
    const s = await setup([]);
    const token = await sign(rsa, rsHeader(), { exp: NOW_SECONDS + 60 });
    assert.equal(await refused(s, jwt(token)), "no_key_set");
  });

  it("a key set that cannot be read refuses its tokens but does not stop startup", async () => {
    const broken: KeySetConfig = {
      id: "main",
      local: { data: Buffer.from("{").toString("base64"), pem: false },
    };
    const s = await setup([broken]);
    const token = await sign(rsa, rsHeader(), { exp: NOW_SECONDS + 60 });
    assert.equal(await refused(s, jwt(token)), "key_set_unavailable");
  });

  it("reads a local key set from a file", async () => {
    const metrics = recordingMetrics();
    const files: Record<string, string> = {
      "/keys/jwks.json": JSON.stringify({ keys: [rsa.jwk] }),
    };
    const v = await createAuxDataVerifier(
      jwtConfig([{ id: "f", local: { file: "/keys/jwks.json", pem: false } }]),
      {},
      {
        logger: silentLogger,
        metrics,
        now: () => NOW_MS,
        readFile: (p) => Promise.resolve(new TextEncoder().encode(files[p] ?? "")),
      },
    );
    const token = await sign(rsa, rsHeader(), { exp: NOW_SECONDS + 60 });
    assert.ok((await v.verify(jwt(token)))?.jwt);
  });
});

describe("createAuxDataVerifier: named tokens (auxData.jwts)", () => {
  it("verifies each token and returns jwts.NAME.claims", async () => {
    const s = await setup();
    const a = await sign(rsa, rsHeader(), { sub: "alice", exp: NOW_SECONDS + 60 });
    const b = await sign(
      ec,
      { alg: "ES256", kid: "ec-1" },
      { sub: "service", exp: NOW_SECONDS + 60 },
    );
    assert.deepEqual(await s.verifier.verify({ jwts: { user: { token: a }, svc: { token: b } } }), {
      jwts: {
        user: { claims: { sub: "alice", exp: "2027-01-15T08:01:00Z" } },
        svc: { claims: { sub: "service", exp: "2027-01-15T08:01:00Z" } },
      },
    });
  });

  it("refuses the request when any named token is bad", async () => {
    const s = await setup();
    const a = await sign(rsa, rsHeader(), { sub: "alice", exp: NOW_SECONDS + 60 });
    const expired = await sign(rsa, rsHeader(), { sub: "old", exp: NOW_SECONDS - 60 });
    assert.equal(await refused(s, { jwts: { a: { token: a }, b: { token: expired } } }), "expired");
  });
});

describe("createAuxDataVerifier: verification disabled", () => {
  it("accepts unsigned tokens but still checks dates, and ignores key set ids", async () => {
    const s = await setup([], { disable: true });
    const claims = { sub: "x", exp: NOW_SECONDS + 60 };
    assert.deepEqual(await s.verifier.verify(jwt(unsigned(claims), "whatever")), {
      jwt: { sub: "x", exp: "2027-01-15T08:01:00Z" },
    });
    assert.equal(await refused(s, jwt(unsigned({ exp: NOW_SECONDS - 1 }))), "expired");
    assert.equal(await refused(s, jwt(unsigned({ nbf: NOW_SECONDS + 100 }))), "not_yet_valid");
    assert.equal(await refused(s, jwt(unsigned({ exp: NOW_SECONDS + 60 }, {}))), "malformed");
  });

  it("accepts either base64 alphabet with padding, as Cerbos does", async () => {
    const s = await setup([], { disable: true });
    const h = Buffer.from('{"alg":"none"}').toString("base64");
    const p = Buffer.from(JSON.stringify({ s: "??>>", exp: NOW_SECONDS + 60 })).toString("base64");
    assert.equal((await s.verifier.verify(jwt(`${h}.${p}.`)))?.jwt?.["s"], "??>>");
  });
});

describe("createAuxDataVerifier: cache of verified tokens", () => {
  it("never serves a cached token past its exp", async () => {
    const s = await setup();
    const token = await sign(rsa, rsHeader(), { exp: NOW_SECONDS + 5 });
    assert.ok((await s.verifier.verify(jwt(token)))?.jwt);
    s.clock.ms = (NOW_SECONDS + 5) * 1000;
    assert.equal(await refused(s, jwt(token)), "expired");
  });

  it("a token cached under one key set is not accepted under another", async () => {
    const s = await setup([localKeySet("a", [rsa.jwk]), localKeySet("b", [ec.jwk])]);
    const token = await sign(rsa, rsHeader(), { exp: NOW_SECONDS + 60 });
    assert.ok((await s.verifier.verify(jwt(token, "a")))?.jwt);
    assert.equal(await refused(s, jwt(token, "b")), "unknown_kid");
  });
});

describe("createAuxDataVerifier: PEM key sets", () => {
  const pemSet = (insecure?: { optionalAlg: boolean; optionalKid: boolean }): KeySetConfig => ({
    id: "pem",
    local: {
      data: Buffer.from(
        createPublicKey({ key: rsa.jwk, format: "jwk" }).export({
          format: "pem",
          type: "spki",
        }),
      ).toString("base64"),
      pem: true,
    },
    ...(insecure ? { insecure } : {}),
  });

  it("like Cerbos, PEM keys (no kid, no alg) verify nothing without the insecure options", async () => {
    const s = await setup([pemSet()]);
    const token = await sign(rsa, rsHeader(), { exp: NOW_SECONDS + 60 });
    assert.equal(await refused(s, jwt(token)), "unknown_kid");
  });

  it("with optionalAlg and optionalKid they verify, by key type only", async () => {
    const s = await setup([pemSet({ optionalAlg: true, optionalKid: true })]);
    const token = await sign(rsa, { alg: "RS256" }, { exp: NOW_SECONDS + 60 });
    assert.ok((await s.verifier.verify(jwt(token)))?.jwt);
    const hmac = await new CompactSign(new TextEncoder().encode("{}"))
      .setProtectedHeader({ alg: "HS256" })
      .sign(new TextEncoder().encode("secret"));
    assert.equal(await refused(s, jwt(hmac)), "algorithm");
  });
});
