// Rendering CEL values: to JSON for policy outputs (as Cerbos converts them to
// google.protobuf.Value) and as REPL-style text for debugging and test messages.

import type { JsonValue } from "../policy/model.ts";
import { isCelMap, mapEntries } from "./maps.ts";
import { formatDouble } from "./std/conversions.ts";
import { formatDuration, formatTimestamp } from "./time.ts";
import {
  CelDuration,
  CelError,
  CelOptional,
  CelTimestamp,
  CelTypeValue,
  CelUint,
  type CelValue,
} from "./value.ts";

function base64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** CEL value -> JSON; an error for values JSON cannot carry (types, opaque values, bad keys). */
export function toJsonValue(v: CelValue): JsonValue | CelError {
  switch (typeof v) {
    case "boolean":
    case "string":
      return v;
    case "number":
      return Number.isFinite(v)
        ? v
        : String(v === Infinity ? "Infinity" : v === -Infinity ? "-Infinity" : "NaN");
    case "bigint":
      return Number(v);
    default:
      break;
  }
  if (v === null) return null;
  if (v instanceof CelUint) return Number(v.value);
  if (v instanceof Uint8Array) return base64(v);
  if (v instanceof CelTimestamp) return formatTimestamp(v);
  if (v instanceof CelDuration) return formatDuration(v);
  if (v instanceof CelOptional) return v.value === undefined ? null : toJsonValue(v.value);
  if (Array.isArray(v)) {
    const out: JsonValue[] = [];
    for (const e of v) {
      const j = toJsonValue(e as CelValue);
      if (j instanceof CelError) return j;
      out.push(j);
    }
    return out;
  }
  if (isCelMap(v)) {
    const out: Record<string, JsonValue> = {};
    for (const [k, e] of mapEntries(v)) {
      if (e instanceof CelError) return e;
      if (typeof k !== "string")
        return new CelError(`unsupported map key type for JSON: ${formatCelValue(k)}`);
      const j = toJsonValue(e);
      if (j instanceof CelError) return j;
      out[k] = j;
    }
    return out;
  }
  if (v instanceof CelTypeValue) return v.name;
  return new CelError(
    `cannot convert value of type ${(v as { celTypeName?: string }).celTypeName ?? "unknown"} to JSON`,
  );
}

function quoteBytes(b: Uint8Array): string {
  let s = 'b"';
  for (const x of b) {
    if (x === 0x22 || x === 0x5c) s += "\\" + String.fromCharCode(x);
    else if (x >= 0x20 && x < 0x7f) s += String.fromCharCode(x);
    else s += "\\x" + x.toString(16).padStart(2, "0");
  }
  return s + '"';
}

export function formatCelValue(v: CelValue | CelError): string {
  if (v instanceof CelError) return `error(${JSON.stringify(v.message)})`;
  switch (typeof v) {
    case "boolean":
      return String(v);
    case "bigint":
      return v.toString();
    case "number":
      return formatDouble(v);
    case "string":
      return JSON.stringify(v);
    default:
      break;
  }
  if (v === null) return "null";
  if (v instanceof CelUint) return `${v.value}u`;
  if (v instanceof Uint8Array) return quoteBytes(v);
  if (v instanceof CelTimestamp) return `timestamp(${JSON.stringify(formatTimestamp(v))})`;
  if (v instanceof CelDuration) return `duration(${JSON.stringify(formatDuration(v))})`;
  if (v instanceof CelTypeValue) return v.name;
  if (v instanceof CelOptional)
    return v.value === undefined ? "optional.none()" : `optional.of(${formatCelValue(v.value)})`;
  if (Array.isArray(v)) return `[${v.map((e) => formatCelValue(e as CelValue)).join(", ")}]`;
  if (isCelMap(v))
    return `{${mapEntries(v)
      .map(([k, e]) => `${formatCelValue(k)}: ${formatCelValue(e)}`)
      .join(", ")}}`;
  return `<${(v as { celTypeName: string }).celTypeName}>`;
}
