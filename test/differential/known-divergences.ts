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
const celErrors = (o: Out): { expression: string; message: string }[] =>
  list(o, "evaluationErrors").map(
    (e) => (e as { celError: { expression: string; message: string } }).celError,
  );

const known: readonly KnownDivergence[] = [
  {
    reason:
      "cel error text: where cerbos says `no such overload` (its list functions `intersect`/`hasIntersection`/... given a missing attribute, or `no such overload: hasIntersection(list, string)` for a wrong type), gatehouse passes on the argument's error (`no such key: tags`) or drops the signature",
    erase: (c, g) => {
      const theirs = celErrors(c).filter((e) => e.message.startsWith("no such overload"));
      // the same happens to output expressions, whose error is on the output entry
      const outputErrors = list(c, "outputs").filter((o) =>
        JSON.stringify((o as Record<string, unknown>)["error"] ?? "").startsWith(
          '"no such overload',
        ),
      );
      if (theirs.length === 0 && outputErrors.length === 0) return undefined;
      const sameEntry = (a: unknown, b: unknown): boolean =>
        (a as Record<string, unknown>)["src"] === (b as Record<string, unknown>)["src"] &&
        (a as Record<string, unknown>)["action"] === (b as Record<string, unknown>)["action"];
      const outputs = list(g, "outputs").map((o) => {
        const t = outputErrors.find((x) => sameEntry(x, o));
        return t && (o as Record<string, unknown>)["error"] !== undefined ? t : o;
      });
      g = withList(g, "outputs", outputs);
      const fixed = celErrors(g).map((e) => {
        const match = theirs.find((t) => t.expression === e.expression);
        return { celError: match ? { expression: e.expression, message: match.message } : e };
      });
      return withList(g, "evaluationErrors", fixed);
    },
  },
  {
    reason:
      "optional field selection on a value that is not a map (`R.attr.?nested.?a` with `nested: 1`, or `.?b` on `{\"a\": 1}`): cerbos yields no error (or `unsupported index type 'string' in list` for a list), gatehouse errors `no such key: a` (and so does every variable defined by such an expression)",
    erase: (c, g) => {
      const theirs = celErrors(c);
      const mine = celErrors(g);
      const extra = mine.filter((e) => !theirs.some((t) => isDeepStrictEqual(t, e)));
      if (!extra.some((e) => e.expression.includes(".?"))) return undefined;
      // a variable defined by such an expression fails in turn wherever it is read
      const optional = extra.filter(
        (e) => e.expression.includes(".?") || e.message.startsWith("undefined field"),
      );
      const fixed = mine.flatMap((e) => {
        if (!optional.includes(e)) return [{ celError: e }];
        const t = theirs.find((x) => x.expression === e.expression);
        return t ? [{ celError: t }] : [];
      });
      return withList(g, "evaluationErrors", fixed);
    },
  },
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
      "for an action no rule covers, cerbos still evaluates every imported derived role (and reports its condition errors); gatehouse evaluates the policy variables but not the derived-role conditions, so their errors are missing",
    erase: (c, g) => {
      const theirs = list(c, "evaluationErrors");
      const mine = list(g, "evaluationErrors");
      if (
        mine.length >= theirs.length ||
        !mine.every((m) => theirs.some((t) => isDeepStrictEqual(t, m)))
      )
        return undefined;
      return withList(g, "evaluationErrors", theirs);
    },
  },
  {
    reason:
      "output values with no JSON form: cerbos reports an output error (`type conversion not supported for 'type'` for `type(x)`, `unsupported type conversion from 'int' to string` for a map with int keys); gatehouse emits `\"int\"` or the placeholder `\"<failed to convert evaluation to protobuf value>\"` as the value",
    erase: (c, g) => {
      const conversion = list(c, "outputs").filter((o) =>
        /conversion/u.test(JSON.stringify((o as Record<string, unknown>)["error"] ?? "")),
      );
      if (conversion.length === 0) return undefined;
      const same = (a: unknown, b: unknown): boolean =>
        (a as Record<string, unknown>)["src"] === (b as Record<string, unknown>)["src"] &&
        (a as Record<string, unknown>)["action"] === (b as Record<string, unknown>)["action"];
      const fixed = list(g, "outputs").map(
        (o) =>
          conversion.find(
            (x) => same(x, o) && (o as Record<string, unknown>)["error"] === undefined,
          ) ?? o,
      );
      return withList(g, "outputs", fixed);
    },
  },
  {
    reason:
      "a rule for several derived roles (`derivedRoles: [peer, owner]`) whose role `owner` is in effect is not applied by gatehouse when another listed role's condition (`peer`) fails to evaluate; cerbos applies it (ALLOW)",
    erase: (c, g) => {
      if (list(c, "evaluationErrors").length === 0 || list(c, "effectiveDerivedRoles").length === 0)
        return undefined;
      const theirs = (c["actions"] ?? {}) as Record<string, Record<string, unknown>>;
      const actions = { ...((g["actions"] ?? {}) as Record<string, Record<string, unknown>>) };
      let changed = false;
      for (const [a, e] of Object.entries(theirs)) {
        const mine = actions[a];
        if (
          e["effect"] === "EFFECT_ALLOW" &&
          mine?.["effect"] === "EFFECT_DENY" &&
          mine["policy"] === e["policy"]
        ) {
          actions[a] = e;
          changed = true;
        }
      }
      return changed ? { ...g, actions } : undefined;
    },
  },
  {
    reason:
      "strict evaluation: when a derived role's condition failed to evaluate, reading `runtime.effectiveDerivedRoles` is itself an error in cerbos (`failed to compute effective derived roles [peer]`); gatehouse reports no such error",
    erase: (c, g, d) => {
      const extra = list(c, "evaluationErrors").filter((e) =>
        JSON.stringify(e).includes("failed to compute effective derived roles"),
      );
      if (!d.strict || extra.length === 0) return undefined;
      return withList(g, "evaluationErrors", [...list(g, "evaluationErrors"), ...extra]);
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
