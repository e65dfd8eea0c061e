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
