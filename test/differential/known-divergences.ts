// Divergences from Cerbos that are understood and filed against the engine. Each one knows how
// to erase its own difference from a pair of answers; a divergence is known when erasing every
// applicable one leaves the answers equal (so combinations of known bugs are recognised too).
// The differential test reports known divergences as todo instead of failing: delete an entry
// once the engine is fixed, and the test fails again if the bug comes back.

import { isDeepStrictEqual } from "node:util";
import type { Divergence } from "./differential-run.ts";

type Out = Record<string, unknown>;

interface KnownDivergence {
  readonly reason: string;
  /** For compile divergences: whether this entry explains it. */
  readonly compile?: (d: Divergence) => boolean;
  /** For check divergences: gatehouse's answer with this difference made to agree with cerbos, or undefined when it does not apply. */
  readonly erase?: (cerbos: Out, gatehouse: Out, d: Divergence) => Out | undefined;
}

const list = (o: Out, k: string): unknown[] => {
  const v = o[k];
  return Array.isArray(v) ? v : [];
};
const key = (x: unknown): string => JSON.stringify(x);
/** Replaces `k` of `o`, dropping it when empty as the canonical form does. */
const withList = (o: Out, k: string, items: unknown[]): Out => {
  const copy: Out = { ...o };
  if (items.length === 0) delete copy[k];
  else copy[k] = [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return copy;
};

const known: readonly KnownDivergence[] = [
  {
    reason:
      "cerbos shares compiled outputs by expression text across the whole store and keeps the `when` kind of the first: a rule's `ruleActivated: E` emits nothing when another rule (in any policy) has `conditionNotMet: E`, and vice versa; gatehouse keeps each rule's own kind (a cerbos bug gatehouse need not copy)",
    erase: (c, g) => {
      const theirs = list(c, "outputs").map(key);
      const mine = list(g, "outputs");
      if (!theirs.every((t) => mine.some((m) => key(m) === t)) || mine.length === theirs.length)
        return undefined;
      return withList(g, "outputs", list(c, "outputs"));
    },
  },
  {
    reason:
      "cerbos orders a principal policy's rules for one action by map iteration when it loads the policies (fixed for the life of the process, different between processes), so a rule that comes before the DENY that decides the action may or may not have run, and its output may or may not appear; gatehouse stops at the deciding DENY in policy order",
    erase: (c, g) => {
      const effectOf = (o: Out, action: unknown): unknown => {
        const actions = o["actions"];
        const a =
          typeof actions === "object" && actions !== null && typeof action === "string"
            ? (actions as Record<string, unknown>)[action]
            : undefined;
        return typeof a === "object" && a !== null ? (a as Out)["effect"] : a;
      };
      const mine = list(g, "outputs").map(key);
      const extra = list(c, "outputs").filter((o) => !mine.includes(key(o)));
      const missing = mine.filter((m) => !list(c, "outputs").map(key).includes(m));
      const explained = (o: unknown): boolean => {
        const out = o as Out;
        return (
          String(out["src"]).startsWith("principal.") &&
          effectOf(c, out["action"]) === "EFFECT_DENY" &&
          effectOf(g, out["action"]) === "EFFECT_DENY"
        );
      };
      if (extra.length === 0 || missing.length > 0 || !extra.every(explained)) return undefined;
      return withList(g, "outputs", list(c, "outputs"));
    },
  },
];

/** The reasons of the known divergences that together explain `d`, or undefined when they do not. */
export function classifyDivergence(d: Divergence): string[] | undefined {
  if (d.kind === "compile") {
    const k = known.find((e) => e.compile?.(d));
    return k ? [k.reason] : undefined;
  }
  if (
    typeof d.cerbos !== "object" ||
    d.cerbos === null ||
    typeof d.gatehouse !== "object" ||
    d.gatehouse === null
  )
    return undefined;
  const cerbos = d.cerbos as Out;
  let gatehouse = d.gatehouse as Out;
  const reasons: string[] = [];
  for (const k of known) {
    const next = k.erase?.(cerbos, gatehouse, d);
    if (next === undefined || isDeepStrictEqual(next, gatehouse)) continue;
    gatehouse = next;
    reasons.push(k.reason);
  }
  return isDeepStrictEqual(gatehouse, cerbos) ? reasons : undefined;
}
