// Random CheckResources requests over a generated policy set: principals with role subsets,
// attributes drawn from the vocabulary the condition grammar reads, with keys left out and values
// of the wrong type now and then (to provoke evaluation errors), scopes on and off the policy
// chain, and policy versions.

import type { JsonValue } from "../../src/authz/policy/model.ts";
import { concreteActions, type GeneratedPolicySet } from "./policy-set-generator.ts";
import type { RandomChoice } from "./random-choice.ts";

export interface GeneratedResource {
  readonly resource: {
    kind: string;
    id: string;
    attr?: Record<string, JsonValue>;
    policyVersion?: string;
    scope?: string;
  };
  readonly actions: string[];
}

/** One CheckResources request body (Cerbos JSON API shape, without auxData tokens). */
export interface GeneratedRequest {
  readonly requestId: string;
  readonly principal: {
    id: string;
    roles: string[];
    attr?: Record<string, JsonValue>;
    policyVersion?: string;
    scope?: string;
  };
  readonly resources: GeneratedResource[];
  /** Decoded JWT claims; the Cerbos side receives them as a signed token. */
  readonly jwtClaims?: Record<string, JsonValue>;
}

const wrongValues: JsonValue[] = [1, "x", true, null, [1], { k: 1 }, 2.5];

/** An attribute map: each key usually present with a value of the right type. */
function attributes(
  r: RandomChoice,
  vocabulary: Record<string, () => JsonValue>,
): Record<string, JsonValue> | undefined {
  if (r.chance(0.05)) return undefined;
  const out: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(vocabulary)) {
    if (r.chance(0.15)) continue;
    out[key] = r.chance(0.08) ? r.oneOf(wrongValues) : value();
  }
  return out;
}

export function generateRequests(
  r: RandomChoice,
  set: GeneratedPolicySet,
  count: number,
  withJwt: boolean,
): GeneratedRequest[] {
  const tags = ["a", "b", "c"];
  const principalAttrs = {
    department: () => r.oneOf(["eng", "sales", "hr"]),
    level: () => r.int(0, 5),
    tags: () => r.some(tags, 0),
    active: () => r.chance(0.5),
    score: () => r.oneOf([0.5, 1.5, 2, 3.25, 10]),
    manager: () => r.oneOf(set.principalIds),
  };
  const resourceAttrs = {
    owner: () => r.oneOf(set.principalIds),
    department: () => r.oneOf(["eng", "sales", "hr"]),
    status: () => r.oneOf(["draft", "published", "archived"]),
    public: () => r.chance(0.5),
    size: () => r.int(0, 60),
    labels: () => r.some(tags, 0),
    nested: (): JsonValue => (r.chance(0.7) ? { a: { b: r.int(0, 2) } } : { a: {} }),
    created: () => r.oneOf(["2020-06-01T10:00:00Z", "2022-01-01T00:00:00Z", "not a time"]),
  };
  const scopeChoice = (): string | undefined => (r.chance(0.4) ? undefined : r.oneOf(set.scopes));
  const versionChoice = (): string | undefined =>
    r.chance(0.7) ? undefined : r.oneOf(set.versions);
  const withoutUndefined = <T extends object>(o: T): T => JSON.parse(JSON.stringify(o)) as T;

  return Array.from({ length: count }, (_, n) => {
    const resources = Array.from({ length: r.int(1, 4) }, (_, k) =>
      withoutUndefined({
        resource: {
          kind: r.chance(0.08) ? `${set.prefix}_unknown` : r.oneOf(set.kinds),
          id: `${r.oneOf(["d", "x"])}${k + 1}`,
          attr: attributes(r, resourceAttrs),
          policyVersion: versionChoice(),
          scope: scopeChoice(),
        },
        actions: r.some(concreteActions, 1, 4),
      }),
    );
    const claims: Record<string, JsonValue> | undefined =
      withJwt && r.chance(0.7)
        ? withoutUndefined({
            sub: r.oneOf(set.principalIds),
            groups: r.some(["admins", "staff"], 0),
            level: r.int(0, 3),
          })
        : undefined;
    return withoutUndefined({
      requestId: `${set.prefix}-req-${n}`,
      principal: {
        id: r.oneOf(set.principalIds),
        roles: r.some(set.roles, 1, 3),
        attr: attributes(r, principalAttrs),
        policyVersion: versionChoice(),
        scope: scopeChoice(),
      },
      resources,
      jwtClaims: claims,
    });
  });
}
