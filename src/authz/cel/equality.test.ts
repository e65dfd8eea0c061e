import assert from "node:assert/strict";
import { test } from "node:test";
import { celEquals } from "./equality.ts";

test("a list or map holding NaN is unequal even to itself, as in cel-go", () => {
  const list = [[Number.NaN]];
  assert.equal(celEquals(list, list), false);
  const map = new Map([["k", Number.NaN]]);
  assert.equal(celEquals(map, map), false);
  const plain = { k: [1n, Number.NaN] };
  assert.equal(celEquals(plain, plain), false);
  const fine = [1n, "a"];
  assert.equal(celEquals(fine, fine), true);
});
