// Unit tests of validation building blocks: the char-loop patterns against the regular expressions
// they replace, and duplicate detection.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  hasDuplicate,
  isPolicyVersion,
  isScope,
  POLICY_VERSION_PATTERN,
  SCOPE_PATTERN,
} from "./violations.ts";

describe("Cerbos's request patterns as char loops", () => {
  const samples = [
    "",
    ".",
    "a",
    "acme",
    "acme.hr",
    "acme.hr.uk",
    "a-b.c_d",
    "a1.2b",
    "A.B-",
    "a..b",
    "a.",
    ".a",
    "-a",
    "_a",
    "a.-b",
    "a._b",
    "a b",
    "é",
    "a.é",
    "v1",
    "v_1",
    "v-1",
    "20210210",
    "a/b",
    "a.b.",
  ];
  it("agree with the regular expressions on every sample", () => {
    // RE2's \w is ASCII-only, as is JavaScript's without the u/v flags' unicode classes
    const version = new RegExp(POLICY_VERSION_PATTERN);
    const scope = new RegExp(SCOPE_PATTERN);
    for (const s of samples) {
      assert.equal(isPolicyVersion(s), version.test(s), `policy version ${JSON.stringify(s)}`);
      assert.equal(isScope(s), scope.test(s), `scope ${JSON.stringify(s)}`);
    }
  });

  it("find duplicates in short and long lists", () => {
    assert.equal(hasDuplicate(["a", "b"]), false);
    assert.equal(hasDuplicate(["a", "b", "a"]), true);
    const long = Array.from({ length: 40 }, (_, i) => `r${i}`);
    assert.equal(hasDuplicate(long), false);
    assert.equal(hasDuplicate([...long, "r3"]), true);
  });
});
