// Cerbos's older list-as-set functions: intersect, except, hasIntersection and isSubset, each
// callable as `f(a, b)` or `a.f(b)`, plus the deprecated snake_case names has_intersection and
// is_subset. Membership is CEL equality (REPL: `[1, 2, 3, 4].except([2.0, 3, 4, 5]) == [1]`); older
// Cerbos versions hashed long lists so that 2 and 2.0 differed, 0.55 does not.

import type { CelLibrary, FunctionDecl, Overload } from "../library.ts";
import { T, type CelType } from "../types.ts";
import type { CelResult, CelValue } from "../value.ts";
import { celEquals, noSuchOverload } from "../lib/value-ops.ts";

/** A membership test for `list` by CEL equality (so 2 and 2.0 are the same element). */
function membership(list: readonly CelValue[]): (v: CelValue) => boolean {
  return (v) => list.some((e) => celEquals(v, e));
}

function lists(a: CelValue, b: CelValue): [readonly CelValue[], readonly CelValue[]] | undefined {
  return Array.isArray(a) && Array.isArray(b)
    ? [a as readonly CelValue[], b as readonly CelValue[]]
    : undefined;
}

/** Elements of the shorter list (the first when equal) found in the other, in that list's order. */
function intersect(a: CelValue, b: CelValue): CelResult {
  const l = lists(a, b);
  if (!l) return noSuchOverload();
  let [x, y] = l;
  if (x.length > y.length) [x, y] = [y, x];
  const has = membership(y);
  return x.filter((v) => has(v));
}

function except(a: CelValue, b: CelValue): CelResult {
  const l = lists(a, b);
  if (!l) return noSuchOverload();
  const has = membership(l[1]);
  return l[0].filter((v) => !has(v));
}

function hasIntersection(a: CelValue, b: CelValue): CelResult {
  const l = lists(a, b);
  if (!l) return noSuchOverload();
  let [x, y] = l;
  if (x.length > y.length) [x, y] = [y, x];
  const has = membership(y);
  return x.some((v) => has(v));
}

function isSubset(a: CelValue, b: CelValue): CelResult {
  const l = lists(a, b);
  if (!l) return noSuchOverload();
  const has = membership(l[1]);
  return l[0].every((v) => has(v));
}

const LIST_A = T.list(T.param("A"));

function decl(name: string, result: CelType, impl: Overload["impl"]): FunctionDecl {
  return {
    name,
    overloads: [
      // Cerbos declares the global form non-strict: a failed argument (a missing attribute)
      // reaches the impl, which answers a plain `no such overload` for anything not a list
      { id: `${name}_overload`, params: [LIST_A, LIST_A], result, impl, nonStrict: true },
      { id: `${name}_member_overload`, receiver: LIST_A, params: [LIST_A], result, impl },
    ],
  };
}

export const listSetsLibrary: CelLibrary = {
  name: "cerbos.lib.sets",
  functions: [
    decl("intersect", LIST_A, intersect),
    decl("except", LIST_A, except),
    decl("hasIntersection", T.bool, hasIntersection),
    decl("has_intersection", T.bool, hasIntersection),
    decl("isSubset", T.bool, isSubset),
    decl("is_subset", T.bool, isSubset),
  ],
};
