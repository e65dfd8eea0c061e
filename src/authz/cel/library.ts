// How function libraries (the CEL standard library, cel-go's extensions, Cerbos's own
// functions) declare what they add: names, overload signatures for the checker, and
// implementations for the evaluator.

import type { CelType } from "./types.ts";
import type { CelResult, CelTimestamp, CelValue } from "./value.ts";

export interface Overload {
  /** Unique across the environment, cel-go style: `string_contains_string`. */
  readonly id: string;
  /** Set for member-style calls `x.f(args)`; the receiver is passed as the first argument. */
  readonly receiver?: CelType;
  readonly params: readonly CelType[];
  readonly result: CelType;
  /** Arguments are already evaluated and never errors; returns a value or a CelError. */
  readonly impl: (...args: CelValue[]) => CelResult;
  /**
   * Set for functions that read the evaluation context (`now()`, `timeSince`): the impl then
   * receives the context as its first argument, before the receiver and arguments. Such calls
   * are never constant-folded.
   */
  readonly usesContext?: boolean;
  /**
   * cel-go's non-strict overloads: the impl is called even when arguments failed, receiving
   * their errors (so its parameters are really CelResult); an error argument passes the
   * run-time type check. Cerbos marks its global `intersect(a, b)` family so.
   */
  readonly nonStrict?: boolean;
}

/** Per-evaluation context a contextual function may read. */
export interface EvalContext {
  /** The request's fixed `now()`. */
  readonly now: () => CelTimestamp;
}

export interface FunctionDecl {
  /** Possibly qualified: `size`, `math.greatest`, `base64.encode`. */
  readonly name: string;
  readonly overloads: readonly Overload[];
}

export interface MessageDecl {
  readonly name: string;
  readonly fields: Readonly<Record<string, CelType>>;
  /**
   * Set for messages that accept any field name (Cerbos's `cerbos.Variables`, the type of V, C
   * and G): every field reads as dyn, with map semantics (a missing one is an error), while the
   * message itself still rejects map operations such as `V["x"]` or `size(V)`.
   */
  readonly dynamicFields?: boolean;
  /**
   * How the host objects behind this message read a field fast: a function returning the
   * field's value for such an object and undefined for any other value (which then takes the
   * generic path). Absent, or undefined for a field, means the generic path only.
   */
  readonly fieldReader?: (field: string) => FieldReader | undefined;
}

/** A fast read of one message field from its host object (see MessageDecl.fieldReader). */
export type FieldReader = (value: CelResult) => CelValue | undefined;

/**
 * A fast read of one variable from the bindings: a function of its own per name, so the read
 * stays monomorphic where a lookup by a name held in a variable would not.
 */
export type BindingReader = (bindings: Readonly<Record<string, CelValue>>) => CelValue | undefined;

/**
 * An evaluator for a whole select chain rooted at a variable (`R.attr.owner` is
 * `["R", "attr", "owner"]`) that reads the host objects directly, or undefined when the
 * environment has none for that chain. It must answer exactly as the chain's ordinary
 * evaluation (`fallback`) would, and calls `fallback` for anything but the plain case.
 */
export type PathReader = (
  path: readonly string[],
  fallback: PathEvaluator,
) => PathEvaluator | undefined;

/** The shape of a compiled expression (see dispatch.ts's Evaluator). */
export type PathEvaluator = (
  bindings: Readonly<Record<string, CelValue>>,
  slots: CelResult[],
  ctx: EvalContext | undefined,
) => CelResult;

export interface CelLibrary {
  readonly name: string;
  readonly functions?: readonly FunctionDecl[];
  /** Types the library makes known by name (for `type(x) == net.IP`-style checks and messages). */
  readonly messages?: readonly MessageDecl[];
}
