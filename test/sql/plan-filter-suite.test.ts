// Every filter Cerbos's query planner suites expect (testdata/query_planner/suite) either
// becomes SQL that SQLite runs, or is refused with a PlanFilterSqlError naming what has no
// translation; nothing else. The refusals are listed, so a change in coverage shows.

import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, test } from "node:test";
import { parse } from "yaml";
import type { PlanFilter, PlanOperand } from "../../src/authz/planner/types.ts";
import { PlanFilterSqlError, planFilterToKysely } from "../../src/sql/index.ts";
import type { ColumnSpec } from "../../src/sql/index.ts";
import { openSqlite } from "../../src/sql/test-databases.ts";
import { testdata } from "../support/reference.ts";

interface SuiteFile {
  readonly tests?: readonly {
    readonly action?: string;
    readonly actions?: readonly string[];
    readonly want?: PlanFilter;
  }[];
}

const ATTR = "request.resource.attr.";
/** Operators whose first operand is a list. */
const LIST_FIRST = new Set([
  "exists",
  "all",
  "exists_one",
  "filter",
  "map",
  "hasIntersection",
  "isSubset",
  "size",
]);

/** Attribute paths in the filter, and those used as lists. */
function attributes(o: PlanOperand, out: Map<string, boolean>, asList = false): void {
  if ("variable" in o) {
    if (o.variable.startsWith(ATTR) || o.variable === "request.resource.id") {
      out.set(o.variable, (out.get(o.variable) ?? false) || asList);
    }
    return;
  }
  if (!("expression" in o)) return;
  const { operator, operands } = o.expression;
  operands.forEach((x, i) => {
    const list =
      (LIST_FIRST.has(operator) && i === 0) ||
      (operator === "hasIntersection" && i === 1) ||
      (operator === "isSubset" && i === 1) ||
      (operator === "in" && i === 1) ||
      ((operator === "eq" || operator === "ne") &&
        operands.some((y) => "value" in y && Array.isArray(y.value)));
    attributes(x, out, list);
  });
}

function suiteFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? suiteFiles(path) : name.endsWith(".yaml") ? [path] : [];
  });
}

describe("query planner suite filters -> SQL", () => {
  const root = testdata("query_planner", "suite");
  const cases: { name: string; filter: PlanFilter }[] = [];
  for (const file of suiteFiles(root)) {
    const suite = parse(readFileSync(file, "utf8"), { merge: true }) as SuiteFile;
    for (const t of suite.tests ?? []) {
      if (!t.want) continue;
      cases.push({
        name: `${relative(root, file)} ${t.action ?? t.actions?.join(",") ?? ""}`,
        filter: t.want,
      });
    }
  }

  test("each filter runs on SQLite or is refused with a named reason", async (ctx) => {
    const db = openSqlite();
    const refused: string[] = [];
    let ran = 0;
    try {
      for (const [i, c] of cases.entries()) {
        const attrs = new Map<string, boolean>();
        if (c.filter.kind === "KIND_CONDITIONAL") attributes(c.filter.condition, attrs);
        const names = [...attrs.keys()];
        const columns: Record<string, ColumnSpec> = {};
        names.forEach((path, j) => {
          columns[path] = attrs.get(path) ? { column: `c${j}`, list: "json" } : { column: `c${j}` };
        });
        let condition;
        try {
          condition = planFilterToKysely(c.filter, { dialect: "sqlite", columns });
        } catch (e) {
          assert.ok(e instanceof PlanFilterSqlError, `${c.name}: ${String(e)}`);
          refused.push(`${c.name}: ${e.reason} ${e.subject}`);
          continue;
        }
        const table = `t${i}`;
        await db.exec(`CREATE TABLE ${table} (id TEXT${names.map((_, j) => `, c${j}`).join("")})`);
        await db.exec(`INSERT INTO ${table} (id) VALUES ('null-row')`);
        const { ids } = await db.selectIds(table, condition);
        if (c.filter.kind === "KIND_ALWAYS_ALLOWED") assert.deepEqual(ids, ["null-row"], c.name);
        // A row whose attributes are all absent is never allowed by a condition on them.
        else if (names.length > 0) assert.deepEqual(ids, [], c.name);
        ran += 1;
      }
    } finally {
      await db.close();
    }
    ctx.diagnostic(`${ran} of ${cases.length} filters ran; refused:\n${refused.join("\n")}`);
    assert.ok(ran >= cases.length * 0.8, `only ${ran} of ${cases.length} filters translate`);
  });
});
