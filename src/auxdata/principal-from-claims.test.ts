import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { JsonValue } from "../authz/policy/model.ts";
import { InvalidArgumentError } from "../kernel/errors.ts";
import type { ClaimPreset, PrincipalFromTokenConfig } from "../main/config/types.ts";
import { claimAt, presetRoleClaims, principalFromClaims } from "./principal-from-claims.ts";

const config = (over: Partial<PrincipalFromTokenConfig> = {}): PrincipalFromTokenConfig => ({
  enabled: true,
  token: "jwt",
  preset: "generic",
  idClaim: "sub",
  roleClaims: [],
  defaultRoles: [],
  attrClaims: {},
  explicitPrincipal: "reject",
  ...over,
});

type Claims = Record<string, JsonValue>;

// Token shapes as the identity providers issue them (after Cerbos-style claim conversion).
const KEYCLOAK: Claims = {
  exp: "2027-01-15T09:00:00Z",
  iat: "2027-01-15T08:00:00Z",
  jti: "0b5c2f3e-8f0e-4a4e-9a55-0f0a4e0b0c0d",
  iss: "https://sso.example.com/realms/acme",
  aud: ["account"],
  sub: "f1b2c3d4-0000-4000-8000-000000000001",
  typ: "Bearer",
  azp: "web-app",
  realm_access: { roles: ["offline_access", "uma_authorization", "editor"] },
  resource_access: { account: { roles: ["manage-account", "view-profile"] } },
  groups: ["/staff", "/staff/editors"],
  preferred_username: "alice",
  email: "alice@example.com",
};

const AUTH0: Claims = {
  "https://acme.example.com/roles": ["admin", "billing"],
  "https://acme.example.com/groups": ["finance"],
  "https://acme.example.com/tenant": "t-42",
  iss: "https://acme.eu.auth0.com/",
  sub: "auth0|65a1b2c3d4e5f6a7b8c9d0e1",
  aud: ["https://api.acme.example.com", "https://acme.eu.auth0.com/userinfo"],
  iat: "2027-01-15T08:00:00Z",
  exp: "2027-01-16T08:00:00Z",
  scope: "openid profile email",
  azp: "Xk2b0aBcDeFgHiJkLmNoPqRsTuVwXyZ0",
};

const OKTA: Claims = {
  ver: 1,
  jti: "AT.9x8y7z",
  iss: "https://acme.okta.com/oauth2/default",
  aud: ["api://default"],
  iat: "2027-01-15T08:00:00Z",
  exp: "2027-01-15T09:00:00Z",
  cid: "0oa1b2c3d4",
  uid: "00u1a2b3c4",
  scp: ["openid", "profile"],
  sub: "alice@example.com",
  groups: ["Everyone", "Engineering"],
};

const JUMPCLOUD: Claims = {
  iss: "https://oauth.id.jumpcloud.com/",
  sub: "5f9a1b2c3d4e5f6a7b8c9d0e",
  aud: ["b7c1e2d3-client"],
  exp: "2027-01-15T09:00:00Z",
  iat: "2027-01-15T08:00:00Z",
  email: "alice@example.com",
  groups: ["Engineering", "VPN Users"],
};

const GENERIC: Claims = {
  sub: "svc-reporting",
  roles: "reporter",
  groups: ["ops", "reporter"],
  exp: "2027-01-15T09:00:00Z",
};

describe("principalFromClaims presets", () => {
  it("keycloak: realm roles then groups", () => {
    assert.deepEqual(principalFromClaims(KEYCLOAK, config({ preset: "keycloak" })), {
      id: "f1b2c3d4-0000-4000-8000-000000000001",
      roles: ["offline_access", "uma_authorization", "editor", "/staff", "/staff/editors"],
    });
  });

  it("auth0: namespaced roles and groups claims, found by URL", () => {
    assert.deepEqual(principalFromClaims(AUTH0, config({ preset: "auth0" })), {
      id: "auth0|65a1b2c3d4e5f6a7b8c9d0e1",
      roles: ["admin", "billing", "finance"],
    });
    assert.deepEqual(presetRoleClaims("auth0", AUTH0), [
      "https://acme.example.com/roles",
      "https://acme.example.com/groups",
    ]);
  });

  it("okta: groups", () => {
    assert.deepEqual(principalFromClaims(OKTA, config({ preset: "okta" })), {
      id: "alice@example.com",
      roles: ["Everyone", "Engineering"],
    });
  });

  it("jumpcloud: groups", () => {
    assert.deepEqual(principalFromClaims(JUMPCLOUD, config({ preset: "jumpcloud" })).roles, [
      "Engineering",
      "VPN Users",
    ]);
  });

  for (const preset of ["generic", "gatehouse"] as ClaimPreset[])
    it(`${preset}: roles (a string or a list) then groups, deduplicated in order`, () => {
      assert.deepEqual(principalFromClaims(GENERIC, config({ preset })), {
        id: "svc-reporting",
        roles: ["reporter", "ops"],
      });
    });
});

describe("principalFromClaims options", () => {
  it("configured roleClaims replace the preset's; dotted paths and full-URL keys both work", () => {
    const p = principalFromClaims(
      KEYCLOAK,
      config({ preset: "keycloak", roleClaims: ["resource_access.account.roles"] }),
    );
    assert.deepEqual(p.roles, ["manage-account", "view-profile"]);
    const a = principalFromClaims(
      AUTH0,
      config({ roleClaims: ["https://acme.example.com/groups"] }),
    );
    assert.deepEqual(a.roles, ["finance"]);
  });

  it("default roles come after token roles, without duplicates", () => {
    const p = principalFromClaims(
      OKTA,
      config({ preset: "okta", defaultRoles: ["user", "Everyone"] }),
    );
    assert.deepEqual(p.roles, ["Everyone", "Engineering", "user"]);
  });

  it("default roles alone are enough when the token has none", () => {
    assert.deepEqual(principalFromClaims({ sub: "x" }, config({ defaultRoles: ["user"] })), {
      id: "x",
      roles: ["user"],
    });
  });

  it("idClaim picks another claim; attrClaims copy claims into attributes", () => {
    const p = principalFromClaims(
      KEYCLOAK,
      config({
        preset: "keycloak",
        idClaim: "preferred_username",
        attrClaims: {
          email: "email",
          client: "azp",
          accountRoles: "resource_access.account.roles",
          missing: "nope",
        },
      }),
    );
    assert.deepEqual(p, {
      id: "alice",
      roles: ["offline_access", "uma_authorization", "editor", "/staff", "/staff/editors"],
      attr: {
        email: "alice@example.com",
        client: "web-app",
        accountRoles: ["manage-account", "view-profile"],
      },
    });
  });

  it("a missing or empty id is refused, naming the claim", () => {
    const shapes: Claims[] = [
      { roles: ["a"] },
      { sub: "", roles: ["a"] },
      { sub: ["x"], roles: ["a"] },
    ];
    for (const claims of shapes) {
      assert.throws(
        () => principalFromClaims(claims, config()),
        (e: unknown) =>
          e instanceof InvalidArgumentError &&
          e.message.includes("claim `sub` is missing or empty"),
      );
    }
    assert.throws(
      () => principalFromClaims({ sub: "x", roles: ["a"] }, config({ idClaim: "uid" })),
      /claim `uid` is missing or empty/,
    );
  });

  it("no roles is refused, naming the claims read", () => {
    assert.throws(
      () => principalFromClaims({ sub: "x", groups: [] }, config({ preset: "okta" })),
      (e: unknown) =>
        e instanceof InvalidArgumentError && e.message.includes("(`groups`) holds a role"),
    );
    assert.throws(
      () => principalFromClaims({ sub: "x" }, config({ preset: "auth0" })),
      /no role claims for preset `auth0`/,
    );
  });

  it("claimAt prefers a whole key over a dotted path", () => {
    assert.equal(claimAt({ "a.b": 1, a: { b: 2 } }, "a.b"), 1);
    assert.equal(claimAt({ a: { b: 2 } }, "a.b"), 2);
    assert.equal(claimAt({ a: [1] }, "a.0"), undefined);
  });
});
