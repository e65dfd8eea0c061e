// The CEL value behind `runtime` when, under strict evaluation, some derived role's condition
// failed to evaluate: Cerbos 0.55 then cannot say which derived roles are in effect, so any
// field read from `runtime` is the error `failed to compute effective derived roles [a, b]`
// (names sorted; established against the binary).

import { CelError, type CelMapLike, type CelValue } from "../cel/value.ts";

const FIELDS = ["effectiveDerivedRoles", "effective_derived_roles"];

export class FailedRuntime implements CelMapLike {
  readonly celMapLike = true as const;
  readonly #error: CelError;

  constructor(failedRoles: readonly string[]) {
    this.#error = new CelError(
      `failed to compute effective derived roles [${[...failedRoles].sort().join(", ")}]`,
    );
  }

  get(): CelValue | CelError | undefined {
    return this.#error;
  }

  has(key: string): boolean {
    return FIELDS.includes(key);
  }

  keys(): Iterable<string> {
    return FIELDS;
  }

  get size(): number {
    return FIELDS.length;
  }
}
