// Decodes and validates test suites and fixture files the way Cerbos does: they are read by
// the same YAML/JSON decoder as policies (authz/policy), of which only the first problem (wrong
// type, unknown field, bad enum or timestamp) is reported; after that, every validation problem
// (the proto's buf.validate rules) is reported, each prefixed with `line:column` when the
// offending field is written in the file. Messages are Cerbos's own.

import {
  decodeText,
  effects,
  fieldShape,
  keySegment,
  type DecodedText,
  type FieldType,
  type MessageShape,
  type PathOffsets,
} from "../policy/index.ts";
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

type Rule = NonNullable<MessageSpec["rules"]>[number];

/** At least one of the fields must be set; `names` is how Cerbos's message lists them. */
const someOf =
  (fields: readonly string[], names: string): Rule =>
  (v) =>
    fields.some((f) => has(v, f)) ? undefined : `${names} must be present`;

const notBoth =
  (a: string, b: string): Rule =>
  (v) =>
    has(v, a) && has(v, b) ? `${a} and ${b} may not both be present` : undefined;

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
    someOf(
      ["principal", "principals", "principalGroups"],
      "principal, principals, or principalGroups",
    ),
    notBoth("principal", "principals"),
    someOf(["resource", "resources", "resourceGroups"], "resource, resources, or resourceGroups"),
    notBoth("resource", "resources"),
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
    someOf(["principals", "principalGroups"], "principals or principalGroups"),
    someOf(["resources", "resourceGroups"], "resources or resourceGroups"),
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

/** How a spec is decoded: the policy decoder's field type for it. */
function fieldType(spec: Spec): FieldType {
  switch (spec.type) {
    case "string":
    case "bool":
    case "timestamp":
    case "value":
      return { t: spec.type };
    case "effect":
      return { t: "enum", values: effects };
    case "message": {
      const message = spec.message;
      return { t: "message", shape: () => messageShape(message) };
    }
    case "list":
      return { t: "list", of: fieldType(spec.item) };
    case "map":
      return { t: "map", of: fieldType(spec.value) };
  }
}

const shapes = new WeakMap<MessageSpec, MessageShape>();

function messageShape(spec: MessageSpec): MessageShape {
  let shape = shapes.get(spec);
  if (!shape) {
    shape = {
      fields: Object.entries(spec.fields).map(([name, f]) => fieldShape(name, fieldType(f))),
    };
    shapes.set(spec, shape);
  }
  return shape;
}

interface Position {
  readonly line: number;
  readonly column: number;
}

interface Violation {
  readonly path: string;
  readonly message: string;
  readonly pos: Position | undefined;
}

const where = (pos: Position | undefined): string => (pos ? `${pos.line}:${pos.column} ` : "");

function decodeDocument<T>(text: string, spec: MessageSpec): Decoded<T> {
  const read = decodeText(text, messageShape(spec));
  const at = (offset: number): string => where(read.position(offset));
  if (read.syntaxErrors.length > 0)
    return { error: read.syntaxErrors.map((e) => `${at(e.offset)}${e.message}`).join("\n") };
  if (read.documents.length > 1) return { error: "more than one YAML document detected" };
  const doc = read.documents[0];
  // Like Cerbos's decoder, report only the first problem: later ones are often its echoes.
  const problem = doc?.problems[0];
  if (problem) return { error: `${at(problem.offset)}${problem.message}` };
  const decoded = doc?.value ?? {};
  const violations: Violation[] = [];
  const locate = new Locator(read, doc?.offsets ?? new Map());
  validateMessage(decoded, spec, locate, "$", "", undefined, violations);
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

/** Where the decoder saw a path (`$.tests[0].name`): its key, or its value for items. */
class Locator {
  readonly #read: DecodedText;
  readonly #offsets: ReadonlyMap<string, PathOffsets>;

  constructor(read: DecodedText, offsets: ReadonlyMap<string, PathOffsets>) {
    this.#read = read;
    this.#offsets = offsets;
  }

  key(path: string): Position | undefined {
    const o = this.#offsets.get(path);
    return o ? this.#read.position(o.key ?? o.value) : undefined;
  }

  value(path: string): Position | undefined {
    const o = this.#offsets.get(path);
    return o ? this.#read.position(o.value) : undefined;
  }
}

// ---- validation: every problem, positioned where the field is written

// `at` is the decoder's path of the value (`$.tests[0]`), `path` the one Cerbos prints
// (`tests[0]`).
function validateMessage(
  value: Record<string, unknown>,
  spec: MessageSpec,
  locate: Locator,
  at: string,
  path: string,
  pos: Position | undefined,
  out: Violation[],
): void {
  for (const [name, field] of Object.entries(spec.fields)) {
    const fieldPath = path ? `${path}.${name}` : name;
    const fieldAt = `${at}.${name}`;
    validateField(value[name], field, locate, fieldAt, fieldPath, locate.key(fieldAt), out);
  }
  for (const rule of spec.rules ?? []) {
    const message = rule(value);
    if (message) out.push({ path, message, pos });
  }
}

function validateField(
  v: unknown,
  spec: Spec,
  locate: Locator,
  at: string,
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
      validateMessage(v as Record<string, unknown>, spec.message, locate, at, path, pos, out);
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
      items.forEach((item, i) => {
        const itemAt = `${at}[${i}]`;
        validateField(item, spec.item, locate, itemAt, `${path}[${i}]`, locate.value(itemAt), out);
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
      for (const key of keys) {
        const entryAt = `${at}${keySegment(key)}`;
        const entryPos = locate.value(entryAt);
        // Cerbos's field-path printer camel-cases map keys too (`resources["johnLeaveRequest"]`).
        const keyPath = `${path}[${JSON.stringify(key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()))}]`;
        if (spec.keyMinLen !== undefined && [...key].length < spec.keyMinLen) {
          out.push({
            path: keyPath,
            message: `must be at least ${spec.keyMinLen} characters`,
            pos: entryPos,
          });
        }
        validateField(record[key], spec.value, locate, entryAt, keyPath, entryPos, out);
      }
      return;
    }
    default:
      return;
  }
}
