// Decodes and validates test suites and fixture files the way Cerbos does: the first decoding
// problem (wrong type, unknown field, bad enum or timestamp) stops decoding; after that, every
// validation problem (the proto's buf.validate rules) is reported, each prefixed with
// `line:column` when the offending field is written in the file. Messages are Cerbos's own.

import type { MapNode, Position, TreeNode } from "./source-tree.ts";
import { readSourceTree, toJson } from "./source-tree.ts";
import type {
  AuxDataFixtures,
  PrincipalFixtures,
  ResourceFixtures,
  TestSuite,
} from "./suite-model.ts";

/** A schema for one proto message, just rich enough for the test suite protos. */
type Spec =
  | {
      readonly type: "string";
      readonly required?: boolean;
      readonly minLen?: number;
      readonly pattern?: string;
    }
  | { readonly type: "bool" }
  | { readonly type: "effect"; readonly required?: boolean }
  | { readonly type: "timestamp" }
  | { readonly type: "value" }
  | { readonly type: "message"; readonly message: MessageSpec; readonly required?: boolean }
  | {
      readonly type: "list";
      readonly item: Spec;
      readonly required?: boolean;
      readonly unique?: boolean;
    }
  | {
      readonly type: "map";
      readonly value: Spec;
      readonly required?: boolean;
      readonly keyMinLen?: number;
    };

interface MessageSpec {
  readonly fields: Readonly<Record<string, Spec>>;
  /** Message-level rules (buf.validate CEL): each returns a message when violated. */
  readonly rules?: readonly ((value: Record<string, unknown>) => string | undefined)[];
}

const idPattern = "^[\\w]*$";
const scopePattern = "^(^$|\\.|[0-9a-zA-Z][\\w\\-]*(\\.\\w[\\w\\-]*)*)$";
const nonEmpty: Spec = { type: "string", minLen: 1 };
const nameList: Spec = { type: "list", item: nonEmpty, unique: true };
const requiredNameList: Spec = { type: "list", item: nonEmpty, unique: true, required: true };
const value: Spec = { type: "value" };

const has = (v: Record<string, unknown>, k: string): boolean => {
  const x = v[k];
  if (x === undefined || x === "") return false;
  if (Array.isArray(x)) return x.length > 0;
  return true;
};

const principalSpec: MessageSpec = {
  fields: {
    id: { type: "string", required: true, minLen: 1 },
    policyVersion: { type: "string", pattern: idPattern },
    roles: requiredNameList,
    attr: { type: "map", value, keyMinLen: 1 },
    scope: { type: "string", pattern: scopePattern },
  },
};

const resourceSpec: MessageSpec = {
  fields: {
    kind: { type: "string", required: true, minLen: 1 },
    policyVersion: { type: "string", pattern: idPattern },
    id: { type: "string", required: true, minLen: 1 },
    attr: { type: "map", value, keyMinLen: 1 },
    scope: { type: "string", pattern: scopePattern },
  },
};

const auxDataSpec: MessageSpec = {
  fields: {
    jwt: { type: "map", value },
    jwts: {
      type: "map",
      keyMinLen: 1,
      value: { type: "message", message: { fields: { claims: { type: "map", value } } } },
    },
  },
  rules: [
    (v) =>
      v["jwt"] !== undefined && v["jwts"] !== undefined
        ? "Only one of the jwt or jwts fields must be set"
        : undefined,
  ],
};

const principalGroupSpec: MessageSpec = { fields: { principals: requiredNameList } };
const resourceGroupSpec: MessageSpec = { fields: { resources: requiredNameList } };

const optionsSpec: MessageSpec = {
  fields: {
    now: { type: "timestamp" },
    lenientScopeSearch: { type: "bool" },
    globals: { type: "map", value },
    defaultPolicyVersion: { type: "string" },
    defaultScope: { type: "string" },
    strictEvaluation: { type: "bool" },
  },
};

const outputEntrySpec: MessageSpec = {
  fields: { src: { type: "string" }, val: value, action: { type: "string" } },
};

const expectationSpec: MessageSpec = {
  fields: {
    principal: { type: "string" },
    resource: { type: "string" },
    actions: { type: "map", value: { type: "effect" }, required: true, keyMinLen: 1 },
    outputs: {
      type: "list",
      item: {
        type: "message",
        message: {
          fields: {
            action: { type: "string", required: true, minLen: 1 },
            expected: {
              type: "list",
              item: { type: "message", message: outputEntrySpec },
              required: true,
            },
          },
        },
      },
    },
    principals: nameList,
    resources: nameList,
    principalGroups: nameList,
    resourceGroups: nameList,
  },
  rules: [
    (v) =>
      has(v, "principal") || has(v, "principals") || has(v, "principalGroups")
        ? undefined
        : "principal, principals, or principalGroups must be present",
    (v) =>
      has(v, "principal") && has(v, "principals")
        ? "principal and principals may not both be present"
        : undefined,
    (v) =>
      has(v, "resource") || has(v, "resources") || has(v, "resourceGroups")
        ? undefined
        : "resource, resources, or resourceGroups must be present",
    (v) =>
      has(v, "resource") && has(v, "resources")
        ? "resource and resources may not both be present"
        : undefined,
  ],
};

const inputSpec: MessageSpec = {
  fields: {
    principals: nameList,
    resources: nameList,
    actions: requiredNameList,
    auxData: { type: "string" },
    principalGroups: nameList,
    resourceGroups: nameList,
  },
  rules: [
    (v) =>
      has(v, "principals") || has(v, "principalGroups")
        ? undefined
        : "principals or principalGroups must be present",
    (v) =>
      has(v, "resources") || has(v, "resourceGroups")
        ? undefined
        : "resources or resourceGroups must be present",
  ],
};

const testTableSpec: MessageSpec = {
  fields: {
    name: { type: "string", required: true, minLen: 1 },
    description: { type: "string" },
    skip: { type: "bool" },
    skipReason: { type: "string" },
    input: { type: "message", message: inputSpec, required: true },
    expected: { type: "list", item: { type: "message", message: expectationSpec }, required: true },
    options: { type: "message", message: optionsSpec },
  },
};

const principalMap: Spec = { type: "map", value: { type: "message", message: principalSpec } };
const resourceMap: Spec = { type: "map", value: { type: "message", message: resourceSpec } };
const auxDataMap: Spec = { type: "map", value: { type: "message", message: auxDataSpec } };
const principalGroupMap: Spec = {
  type: "map",
  value: { type: "message", message: principalGroupSpec },
};
const resourceGroupMap: Spec = {
  type: "map",
  value: { type: "message", message: resourceGroupSpec },
};
const schemaField: Spec = { type: "string" };

const testSuiteSpec: MessageSpec = {
  fields: {
    name: { type: "string", required: true, minLen: 1 },
    description: { type: "string" },
    skip: { type: "bool" },
    skipReason: { type: "string" },
    tests: { type: "list", item: { type: "message", message: testTableSpec }, required: true },
    principals: principalMap,
    resources: resourceMap,
    auxData: auxDataMap,
    options: { type: "message", message: optionsSpec },
    $schema: schemaField,
    principalGroups: principalGroupMap,
    resourceGroups: resourceGroupMap,
  },
};

const principalFixturesSpec: MessageSpec = {
  fields: { principals: principalMap, $schema: schemaField, principalGroups: principalGroupMap },
};
const resourceFixturesSpec: MessageSpec = {
  fields: { resources: resourceMap, $schema: schemaField, resourceGroups: resourceGroupMap },
};
const auxDataFixturesSpec: MessageSpec = { fields: { auxData: auxDataMap, $schema: schemaField } };

/** Either the decoded value or Cerbos's error text (lines joined by `\n`, each `line:col ...`). */
export type Decoded<T> = { readonly value: T } | { readonly error: string };

export function decodeTestSuite(text: string): Decoded<TestSuite> {
  return decodeDocument<TestSuite>(text, testSuiteSpec);
}

export function decodePrincipalFixtures(text: string): Decoded<PrincipalFixtures> {
  return decodeDocument<PrincipalFixtures>(text, principalFixturesSpec);
}

export function decodeResourceFixtures(text: string): Decoded<ResourceFixtures> {
  return decodeDocument<ResourceFixtures>(text, resourceFixturesSpec);
}

export function decodeAuxDataFixtures(text: string): Decoded<AuxDataFixtures> {
  return decodeDocument<AuxDataFixtures>(text, auxDataFixturesSpec);
}

const effects = ["EFFECT_UNSPECIFIED", "EFFECT_ALLOW", "EFFECT_DENY", "EFFECT_NO_MATCH"] as const;

// Thrown only inside this module to abort decoding at the first problem, like Cerbos's decoder;
// decodeDocument turns it into an error value.
class DecodeError extends Error {
  readonly pos: Position | undefined;
  constructor(message: string, pos: Position | undefined) {
    super(message);
    this.pos = pos;
  }
}

interface Violation {
  readonly path: string;
  readonly message: string;
  readonly pos: Position | undefined;
}

const where = (pos: Position | undefined): string => (pos ? `${pos.line}:${pos.column} ` : "");

function decodeDocument<T>(text: string, spec: MessageSpec): Decoded<T> {
  const tree = readSourceTree(text);
  if ("error" in tree) return { error: `${where(tree.pos)}${tree.error}` };
  let decoded: Record<string, unknown>;
  try {
    decoded = decodeMessage(tree.root, spec);
  } catch (e) {
    if (e instanceof DecodeError) return { error: `${where(e.pos)}${e.message}` };
    throw e;
  }
  const violations: Violation[] = [];
  validateMessage(decoded, spec, tree.root, "", undefined, violations);
  if (violations.length > 0) {
    const positioned = violations.filter((v) => v.pos);
    const rest = violations.filter((v) => !v.pos);
    positioned.sort((a, b) => a.pos!.line - b.pos!.line || a.pos!.column - b.pos!.column);
    return {
      error: [...positioned, ...rest]
        .map((v) => `${where(v.pos)}${v.path}: ${v.message}`)
        .join("\n"),
    };
  }
  return { value: decoded as T };
}

// ---- decoding: the first problem aborts, as in Cerbos

function decodeMessage(node: TreeNode, spec: MessageSpec): Record<string, unknown> {
  if (node.kind !== "Mapping") throw new DecodeError(`expected object got ${node.kind}`, node.pos);
  const out: Record<string, unknown> = {};
  for (const entry of node.entries) {
    const field = spec.fields[entry.key];
    if (!field) throw new DecodeError(`unknown field "${entry.key}"`, entry.keyPos);
    const v = decodeValue(entry.value, field);
    if (v !== undefined) out[entry.key] = v;
  }
  return out;
}

function decodeValue(node: TreeNode, spec: Spec): unknown {
  switch (spec.type) {
    case "string":
      if (node.kind === "String") return node.value;
      // Cerbos reads `policyVersion: 20210210` as the text written, so keep the source form.
      if (node.kind === "Integer" || node.kind === "Bool") return node.text;
      if (node.kind === "Null") return "";
      throw new DecodeError(`expected string value got ${node.kind}`, node.pos);
    case "bool":
      if (node.kind === "Bool") return node.value;
      throw new DecodeError(`expected boolean value got ${node.kind}`, node.pos);
    case "effect":
      if (node.kind === "Null") return effects[0];
      if (node.kind === "Integer") return effects[node.value as number] ?? node.value;
      if (node.kind === "String" && (effects as readonly string[]).includes(node.value as string))
        return node.value;
      throw new DecodeError(
        `invalid enum value "${node.kind === "Mapping" || node.kind === "Sequence" ? "" : node.text}"`,
        node.pos,
      );
    case "timestamp": {
      if (node.kind !== "String")
        throw new DecodeError(`expected string got ${node.kind}`, node.pos);
      return parseTimestamp(node.value as string, node.pos);
    }
    case "value":
      return toJson(node);
    case "message":
      return decodeMessage(node, spec.message);
    case "list":
      if (node.kind !== "Sequence")
        throw new DecodeError(`expected sequence got ${node.kind}`, node.pos);
      return node.items.map((i) => decodeValue(i, spec.item));
    case "map": {
      if (node.kind !== "Mapping") throw new DecodeError(`expected map got ${node.kind}`, node.pos);
      const out: Record<string, unknown> = {};
      for (const e of node.entries) out[e.key] = decodeValue(e.value, spec.value);
      return out;
    }
  }
}

const rfc3339Layout = "2006-01-02T15:04:05.999999999Z07:00";

/**
 * Parses an RFC 3339 timestamp to epoch milliseconds, failing with the message Go's
 * time.Parse gives (Cerbos shows it verbatim): `cannot parse "<rest>" as "<layout element>"`,
 * `month out of range`, `extra text: "..."`.
 */
function parseTimestamp(text: string, pos: Position): number {
  const fail = (detail: string): never => {
    throw new DecodeError(
      `invalid timestamp value "${text}": parsing time "${text}"${detail}`,
      pos,
    );
  };
  const cannot = (rest: string, elem: string): never =>
    fail(` as "${rfc3339Layout}": cannot parse "${rest}" as "${elem}"`);
  let rest = text;
  const digits = (n: number, elem: string): number => {
    const m = new RegExp(`^\\d{${n}}`, "u").exec(rest);
    if (!m) return cannot(rest, elem);
    rest = rest.slice(n);
    return Number(m[0]);
  };
  const literal = (c: string): void => {
    if (!rest.startsWith(c)) cannot(rest, c);
    rest = rest.slice(c.length);
  };
  const year = digits(4, "2006");
  literal("-");
  const month = digits(2, "01");
  if (month < 1 || month > 12) fail(": month out of range");
  literal("-");
  const day = digits(2, "02");
  literal("T");
  const hour = digits(2, "15");
  if (hour > 23) fail(": hour out of range");
  literal(":");
  const minute = digits(2, "04");
  if (minute > 59) fail(": minute out of range");
  literal(":");
  const second = digits(2, "05");
  if (second > 59) fail(": second out of range");
  let nanos = 0;
  const frac = /^[.,](\d+)/u.exec(rest);
  if (frac) {
    nanos = Number(frac[1]!.slice(0, 9).padEnd(9, "0"));
    rest = rest.slice(frac[0].length);
  }
  let offsetMinutes = 0;
  if (rest.startsWith("Z")) rest = rest.slice(1);
  else {
    const tz = /^([+-])(\d{2}):(\d{2})/u.exec(rest);
    if (!tz) return cannot(rest, "Z07:00");
    offsetMinutes = (tz[1] === "-" ? -1 : 1) * (Number(tz[2]) * 60 + Number(tz[3]));
    rest = rest.slice(tz[0].length);
  }
  if (rest !== "") fail(`: extra text: "${rest}"`);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) fail(": day out of range");
  const utc = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC maps years 0-99 to 1900-1999; set the year explicitly.
  const date = new Date(utc);
  date.setUTCFullYear(year);
  return date.getTime() - offsetMinutes * 60_000 + Math.floor(nanos / 1e6);
}

// ---- validation: every problem, positioned where the field is written

function validateMessage(
  value: Record<string, unknown>,
  spec: MessageSpec,
  node: TreeNode | undefined,
  path: string,
  pos: Position | undefined,
  out: Violation[],
): void {
  const map = node?.kind === "Mapping" ? node : undefined;
  for (const [name, field] of Object.entries(spec.fields)) {
    const entry = map?.entries.find((e) => e.key === name);
    const fieldPath = path ? `${path}.${name}` : name;
    validateField(value[name], field, entry?.value, fieldPath, entry?.keyPos, out);
  }
  for (const rule of spec.rules ?? []) {
    const message = rule(value);
    if (message) out.push({ path, message, pos });
  }
}

function validateField(
  v: unknown,
  spec: Spec,
  node: TreeNode | undefined,
  path: string,
  pos: Position | undefined,
  out: Violation[],
): void {
  switch (spec.type) {
    case "string": {
      const s = typeof v === "string" ? v : "";
      if (spec.required && s === "") {
        out.push({ path, message: "value is required", pos });
        return;
      }
      if (spec.minLen !== undefined && [...s].length < spec.minLen) {
        out.push({ path, message: `must be at least ${spec.minLen} characters`, pos });
      }
      if (spec.pattern !== undefined && !new RegExp(spec.pattern, "u").test(s)) {
        out.push({ path, message: `does not match regex pattern \`${spec.pattern}\``, pos });
      }
      return;
    }
    case "effect":
      if (v !== "EFFECT_ALLOW" && v !== "EFFECT_DENY") {
        out.push({ path, message: "must be one of [EFFECT_ALLOW, EFFECT_DENY]", pos });
      }
      return;
    case "message":
      if (v === undefined) {
        if (spec.required) out.push({ path, message: "value is required", pos });
        return;
      }
      validateMessage(v as Record<string, unknown>, spec.message, node, path, pos, out);
      return;
    case "list": {
      const items = Array.isArray(v) ? (v as unknown[]) : [];
      if (spec.required && items.length === 0) {
        out.push({ path, message: "value is required", pos });
        return;
      }
      if (spec.unique && new Set(items.map((i) => JSON.stringify(i))).size !== items.length) {
        out.push({ path, message: "repeated value must contain unique items", pos });
      }
      const seq = node?.kind === "Sequence" ? node : undefined;
      items.forEach((item, i) => {
        const itemNode = seq?.items[i];
        validateField(item, spec.item, itemNode, `${path}[${i}]`, itemNode?.pos, out);
      });
      return;
    }
    case "map": {
      const record = (v ?? {}) as Record<string, unknown>;
      const keys = Object.keys(record);
      if (spec.required && keys.length === 0) {
        out.push({ path, message: "value is required", pos });
        return;
      }
      const mapNode: MapNode | undefined = node?.kind === "Mapping" ? node : undefined;
      for (const key of keys) {
        const entryNode = mapNode?.entries.find((e) => e.key === key)?.value;
        // Cerbos's field-path printer camel-cases map keys too (`resources["johnLeaveRequest"]`).
        const keyPath = `${path}[${JSON.stringify(key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()))}]`;
        if (spec.keyMinLen !== undefined && [...key].length < spec.keyMinLen) {
          out.push({
            path: keyPath,
            message: `must be at least ${spec.keyMinLen} characters`,
            pos: entryNode?.pos,
          });
        }
        validateField(record[key], spec.value, entryNode, keyPath, entryNode?.pos, out);
      }
      return;
    }
    default:
      return;
  }
}
