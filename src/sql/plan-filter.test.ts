// Unit tests of the plan filter -> SQL translation: each operator on SQLite, and on PostgreSQL
// when GATEHOUSE_TEST_PG_URL is set; the compiled SQL carries values only as parameters.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import type { PlanFilter, PlanOperand } from "../authz/planner/types.ts";
import type { JsonValue } from "../authz/policy/model.ts";
import { PlanFilterSqlError, planFilterToKysely } from "./plan-filter.ts";
import type { ColumnSpec } from "./plan-filter.ts";
import {
  PG_URL_VARIABLE,
  compileWhere,
  openPostgres,
  openSqlite,
  uniqueTableName,
} from "./test-databases.ts";
import type { TestDatabase } from "./test-databases.ts";

// ---- filter builders ----------------------------------------------------------------------

const v = (value: JsonValue): PlanOperand => ({ value });
const attr = (name: string): PlanOperand => ({ variable: `request.resource.attr.${name}` });
const ref = (name: string): PlanOperand => ({ variable: name });
const op = (operator: string, ...operands: PlanOperand[]): PlanOperand => ({
  expression: { operator, operands },
});
const lambda = (body: PlanOperand, name: string): PlanOperand => op("lambda", body, ref(name));
const conditional = (condition: PlanOperand): PlanFilter => ({
  kind: "KIND_CONDITIONAL",
  condition,
});

// ---- the table ----------------------------------------------------------------------------

interface Doc {
  id: string;
  status: string | null;
  owner: string | null;
  n: number | null;
  flag: boolean | null;
  tags: string[] | null;
  title: string | null;
  items: JsonValue[] | null;
  due: string | null;
}

const DOCS: readonly Doc[] = [
  {
    id: "a",
    status: "open",
    owner: "alice",
    n: 1,
    flag: true,
    tags: ["x", "y"],
    title: "Hello world",
    due: "2024-01-01T00:00:00Z",
    items: [{ countries: ["US", "UK"], n: 1 }],
  },
  {
    id: "b",
    status: "closed",
    owner: "bob",
    n: 5,
    flag: false,
    tags: ["y"],
    title: "hello",
    due: "2024-06-01T12:00:00.5Z",
    items: [{ countries: ["FR"] }],
  },
  {
    id: "c",
    status: "open",
    owner: "bob",
    n: 10,
    flag: true,
    tags: [],
    title: "World",
    due: "2023-12-31T23:00:00-02:00",
    items: [],
  },
  {
    id: "d",
    status: null,
    owner: "alice",
    n: null,
    flag: null,
    tags: null,
    title: null,
    due: null,
    items: null,
  },
  {
    id: "e",
    status: "draft",
    owner: "carol",
    n: 2.5,
    flag: false,
    tags: ["z", "x"],
    title: "",
    due: "2025-01-01T00:00:00Z",
    items: [{ countries: "US" }, { other: 1 }],
  },
];

const BASE_COLUMNS: Readonly<Record<string, string | ColumnSpec>> = {
  "request.resource.id": { column: "id", type: "string" },
  "request.resource.attr.status": { column: "status", type: "string" },
  "request.resource.attr.statusOrNull": { column: "status", type: "string", nulls: "null" },
  "request.resource.attr.owner": "owner",
  "request.resource.attr.n": { column: "n", type: "number" },
  "request.resource.attr.flag": { column: "flag", type: "boolean" },
  "request.resource.attr.title": { column: "title", type: "string" },
  "request.resource.attr.items": { column: "items", list: "json" },
  "request.resource.attr.due": { column: "due", type: "timestamp" },
};

async function createDocs(t: TestDatabase, table: string): Promise<void> {
  const pg = t.dialect === "postgres";
  await t.exec(
    pg
      ? `CREATE TABLE ${table} (id text PRIMARY KEY, status text, owner text, n double precision, flag boolean, tags text[], tags_json jsonb, title text, items jsonb, due timestamptz)`
      : `CREATE TABLE ${table} (id TEXT PRIMARY KEY, status TEXT, owner TEXT, n REAL, flag INTEGER, tags_json TEXT, title TEXT, items TEXT, due TEXT)`,
  );
  await t.db
    .insertInto(table)
    .values(
      DOCS.map((d) => ({
        id: d.id,
        status: d.status,
        owner: d.owner,
        n: d.n,
        flag: d.flag,
        ...(pg ? { tags: d.tags } : {}),
        tags_json: d.tags === null ? null : JSON.stringify(d.tags),
        title: d.title,
        items: d.items === null ? null : JSON.stringify(d.items),
        due: d.due,
      })),
    )
    .execute();
}

// ---- cases --------------------------------------------------------------------------------

interface Case {
  readonly name: string;
  readonly filter: PlanFilter;
  readonly ids: string;
}

const ALL = "abcde";

const CASES: readonly Case[] = [
  { name: "always allowed", filter: { kind: "KIND_ALWAYS_ALLOWED" }, ids: ALL },
  { name: "always denied", filter: { kind: "KIND_ALWAYS_DENIED" }, ids: "" },
  { name: "eq", filter: conditional(op("eq", attr("status"), v("open"))), ids: "ac" },
  { name: "eq, value first", filter: conditional(op("eq", v("open"), attr("status"))), ids: "ac" },
  {
    name: "eq on the resource id",
    filter: conditional(op("eq", ref("request.resource.id"), v("c"))),
    ids: "c",
  },
  {
    name: "eq with R.attr",
    filter: conditional(op("eq", ref("R.attr.status"), v("open"))),
    ids: "ac",
  },
  {
    name: "eq with an untyped column",
    filter: conditional(op("eq", attr("owner"), v("bob"))),
    ids: "bc",
  },
  {
    name: "eq of two columns",
    filter: conditional(op("eq", attr("owner"), attr("owner"))),
    ids: ALL,
  },
  // An absent attribute is an error in CEL: neither eq nor ne nor their negations hold.
  { name: "ne skips absent", filter: conditional(op("ne", attr("status"), v("open"))), ids: "be" },
  {
    name: "not eq skips absent",
    filter: conditional(op("not", op("eq", attr("status"), v("open")))),
    ids: "be",
  },
  { name: "eq null with absent", filter: conditional(op("eq", attr("status"), v(null))), ids: "" },
  {
    name: "ne null with absent",
    filter: conditional(op("ne", attr("status"), v(null))),
    ids: "abce",
  },
  // With nulls: "null" a NULL is CEL's null value.
  {
    name: "eq null as value",
    filter: conditional(op("eq", attr("statusOrNull"), v(null))),
    ids: "d",
  },
  {
    name: "ne as value",
    filter: conditional(op("ne", attr("statusOrNull"), v("open"))),
    ids: "bde",
  },
  {
    name: "in with null as value",
    filter: conditional(op("in", attr("statusOrNull"), v([null, "draft"]))),
    ids: "de",
  },
  // Values of another type: == is false, != true, orderings an error.
  { name: "eq of another type", filter: conditional(op("eq", attr("status"), v(1))), ids: "" },
  { name: "ne of another type", filter: conditional(op("ne", attr("status"), v(1))), ids: "abce" },
  { name: "lt of another type", filter: conditional(op("lt", attr("status"), v(1))), ids: "" },
  {
    name: "not lt of another type",
    filter: conditional(op("not", op("lt", attr("status"), v(1)))),
    ids: "",
  },
  { name: "lt", filter: conditional(op("lt", attr("n"), v(5))), ids: "ae" },
  { name: "le", filter: conditional(op("le", attr("n"), v(5))), ids: "abe" },
  { name: "gt", filter: conditional(op("gt", attr("n"), v(2))), ids: "bce" },
  { name: "ge, value first", filter: conditional(op("ge", v(5), attr("n"))), ids: "abe" },
  { name: "eq of a double", filter: conditional(op("eq", attr("n"), v(2.5))), ids: "e" },
  {
    name: "lt on strings by code point",
    filter: conditional(op("lt", attr("title"), v("World"))),
    ids: "ae",
  },
  {
    name: "in a list",
    filter: conditional(op("in", attr("status"), v(["open", "draft"]))),
    ids: "ace",
  },
  { name: "in numbers", filter: conditional(op("in", attr("n"), v([1, 10, "x"]))), ids: "ac" },
  { name: "in an empty list", filter: conditional(op("in", attr("status"), v([]))), ids: "" },
  {
    name: "not in an empty list",
    filter: conditional(op("not", op("in", attr("status"), v([])))),
    ids: "abce",
  },
  {
    name: "value in a list column",
    filter: conditional(op("in", v("x"), attr("tags"))),
    ids: "ae",
  },
  {
    name: "not value in a list column",
    filter: conditional(op("not", op("in", v("x"), attr("tags")))),
    ids: "bc",
  },
  {
    name: "hasIntersection",
    filter: conditional(op("hasIntersection", attr("tags"), v(["x", "z"]))),
    ids: "ae",
  },
  {
    name: "hasIntersection reversed",
    filter: conditional(op("hasIntersection", v(["y"]), attr("tags"))),
    ids: "ab",
  },
  {
    name: "isSubset",
    filter: conditional(op("isSubset", attr("tags"), v(["x", "y"]))),
    ids: "abc",
  },
  {
    name: "startsWith is case-sensitive",
    filter: conditional(op("startsWith", attr("title"), v("Hello"))),
    ids: "a",
  },
  { name: "endsWith", filter: conditional(op("endsWith", attr("title"), v("world"))), ids: "a" },
  {
    name: "endsWith empty",
    filter: conditional(op("endsWith", attr("title"), v(""))),
    ids: "abce",
  },
  {
    name: "startsWith longer",
    filter: conditional(op("startsWith", attr("title"), v("Hello world!"))),
    ids: "",
  },
  { name: "contains", filter: conditional(op("contains", attr("title"), v("orl"))), ids: "ac" },
  {
    name: "contains with LIKE characters",
    filter: conditional(op("contains", attr("title"), v("%"))),
    ids: "",
  },
  { name: "boolean column", filter: conditional(attr("flag")), ids: "ac" },
  {
    name: "or with an error operand",
    filter: conditional(op("or", op("eq", attr("owner"), v("bob")), op("not", attr("flag")))),
    ids: "bce",
  },
  {
    name: "and",
    filter: conditional(
      op("and", op("eq", attr("status"), v("open")), op("eq", attr("flag"), v(true))),
    ),
    ids: "ac",
  },
  {
    name: "exists",
    filter: conditional(
      op("exists", attr("tags"), lambda(op("startsWith", ref("t"), v("x")), "t")),
    ),
    ids: "ae",
  },
  {
    name: "all",
    filter: conditional(op("all", attr("tags"), lambda(op("ne", ref("t"), v("y")), "t"))),
    ids: "ce",
  },
  {
    name: "not all",
    filter: conditional(
      op("not", op("all", attr("tags"), lambda(op("ne", ref("t"), v("y")), "t"))),
    ),
    ids: "ab",
  },
  {
    name: "exists_one",
    filter: conditional(op("exists_one", attr("tags"), lambda(op("eq", ref("t"), v("y")), "t"))),
    ids: "ab",
  },
  {
    name: "all with a nested exists over a literal list",
    filter: conditional(
      op(
        "all",
        attr("tags"),
        lambda(op("exists", v(["x", "y"]), lambda(op("startsWith", ref("t"), ref("x")), "x")), "t"),
      ),
    ),
    ids: "abc",
  },
  {
    name: "in a filtered list",
    filter: conditional(
      op("in", v("x"), op("filter", attr("tags"), lambda(op("ne", ref("t"), v("y")), "t"))),
    ),
    ids: "ae",
  },
  {
    name: "size of a filtered list",
    filter: conditional(
      op(
        "eq",
        op("size", op("filter", attr("tags"), lambda(op("ne", ref("t"), v("y")), "t"))),
        v(1),
      ),
    ),
    ids: "a",
  },
  {
    name: "size of a list",
    filter: conditional(op("eq", op("size", attr("tags")), v(0))),
    ids: "c",
  },
  {
    name: "size of a list, gt",
    filter: conditional(op("gt", op("size", attr("tags")), v(1))),
    ids: "ae",
  },
  {
    name: "size of a string",
    filter: conditional(op("gt", op("size", attr("title")), v(5))),
    ids: "a",
  },
  {
    name: "if",
    filter: conditional(
      op(
        "if",
        op("eq", attr("status"), v("open")),
        attr("flag"),
        op("eq", attr("owner"), v("bob")),
      ),
    ),
    ids: "abc",
  },
  // Fields of JSON list elements: an absent field, or a field that is no list, is an error.
  {
    name: "exists over a field of list elements",
    filter: conditional(
      op("exists", attr("items"), lambda(op("in", v("US"), ref("x.countries")), "x")),
    ),
    ids: "a",
  },
  {
    name: "not exists over a field of list elements",
    filter: conditional(
      op("not", op("exists", attr("items"), lambda(op("in", v("US"), ref("x.countries")), "x"))),
    ),
    ids: "bc",
  },
  {
    name: "all over a possibly absent field",
    filter: conditional(op("all", attr("items"), lambda(op("eq", ref("x.n"), v(1)), "x"))),
    ids: "ac",
  },
  {
    name: "not all over a possibly absent field",
    filter: conditional(
      op("not", op("all", attr("items"), lambda(op("eq", ref("x.n"), v(1)), "x"))),
    ),
    ids: "",
  },
  {
    name: "exists_one over a field",
    filter: conditional(
      op("exists_one", attr("items"), lambda(op("eq", op("size", ref("x.countries")), v(1)), "x")),
    ),
    ids: "b",
  },
  {
    name: "timestamps compare as times",
    filter: conditional(
      op("gt", op("timestamp", attr("due")), op("timestamp", v("2024-01-01T00:30:00Z"))),
    ),
    ids: "bce",
  },
  {
    name: "timestamps with offsets",
    filter: conditional(
      op("eq", op("timestamp", attr("due")), op("timestamp", v("2024-01-01T01:00:00+01:00"))),
    ),
    ids: "a",
  },
  {
    name: "timestamp of Unix seconds",
    filter: conditional(op("le", op("timestamp", attr("due")), op("timestamp", v(1704067200)))),
    ids: "a",
  },
  {
    name: "lowerAscii",
    filter: conditional(op("eq", op("lowerAscii", attr("title")), v("hello world"))),
    ids: "a",
  },
  {
    name: "upperAscii",
    filter: conditional(op("eq", op("upperAscii", attr("owner")), v("BOB"))),
    ids: "bc",
  },
  {
    name: "a field of a literal map (a principal attribute the plan kept)",
    filter: conditional(
      op(
        "lt",
        attr("n"),
        op("get-field", op("struct", op("set-field", v("max"), v(3))), ref("max")),
      ),
    ),
    ids: "ae",
  },
  {
    name: "an absent field of a literal map is an error",
    filter: conditional(
      op(
        "not",
        op(
          "lt",
          attr("n"),
          op("get-field", op("struct", op("set-field", v("max"), v(3))), ref("min")),
        ),
      ),
    ),
    ids: "",
  },
  {
    name: "index of a literal list",
    filter: conditional(op("eq", attr("status"), op("index", v(["open", "x"]), v(0)))),
    ids: "ac",
  },
  {
    name: "index of a list element",
    filter: conditional(
      op("exists", attr("items"), lambda(op("eq", op("index", ref("x"), v("n")), v(1)), "x")),
    ),
    ids: "a",
  },
  { name: "eq an empty list", filter: conditional(op("eq", attr("tags"), v([]))), ids: "c" },
  { name: "eq a list", filter: conditional(op("eq", attr("tags"), v(["x", "y"]))), ids: "a" },
  {
    name: "eq a list in another order",
    filter: conditional(op("eq", attr("tags"), v(["y", "x"]))),
    ids: "",
  },
  { name: "ne a list", filter: conditional(op("ne", attr("tags"), v(["y"]))), ids: "ace" },
  {
    name: "lambda element compared with a typed column",
    filter: conditional(
      op("exists", attr("tags"), lambda(op("eq", ref("t"), attr("status")), "t")),
    ),
    ids: "",
  },
];

// ---- running ------------------------------------------------------------------------------

function suite(label: string, open: () => TestDatabase | undefined, list: "json" | "array"): void {
  const probe = open();
  const skip = probe ? false : `${PG_URL_VARIABLE} is not set: PostgreSQL tests skipped`;
  void probe?.close();
  describe(`plan filter -> SQL on ${label}`, { skip }, () => {
    let t: TestDatabase;
    const table = uniqueTableName("gh_plan_doc");
    before(async () => {
      t = open() as TestDatabase;
      await createDocs(t, table);
    });
    after(async () => {
      await t.exec(`DROP TABLE IF EXISTS ${table}`);
      await t.close();
    });
    const columns: Record<string, string | ColumnSpec> = {
      ...BASE_COLUMNS,
      "request.resource.attr.tags":
        list === "array"
          ? { column: "tags", list: "array", type: "string" }
          : { column: "tags_json", list: "json" },
    };

    for (const c of CASES) {
      test(c.name, async () => {
        const condition = planFilterToKysely(c.filter, { dialect: t.dialect, columns });
        const { ids } = await t.selectIds(table, condition);
        assert.deepEqual(ids.join(""), c.ids);
      });
    }

    test("a column given as an expression", async () => {
      const condition = planFilterToKysely(conditional(op("eq", attr("upperOwner"), v("BOB"))), {
        dialect: t.dialect,
        columns: {
          ...columns,
          "request.resource.attr.upperOwner": {
            column: sql`upper(${sql.ref("owner")})`,
            type: "string",
          },
        },
      });
      const { ids } = await t.selectIds(table, condition);
      assert.equal(ids.join(""), "bc");
    });

    test("principal references become values when the principal is given", async () => {
      const principal = { id: "bob", roles: ["user"], attr: { max: 5, nested: { v: "open" } } };
      const run = async (condition: PlanOperand): Promise<string> => {
        const where = planFilterToKysely(conditional(condition), {
          dialect: t.dialect,
          columns,
          principal,
        });
        return (await t.selectIds(table, where)).ids.join("");
      };
      assert.equal(await run(op("eq", attr("owner"), ref("request.principal.id"))), "bc");
      assert.equal(await run(op("lt", attr("n"), ref("request.principal.attr.max"))), "ae");
      assert.equal(await run(op("eq", attr("status"), ref("P.attr.nested.v"))), "ac");
      assert.equal(await run(op("in", v("user"), ref("request.principal.roles"))), ALL);
      // An attribute the principal lacks is an error, negated or not.
      const missing = op("eq", attr("status"), ref("request.principal.attr.missing"));
      assert.equal(await run(missing), "");
      assert.equal(await run(op("not", missing)), "");
      assert.equal(await run(op("or", missing, op("eq", attr("owner"), v("carol")))), "e");
    });

    test("a mapping function", async () => {
      const condition = planFilterToKysely(conditional(op("eq", attr("status"), v("open"))), {
        dialect: t.dialect,
        columns: (path) => (path === "request.resource.attr.status" ? "status" : undefined),
      });
      const { ids } = await t.selectIds(table, condition);
      assert.equal(ids.join(""), "ac");
    });

    test("values travel as parameters, never in the SQL text", async () => {
      const evil = "x'); DROP TABLE doc; --";
      const condition = planFilterToKysely(
        conditional(op("or", op("eq", attr("status"), v(evil)), op("in", v(evil), attr("tags")))),
        { dialect: t.dialect, columns },
      );
      const { ids, sql, parameters } = await t.selectIds(table, condition);
      assert.deepEqual(ids, []);
      assert.ok(!sql.includes("DROP"), sql);
      assert.ok(parameters.includes(evil));
    });

    test("compiles eq to a column compared with a parameter", async () => {
      const condition = planFilterToKysely(conditional(op("eq", attr("status"), v("open"))), {
        dialect: t.dialect,
        columns,
      });
      const { sql, parameters } = await t.selectIds(table, condition);
      const placeholder = t.dialect === "postgres" ? "$1" : "?";
      assert.match(sql, new RegExp(`where \\("status" = \\${placeholder}\\) order by`));
      assert.deepEqual(parameters, ["open"]);
    });
  });
}

suite("SQLite (node:sqlite)", openSqlite, "json");
suite("PostgreSQL, JSON list column", openPostgres, "json");
suite("PostgreSQL, array list column", openPostgres, "array");

describe("plan filter -> SQL errors", () => {
  const columns = {
    ...BASE_COLUMNS,
    "request.resource.attr.tags": { column: "tags", list: "array" },
  } as const;
  const fails = (
    filter: PlanFilter,
    reason: string,
    subject: string,
    dialect: "sqlite" | "postgres" = "sqlite",
  ) => {
    assert.throws(
      () => planFilterToKysely(filter, { dialect, columns }),
      (e: unknown) => {
        assert.ok(e instanceof PlanFilterSqlError, String(e));
        assert.equal(e.reason, reason);
        assert.equal(e.subject, subject);
        assert.ok(e.message.includes(subject), e.message);
        return true;
      },
    );
  };

  test("an unmapped attribute names its path", () => {
    fails(
      conditional(op("eq", attr("missing"), v(1))),
      "UNMAPPED_ATTRIBUTE",
      "request.resource.attr.missing",
    );
  });

  test("a principal attribute left in the plan is unmapped", () => {
    fails(
      conditional(op("eq", ref("request.principal.attr.x"), v(1))),
      "UNMAPPED_ATTRIBUTE",
      "request.principal.attr.x",
    );
  });

  test("an operator without a translation names the operator", () => {
    fails(conditional(op("eq", op("add", attr("n"), v(1)), v(2))), "UNSUPPORTED_OPERATOR", "add");
    fails(conditional(op("matches", attr("title"), v("^a"))), "UNSUPPORTED_OPERATOR", "matches");
  });

  test("a timestamp column read as a string is refused", () => {
    fails(
      conditional(op("eq", attr("due"), v("2024-01-01T00:00:00Z"))),
      "UNSUPPORTED_OPERAND",
      "request.resource.attr.due",
    );
  });

  test("a field of a lambda element is refused", () => {
    fails(
      conditional(op("exists", attr("tags"), lambda(op("in", v("US"), ref("x.countries")), "x"))),
      "UNSUPPORTED_OPERAND",
      "x.countries",
      "postgres",
    );
  });

  test("an array column on SQLite is refused", () => {
    fails(
      conditional(op("in", v("x"), attr("tags"))),
      "UNSUPPORTED_OPERAND",
      "request.resource.attr.tags",
    );
  });
});

describe("plan filter -> compiled SQL", () => {
  const columns: Record<string, ColumnSpec> = {
    "request.resource.attr.status": { column: "status", type: "string" },
    "request.resource.attr.n": { column: "n", type: "number" },
    "request.resource.attr.arr": { column: "arr", list: "array", type: "string" },
  };
  const expect = (
    condition: PlanOperand,
    sqlite: [string, unknown[]],
    postgres: [string, unknown[]],
  ): void => {
    for (const [dialect, [text, parameters]] of [
      ["sqlite", sqlite],
      ["postgres", postgres],
    ] as const) {
      const compiled = compileWhere(
        dialect,
        planFilterToKysely(conditional(condition), { dialect, columns }),
      );
      assert.equal(compiled.sql, `select "id" from "doc" where ${text}`, dialect);
      assert.deepEqual(compiled.parameters, parameters, dialect);
    }
  };

  test("ne is the negated equality", () => {
    expect(
      op("ne", attr("status"), v("open")),
      ['(NOT ("status" = ?))', ["open"]],
      ['(NOT ("status" = $1))', ["open"]],
    );
  });

  test("string orderings use code-point collation on PostgreSQL", () => {
    expect(
      op("lt", attr("status"), v("m")),
      ['("status" < ?)', ["m"]],
      ['("status" COLLATE "C" < $1)', ["m"]],
    );
  });

  test("a value first flips the ordering; numbers are typed for PostgreSQL", () => {
    expect(
      op("ge", v(2.5), attr("n")),
      ['("n" <= ?)', [2.5]],
      ['("n" <= CAST($1 AS numeric))', ["2.5"]],
    );
    expect(op("gt", attr("n"), v(3)), ['("n" > ?)', [3]], ['("n" > CAST($1 AS bigint))', [3]]);
  });

  test("in a literal list", () => {
    expect(
      op("in", attr("status"), v(["a", "b"])),
      ['("status" IN (?, ?))', ["a", "b"]],
      ['("status" IN ($1, $2))', ["a", "b"]],
    );
  });

  test("startsWith without LIKE", () => {
    expect(
      op("startsWith", attr("status"), v("x")),
      ['(substr("status", 1, length(?)) = ?)', ["x", "x"]],
      ['starts_with("status", $1)', ["x"]],
    );
  });

  test("a comparison with null on an absent-able column is an error when absent", () => {
    expect(
      op("not", op("eq", attr("status"), v(null))),
      ['(NOT (CASE WHEN "status" IS NULL THEN NULL ELSE FALSE END))', []],
      ['(NOT (CASE WHEN "status" IS NULL THEN NULL ELSE FALSE END))', []],
    );
  });

  test("hasIntersection on a PostgreSQL array column", () => {
    const compiled = compileWhere(
      "postgres",
      planFilterToKysely(conditional(op("hasIntersection", attr("arr"), v(["a", "b"]))), {
        dialect: "postgres",
        columns,
      }),
    );
    assert.match(
      compiled.sql,
      /FROM unnest\("arr"\) AS "_e1"\(v\) WHERE \(COALESCE\(\("_e1"\."v" IN \(\$1, \$2\)\), FALSE\)\) IS TRUE/,
    );
    assert.match(compiled.sql, /^select "id" from "doc" where \(CASE WHEN "arr" IS NULL THEN NULL/);
    // Elements cannot make `IN` err, so there is no second scan for erring elements.
    assert.ok(!compiled.sql.includes("IS NULL) THEN NULL"), compiled.sql);
  });
});
