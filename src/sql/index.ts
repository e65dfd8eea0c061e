// Gatehouse's SQL adapters: a PlanResources filter as a Kysely condition (PostgreSQL and
// SQLite), and a Kysely dialect over Node's built-in SQLite. The only module that imports Kysely.

export type {
  AttributeType,
  ColumnMapping,
  ColumnSpec,
  PlanFilterSqlErrorReason,
  PlanFilterSqlOptions,
  SqlDialectName,
} from "./plan-filter.ts";
export { PlanFilterSqlError, planFilterToKysely } from "./plan-filter.ts";
export { createNodeSqliteDialect, nodeSqliteDatabase } from "./node-sqlite-dialect.ts";
