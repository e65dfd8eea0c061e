// Compiles the JSON Schemas of a policy repository (its `_schemas` folder) and validates
// principal and resource attributes against them, with the paths and messages Cerbos gives
// (Cerbos uses santhosh-tekuri/jsonschema v5; we use ajv and translate its errors). Schemas are
// compiled on first use and cached; a schema that cannot be compiled reports why, as Cerbos does.
// This folder is the only place that imports ajv.

import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import draft07 from "ajv/dist/refs/json-schema-draft-07.json" with { type: "json" };
import addFormatsModule from "ajv-formats";
import type { Diagnostic } from "../../kernel/diagnostic.ts";
import type { ValidationError } from "../engine/types.ts";
import { translateErrors } from "./error-messages.ts";

export interface SchemaSource {
  /** `cerbos:///principal.json`: the path under `_schemas`, as policies refer to it. */
  readonly ref: string;
  readonly text: string;
}

type Compiled = { readonly validate: ValidateFunction } | { readonly error: string };

/** Compiled JSON Schemas by `cerbos:///` ref. Immutable from the outside; compiles lazily. */
export interface SchemaRegistry {
  /** The refs of every schema in the set, whether or not it compiles. */
  readonly refs: ReadonlySet<string>;
  /** @internal */
  readonly compiled: (ref: string) => Compiled;
}

export type AttributeSource = "SOURCE_PRINCIPAL" | "SOURCE_RESOURCE";

export interface ValidateOptions {
  /**
   * Skip `required` failures: Cerbos does so for resource attributes when planning, where
   * attributes are partial by nature.
   */
  readonly ignoreRequired?: boolean;
}

// ajv-formats is CommonJS with a default export; under Node's ESM interop it arrives wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

export function createSchemaRegistry(schemas: readonly SchemaSource[]): {
  registry: SchemaRegistry;
  diagnostics: Diagnostic[];
} {
  const ajv = new Ajv2020({
    allErrors: true,
    verbose: true,
    strict: false,
    validateFormats: true,
    // Unknown formats are ignored, as santhosh-tekuri does; ajv would log each one.
    logger: false,
    // Cerbos (santhosh-tekuri/jsonschema) validates schemas against their meta-schema itself.
    validateSchema: true,
  });
  addFormats(ajv);
  ajv.addMetaSchema(draft07);

  const broken = new Map<string, string>();
  const refs = new Set<string>();
  for (const s of schemas) {
    refs.add(s.ref);
    const doc = readFirstJsonValue(s.text);
    if ("error" in doc) {
      broken.set(s.ref, `jsonschema ${s.ref} compilation failed: ${doc.error}`);
      continue;
    }
    try {
      const schema = doc.value;
      if (
        typeof schema !== "boolean" &&
        (typeof schema !== "object" || schema === null || Array.isArray(schema))
      ) {
        broken.set(s.ref, metaSchemaError(s.ref, schema));
        continue;
      }
      ajv.addSchema(schema, s.ref);
    } catch (e) {
      broken.set(s.ref, `jsonschema ${s.ref} compilation failed: ${firstLine(e)}`);
    }
  }

  const cache = new Map<string, Compiled>();
  const compiled = (ref: string): Compiled => {
    let c = cache.get(ref);
    if (c) return c;
    c = compile(ajv, ref, refs, broken);
    cache.set(ref, c);
    return c;
  };
  return { registry: Object.freeze({ refs, compiled }), diagnostics: [] };
}

function compile(
  ajv: Ajv2020,
  ref: string,
  refs: ReadonlySet<string>,
  broken: ReadonlyMap<string, string>,
): Compiled {
  const known = broken.get(ref);
  if (known) return { error: known };
  if (!refs.has(ref)) return { error: `schema ${displayLocation(ref)} doesn't exist` };
  try {
    const validate = ajv.getSchema(ref);
    if (!validate) return { error: `schema ${displayLocation(ref)} doesn't exist` };
    return { validate };
  } catch (e) {
    const missing = (e as { missingRef?: unknown }).missingRef;
    if (typeof missing === "string") {
      const target = missing.replace(/#.*$/u, "");
      const inner = broken.get(target);
      if (inner) return { error: inner };
      return { error: `schema ${displayLocation(target)} referenced by ${ref} doesn't exist` };
    }
    return { error: `jsonschema ${ref} compilation failed: ${firstLine(e)}` };
  }
}

/** How Cerbos names a schema it cannot find: `_schemas/x.json` for its own scheme. */
function displayLocation(url: string): string {
  const m = /^cerbos:\/\/\/?(.*)$/u.exec(url);
  if (m) return `_schemas/${m[1] ?? ""}`;
  const file = /^file:\/\/(.*)$/u.exec(url);
  if (file) return file[1] ?? "";
  return url;
}

/**
 * Why a schema ref cannot be used (it does not exist, does not compile, or refers to a schema
 * that does not exist), in Cerbos's words; undefined when it is usable. Callers prefix it with
 * `Failed to load principal schema "<ref>": `.
 */
export function schemaLoadError(registry: SchemaRegistry, ref: string): string | undefined {
  const c = registry.compiled(ref);
  return "error" in c ? c.error : undefined;
}

/**
 * Validates attributes against the schema at `ref`. A schema that cannot be loaded yields one
 * error without a path (`Failed to load principal schema "<ref>": ...`), as Cerbos reports it.
 */
export function validateAttributes(
  registry: SchemaRegistry,
  ref: string,
  attrs: unknown,
  source: AttributeSource,
  options: ValidateOptions = {},
): readonly ValidationError[] | undefined {
  const c = registry.compiled(ref);
  if ("error" in c) {
    const which = source === "SOURCE_PRINCIPAL" ? "principal" : "resource";
    return [{ path: "", message: `Failed to load ${which} schema "${ref}": ${c.error}`, source }];
  }
  if (c.validate(attrs ?? {})) return [];
  const errors: readonly ErrorObject[] = c.validate.errors ?? [];
  return translateErrors(errors, options.ignoreRequired === true).map((e) => ({
    ...e,
    source,
  }));
}

/**
 * Reads the first JSON value of a text, as Go's JSON decoder does: Cerbos compiles a file
 * holding `"a": "b"` as the string "a" (and then rejects it as a schema).
 */
function readFirstJsonValue(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (e) {
    const m = /after JSON at position (\d+)/u.exec(String((e as Error).message));
    if (m) {
      try {
        return { value: JSON.parse(text.slice(0, Number(m[1]))) as unknown };
      } catch {
        // fall through to the original error
      }
    }
    return { error: firstLine(e) };
  }
}

function metaSchemaError(ref: string, value: unknown): string {
  const got =
    value === null
      ? "null"
      : Array.isArray(value)
        ? "array"
        : typeof value === "number"
          ? "number"
          : typeof value;
  return `jsonschema ${ref} compilation failed: '' does not validate with https://json-schema.org/draft/2020-12/schema#/type: expected object or boolean, but got ${got}`;
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split("\n")[0] ?? msg;
}
