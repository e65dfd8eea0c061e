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
  readonly #ignore: boolean;

  constructor(
    sources: readonly SchemaSource[],
    options: { readonly ignoreSchemas?: boolean } = {},
  ) {
    // Compile problems of schemas surface through problemOf, on the policies that use them.
    this.registry = sources.length > 0 ? createSchemaRegistry(sources).registry : undefined;
    this.#ignore = options.ignoreSchemas === true;
  }

  /**
   * Undefined when the schema is usable, or when schemas are ignored (`--ignore-schemas`);
   * otherwise Cerbos's explanation, from the schema module's own loading of it.
   */
  problemOf(ref: string): string | undefined {
    if (this.#ignore) return undefined;
    if (!this.registry)
      return `schema _schemas/${ref.replace(/^cerbos:\/\/\/?/u, "")} doesn't exist`;
    return schemaLoadError(this.registry, ref);
  }
}
