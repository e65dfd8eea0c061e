// Key sets as Cerbos reads them: a JWK Set (`{"keys":[...]}`) or a single JWK, or, with
// `pem: true`, PEM blocks (public keys, private keys, certificates). Every JWK must carry a
// non-empty `kid` and `alg` unless the key set relaxes it (Cerbos's `insecure` options); PEM keys
// carry neither, so like Cerbos they only verify tokens under those relaxed options.

import { createPublicKey, X509Certificate, type KeyObject } from "node:crypto";

/** One verification key: its public JWK and the members key selection reads. */
export interface KeyEntry {
  readonly kid?: string;
  readonly alg?: string;
  readonly use?: string;
  readonly kty: string;
  readonly crv?: string;
  /** Public members only: private members are dropped so the key can only verify. */
  readonly jwk: Readonly<Record<string, unknown>>;
}

export interface KeySet {
  readonly keys: readonly KeyEntry[];
}

/** Cerbos's `insecure` key set options. */
export interface InsecureOptions {
  readonly optionalAlg: boolean;
  readonly optionalKid: boolean;
}

export class KeySetError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "KeySetError";
  }
}

/** The JWS `alg` values a key set may name for signing (Cerbos's list). */
export const signatureAlgorithms: readonly string[] = [
  "HS256",
  "HS384",
  "HS512",
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "ES256K",
  "EdDSA",
  "Ed25519",
];
const SIGNATURE_ALGS = new Set(signatureAlgorithms);
// Key-management algorithms are valid `alg` values for a JWK too (an encryption key in the set).
const KEY_MANAGEMENT_ALGS = new Set([
  "RSA1_5",
  "RSA-OAEP",
  "RSA-OAEP-256",
  "RSA-OAEP-384",
  "RSA-OAEP-512",
  "A128KW",
  "A192KW",
  "A256KW",
  "dir",
  "ECDH-ES",
  "ECDH-ES+A128KW",
  "ECDH-ES+A192KW",
  "ECDH-ES+A256KW",
  "A128GCMKW",
  "A192GCMKW",
  "A256GCMKW",
  "PBES2-HS256+A128KW",
  "PBES2-HS384+A192KW",
  "PBES2-HS512+A256KW",
]);

const PRIVATE_MEMBERS: Record<string, readonly string[]> = {
  RSA: ["d", "p", "q", "dp", "dq", "qi", "oth"],
  EC: ["d"],
  OKP: ["d"],
};

/** Reads key material (`pem` false: JWK or JWK Set JSON) and checks it as Cerbos does. */
export function parseKeySet(bytes: Uint8Array, pem: boolean, insecure: InsecureOptions): KeySet {
  const text = new TextDecoder().decode(bytes);
  if (pem) return { keys: parsePem(text) };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new KeySetError("failed to parse key data: not JSON", e);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc))
    throw new KeySetError("failed to parse key data: not a JWK or JWK Set");
  const raw = "keys" in doc ? doc.keys : [doc];
  if (!Array.isArray(raw)) throw new KeySetError("failed to parse key data: `keys` is not a list");
  const keys = raw.map((k: unknown, i) => toEntry(k, i));
  keys.forEach((k, i) => validateKey(k, i, insecure));
  return { keys };
}

function toEntry(raw: unknown, index: number): KeyEntry {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new KeySetError(`failed to parse key data: key at idx ${index} is not an object`);
  const jwk = raw as Record<string, unknown>;
  const kty = jwk["kty"];
  if (typeof kty !== "string" || !["RSA", "EC", "OKP", "oct"].includes(kty))
    throw new KeySetError(`failed to parse key data: unsupported key type (kty) at idx ${index}`);
  const alg = jwk["alg"];
  if (
    alg !== undefined &&
    (typeof alg !== "string" || !(SIGNATURE_ALGS.has(alg) || KEY_MANAGEMENT_ALGS.has(alg)))
  )
    throw new KeySetError("invalid algorithm (alg)");
  const str = (k: string): string | undefined => (typeof jwk[k] === "string" ? jwk[k] : undefined);
  const publicJwk = { ...jwk };
  for (const m of PRIVATE_MEMBERS[kty] ?? []) delete publicJwk[m];
  delete publicJwk["key_ops"];
  return {
    kty,
    jwk: publicJwk,
    ...(str("kid") !== undefined ? { kid: str("kid") } : {}),
    ...(alg !== undefined ? { alg } : {}),
    ...(str("use") !== undefined ? { use: str("use") } : {}),
    ...(str("crv") !== undefined ? { crv: str("crv") } : {}),
  };
}

function validateKey(key: KeyEntry, index: number, insecure: InsecureOptions): void {
  if (insecure.optionalAlg && insecure.optionalKid) return;
  const problem = !insecure.optionalAlg
    ? key.alg === undefined
      ? "missing algorithm (alg)"
      : key.alg === ""
        ? "empty algorithm (alg)"
        : undefined
    : undefined;
  const kidProblem = !insecure.optionalKid
    ? key.kid === undefined
      ? "missing key ID (kid)"
      : key.kid === ""
        ? "empty key ID (kid)"
        : undefined
    : undefined;
  const first = problem ?? kidProblem;
  if (first) throw new KeySetError(`failed to validate key at idx ${index}: ${first}`);
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

function parsePem(text: string): KeyEntry[] {
  const keys: KeyEntry[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    let key: KeyObject;
    try {
      key = m[1] === "CERTIFICATE" ? new X509Certificate(m[0]).publicKey : createPublicKey(m[0]);
    } catch (e) {
      throw new KeySetError(`failed to parse key data: bad PEM block \`${m[1] ?? ""}\``, e);
    }
    const jwk = key.export({ format: "jwk" }) as Record<string, unknown>;
    const kty = String(jwk["kty"]);
    keys.push({ kty, jwk, ...(typeof jwk["crv"] === "string" ? { crv: jwk["crv"] } : {}) });
  }
  if (keys.length === 0) throw new KeySetError("failed to parse key data: no PEM blocks found");
  return keys;
}

/** The algorithms a key without `alg` may verify (Cerbos's `insecure.optionalAlg`). */
export function algorithmsForKey(key: KeyEntry): readonly string[] {
  switch (key.kty) {
    case "RSA":
      return ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
    case "EC":
      return ["ES256", "ES384", "ES512", "ES256K"];
    case "OKP":
      return ["EdDSA", "Ed25519"];
    case "oct":
      return ["HS256", "HS384", "HS512"];
    default:
      return [];
  }
}

/** A key set member that may verify a token: the key and the algorithm to verify it with. */
export interface Candidate {
  readonly key: KeyEntry;
  readonly alg: string;
}

/**
 * The keys Cerbos would try for a token: by default the first key whose `kid` equals the
 * token's (a token without `kid` matches none); a key meant for something other than signing
 * (`use` not `sig`) never; and only when the key's algorithm is the token's `alg`, which stops
 * alg-confusion (an HMAC token "signed" with an RSA public key).
 */
export function selectCandidates(
  set: KeySet,
  header: { readonly alg: string; readonly kid?: string },
  insecure: InsecureOptions,
): Candidate[] {
  let keys: readonly KeyEntry[];
  if (insecure.optionalKid) keys = set.keys;
  else {
    const wanted = header.kid ?? "";
    const found = set.keys.find((k) => k.kid === wanted);
    keys = found ? [found] : [];
  }
  const out: Candidate[] = [];
  for (const key of keys) {
    if (key.use !== undefined && key.use !== "" && key.use !== "sig") continue;
    const algs =
      key.alg !== undefined ? [key.alg] : insecure.optionalAlg ? algorithmsForKey(key) : [];
    if (algs.includes(header.alg)) out.push({ key, alg: header.alg });
  }
  return out;
}
