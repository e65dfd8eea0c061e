// What a check needs from the rule table, per side of a request (resource policies, principal
// policies): the scopes to visit, the policy key, the derived roles to decide and, per action,
// the rows to evaluate. None of it depends on attributes, only on names in the request
// (version, kind, scope, roles; the principal's id), and the policy set is immutable, so plans
// are worked out on first use and remembered: the request path then costs a few map lookups
// per input and one per action instead of walking the pattern indexes.

import type {
  CompiledCondition,
  CompiledDerivedRole,
  CompiledExpr,
  CompiledParams,
  Effect,
  ScopePermissions,
} from "../compile/compiled-policy.ts";
import { principalPolicyKey, resourcePolicyKey, sanitizeName } from "../compile/policy-names.ts";
import { matchesGlob } from "../ruletable/glob.ts";
import type { RuleRow } from "../ruletable/rule-row.ts";
import type { RuleTable } from "../ruletable/rule-table.ts";
import { conditionTest, type ConditionTest } from "./condition-test.ts";
import type { ActionEffect } from "./types.ts";

/**
 * Request-derived keys are unbounded; so is a cache keyed by them unless capped. At most
 * PLAN_LIMIT plans per side, each remembering the rows of ACTION_LIMIT actions.
 */
const PLAN_LIMIT = 1024;
const ACTION_LIMIT = 64;
/** How many recently asked actions a resource plan finds without a map lookup. */
const RECENT_ACTIONS = 8;

/**
 * A rule table row as checks read it. Rows come in many shapes (with or without a condition,
 * outputs, a derived role); a check reads the same fields of every row, and reads of one
 * class with every field present stay fast where reads across many shapes do not.
 */
export class PlanRow {
  readonly row: RuleRow;
  readonly evaluationKey: number;
  /** The rule's condition, ready to run. */
  readonly conditionTest: ConditionTest | undefined;
  readonly params: CompiledParams | undefined;
  readonly derivedRole: CompiledDerivedRole | undefined;
  /** The derived role's condition, ready to run. */
  readonly derivedRoleTest: ConditionTest | undefined;
  /** No condition and no derived role condition: the row always holds. */
  readonly unconditional: boolean;
  readonly effect: Effect | undefined;
  readonly fromRolePolicy: boolean;
  readonly noMatchForScopePermissions: boolean;
  readonly ruleActivated: CompiledExpr | undefined;
  readonly conditionNotMet: CompiledExpr | undefined;
  /** The params whose variables are worked out whenever the row is visited, if any. */
  readonly visitParams: CompiledParams | undefined;

  constructor(row: RuleRow) {
    const rule = row.rule;
    this.row = row;
    this.evaluationKey = row.evaluationKey;
    this.conditionTest = rule.condition && conditionTest(rule.condition);
    this.params = rule.params;
    this.derivedRole = row.derivedRole;
    this.derivedRoleTest = row.derivedRole?.condition && conditionTest(row.derivedRole.condition);
    this.unconditional = rule.condition === undefined && row.derivedRole?.condition === undefined;
    this.effect = rule.effect;
    this.fromRolePolicy = rule.fromRolePolicy;
    this.noMatchForScopePermissions = rule.noMatchForScopePermissions;
    this.ruleActivated = rule.output?.ruleActivated;
    this.conditionNotMet = rule.output?.conditionNotMet;
    // A rule's variables are worked out whenever the rule is visited (errors included); a role
    // policy rule's only when its condition is (as cerbos 0.55 does).
    this.visitParams =
      !rule.fromRolePolicy && rule.params !== undefined && rule.params.variables.length > 0
        ? rule.params
        : undefined;
  }
}

/** A policy's ALLOW and DENY without a scope, as responses state them. */
export interface SharedDecisions {
  readonly allow: ActionEffect;
  readonly deny: ActionEffect;
}

function sharedDecisions(policy: string): SharedDecisions {
  return Object.freeze({
    allow: Object.freeze({ effect: "EFFECT_ALLOW", policy }),
    deny: Object.freeze({ effect: "EFFECT_DENY", policy }),
  });
}

/** One PlanRow per rule table row, shared by every plan that reaches it. */
const planRows = new WeakMap<RuleRow, PlanRow>();

/** Most (role, scope, action) combinations have no rows: they share this. */
const NO_ROWS: readonly PlanRow[] = [];

function planRowsOf(rows: readonly RuleRow[]): readonly PlanRow[] {
  if (rows.length === 0) return NO_ROWS;
  return rows.map((row) => {
    let p = planRows.get(row);
    if (p === undefined) {
      p = new PlanRow(row);
      planRows.set(row, p);
    }
    return p;
  });
}

/**
 * Whether a derived role's up-front result can stand for its evaluation as a rule's derived
 * role: it has no variables (the two evaluations see failed variables differently) and its
 * condition does not read `runtime` (which changes between the two).
 */
function isReusable(dr: CompiledDerivedRole): boolean {
  return dr.params.variables.length === 0 && !readsRuntime(dr.condition);
}

function readsRuntime(c: CompiledCondition | undefined): boolean {
  if (c === undefined) return false;
  if (c.op === "expr") return c.expr.program.references.some((path) => path[0] === "runtime");
  return c.of.some(readsRuntime);
}

/** The resource-policy side of a check for one (version, kind, scope, roles). */
export class ResourcePlan {
  /** Scopes to consult, nearest first. */
  readonly scopes: readonly string[];
  /** The policy named in decisions (empty when no scope has resource policies). */
  readonly policyKey: string;
  /** The decisions naming `policyKey` and no scope, shared by every check (frozen). */
  readonly decisions: SharedDecisions;
  /** Whether any consulted scope has a resource policy (or role policy) for the kind. */
  readonly exists: boolean;
  /** Per consulted scope: derived roles of the scope's policy whose parent roles the principal has. */
  readonly derivedRoles: readonly (readonly CompiledDerivedRole[])[];
  /** Per consulted scope, per derived role: whether rules may reuse its up-front result. */
  readonly reusableDerivedRoles: readonly (readonly boolean[])[];
  /** Per consulted scope, per derived role: its condition, ready to run. */
  readonly derivedRoleTests: readonly (readonly (ConditionTest | undefined)[])[];
  /** Per consulted scope: its scope permissions. */
  readonly permissions: readonly (ScopePermissions | undefined)[];
  readonly #table: RuleTable;
  readonly #version: string;
  /** The request names this plan answers for (see PlanCache.resourcePlan). */
  readonly #requestKind: string;
  readonly #scope: string;
  readonly #roles: readonly string[];
  /** The sanitised kind, as the rule table is keyed. */
  readonly kind: string;
  /** Per role of the request: the role plus its ancestors from role policies. */
  readonly #parentRoles: readonly (readonly string[])[];
  /** action -> rows per (role index, scope index), flattened role-major. */
  readonly #rows = new Map<string, readonly (readonly PlanRow[])[]>();
  /** The last few actions looked up and their rows (replaced round-robin). */
  readonly #recentActions: string[] = [];
  readonly #recentRows: (readonly (readonly PlanRow[])[])[] = [];
  #nextRecent = 0;

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
    this.#requestKind = requestKind;
    this.#scope = scope;
    this.#roles = [...roles];
    this.kind = kind;
    this.scopes = table.scopesFor("RESOURCE", scope, lenient);
    this.policyKey =
      this.scopes.length > 0
        ? resourcePolicyKey(requestKind, version, this.scopes[0] as string)
        : "";
    this.decisions = sharedDecisions(this.policyKey);
    this.exists = table.resourceExists(version, kind, this.scopes);
    this.permissions = this.scopes.map((s) => table.scopePermissions(s));
    this.#parentRoles = roles.map((role) => table.withParentRoles(scope, [role]));
    const including = new Set(table.withParentRoles(scope, roles));
    this.derivedRoles = this.scopes.map((s) =>
      (table.derivedRoles(version, s, kind) ?? []).filter((dr) =>
        rolesIntersect(dr.parentRoles, including),
      ),
    );
    this.reusableDerivedRoles = this.derivedRoles.map((drs) => drs.map(isReusable));
    this.derivedRoleTests = this.derivedRoles.map((drs) =>
      drs.map((dr) => dr.condition && conditionTest(dr.condition)),
    );
  }

  /** Whether this plan is the one for these request names. */
  answers(version: string, requestKind: string, scope: string, roles: readonly string[]): boolean {
    if (
      this.#version !== version ||
      this.#requestKind !== requestKind ||
      this.#scope !== scope ||
      this.#roles.length !== roles.length
    )
      return false;
    for (let i = 0; i < roles.length; i++) if (this.#roles[i] !== roles[i]) return false;
    return true;
  }

  /**
   * Rows of the resource policies for `action`: those of role `r` in scope `s` at
   * `r * scopes.length + s`.
   */
  rowsFor(action: string): readonly (readonly PlanRow[])[] {
    // The actions asked for most recently, searched first: comparing a few short strings is
    // cheaper than hashing one.
    const recent = this.#recentActions;
    for (let i = 0; i < recent.length; i++)
      if (recent[i] === action) return this.#recentRows[i] as readonly (readonly PlanRow[])[];
    let perAction = this.#rows.get(action);
    if (perAction === undefined) {
      perAction = this.#query(action);
      if (this.#rows.size < ACTION_LIMIT) this.#rows.set(action, perAction);
    }
    if (recent.length < RECENT_ACTIONS) {
      recent.push(action);
      this.#recentRows.push(perAction);
    } else {
      const at = this.#nextRecent;
      recent[at] = action;
      this.#recentRows[at] = perAction;
      this.#nextRecent = (at + 1) % RECENT_ACTIONS;
    }
    return perAction;
  }

  #query(action: string): readonly (readonly PlanRow[])[] {
    const out: (readonly PlanRow[])[] = [];
    for (const parentRoles of this.#parentRoles) {
      for (const scope of this.scopes) {
        out.push(
          planRowsOf(
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
  /** The decisions naming `policyKey` and no scope, shared by every check (frozen). */
  readonly decisions: SharedDecisions;
  /** Whether any consulted scope has a principal policy (of any principal, as in Cerbos). */
  readonly exists: boolean;
  /** Per consulted scope: its scope permissions. */
  readonly permissions: readonly (ScopePermissions | undefined)[];
  readonly #table: RuleTable;
  readonly #principalId: string;
  readonly #resourceVersion: string;
  readonly #kind: string;
  /** action -> rows per scope index. */
  readonly #rows = new Map<string, readonly (readonly PlanRow[])[]>();

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
    this.decisions = sharedDecisions(this.policyKey);
    this.exists = this.scopes.length > 0 && table.principalExists(version, this.scopes);
    this.permissions = this.scopes.map((s) => table.scopePermissions(s));
  }

  /** Rows of the principal's policies for `action`, those of scope `s` at `s`. */
  rowsFor(action: string): readonly (readonly PlanRow[])[] {
    let perAction = this.#rows.get(action);
    if (perAction === undefined) {
      perAction = this.scopes.map((scope) =>
        planRowsOf(
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
    return perAction;
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
  /** The last resource plan handed out: consecutive checks often share one. */
  #lastResourcePlan: ResourcePlan | undefined;

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
    const last = this.#lastResourcePlan;
    if (last !== undefined && last.answers(version, requestKind, scope, roles)) return last;
    let node = this.#resources.root().child(version).child(requestKind).child(scope);
    for (const role of roles) node = node.child(role);
    const plan =
      node.plan ??
      this.#resources.set(
        node,
        new ResourcePlan(this.#table, version, requestKind, scope, this.#lenient, roles),
      );
    this.#lastResourcePlan = plan;
    return plan;
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
