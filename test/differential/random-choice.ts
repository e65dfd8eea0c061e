// A small imperative façade over fast-check's `gen()`: the policy and request generators build
// interdependent structures (a rule may only name a variable the policy defines), which reads far
// better as plain code drawing choices than as nested arbitraries. Every draw goes through
// fast-check, so a run is fully determined by its seed.

import fc from "fast-check";

export interface RandomChoice {
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  oneOf<T>(items: readonly T[]): T;
  /** A random subset of `items` with at least `min` and at most `max` elements, in a random order. */
  some<T>(items: readonly T[], min?: number, max?: number): T[];
}

export function randomChoice(g: fc.GeneratorValue): RandomChoice {
  const int = (min: number, max: number): number => g(fc.integer, { min, max });
  return {
    int,
    chance: (p) => int(0, 999) < p * 1000,
    oneOf<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error("oneOf of an empty list");
      return items[int(0, items.length - 1)] as T;
    },
    some<T>(items: readonly T[], min = 0, max = items.length): T[] {
      const picked = g(fc.shuffledSubarray<T>, [...items], {
        minLength: Math.min(min, items.length),
        maxLength: Math.min(max, items.length),
      });
      return picked;
    },
  };
}

/** Draws one value from `build` for a seed: the same seed always gives the same value. */
export function sampleWith<T>(seed: number, build: (r: RandomChoice) => T): T {
  const [value] = fc.sample(
    fc.gen().map((g) => build(randomChoice(g))),
    { seed, numRuns: 1 },
  );
  if (value === undefined) throw new Error("fast-check produced no sample");
  return value;
}
