// The protojson rules Cerbos's gateway applies before validation (field names in camelCase or
// snake_case, `null` for "unset", strict scalar types, no unknown or repeated fields), over a
// body that is already JSON-parsed. Go reports a line:column; we report the JSON path instead.

import { InvalidArgumentError } from "../../kernel/errors.ts";

/**
 * A protojson failure on its way up: each enclosing decoder adds its key or index, so the
 * path is built only when something is wrong. Internal: callers get an InvalidArgumentError.
 */
export class ProtoFault extends Error {
  readonly syntax: boolean;
  readonly detail: string;
  /** Innermost first. */
  readonly path: string[] = [];
  constructor(syntax: boolean, detail: string) {
    super(detail);
    this.syntax = syntax;
    this.detail = detail;
    this.name = "ProtoFault";
  }
}

/** Adds a path segment (a key, or `[i]`) to a fault passing through, and rethrows anything. */
export function within(e: unknown, segment: string | number): never {
  if (e instanceof ProtoFault) e.path.push(typeof segment === "number" ? `[${segment}]` : segment);
  throw e;
}

/** The path in the user's own key names: `principal.roles[0]`. */
export function faultPath(f: ProtoFault): string {
  let out = "";
  for (let i = f.path.length - 1; i >= 0; i--) {
    const seg = f.path[i]!;
    out += out && seg[0] !== "[" ? `.${seg}` : seg;
  }
  return out;
}

/**
 * protobuf-go separates `proto:` from the rest with a space it picks per binary (a plain or a
 * no-break space, to discourage matching on error text); Cerbos 0.55's binary has U+00A0.
 */
const PROTO = "proto:\u00a0";

/** The error a request gets: `proto: (principal.id): invalid value for string field id: 1`. */
export function protoJsonError(f: ProtoFault): InvalidArgumentError {
  const path = faultPath(f);
  if (f.syntax)
    return new InvalidArgumentError(
      "",
      `${PROTO}syntax error${path ? ` (${path})` : ""}: ${f.detail}`,
    );
  return new InvalidArgumentError(
    "",
    path ? `${PROTO}(${path}): ${f.detail}` : `${PROTO}${f.detail}`,
  );
}

/** How Go's JSON decoder prints the token it stopped at. */
export function tokenText(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "[";
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "object":
      return "{";
    case "number":
    case "boolean":
      return String(v);
    default:
      // not JSON (undefined, a function): only a caller bypassing JSON.parse sends these
      return typeof v;
  }
}

export const unexpectedToken = (v: unknown): ProtoFault =>
  new ProtoFault(true, `unexpected token ${tokenText(v)}`);

export const invalidValue = (kind: string, jsonName: string, v: unknown): ProtoFault =>
  new ProtoFault(false, `invalid value for ${kind} field ${jsonName}: ${tokenText(v)}`);

export const unknownField = (key: string): ProtoFault =>
  new ProtoFault(false, `unknown field ${JSON.stringify(key)}`);

export const duplicateField = (key: string): ProtoFault =>
  new ProtoFault(false, `duplicate field ${JSON.stringify(key)}`);

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A message-typed value: a JSON object (the caller has already skipped `null`). */
export function readMessage(v: unknown): Record<string, unknown> {
  if (!isObject(v)) throw unexpectedToken(v);
  return v;
}

export function readString(v: unknown, jsonName: string): string {
  if (typeof v !== "string") throw invalidValue("string", jsonName, v);
  return v;
}

export function readBool(v: unknown, jsonName: string): boolean {
  if (typeof v !== "boolean") throw invalidValue("bool", jsonName, v);
  return v;
}

/** `repeated string`: the array itself is returned, not copied. */
export function readStringList(v: unknown, jsonName: string): readonly string[] {
  if (!Array.isArray(v)) throw unexpectedToken(v);
  for (let i = 0; i < v.length; i++) {
    const item: unknown = v[i];
    if (typeof item !== "string") within(invalidValue("string", jsonName, item), i);
  }
  return v as readonly string[];
}

/** `map<string, google.protobuf.Value>`: any JSON value is a Value, so only the map is checked. */
export function readValueMap(v: unknown): Record<string, unknown> {
  if (!isObject(v)) throw unexpectedToken(v);
  return v;
}

/** How one field of a message reads from JSON; for the less travelled requests (AuthZEN, deprecated APIs). */
export type FieldSpec =
  | {
      readonly slot: string;
      readonly kind: "string" | "bool" | "valueMap";
      readonly jsonName: string;
    }
  | { readonly slot: string; readonly kind: "stringList"; readonly jsonName: string }
  | {
      readonly slot: string;
      readonly kind: "message" | "messageList" | "messageMap";
      readonly spec: MessageSpec;
    }
  | { readonly slot: string; readonly kind: "custom"; readonly decode: (v: unknown) => unknown };

/** JSON key (camelCase and snake_case both listed) -> field; fields sharing a slot are one field. */
export type MessageSpec = Readonly<Record<string, FieldSpec>>;

/** A decoded message: slot -> value; a field sent as `null` or not sent is absent. */
export type Decoded = Record<string, unknown>;

/** Table-driven protojson decoding with the same rules and messages as the hand-written decoders. */
export function decodeMessage(v: unknown, spec: MessageSpec): Decoded {
  const o = readMessage(v);
  const out: Decoded = {};
  const seen = new Set<string>();
  for (const key in o) {
    const val = o[key];
    try {
      const field = Object.hasOwn(spec, key) ? spec[key] : undefined;
      if (!field) throw unknownField(key);
      if (seen.has(field.slot)) throw duplicateField(key);
      seen.add(field.slot);
      if (val == null) continue;
      switch (field.kind) {
        case "string":
          out[field.slot] = readString(val, field.jsonName);
          break;
        case "bool":
          out[field.slot] = readBool(val, field.jsonName);
          break;
        case "valueMap":
          out[field.slot] = readValueMap(val);
          break;
        case "stringList":
          out[field.slot] = readStringList(val, field.jsonName);
          break;
        case "message":
          out[field.slot] = decodeMessage(val, field.spec);
          break;
        case "custom":
          out[field.slot] = field.decode(val);
          break;
        case "messageList": {
          if (!Array.isArray(val)) throw unexpectedToken(val);
          out[field.slot] = val.map((item: unknown, i) => {
            try {
              return decodeMessage(item, field.spec);
            } catch (e) {
              return within(e, i);
            }
          });
          break;
        }
        case "messageMap": {
          const m = readMessage(val);
          const entries: Record<string, Decoded> = {};
          for (const k in m) {
            try {
              entries[k] = decodeMessage(m[k], field.spec);
            } catch (e) {
              within(e, k);
            }
          }
          out[field.slot] = entries;
          break;
        }
      }
    } catch (e) {
      within(e, key);
    }
  }
  return out;
}
