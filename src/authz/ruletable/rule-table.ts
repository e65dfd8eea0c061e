// The rule table: every rule of every compiled resource, principal and role policy, flattened
// into rows and indexed by version -> scope -> resource -> role -> action (globs allowed at each
// pattern level). A check asks it which rows apply to one (scope, action, roles) and which scopes
// exist; it mirrors the queries of Cerbos's rule table so decisions come out the same.

import type {
  CompiledDerivedRole,
  CompiledSchemas,
  PolicyIdentity,
  ScopePermissions,
} from "../compile/compiled-policy.ts";
import { scopeAncestors } from "../compile/policy-names.ts";
import { PatternIndex } from "./pattern-index.ts";
import type { RolePolicyGroup, RuleRow } from "./rule-row.ts";

type ActionIndex = PatternIndex<RuleRow[]>;
type RoleIndex = PatternIndex<ActionIndex>;

interface ResourceScope {
  readonly byResource: PatternIndex<RoleIndex>;
  /** Role policies of this scope and version, by role. */
  readonly rolePolicies: Map<string, RolePolicyGroup>;
  /** Derived roles referenced by the resource policy of a kind, for `effectiveDerivedRoles`. */
  readonly derivedRoles: Map<string, readonly CompiledDerivedRole[]>;
  readonly schemas: Map<string, CompiledSchemas>;
  readonly policies: Map<string, PolicyIdentity>;
  /** Rows of resource policies (and role policy rules) by resource pattern, for existence checks. */
  readonly resourcePatterns: PatternIndex<true>;
}

interface PrincipalScope {
  readonly byResource: PatternIndex<ActionIndex>;
  readonly policies: Map<string, PolicyIdentity>;
}

export type QueryKind = "RESOURCE" | "PRINCIPAL";

export class RuleTable {
  readonly #resources = new Map<string, Map<string, ResourceScope>>();
  /** principal id -> version -> scope. */
  readonly #principals = new Map<string, Map<string, Map<string, PrincipalScope>>>();
  /** version -> scopes holding any principal policy row (Cerbos checks any principal). */
  readonly #principalVersions = new Map<string, Set<string>>();
  readonly #resourceScopeSet = new Set<string>();
  readonly #principalScopeSet = new Set<string>();
  readonly #scopePermissions = new Map<string, ScopePermissions>();
  /** scope -> role -> all ancestor roles from role policies of that scope. */
  readonly #parentRoles = new Map<string, Map<string, readonly string[]>>();

  // ---- building (compile time only) ----

  #resourceScope(version: string, scope: string): ResourceScope {
    let byScope = this.#resources.get(version);
    if (!byScope) {
      byScope = new Map();
      this.#resources.set(version, byScope);
    }
    let rs = byScope.get(scope);
    if (!rs) {
      rs = {
        byResource: new PatternIndex(),
        rolePolicies: new Map(),
        derivedRoles: new Map(),
        schemas: new Map(),
        policies: new Map(),
        resourcePatterns: new PatternIndex(),
      };
      byScope.set(scope, rs);
    }
    return rs;
  }

  #principalScope(principal: string, version: string, scope: string): PrincipalScope {
    let byVersion = this.#principals.get(principal);
    if (!byVersion) {
      byVersion = new Map();
      this.#principals.set(principal, byVersion);
    }
    let byScope = byVersion.get(version);
    if (!byScope) {
      byScope = new Map();
      byVersion.set(version, byScope);
    }
    let ps = byScope.get(scope);
    if (!ps) {
      ps = { byResource: new PatternIndex(), policies: new Map() };
      byScope.set(scope, ps);
    }
    return ps;
  }

  #noteScope(kind: QueryKind, scope: string, permissions: ScopePermissions | undefined): void {
    (kind === "RESOURCE" ? this.#resourceScopeSet : this.#principalScopeSet).add(scope);
    // As in Cerbos, the scope's setting is whatever the last row indexed in it says; the
    // compiler rejects policies of one scope that disagree.
    if (permissions !== undefined && permissions !== "SCOPE_PERMISSIONS_UNSPECIFIED") {
      this.#scopePermissions.set(scope, permissions);
    }
  }

  /** Registers a resource or principal policy even when it has no rules (it still "exists"). */
  addPolicy(
    identity: PolicyIdentity,
    permissions: ScopePermissions,
    schemas?: CompiledSchemas,
  ): void {
    if (identity.kind === "PRINCIPAL") {
      const ps = this.#principalScope(identity.name, identity.version, identity.scope);
      ps.policies.set(identity.name, identity);
      let scopes = this.#principalVersions.get(identity.version);
      if (!scopes) {
        scopes = new Set();
        this.#principalVersions.set(identity.version, scopes);
      }
      scopes.add(identity.scope);
      this.#noteScope("PRINCIPAL", identity.scope, permissions);
      return;
    }
    const rs = this.#resourceScope(identity.version, identity.scope);
    rs.policies.set(identity.name, identity);
    rs.resourcePatterns.getOrCreate(identity.name, () => true);
    if (schemas) rs.schemas.set(identity.name, schemas);
    this.#noteScope("RESOURCE", identity.scope, permissions);
  }

  addRow(row: RuleRow): void {
    const rule = row.rule;
    if (rule.kind === "PRINCIPAL") {
      const ps = this.#principalScope(rule.principal ?? "", rule.version, rule.scope);
      ps.byResource
        .getOrCreate(rule.resource, () => new PatternIndex())
        .getOrCreate(row.action, () => [])
        .push(row);
      this.#noteScope("PRINCIPAL", rule.scope, rule.scopePermissions);
      return;
    }
    const rs = this.#resourceScope(rule.version, rule.scope);
    rs.resourcePatterns.getOrCreate(rule.resource, () => true);
    rs.byResource
      .getOrCreate(rule.resource, () => new PatternIndex())
      .getOrCreate(row.role, () => new PatternIndex())
      .getOrCreate(row.action, () => [])
      .push(row);
    this.#noteScope("RESOURCE", rule.scope, rule.scopePermissions);
  }

  addRolePolicy(
    version: string,
    scope: string,
    group: RolePolicyGroup,
    resourcePatterns: readonly string[],
    parentRoles: readonly string[],
  ): void {
    const rs = this.#resourceScope(version, scope);
    rs.rolePolicies.set(group.role, group);
    for (const p of resourcePatterns) rs.resourcePatterns.getOrCreate(p, () => true);
    this.#noteScope("RESOURCE", scope, undefined);
    let byRole = this.#parentRoles.get(scope);
    if (!byRole) {
      byRole = new Map();
      this.#parentRoles.set(scope, byRole);
    }
    byRole.set(group.role, parentRoles);
  }

  setDerivedRoles(
    version: string,
    scope: string,
    resource: string,
    roles: readonly CompiledDerivedRole[],
  ): void {
    this.#resourceScope(version, scope).derivedRoles.set(resource, roles);
  }

  /** Resolves parent roles transitively once all role policies are in; compacts the index. */
  finish(): void {
    this.#compact();
    for (const byRole of this.#parentRoles.values()) {
      const direct = new Map(byRole);
      for (const role of direct.keys()) {
        const seen = new Set<string>([role]);
        const out = new Set<string>();
        const visit = (r: string): void => {
          for (const p of direct.get(r) ?? []) {
            out.add(p);
            if (!seen.has(p)) {
              seen.add(p);
              visit(p);
            }
          }
        };
        visit(role);
        byRole.set(role, [...out]);
      }
    }
  }

  /**
   * Gives every row list and index an array of exactly its length: lists grow by `push`, which
   * leaves room for 17 items where most hold one or two, and a large set has hundreds of
   * thousands of them.
   */
  #compact(): void {
    const exact = (rows: RuleRow[]): RuleRow[] => rows.slice();
    const actions = (index: ActionIndex): ActionIndex => {
      index.replaceValues(exact);
      return index;
    };
    const roles = (index: RoleIndex): RoleIndex => {
      index.replaceValues(actions);
      return index;
    };
    for (const byScope of this.#resources.values()) {
      for (const rs of byScope.values()) {
        rs.byResource.replaceValues(roles);
        rs.resourcePatterns.replaceValues((v) => v);
      }
    }
    for (const byVersion of this.#principals.values())
      for (const byScope of byVersion.values())
        for (const ps of byScope.values()) ps.byResource.replaceValues(actions);
  }

  // ---- queries (request path) ----

  /**
   * The scopes to consult for a request scope, nearest first. Strict search requires a policy of
   * the kind in the requested scope itself; lenient search starts from the nearest ancestor
   * that has one. As in Cerbos, "has one" means any policy of the kind, whatever its name.
   */
  scopesFor(kind: QueryKind, scope: string, lenient: boolean): string[] {
    const set = kind === "RESOURCE" ? this.#resourceScopeSet : this.#principalScopeSet;
    // Most policy sets have no principal policies: no scope walk then.
    if (set.size === 0) return [];
    const out: string[] = [];
    if (set.has(scope)) out.push(scope);
    else if (!lenient) return out;
    for (const s of scopeAncestors(scope)) if (set.has(s)) out.push(s);
    return out;
  }

  hasPrincipalPolicies(): boolean {
    return this.#principalScopeSet.size > 0;
  }

  resourceExists(version: string, resource: string, scopes: readonly string[]): boolean {
    const byScope = this.#resources.get(version);
    if (!byScope) return false;
    for (const s of scopes) {
      const rs = byScope.get(s);
      if (rs && rs.resourcePatterns.someMatch(resource, () => true)) return true;
    }
    return false;
  }

  principalExists(version: string, scopes: readonly string[]): boolean {
    const set = this.#principalVersions.get(version);
    if (!set) return false;
    for (const s of scopes) if (set.has(s)) return true;
    return false;
  }

  scopePermissions(scope: string): ScopePermissions | undefined {
    return this.#scopePermissions.get(scope);
  }

  /** The roles plus their ancestors declared by role policies of `scope`. */
  withParentRoles(scope: string, roles: readonly string[]): readonly string[] {
    const byRole = this.#parentRoles.get(scope);
    if (!byRole) return roles;
    let out: string[] | undefined;
    for (const r of roles) {
      const parents = byRole.get(r);
      if (parents && parents.length > 0) {
        out ??= [...roles];
        out.push(...parents);
      }
    }
    return out ?? roles;
  }

  derivedRoles(
    version: string,
    scope: string,
    resource: string,
  ): readonly CompiledDerivedRole[] | undefined {
    return this.#resources.get(version)?.get(scope)?.derivedRoles.get(resource);
  }

  schemas(version: string, scope: string, resource: string): CompiledSchemas | undefined {
    return this.#resources.get(version)?.get(scope)?.schemas.get(resource);
  }

  /**
   * Rows that apply to one action in one scope, in definition order. For resource policies these
   * are the rows for any of `roles` (role patterns may be globs), then the role policy rows of
   * those roles that have role policies in the scope.
   */
  query(
    kind: QueryKind,
    version: string,
    resource: string,
    scope: string,
    action: string,
    roles: readonly string[],
    principalId: string,
    out: RuleRow[],
  ): RuleRow[] {
    out.length = 0;
    if (kind === "PRINCIPAL") {
      const ps = this.#principals.get(principalId)?.get(version)?.get(scope);
      if (!ps) return out;
      ps.byResource.forEachMatch(resource, (actions) => {
        actions.forEachMatch(action, (rows) => {
          for (const r of rows) out.push(r);
        });
      });
      if (out.length > 1) out.sort(bySeq);
      return out;
    }

    const rs = this.#resources.get(version)?.get(scope);
    if (!rs) return out;

    // Role policy rows come first, as in Cerbos: their implicit DENY ends the scope before any
    // resource rule is evaluated (so those emit no outputs and no evaluation errors).
    if (rs.rolePolicies.size > 0 && hasRowsForRoles(rs, resource, roles)) {
      for (const role of roles) {
        const group = rs.rolePolicies.get(role);
        if (!group) continue;
        let matched = false;
        for (const rule of group.rules) {
          if (!rule.resource(resource)) continue;
          if (!rule.allowActions.some((m) => m(action))) continue;
          matched = true;
          out.push(rule.allowRow);
        }
        if (!matched) {
          out.push(group.blanketDeny);
          continue;
        }
        for (const rule of group.rules) {
          if (
            rule.denyRow !== undefined &&
            rule.resource(resource) &&
            rule.allowActions.some((m) => m(action))
          ) {
            out.push(rule.denyRow);
          }
        }
      }
    }

    const start = out.length;
    rs.byResource.forEachMatch(resource, (byRole) => {
      for (const role of roles) {
        byRole.forEachMatch(role, (actions) => {
          actions.forEachMatch(action, (rows) => {
            for (const r of rows) out.push(r);
          });
        });
      }
    });
    if (out.length - start > 1) {
      const tail = out.splice(start).sort(bySeq);
      dedupeSorted(tail);
      for (const r of tail) out.push(r);
    }
    return out;
  }
}

/** Role policies narrow only where some rule of the scope (any action) applies to one of the roles. */
function hasRowsForRoles(rs: ResourceScope, resource: string, roles: readonly string[]): boolean {
  const resourceRule = rs.byResource.someMatch(resource, (byRole) =>
    roles.some((role) => byRole.someMatch(role, () => true)),
  );
  if (resourceRule) return true;
  for (const role of roles) {
    const group = rs.rolePolicies.get(role);
    if (group?.rules.some((r) => r.resource(resource))) return true;
  }
  return false;
}

function bySeq(a: RuleRow, b: RuleRow): number {
  return a.seq - b.seq;
}

function dedupeSorted(rows: RuleRow[]): void {
  let w = 1;
  for (let i = 1; i < rows.length; i++) {
    if (rows[i] !== rows[w - 1]) rows[w++] = rows[i] as RuleRow;
  }
  rows.length = w;
}
