// Expands a test table into concrete tests: every input principal x every input resource,
// each with its expected effects and outputs. Principal/resource names resolve against the
// suite first, then the shared fixtures of the suite's `testdata/` directory. Errors read as
// Cerbos's do, because authors see them in `compile` output.

import type { AuxData, Principal, Resource } from "../engine/types.ts";
import type { Effect, JsonValue } from "../policy/model.ts";
import type { Expectation, TestOptions, TestSuite, TestTable } from "./suite-model.ts";

/** Shared fixtures of one `testdata/` directory, already decoded and checked. */
export interface LoadedFixtures {
  readonly principals?: Readonly<Record<string, Principal>>;
  readonly principalGroups?: Readonly<Record<string, readonly string[]>>;
  readonly resources?: Readonly<Record<string, Resource>>;
  readonly resourceGroups?: Readonly<Record<string, readonly string[]>>;
  readonly auxData?: Readonly<Record<string, AuxData>>;
}

export interface ConcreteTest {
  readonly table: TestTable;
  readonly principalKey: string;
  readonly resourceKey: string;
  readonly principal: Principal;
  readonly resource: Resource;
  readonly auxData: AuxData | undefined;
  readonly actions: readonly string[];
  /** Expected effect per action; actions left out expect EFFECT_DENY. */
  readonly expected: ReadonlyMap<string, Effect>;
  /** Expected outputs per action, by output source. */
  readonly expectedOutputs: ReadonlyMap<string, ReadonlyMap<string, JsonValue>>;
  readonly options: TestOptions | undefined;
}

type Result<T> = { readonly value: T } | { readonly error: string };

const own = <T>(r: Readonly<Record<string, T>> | undefined, k: string): T | undefined =>
  r && Object.hasOwn(r, k) ? r[k] : undefined;

export class SuiteFixtures {
  readonly #suite: TestSuite;
  readonly #shared: LoadedFixtures | undefined;

  constructor(suite: TestSuite, shared: LoadedFixtures | undefined) {
    this.#suite = suite;
    this.#shared = shared;
  }

  principal(name: string): Result<Principal> {
    const p = own(this.#suite.principals, name) ?? own(this.#shared?.principals, name);
    return p ? { value: p } : { error: `principal "${name}" not found` };
  }

  resource(name: string): Result<Resource> {
    const r = own(this.#suite.resources, name) ?? own(this.#shared?.resources, name);
    return r ? { value: r } : { error: `resource "${name}" not found` };
  }

  auxData(name: string | undefined): Result<AuxData | undefined> {
    if (!name) return { value: undefined };
    const a = own(this.#suite.auxData, name) ?? own(this.#shared?.auxData, name);
    return a ? { value: a } : { error: `auxData "${name}" not found` };
  }

  principalGroup(name: string): Result<readonly string[]> {
    const g =
      own(this.#suite.principalGroups, name)?.principals ??
      own(this.#shared?.principalGroups, name);
    return g ? { value: g } : { error: `principal group "${name}" not found` };
  }

  resourceGroup(name: string): Result<readonly string[]> {
    const g =
      own(this.#suite.resourceGroups, name)?.resources ?? own(this.#shared?.resourceGroups, name);
    // Cerbos says "principal group" here too; kept so messages match.
    return g ? { value: g } : { error: `principal group "${name}" not found` };
  }
}

/** Checks that every member of every group exists; Cerbos reports the first that does not. */
export function checkGroups(
  groups: Readonly<Record<string, readonly string[]>>,
  exists: (name: string) => boolean,
): string | undefined {
  for (const [group, members] of Object.entries(groups)) {
    for (const m of members)
      if (!exists(m)) return `missing fixture "${m}" referenced in group "${group}"`;
  }
  return undefined;
}

function collect(
  single: string | undefined,
  names: readonly string[] | undefined,
  groups: readonly string[] | undefined,
  lookup: (g: string) => Result<readonly string[]>,
): Result<string[]> {
  const out = single ? [single] : [...(names ?? [])];
  const seen = new Set(out);
  for (const g of groups ?? []) {
    const members = lookup(g);
    if ("error" in members) return members;
    for (const m of members.value) {
      if (!seen.has(m)) {
        seen.add(m);
        out.push(m);
      }
    }
  }
  return { value: out };
}

interface Expectations {
  readonly actions: Map<string, Effect>;
  readonly outputs: Map<string, Map<string, JsonValue>>;
}

const keyOf = (p: string, r: string): string => JSON.stringify([p, r]);

function expectationLookup(table: TestTable, fx: SuiteFixtures): Result<Map<string, Expectations>> {
  const inputActions = new Set(table.input.actions);
  const lookup = new Map<string, Expectations>();
  for (const exp of table.expected) {
    const outputs = outputExpectations(exp);
    const unreachable = [...outputs.keys()].filter((a) => !inputActions.has(a));
    if (unreachable.length > 0) {
      return {
        error: `found output expectations for actions that are not in the input actions list: [${unreachable.join(",")}]`,
      };
    }
    const principals = collect(exp.principal, exp.principals, exp.principalGroups, (g) =>
      fx.principalGroup(g),
    );
    if ("error" in principals) return principals;
    const resources = collect(exp.resource, exp.resources, exp.resourceGroups, (g) =>
      fx.resourceGroup(g),
    );
    if ("error" in resources) return resources;
    for (const p of principals.value) {
      for (const r of resources.value) {
        const extra = Object.keys(exp.actions)
          .filter((a) => !inputActions.has(a))
          .sort();
        if (extra.length > 0) {
          return {
            error: `found expectations for actions that do not exist in the input actions list: [${extra.join(",")}]`,
          };
        }
        const key = keyOf(p, r);
        let target = lookup.get(key);
        if (!target) {
          target = {
            actions: new Map<string, Effect>(),
            outputs: new Map<string, Map<string, JsonValue>>(),
          };
          lookup.set(key, target);
        }
        for (const [action, effect] of Object.entries(exp.actions)) {
          const old = target.actions.get(action);
          if (old !== undefined && old !== effect) {
            return {
              error: `found inconsistent expectations for principal "${p}" performing action "${action}" on resource "${r}"`,
            };
          }
          target.actions.set(action, effect);
        }
        for (const [action, entries] of outputs) {
          let t = target.outputs.get(action);
          if (!t) target.outputs.set(action, (t = new Map<string, JsonValue>()));
          for (const [src, val] of entries) {
            if (t.has(src) && !jsonEqual(t.get(src)!, val)) {
              return {
                error: `found inconsistent expectations for output "${src}" from principal "${p}" performing action "${action}" on resource "${r}"`,
              };
            }
            t.set(src, val);
          }
        }
      }
    }
  }
  return { value: lookup };
}

function outputExpectations(exp: Expectation): Map<string, Map<string, JsonValue>> {
  const out = new Map<string, Map<string, JsonValue>>();
  for (const oe of exp.outputs ?? []) {
    const entries = new Map<string, JsonValue>();
    for (const e of oe.expected) entries.set(e.src, e.val ?? null);
    out.set(oe.action, entries);
  }
  return out;
}

/** Builds the concrete tests of one table, or the first problem found. */
export function buildTests(
  table: TestTable,
  suite: TestSuite,
  fx: SuiteFixtures,
): Result<ConcreteTest[]> {
  const lookup = expectationLookup(table, fx);
  if ("error" in lookup) return lookup;
  const principals = collect(undefined, table.input.principals, table.input.principalGroups, (g) =>
    fx.principalGroup(g),
  );
  if ("error" in principals) return principals;
  const resources = collect(undefined, table.input.resources, table.input.resourceGroups, (g) =>
    fx.resourceGroup(g),
  );
  if ("error" in resources) return resources;
  const remaining = new Map(lookup.value);
  const matrix: [string, string][] = [];
  for (const p of principals.value) {
    for (const r of resources.value) {
      matrix.push([p, r]);
      remaining.delete(keyOf(p, r));
    }
  }
  for (const key of remaining.keys()) {
    const [p, r] = JSON.parse(key) as [string, string];
    return {
      error: `found an expectation for principal "${p}" and resource "${r}", but at least one of these is not present in input`,
    };
  }
  const tests: ConcreteTest[] = [];
  for (const [p, r] of matrix) {
    const exp = lookup.value.get(keyOf(p, r));
    const principal = fx.principal(p);
    if ("error" in principal) return principal;
    const resource = fx.resource(r);
    if ("error" in resource) return resource;
    const auxData = fx.auxData(table.input.auxData);
    if ("error" in auxData) return auxData;
    tests.push({
      table,
      principalKey: p,
      resourceKey: r,
      principal: principal.value,
      resource: resource.value,
      auxData: auxData.value,
      actions: table.input.actions,
      expected: exp?.actions ?? new Map(),
      expectedOutputs: exp?.outputs ?? new Map(),
      options: table.options ?? suite.options,
    });
  }
  return { value: tests };
}

/** Structural equality of JSON values (protobuf Value equality: numbers as doubles). */
export function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]!));
  }
  const ao = a as { [k: string]: JsonValue };
  const bo = b as { [k: string]: JsonValue };
  const ak = Object.keys(ao);
  return (
    ak.length === Object.keys(bo).length &&
    ak.every((k) => Object.hasOwn(bo, k) && jsonEqual(ao[k]!, bo[k]!))
  );
}
