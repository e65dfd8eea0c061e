// Conformance: Cerbos's query_planner_filter cases (testdata/query_planner_filter/case_*.yaml).
// Each gives a filter as a planner might produce it (abbreviated variables, constant operands,
// membership tests over constants) and the filter and debug string Cerbos simplifies it to
// (its normaliseFilter, tested by TestNormaliseFilter).

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import {
  filterToString,
  normaliseFilter,
  type FilterInput,
} from "../../src/authz/planner/filter.ts";
import type { PlanFilter } from "../../src/authz/planner/types.ts";
import { testdata } from "../support/reference.ts";

interface FilterCase {
  readonly description: string;
  readonly input: FilterInput;
  readonly wantFilter: PlanFilter;
  readonly wantString: string;
}

/** Cases that cannot pass, with the reason (none at present). */
const SKIPPED: ReadonlyMap<string, string> = new Map();

const dir = testdata("query_planner_filter");
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .sort();

describe("conformance: query_planner_filter", () => {
  it("finds the cases", () => {
    assert.ok(files.length >= 19, `only ${files.length} cases in ${dir}`);
  });
  for (const file of files) {
    const tc = parse(readFileSync(join(dir, file), "utf8")) as FilterCase;
    const skip = SKIPPED.get(file);
    it(`${file}: ${tc.description}`, skip === undefined ? {} : { skip }, () => {
      const have = normaliseFilter(tc.input);
      assert.deepStrictEqual(have, tc.wantFilter);
      assert.equal(filterToString(have), tc.wantString);
    });
  }
});
