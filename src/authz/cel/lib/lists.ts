// cel-go's lists extension as Cerbos 0.55 ships it: slice, flatten, sort, sortBy (through
// `@sortByAssociatedKeys`, which the `sortBy` macro expands to), lists.range, reverse,
// distinct, first and last. Error messages are cel-go's, checked against the REPL.

import type { CelLibrary, Overload } from "../library.ts";
import { T, type CelType } from "../types.ts";
import {
  CelDuration,
  CelError,
  CelOptional,
  CelTimestamp,
  CelUint,
  type CelResult,
  type CelValue,
} from "../value.ts";
import { celCompare, celEquals, celTypeName, noSuchOverload } from "./value-ops.ts";

const MAX_RANGE = 10_000_000;

function asList(v: CelValue): readonly CelValue[] | undefined {
  return Array.isArray(v) ? (v as readonly CelValue[]) : undefined;
}

function slice(list: CelValue, start: CelValue, end: CelValue): CelResult {
  const l = asList(list);
  if (!l || typeof start !== "bigint" || typeof end !== "bigint") return noSuchOverload();
  if (start < 0n || end < 0n)
    return new CelError(`cannot slice(${start}, ${end}), negative indexes not supported`);
  if (start > end) {
    return new CelError(
      `cannot slice(${start}, ${end}), start index must be less than or equal to end index`,
    );
  }
  if (BigInt(l.length) < end)
    return new CelError(`cannot slice(${start}, ${end}), list is length ${l.length}`);
  return l.slice(Number(start), Number(end));
}

function flattenInto(out: CelValue[], l: readonly CelValue[], depth: number): void {
  for (const v of l) {
    if (Array.isArray(v) && depth > 0) flattenInto(out, v as readonly CelValue[], depth - 1);
    else out.push(v);
  }
}

function flatten(list: CelValue, depth: CelValue = 1n): CelResult {
  const l = asList(list);
  if (!l || typeof depth !== "bigint") return noSuchOverload();
  if (depth < 0n) return new CelError("level must be non-negative");
  const out: CelValue[] = [];
  // Any depth beyond the nesting present behaves the same; clamp so huge int64s stay numbers.
  flattenInto(out, l, depth > 1_000_000n ? 1_000_000 : Number(depth));
  return out;
}

function isComparable(v: CelValue): boolean {
  return (
    typeof v === "bigint" ||
    typeof v === "number" ||
    typeof v === "string" ||
    typeof v === "boolean" ||
    v instanceof CelUint ||
    v instanceof Uint8Array ||
    v instanceof CelDuration ||
    v instanceof CelTimestamp
  );
}

/** Orders `list` by the parallel `keys`; keys must all share the first key's type. */
function sortByAssociatedKeys(list: CelValue, keys: CelValue): CelResult {
  const l = asList(list);
  const k = asList(keys);
  if (!l || !k) return noSuchOverload();
  if (l.length !== k.length) {
    return new CelError(
      `@sortByAssociatedKeys() expected a list of the same size as the associated keys list, but got ${l.length} and ${k.length} elements respectively`,
    );
  }
  if (l.length === 0) return l;
  const first = k[0] as CelValue;
  if (!isComparable(first)) return new CelError("list elements must be comparable");
  const type = celTypeName(first);
  for (const key of k)
    if (celTypeName(key) !== type) return new CelError("list elements must have the same type");
  const order = l.map((_, i) => i);
  order.sort((a, b) => celCompare(k[a] as CelValue, k[b] as CelValue) ?? 0);
  return order.map((i) => l[i] as CelValue);
}

function range(n: CelValue): CelResult {
  if (typeof n !== "bigint") return noSuchOverload();
  if (n < 0n) return new CelError(`lists.range: size must be non-negative, got ${n}`);
  if (n > BigInt(MAX_RANGE))
    return new CelError(`lists.range: size ${n} exceeds maximum allowed (${MAX_RANGE})`);
  const out: bigint[] = [];
  for (let i = 0n; i < n; i++) out.push(i);
  return out;
}

function reverse(list: CelValue): CelResult {
  const l = asList(list);
  return l ? [...l].reverse() : noSuchOverload();
}

function distinct(list: CelValue): CelResult {
  const l = asList(list);
  if (!l) return noSuchOverload();
  const out: CelValue[] = [];
  for (const v of l) if (!out.some((u) => celEquals(u, v))) out.push(v);
  return out;
}

function first(list: CelValue): CelResult {
  const l = asList(list);
  if (!l) return noSuchOverload();
  return l.length === 0 ? CelOptional.none : new CelOptional(l[0]);
}

function last(list: CelValue): CelResult {
  const l = asList(list);
  if (!l) return noSuchOverload();
  return l.length === 0 ? CelOptional.none : new CelOptional(l[l.length - 1]);
}

const P = T.param("T");
const LIST_T = T.list(P);

const COMPARABLE: readonly [string, CelType][] = [
  ["int", T.int],
  ["uint", T.uint],
  ["double", T.double],
  ["bool", T.bool],
  ["duration", T.duration],
  ["timestamp", T.timestamp],
  ["string", T.string],
  ["bytes", T.bytes],
];

function member(
  id: string,
  receiver: CelType,
  params: CelType[],
  result: CelType,
  impl: Overload["impl"],
): Overload {
  return { id, receiver, params, result, impl };
}

export const listsLibrary: CelLibrary = {
  name: "cel.lib.ext.lists",
  functions: [
    { name: "slice", overloads: [member("list_slice", LIST_T, [T.int, T.int], LIST_T, slice)] },
    {
      name: "flatten",
      overloads: [
        member("list_flatten", T.list(LIST_T), [], LIST_T, (l) => flatten(l)),
        member("list_flatten_int", T.list(T.dyn), [T.int], T.list(T.dyn), flatten),
      ],
    },
    {
      name: "sort",
      overloads: COMPARABLE.map(([n, t]) =>
        member(`list_${n}_sort`, T.list(t), [], T.list(t), (l) => sortByAssociatedKeys(l, l)),
      ),
    },
    {
      name: "@sortByAssociatedKeys",
      overloads: COMPARABLE.map(([n, t]) =>
        member(`list_${n}_sortByAssociatedKeys`, LIST_T, [T.list(t)], LIST_T, sortByAssociatedKeys),
      ),
    },
    {
      name: "lists.range",
      overloads: [{ id: "lists_range", params: [T.int], result: T.list(T.int), impl: range }],
    },
    { name: "reverse", overloads: [member("list_reverse", LIST_T, [], LIST_T, reverse)] },
    { name: "distinct", overloads: [member("list_distinct", LIST_T, [], LIST_T, distinct)] },
    { name: "first", overloads: [member("list_first", LIST_T, [], T.optional(P), first)] },
    { name: "last", overloads: [member("list_last", LIST_T, [], T.optional(P), last)] },
  ],
};
