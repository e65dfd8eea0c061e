// Property test with random conditions: a random CEL condition in an ALLOW rule, random rows
// (attributes often absent), the plan from the in-process engine, and the SQL adapter's query
// must return exactly the rows `check` allows. SQLite always; PostgreSQL when
// GATEHOUSE_TEST_PG_URL is set.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { compilePolicySet, createEngine } from "../../src/index.ts";
import type { Engine, Principal } from "../../src/index.ts";
import { planFilterToKysely } from "../../src/sql/index.ts";
import type { ColumnSpec } from "../../src/sql/index.ts";
import {
  PG_URL_VARIABLE,
  openPostgres,
  openSqlite,
  uniqueTableName,
} from "../../src/sql/test-databases.ts";
import type { TestDatabase } from "../../src/sql/test-databases.ts";

interface Row {
  id: string;
  owner: string;
  status: string | null;
  n: number | null;
  flag: boolean | null;
  tags: string[] | null;
  title: string | null;
  /** JSON objects whose fields may be absent or of another type. */
  items: { n?: number; countries?: string[] | string }[] | null;
  due: string | null;
  /** Present with the value null when null (mapped with `nulls: "null"`). */
  archivedBy: string | null;
}

const str = (s: string): string => JSON.stringify(s);

/** Leaves over the resource's attributes, the principal and literals. */
const leafArb: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom("==", "!="),
      fc.constantFrom(`"open"`, `"closed"`, `"draft"`, "1", "null"),
    )
    .map(([op, v]) => `R.attr.status ${op} ${v}`),
  fc
    .tuple(
      fc.constantFrom("<", "<=", ">", ">=", "==", "!="),
      fc.constantFrom("0", "3", "5", "2.5", "10"),
    )
    .map(([op, v]) => `R.attr.n ${op} ${v}`),
  fc.constantFrom("R.attr.flag", "R.attr.flag == true", "R.attr.flag != false"),
  fc
    // Not empty: Cerbos folds `x in []` to false at compile time even when x is absent.
    .subarray(["open", "closed", "draft", "x"], { minLength: 1 })
    .map((xs) => `R.attr.status in [${xs.map(str).join(", ")}]`),
  fc.constantFrom(`"x" in R.attr.tags`, `"y" in R.attr.tags`),
  fc
    .subarray(["x", "y", "z"], { minLength: 1 })
    .map((xs) => `hasIntersection(R.attr.tags, [${xs.map(str).join(", ")}])`),
  fc
    .tuple(
      fc.constantFrom("startsWith", "endsWith", "contains"),
      fc.constantFrom("He", "ld", "o", "", "W"),
    )
    .map(([f, v]) => `R.attr.title.${f}(${str(v)})`),
  fc.constantFrom(
    `R.attr.tags.exists(t, t.startsWith("x"))`,
    `R.attr.tags.all(t, t != "y")`,
    `R.attr.tags.exists_one(t, t == "x" || t == "y")`,
    `size(R.attr.tags) > 1`,
    `size(R.attr.tags) == 0`,
    `R.attr.tags.filter(t, t != "y").size() == 1`,
  ),
  fc.constantFrom(
    "R.attr.items.exists(i, i.n > 2)",
    "R.attr.items.all(i, i.n != 1)",
    `R.attr.items.exists(i, "US" in i.countries)`,
    "size(R.attr.items) >= 1",
    `timestamp(R.attr.due) > timestamp("2024-01-01T00:00:00Z")`,
    `timestamp(R.attr.due) <= timestamp("2024-01-01T01:00:00+01:00")`,
    "R.attr.archivedBy == null",
    "R.attr.archivedBy != P.id",
    `R.attr.archivedBy in [null, "bob"]`,
  ),
  fc.constantFrom(
    "R.attr.owner == P.id",
    "R.attr.n < P.attr.max",
    "R.attr.status == P.attr.favourite",
    "R.attr.title.lowerAscii() == P.attr.greeting",
  ),
);

const conditionArb: fc.Arbitrary<string> = fc.letrec<{ c: string }>((tie) => ({
  c: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leafArb,
    fc.tuple(tie("c"), tie("c")).map(([a, b]) => `(${a} && ${b})`),
    fc.tuple(tie("c"), tie("c")).map(([a, b]) => `(${a} || ${b})`),
    tie("c").map((a) => `!(${a})`),
    fc.tuple(tie("c"), tie("c"), tie("c")).map(([a, b, c]) => `(${a} ? ${b} : ${c})`),
  ),
})).c;

const rowArb = (id: string): fc.Arbitrary<Row> =>
  fc.record({
    id: fc.constant(id),
    owner: fc.constantFrom("alice", "bob"),
    status: fc.option(fc.constantFrom("open", "closed", "draft"), { nil: null }),
    n: fc.option(fc.constantFrom(0, 1, 2.5, 3, 5, 7, 10), { nil: null }),
    flag: fc.option(fc.boolean(), { nil: null }),
    tags: fc.option(fc.uniqueArray(fc.constantFrom("x", "y", "z"), { maxLength: 3 }), {
      nil: null,
    }),
    title: fc.option(fc.constantFrom("Hello world", "hello", "World", "", "Wo"), { nil: null }),
    items: fc.option(
      fc.array(
        fc.record(
          {
            n: fc.integer({ min: 0, max: 4 }),
            countries: fc.oneof(fc.subarray(["US", "FR"]), fc.constant("US")),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 3 },
      ),
      { nil: null },
    ),
    due: fc.option(
      fc.constantFrom(
        "2023-12-31T23:59:59Z",
        "2024-01-01T00:00:00Z",
        "2024-01-01T00:00:00.001Z",
        "2024-01-01T02:00:00+02:00",
        "2025-06-01T00:00:00Z",
      ),
      { nil: null },
    ),
    archivedBy: fc.option(fc.constantFrom("alice", "bob"), { nil: null }),
  });

const rowsArb: fc.Arbitrary<Row[]> = fc
  .integer({ min: 1, max: 10 })
  .chain((n) =>
    fc.tuple(...Array.from({ length: n }, (_, i) => rowArb(`r${String(i).padStart(2, "0")}`))),
  );

const principalArb: fc.Arbitrary<Principal> = fc.record({
  id: fc.constantFrom("alice", "bob"),
  roles: fc.constant(["user"]),
  attr: fc.record(
    {
      max: fc.constantFrom(0, 3, 5.5, 10),
      favourite: fc.constantFrom("open", "draft"),
      greeting: fc.constantFrom("hello", "hello world"),
    },
    // An absent principal attribute is an error too.
    { requiredKeys: ["favourite", "greeting"] },
  ),
});

function engineFor(condition: string): Engine | undefined {
  const text = `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  resource: doc
  version: default
  rules:
    - actions: ["act"]
      roles: ["user"]
      effect: EFFECT_ALLOW
      condition:
        match:
          expr: ${JSON.stringify(condition)}
`;
  const { policySet } = compilePolicySet({ policies: [{ file: "doc.yaml", text }] });
  return policySet ? createEngine(policySet) : undefined;
}

function columnsFor(list: "array" | "json"): Record<string, ColumnSpec> {
  return {
    "request.resource.id": { column: "id", type: "string" },
    "request.resource.attr.owner": { column: "owner", type: "string" },
    "request.resource.attr.status": { column: "status", type: "string" },
    "request.resource.attr.n": { column: "n", type: "number" },
    "request.resource.attr.flag": { column: "flag", type: "boolean" },
    "request.resource.attr.title": { column: "title", type: "string" },
    "request.resource.attr.items": { column: "items", list: "json" },
    "request.resource.attr.due": { column: "due", type: "timestamp" },
    "request.resource.attr.archivedBy": { column: "archived_by", type: "string", nulls: "null" },
    "request.resource.attr.tags":
      list === "array"
        ? { column: "tags", list: "array", type: "string" }
        : { column: "tags_json", list: "json", type: "string" },
  };
}

function randomSuite(label: string, open: () => TestDatabase | undefined): void {
  const probe = open();
  const skip = probe ? false : `${PG_URL_VARIABLE} is not set: PostgreSQL property test skipped`;
  void probe?.close();
  describe(`random conditions: SQL agrees with check on ${label}`, { skip }, () => {
    let t: TestDatabase;
    const table = uniqueTableName("gh_plan_rand");
    before(async () => {
      t = open() as TestDatabase;
      await t.exec(
        t.dialect === "postgres"
          ? `CREATE TABLE ${table} (id text PRIMARY KEY, owner text NOT NULL, status text, n double precision, flag boolean, tags text[], tags_json jsonb, title text, items jsonb, due timestamptz, archived_by text)`
          : `CREATE TABLE ${table} (id TEXT PRIMARY KEY, owner TEXT NOT NULL, status TEXT, n REAL, flag INTEGER, tags_json TEXT, title TEXT, items TEXT, due TEXT, archived_by TEXT)`,
      );
    });
    after(async () => {
      await t.exec(`DROP TABLE IF EXISTS ${table}`);
      await t.close();
    });

    test("rows returned are exactly the resources check allows", async () => {
      const lists: readonly ("array" | "json")[] =
        t.dialect === "postgres" ? ["array", "json"] : ["json"];
      /** Runs where the filter kept some rows and dropped others. */
      let mixed = 0;
      await fc.assert(
        fc.asyncProperty(
          conditionArb,
          principalArb,
          rowsArb,
          fc.constantFrom(...lists),
          async (condition, principal, rows, list) => {
            const engine = engineFor(condition);
            assert.ok(engine, `does not compile: ${condition}`);
            await t.exec(`DELETE FROM ${table}`);
            await t.db
              .insertInto(table)
              .values(
                rows.map(({ tags, items, archivedBy, ...r }) => ({
                  ...r,
                  items: items === null ? null : JSON.stringify(items),
                  archived_by: archivedBy,
                  ...(t.dialect === "postgres" ? { tags } : {}),
                  tags_json: tags === null ? null : JSON.stringify(tags),
                })),
              )
              .execute();
            const plan = engine.plan({ actions: ["act"], principal, resource: { kind: "doc" } });
            const where = planFilterToKysely(plan.filter, {
              dialect: t.dialect,
              columns: columnsFor(list),
              principal,
            });
            const { ids } = await t.selectIds(table, where);
            const results = engine.check(
              rows.map((r) => {
                const attr: Record<string, unknown> = { owner: r.owner, archivedBy: r.archivedBy };
                for (const k of ["status", "n", "flag", "tags", "title", "items", "due"] as const) {
                  if (r[k] !== null) attr[k] = r[k];
                }
                return { principal, resource: { kind: "doc", id: r.id, attr }, actions: ["act"] };
              }) as Parameters<Engine["check"]>[0],
            );
            const allowed = rows
              .filter((_, i) => results[i]?.actions["act"]?.effect === "EFFECT_ALLOW")
              .map((r) => r.id);
            assert.deepEqual(ids, allowed, `condition: ${condition}\nfilter: ${plan.filterDebug}`);
            if (allowed.length > 0 && allowed.length < rows.length) mixed += 1;
          },
        ),
        { numRuns: 200 },
      );
      assert.ok(mixed >= 40, `only ${mixed} runs told rows apart`);
    });
  });
}

randomSuite("SQLite (node:sqlite)", openSqlite);
randomSuite("PostgreSQL", openPostgres);
