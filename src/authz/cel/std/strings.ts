// String functions of the CEL standard library and `size`: sizes count Unicode code
// points, `matches` uses RE2 semantics.

import type { FunctionDecl, Overload } from "../library.ts";
import { mapSize } from "../maps.ts";
import { compileRegex } from "../regex.ts";
import { T, type CelType } from "../types.ts";
import { CelError, type CelMapValue, type CelResult, type CelValue } from "../value.ts";

function op(
  id: string,
  receiver: CelType | undefined,
  params: CelType[],
  result: CelType,
  impl: (...args: never[]) => CelResult,
): Overload {
  const f = impl as (...args: CelValue[]) => CelResult;
  return receiver === undefined
    ? { id, params, result, impl: f }
    : { id, receiver, params, result, impl: f };
}

/** Number of Unicode code points (not UTF-16 units). */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        n--;
        i++;
      }
    }
  }
  return n;
}

function matches(s: string, pattern: string): CelResult {
  const re = compileRegex(pattern);
  // re2js words its errors as Go's regexp package does, which cel-go surfaces verbatim.
  if (typeof re === "string") return new CelError(re);
  return re.test(s);
}

const A = T.param("A");
const B = T.param("B");
const sizeOf = {
  string: (s: string) => BigInt(codePointLength(s)),
  bytes: (b: Uint8Array) => BigInt(b.length),
  list: (l: readonly CelValue[]) => BigInt(l.length),
  map: (m: CelMapValue) => BigInt(mapSize(m)),
};

export const stringFunctions: readonly FunctionDecl[] = [
  {
    name: "size",
    overloads: [
      op("size_string", undefined, [T.string], T.int, sizeOf.string),
      op("size_bytes", undefined, [T.bytes], T.int, sizeOf.bytes),
      op("size_list", undefined, [T.list(A)], T.int, sizeOf.list),
      op("size_map", undefined, [T.map(A, B)], T.int, sizeOf.map),
      op("string_size", T.string, [], T.int, sizeOf.string),
      op("bytes_size", T.bytes, [], T.int, sizeOf.bytes),
      op("list_size", T.list(A), [], T.int, sizeOf.list),
      op("map_size", T.map(A, B), [], T.int, sizeOf.map),
    ],
  },
  {
    name: "contains",
    overloads: [
      op("contains_string", T.string, [T.string], T.bool, (s: string, x: string) => s.includes(x)),
    ],
  },
  {
    name: "startsWith",
    overloads: [
      op("starts_with_string", T.string, [T.string], T.bool, (s: string, x: string) =>
        s.startsWith(x),
      ),
    ],
  },
  {
    name: "endsWith",
    overloads: [
      op("ends_with_string", T.string, [T.string], T.bool, (s: string, x: string) => s.endsWith(x)),
    ],
  },
  {
    name: "matches",
    overloads: [
      op("matches", undefined, [T.string, T.string], T.bool, matches),
      op("matches_string", T.string, [T.string], T.bool, matches),
    ],
  },
];
