// The shape of a Cerbos policy document and its validation rules, written by hand from the
// `buf.validate` constraints of cerbos/policy/v1/policy.proto. The decoder walks YAML against
// these shapes (unknown fields, wrong types) and the validator checks the constraints.

export interface StringRules {
  readonly const?: string;
  readonly pattern?: RegExp;
  readonly minLen?: number;
}

export type FieldType =
  | { readonly t: "string" }
  | { readonly t: "bool" }
  | { readonly t: "uint64" }
  | { readonly t: "enum"; readonly values: readonly string[] }
  /** google.protobuf.Value: any JSON value. */
  | { readonly t: "value" }
  /** google.protobuf.Timestamp: RFC 3339 text, decoded to epoch milliseconds. */
  | { readonly t: "timestamp" }
  | { readonly t: "message"; readonly shape: () => MessageShape }
  | { readonly t: "list"; readonly of: FieldType }
  | { readonly t: "map"; readonly of: FieldType };

export interface FieldShape {
  /** JSON name, as policies spell it. */
  readonly name: string;
  /** Proto name, which Cerbos also accepts (`resource_policy`). */
  readonly protoName: string;
  readonly type: FieldType;
  readonly required?: boolean;
  readonly string?: StringRules;
  /** For repeated fields. */
  readonly minItems?: number;
  readonly unique?: boolean;
  readonly items?: StringRules;
  /** For enum fields: the allowed names (protovalidate `enum.in`). */
  readonly enumIn?: readonly string[];
  readonly oneof?: string;
}

export interface OneofShape {
  /** JSON-style name used in messages: `policyType`. */
  readonly name: string;
  readonly required: boolean;
}

export interface MessageShape {
  readonly fields: readonly FieldShape[];
  readonly oneofs?: readonly OneofShape[];
}

const str: FieldType = { t: "string" };
const strList: FieldType = { t: "list", of: str };
const msg = (shape: () => MessageShape): FieldType => ({ t: "message", shape });

const snake = (name: string): string => name.replace(/[A-Z]/gu, (c) => `_${c.toLowerCase()}`);

/** A field named by its JSON name; the proto name is derived (`$schema` is `json_schema`). */
export function fieldShape(
  name: string,
  type: FieldType,
  rules: Omit<FieldShape, "name" | "protoName" | "type"> = {},
): FieldShape {
  return { name, protoName: name === "$schema" ? "json_schema" : snake(name), type, ...rules };
}
const f = fieldShape;

export const effects = [
  "EFFECT_UNSPECIFIED",
  "EFFECT_ALLOW",
  "EFFECT_DENY",
  "EFFECT_NO_MATCH",
] as const;
export const scopePermissions = [
  "SCOPE_PERMISSIONS_UNSPECIFIED",
  "SCOPE_PERMISSIONS_OVERRIDE_PARENT",
  "SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS",
] as const;

const effectType: FieldType = { t: "enum", values: effects };
const scopePermissionsType: FieldType = { t: "enum", values: scopePermissions };

// Patterns from policy.proto. They are matched with JavaScript regexes; `\w` means the same
// ASCII class in RE2 and JavaScript, so the semantics agree. `source` keeps the proto's text.
const namePattern = /^[^!*?[\]{}]+$/u;
const versionPattern = /^[\w]+$/u;
const roleVersionPattern = /^[\w]*$/u;
const importPattern = /^[\w\-.]+$/u;
const scopePattern = /^(^$|\.|[0-9a-zA-Z][\w-]*(\.\w[\w-]*)*)$/u;
const ruleNamePattern = /^([a-zA-Z][\w@.-]*)*$/u;

/** The proto's pattern text, which Cerbos quotes in messages. */
export const patternText = new Map<RegExp, string>([
  [namePattern, "^[^!*?\\[\\]{}]+$"],
  [versionPattern, "^[\\w]+$"],
  [roleVersionPattern, "^[\\w]*$"],
  [importPattern, "^[\\w\\-\\.]+$"],
  [scopePattern, "^(^$|\\.|[0-9a-zA-Z][\\w\\-]*(\\.\\w[\\w\\-]*)*)$"],
  [ruleNamePattern, "^([a-zA-Z][\\w\\@\\.\\-]*)*$"],
]);

const minLen1: StringRules = { minLen: 1 };

const matchShape = (): MessageShape => ({
  fields: [
    f("all", msg(exprListShape), { oneof: "op" }),
    f("any", msg(exprListShape), { oneof: "op" }),
    f("none", msg(exprListShape), { oneof: "op" }),
    f("expr", str, { oneof: "op" }),
  ],
  oneofs: [{ name: "op", required: true }],
});

const exprListShape = (): MessageShape => ({
  fields: [f("of", { t: "list", of: msg(matchShape) }, { required: true, minItems: 1 })],
});

const conditionShape = (): MessageShape => ({
  fields: [
    f("match", msg(matchShape), { oneof: "condition" }),
    f("script", str, { oneof: "condition" }),
  ],
  oneofs: [{ name: "condition", required: true }],
});

const outputShape = (): MessageShape => ({
  fields: [
    f("expr", str),
    f(
      "when",
      msg(() => ({ fields: [f("ruleActivated", str), f("conditionNotMet", str)] })),
    ),
  ],
});

const variablesShape = (): MessageShape => ({
  fields: [
    f("import", strList, { unique: true, items: { pattern: importPattern } }),
    f("local", { t: "map", of: str }),
  ],
});

const constantsShape = (): MessageShape => ({
  fields: [
    f("import", strList, { unique: true, items: { pattern: importPattern } }),
    f("local", { t: "map", of: { t: "value" } }),
  ],
});

const schemaRefShape = (): MessageShape => ({
  fields: [
    f("ref", str, { required: true, string: minLen1 }),
    f(
      "ignoreWhen",
      msg(() => ({
        fields: [
          f("actions", strList, { required: true, unique: true, minItems: 1, items: minLen1 }),
        ],
      })),
    ),
  ],
});

const schemasShape = (): MessageShape => ({
  fields: [f("principalSchema", msg(schemaRefShape)), f("resourceSchema", msg(schemaRefShape))],
});

const resourceRuleShape = (): MessageShape => ({
  fields: [
    f("actions", strList, { required: true, minItems: 1, unique: true, items: minLen1 }),
    f("derivedRoles", strList, { unique: true, items: { pattern: importPattern } }),
    f("roles", strList, { unique: true, items: minLen1 }),
    f("condition", msg(conditionShape)),
    f("effect", effectType, { required: true, enumIn: ["EFFECT_ALLOW", "EFFECT_DENY"] }),
    f("name", str, { string: { pattern: ruleNamePattern } }),
    f("output", msg(outputShape)),
  ],
});

const resourcePolicyShape = (): MessageShape => ({
  fields: [
    f("resource", str, { required: true, string: { pattern: namePattern } }),
    f("version", str, { required: true, string: { pattern: versionPattern } }),
    f("importDerivedRoles", strList, { unique: true, items: { pattern: importPattern } }),
    f("rules", { t: "list", of: msg(resourceRuleShape) }),
    f("scope", str, { string: { pattern: scopePattern } }),
    f("schemas", msg(schemasShape)),
    f("variables", msg(variablesShape)),
    f("scopePermissions", scopePermissionsType),
    f("constants", msg(constantsShape)),
  ],
});

const roleRuleShape = (): MessageShape => ({
  fields: [
    f("resource", str, { required: true, string: minLen1 }),
    f("allowActions", strList, { required: true, minItems: 1, unique: true, items: minLen1 }),
    f("condition", msg(conditionShape)),
    f("name", str, { string: { pattern: ruleNamePattern } }),
    f("output", msg(outputShape)),
  ],
});

const rolePolicyShape = (): MessageShape => ({
  fields: [
    f("role", str, { oneof: "policyType", string: { pattern: namePattern } }),
    f("version", str, { string: { pattern: roleVersionPattern } }),
    f("parentRoles", strList, { unique: true, items: minLen1 }),
    f("scope", str, { string: { pattern: scopePattern } }),
    f("rules", { t: "list", of: msg(roleRuleShape) }),
    f("scopePermissions", scopePermissionsType, {
      enumIn: [
        "SCOPE_PERMISSIONS_UNSPECIFIED",
        "SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS",
      ],
    }),
    f("variables", msg(variablesShape)),
    f("constants", msg(constantsShape)),
  ],
  oneofs: [{ name: "policyType", required: true }],
});

const principalActionShape = (): MessageShape => ({
  fields: [
    f("action", str, { required: true, string: minLen1 }),
    f("condition", msg(conditionShape)),
    f("effect", effectType, { required: true, enumIn: ["EFFECT_ALLOW", "EFFECT_DENY"] }),
    f("name", str, { string: { pattern: ruleNamePattern } }),
    f("output", msg(outputShape)),
  ],
});

const principalRuleShape = (): MessageShape => ({
  fields: [
    f("resource", str, { required: true, string: minLen1 }),
    f("actions", { t: "list", of: msg(principalActionShape) }, { required: true, minItems: 1 }),
  ],
});

const principalPolicyShape = (): MessageShape => ({
  fields: [
    f("principal", str, { required: true, string: { pattern: namePattern } }),
    f("version", str, { required: true, string: { pattern: versionPattern } }),
    f("rules", { t: "list", of: msg(principalRuleShape) }),
    f("scope", str, { string: { pattern: scopePattern } }),
    f("variables", msg(variablesShape)),
    f("scopePermissions", scopePermissionsType),
    f("constants", msg(constantsShape)),
  ],
});

const roleDefShape = (): MessageShape => ({
  fields: [
    f("name", str, { required: true, string: { pattern: importPattern } }),
    f("parentRoles", strList, { required: true, unique: true, minItems: 1, items: minLen1 }),
    f("condition", msg(conditionShape)),
  ],
});

const derivedRolesShape = (): MessageShape => ({
  fields: [
    f("name", str, { required: true, string: { pattern: importPattern, minLen: 1 } }),
    f("definitions", { t: "list", of: msg(roleDefShape) }, { required: true, minItems: 1 }),
    f("variables", msg(variablesShape)),
    f("constants", msg(constantsShape)),
  ],
});

const exportConstantsShape = (): MessageShape => ({
  fields: [
    f("name", str, { required: true, string: { pattern: importPattern, minLen: 1 } }),
    f("definitions", { t: "map", of: { t: "value" } }),
  ],
});

const exportVariablesShape = (): MessageShape => ({
  fields: [
    f("name", str, { required: true, string: { pattern: importPattern, minLen: 1 } }),
    f("definitions", { t: "map", of: str }),
  ],
});

const metadataShape = (): MessageShape => ({
  fields: [
    f("sourceFile", str),
    f("annotations", { t: "map", of: str }),
    f("hash", { t: "uint64" }),
    f("storeIdentifer", str),
    f("storeIdentifier", str),
    f(
      "sourceAttributes",
      msg(() => ({ fields: [f("attributes", { t: "map", of: { t: "value" } })] })),
    ),
  ],
});

export const policyShape: MessageShape = {
  fields: [
    f("apiVersion", str, { required: true, string: { const: "api.cerbos.dev/v1" } }),
    f("disabled", { t: "bool" }),
    f("description", str),
    f("metadata", msg(metadataShape)),
    f("resourcePolicy", msg(resourcePolicyShape), { oneof: "policyType" }),
    f("principalPolicy", msg(principalPolicyShape), { oneof: "policyType" }),
    f("derivedRoles", msg(derivedRolesShape), { oneof: "policyType" }),
    f("exportVariables", msg(exportVariablesShape), { oneof: "policyType" }),
    f("rolePolicy", msg(rolePolicyShape), { oneof: "policyType" }),
    f("exportConstants", msg(exportConstantsShape), { oneof: "policyType" }),
    f("variables", { t: "map", of: str }),
    f("$schema", str),
  ],
  oneofs: [{ name: "policyType", required: true }],
};
