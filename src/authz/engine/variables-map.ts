// The CEL value behind `V`/`variables`, `C`/`constants` and `G`/`globals`: a string-keyed map
// that, like Cerbos's VariablesMap, reports a missing name as `undefined field 'x'` rather than
// the generic missing-key error, because Cerbos surfaces that text in evaluation errors.

import { CelError, type CelMapLike, type CelValue } from "../cel/value.ts";

export class VariablesMap implements CelMapLike {
  readonly celMapLike = true as const;
  readonly #values: Readonly<Record<string, CelValue>>;

  constructor(values: Readonly<Record<string, CelValue>>) {
    this.#values = values;
  }

  get(key: string): CelValue | CelError | undefined {
    return Object.hasOwn(this.#values, key)
      ? this.#values[key]
      : new CelError(`undefined field '${key}'`);
  }

  has(key: string): boolean {
    return Object.hasOwn(this.#values, key);
  }

  keys(): Iterable<string> {
    return Object.keys(this.#values);
  }

  get size(): number {
    return Object.keys(this.#values).length;
  }
}

export const EMPTY_VARIABLES = new VariablesMap({});
