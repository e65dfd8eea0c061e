// The translation's working values: literals from the plan, SQL values (columns and what is
// computed from them), elements of JSON lists, and lists as row sources; plus CEL's rules for
// literals, which the translation folds itself.

import { sql } from "kysely";
import type { RawBuilder, SqlBool } from "kysely";
import type { PlanExpression, PlanOperand } from "../authz/planner/types.ts";
import type { JsonValue } from "../authz/policy/model.ts";
import { PlanFilterSqlError } from "./sql-types.ts";
import type { AttributeType } from "./sql-types.ts";

export const TRUE = sql<SqlBool>`TRUE`;
export const FALSE = sql<SqlBool>`FALSE`;
export const NULL_BOOL = sql<SqlBool>`NULL`;

/** A literal from the plan. */
export interface Literal {
  readonly k: "lit";
  readonly v: JsonValue;
}

/** A scalar SQL value: a column, or something computed from columns. */
export interface Native {
  readonly k: "native";
  readonly sql: RawBuilder<unknown>;
  readonly type: AttributeType | undefined;
  /** Expressions whose NULL means an absent attribute (the leaf is then an error). */
  readonly guards: readonly RawBuilder<unknown>[];
  /** `sql` is NULL whenever a guard is NULL, so SQL's own NULL propagation does the guarding. */
  readonly strict: boolean;
  /** A NULL here is CEL's null value, not an absence. */
  readonly nullIsValue: boolean;
  /** Set for a list-valued column. */
  readonly list: "array" | "json" | undefined;
  readonly path: string;
}

/** An element of a JSON array, of a type known only at run time; never absent. */
export interface JsonElement {
  readonly k: "json";
  /** PostgreSQL: the jsonb element; SQLite: json_each's `value` column. */
  readonly sql: RawBuilder<unknown>;
  /** SQLite only: json_each's `type` column. */
  readonly typeSql: RawBuilder<unknown> | undefined;
  /** For a field of an element: NULL when the field is absent (a CEL error). */
  readonly guards: readonly RawBuilder<unknown>[];
}

/** A list computed in SQL: rows of a FROM item, each an element. */
export interface Source {
  readonly k: "source";
  readonly from: RawBuilder<unknown>;
  readonly elem: Value;
  readonly where: readonly RawBuilder<SqlBool>[];
  /** Conditions under which producing the list is an error (a failing filter() predicate). */
  readonly errorIf: readonly RawBuilder<SqlBool>[];
  readonly guards: readonly RawBuilder<unknown>[];
}

export type Value = Literal | Native | JsonElement | Source;

/** A translated boolean leaf before guarding. */
export interface Pred {
  readonly sql: RawBuilder<SqlBool>;
  /** The SQL is already NULL whenever a guarded column is NULL. */
  readonly strict: boolean;
}

export type Scope = ReadonlyMap<string, Value>;

export const ORDERINGS: Readonly<Record<string, string>> = { lt: "<", le: "<=", gt: ">", ge: ">=" };
export const FLIPPED: Readonly<Record<string, string>> = { lt: "gt", le: "ge", gt: "lt", ge: "le" };
export const STRING_FUNCTIONS = new Set(["startsWith", "endsWith", "contains"]);

export function celTypeOf(v: JsonValue): AttributeType | "null" | "list" | "map" {
  if (v === null) return "null";
  if (Array.isArray(v)) return "list";
  switch (typeof v) {
    case "string":
      return "string";
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    default:
      return "map";
  }
}

/** CEL equality of two literals (numbers compare across int/double; lists element-wise). */
export function literalEquals(a: JsonValue, b: JsonValue): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((x, i) => literalEquals(x, b[i] as JsonValue))
    );
  }
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a);
    return (
      ka.length === Object.keys(b).length &&
      ka.every((k) => k in b && literalEquals(a[k] as JsonValue, b[k] as JsonValue))
    );
  }
  return a === b;
}

export function joinAnd(parts: readonly RawBuilder<SqlBool>[]): RawBuilder<SqlBool> {
  if (parts.length === 0) return TRUE;
  if (parts.length === 1) return parts[0] as RawBuilder<SqlBool>;
  return sql<SqlBool>`(${sql.join(parts, sql` AND `)})`;
}

export function joinOr(parts: readonly RawBuilder<SqlBool>[]): RawBuilder<SqlBool> {
  if (parts.length === 0) return FALSE;
  if (parts.length === 1) return parts[0] as RawBuilder<SqlBool>;
  return sql<SqlBool>`(${sql.join(parts, sql` OR `)})`;
}

export function lambdaOf(
  op: PlanExpression,
  operand: PlanOperand | undefined,
): { body: PlanOperand; name: string } {
  if (operand && "expression" in operand && operand.expression.operator === "lambda") {
    const [body, variable, ...rest] = operand.expression.operands;
    if (body && variable && "variable" in variable && rest.length === 0) {
      return { body, name: variable.variable };
    }
  }
  throw new PlanFilterSqlError(
    "UNSUPPORTED_OPERAND",
    op.operator,
    `\`${op.operator}\` needs a one-variable lambda as its second operand`,
  );
}

export const BOOLEAN_OPERATORS = new Set([
  "and",
  "or",
  "not",
  "eq",
  "ne",
  "lt",
  "le",
  "gt",
  "ge",
  "in",
  "hasIntersection",
  "isSubset",
  "exists",
  "all",
  "exists_one",
]);

export function literalOrder(op: string, a: JsonValue, b: JsonValue): RawBuilder<SqlBool> {
  const ta = celTypeOf(a);
  if (ta !== celTypeOf(b) || (ta !== "string" && ta !== "number" && ta !== "boolean"))
    return NULL_BOOL;
  const x = a as string | number | boolean;
  const y = b as string | number | boolean;
  const r = op === "lt" ? x < y : op === "le" ? x <= y : op === "gt" ? x > y : x >= y;
  return r ? TRUE : FALSE;
}
