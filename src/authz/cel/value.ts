// Runtime values of CEL as Gatehouse represents them. Chosen so request JSON is used as it
// arrives: JSON objects are CEL maps, arrays are lists, JSON numbers are doubles (as in
// Cerbos, where attributes are google.protobuf.Value).
//
//   null        -> null
//   bool        -> boolean
//   int         -> bigint (int64 range enforced by arithmetic)
//   uint        -> CelUint
//   double      -> number
//   string      -> string
//   bytes       -> Uint8Array
//   list        -> readonly array of CelValue
//   map         -> plain object (string keys; JSON input), Map (any key kind; built by CEL),
//                  or a CelMapLike host object (lazily computed maps such as variables)
//   timestamp   -> CelTimestamp
//   duration    -> CelDuration
//   type        -> CelTypeValue
//   optional    -> CelOptional
//   opaque      -> an object implementing CelOpaqueValue (net.IP, net.CIDR, hierarchy, ...)
//
// Errors travel as CelError values, never as thrown exceptions: a function returns a CelError
// and the evaluator propagates it, absorbing it where CEL's logic operators say so.

export class CelUint {
  readonly value: bigint;
  constructor(value: bigint) {
    this.value = value;
  }
}

/**
 * Seconds since the Unix epoch (an integer) plus nanoseconds in [0, 1e9), and the UTC offset
 * the timestamp was written with: cel-go keeps it (a Go time.Time's zone), so
 * `string(timestamp("2024-01-01T00:00:00+05:30"))` prints +05:30 again. The offset only
 * affects formatting; comparisons and calendar getters use the instant.
 */
export class CelTimestamp {
  readonly seconds: number;
  readonly nanos: number;
  readonly offsetMinutes: number;
  constructor(seconds: number, nanos: number, offsetMinutes = 0) {
    this.seconds = seconds;
    this.nanos = nanos;
    this.offsetMinutes = offsetMinutes;
  }
}

/** A signed span: seconds (an integer) plus nanoseconds with the same sign, |nanos| < 1e9. */
export class CelDuration {
  readonly seconds: number;
  readonly nanos: number;
  constructor(seconds: number, nanos: number) {
    this.seconds = seconds;
    this.nanos = nanos;
  }
}

/** A CEL type used as a value (`type(x) == int`). */
export class CelTypeValue {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
}

export class CelOptional {
  static readonly none: CelOptional = new CelOptional(undefined);
  /** `undefined` means the optional is empty. */
  readonly value: CelValue | undefined;
  constructor(value: CelValue | undefined) {
    this.value = value;
  }
  hasValue(): boolean {
    return this.value !== undefined;
  }
}

export class CelError {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

/** A map computed on demand by the host (variables, constants), looked up by string key. */
export interface CelMapLike {
  readonly celMapLike: true;
  get(key: string): CelValue | CelError | undefined;
  has(key: string): boolean;
  keys(): Iterable<string>;
  readonly size: number;
}

/** Values of opaque types supplied by libraries (net.IP, hierarchy, ...). */
export interface CelOpaqueValue {
  /** CEL type name, e.g. `net.IP`. */
  readonly celTypeName: string;
  /** CEL equality with another value of the same type. */
  celEquals(other: CelOpaqueValue): boolean;
}

export type CelMapValue =
  { readonly [key: string]: CelValue } | ReadonlyMap<CelMapKey, CelValue> | CelMapLike;
/**
 * A double key only comes from a map literal whose key expression is a double at run time
 * (cel-go accepts `{x: 1}` with x = 2.0); it stays a double, found by a double lookup.
 */
export type CelMapKey = string | bigint | CelUint | boolean | number;

export type CelValue =
  | null
  | boolean
  | bigint
  | CelUint
  | number
  | string
  | Uint8Array
  | readonly CelValue[]
  | CelMapValue
  | CelTimestamp
  | CelDuration
  | CelTypeValue
  | CelOptional
  | CelOpaqueValue;

export type CelResult = CelValue | CelError;

export function isCelError(v: unknown): v is CelError {
  return v instanceof CelError;
}
