// Turns ajv's validation errors into the leaf errors Cerbos reports from
// santhosh-tekuri/jsonschema v5: the same instance paths (`/` for the root) and message texts
// (`expected string, but got number`, `missing properties: 'a', 'b'`). Wrapper errors that
// santhosh-tekuri reports only through their causes (anyOf, oneOf, if, contains, $ref) are dropped.

import type { ErrorObject } from "ajv/dist/2020.js";

export interface AttributeError {
  readonly path: string;
  readonly message: string;
}

/** santhosh-tekuri's quote(): single quotes around Go-escaped text. */
function quote(s: string): string {
  const inner = JSON.stringify(s).slice(1, -1).replace(/\\"/gu, '"').replace(/'/gu, "\\'");
  return `'${inner}'`;
}

function jsonType(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "number" || typeof v === "bigint") return "number";
  if (typeof v === "string") return "string";
  return "object";
}

/**
 * Go's `%#v` of a value decoded with json.Number, as santhosh-tekuri prints enum and const
 * values: strings and numbers both come out double-quoted.
 */
function goValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") return JSON.stringify(String(v));
  if (v === null) return "<nil>";
  if (typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

/** Go's `%v` of a float64. */
function goNumber(n: unknown): string {
  return typeof n === "number" ? String(n) : String(n);
}

const runes = (s: unknown): number => (typeof s === "string" ? [...s].length : 0);

/**
 * santhosh-tekuri stops checking a (sub)schema once the value has the wrong type; ajv goes on.
 * Drops what ajv found under a schema whose `type` failed for the same value.
 */
function afterTypeFailures(errors: readonly ErrorObject[]): ErrorObject[] {
  const failed = errors
    .filter((e) => e.keyword === "type")
    .map((e) => ({ schema: e.schemaPath.replace(/\/type$/u, "/"), instance: e.instancePath }));
  return errors.filter(
    (e) =>
      e.keyword === "type" ||
      !failed.some(
        (f) =>
          e.schemaPath.startsWith(f.schema) &&
          (e.instancePath === f.instance || e.instancePath.startsWith(`${f.instance}/`)),
      ),
  );
}

const escapePointer = (s: string): string => s.replace(/~/gu, "~0").replace(/\//gu, "~1");

export function translateErrors(
  all: readonly ErrorObject[],
  ignoreRequired: boolean,
): AttributeError[] {
  const errors = afterTypeFailures(all);
  const out: AttributeError[] = [];
  // santhosh-tekuri reports all missing properties (and all disallowed additional ones) of
  // an object in one error; ajv reports one error per property.
  const grouped = new Map<
    string,
    { path: string; kind: "required" | "additional"; names: string[]; at: number }
  >();
  for (const e of errors) {
    const path = e.instancePath === "" ? "/" : e.instancePath;
    const p = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case "required":
      case "additionalProperties": {
        if (e.keyword === "required" && ignoreRequired) break;
        const kind = e.keyword === "required" ? "required" : "additional";
        const key = `${kind}\u0000${path}\u0000${e.schemaPath}`;
        const name = String(kind === "required" ? p["missingProperty"] : p["additionalProperty"]);
        const g = grouped.get(key);
        if (g) g.names.push(name);
        else {
          grouped.set(key, { path, kind, names: [name], at: out.length });
          out.push({ path, message: "" });
        }
        break;
      }
      case "type": {
        const t = p["type"];
        const types = Array.isArray(t) ? t.map(String) : String(t).split(",");
        out.push({ path, message: `expected ${types.join(" or ")}, but got ${jsonType(e.data)}` });
        break;
      }
      case "enum": {
        const values = (p["allowedValues"] as unknown[] | undefined) ?? [];
        out.push({
          path,
          message:
            values.length === 1
              ? `value must be ${goValue(values[0])}`
              : `value must be one of ${values.map(goValue).join(", ")}`,
        });
        break;
      }
      case "const": {
        const c = p["allowedValue"];
        out.push({
          path,
          message:
            typeof c === "object" && c !== null ? "const failed" : `value must be ${goValue(c)}`,
        });
        break;
      }
      case "format": {
        const v = typeof e.data === "string" ? quote(e.data) : goNumber(e.data);
        out.push({ path, message: `${v} is not valid ${quote(String(p["format"]))}` });
        break;
      }
      case "minLength":
        out.push({
          path,
          message: `length must be >= ${String(p["limit"])}, but got ${runes(e.data)}`,
        });
        break;
      case "maxLength":
        out.push({
          path,
          message: `length must be <= ${String(p["limit"])}, but got ${runes(e.data)}`,
        });
        break;
      case "pattern":
        out.push({ path, message: `does not match pattern ${quote(String(p["pattern"]))}` });
        break;
      case "minimum":
      case "maximum":
      case "exclusiveMinimum":
      case "exclusiveMaximum": {
        const op = { minimum: ">=", maximum: "<=", exclusiveMinimum: ">", exclusiveMaximum: "<" }[
          e.keyword
        ];
        out.push({
          path,
          message: `must be ${op} ${goNumber(p["limit"])} but found ${goNumber(e.data)}`,
        });
        break;
      }
      case "multipleOf":
        out.push({
          path,
          message: `${goNumber(e.data)} not multipleOf ${goNumber(p["multipleOf"])}`,
        });
        break;
      case "minItems":
        out.push({
          path,
          message: `minimum ${String(p["limit"])} items required, but found ${Array.isArray(e.data) ? e.data.length : 0} items`,
        });
        break;
      case "maxItems":
        out.push({
          path,
          message: `maximum ${String(p["limit"])} items required, but found ${Array.isArray(e.data) ? e.data.length : 0} items`,
        });
        break;
      case "uniqueItems": {
        const i = Number(p["i"]);
        const j = Number(p["j"]);
        out.push({
          path,
          message: `items at index ${Math.min(i, j)} and ${Math.max(i, j)} are equal`,
        });
        break;
      }
      case "minProperties":
        out.push({
          path,
          message: `minimum ${String(p["limit"])} properties allowed, but found ${Object.keys(e.data ?? {}).length} properties`,
        });
        break;
      case "maxProperties":
        out.push({
          path,
          message: `maximum ${String(p["limit"])} properties allowed, but found ${Object.keys(e.data ?? {}).length} properties`,
        });
        break;
      case "dependentRequired":
      case "dependencies":
        out.push({
          path,
          message: `property ${quote(String(p["missingProperty"]))} is required, if ${quote(String(p["property"]))} property exists`,
        });
        break;
      case "false schema":
        out.push({ path, message: "not allowed" });
        break;
      case "not":
        out.push({ path, message: "not failed" });
        break;
      case "oneOf": {
        const passing = p["passingSchemas"];
        if (Array.isArray(passing) && passing.length >= 2) {
          out.push({
            path,
            message: `valid against schemas at indexes ${String(passing[0])} and ${String(passing[1])}`,
          });
        }
        break;
      }
      case "unevaluatedProperties":
        // Each property left over fails a `false` schema of its own.
        out.push({
          path: `${e.instancePath}/${escapePointer(String(p["unevaluatedProperty"]))}`,
          message: "not allowed",
        });
        break;
      case "unevaluatedItems":
        for (let i = Number(p["limit"]); Array.isArray(e.data) && i < e.data.length; i++) {
          out.push({ path: `${e.instancePath}/${i}`, message: "not allowed" });
        }
        break;
      case "contains":
      case "anyOf":
      case "if":
      case "allOf":
      case "$ref":
        // Reported through the failures of their subschemas.
        break;
      default:
        out.push({ path, message: e.message ?? `${e.keyword} failed` });
    }
  }
  for (const g of grouped.values()) {
    const names = g.names.map(quote).join(", ");
    out[g.at] = {
      path: g.path,
      message:
        g.kind === "required"
          ? `missing properties: ${names}`
          : `additionalProperties ${names} not allowed`,
    };
  }
  return out;
}
