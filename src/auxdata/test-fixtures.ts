// Used by the tests of this folder only.
// Keys, signed tokens and configuration for the auxdata tests: fresh key pairs per run, tokens
// signed with any header (including ones an attacker would craft) and local JWKS configs.

import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { CompactSign, type CryptoKey, type JWK } from "jose";
import type { JwtConfig, KeySetConfig } from "../main/config/types.ts";
import type { Metrics } from "../kernel/metrics.ts";
import { noMetrics } from "../kernel/metrics.ts";

export interface TestKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: KeyObject;
  /** Public JWK with kid, alg and use. */
  readonly jwk: JWK;
}

/** Node key objects rather than WebCrypto keys, so a test can sign with any algorithm of the key type. */
export function makeKey(alg: "RS256" | "ES256" | "ES384", kid: string): Promise<TestKey> {
  const { privateKey, publicKey } =
    alg === "RS256"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : generateKeyPairSync("ec", { namedCurve: alg === "ES256" ? "P-256" : "P-384" });
  const jwk = { ...(publicKey.export({ format: "jwk" }) as JWK), kid, alg, use: "sig" };
  return Promise.resolve({ kid, alg, privateKey, jwk });
}

const b64url = (s: string | Uint8Array): string => Buffer.from(s).toString("base64url");

/** A compact JWS over `payload` (an object, or raw text) with exactly the given header. */
export async function sign(
  key: { privateKey: CryptoKey | KeyObject | Uint8Array },
  header: Record<string, unknown>,
  payload: unknown,
): Promise<string> {
  const bytes = new TextEncoder().encode(
    typeof payload === "string" ? payload : JSON.stringify(payload),
  );
  return new CompactSign(bytes).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
}

/** A token with `alg: none` and an empty signature. */
export function unsigned(
  payload: unknown,
  header: Record<string, unknown> = { alg: "none" },
): string {
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.`;
}

export function localKeySet(id: string, keys: readonly JWK[]): KeySetConfig {
  return {
    id,
    local: { data: Buffer.from(JSON.stringify({ keys })).toString("base64"), pem: false },
  };
}

export function jwtConfig(
  keySets: readonly KeySetConfig[],
  over: Partial<JwtConfig> = {},
): JwtConfig {
  return {
    keySets,
    disableVerification: false,
    acceptableTimeSkewSeconds: 0,
    cacheSize: 256,
    ...over,
  };
}

/** Metrics that remember refusal reasons. */
export function recordingMetrics(): Metrics & { readonly failures: string[] } {
  const failures: string[] = [];
  return { ...noMetrics, failures, countTokenFailure: (reason) => failures.push(reason) };
}

/** 2027-01-15T08:00:00Z, a whole second. */
export const NOW_SECONDS = 1_800_000_000;
export const NOW_MS = NOW_SECONDS * 1000;
