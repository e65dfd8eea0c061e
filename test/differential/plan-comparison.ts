// Puts Cerbos's PlanResources answer (HTTP JSON) and Gatehouse's PlanOutput (engine.plan) in one
// shape, finds where they differ, and names each difference so that thousands of mismatches
// group into a few categories a reader can act on: a wrong filter kind, the first node of the
// condition tree that differs (operator, operand shape, variable, value), a filterDebug string
// that differs while the trees agree, different matched scopes, or an exception.

import { isDeepStrictEqual } from "node:util";
import type { PlanOutput } from "../../src/authz/planner/types.ts";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** What is compared of a plan. */
export interface PlanView {
  /** `{ kind, condition? }` as Cerbos's JSON API spells it. */
  readonly filter: Json;
  readonly filterDebug: string;
  readonly matchedScopes: Readonly<Record<string, string>>;
}

/** A plan, or why there is none. */
export type PlanAnswer =
  { readonly ok: true; readonly view: PlanView } | { readonly ok: false; readonly error: string };

const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);
/** A string field as text, anything else as JSON. */
const text = (x: unknown): string => (typeof x === "string" ? x : JSON.stringify(x));

/** A JSON copy: bigints become numbers, undefined fields go, keys are sorted. */
export function toJson(v: unknown): Json {
  if (typeof v === "bigint") return Number(v);
  if (v === null || typeof v === "boolean" || typeof v === "number" || typeof v === "string")
    return v;
  if (Array.isArray(v)) return v.map(toJson);
  if (isObj(v)) {
    const out: { [k: string]: Json } = {};
    for (const k of Object.keys(v).sort()) {
      const x = v[k];
      if (x !== undefined && typeof x !== "function") out[k] = toJson(x);
    }
    return out;
  }
  return null;
}

const scopesOf = (x: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (isObj(x)) for (const [k, v] of Object.entries(x)) out[k] = typeof v === "string" ? v : "";
  return out;
};

/** protojson leaves an empty repeated field out: put back the `operands: []` it stands for. */
function withOperands(v: Json): Json {
  if (Array.isArray(v)) return v.map(withOperands);
  if (v === null || typeof v !== "object") return v;
  const out: { [k: string]: Json } = {};
  for (const [k, x] of Object.entries(v)) out[k] = withOperands(x);
  if (typeof out["operator"] === "string" && !("operands" in out)) out["operands"] = [];
  return toJson(out);
}

/** Cerbos's HTTP answer: a plan when it answered 200. */
export function cerbosAnswer(status: number, body: Record<string, unknown>): PlanAnswer {
  if (status !== 200) {
    const message = typeof body["message"] === "string" ? body["message"] : JSON.stringify(body);
    const cause = typeof body["cause"] === "string" ? `: ${body["cause"]}` : "";
    return { ok: false, error: `HTTP ${status}: ${message}${cause}` };
  }
  const meta = isObj(body["meta"]) ? body["meta"] : {};
  return {
    ok: true,
    view: {
      filter: withOperands(toJson(body["filter"] ?? null)),
      filterDebug: typeof meta["filterDebug"] === "string" ? meta["filterDebug"] : "",
      matchedScopes: scopesOf(meta["matchedScopes"]),
    },
  };
}

/** Gatehouse's answer, or the exception engine.plan threw. */
export function gatehouseAnswer(plan: () => PlanOutput): PlanAnswer {
  let out: PlanOutput;
  try {
    out = plan();
  } catch (e) {
    return { ok: false, error: `throws ${e instanceof Error ? e.message : String(e)}` };
  }
  return {
    ok: true,
    view: {
      filter: toJson(out.filter),
      filterDebug: out.filterDebug,
      matchedScopes: scopesOf(out.matchedScopes),
    },
  };
}

/** One difference: a category to group by and the lines that show it. */
export interface PlanDifference {
  /** Which of filter.kind, filter.condition, filterDebug, matchedScopes, answer differ. */
  readonly fields: readonly string[];
  /** Shared by differences of the same kind, e.g. `condition: cerbos (in ...) vs gatehouse (eq ...)`. */
  readonly category: string;
  /** Both sides, readable. */
  readonly detail: string;
}

/** The tree with the operands of the given operators in a fixed order. */
export function unordered(v: unknown, operators: ReadonlySet<string>): unknown {
  if (Array.isArray(v)) return v.map((x) => unordered(x, operators));
  if (!isObj(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = unordered(x, operators);
  const operator = out["operator"];
  const operands = out["operands"];
  if (typeof operator === "string" && operators.has(operator) && Array.isArray(operands))
    out["operands"] = (operands as unknown[])
      .slice()
      .sort((a, b) =>
        JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0,
      );
  return out;
}

/** Node summary for categories: the operator, `variable`, or `value:<type>`. */
function nodeShape(op: Json | undefined): string {
  if (!isObj(op)) return op === undefined ? "(nothing)" : `(${typeof op})`;
  if ("expression" in op && isObj(op["expression"])) {
    const e = op["expression"];
    const n = Array.isArray(e["operands"]) ? e["operands"].length : 0;
    return `(${text(e["operator"])}/${n})`;
  }
  if ("variable" in op) return "variable";
  if ("value" in op) {
    const v = op["value"];
    return `value:${v === null ? "null" : Array.isArray(v) ? "list" : typeof v}`;
  }
  return `{${Object.keys(op).join(",")}}`;
}

/** Variables with attribute names generalised, so `R.attr.a` and `R.attr.b` group together. */
const generalVariable = (name: string): string =>
  name.replace(/\.attr\.[\w-]+/gu, ".attr.*").replace(/\.attr\.\*(\.[\w-]+)+/gu, ".attr.*.*");

/** The first place two operand trees differ (pre-order), as a path and both sides. */
export function firstDifference(
  c: Json | undefined,
  g: Json | undefined,
  path: string,
):
  | { path: string; cerbos: Json | undefined; gatehouse: Json | undefined; category: string }
  | undefined {
  if (isDeepStrictEqual(c, g)) return undefined;
  const here = (
    category: string,
  ): {
    path: string;
    cerbos: Json | undefined;
    gatehouse: Json | undefined;
    category: string;
  } => ({ path, cerbos: c, gatehouse: g, category });
  if (!isObj(c) || !isObj(g)) return here(`cerbos ${nodeShape(c)} vs gatehouse ${nodeShape(g)}`);
  const ce = c["expression"];
  const ge = g["expression"];
  if (isObj(ce) && isObj(ge)) {
    if (ce["operator"] !== ge["operator"])
      return here(`operator: cerbos ${nodeShape(c)} vs gatehouse ${nodeShape(g)}`);
    const co = Array.isArray(ce["operands"]) ? ce["operands"] : [];
    const go = Array.isArray(ge["operands"]) ? ge["operands"] : [];
    const op = text(ce["operator"]);
    if (co.length !== go.length)
      return here(`operand count of ${op}: cerbos ${co.length} vs gatehouse ${go.length}`);
    // an and/or whose operands are the same set in another order
    if ((op === "and" || op === "or") && sameMultiset(co, go))
      return here(`operand order of ${op}`);
    for (let i = 0; i < co.length; i++) {
      const d = firstDifference(co[i], go[i], `${path}${op}[${i}].`);
      if (d) return d;
    }
    return here(`expression ${op}: other fields`);
  }
  if ("variable" in c && "variable" in g)
    return here(
      `variable: cerbos ${generalVariable(text(c["variable"]))} vs gatehouse ${generalVariable(text(g["variable"]))}`,
    );
  if ("value" in c && "value" in g) {
    const [cs, gs] = [nodeShape(c), nodeShape(g)];
    return here(cs === gs ? `${cs} differs` : `value type: cerbos ${cs} vs gatehouse ${gs}`);
  }
  return here(`operand kind: cerbos ${nodeShape(c)} vs gatehouse ${nodeShape(g)}`);
}

function sameMultiset(a: readonly Json[], b: readonly Json[]): boolean {
  const key = (x: Json): string => JSON.stringify(x);
  const sa = a.map(key).sort();
  const sb = b.map(key).sort();
  return isDeepStrictEqual(sa, sb);
}

/** Compact JSON, cut at 400 characters: the filterDebug lines above show the whole trees. */
const oneLine = (v: Json | undefined): string => {
  const s = v === undefined ? "(nothing)" : JSON.stringify(v);
  return s.length > 400 ? `${s.slice(0, 400)}…` : s;
};

/** Exception messages with the request's own words taken out, so equal causes group together. */
const generalError = (message: string): string =>
  (message.split("\n")[0] ?? "")
    .replace(/`[^`]*`/gu, "`…`")
    .replace(/"[^"]*"/gu, '"…"')
    .replace(/\([^()]*\)/gu, "(…)")
    .slice(0, 140);

/** How the answers differ, or undefined when they agree. */
export function comparePlans(
  cerbos: PlanAnswer,
  gatehouse: PlanAnswer,
): PlanDifference | undefined {
  if (!cerbos.ok || !gatehouse.ok) {
    if (!cerbos.ok && !gatehouse.ok) return undefined;
    const category = !gatehouse.ok
      ? `gatehouse ${generalError(gatehouse.error)}`
      : `cerbos refuses (${generalError(cerbos.ok ? "" : cerbos.error)}), gatehouse plans`;
    return {
      fields: ["answer"],
      category,
      detail: `  cerbos:    ${cerbos.ok ? cerbos.view.filterDebug : cerbos.error}\n  gatehouse: ${gatehouse.ok ? gatehouse.view.filterDebug : gatehouse.error}`,
    };
  }
  const c = cerbos.view;
  const g = gatehouse.view;
  const cf = isObj(c.filter) ? c.filter : {};
  const gf = isObj(g.filter) ? g.filter : {};
  const fields: string[] = [];
  if (cf["kind"] !== gf["kind"]) fields.push("filter.kind");
  if (!isDeepStrictEqual(cf["condition"], gf["condition"])) fields.push("filter.condition");
  if (c.filterDebug !== g.filterDebug) fields.push("filterDebug");
  if (!isDeepStrictEqual(toJson(c.matchedScopes), toJson(g.matchedScopes)))
    fields.push("matchedScopes");
  if (fields.length === 0) return undefined;

  const lines = [`  cerbos:    ${c.filterDebug}`, `  gatehouse: ${g.filterDebug}`];
  let category: string;
  if (fields.includes("filter.kind")) {
    const short = (k: unknown): string => String(k).replace(/^KIND_/u, "");
    category = `filter kind: cerbos ${short(cf["kind"])} vs gatehouse ${short(gf["kind"])}`;
  } else if (fields.includes("filter.condition")) {
    // struct fields come in Go's map order on the Cerbos side: look past that to the real difference
    const structs = new Set(["struct"]);
    const d =
      firstDifference(
        unordered(cf["condition"], structs) as Json,
        unordered(gf["condition"], structs) as Json,
        "",
      ) ?? firstDifference(cf["condition"], gf["condition"], "");
    category = `condition ${d?.category ?? "differs"}`;
    if (d) {
      lines.push(
        `  first difference at ${d.path === "" ? "the root" : d.path.replace(/\.$/u, "")}:`,
      );
      lines.push(`    cerbos:    ${oneLine(d.cerbos)}`);
      lines.push(`    gatehouse: ${oneLine(d.gatehouse)}`);
    }
  } else if (fields.includes("filterDebug")) {
    category = "filterDebug only (the filter trees agree)";
  } else {
    category = "matchedScopes only";
  }
  if (fields.includes("matchedScopes")) {
    lines.push(
      `  matchedScopes: cerbos ${JSON.stringify(c.matchedScopes)}, gatehouse ${JSON.stringify(g.matchedScopes)}`,
    );
  }
  return { fields, category, detail: lines.join("\n") };
}
