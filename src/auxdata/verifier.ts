// The AuxDataVerifier: verifies the tokens of a request (`auxData.jwt`, or several named
// `auxData.jwts`) against the configured key sets and turns their claims into what conditions see.
// Key set choice follows Cerbos: a request that names no key set uses the only one configured
// (several configured: refused); an unknown name is refused. With verification disabled the
// signature is not checked but dates still are, as in Cerbos. This is the one module that uses jose.

import { compactVerify, importJWK, type CryptoKey } from "jose";
import type { AuxData } from "../authz/engine/types.ts";
import type { Logger } from "../kernel/logger.ts";
import type { Metrics } from "../kernel/metrics.ts";
import type { JwtConfig, KeySetChecks, KeySetConfig } from "../main/config/types.ts";
import type { JwtRef, RequestAuxData } from "../pdp/types.ts";
import {
  KeySetError,
  parseKeySet,
  selectCandidates,
  type Candidate,
  type InsecureOptions,
  type KeyEntry,
  type KeySet,
} from "./key-set.ts";
import { checkTimes, parseClaims, type Claims, type ParsedClaims } from "./registered-claims.ts";
import { RemoteKeySet } from "./remote-key-set.ts";
import { TokenCache } from "./token-cache.ts";
import { invalidAuxData, TokenRefusal } from "./token-refusal.ts";
import type { AuxDataVerifier } from "./types.ts";

export interface AuxDataVerifierDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Epoch milliseconds; tests pin it. */
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
  readonly readFile?: (path: string) => Promise<Uint8Array>;
}

/** A configured key set: a fixed local one (or why it could not be read), or a remote one. */
interface LocalSource {
  readonly kind: "local";
  readonly set?: KeySet;
  readonly error?: KeySetError;
}
type Source = LocalSource | { readonly kind: "remote"; readonly remote: RemoteKeySet };

interface ResolvedKeySet {
  readonly id: string;
  readonly source: Source;
  readonly insecure: InsecureOptions;
  readonly checks: KeySetChecks;
}

/** Cerbos's `insecure` options; strict when the configuration leaves them out. */
function insecureOf(ks: KeySetConfig): InsecureOptions {
  return ks.insecure ?? { optionalAlg: false, optionalKid: false };
}

async function defaultReadFile(path: string): Promise<Uint8Array> {
  const { readFile } = await import("node:fs/promises");
  return readFile(path);
}

export async function createAuxDataVerifier(
  config: JwtConfig,
  checks: Readonly<Record<string, KeySetChecks>>,
  deps: AuxDataVerifierDeps,
): Promise<AuxDataVerifier> {
  const logger = deps.logger.child({ component: "auxdata" });
  const now = deps.now ?? Date.now;
  const readFile = deps.readFile ?? defaultReadFile;
  const keySets = new Map<string, ResolvedKeySet>();
  const remotes: RemoteKeySet[] = [];

  if (config.disableVerification)
    logger.warn("JWT verification is disabled: token signatures are not checked");
  else
    for (const ks of config.keySets) {
      const insecure = insecureOf(ks);
      if (insecure.optionalAlg || insecure.optionalKid)
        logger.warn("key set relaxes key checks (insecure options)", {
          keySetId: ks.id,
          ...insecure,
        });
      let source: Source;
      if ("remote" in ks) {
        const remote = new RemoteKeySet({
          id: ks.id,
          url: ks.remote.url,
          ...(ks.remote.refreshIntervalSeconds !== undefined
            ? { refreshIntervalSeconds: ks.remote.refreshIntervalSeconds }
            : {}),
          insecure,
          logger,
          fetch: deps.fetch ?? globalThis.fetch,
          now,
        });
        remotes.push(remote);
        source = { kind: "remote", remote };
      } else {
        const local = await loadLocal(ks, insecure, readFile);
        // as in Cerbos, a key set that cannot be read does not stop the server: its tokens are refused
        if (local.error)
          logger.error("cannot read key set; tokens for it will be refused", {
            keySetId: ks.id,
            error: local.error,
          });
        source = local;
      }
      keySets.set(ks.id, { id: ks.id, source, insecure, checks: checks[ks.id] ?? {} });
    }
  await Promise.all(remotes.map((r) => r.start()));

  const cache = new TokenCache(config.disableVerification ? 0 : config.cacheSize);
  const skew = config.acceptableTimeSkewSeconds;
  const imported = new WeakMap<KeyEntry, Map<string, Promise<CryptoKey | Uint8Array>>>();

  const importKey = (c: Candidate): Promise<CryptoKey | Uint8Array> => {
    let byAlg = imported.get(c.key);
    if (!byAlg) imported.set(c.key, (byAlg = new Map<string, Promise<CryptoKey | Uint8Array>>()));
    let key = byAlg.get(c.alg);
    if (!key) {
      key = importJWK(c.key.jwk, c.alg);
      // a key that fails to import must not stay cached as a rejected promise
      key.catch(() => byAlg.delete(c.alg));
      byAlg.set(c.alg, key);
    }
    return key;
  };

  const resolveKeySet = (ref: JwtRef): ResolvedKeySet => {
    if (!ref.keySetId) {
      if (keySets.size !== 1)
        throw new TokenRefusal(
          "no_key_set",
          "cannot determine keyset to use for validating the JWT",
        );
      return keySets.values().next().value as ResolvedKeySet;
    }
    const ks = keySets.get(ref.keySetId);
    if (!ks) throw new TokenRefusal("unknown_key_set", `keyset not found: ${ref.keySetId}`);
    return ks;
  };

  const currentSet = async (ks: ResolvedKeySet): Promise<KeySet> => {
    const src = ks.source;
    if (src.kind === "local") {
      if (src.set) return src.set;
      throw new TokenRefusal("key_set_unavailable", "failed to retrieve keyset", src.error);
    }
    const set = await src.remote.get();
    if (!set)
      throw new TokenRefusal(
        "key_set_unavailable",
        "failed to retrieve keyset: remote key set not fetched yet",
      );
    return set;
  };

  const verifySignature = async (
    token: string,
    header: { alg: string; kid?: string },
    ks: ResolvedKeySet,
  ): Promise<Uint8Array> => {
    let set = await currentSet(ks);
    let candidates = selectCandidates(set, header, ks.insecure);
    if (candidates.length === 0 && ks.source.kind === "remote" && !ks.insecure.optionalKid) {
      const kidKnown = set.keys.some((k) => k.kid === (header.kid ?? ""));
      if (!kidKnown) {
        const fresh = await ks.source.remote.refreshForUnknownKid();
        if (fresh && fresh !== set) {
          set = fresh;
          candidates = selectCandidates(set, header, ks.insecure);
        }
      }
    }
    if (candidates.length === 0) {
      const kidKnown =
        ks.insecure.optionalKid || set.keys.some((k) => k.kid === (header.kid ?? ""));
      throw kidKnown
        ? new TokenRefusal("algorithm", `no key in the set verifies \`${header.alg}\` tokens`)
        : new TokenRefusal(
            "unknown_kid",
            `failed to find key with key ID \`${header.kid ?? ""}\` in key set`,
          );
    }
    let lastError: unknown;
    for (const c of candidates) {
      try {
        const key = await importKey(c);
        const { payload } = await compactVerify(token, key, { algorithms: [c.alg] });
        return payload;
      } catch (e) {
        lastError = e;
      }
    }
    throw new TokenRefusal("signature", "could not verify the signature with any key", lastError);
  };

  const decodeHeader = (token: string): { alg: string; kid?: string } => {
    const parts = token.split(".");
    if (parts.length !== 3) throw new TokenRefusal("malformed", "token is not a compact JWS");
    let header: unknown;
    try {
      header = JSON.parse(new TextDecoder().decode(decodeLenientBase64(parts[0] ?? "")));
    } catch (e) {
      throw new TokenRefusal("malformed", "token header is not base64-encoded JSON", e);
    }
    if (typeof header !== "object" || header === null || Array.isArray(header))
      throw new TokenRefusal("malformed", "token header is not a JSON object");
    const { alg, kid } = header as Record<string, unknown>;
    if (typeof alg !== "string" || alg === "")
      throw new TokenRefusal("malformed", "token header has no `alg`");
    return typeof kid === "string" ? { alg, kid } : { alg };
  };

  const checkExtra = (parsed: ParsedClaims, header: { alg: string }, ks: ResolvedKeySet): void => {
    const { issuer, audiences, algorithms } = ks.checks;
    if (algorithms && !algorithms.includes(header.alg))
      throw new TokenRefusal(
        "algorithm",
        `algorithm \`${header.alg}\` is not allowed for key set \`${ks.id}\``,
      );
    if (issuer !== undefined && parsed.iss !== issuer)
      throw new TokenRefusal("issuer", "invalid issuer (iss)");
    if (audiences && !(parsed.aud ?? []).some((a) => audiences.includes(a)))
      throw new TokenRefusal("audience", "invalid audience (aud)");
  };

  const verifyOne = async (ref: JwtRef): Promise<Claims | undefined> => {
    if (ref.token === "") return undefined;
    const nowMs = now();
    if (config.disableVerification) {
      decodeHeader(ref.token);
      const parsed = parseClaims(decodeUnverifiedPayload(ref.token));
      checkTimes(parsed, nowMs, skew);
      return parsed.claims;
    }
    const ks = resolveKeySet(ref);
    const cacheKey = `${ks.id}\n${ref.token}`;
    const hit = cache.get(cacheKey, nowMs);
    if (hit) {
      checkTimes(hit, nowMs, skew);
      return hit.claims;
    }
    const header = decodeHeader(ref.token);
    const payload = await verifySignature(ref.token, header, ks);
    const parsed = parseClaims(payload);
    checkTimes(parsed, nowMs, skew);
    checkExtra(parsed, header, ks);
    cache.set(cacheKey, parsed, nowMs);
    return parsed.claims;
  };

  const refuse = (e: unknown, name: string | undefined): never => {
    const refusal =
      e instanceof TokenRefusal ? e : new TokenRefusal("malformed", "token could not be read", e);
    deps.metrics.countTokenFailure(refusal.reason);
    const fields = {
      reason: refusal.reason,
      detail: refusal.message,
      ...(name ? { token: name } : {}),
    };
    if (refusal.reason === "expired" || refusal.reason === "not_yet_valid")
      logger.debug("token refused", fields);
    else logger.info("token refused", fields);
    throw invalidAuxData(refusal);
  };

  return {
    async verify(aux: RequestAuxData | undefined): Promise<AuxData | undefined> {
      if (!aux) return undefined;
      if (aux.jwt) {
        const claims = await verifyOne(aux.jwt).catch((e: unknown) => refuse(e, undefined));
        return claims ? { jwt: claims } : {};
      }
      if (aux.jwts) {
        const entries = Object.entries(aux.jwts);
        if (entries.length === 0) return {};
        const results = await Promise.all(
          entries.map(async ([name, ref]) => {
            const claims = await verifyOne(ref).catch((e: unknown) => refuse(e, name));
            return [name, { claims: claims ?? {} }] as const;
          }),
        );
        return { jwts: Object.fromEntries(results) };
      }
      return {};
    },
    close(): void {
      for (const r of remotes) r.close();
    },
  };
}

async function loadLocal(
  ks: Extract<KeySetConfig, { local: unknown }>,
  insecure: InsecureOptions,
  readFile: (path: string) => Promise<Uint8Array>,
): Promise<LocalSource> {
  const { file, data, pem } = ks.local;
  let bytes: Uint8Array;
  try {
    if (data !== undefined && data !== "") bytes = decodeStdBase64(data);
    else if (file !== undefined && file !== "") bytes = await readFile(file);
    else throw new KeySetError("one of local.data or local.file must be specified");
  } catch (e) {
    const error =
      e instanceof KeySetError
        ? e
        : new KeySetError(`failed to read keyset from \`${file ?? ""}\``, e);
    return { kind: "local", error };
  }
  try {
    return { kind: "local", set: parseKeySet(bytes, pem, insecure) };
  } catch (e) {
    return { kind: "local", error: e instanceof KeySetError ? e : new KeySetError(String(e), e) };
  }
}

function decodeStdBase64(data: string): Uint8Array {
  const compact = data.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1)
    throw new KeySetError("failed to decode base64 encoded keyset data");
  return Buffer.from(compact, "base64");
}

/**
 * A token part decoded as Cerbos's decoder does: either base64 alphabet, padding optional.
 * Only the unverified path relies on this; jose verifies signed tokens strictly (base64url).
 */
function decodeLenientBase64(part: string): Uint8Array {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(part))
    throw new TokenRefusal("malformed", "token part is not base64");
  return Buffer.from(part.replace(/-/g, "+").replace(/_/g, "/"), "base64");
}

/** The payload of a token whose signature is not checked. */
function decodeUnverifiedPayload(token: string): Uint8Array {
  return decodeLenientBase64(token.split(".")[1] ?? "");
}
