// What the extension libraries need from the CEL core's value model (equality, ordering,
// type names, map access), gathered in one place, plus the few helpers only libraries use.

import { NO_SUCH_OVERLOAD } from "../dispatch.ts";
import type { CelError } from "../value.ts";

export { celCompare, celEquals, compareNumbers, compareStrings } from "../equality.ts";
export { isCelMap, mapEntries, runtimeTypeName as celTypeName } from "../maps.ts";

/** The error cel-go returns when no overload accepts the runtime arguments. */
export function noSuchOverload(): CelError {
  return NO_SUCH_OVERLOAD;
}

/** Code points of a string: CEL strings index and measure by code point, not UTF-16 unit. */
export function codePoints(s: string): string[] {
  return Array.from(s);
}
