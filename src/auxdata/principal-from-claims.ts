// Principal from token (a Gatehouse extension): builds a request's principal from the verified
// claims of a token, so an application can send just the token and the resource. The id comes
// from one claim, roles from role/group claims (presets know where identity providers put them),
// attributes from named claims.

import type { JsonValue } from "../authz/policy/model.ts";
import type { Principal } from "../authz/engine/types.ts";
import { InvalidArgumentError } from "../kernel/errors.ts";
import type { ClaimPreset, PrincipalFromTokenConfig } from "../main/config/types.ts";

type Claims = Readonly<Record<string, JsonValue>>;

/**
 * Where each preset looks for roles when `roleClaims` is not configured.
 * - generic, gatehouse: `roles` and `groups`
 * - keycloak: realm roles (`realm_access.roles`) and the `groups` mapper's claim
 * - auth0: custom claims must be namespaced, so any top-level claim named by a URL ending in
 *   `/roles` or `/groups` (e.g. `https://example.com/roles`), see AUTH0_NAMESPACED
 * - okta: `groups` (added by a groups claim on the authorization server)
 * - jumpcloud: `groups`, the usual name given to the opt-in group attribute of a custom OIDC
 *   app (the name is chosen per app, so configure `roleClaims` when it differs)
 */
const PRESET_ROLE_CLAIMS: Readonly<Record<ClaimPreset, readonly string[]>> = {
  generic: ["roles", "groups"],
  gatehouse: ["roles", "groups"],
  keycloak: ["realm_access.roles", "groups"],
  auth0: [],
  okta: ["groups"],
  jumpcloud: ["groups"],
};

const AUTH0_NAMESPACED = /^https?:\/\/[^\s]+\/(?:roles|groups)$/;

/** The role claims a preset reads (for auth0, the namespaced claims present in `claims`). */
export function presetRoleClaims(preset: ClaimPreset, claims: Claims = {}): readonly string[] {
  if (preset === "auth0") return Object.keys(claims).filter((k) => AUTH0_NAMESPACED.test(k));
  return PRESET_ROLE_CLAIMS[preset];
}

/**
 * A claim by path: the whole path as one top-level key first (namespaced claims such as
 * `https://example.com/roles` contain dots), else dot-separated steps into nested objects.
 */
export function claimAt(claims: Claims, path: string): JsonValue | undefined {
  if (Object.hasOwn(claims, path)) return claims[path];
  let cur: JsonValue | undefined = claims;
  for (const step of path.split(".")) {
    if (typeof cur !== "object" || cur === null || Array.isArray(cur) || !Object.hasOwn(cur, step))
      return undefined;
    cur = (cur as Readonly<Record<string, JsonValue>>)[step];
  }
  return cur;
}

const problem = (message: string): InvalidArgumentError =>
  new InvalidArgumentError("", `cannot build the principal from the token: ${message}`);

export function principalFromClaims(claims: Claims, config: PrincipalFromTokenConfig): Principal {
  const idClaim = config.idClaim || "sub";
  const rawId = claimAt(claims, idClaim);
  const id =
    typeof rawId === "string"
      ? rawId
      : typeof rawId === "number" && Number.isFinite(rawId)
        ? String(rawId)
        : "";
  if (id === "") throw problem(`claim \`${idClaim}\` is missing or empty`);

  const roleClaims =
    config.roleClaims.length > 0 ? config.roleClaims : presetRoleClaims(config.preset, claims);
  const roles: string[] = [];
  const seen = new Set<string>();
  const add = (role: string): void => {
    if (role !== "" && !seen.has(role)) {
      seen.add(role);
      roles.push(role);
    }
  };
  for (const path of roleClaims) {
    const value = claimAt(claims, path);
    if (typeof value === "string") add(value);
    else if (Array.isArray(value)) for (const v of value) if (typeof v === "string") add(v);
  }
  for (const role of config.defaultRoles) add(role);
  if (roles.length === 0) {
    const where =
      roleClaims.length > 0
        ? `none of the role claims (${roleClaims.map((c) => `\`${c}\``).join(", ")}) holds a role`
        : `the token has no role claims for preset \`${config.preset}\``;
    throw problem(`${where} and no default roles are configured`);
  }

  const attr: Record<string, JsonValue> = {};
  for (const [name, path] of Object.entries(config.attrClaims)) {
    const value = claimAt(claims, path);
    if (value !== undefined) attr[name] = value;
  }
  return Object.keys(attr).length > 0 ? { id, roles, attr } : { id, roles };
}
