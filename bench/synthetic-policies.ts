// Synthetic policy repositories for the scale benchmarks. They are seeded, so every run writes
// the same text, and shaped like a large real repository, so loading and compiling them costs
// what such a repository would: resource policies that import derived roles, exported
// variables and constants and have local ones, conditions of every common kind (attribute
// comparisons, `in`, macros, regexes, timestamps, Cerbos functions) nested in all/any/none,
// deny rules and outputs, scoped overrides two levels deep, extra policy versions and principal
// policies. None of them names a resource kind or principal that the benchmark requests use,
// so a check that costs more with them loaded reveals a lookup that scales with the repository.

import { stringify } from "yaml";

export interface GeneratedPolicy {
  /** Path relative to the repository root, `/`-separated. */
  readonly file: string;
  readonly text: string;
}

/** Deterministic 32-bit generator (mulberry32): the same seed always gives the same policies. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Dice {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = seededRandom(seed);
  }
  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.#next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.#next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)] as T;
  }
  /** `n` distinct items in their original order. */
  sample<T>(items: readonly T[], n: number): T[] {
    const chosen = new Set<number>();
    while (chosen.size < Math.min(n, items.length)) chosen.add(this.int(0, items.length - 1));
    return [...chosen].sort((a, b) => a - b).map((i) => items[i] as T);
  }
}

// "document" and "alice" (the benchmark's request) appear in none of these lists.
const NOUNS = [
  "invoice",
  "expense_report",
  "purchase_order",
  "ticket",
  "contract",
  "project",
  "repository",
  "dataset",
  "report",
  "album",
  "calendar_event",
  "customer",
  "order",
  "shipment",
  "payroll",
  "asset",
  "campaign",
  "lead",
  "course",
  "patient_record",
] as const;
const ROLES = [
  "user",
  "employee",
  "manager",
  "contractor",
  "auditor",
  "finance",
  "hr",
  "support",
  "sales_rep",
  "engineer",
  "viewer",
  "editor",
  "admin",
] as const;
const ACTIONS = [
  "view",
  "view:summary",
  "view:details",
  "create",
  "edit",
  "delete",
  "approve",
  "reject",
  "archive",
  "export",
  "share",
  "comment",
] as const;
const DERIVED_ROLES = [
  "owner",
  "direct_manager",
  "same_department",
  "approver",
  "reviewer",
  "team_member",
  "regional_lead",
  "delegate",
  "creator",
  "on_call",
] as const;
const STATUSES = ["draft", "open", "pending", "approved", "rejected", "closed"] as const;
const WORDS = ["alpha", "beta", "gamma", "delta", "omega", "north", "south", "core", "edge"];
const CURRENCIES = ["EUR", "USD", "GBP", "JPY"] as const;

const quoted = (s: string): string => JSON.stringify(s);

/** What a condition may refer to besides the request: the names in scope where it is written. */
interface Scope {
  readonly variables: readonly string[];
  readonly constants: readonly string[];
}

function expression(d: Dice, scope: Scope): string {
  const templates: (() => string)[] = [
    () => "R.attr.owner == P.id",
    () => {
      const a = d.pick(["department", "region", "team"]);
      return `request.resource.attr.${a} == request.principal.attr.${a}`;
    },
    () => `P.attr.level >= ${d.int(1, 9)}`,
    () => `R.attr.status in [${d.sample(STATUSES, d.int(1, 3)).map(quoted).join(", ")}]`,
    () => `${quoted(d.pick(WORDS))} in R.attr.tags`,
    () => `R.attr.tags.exists(t, t.startsWith(${quoted(d.pick(WORDS))}))`,
    () => `size(R.attr.approvers) < ${d.int(2, 6)}`,
    () =>
      `R.attr.amount <= ${d.int(100, 100_000)} && R.attr.currency == ${quoted(d.pick(CURRENCIES))}`,
    () => `timestamp(R.attr.createdAt) > now() - duration("${d.int(1, 720)}h")`,
    () => `R.attr.name.startsWith(${quoted(d.pick(WORDS))})`,
    () => `R.attr.code.matches("^[A-Z]{${d.int(2, 4)}}-[0-9]{${d.int(3, 6)}}$")`,
    () => "hasIntersection(R.attr.groups, P.attr.groups)",
    () => "has(R.attr.archived) && !R.attr.archived",
    () => `P.attr.groups.all(g, g != ${quoted(d.pick(WORDS))})`,
    () => "R.attr.approvers.filter(a, a == P.id).size() > 0",
    () => `R.attr.classification != "secret" || "auditor" in P.roles`,
    () => "P.attr.regions.exists_one(x, x == R.attr.region)",
    () => `R.attr.owner in P.attr.delegates && P.attr.level > ${d.int(1, 5)}`,
  ];
  if (scope.variables.length > 0)
    templates.push(
      () => `V.${d.pick(scope.variables)}`,
      () => `!variables.${d.pick(scope.variables)}`,
    );
  if (scope.constants.length > 0)
    templates.push(() => `R.attr.amount < C.${d.pick(scope.constants)}`);
  return d.pick(templates)();
}

type Match =
  | { expr: string }
  | { all: { of: Match[] } }
  | { any: { of: Match[] } }
  | { none: { of: Match[] } };

function match(d: Dice, scope: Scope, depth = 0): Match {
  const roll = depth >= 2 ? 0 : d.int(0, 9);
  const several = (min: number, max: number): Match[] =>
    Array.from({ length: d.int(min, max) }, () => match(d, scope, depth + 1));
  if (roll <= 6) return { expr: expression(d, scope) };
  if (roll === 7) return { all: { of: several(2, 3) } };
  if (roll === 8) return { any: { of: several(2, 3) } };
  return { none: { of: several(1, 2) } };
}

const document = (body: Record<string, unknown>): string =>
  stringify({ apiVersion: "api.cerbos.dev/v1", ...body }, { lineWidth: 0 });

interface DerivedRoleSet {
  readonly name: string;
  readonly roles: readonly string[];
}

function derivedRoleSet(d: Dice, index: number): { set: DerivedRoleSet; text: string } {
  const name = `roles_${index}`;
  const roles = d.sample(DERIVED_ROLES, d.int(2, 4)).map((r) => `${r}_${index}`);
  const local: Record<string, string> = d.chance(0.2)
    ? { [`is_active_${index}`]: `R.attr.status != "closed"` }
    : {};
  const definitions = roles.map((role) => ({
    name: role,
    parentRoles: d.sample(ROLES, d.int(1, 2)),
    ...(d.chance(0.7)
      ? { condition: { match: match(d, { variables: Object.keys(local), constants: [] }, 1) } }
      : {}),
  }));
  return {
    set: { name, roles },
    text: document({
      derivedRoles: {
        name,
        ...(Object.keys(local).length > 0 ? { variables: { local } } : {}),
        definitions,
      },
    }),
  };
}

interface ExportedNames {
  readonly name: string;
  readonly names: readonly string[];
}

function exportVariables(d: Dice, index: number): { set: ExportedNames; text: string } {
  const name = `shared_variables_${index}`;
  const names = Array.from({ length: d.int(2, 4) }, (_, i) => `shared_${index}_${i}`);
  const definitions = Object.fromEntries(
    names.map((n) => [n, expression(d, { variables: [], constants: [] })]),
  );
  return { set: { name, names }, text: document({ exportVariables: { name, definitions } }) };
}

function exportConstants(d: Dice, index: number): { set: ExportedNames; text: string } {
  const name = `shared_constants_${index}`;
  const names = Array.from({ length: d.int(2, 4) }, (_, i) => `limit_${index}_${i}`);
  const definitions = Object.fromEntries(names.map((n) => [n, d.int(10, 50_000)]));
  return { set: { name, names }, text: document({ exportConstants: { name, definitions } }) };
}

interface Imports {
  readonly roleSets: readonly DerivedRoleSet[];
  readonly variableSets: readonly ExportedNames[];
  readonly constantSets: readonly ExportedNames[];
}

function resourcePolicy(
  d: Dice,
  kind: string,
  version: string,
  scope: string | undefined,
  imports: Imports,
): string {
  const roleSets = d.sample(imports.roleSets, d.chance(0.2) ? 0 : d.chance(0.1) ? 2 : 1);
  const variableSets = d.chance(0.2) ? [d.pick(imports.variableSets)] : [];
  const constantSets = d.chance(0.2) ? [d.pick(imports.constantSets)] : [];
  const local = Object.fromEntries(
    Array.from({ length: d.int(0, 2) }, (_, i) => [
      `${kind}_check_${i}`,
      expression(d, { variables: [], constants: [] }),
    ]),
  );
  const localConstants = d.chance(0.3) ? { [`${kind}_limit`]: d.int(100, 10_000) } : {};
  const names: Scope = {
    variables: [...Object.keys(local), ...variableSets.flatMap((s) => s.names)],
    constants: [...Object.keys(localConstants), ...constantSets.flatMap((s) => s.names)],
  };
  const derived = roleSets.flatMap((s) => s.roles);
  const rules = Array.from({ length: d.int(2, 6) }, (_, i) => {
    const byDerived = derived.length > 0 && d.chance(0.4);
    const deny = d.chance(0.15);
    return {
      ...(d.chance(0.6) ? { name: `rule_${i}` } : {}),
      actions: d.chance(0.05) ? ["*"] : d.sample(ACTIONS, d.int(1, 4)),
      ...(byDerived
        ? { derivedRoles: d.sample(derived, d.int(1, 2)) }
        : { roles: d.chance(0.1) ? ["*"] : d.sample(ROLES, d.int(1, 3)) }),
      effect: deny ? "EFFECT_DENY" : "EFFECT_ALLOW",
      ...(d.chance(deny ? 0.8 : 0.4) ? { condition: { match: match(d, names) } } : {}),
      ...(d.chance(0.1)
        ? { output: { when: { ruleActivated: `"${kind} " + R.id + " matched rule ${i}"` } } }
        : {}),
    };
  });
  return document({
    resourcePolicy: {
      resource: kind,
      version,
      ...(scope ? { scope } : {}),
      ...(roleSets.length > 0 ? { importDerivedRoles: roleSets.map((s) => s.name) } : {}),
      ...(constantSets.length > 0 || Object.keys(localConstants).length > 0
        ? {
            constants: {
              ...(constantSets.length > 0 ? { import: constantSets.map((s) => s.name) } : {}),
              local: localConstants,
            },
          }
        : {}),
      ...(variableSets.length > 0 || Object.keys(local).length > 0
        ? {
            variables: {
              ...(variableSets.length > 0 ? { import: variableSets.map((s) => s.name) } : {}),
              local,
            },
          }
        : {}),
      rules,
    },
  });
}

function principalPolicy(d: Dice, index: number, kinds: readonly string[]): string {
  const local = { [`own_${index}`]: "R.attr.owner == P.id" };
  // Cerbos rejects a principal policy that names a resource in two rules.
  const resources = [
    ...new Set(Array.from({ length: d.int(1, 4) }, () => (d.chance(0.1) ? "*" : d.pick(kinds)))),
  ];
  const rules = resources.map((resource) => ({
    resource,
    actions: d.sample(ACTIONS, d.int(1, 3)).map((action) => ({
      action,
      effect: d.chance(0.2) ? "EFFECT_DENY" : "EFFECT_ALLOW",
      ...(d.chance(0.5)
        ? { condition: { match: match(d, { variables: Object.keys(local), constants: [] }, 1) } }
        : {}),
    })),
  }));
  return document({
    principalPolicy: {
      principal: `user_${index}`,
      version: "default",
      variables: { local },
      rules,
    },
  });
}

/**
 * Exactly `count` policies (at least 100): about 3% derived role sets, 1% exported variables,
 * 0.5% exported constants, 4% principal policies, and resource policies for the rest, of which
 * about a fifth are scoped (`acme`, some also `acme.eu`) and a twentieth an extra version.
 */
export function generatePolicies(count: number, seed: number): GeneratedPolicy[] {
  if (count < 100) throw new RangeError(`count must be at least 100, got \`${count}\``);
  const d = new Dice(seed);
  const out: GeneratedPolicy[] = [];
  const roleSets: DerivedRoleSet[] = [];
  for (let i = 0; i < Math.round(count * 0.03); i++) {
    const { set, text } = derivedRoleSet(d, i);
    roleSets.push(set);
    out.push({ file: `derived_roles/${set.name}.yaml`, text });
  }
  const variableSets: ExportedNames[] = [];
  for (let i = 0; i < Math.round(count * 0.01); i++) {
    const { set, text } = exportVariables(d, i);
    variableSets.push(set);
    out.push({ file: `export_variables/${set.name}.yaml`, text });
  }
  const constantSets: ExportedNames[] = [];
  for (let i = 0; i < Math.round(count * 0.005); i++) {
    const { set, text } = exportConstants(d, i);
    constantSets.push(set);
    out.push({ file: `export_constants/${set.name}.yaml`, text });
  }
  const imports: Imports = { roleSets, variableSets, constantSets };
  const principals = Math.round(count * 0.04);
  const kinds: string[] = [];
  const resourceBudget = count - out.length - principals;
  let made = 0;
  const add = (kind: string, version: string, scope?: string): void => {
    if (made >= resourceBudget) return;
    const suffix = `${version === "default" ? "" : `_${version}`}${scope ? `_${scope}` : ""}`;
    out.push({
      file: `resource_policies/${kind}${suffix}.yaml`,
      text: resourcePolicy(d, kind, version, scope, imports),
    });
    made++;
  };
  for (let k = 0; made < resourceBudget; k++) {
    const kind = `${NOUNS[k % NOUNS.length] as string}_${k}`;
    kinds.push(kind);
    add(kind, "default");
    if (d.chance(0.2)) {
      add(kind, "default", "acme");
      if (d.chance(0.5)) add(kind, "default", "acme.eu");
    }
    if (d.chance(0.05)) add(kind, "v2");
  }
  for (let i = 0; i < principals; i++)
    out.push({ file: `principal_policies/user_${i}.yaml`, text: principalPolicy(d, i, kinds) });
  return out;
}
