import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PatternIndex } from "./pattern-index.ts";

function matches(index: PatternIndex<string>, value: string): string[] {
  const out: string[] = [];
  index.forEachMatch(value, (v) => out.push(v));
  return out;
}

describe("PatternIndex", () => {
  it("finds each literal key, from one key up to many (beyond the small-array limit)", () => {
    const index = new PatternIndex<string>();
    const keys = Array.from({ length: 20 }, (_, i) => `action_${i}`);
    keys.forEach((k, n) => {
      index.getOrCreate(k, () => `v${k}`);
      // Every key added so far, and only those, is found after each insertion.
      for (const [j, other] of keys.entries())
        assert.deepEqual(matches(index, other), j <= n ? [`v${other}`] : []);
    });
    assert.equal(
      index.getOrCreate("action_3", () => "new"),
      "vaction_3",
    );
    assert.deepEqual(matches(index, "action_"), []);
  });

  it("matches the literal entry first, then the globs that match", () => {
    const index = new PatternIndex<string>();
    index.getOrCreate("view:*", () => "glob");
    index.getOrCreate("view:public", () => "literal");
    index.getOrCreate("edit", () => "other");
    assert.deepEqual(matches(index, "view:public"), ["literal", "glob"]);
    assert.deepEqual(matches(index, "view:private"), ["glob"]);
    assert.equal(
      index.someMatch("edit", (v) => v === "other"),
      true,
    );
    assert.equal(
      index.someMatch("view:x", (v) => v === "literal"),
      false,
    );
  });

  it("replaceValues reaches literal and glob entries, small or not", () => {
    for (const count of [1, 3, 12]) {
      const index = new PatternIndex<string[]>();
      for (let i = 0; i < count; i++) index.getOrCreate(`k${i}`, () => [`k${i}`]);
      index.getOrCreate("g*", () => ["glob"]);
      index.replaceValues((rows) => [...rows, "seen"]);
      for (let i = 0; i < count; i++) {
        const found: string[][] = [];
        index.forEachMatch(`k${i}`, (v) => found.push(v));
        assert.deepEqual(found, [[`k${i}`, "seen"]]);
      }
      const glob: string[][] = [];
      index.forEachMatch("gx", (v) => glob.push(v));
      assert.deepEqual(glob, [["glob", "seen"]]);
    }
  });
});
