// Uniform access to the three runtime shapes of a CEL map (plain objects from JSON, Maps
// built by CEL, host CelMapLike objects), including cel-go's numeric key unification:
// int, uint and integral double keys find each other.

import {
  CelDuration,
  CelError,
  CelOptional,
  CelTimestamp,
  CelTypeValue,
  CelUint,
  type CelMapKey,
  type CelMapLike,
  type CelMapValue,
  type CelValue,
} from "./value.ts";

export function isCelMapLike(v: unknown): v is CelMapLike {
  return typeof v === "object" && v !== null && (v as { celMapLike?: unknown }).celMapLike === true;
}

/** True for any of the map shapes; excludes every other object-typed CEL value. */
export function isCelMap(v: unknown): v is CelMapValue {
  if (typeof v !== "object" || v === null) return false;
  if (v instanceof Map) return true;
  if (Array.isArray(v) || v instanceof Uint8Array) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto === Object.prototype || proto === null) return true;
  return isCelMapLike(v);
}

/** Normalizes a lookup key: integral doubles become ints; undefined for unusable keys. */
function numericKey(key: CelValue): bigint | undefined {
  if (typeof key === "bigint") return key;
  if (key instanceof CelUint) return key.value;
  if (typeof key === "number" && Number.isInteger(key)) return BigInt(key);
  return undefined;
}

/** Looks a key up; `undefined` when absent. */
export function mapGet(m: CelMapValue, key: CelValue): CelValue | CelError | undefined {
  if (m instanceof Map) {
    if (typeof key === "string" || typeof key === "boolean")
      return (m as ReadonlyMap<CelMapKey, CelValue>).get(key);
    // a double key (from a literal) is found by the same double first (REPL: with x = 2.0,
    // `{x: 1, 2: 2}[2.0]` is 1 and `{x: 1}[2]` is no such key)
    if (typeof key === "number") {
      const same = (m as ReadonlyMap<CelMapKey, CelValue>).get(key);
      if (same !== undefined) return same;
    }
    const n = numericKey(key);
    if (n === undefined) return undefined;
    const direct = (m as ReadonlyMap<CelMapKey, CelValue>).get(n);
    if (direct !== undefined) return direct;
    // uint keys are objects: find them by value.
    for (const [k, v] of m as ReadonlyMap<CelMapKey, CelValue>) {
      if (k instanceof CelUint && k.value === n) return v;
    }
    return undefined;
  }
  if (typeof key !== "string") return undefined;
  if (isCelMapLike(m)) return m.get(key);
  return Object.hasOwn(m, key) ? (m as Record<string, CelValue>)[key] : undefined;
}

export function mapHas(m: CelMapValue, key: CelValue): boolean {
  if (m instanceof Map || typeof key !== "string")
    return m instanceof Map ? mapGet(m, key) !== undefined : false;
  if (isCelMapLike(m)) return m.has(key);
  return Object.hasOwn(m, key);
}

export function mapSize(m: CelMapValue): number {
  if (m instanceof Map) return m.size;
  if (isCelMapLike(m)) return m.size;
  return Object.keys(m).length;
}

/** The keys as CEL values, in insertion order. */
export function mapKeys(m: CelMapValue): CelValue[] {
  if (m instanceof Map) return [...(m as ReadonlyMap<CelMapKey, CelValue>).keys()];
  if (isCelMapLike(m)) return [...m.keys()];
  return Object.keys(m);
}

/** Entries; a CelMapLike's failing entries come back as errors. */
export function mapEntries(m: CelMapValue): [CelValue, CelValue | CelError][] {
  if (m instanceof Map) return [...(m as ReadonlyMap<CelMapKey, CelValue>).entries()];
  if (isCelMapLike(m))
    return [...m.keys()].map((k) => [k, m.get(k) ?? new CelError(`no such key: ${k}`)]);
  return Object.entries(m as Record<string, CelValue>);
}

/** Whether a value may be a map key (cel-go: int, uint, string, bool). */
export function isValidMapKey(k: CelValue): k is CelMapKey {
  return (
    typeof k === "string" || typeof k === "bigint" || typeof k === "boolean" || k instanceof CelUint
  );
}

/** Runtime CEL type name of a value, as `type(x)` reports it. */
export function runtimeTypeName(v: CelValue): string {
  switch (typeof v) {
    case "boolean":
      return "bool";
    case "bigint":
      return "int";
    case "number":
      return "double";
    case "string":
      return "string";
    default:
      break;
  }
  if (v === null) return "null_type";
  if (v instanceof CelUint) return "uint";
  if (v instanceof Uint8Array) return "bytes";
  if (Array.isArray(v)) return "list";
  if (v instanceof CelTimestamp) return "google.protobuf.Timestamp";
  if (v instanceof CelDuration) return "google.protobuf.Duration";
  if (v instanceof CelTypeValue) return "type";
  if (v instanceof CelOptional) return "optional_type";
  if (isCelMap(v)) return "map";
  if (typeof v === "object" && "celTypeName" in v) return v.celTypeName;
  return "unknown";
}
