// The SQL adapter's public vocabulary: dialects, how attributes map to columns, and the typed
// error for a filter that has no exact SQL translation.

import type { Expression } from "kysely";
import type { Principal } from "../authz/engine/types.ts";
import { GatehouseError } from "../kernel/errors.ts";

export type SqlDialectName = "postgres" | "sqlite";

/**
 * The CEL type an attribute (or, for a list, each element) has. `"timestamp"` is a string
 * attribute holding an RFC 3339 time, stored in a time column (PostgreSQL `timestamptz`; SQLite
 * text that `unixepoch()` reads): the plan may only use it through `timestamp(...)`.
 */
export type AttributeType = "string" | "number" | "boolean" | "timestamp";

/** How one attribute is stored. */
export interface ColumnSpec {
  /** A column reference (`"status"`, `"doc.status"`) or any Kysely expression. */
  readonly column: string | Expression<unknown>;
  /**
   * The attribute's type (for a list, its elements' type). Optional; with it, comparisons
   * with values of another type follow CEL (false, or an error for orderings) instead of
   * whatever the database makes of them.
   */
  readonly type?: AttributeType;
  /**
   * The attribute is a list: `"array"` is a PostgreSQL array column (`text[]`, `int[]`),
   * `"json"` a JSON array (PostgreSQL `json`/`jsonb`, SQLite text).
   */
  readonly list?: "array" | "json";
  /**
   * What a SQL NULL means: `"missing"` (default), the attribute is absent and any use of it
   * is an error (the row is not allowed); `"null"`, the attribute is present with the value
   * null, so `== null` holds and `== "x"` is false.
   */
  readonly nulls?: "missing" | "null";
}

/**
 * Attribute paths (`request.resource.attr.status`, `request.resource.id`) to columns. The
 * short forms `R.attr.x` and `R.id` are looked up under their long names.
 */
export type ColumnMapping =
  | Readonly<Record<string, string | ColumnSpec>>
  | ((path: string) => string | ColumnSpec | undefined);

export interface PlanFilterSqlOptions {
  readonly dialect: SqlDialectName;
  readonly columns: ColumnMapping;
  /**
   * The principal the plan was made for. Cerbos leaves some principal references in plans
   * (inside `cond ? a : b`, for one); with the principal they become values, without it they
   * are refused as unmapped attributes.
   */
  readonly principal?: Principal;
}

export type PlanFilterSqlErrorReason =
  "UNSUPPORTED_OPERATOR" | "UNMAPPED_ATTRIBUTE" | "UNSUPPORTED_OPERAND" | "INVALID_FILTER";

/** A filter the translation cannot express exactly; `subject` is the operator or path. */
export class PlanFilterSqlError extends GatehouseError {
  readonly reason: PlanFilterSqlErrorReason;
  readonly subject: string;
  constructor(reason: PlanFilterSqlErrorReason, subject: string, message: string) {
    super("INVALID_ARGUMENT", message);
    this.reason = reason;
    this.subject = subject;
    this.name = "PlanFilterSqlError";
  }
}
