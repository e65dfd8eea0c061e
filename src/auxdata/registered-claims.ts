// A token's payload turned into the claims policy conditions see, exactly as Cerbos presents them:
// `iss`/`sub`/`jti` strings (null becomes ""), `aud` always a list of strings, `exp`/`nbf`/`iat`
// RFC 3339 UTC strings, other claims as decoded JSON with top-level nulls left out. Then the time
// checks Cerbos applies (also with verification disabled), in whole seconds with the skew.

import type { JsonValue } from "../authz/policy/model.ts";
import { formatNumericDate, parseNumericDate } from "./numeric-date.ts";
import { TokenRefusal } from "./token-refusal.ts";

export type Claims = Readonly<Record<string, JsonValue>>;

/** Claims ready for the engine plus the dates they were built from (seconds since the epoch). */
export interface ParsedClaims {
  readonly claims: Claims;
  readonly exp?: bigint;
  readonly nbf?: bigint;
  readonly iat?: bigint;
  /** The raw `iss` and `aud` values, for the configured issuer and audience checks. */
  readonly iss?: string;
  readonly aud?: readonly string[];
}

const STRING_CLAIMS = new Set(["iss", "sub", "jti"]);
const DATE_CLAIMS = new Set(["exp", "nbf", "iat"]);

/** Decodes and converts a payload; throws TokenRefusal("claims") when a claim has the wrong type. */
export function parseClaims(payload: Uint8Array): ParsedClaims {
  let decoded: unknown;
  try {
    decoded = JSON.parse(new TextDecoder().decode(payload));
  } catch (e) {
    throw new TokenRefusal("malformed", "payload is not JSON", e);
  }
  if (typeof decoded !== "object" || decoded === null || Array.isArray(decoded))
    throw new TokenRefusal("malformed", "payload is not a JSON object");
  if (!allFinite(decoded))
    throw new TokenRefusal("malformed", "payload holds a number out of range");

  const claims: Record<string, JsonValue> = {};
  const dates: { exp?: bigint; nbf?: bigint; iat?: bigint } = {};
  let iss: string | undefined;
  let aud: string[] | undefined;
  for (const [key, value] of Object.entries(decoded as Record<string, JsonValue>)) {
    if (STRING_CLAIMS.has(key)) {
      if (value !== null && typeof value !== "string")
        throw new TokenRefusal("claims", `claim \`${key}\` is not a string`);
      claims[key] = value ?? "";
      if (key === "iss") iss = value ?? "";
    } else if (key === "aud") {
      aud = audienceList(value);
      claims[key] = aud;
    } else if (DATE_CLAIMS.has(key)) {
      const date = parseNumericDate(value);
      if (!date.ok) throw new TokenRefusal("claims", `claim \`${key}\`: ${date.reason}`);
      dates[key as "exp" | "nbf" | "iat"] = date.seconds;
      claims[key] = formatNumericDate(date.seconds);
    } else if (value !== null) {
      claims[key] = value;
    }
  }
  return {
    claims,
    ...dates,
    ...(iss !== undefined ? { iss } : {}),
    ...(aud !== undefined ? { aud } : {}),
  };
}

function audienceList(value: JsonValue): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return [...value];
  throw new TokenRefusal("claims", "claim `aud` is neither a string nor a list of strings");
}

// JSON.parse reads 1e400 as Infinity where Cerbos refuses the token.
function allFinite(value: unknown): boolean {
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(allFinite);
  if (typeof value === "object" && value !== null) return Object.values(value).every(allFinite);
  return true;
}

/**
 * Cerbos's time checks, in whole seconds (`nowMs` is truncated): the token has expired once
 * `now >= exp + skew`; it is not valid yet while `nbf > now + skew`; and it is refused when
 * issued in the future, `iat > now + skew`.
 */
export function checkTimes(parsed: ParsedClaims, nowMs: number, skewSeconds: number): void {
  const now = Math.floor(nowMs / 1000);
  if (parsed.iat !== undefined && now < Number(parsed.iat) - skewSeconds)
    throw new TokenRefusal("issued_in_future", "issued at time is in the future (iat)");
  if (parsed.exp !== undefined && !(now < Number(parsed.exp) + skewSeconds))
    throw new TokenRefusal("expired", "token has expired (exp)");
  if (parsed.nbf !== undefined && now < Number(parsed.nbf) - skewSeconds)
    throw new TokenRefusal("not_yet_valid", "token is not valid yet (nbf)");
}
