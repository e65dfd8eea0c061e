// RE2 regular expressions for `matches` and the regex extension library. User patterns
// never reach JS RegExp (backtracking, different syntax); compiled patterns are cached
// because policies reuse a handful of literals on every request.

import { RE2JS } from "re2js";

const cache = new Map<string, RE2JS | string>();
const CACHE_LIMIT = 1000;

/** A compiled pattern, or the compilation error message. */
export function compileRegex(pattern: string): RE2JS | string {
  let r = cache.get(pattern);
  if (r !== undefined) return r;
  try {
    r = RE2JS.compile(pattern);
  } catch (e) {
    r = e instanceof Error ? e.message : String(e);
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(pattern, r);
  return r;
}
