// Reading values out of CEL containers at run time: field selection (maps, JSON objects,
// messages with defaults), indexing with cel-go's numeric key rules, optional access and
// presence tests, with cel-go's error messages.

import { isCelMap, mapGet, mapHas, runtimeTypeName } from "./maps.ts";
import { isZeroValue } from "./std/optionals.ts";
import type { CelType } from "./types.ts";
import {
  CelError,
  CelOptional,
  CelTimestamp,
  CelUint,
  type CelResult,
  type CelValue,
} from "./value.ts";

/** Go type names as cel-go prints them in "expected iterable type" errors. */
export function goTypeName(v: CelValue): string {
  const n = runtimeTypeName(v);
  const known: Record<string, string> = {
    int: "types.Int",
    uint: "types.Uint",
    double: "types.Double",
    string: "types.String",
    bool: "types.Bool",
    bytes: "types.Bytes",
    null_type: "types.Null",
    "google.protobuf.Timestamp": "types.Timestamp",
    "google.protobuf.Duration": "types.Duration",
    optional_type: "*types.Optional",
    type: "*types.Type",
  };
  return known[n] ?? n;
}

export function formatKey(k: CelValue): string {
  if (k instanceof CelUint) return k.value.toString();
  if (
    typeof k === "string" ||
    typeof k === "bigint" ||
    typeof k === "boolean" ||
    typeof k === "number"
  )
    return String(k);
  return runtimeTypeName(k);
}

/** Default value of a message field that is absent from the object. */
export function defaultFor(t: CelType | undefined): CelValue {
  switch (t?.kind) {
    case "bool":
      return false;
    case "int":
      return 0n;
    case "uint":
      return new CelUint(0n);
    case "double":
      return 0;
    case "string":
      return "";
    case "bytes":
      return new Uint8Array(0);
    case "list":
      return [];
    case "map":
    case "message":
      return {};
    case "timestamp":
      return new CelTimestamp(0, 0);
    default:
      return null;
  }
}

/** Field read with map semantics (missing key is an error) or message semantics (default). */
export function selectField(
  v: CelValue,
  field: string,
  messageField: CelType | undefined,
  isMessage: boolean,
  missing: CelError,
): CelResult {
  if (isCelMap(v)) {
    const r = mapGet(v, field);
    if (r !== undefined) return r;
    return isMessage ? defaultFor(messageField) : missing;
  }
  if (v instanceof CelOptional) {
    if (v.value === undefined) return v;
    const r = selectOptional(v.value, field);
    return r;
  }
  if (Array.isArray(v)) return new CelError("unsupported index type 'string' in list");
  return new CelError(`no such key: ${field}`);
}

export function selectOptional(v: CelValue, field: string): CelResult {
  if (v instanceof CelOptional) return v.value === undefined ? v : selectOptional(v.value, field);
  if (isCelMap(v)) {
    const r = mapGet(v, field);
    if (r === undefined) return CelOptional.none;
    return r instanceof CelError ? r : new CelOptional(r);
  }
  if (Array.isArray(v)) return new CelError("unsupported index type 'string' in list");
  // cel-go finds no field on other values and optional access turns that into none
  // (REPL: `dyn(1).?a.orValue(0)` is 0)
  return CelOptional.none;
}

export function indexValue(v: CelValue, k: CelValue): CelResult {
  if (Array.isArray(v)) {
    let i: number;
    if (typeof k === "bigint") i = Number(k);
    else if (k instanceof CelUint) i = Number(k.value);
    else if (typeof k === "number") {
      if (!Number.isInteger(k)) return new CelError(`unsupported index value ${k} in list`);
      i = k;
    } else return new CelError(`unsupported index type '${runtimeTypeName(k)}' in list`);
    if (i < 0 || i >= v.length)
      return new CelError(`index out of bounds: ${typeof k === "bigint" ? k : i}`);
    return v[i] as CelValue;
  }
  if (isCelMap(v)) {
    const r = mapGet(v, k);
    return r === undefined ? new CelError(`no such key: ${formatKey(k)}`) : r;
  }
  if (v instanceof CelOptional) {
    if (v.value === undefined) return v;
    return indexOptional(v.value, k);
  }
  return new CelError(`no such key: ${formatKey(k)}`);
}

export function indexOptional(v: CelValue, k: CelValue): CelResult {
  if (v instanceof CelOptional) return v.value === undefined ? v : indexOptional(v.value, k);
  if (Array.isArray(v)) {
    const i =
      typeof k === "bigint"
        ? Number(k)
        : k instanceof CelUint
          ? Number(k.value)
          : typeof k === "number" && Number.isInteger(k)
            ? k
            : undefined;
    if (i === undefined)
      return new CelError(`unsupported index type '${runtimeTypeName(k)}' in list`);
    return i < 0 || i >= v.length ? CelOptional.none : new CelOptional(v[i] as CelValue);
  }
  if (isCelMap(v)) {
    const r = mapGet(v, k);
    if (r === undefined) return CelOptional.none;
    return r instanceof CelError ? r : new CelOptional(r);
  }
  // as for selection: a value that is neither list nor map has no entry (REPL: `dyn("s")[?0]`)
  return CelOptional.none;
}

/** has(): maps test key presence; messages test for a non-default value, as proto3 does. */
export function testField(v: CelValue, field: string, isMessage: boolean): CelResult {
  if (isCelMap(v)) {
    if (!isMessage) return mapHas(v, field);
    const r = mapGet(v, field);
    return r !== undefined && !(r instanceof CelError) && !isZeroValue(r);
  }
  if (v instanceof CelOptional)
    return v.value === undefined ? false : testField(v.value, field, isMessage);
  if (Array.isArray(v)) return new CelError("unsupported index type 'string' in list");
  return false;
}
