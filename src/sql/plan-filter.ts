// Turns a PlanResources filter into a SQL condition for Kysely's `.where(...)`, for PostgreSQL
// and SQLite. Every value from the plan becomes a bound parameter; identifiers come only from
// the caller's column mapping. The translation keeps CEL's meaning, errors included:
//
// - A SQL NULL column is an absent attribute (unless the column says `nulls: "null"`). In CEL,
//   reading an absent attribute is an error and an error never allows, so a leaf that reads a
//   NULL column is NULL (SQL's "unknown").
// - CEL's error rules for `&&`, `||` and `!` (false && error = false, true || error = true,
//   !error = error) are exactly SQL's three-valued AND, OR and NOT with NULL as the error, and
//   WHERE keeps only TRUE rows, as the engine allows only a condition that evaluates to true.
// - Comparing values of different types is false in CEL (`"1" == 1`), ordering them is an
//   error; with a column `type` the translation decides such cases itself instead of leaving
//   them to the database's casts.
// - Strings order by code point (CEL), so PostgreSQL orderings use COLLATE "C".
//
// Anything the translation cannot express exactly (an operator, an operand shape, an unmapped
// attribute) throws a PlanFilterSqlError naming it: never a silently different query.

import type { RawBuilder, SqlBool } from "kysely";
import type { PlanFilter } from "../authz/planner/types.ts";
import { Translator } from "./filter-translator.ts";
import { FALSE, TRUE } from "./filter-values.ts";
import { PlanFilterSqlError } from "./sql-types.ts";
import type { PlanFilterSqlOptions } from "./sql-types.ts";

export type {
  AttributeType,
  ColumnMapping,
  ColumnSpec,
  PlanFilterSqlErrorReason,
  PlanFilterSqlOptions,
  SqlDialectName,
} from "./sql-types.ts";
export { PlanFilterSqlError } from "./sql-types.ts";

/**
 * The filter as a boolean SQL expression: `db.selectFrom("doc").where(planFilterToKysely(...))`.
 * KIND_ALWAYS_ALLOWED is TRUE and KIND_ALWAYS_DENIED is FALSE (callers may skip the query).
 * Throws PlanFilterSqlError when part of the filter has no exact translation.
 */
export function planFilterToKysely(
  filter: PlanFilter,
  options: PlanFilterSqlOptions,
): RawBuilder<SqlBool> {
  switch (filter.kind) {
    case "KIND_ALWAYS_ALLOWED":
      return TRUE;
    case "KIND_ALWAYS_DENIED":
      return FALSE;
    case "KIND_CONDITIONAL": {
      const translator = new Translator(options);
      return translator.condition(filter.condition, new Map());
    }
    default: {
      const kind: string = (filter as { kind: string }).kind;
      throw new PlanFilterSqlError("INVALID_FILTER", kind, `unknown filter kind \`${kind}\``);
    }
  }
}
