// Cerbos's `hierarchy` type: a dotted path such as `a.b.c` (or a list of segments, or a string
// with a custom delimiter) with ancestorOf, descendentOf, immediateChildOf, immediateParentOf,
// siblingOf, overlaps, commonAncestors, size() and indexing. Behaviour follows Cerbos's
// internal/conditions/types/hierarchy.go, including its quirks (see the tests).

import type { CelLibrary } from "../library.ts";
import { T } from "../types.ts";
import { CelError, type CelOpaqueValue, type CelResult, type CelValue } from "../value.ts";
import { celTypeName, noSuchOverload } from "../lib/value-ops.ts";

export const HIERARCHY_TYPE_NAME = "cerbos.lib.hierarchy";

export class CelHierarchy implements CelOpaqueValue {
  readonly celTypeName = HIERARCHY_TYPE_NAME;
  readonly segments: readonly string[];
  constructor(segments: readonly string[]) {
    this.segments = segments;
  }
  celEquals(other: CelOpaqueValue): boolean {
    return (
      other instanceof CelHierarchy &&
      samePrefix(
        this.segments,
        other.segments,
        Math.max(this.segments.length, other.segments.length),
      )
    );
  }
}

/** The first `n` segments of both agree (false when either is shorter than n). */
function samePrefix(a: readonly string[], b: readonly string[], n: number): boolean {
  if (a.length < n || b.length < n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hierarchy(v: CelValue, delim?: CelValue): CelResult {
  if (delim !== undefined) {
    if (typeof v !== "string" || typeof delim !== "string") return noSuchOverload();
    // Go's strings.Split with an empty separator splits into code points.
    return new CelHierarchy(delim === "" ? Array.from(v) : v.split(delim));
  }
  if (typeof v === "string") return new CelHierarchy(v.split("."));
  if (Array.isArray(v)) {
    const segs: string[] = [];
    for (const e of v as readonly CelValue[]) {
      if (typeof e !== "string") {
        return new CelError(
          `failed to convert list to string slice: unsupported type conversion from '${celTypeName(e)}' to string`,
        );
      }
      segs.push(e);
    }
    return new CelHierarchy(segs);
  }
  return noSuchOverload();
}

type Relation = (h: readonly string[], o: readonly string[]) => CelValue;

const ancestorOf: Relation = (h, o) => o.length > h.length && samePrefix(h, o, h.length);
const immediateParentOf: Relation = (h, o) =>
  o.length === h.length + 1 && samePrefix(h, o, h.length);

const RELATIONS: Readonly<Record<string, Relation>> = {
  ancestorOf,
  descendentOf: (h, o) => ancestorOf(o, h),
  immediateParentOf,
  immediateChildOf: (h, o) => immediateParentOf(o, h),
  // Equal-length paths sharing all but the last segment; a path is its own sibling.
  siblingOf: (h, o) => o.length === h.length && samePrefix(h, o, h.length - 1),
  overlaps: (h, o) => samePrefix(h, o, Math.min(h.length, o.length)),
};

function relation(name: string): (h: CelValue, o: CelValue) => CelResult {
  const f = RELATIONS[name] as Relation;
  return (h, o) =>
    h instanceof CelHierarchy && o instanceof CelHierarchy
      ? f(h.segments, o.segments)
      : noSuchOverload();
}

function commonAncestors(h: CelValue, o: CelValue): CelResult {
  if (!(h instanceof CelHierarchy && o instanceof CelHierarchy)) return noSuchOverload();
  let short = h.segments;
  let long = o.segments;
  if (long.length < short.length) [short, long] = [long, short];
  if (long.length === short.length) {
    // Cerbos drops the last segment of equal-length paths (a path is not its own ancestor);
    // with two empty hierarchies Go panics on the slice, reported as an internal error.
    if (long.length === 0)
      return new CelError("internal error: runtime error: slice bounds out of range [:-1]");
    long = long.slice(0, -1);
    short = short.slice(0, -1);
  }
  const out: string[] = [];
  for (let i = 0; i < short.length && short[i] === long[i]; i++) out.push(short[i] as string);
  return new CelHierarchy(out);
}

function index(h: CelValue, i: CelValue): CelResult {
  if (!(h instanceof CelHierarchy)) return noSuchOverload();
  if (typeof i !== "bigint") return noSuchOverload();
  if (i < 0n || i >= BigInt(h.segments.length)) return new CelError("index out of range");
  return h.segments[Number(i)] as string;
}

const H = T.opaque(HIERARCHY_TYPE_NAME);

function relationDecl(name: string) {
  return {
    name,
    overloads: [{ id: name, receiver: H, params: [H], result: T.bool, impl: relation(name) }],
  };
}

export const hierarchyLibrary: CelLibrary = {
  name: "cerbos.lib.hierarchy",
  messages: [{ name: HIERARCHY_TYPE_NAME, fields: {} }],
  functions: [
    {
      name: "hierarchy",
      overloads: [
        { id: "hierarchy_string", params: [T.string], result: H, impl: (v) => hierarchy(v) },
        { id: "hierarchy_string_string", params: [T.string, T.string], result: H, impl: hierarchy },
        {
          id: "hierarchy_stringarray",
          params: [T.list(T.string)],
          result: H,
          impl: (v) => hierarchy(v),
        },
      ],
    },
    relationDecl("ancestorOf"),
    relationDecl("descendentOf"),
    relationDecl("immediateChildOf"),
    relationDecl("immediateParentOf"),
    relationDecl("siblingOf"),
    relationDecl("overlaps"),
    {
      name: "commonAncestors",
      overloads: [
        { id: "commonAncestors", receiver: H, params: [H], result: H, impl: commonAncestors },
      ],
    },
    {
      name: "size",
      overloads: [
        {
          id: "hierarchy_size",
          receiver: H,
          params: [],
          result: T.int,
          impl: (h) => (h instanceof CelHierarchy ? BigInt(h.segments.length) : noSuchOverload()),
        },
      ],
    },
    // Indexing `h[i]`: an overload of the index operator for the hierarchy type.
    {
      name: "_[_]",
      overloads: [{ id: "hierarchy_index", params: [H, T.int], result: T.string, impl: index }],
    },
  ],
};
