// Which tests a run executes: `--test-filter` (Cerbos syntax `suite=glob,glob;test=...;
// principal=...;resource=...;action=...`, several filters merge), plus the bundle-oriented
// exclusions Cerbos's runner supports (tests whose principal or resource would hit an excluded
// policy, and a test-name regular expression). A filtered-out test is reported as skipped.

import type { Principal, Resource } from "../engine/types.ts";
import type { TestOptions } from "./suite-model.ts";

export const skipReasons = {
  name: "Test name did not match the provided pattern",
  resource: "Resource matched a policy that was excluded from the bundle",
  principal: "Principal matched a policy that was excluded from the bundle",
  filterSuite: "Suite did not match the test filter",
  filterTest: "Test did not match the test filter",
  filterPrincipal: "Principal did not match the test filter",
  filterResource: "Resource did not match the test filter",
  filterAction: "No actions matched the test filter",
} as const;

const filterReasons: ReadonlySet<string> = new Set([
  skipReasons.filterSuite,
  skipReasons.filterTest,
  skipReasons.filterPrincipal,
  skipReasons.filterResource,
  skipReasons.filterAction,
]);

/** Skips caused by `--test-filter` are shown nowhere and counted nowhere, as in Cerbos. */
export function isFilterSkipReason(reason: string | undefined): boolean {
  return reason !== undefined && filterReasons.has(reason);
}

export interface TestFilter {
  readonly suite: readonly string[];
  readonly test: readonly string[];
  readonly principal: readonly string[];
  readonly resource: readonly string[];
  readonly action: readonly string[];
}

type Dimension = keyof TestFilter;
const dimensions: readonly Dimension[] = ["suite", "test", "principal", "resource", "action"];

/** Parses one `--test-filter` value; errors use Cerbos's wording. */
export function parseTestFilter(spec: string): { filter: TestFilter } | { error: string } {
  const out: Record<Dimension, string[]> = {
    suite: [],
    test: [],
    principal: [],
    resource: [],
    action: [],
  };
  for (const raw of spec.trim().split(";")) {
    const part = raw.trim();
    if (part === "") continue;
    const eq = part.indexOf("=");
    if (eq < 0)
      return {
        error: `invalid filter dimension format "${part}": expected 'dimension=glob1,glob2'`,
      };
    const name = part.slice(0, eq).trim().toLowerCase();
    if (!(dimensions as readonly string[]).includes(name)) {
      return {
        error: `unknown filter dimension "${part.slice(0, eq)}": valid dimensions are suite, test, principal, resource, action`,
      };
    }
    const globs = part
      .slice(eq + 1)
      .split(",")
      .map((g) => g.trim())
      .filter((g) => g !== "");
    out[name as Dimension].push(...globs);
  }
  if (dimensions.every((d) => out[d].length === 0)) {
    return { error: "filter must contain at least one glob pattern in at least one dimension" };
  }
  return { filter: out };
}

export function mergeTestFilters(filters: readonly TestFilter[]): TestFilter | undefined {
  if (filters.length === 0) return undefined;
  const out: Record<Dimension, string[]> = {
    suite: [],
    test: [],
    principal: [],
    resource: [],
    action: [],
  };
  for (const f of filters) for (const d of dimensions) out[d].push(...f[d]);
  return out;
}

/** Everything that decides whether a test runs. */
export interface TestSelection {
  readonly filter?: TestFilter;
  /** Cerbos's `IncludedTestNamesRegexp`: matched against `suite/<test name>`. */
  readonly includedTestNamesRegexp?: string;
  /** Policy FQNs (`cerbos.resource.kind.vversion/scope`) whose tests are skipped. */
  readonly excludedResourcePolicyFqns?: readonly string[];
  readonly excludedPrincipalPolicyFqns?: readonly string[];
}

export interface TestIdentity {
  readonly suite: string;
  readonly table: string;
  readonly principalKey: string;
  readonly resourceKey: string;
  readonly principal: Principal;
  readonly resource: Resource;
  readonly actions: readonly string[];
  readonly options: TestOptions | undefined;
  readonly skip: boolean;
  readonly skipReason: string | undefined;
}

export class CompiledSelection {
  readonly #sel: TestSelection;
  readonly #regexp: RegExp | undefined;
  readonly #globs = new Map<string, RegExp>();

  private constructor(sel: TestSelection, regexp: RegExp | undefined) {
    this.#sel = sel;
    this.#regexp = regexp;
  }

  static compile(sel: TestSelection): { selection: CompiledSelection } | { error: string } {
    let regexp: RegExp | undefined;
    if (sel.includedTestNamesRegexp) {
      try {
        regexp = new RegExp(sel.includedTestNamesRegexp, "u");
      } catch (e) {
        return { error: `invalid run specification: ${(e as Error).message}` };
      }
    }
    return { selection: new CompiledSelection(sel, regexp) };
  }

  /** The reason to skip the whole test, or undefined to run it. */
  skipReason(t: TestIdentity): string | undefined {
    const f = this.#sel.filter;
    // Go's %v of the TestName proto, which is what Cerbos matches the regexp against.
    const fullName = `${t.suite}/test_table_name:"${t.table}" principal_key:"${t.principalKey}" resource_key:"${t.resourceKey}"`;
    if (this.#regexp && !this.#regexp.test(fullName)) return skipReasons.name;
    const r = t.resource;
    const resourceFqn = (): string =>
      policyFqn("resource", r.kind, r.policyVersion, r.scope, t.options);
    if (isExcluded(this.#sel.excludedResourcePolicyFqns, resourceFqn)) return skipReasons.resource;
    const p = t.principal;
    const principalFqn = (): string =>
      policyFqn("principal", p.id, p.policyVersion, p.scope, t.options);
    if (isExcluded(this.#sel.excludedPrincipalPolicyFqns, principalFqn))
      return skipReasons.principal;
    if (f) {
      if (!this.#matches(f.suite, t.suite)) return skipReasons.filterSuite;
      if (!this.#matches(f.test, t.table)) return skipReasons.filterTest;
      if (!this.#matches(f.principal, t.principalKey)) return skipReasons.filterPrincipal;
      if (!this.#matches(f.resource, t.resourceKey)) return skipReasons.filterResource;
      if (f.action.length > 0 && !t.actions.some((a) => this.#matches(f.action, a)))
        return skipReasons.filterAction;
    }
    if (t.skip) return t.skipReason ?? "";
    return undefined;
  }

  /** Splits a test's actions into those the action filter keeps and those it drops. */
  partitionActions(actions: readonly string[]): { run: string[]; skipped: string[] } {
    const globs = this.#sel.filter?.action ?? [];
    if (globs.length === 0) return { run: [...actions], skipped: [] };
    const run: string[] = [];
    const skipped: string[] = [];
    for (const a of actions) (this.#matches(globs, a) ? run : skipped).push(a);
    return { run, skipped };
  }

  #matches(globs: readonly string[], value: string): boolean {
    if (globs.length === 0) return true;
    return globs.some((g) => {
      let re = this.#globs.get(g);
      if (!re) this.#globs.set(g, (re = globToRegExp(g)));
      return re.test(value);
    });
  }
}

/** Whether a policy is in an exclusion list; its name is worked out only when there is one. */
function isExcluded(fqns: readonly string[] | undefined, fqn: () => string): boolean {
  return fqns !== undefined && fqns.length > 0 && fqns.includes(fqn());
}

function policyFqn(
  kind: "resource" | "principal",
  name: string,
  version: string | undefined,
  scope: string | undefined,
  options: TestOptions | undefined,
): string {
  const v = version || options?.defaultPolicyVersion || "default";
  const s = (scope === "." ? "" : scope) || options?.defaultScope || "";
  return `cerbos.${kind}.${name}.v${v}${s ? `/${s}` : ""}`;
}

/**
 * Glob syntax of Cerbos's test filter (gobwas/glob with `:` as separator): `*` matches within
 * a `:`-separated segment, `**` across segments, `?` one character, `[abc]`/`[!a-z]` classes,
 * `{a,b}` alternatives.
 */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  let i = 0;
  let inAlt = 0;
  while (i < glob.length) {
    const c = glob[i]!;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        re += ".*";
        i += 2;
        continue;
      }
      re += "[^:]*";
    } else if (c === "?") re += "[^:]";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith("!")) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else if (c === "{") {
      inAlt++;
      re += "(?:";
    } else if (c === "}" && inAlt > 0) {
      inAlt--;
      re += ")";
    } else if (c === "," && inAlt > 0) re += "|";
    else if (c === "\\" && i + 1 < glob.length) {
      i++;
      re += escapeRegExp(glob[i]!);
    } else re += escapeRegExp(c);
    i++;
  }
  return new RegExp(`^${re}$`, "su");
}

function escapeRegExp(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}
