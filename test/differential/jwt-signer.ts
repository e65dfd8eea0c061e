// Signs JWTs for the Cerbos side of the differential test: a fresh P-256 key per run, published to
// Cerbos as a local JWKS (auxData.jwt.keySets), so Cerbos verifies the token and exposes its claims
// as `request.auxData.jwt` — the same claims Gatehouse's engine receives already decoded.

import { createSign, generateKeyPairSync } from "node:crypto";
import type { JsonValue } from "../../src/authz/policy/model.ts";

export interface JwtSigner {
  readonly keySetId: string;
  /** The `auxData` section of Cerbos's configuration. */
  readonly cerbosConfig: Record<string, JsonValue>;
  /** Adds `exp` (an hour ahead) unless given, and returns the compact ES256 token. */
  sign(claims: Readonly<Record<string, JsonValue>>): string;
  /** The claims as Cerbos will see them after `sign` (with the added `exp`). */
  claimsFor(claims: Readonly<Record<string, JsonValue>>): Record<string, JsonValue>;
}

const b64url = (data: string | Buffer): string => Buffer.from(data).toString("base64url");

export function createJwtSigner(nowSeconds = Math.floor(Date.now() / 1000)): JwtSigner {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const kid = "gatehouse-diff";
  const jwk = {
    ...(publicKey.export({ format: "jwk" }) as Record<string, JsonValue>),
    kid,
    alg: "ES256",
    use: "sig",
  };
  const jwks = JSON.stringify({ keys: [jwk] });
  const keySetId = "local";
  const exp = nowSeconds + 3600;
  const claimsFor = (claims: Readonly<Record<string, JsonValue>>): Record<string, JsonValue> => ({
    exp,
    ...claims,
  });
  return {
    keySetId,
    cerbosConfig: {
      jwt: { keySets: [{ id: keySetId, local: { data: Buffer.from(jwks).toString("base64") } }] },
    },
    claimsFor,
    sign(claims) {
      const header = b64url(JSON.stringify({ alg: "ES256", typ: "JWT", kid }));
      const payload = b64url(JSON.stringify(claimsFor(claims)));
      const signer = createSign("SHA256");
      signer.update(`${header}.${payload}`);
      const sig = signer.sign({ key: privateKey, dsaEncoding: "ieee-p1363" });
      return `${header}.${payload}.${b64url(sig)}`;
    },
  };
}
