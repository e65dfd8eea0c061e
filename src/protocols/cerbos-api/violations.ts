// Request validation the way Cerbos reports it: protovalidate (buf.validate) rules over the
// decoded message, every violation gathered in field order, then one error whose message and
// `buf.validate.Violations` detail match what Cerbos's gRPC and HTTP APIs return.
// Violations are built only when a rule fails: a valid request allocates nothing here.

import { InvalidArgumentError } from "../../kernel/errors.ts";

/** A proto field as protovalidate names it in a violation path. */
export interface FieldDesc {
  readonly number: number;
  /** The proto (snake_case) name: violation paths use it, not the JSON name. */
  readonly name: string;
  readonly type: "TYPE_STRING" | "TYPE_MESSAGE" | "TYPE_BOOL";
  /** Map fields: the value type (keys are always strings here). */
  readonly mapValue?: "TYPE_STRING" | "TYPE_MESSAGE";
}

/** One step of a violation path: a field, with the list index or map key it selects. */
export interface PathStep {
  readonly field: FieldDesc;
  readonly index?: number;
  readonly key?: string;
}

/** The protovalidate rules the Cerbos and AuthZEN request protos use. */
export type Rule =
  | "required"
  | "string.pattern"
  | "repeated.unique"
  | "repeated.items.string.min_len"
  | "repeated.min_items"
  | "repeated.max_items"
  | "map.keys.string.min_len"
  | "string.in"
  | { readonly celId: string; readonly message: string };

export interface Violation {
  readonly path: readonly PathStep[];
  readonly rule: Rule;
  /** For `string.pattern`, `string.in` and `repeated.max_items`: the message carries the rule's argument. */
  readonly message: string;
}

/** A request that failed validation: `InvalidArgumentError` plus Cerbos's violation detail. */
export class RequestValidationError extends InvalidArgumentError {
  readonly violations: readonly Violation[];
  constructor(violations: readonly Violation[]) {
    super("", formatViolations(violations));
    this.violations = violations;
    this.name = "RequestValidationError";
  }
  /** The `details` of Cerbos's error body: one `buf.validate.Violations` Any. */
  details(): unknown[] {
    return [
      {
        "@type": "type.googleapis.com/buf.validate.Violations",
        violations: this.violations.map(violationDetail),
      },
    ];
  }
}

/** The text protovalidate prints for a path: `resources[0].resource.kind`, `attr[""]`. */
export function formatPath(path: readonly PathStep[]): string {
  let out = "";
  for (const step of path) {
    if (out) out += ".";
    out += step.field.name;
    if (step.index !== undefined) out += `[${step.index}]`;
    else if (step.key !== undefined) out += `[${JSON.stringify(step.key)}]`;
  }
  return out;
}

function formatViolation(v: Violation): string {
  const path = formatPath(v.path);
  return path ? `${path}: ${v.message}` : v.message;
}

export function formatViolations(violations: readonly Violation[]): string {
  if (violations.length === 1) return `validation error: ${formatViolation(violations[0]!)}`;
  let out = "validation errors:";
  for (const v of violations) out += `\n - ${formatViolation(v)}`;
  return out;
}

export const messageOf: Readonly<Record<Exclude<Rule, object>, string>> = {
  required: "value is required",
  "string.pattern": "",
  "repeated.unique": "repeated value must contain unique items",
  "repeated.items.string.min_len": "must be at least 1 characters",
  "repeated.min_items": "must contain at least 1 item(s)",
  "repeated.max_items": "",
  "map.keys.string.min_len": "must be at least 1 characters",
  "string.in": "",
};

type RuleElem = readonly [number, string, string];
const R_REQUIRED: RuleElem = [25, "required", "TYPE_BOOL"];
const R_STRING: RuleElem = [14, "string", "TYPE_MESSAGE"];
const R_REPEATED: RuleElem = [18, "repeated", "TYPE_MESSAGE"];
const R_MIN_LEN: RuleElem = [2, "min_len", "TYPE_UINT64"];

const ruleElements: Readonly<Record<Exclude<Rule, object>, readonly RuleElem[]>> = {
  required: [R_REQUIRED],
  "string.pattern": [R_STRING, [6, "pattern", "TYPE_STRING"]],
  "repeated.unique": [R_REPEATED, [3, "unique", "TYPE_BOOL"]],
  "repeated.items.string.min_len": [R_REPEATED, [4, "items", "TYPE_MESSAGE"], R_STRING, R_MIN_LEN],
  "repeated.min_items": [R_REPEATED, [1, "min_items", "TYPE_UINT64"]],
  "repeated.max_items": [R_REPEATED, [2, "max_items", "TYPE_UINT64"]],
  "map.keys.string.min_len": [
    [19, "map", "TYPE_MESSAGE"],
    [4, "keys", "TYPE_MESSAGE"],
    R_STRING,
    R_MIN_LEN,
  ],
  "string.in": [R_STRING, [10, "in", "TYPE_STRING"]],
};

const ruleIds: Readonly<Record<Exclude<Rule, object>, string>> = {
  required: "required",
  "string.pattern": "string.pattern",
  "repeated.unique": "repeated.unique",
  "repeated.items.string.min_len": "string.min_len",
  "repeated.min_items": "repeated.min_items",
  "repeated.max_items": "repeated.max_items",
  "map.keys.string.min_len": "string.min_len",
  "string.in": "string.in",
};

function violationDetail(v: Violation): Record<string, unknown> {
  const elements = v.path.map((step) => {
    const el: Record<string, unknown> = {
      fieldNumber: step.field.number,
      fieldName: step.field.name,
      fieldType: step.field.type,
    };
    if (step.index !== undefined) el["index"] = String(step.index);
    // a map step names its key and value types; the last step of a key violation has the key too
    if (step.field.mapValue && step.key !== undefined) {
      el["keyType"] = "TYPE_STRING";
      el["valueType"] = step.field.mapValue;
      el["stringKey"] = step.key;
    }
    return el;
  });
  // a message-level rule of the request itself has no field at all
  const out: Record<string, unknown> = elements.length > 0 ? { field: { elements } } : {};
  const rule = v.rule;
  if (typeof rule === "object") {
    out["ruleId"] = rule.celId;
  } else {
    out["rule"] = {
      elements: ruleElements[rule].map(([fieldNumber, fieldName, fieldType]) => ({
        fieldNumber,
        fieldName,
        fieldType,
      })),
    };
    out["ruleId"] = ruleIds[rule];
  }
  out["message"] = v.message;
  // protovalidate marks a map key's own violation, and (as false) violations inside map values
  if (rule === "map.keys.string.min_len") out["forKey"] = true;
  else if (v.path.some((s, i) => s.key !== undefined && i < v.path.length - 1))
    out["forKey"] = false;
  return out;
}

/** Collects the violations of one request; its list is allocated only when one occurs. */
export class ViolationSink {
  list: Violation[] | undefined;
  add(path: readonly PathStep[], rule: Rule, message?: string): void {
    const msg = message ?? (typeof rule === "object" ? rule.message : messageOf[rule]);
    (this.list ??= []).push({ path, rule, message: msg });
  }
  throwIfAny(): void {
    if (this.list) throw new RequestValidationError(this.list);
  }
}

// Cerbos's patterns, as char loops: RE2's \w is ASCII [0-9A-Za-z_].
function isWord(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95; /* _ */
}
function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

export const POLICY_VERSION_PATTERN = "^[\\w]*$";
export const SCOPE_PATTERN = "^(^$|\\.|[0-9a-zA-Z][\\w\\-]*(\\.\\w[\\w\\-]*)*)$";

/** `^[\w]*$` */
export function isPolicyVersion(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isWord(s.charCodeAt(i))) return false;
  return true;
}

/** `^(^$|\.|[0-9a-zA-Z][\w\-]*(\.\w[\w\-]*)*)$`: empty, `.`, or dotted segments. */
export function isScope(s: string): boolean {
  const n = s.length;
  if (n === 0 || s === ".") return true;
  if (!isAlnum(s.charCodeAt(0))) return false;
  for (let i = 1; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 /* . */) {
      // a dot must be followed by a word character
      if (i + 1 >= n || !isWord(s.charCodeAt(i + 1))) return false;
      i++;
    } else if (!isWord(c) && c !== 45 /* - */) return false;
  }
  return true;
}

/** True when a list of strings has a repeat; small lists (the common case) without a Set. */
export function hasDuplicate(items: readonly string[]): boolean {
  const n = items.length;
  if (n < 2) return false;
  if (n <= 16) {
    for (let i = 1; i < n; i++) for (let j = 0; j < i; j++) if (items[i] === items[j]) return true;
    return false;
  }
  return new Set(items).size !== n;
}
