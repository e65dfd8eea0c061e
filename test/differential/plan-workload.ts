// The PlanResources requests of the plan differential test. From Cerbos's engine test store
// (testdata/store): every principal of the engine cases (testdata/engine inputs), every resource
// kind with each version and scope its policies name, and every action those policies name for
// the kind (literally, globs included, no expansion) plus one no rule names. From generated policy
// sets (policy-set-generator.ts): the principals, resources and actions of generated requests,
// with the resource attributes sometimes known and sometimes not.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import type { Principal } from "../../src/authz/engine/types.ts";
import type { PlanInput } from "../../src/authz/planner/types.ts";
import type { JsonValue } from "../../src/authz/policy/model.ts";
import { testdata } from "../support/reference.ts";
import type { GeneratedPolicySet } from "./policy-set-generator.ts";
import type { GeneratedRequest } from "./request-generator.ts";

/** One plan request and how to name it in a report. */
export interface PlanCase {
  /** Unique within a run; also the request id. */
  readonly id: string;
  /** `john[employee] v20210210 -> leave_request@default/acme.hr: view`, for people. */
  readonly label: string;
  readonly input: PlanInput;
  /** What Cerbos gets as `auxData` (a signed token) when `input.auxData` holds decoded claims. */
  readonly cerbosAuxData?: Record<string, unknown>;
}

/** The same JWT claims for both sides: decoded for Gatehouse, signed for Cerbos. */
export interface PlanAuxData {
  readonly gatehouse: NonNullable<PlanInput["auxData"]>;
  readonly cerbos: Record<string, unknown>;
}

/** An action no policy of the store or of a generated set names. */
export const UNNAMED_ACTION = "unnamed_action_x";

/** Where a resource policy (or a rule naming the kind) lives: kind, version, scope. */
export interface ResourceTarget {
  readonly kind: string;
  readonly version: string;
  readonly scope: string;
}

export interface PolicyFile {
  readonly file: string;
  readonly text: string;
}

/** What the store names: its policies' targets and actions per kind. */
export interface StoreCatalogue {
  readonly targets: readonly ResourceTarget[];
  /** Sorted, with UNNAMED_ACTION last. */
  readonly actionsByKind: ReadonlyMap<string, readonly string[]>;
}

type Doc = Record<string, unknown>;
const isDoc = (x: unknown): x is Doc => typeof x === "object" && x !== null && !Array.isArray(x);
const docs = (x: unknown): Doc[] => (Array.isArray(x) ? x.filter(isDoc) : []);
const str = (x: unknown, fallback = ""): string => (typeof x === "string" ? x : fallback);
const strings = (x: unknown): string[] =>
  Array.isArray(x) ? x.filter((s): s is string => typeof s === "string") : [];

/** Reads the targets and actions of a set of policy texts (one YAML or JSON document each). */
export function catalogue(files: readonly PolicyFile[]): StoreCatalogue {
  const targets = new Map<string, ResourceTarget>();
  const addTarget = (kind: string, version: string, scope: string): void => {
    if (kind === "" || kind.includes("*")) return;
    const t = { kind, version: version === "" ? "default" : version, scope };
    targets.set(JSON.stringify(t), t);
  };
  const actions = new Map<string, Set<string>>();
  const wildcardActions = new Set<string>();
  const addActions = (kind: string, names: readonly string[]): void => {
    if (kind === "*") {
      for (const n of names) wildcardActions.add(n);
      return;
    }
    const set = actions.get(kind) ?? new Set<string>();
    for (const n of names) set.add(n);
    actions.set(kind, set);
  };
  for (const f of files) {
    let doc: unknown;
    try {
      doc = parse(f.text);
    } catch {
      continue;
    }
    if (!isDoc(doc)) continue;
    const rp = doc["resourcePolicy"];
    if (isDoc(rp)) {
      const kind = str(rp["resource"]);
      addTarget(kind, str(rp["version"]), str(rp["scope"]));
      addActions(
        kind,
        docs(rp["rules"]).flatMap((r) => strings(r["actions"])),
      );
    }
    const pp = doc["principalPolicy"];
    if (isDoc(pp)) {
      for (const rule of docs(pp["rules"])) {
        const kind = str(rule["resource"]);
        addTarget(kind, str(pp["version"]), str(pp["scope"]));
        addActions(
          kind,
          docs(rule["actions"]).map((a) => str(a["action"])),
        );
      }
    }
    const rolePolicy = doc["rolePolicy"];
    if (isDoc(rolePolicy)) {
      for (const rule of docs(rolePolicy["rules"])) {
        const kind = str(rule["resource"]);
        addTarget(kind, "default", str(rolePolicy["scope"]));
        addActions(kind, strings(rule["allowActions"]));
      }
    }
  }
  const sortedTargets = [...targets.values()].sort((a, b) =>
    `${a.kind}\0${a.version}\0${a.scope}` < `${b.kind}\0${b.version}\0${b.scope}` ? -1 : 1,
  );
  const actionsByKind = new Map<string, readonly string[]>();
  for (const t of sortedTargets) {
    if (actionsByKind.has(t.kind)) continue;
    const names = new Set([...(actions.get(t.kind) ?? []), ...wildcardActions]);
    names.delete("");
    actionsByKind.set(t.kind, [...[...names].sort(), UNNAMED_ACTION]);
  }
  return { targets: sortedTargets, actionsByKind };
}

/** The distinct principals of Cerbos's engine cases, in the order they first appear. */
export function engineCasePrincipals(): Principal[] {
  const seen = new Map<string, Principal>();
  for (const input of engineCaseInputs()) {
    const p = input.principal;
    seen.set(JSON.stringify(p), p);
  }
  return [...seen.values()];
}

interface EngineCaseInput {
  readonly principal: Principal;
  readonly resource: {
    readonly kind: string;
    readonly id?: string;
    readonly attr?: Readonly<Record<string, JsonValue>>;
    readonly policyVersion?: string;
    readonly scope?: string;
  };
  readonly actions: readonly string[];
}

/** Every input of testdata/engine/case_*.yaml, in file order. */
export function engineCaseInputs(): (EngineCaseInput & { readonly file: string })[] {
  const dir = testdata("engine");
  const out: (EngineCaseInput & { file: string })[] = [];
  for (const f of readdirSync(dir)
    .filter((n) => /^case_.*\.ya?ml$/u.test(n))
    .sort()) {
    const tc = parse(readFileSync(join(dir, f), "utf8")) as { inputs?: EngineCaseInput[] };
    for (const input of tc.inputs ?? []) out.push({ ...input, file: f });
  }
  return out;
}

/** `john[employee] v20210210 @acme.hr`. */
export function principalLabel(p: Principal): string {
  const extra = [
    p.policyVersion !== undefined ? `v${p.policyVersion}` : "",
    p.scope !== undefined ? `@${JSON.stringify(p.scope)}` : "",
    p.attr !== undefined && Object.keys(p.attr).length > 0
      ? `attr{${Object.keys(p.attr).join(",")}}`
      : "",
  ].filter((s) => s !== "");
  return `${p.id}[${p.roles.join(",")}]${extra.length > 0 ? ` ${extra.join(" ")}` : ""}`;
}

export const targetLabel = (t: ResourceTarget): string =>
  `${t.kind}@${t.version}${t.scope === "" ? "" : `/${t.scope}`}`;

function planCase(
  id: string,
  label: string,
  principal: Principal,
  t: ResourceTarget,
  actions: readonly string[],
  attr?: Readonly<Record<string, JsonValue>>,
  aux?: PlanAuxData,
): PlanCase {
  return {
    id,
    label,
    input: {
      requestId: id,
      actions,
      principal,
      resource: {
        kind: t.kind,
        policyVersion: t.version,
        ...(t.scope !== "" ? { scope: t.scope } : {}),
        ...(attr !== undefined ? { attr } : {}),
      },
      ...(aux ? { auxData: aux.gatehouse } : {}),
    },
    ...(aux ? { cerbosAuxData: aux.cerbos } : {}),
  };
}

/** Every principal x target x action, one action per request, no resource attribute known. */
export function singleActionCases(
  principals: readonly Principal[],
  cat: StoreCatalogue,
  aux?: PlanAuxData,
): PlanCase[] {
  const out: PlanCase[] = [];
  principals.forEach((p, pi) => {
    for (const t of cat.targets) {
      for (const action of cat.actionsByKind.get(t.kind) ?? []) {
        const label = `#${pi} ${principalLabel(p)} -> ${targetLabel(t)}: ${action}`;
        out.push(planCase(`s-${pi}-${out.length}`, label, p, t, [action], undefined, aux));
      }
    }
  });
  return out;
}

/** How many actions Cerbos accepts in one plan request (its API validation). */
const maxActions = 20;

/** Every principal x target with all the kind's actions in one request (filters merged with AND). */
export function allActionsCases(
  principals: readonly Principal[],
  cat: StoreCatalogue,
  aux?: PlanAuxData,
): PlanCase[] {
  const out: PlanCase[] = [];
  principals.forEach((p, pi) => {
    for (const t of cat.targets) {
      const all = cat.actionsByKind.get(t.kind) ?? [];
      // the unnamed action would make every merged filter ALWAYS_DENIED: leave it out
      const named = all.filter((a) => a !== UNNAMED_ACTION);
      for (let k = 0; k < named.length; k += maxActions) {
        const actions = named.slice(k, k + maxActions);
        const label = `#${pi} ${principalLabel(p)} -> ${targetLabel(t)}: [${actions.join(",")}]`;
        out.push(planCase(`m-${pi}-${out.length}`, label, p, t, actions, undefined, aux));
      }
    }
  });
  return out;
}

/** Each engine case input as a plan: its principal, kind, version, scope, known attributes, actions. */
export function engineInputCases(): PlanCase[] {
  return engineCaseInputs().map((input, n) => {
    const t: ResourceTarget = {
      kind: input.resource.kind,
      version: input.resource.policyVersion ?? "default",
      scope: input.resource.scope ?? "",
    };
    const attr = input.resource.attr ?? {};
    const label = `${input.file} input ${n}: ${principalLabel(input.principal)} -> ${targetLabel(t)} attr{${Object.keys(attr).join(",")}}: [${input.actions.join(",")}]`;
    return planCase(`e-${n}`, label, input.principal, t, input.actions, attr);
  });
}

interface PlannerSuite {
  readonly principal: Principal;
  readonly tests: readonly {
    readonly action?: string;
    readonly actions?: readonly string[];
    readonly resource: {
      readonly kind: string;
      readonly policyVersion?: string;
      readonly scope?: string;
      readonly attr?: Readonly<Record<string, JsonValue>>;
    };
  }[];
}

/** Every suite of testdata/query_planner/suite (all folders), with its path. */
function plannerSuites(): { file: string; suite: PlannerSuite }[] {
  const root = testdata("query_planner", "suite");
  const out: { file: string; suite: PlannerSuite }[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      if (e.isDirectory()) walk(join(dir, e.name), `${rel}${e.name}/`);
      else if (/\.ya?ml$/u.test(e.name))
        out.push({
          file: `${rel}${e.name}`,
          suite: parse(readFileSync(join(dir, e.name), "utf8")) as PlannerSuite,
        });
    }
  };
  walk(root, "");
  return out;
}

/** The distinct principals of the query planner suites. */
export function plannerSuitePrincipals(): Principal[] {
  const seen = new Map<string, Principal>();
  for (const { suite } of plannerSuites())
    if (suite.principal !== undefined) seen.set(JSON.stringify(suite.principal), suite.principal);
  return [...seen.values()];
}

/** Each query planner suite test as a plan (its known attributes, scope and actions); no expectations. */
export function plannerSuiteCases(aux?: PlanAuxData): PlanCase[] {
  const out: PlanCase[] = [];
  for (const { file, suite } of plannerSuites()) {
    for (const test of suite.tests ?? []) {
      const actions = test.action !== undefined ? [test.action] : [...(test.actions ?? [])];
      const t: ResourceTarget = {
        kind: test.resource.kind,
        version: test.resource.policyVersion ?? "default",
        scope: test.resource.scope ?? "",
      };
      const label = `${file}: ${principalLabel(suite.principal)} -> ${targetLabel(t)}${test.resource.attr ? ` attr{${Object.keys(test.resource.attr).join(",")}}` : ""}: [${actions.join(",")}]`;
      out.push(
        planCase(`q-${out.length}`, label, suite.principal, t, actions, test.resource.attr, aux),
      );
    }
  }
  return out;
}

/**
 * Plans for a generated set's requests: each resource of each request, each action on its own
 * and all together; the resource's attributes unknown on even requests and known (as generated,
 * keys left out now and then) on odd ones; JWT claims (when generated) as auxData.
 */
export function generatedCases(
  set: GeneratedPolicySet,
  requests: readonly GeneratedRequest[],
  /** Turns a request's JWT claims into the auxData of both sides (requests without claims get none). */
  auxFor?: (claims: Readonly<Record<string, JsonValue>>) => PlanAuxData,
): PlanCase[] {
  const out: PlanCase[] = [];
  requests.forEach((req, n) => {
    const aux = req.jwtClaims && auxFor ? auxFor(req.jwtClaims) : undefined;
    for (const res of req.resources) {
      const t: ResourceTarget = {
        kind: res.resource.kind,
        version: res.resource.policyVersion ?? "default",
        scope: res.resource.scope ?? "",
      };
      const attr = n % 2 === 1 ? (res.resource.attr ?? {}) : undefined;
      const groups = [
        ...res.actions.map((a) => [a]),
        ...(res.actions.length > 1 ? [res.actions] : []),
      ];
      groups.push([UNNAMED_ACTION]);
      for (const actions of groups) {
        const label = `${set.prefix} ${req.requestId}: ${principalLabel(req.principal)} -> ${targetLabel(t)}${attr ? ` attr{${Object.keys(attr).join(",")}}` : ""}: [${actions.join(",")}]`;
        out.push(
          planCase(`${set.prefix}-${n}-${out.length}`, label, req.principal, t, actions, attr, aux),
        );
      }
    }
  });
  return out;
}

/** The Cerbos JSON API body of a plan: `includeMeta` on, so the answer carries filterDebug. */
export function cerbosPlanBody(c: PlanCase): Record<string, unknown> {
  const input = c.input;
  return {
    requestId: input.requestId,
    ...(input.action !== undefined ? { action: input.action } : { actions: input.actions }),
    principal: input.principal,
    resource: input.resource,
    ...(c.cerbosAuxData !== undefined ? { auxData: c.cerbosAuxData } : {}),
    includeMeta: true,
  };
}
