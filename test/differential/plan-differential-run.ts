// One plan comparison run: every case to the real Cerbos over HTTP (a few at a time) and to
// Gatehouse's engine.plan in-process (or to the Gatehouse server, comparing whole response
// bodies), each disagreement kept with both answers; then a report
// that groups disagreements by category (most frequent first), shows an example of each and the
// first few in full.

import { isDeepStrictEqual } from "node:util";
import type { Engine } from "../../src/authz/index.ts";
import type { PdpServer } from "../support/cerbos-server.ts";
import { cerbosAnswer, comparePlans, gatehouseAnswer, type PlanAnswer } from "./plan-comparison.ts";
import { knownPlanReason, type PlanMismatch } from "./plan-known-divergences.ts";
import { askPlan, mapPooled, type PlanHttpAnswer } from "./plan-oracle.ts";
import type { PlanCase } from "./plan-workload.ts";

export interface PlanRunOptions {
  /** Requests in flight at once. */
  readonly concurrency: number;
  /** How many more times Cerbos is asked when its answer differs from ours. */
  readonly retries: number;
}

export interface PlanRunResult {
  readonly cases: number;
  /** Cases where both answered the same (a plan, or both refused). */
  readonly agreed: number;
  /** Cases Cerbos refused (non-200), whatever Gatehouse did. */
  readonly cerbosRefused: number;
  /** Cases Cerbos refused and Gatehouse failed too (counted as agreeing). */
  readonly bothFailed: number;
  /** Kind of filter Cerbos answered, over cases it planned. */
  readonly kinds: Readonly<Record<string, number>>;
  /** Disagreements no known divergence explains. */
  readonly mismatches: readonly PlanMismatch[];
  /** Disagreements a known divergence explains, with its reason. */
  readonly known: readonly (PlanMismatch & { readonly reason: string })[];
}

export async function comparePlanCases(
  server: PdpServer,
  engine: Engine,
  cases: readonly PlanCase[],
  opts: PlanRunOptions,
): Promise<PlanRunResult> {
  let agreed = 0;
  let cerbosRefused = 0;
  let bothFailed = 0;
  const kinds: Record<string, number> = {};
  const mismatches: PlanMismatch[] = [];
  const known: (PlanMismatch & { reason: string })[] = [];
  await mapPooled(cases, opts.concurrency, async (c) => {
    const first = await askPlan(server, c);
    let cerbos: PlanAnswer = cerbosAnswer(first.status, first.body);
    const gatehouse = gatehouseAnswer(() => engine.plan(c.input, { now: () => Date.now() }));
    let difference = comparePlans(cerbos, gatehouse);
    // Cerbos walks some maps in Go's random order, which can reorder a condition: ask again
    // before calling a different condition a divergence
    const conditional = (a: PlanAnswer): boolean =>
      a.ok && (a.view.filter as { kind?: unknown } | null)?.kind === "KIND_CONDITIONAL";
    const retries = conditional(cerbos) && conditional(gatehouse) ? opts.retries : 0;
    for (let k = 0; difference && k < retries; k++) {
      const again = await askPlan(server, c);
      const other = cerbosAnswer(again.status, again.body);
      if (!comparePlans(other, gatehouse)) {
        cerbos = other;
        difference = undefined;
      }
    }
    if (!cerbos.ok) cerbosRefused++;
    if (!cerbos.ok && !gatehouse.ok) bothFailed++;
    if (cerbos.ok) {
      const kind = (cerbos.view.filter as { kind?: unknown } | null)?.kind;
      kinds[String(kind)] = (kinds[String(kind)] ?? 0) + 1;
    }
    if (!difference) {
      agreed++;
      return;
    }
    const m: PlanMismatch = { case: c, cerbos, gatehouse, difference };
    const reason = knownPlanReason(m);
    if (reason !== undefined) known.push({ ...m, reason });
    else mismatches.push(m);
  });
  const byId = (a: PlanMismatch, b: PlanMismatch): number =>
    cases.indexOf(a.case) - cases.indexOf(b.case);
  mismatches.sort(byId);
  known.sort(byId);
  return { cases: cases.length, agreed, cerbosRefused, bothFailed, kinds, mismatches, known };
}

const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);

/** The body without what differs between two correct servers (the call id). */
function bodyOf(body: Record<string, unknown>): Record<string, unknown> {
  const { cerbosCallId: _callId, ...rest } = body;
  return rest;
}

/** The top-level fields (and meta fields) of two bodies that differ. */
function differingBodyFields(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (k === "meta" && isObj(a[k]) && isObj(b[k])) {
      for (const m of differingBodyFields(a[k], b[k])) out.push(`meta.${m}`);
    } else if (!isDeepStrictEqual(a[k], b[k])) out.push(k);
  }
  return out;
}

/**
 * The same cases to two servers: the whole JSON bodies (status included) must be equal apart
 * from the call id. A difference in the plan itself is classified as `comparePlanCases` does;
 * any other difference is named by the fields that differ.
 */
export async function compareServerCases(
  cerbos: PdpServer,
  gatehouse: PdpServer,
  cases: readonly PlanCase[],
  opts: PlanRunOptions,
): Promise<PlanRunResult> {
  let agreed = 0;
  let cerbosRefused = 0;
  let bothFailed = 0;
  const kinds: Record<string, number> = {};
  const mismatches: PlanMismatch[] = [];
  const known: (PlanMismatch & { reason: string })[] = [];
  await mapPooled(cases, opts.concurrency, async (c) => {
    const g = await askPlan(gatehouse, c);
    let theirs = await askPlan(cerbos, c);
    const same = (x: PlanHttpAnswer): boolean =>
      x.status === g.status && isDeepStrictEqual(bodyOf(x.body), bodyOf(g.body));
    for (let k = 0; !same(theirs) && k < opts.retries && theirs.status === 200; k++) {
      const again = await askPlan(cerbos, c);
      if (same(again)) theirs = again;
    }
    const cerbosPlan = cerbosAnswer(theirs.status, theirs.body);
    const gatehousePlan = cerbosAnswer(g.status, g.body);
    if (!cerbosPlan.ok) cerbosRefused++;
    if (!cerbosPlan.ok && !gatehousePlan.ok) bothFailed++;
    if (cerbosPlan.ok) {
      const kind = (cerbosPlan.view.filter as { kind?: unknown } | null)?.kind;
      kinds[String(kind)] = (kinds[String(kind)] ?? 0) + 1;
    }
    if (same(theirs)) {
      agreed++;
      return;
    }
    const planDifference = comparePlans(cerbosPlan, gatehousePlan);
    const fields =
      theirs.status !== g.status
        ? ["status"]
        : differingBodyFields(bodyOf(theirs.body), bodyOf(g.body));
    const difference = planDifference ?? {
      fields,
      category: `response body fields: ${fields.join(", ")}`,
      detail: `  cerbos:    ${theirs.status} ${JSON.stringify(bodyOf(theirs.body))}\n  gatehouse: ${g.status} ${JSON.stringify(bodyOf(g.body))}`,
    };
    const m: PlanMismatch = { case: c, cerbos: cerbosPlan, gatehouse: gatehousePlan, difference };
    const reason = planDifference ? knownPlanReason(m) : undefined;
    if (reason !== undefined) known.push({ ...m, reason });
    else mismatches.push(m);
  });
  const byId = (a: PlanMismatch, b: PlanMismatch): number =>
    cases.indexOf(a.case) - cases.indexOf(b.case);
  mismatches.sort(byId);
  known.sort(byId);
  return { cases: cases.length, agreed, cerbosRefused, bothFailed, kinds, mismatches, known };
}

/** `12,345 cases: 12,000 agree, 300 differ (...)`. */
export function summaryLine(title: string, r: PlanRunResult): string {
  const kinds = Object.entries(r.kinds)
    .sort()
    .map(([k, n]) => `${k.replace(/^KIND_/u, "")} ${n}`)
    .join(", ");
  return `${title}: ${r.cases} cases, ${r.agreed} agree, ${r.mismatches.length} differ, ${r.known.length} known divergences, ${r.cerbosRefused} refused by cerbos (${r.bothFailed} of them failed by gatehouse too), cerbos filters: ${kinds}`;
}

/** Mismatches grouped by category (most frequent first) with one example each, then the first `show` in full. */
export function mismatchReport(mismatches: readonly PlanMismatch[], show: number): string {
  if (mismatches.length === 0) return "no mismatches";
  const groups = new Map<string, PlanMismatch[]>();
  for (const m of mismatches) {
    const list = groups.get(m.difference.category) ?? [];
    list.push(m);
    groups.set(m.difference.category, list);
  }
  const ordered = [...groups.entries()].sort((a, b) => b[1].length - a[1].length);
  const fieldCounts = new Map<string, number>();
  for (const m of mismatches)
    for (const f of m.difference.fields) fieldCounts.set(f, (fieldCounts.get(f) ?? 0) + 1);
  const out: string[] = [
    `${mismatches.length} mismatches in ${groups.size} categories; fields that differ: ${[...fieldCounts].map(([f, n]) => `${f} ${n}`).join(", ")}`,
    "",
    "by category (count, category, first example):",
  ];
  for (const [category, list] of ordered) {
    const first = list[0]!;
    out.push(`${String(list.length).padStart(6)}  ${category}`);
    out.push(`          e.g. ${first.case.label}`);
    out.push(first.difference.detail.replace(/^/gmu, "        "));
  }
  out.push("", `first ${Math.min(show, mismatches.length)} mismatches:`);
  for (const m of mismatches.slice(0, show)) {
    out.push(`- ${m.case.label}  [${m.difference.fields.join(", ")}]`);
    out.push(m.difference.detail);
  }
  return out.join("\n");
}
