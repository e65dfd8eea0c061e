import assert from "node:assert/strict";
import { test } from "node:test";
import { interpolate } from "./interpolate.ts";

const env = { HOME: "/home/a", EMPTY: "", PORT: "8080" };

function expand(text: string): string {
  const result = interpolate(text, env);
  assert.ok(result.ok, result.ok ? "" : result.message);
  return result.text;
}

test("references take the variable's value, braced or bare", () => {
  assert.equal(expand("${HOME}/x"), "/home/a/x");
  assert.equal(expand("$HOME/x"), "/home/a/x");
  assert.equal(expand(":${PORT}"), ":8080");
  assert.equal(expand("a${EMPTY}b"), "ab");
});

test("defaults apply only when the variable is not set", () => {
  assert.equal(expand("${PORT:1}"), "8080");
  assert.equal(expand("${NOPE:1}"), "1");
  assert.equal(expand("${NOPE:a:b}"), "a:b");
  assert.equal(expand('${NOPE:""}'), "");
  assert.equal(expand("${EMPTY:x}"), "");
});

test("$$ is a literal $, and a $ that starts no reference stays", () => {
  assert.equal(expand("$$HOME"), "$HOME");
  assert.equal(expand("a$1b $ ${"), "a$1b $ ${");
  assert.equal(expand("cost $"), "cost $");
});

test("a missing variable without a default is an error naming it", () => {
  for (const text of ["${NOPE}", "$NOPE", "${NOPE:}"]) {
    const result = interpolate(text, env);
    assert.equal(result.ok, false);
    assert.match(result.ok ? "" : result.message, /`NOPE` is not set/);
  }
});

test("text without references is unchanged", () => {
  assert.deepEqual(interpolate("plain", env), { ok: true, text: "plain", changed: false });
});
