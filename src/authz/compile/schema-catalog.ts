// Which schemas a policy set has and why any of them cannot be used.

import {
  createSchemaRegistry,
  schemaLoadError,
  type SchemaRegistry,
  type SchemaSource,
} from "../schema/index.ts";

/**
 * The schemas of the repository and why any of them cannot be used. Cerbos loads a schema only
 * when a policy refers to it, so problems are reported on the referring policy (and a broken
 * schema nobody uses is not an error).
 */
export class SchemaCatalog {
  readonly registry: SchemaRegistry | undefined;

  constructor(sources: readonly SchemaSource[]) {
    // Compile problems of schemas surface through problemOf, on the policies that use them.
    this.registry = sources.length > 0 ? createSchemaRegistry(sources).registry : undefined;
  }

  /** Undefined when the schema is usable; otherwise Cerbos's explanation. */
  problemOf(ref: string): string | undefined {
    if (!this.registry)
      return `schema _schemas/${ref.replace(/^cerbos:\/\/\/?/u, "")} doesn't exist`;
    return schemaLoadError(this.registry, ref);
  }
}
