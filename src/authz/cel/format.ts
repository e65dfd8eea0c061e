// Rendering CEL values: to JSON for policy outputs (as Cerbos converts them to
// google.protobuf.Value) and as REPL-style text for debugging and test messages.

import type { JsonValue } from "../policy/model.ts";
import { isCelMap, mapEntries, runtimeTypeName } from "./maps.ts";
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
  // cel-go reads an optional's value for the conversion, so none fails
  if (v instanceof CelOptional) {
    return v.value === undefined
      ? new CelError("optional.none() dereference")
      : toJsonValue(v.value);
  }
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
      if (typeof k !== "string") return keyConversionError(k);
      const j = toJsonValue(e);
      if (j instanceof CelError) return j;
      out[k] = j;
    }
    return out;
  }
  if (v instanceof CelTypeValue) return new CelError("type conversion not supported for 'type'");
  const typeName = (v as { celTypeName?: string }).celTypeName ?? "unknown";
  const goName = OPAQUE_GO_NAMES[typeName];
  return new CelError(
    goName === undefined
      ? "unsupported type conversion to '*structpb.Value'"
      : `unsupported native conversion from ${goName} to '*structpb.Value'`,
  );
}

/** The Go type names Cerbos's own opaque types report when they cannot become JSON. */
const OPAQUE_GO_NAMES: Readonly<Record<string, string>> = {
  "cerbos.lib.hierarchy": "hierarchy",
  "cerbos.lib.spiffeID": "SPIFFEID",
  "cerbos.lib.spiffeMatcher": "SPIFFEMatcher",
  "cerbos.lib.spiffeTrustDomain": "SPIFFETrustDomain",
};

/** cel-go's error for a map key that cannot become a JSON object key (Cerbos output values). */
function keyConversionError(k: CelValue): CelError {
  if (typeof k === "bigint")
    return new CelError("unsupported type conversion from 'int' to string");
  if (k instanceof CelUint)
    return new CelError("unsupported type conversion from 'uint' to string");
  if (typeof k === "boolean") return new CelError("type conversion error from bool to 'string'");
  if (typeof k === "number") return new CelError("type conversion error from Double to 'string'");
  return new CelError(`unsupported type conversion from '${runtimeTypeName(k)}' to string`);
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
