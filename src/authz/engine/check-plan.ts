// What a check needs from the rule table, per side of a request (resource policies, principal
// policies): the scopes to visit, the policy key, the derived roles to decide and, per action,
// the rows to evaluate. None of it depends on attributes, only on names in the request
// (version, kind, scope, roles; the principal's id), and the policy set is immutable, so plans
// are worked out on first use and remembered: the request path then costs a few map lookups
// per input and one per action instead of walking the pattern indexes.

import type { CompiledDerivedRole } from "../compile/compiled-policy.ts";
import { principalPolicyKey, resourcePolicyKey, sanitizeName } from "../compile/policy-names.ts";
import { matchesGlob } from "../ruletable/glob.ts";
import type { RuleRow } from "../ruletable/rule-row.ts";
import type { RuleTable } from "../ruletable/rule-table.ts";

/**
 * Request-derived keys are unbounded; so is a cache keyed by them unless capped. At most
 * PLAN_LIMIT plans per side, each remembering the rows of ACTION_LIMIT actions.
 */
const PLAN_LIMIT = 1024;
const ACTION_LIMIT = 64;

/** Most (role, scope, action) combinations have no rows: they share this. */
const NO_ROWS: readonly RuleRow[] = Object.freeze([]);

function orShared(rows: readonly RuleRow[]): readonly RuleRow[] {
  return rows.length === 0 ? NO_ROWS : rows;
}

/** The resource-policy side of a check for one (version, kind, scope, roles). */
export class ResourcePlan {
  /** Scopes to consult, nearest first. */
  readonly scopes: readonly string[];
  /** The policy named in decisions (empty when no scope has resource policies). */
  readonly policyKey: string;
  /** Whether any consulted scope has a resource policy (or role policy) for the kind. */
  readonly exists: boolean;
  /** Per consulted scope: derived roles of the scope's policy whose parent roles the principal has. */
  readonly derivedRoles: readonly (readonly CompiledDerivedRole[])[];
  readonly #table: RuleTable;
  readonly #version: string;
  /** The sanitised kind, as the rule table is keyed. */
  readonly kind: string;
  /** Per role of the request: the role plus its ancestors from role policies. */
  readonly #parentRoles: readonly (readonly string[])[];
  /** action -> rows per (role index, scope index), flattened role-major. */
  readonly #rows = new Map<string, readonly (readonly RuleRow[])[]>();

  constructor(
    table: RuleTable,
    version: string,
    requestKind: string,
    scope: string,
    lenient: boolean,
    roles: readonly string[],
  ) {
    const kind = sanitizeName(requestKind);
    this.#table = table;
    this.#version = version;
    this.kind = kind;
    this.scopes = table.scopesFor("RESOURCE", scope, lenient);
    this.policyKey =
      this.scopes.length > 0
        ? resourcePolicyKey(requestKind, version, this.scopes[0] as string)
        : "";
    this.exists = table.resourceExists(version, kind, this.scopes);
    this.#parentRoles = roles.map((role) => table.withParentRoles(scope, [role]));
    const including = new Set(table.withParentRoles(scope, roles));
    this.derivedRoles = this.scopes.map((s) =>
      (table.derivedRoles(version, s, kind) ?? []).filter((dr) =>
        rolesIntersect(dr.parentRoles, including),
      ),
    );
  }

  /** Rows of the resource policies for `action`, role `roleIndex`, scope `scopeIndex`. */
  rows(action: string, roleIndex: number, scopeIndex: number): readonly RuleRow[] {
    let perAction = this.#rows.get(action);
    if (perAction === undefined) {
      perAction = this.#query(action);
      if (this.#rows.size < ACTION_LIMIT) this.#rows.set(action, perAction);
    }
    return perAction[roleIndex * this.scopes.length + scopeIndex] as readonly RuleRow[];
  }

  #query(action: string): readonly (readonly RuleRow[])[] {
    const out: (readonly RuleRow[])[] = [];
    for (const parentRoles of this.#parentRoles) {
      for (const scope of this.scopes) {
        out.push(
          orShared(
            this.#table.query(
              "RESOURCE",
              this.#version,
              this.kind,
              scope,
              action,
              parentRoles,
              "",
              [],
            ),
          ),
        );
      }
    }
    return out;
  }
}

/** The principal-policy side of a check for one principal, scope and resource kind. */
export class PrincipalPlan {
  /** Scopes to consult, nearest first (none when the set has no principal policies there). */
  readonly scopes: readonly string[];
  readonly policyKey: string;
  /** Whether any consulted scope has a principal policy (of any principal, as in Cerbos). */
  readonly exists: boolean;
  readonly #table: RuleTable;
  readonly #principalId: string;
  readonly #resourceVersion: string;
  readonly #kind: string;
  /** action -> rows per scope index. */
  readonly #rows = new Map<string, readonly (readonly RuleRow[])[]>();

  constructor(
    table: RuleTable,
    principalId: string,
    version: string,
    scope: string,
    lenient: boolean,
    resourceVersion: string,
    kind: string,
  ) {
    this.#table = table;
    this.#principalId = principalId;
    // Principal rules are looked up under the resource's version, as the engine always has.
    this.#resourceVersion = resourceVersion;
    this.#kind = kind;
    this.scopes = table.scopesFor("PRINCIPAL", scope, lenient);
    this.policyKey =
      this.scopes.length > 0
        ? principalPolicyKey(principalId, version, this.scopes[0] as string)
        : "";
    this.exists = this.scopes.length > 0 && table.principalExists(version, this.scopes);
  }

  /** Rows of the principal's policies for `action` in scope `scopeIndex`. */
  rows(action: string, scopeIndex: number): readonly RuleRow[] {
    let perAction = this.#rows.get(action);
    if (perAction === undefined) {
      perAction = this.scopes.map((scope) =>
        orShared(
          this.#table.query(
            "PRINCIPAL",
            this.#resourceVersion,
            this.#kind,
            scope,
            action,
            [], // principal rules apply to every role
            this.#principalId,
            [],
          ),
        ),
      );
      if (this.#rows.size < ACTION_LIMIT) this.#rows.set(action, perAction);
    }
    return perAction[scopeIndex] as readonly RuleRow[];
  }
}

/** One level of a plan cache: a request string per level, the plan where the path ends. */
class PlanNode<T> {
  readonly next = new Map<string, PlanNode<T>>();
  plan: T | undefined;

  child(key: string): PlanNode<T> {
    let node = this.next.get(key);
    if (node === undefined) {
      node = new PlanNode();
      this.next.set(key, node);
    }
    return node;
  }
}

/** Plans in a tree keyed by request strings in a fixed order; bounded. */
class PlanTree<T> {
  #root = new PlanNode<T>();
  #count = 0;

  /** The node for a path, starting afresh when the tree is full (keys come from requests). */
  root(): PlanNode<T> {
    if (this.#count >= PLAN_LIMIT) {
      this.#root = new PlanNode();
      this.#count = 0;
    }
    return this.#root;
  }

  set(node: PlanNode<T>, plan: T): T {
    node.plan = plan;
    this.#count++;
    return plan;
  }
}

/**
 * Remembers plans per engine, in trees keyed by the request's strings one level each (for
 * resources: version, kind, scope, then each role in order), so a lookup hashes the request's
 * own strings and builds no key.
 */
export class PlanCache {
  readonly #table: RuleTable;
  readonly #lenient: boolean;
  readonly #resources = new PlanTree<ResourcePlan>();
  readonly #principals = new PlanTree<PrincipalPlan>();
  /** Most policy sets have no principal policies: one shared empty plan then. */
  readonly #noPrincipalPolicies: PrincipalPlan | undefined;

  constructor(table: RuleTable, lenient: boolean) {
    this.#table = table;
    this.#lenient = lenient;
    if (!table.hasPrincipalPolicies())
      this.#noPrincipalPolicies = new PrincipalPlan(table, "", "", "", lenient, "", "");
  }

  resourcePlan(
    version: string,
    requestKind: string,
    scope: string,
    roles: readonly string[],
  ): ResourcePlan {
    let node = this.#resources.root().child(version).child(requestKind).child(scope);
    for (const role of roles) node = node.child(role);
    return (
      node.plan ??
      this.#resources.set(
        node,
        new ResourcePlan(this.#table, version, requestKind, scope, this.#lenient, roles),
      )
    );
  }

  /** `kind` is the sanitised kind (`ResourcePlan.kind`). */
  principalPlan(
    principalId: string,
    version: string,
    scope: string,
    resourceVersion: string,
    kind: string,
  ): PrincipalPlan {
    if (this.#noPrincipalPolicies !== undefined) return this.#noPrincipalPolicies;
    const node = this.#principals
      .root()
      .child(principalId)
      .child(version)
      .child(scope)
      .child(resourceVersion)
      .child(kind);
    return (
      node.plan ??
      this.#principals.set(
        node,
        new PrincipalPlan(
          this.#table,
          principalId,
          version,
          scope,
          this.#lenient,
          resourceVersion,
          kind,
        ),
      )
    );
  }
}

function rolesIntersect(parentRoles: readonly string[], roles: ReadonlySet<string>): boolean {
  for (const p of parentRoles) {
    if (p === "*" || roles.has(p)) return true;
    if (p.includes("*")) for (const r of roles) if (matchesGlob(p, r)) return true;
  }
  return false;
}
