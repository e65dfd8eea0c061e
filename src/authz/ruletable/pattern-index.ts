// A map whose keys may be glob patterns: literal keys are found by hashing, glob keys by
// matching. The rule table nests these (resource -> role -> action) so a lookup touches only
// the entries that can match, however many unrelated policies are loaded.

import { compileGlob, isGlob, type GlobMatcher } from "./glob.ts";

interface GlobEntry<T> {
  readonly pattern: string;
  readonly match: GlobMatcher;
  readonly value: T;
}

export class PatternIndex<T> {
  readonly #literals = new Map<string, T>();
  readonly #globs: GlobEntry<T>[] = [];

  getOrCreate(pattern: string, make: () => T): T {
    if (!isGlob(pattern)) {
      let v = this.#literals.get(pattern);
      if (v === undefined) {
        v = make();
        this.#literals.set(pattern, v);
      }
      return v;
    }
    const found = this.#globs.find((g) => g.pattern === pattern);
    if (found) return found.value;
    const value = make();
    this.#globs.push({ pattern, match: compileGlob(pattern), value });
    return value;
  }

  /** Calls `fn` for every entry whose pattern matches `value` (the literal entry first). */
  forEachMatch(value: string, fn: (v: T) => void): void {
    const lit = this.#literals.get(value);
    if (lit !== undefined) fn(lit);
    for (const g of this.#globs) if (g.match(value)) fn(g.value);
  }

  /** True when some entry matches `value` and satisfies `pred`. */
  someMatch(value: string, pred: (v: T) => boolean): boolean {
    const lit = this.#literals.get(value);
    if (lit !== undefined && pred(lit)) return true;
    for (const g of this.#globs) if (g.match(value) && pred(g.value)) return true;
    return false;
  }
}
