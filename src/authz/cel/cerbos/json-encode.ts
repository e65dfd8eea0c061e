// Cerbos's json.encode(value): the JSON text of a CEL value as Go's encoding/json writes the
// protobuf Value it converts to: keys sorted, HTML-sensitive characters escaped, ints outside
// ±(2^53-1) as strings, bytes as base64, timestamps and durations as their string forms.

import type { CelLibrary } from "../library.ts";
import { T } from "../types.ts";
import {
  CelDuration,
  CelError,
  CelOptional,
  CelTimestamp,
  CelTypeValue,
  CelUint,
  type CelResult,
  type CelValue,
} from "../value.ts";
import { base64Encode } from "../lib/encoders.ts";
import { formatDuration, formatTimestamp } from "../time.ts";
import { celTypeName, compareStrings, isCelMap, mapEntries } from "../lib/value-ops.ts";
import { HIERARCHY_TYPE_NAME } from "./hierarchy.ts";

const MAX_SAFE = (1n << 53n) - 1n;

/** Go type names Cerbos's own types report when they cannot become JSON. */
const NATIVE_NAMES: Readonly<Record<string, string>> = {
  [HIERARCHY_TYPE_NAME]: "hierarchy",
  "cerbos.lib.spiffeID": "SPIFFEID",
  "cerbos.lib.spiffeTrustDomain": "SPIFFETrustDomain",
  "cerbos.lib.spiffeMatcher": "SPIFFEMatcher",
};

/** Go's encoding/json string escaping (with HTML escaping on, as json.Marshal does). */
export function jsonQuote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i] as string;
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        out += ch + (s[i + 1] as string);
        i++;
      } else out += "\ufffd";
      continue;
    }
    switch (ch) {
      case '"':
        out += '\\"';
        break;
      case "\\":
        out += "\\\\";
        break;
      case "\n":
        out += "\\n";
        break;
      case "\r":
        out += "\\r";
        break;
      case "\t":
        out += "\\t";
        break;
      case "\b":
        out += "\\b";
        break;
      case "\f":
        out += "\\f";
        break;
      default:
        if (c < 0x20 || ch === "<" || ch === ">" || ch === "&" || c === 0x2028 || c === 0x2029) {
          out += `\\u${c.toString(16).padStart(4, "0")}`;
        } else out += ch;
    }
  }
  return out + '"';
}

function jsonNumber(x: number): string | CelError {
  const invalid = Number.isNaN(x) ? "NaN" : x === Infinity ? "+Inf" : x === -Infinity ? "-Inf" : "";
  // Go's protobuf errors print "proto:" followed by a no-break space (U+00A0), deliberately.
  if (invalid) {
    return new CelError(`proto:\u00a0google.protobuf.Value.number_value: invalid ${invalid} value`);
  }
  if (Object.is(x, -0)) return "-0";
  // ES number formatting is what Go's encoding/json emulates for float64.
  return String(x);
}

function mapKey(k: CelValue): string | CelError {
  if (typeof k === "string") return k;
  if (typeof k === "boolean") return new CelError("type conversion error from bool to 'string'");
  return new CelError(`unsupported type conversion from '${celTypeName(k)}' to string`);
}

export function encodeJson(v: CelValue): string | CelError {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return String(v);
    case "string":
      return jsonQuote(v);
    case "number":
      return jsonNumber(v);
    case "bigint":
      return v > MAX_SAFE || v < -MAX_SAFE ? `"${v}"` : v.toString();
    default:
      break;
  }
  if (v instanceof CelUint) return v.value > MAX_SAFE ? `"${v.value}"` : v.value.toString();
  if (v instanceof Uint8Array) return `"${base64Encode(v)}"`;
  if (v instanceof CelTimestamp) return `"${formatTimestamp(v)}"`;
  if (v instanceof CelDuration) return `"${formatDuration(v)}"`;
  if (v instanceof CelTypeValue) return new CelError("type conversion not supported for 'type'");
  if (v instanceof CelOptional) {
    return v.value === undefined
      ? new CelError("optional.none() dereference")
      : encodeJson(v.value);
  }
  if (Array.isArray(v)) {
    const parts: string[] = [];
    for (const e of v as readonly CelValue[]) {
      const s = encodeJson(e);
      if (s instanceof CelError) return s;
      parts.push(s);
    }
    return `[${parts.join(",")}]`;
  }
  if (isCelMap(v)) {
    const parts: [string, string][] = [];
    for (const [k, e] of mapEntries(v)) {
      const key = mapKey(k);
      if (key instanceof CelError) return key;
      if (e instanceof CelError) return e;
      const s = encodeJson(e);
      if (s instanceof CelError) return s;
      parts.push([key, s]);
    }
    parts.sort((a, b) => compareStrings(a[0], b[0]));
    return `{${parts.map(([k, s]) => `${jsonQuote(k)}:${s}`).join(",")}}`;
  }
  const native = NATIVE_NAMES[celTypeName(v)];
  if (native)
    return new CelError(`unsupported native conversion from ${native} to '*structpb.Value'`);
  return new CelError("unsupported type conversion to '*structpb.Value'");
}

export const jsonLibrary: CelLibrary = {
  name: "cerbos.lib.json",
  functions: [
    {
      name: "json.encode",
      overloads: [
        {
          id: "json_encode_dyn",
          params: [T.dyn],
          result: T.string,
          impl: (v): CelResult => encodeJson(v),
        },
      ],
    },
  ],
};
