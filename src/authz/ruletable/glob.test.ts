import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileGlob, isGlob } from "./glob.ts";

describe("compileGlob (gobwas/glob with `:` separator, as Cerbos matches actions)", () => {
  const cases: [string, string, boolean][] = [
    ["*", "view", true],
    ["*", "view:public", true], // a lone `*` means `**`
    ["view:*", "view:public", true],
    ["view:*", "view", false],
    ["view:*", "view:a:b", false],
    ["view:**", "view:a:b", true],
    ["v?ew", "view", true],
    ["v?ew", "v:ew", false],
    ["[vw]iew", "wiew", true],
    ["[!v]iew", "view", false],
    ["{view,edit}:*", "edit:x", true],
    ["{view,edit}:*", "delete:x", false],
    ["a\\*b", "a*b", true],
    ["a\\*b", "axb", false],
    ["leave_request", "leave_request", true],
    ["leave.request", "leaveXrequest", false],
    ["[", "[", false], // invalid pattern matches nothing
  ];
  for (const [pattern, value, want] of cases) {
    it(`${pattern} ${want ? "matches" : "does not match"} ${value}`, () => {
      assert.equal(compileGlob(pattern)(value), want);
    });
  }

  it("tells globs from literals", () => {
    assert.equal(isGlob("view:*"), true);
    assert.equal(isGlob("view:public"), false);
  });
});
