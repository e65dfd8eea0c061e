// JSON Schema validation of principal and resource attributes against the schemas in a
// policy repository's `_schemas` folder, with Cerbos's error paths and messages.

export type { SchemaSource, SchemaRegistry } from "./schema-registry.ts";
export { createSchemaRegistry, schemaLoadError, validateAttributes } from "./schema-registry.ts";
export type { AttributeSource, ValidateOptions } from "./schema-registry.ts";
