// A map whose keys may be glob patterns: literal keys are found by equality or hashing, glob
// keys by matching. The rule table nests these (resource -> role -> action) so a lookup touches only
// the entries that can match, however many unrelated policies are loaded.
//
// A large policy set holds tens of thousands of these, most with a few literal keys (the roles
// of one resource, the actions of one role): up to eight live in one array of keys and values,
// searched in order, which costs a third of a Map; the Map and the glob list exist only once
// they have something to hold.

import { compileGlob, isGlob, type GlobMatcher } from "./glob.ts";

interface GlobEntry<T> {
  readonly pattern: string;
  readonly match: GlobMatcher;
  value: T;
}

/** Literal keys beyond which a Map is used. */
const SMALL = 8;

export class PatternIndex<T> {
  /** Literal keys and their values, interleaved, while there are at most SMALL of them. */
  #small: (string | T)[] | undefined = undefined;
  /** All literal entries, once there are more. */
  #literals: Map<string, T> | undefined = undefined;
  #globs: GlobEntry<T>[] | undefined = undefined;

  getOrCreate(pattern: string, make: () => T): T {
    if (!isGlob(pattern)) {
      const found = this.#literal(pattern);
      if (found !== undefined) return found;
      const value = make();
      const small = this.#small;
      if (this.#literals) {
        this.#literals.set(pattern, value);
      } else if (small === undefined) {
        this.#small = [pattern, value];
      } else if (small.length < 2 * SMALL) {
        small.push(pattern, value);
      } else {
        const map = new Map<string, T>();
        for (let i = 0; i < small.length; i += 2) map.set(small[i] as string, small[i + 1] as T);
        map.set(pattern, value);
        this.#literals = map;
        this.#small = undefined;
      }
      return value;
    }
    const found = this.#globs?.find((g) => g.pattern === pattern);
    if (found) return found.value;
    const value = make();
    const entry = { pattern, match: compileGlob(pattern), value };
    if (this.#globs) this.#globs.push(entry);
    else this.#globs = [entry];
    return value;
  }

  #literal(value: string): T | undefined {
    const small = this.#small;
    if (small !== undefined) {
      for (let i = 0; i < small.length; i += 2) if (small[i] === value) return small[i + 1] as T;
      return undefined;
    }
    return this.#literals?.get(value);
  }

  /** Calls `fn` for every entry whose pattern matches `value` (the literal entry first). */
  forEachMatch(value: string, fn: (v: T) => void): void {
    const lit = this.#literal(value);
    if (lit !== undefined) fn(lit);
    if (this.#globs) for (const g of this.#globs) if (g.match(value)) fn(g.value);
  }

  /** True when some entry matches `value` and satisfies `pred`. */
  someMatch(value: string, pred: (v: T) => boolean): boolean {
    const lit = this.#literal(value);
    if (lit !== undefined && pred(lit)) return true;
    if (this.#globs) for (const g of this.#globs) if (g.match(value) && pred(g.value)) return true;
    return false;
  }

  /** Replaces every value by `fn(value)`, and trims the storage to its contents. */
  replaceValues(fn: (v: T) => T): void {
    const small = this.#small;
    if (small !== undefined) {
      for (let i = 1; i < small.length; i += 2) small[i] = fn(small[i] as T);
      // Exactly as long as its entries: `push` leaves room to grow.
      this.#small = small.slice();
    }
    if (this.#literals) for (const [k, v] of this.#literals) this.#literals.set(k, fn(v));
    if (this.#globs) for (const g of this.#globs) g.value = fn(g.value);
  }
}
