// Checks a decoded policy against the `buf.validate` constraints of policy.proto, with the
// messages protovalidate gives Cerbos (`resourcePolicy.version: value is required`). Every
// violation is reported; a field that fails `required` is not checked further.

import {
  patternText,
  type FieldShape,
  type MessageShape,
  type StringRules,
} from "./policy-shape.ts";

export interface Violation {
  /** Cerbos-style path of the field or item (`$.resourcePolicy.rules[0].actions`). */
  readonly path: string;
  readonly message: string;
}

export function validateMessage(
  value: Record<string, unknown>,
  shape: MessageShape,
  path: string,
): Violation[] {
  const out: Violation[] = [];
  checkMessage(value, shape, path, out);
  return out;
}

const fieldLabel = (path: string): string => path.replace(/^\$\.?/u, "");

function violation(out: Violation[], path: string, message: string): void {
  out.push({ path, message: `${fieldLabel(path)}: ${message}` });
}

function checkMessage(
  value: Record<string, unknown>,
  shape: MessageShape,
  path: string,
  out: Violation[],
): void {
  for (const oneof of shape.oneofs ?? []) {
    const set = shape.fields.filter((f) => f.oneof === oneof.name && value[f.name] !== undefined);
    if (oneof.required && set.length === 0) {
      violation(out, `${path}.${oneof.name}`, "exactly one field is required in oneof");
    }
  }
  for (const field of shape.fields)
    checkField(value[field.name], field, `${path}.${field.name}`, out);
}

function isEmpty(v: unknown, field: FieldShape): boolean {
  if (v === undefined || v === null) return true;
  if (field.type.t === "string") return v === "";
  if (field.type.t === "list") return Array.isArray(v) && v.length === 0;
  if (field.type.t === "enum") return v === field.type.values[0] || v === 0;
  return false;
}

function checkField(v: unknown, field: FieldShape, path: string, out: Violation[]): void {
  const present = v !== undefined;
  if (field.required && isEmpty(v, field)) {
    violation(out, path, "value is required");
    return;
  }
  if (!present) return;
  const t = field.type;
  switch (t.t) {
    case "string":
      if (field.string && typeof v === "string") checkString(v, field.string, path, out);
      return;
    case "enum":
      if (field.enumIn) {
        const name = typeof v === "number" ? t.values[v] : v;
        if (typeof name !== "string" || !field.enumIn.includes(name)) {
          violation(out, path, `must be one of [${[...field.enumIn].sort().join(", ")}]`);
        }
      }
      return;
    case "message": {
      if (typeof v === "object" && v !== null)
        checkMessage(v as Record<string, unknown>, t.shape(), path, out);
      return;
    }
    case "list": {
      if (!Array.isArray(v)) return;
      if (field.minItems !== undefined && v.length < field.minItems) {
        violation(out, path, `must contain at least ${field.minItems} item(s)`);
      }
      if (field.unique && new Set(v.map((x) => JSON.stringify(x))).size !== v.length) {
        violation(out, path, "repeated value must contain unique items");
      }
      v.forEach((item, i) => {
        const p = `${path}[${i}]`;
        if (field.items && typeof item === "string") checkString(item, field.items, p, out);
        if (t.of.t === "message" && typeof item === "object" && item !== null) {
          checkMessage(item as Record<string, unknown>, t.of.shape(), p, out);
        }
      });
      return;
    }
    default:
      return;
  }
}

function checkString(v: string, rules: StringRules, path: string, out: Violation[]): void {
  if (rules.const !== undefined && v !== rules.const) {
    violation(out, path, `must equal \`${rules.const}\``);
    return;
  }
  // protovalidate counts characters (code points), not UTF-16 units.
  if (rules.minLen !== undefined && [...v].length < rules.minLen) {
    violation(out, path, `must be at least ${rules.minLen} characters`);
  }
  if (rules.pattern && !rules.pattern.test(v)) {
    violation(
      out,
      path,
      `does not match regex pattern \`${patternText.get(rules.pattern) ?? rules.pattern.source}\``,
    );
  }
}
