// A Kysely dialect over Node's built-in SQLite (`node:sqlite`'s DatabaseSync). Kysely's own
// SqliteDialect speaks better-sqlite3's statement interface; this adapts DatabaseSync to it, so
// SQLite needs no native add-on.

import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import { SqliteDialect } from "kysely";
import type { SqliteDatabase, SqliteStatement } from "kysely";

/** Booleans become 1/0 (SQLite has no boolean type); other values bind as they are. */
function bindable(parameters: readonly unknown[]): SQLInputValue[] {
  return parameters.map((p, i): SQLInputValue => {
    if (typeof p === "boolean") return p ? 1 : 0;
    if (p === undefined || p === null) return null;
    if (typeof p === "number" || typeof p === "bigint" || typeof p === "string") return p;
    if (p instanceof Uint8Array) return p;
    throw new TypeError(`sqlite parameter ${i + 1} cannot be bound: ${typeof p}`);
  });
}

function adaptStatement(stmt: StatementSync): SqliteStatement {
  return {
    // A statement that returns columns is a reader, whatever its first keyword is.
    reader: stmt.columns().length > 0,
    all: (parameters) => stmt.all(...bindable(parameters)),
    run: (parameters) => stmt.run(...bindable(parameters)),
    iterate: (parameters) => stmt.iterate(...bindable(parameters)),
  };
}

/** Wraps an open DatabaseSync so Kysely's SqliteDialect can drive it. */
export function nodeSqliteDatabase(db: DatabaseSync): SqliteDatabase {
  return {
    close: () => db.close(),
    prepare: (text) => adaptStatement(db.prepare(text)),
  };
}

/** `new Kysely<DB>({ dialect: createNodeSqliteDialect(new DatabaseSync(":memory:")) })`. */
export function createNodeSqliteDialect(db: DatabaseSync): SqliteDialect {
  return new SqliteDialect({ database: nodeSqliteDatabase(db) });
}
