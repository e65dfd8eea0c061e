// The README's "Which documents may Alice see?" example, run as written: the plan for Alice over
// examples/policies, its filterDebug as the README prints it, and the SQL query built from it
// (SQLite through node:sqlite), which must return exactly the documents CheckResources lets
// her view.

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { test } from "node:test";
import { Kysely } from "kysely";
import { loadPolicies } from "../../src/index.ts";
import { createNodeSqliteDialect, planFilterToKysely } from "../../src/sql/index.ts";
import { repoRoot } from "../support/reference.ts";

interface DocumentTable {
  id: string;
  public: number | null;
  department: string | null;
  owner_id: string | null;
  locked: number | null;
}

const documents: DocumentTable[] = [
  { id: "handbook", public: 1, department: "hr", owner_id: "carol", locked: 0 },
  { id: "forecast", public: 0, department: "sales", owner_id: "bob", locked: 0 },
  { id: "diary", public: 0, department: "it", owner_id: "alice", locked: 1 },
  { id: "salaries", public: 0, department: "hr", owner_id: "carol", locked: 1 },
  { id: "notes", public: null, department: null, owner_id: "dave", locked: null },
];

test("the README's plan example: filter, SQL and CheckResources agree", async () => {
  const pdp = await loadPolicies(`${repoRoot}/examples/policies`);
  const principal = { id: "alice", roles: ["user"], attr: { department: "sales" } };
  const plan = pdp.plan({ principal, resource: { kind: "document" }, actions: ["view"] });
  assert.equal(
    plan.filterDebug,
    '(or (or (eq request.resource.attr.public true) (eq request.resource.attr.department "sales")) (eq request.resource.attr.owner "alice"))',
  );

  const db = new Kysely<{ document: DocumentTable }>({
    dialect: createNodeSqliteDialect(new DatabaseSync(":memory:")),
  });
  try {
    await db.schema
      .createTable("document")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("public", "integer")
      .addColumn("department", "text")
      .addColumn("owner_id", "text")
      .addColumn("locked", "integer")
      .execute();
    await db.insertInto("document").values(documents).execute();
    const rows = await db
      .selectFrom("document")
      .select("id")
      .where(
        planFilterToKysely(plan.filter, {
          dialect: "sqlite",
          principal,
          columns: {
            "request.resource.attr.public": { column: "document.public", type: "boolean" },
            "request.resource.attr.department": { column: "document.department", type: "string" },
            "request.resource.attr.owner": { column: "document.owner_id", type: "string" },
          },
        }),
      )
      .orderBy("id")
      .execute();

    const allowed = documents
      .filter((d) => {
        const attr: Record<string, string | boolean> = {};
        if (d.public !== null) attr["public"] = d.public === 1;
        if (d.department !== null) attr["department"] = d.department;
        if (d.owner_id !== null) attr["owner"] = d.owner_id;
        if (d.locked !== null) attr["locked"] = d.locked === 1;
        const [out] = pdp.check([
          { principal, resource: { kind: "document", id: d.id, attr }, actions: ["view"] },
        ]);
        return out?.actions["view"]?.effect === "EFFECT_ALLOW";
      })
      .map((d) => d.id)
      .sort();
    assert.deepEqual(
      rows.map((r) => r.id),
      allowed,
    );
    assert.deepEqual(allowed, ["diary", "forecast", "handbook"]);
  } finally {
    await db.destroy();
  }
});
