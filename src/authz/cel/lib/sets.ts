// cel-go's sets extension: sets.contains, sets.equivalent and sets.intersects over lists,
// membership decided by CEL equality (so 1, 1u and 1.0 are the same element).

import type { CelLibrary } from "../library.ts";
import { T } from "../types.ts";
import type { CelResult, CelValue } from "../value.ts";
import { celEquals, noSuchOverload } from "./value-ops.ts";

function has(list: readonly CelValue[], v: CelValue): boolean {
  return list.some((e) => celEquals(e, v));
}

/** Every element of `sub` is in `list`. */
function contains(list: CelValue, sub: CelValue): CelResult {
  if (!Array.isArray(list) || !Array.isArray(sub)) return noSuchOverload();
  return (sub as readonly CelValue[]).every((v) => has(list as readonly CelValue[], v));
}

function equivalent(a: CelValue, b: CelValue): CelResult {
  if (!Array.isArray(a) || !Array.isArray(b)) return noSuchOverload();
  return contains(a, b) === true && contains(b, a) === true;
}

function intersects(a: CelValue, b: CelValue): CelResult {
  if (!Array.isArray(a) || !Array.isArray(b)) return noSuchOverload();
  return (a as readonly CelValue[]).some((v) => has(b as readonly CelValue[], v));
}

const LIST_T = T.list(T.param("T"));

export const setsLibrary: CelLibrary = {
  name: "cel.lib.ext.sets",
  functions: [
    {
      name: "sets.contains",
      overloads: [
        { id: "list_sets_contains_list", params: [LIST_T, LIST_T], result: T.bool, impl: contains },
      ],
    },
    {
      name: "sets.equivalent",
      overloads: [
        {
          id: "list_sets_equivalent_list",
          params: [LIST_T, LIST_T],
          result: T.bool,
          impl: equivalent,
        },
      ],
    },
    {
      name: "sets.intersects",
      overloads: [
        {
          id: "list_sets_intersects_list",
          params: [LIST_T, LIST_T],
          result: T.bool,
          impl: intersects,
        },
      ],
    },
  ],
};
