// Databases for the SQL adapter's tests: an in-memory SQLite always, PostgreSQL when
// GATEHOUSE_TEST_PG_URL is set. Test code only; kept here so Kysely stays imported from
// src/sql/ alone.

import { DatabaseSync } from "node:sqlite";
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresDialect,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql,
} from "kysely";
import type { RawBuilder, SqlBool } from "kysely";
import pg from "pg";
import { createNodeSqliteDialect } from "./node-sqlite-dialect.ts";
import type { SqlDialectName } from "./plan-filter.ts";

/** Rows are loosely typed: each test makes its own table. */
type AnyTables = Record<string, Record<string, unknown>>;

export interface TestDatabase {
  readonly dialect: SqlDialectName;
  readonly db: Kysely<AnyTables>;
  /** Runs a statement (DDL, inserts) given as text with `?`-free literals only. */
  exec(text: string): Promise<void>;
  /** Ids of `table`'s rows where `condition` holds, sorted; and the compiled query. */
  selectIds(
    table: string,
    condition: RawBuilder<SqlBool>,
  ): Promise<{ ids: string[]; sql: string; parameters: readonly unknown[] }>;
  close(): Promise<void>;
}

export const PG_URL_VARIABLE = "GATEHOUSE_TEST_PG_URL";

export function postgresUrl(): string | undefined {
  const url = process.env[PG_URL_VARIABLE];
  return url ? url : undefined;
}

function wrap(dialect: SqlDialectName, db: Kysely<AnyTables>): TestDatabase {
  return {
    dialect,
    db,
    async exec(text) {
      await sql.raw(text).execute(db);
    },
    async selectIds(table, condition) {
      const query = db.selectFrom(table).select("id").where(condition).orderBy("id");
      const compiled = query.compile();
      const rows = await query.execute();
      return {
        ids: rows.map((r) => String(r["id"])),
        sql: compiled.sql,
        parameters: compiled.parameters,
      };
    },
    async close() {
      await db.destroy();
    },
  };
}

export function openSqlite(): TestDatabase {
  return wrap(
    "sqlite",
    new Kysely<AnyTables>({ dialect: createNodeSqliteDialect(new DatabaseSync(":memory:")) }),
  );
}

/** PostgreSQL at GATEHOUSE_TEST_PG_URL, or undefined when it is not set. */
export function openPostgres(): TestDatabase | undefined {
  const url = postgresUrl();
  if (!url) return undefined;
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  return wrap("postgres", new Kysely<AnyTables>({ dialect: new PostgresDialect({ pool }) }));
}

/** A table name no concurrent test run will pick. */
export function uniqueTableName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

/** `select "id" from "doc" where CONDITION` compiled for a dialect, with no database at all. */
export function compileWhere(
  dialect: SqlDialectName,
  condition: RawBuilder<SqlBool>,
): { sql: string; parameters: readonly unknown[] } {
  const pg = dialect === "postgres";
  const db = new Kysely<AnyTables>({
    dialect: {
      createAdapter: () => (pg ? new PostgresAdapter() : new SqliteAdapter()),
      createDriver: () => new DummyDriver(),
      createIntrospector: (k) => (pg ? new PostgresIntrospector(k) : new SqliteIntrospector(k)),
      createQueryCompiler: () => (pg ? new PostgresQueryCompiler() : new SqliteQueryCompiler()),
    },
  });
  const { sql: text, parameters } = db.selectFrom("doc").select("id").where(condition).compile();
  return { sql: text, parameters };
}
