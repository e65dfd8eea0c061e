import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TokenCache } from "./token-cache.ts";

const parsed = (exp?: number) => ({
  claims: { exp: exp ?? null },
  ...(exp !== undefined ? { exp: BigInt(exp) } : {}),
});

describe("TokenCache", () => {
  it("drops the least recently used entry beyond its size", () => {
    const c = new TokenCache(2);
    c.set("a", parsed(), 0);
    c.set("b", parsed(), 0);
    assert.ok(c.get("a", 1));
    c.set("c", parsed(), 0);
    assert.ok(c.get("a", 1));
    assert.equal(c.get("b", 1), undefined);
    assert.ok(c.get("c", 1));
    assert.equal(c.length, 2);
  });

  it("never serves an entry at or past the token's exp", () => {
    const c = new TokenCache(10);
    c.set("t", parsed(100), 0);
    assert.ok(c.get("t", 99_999));
    assert.equal(c.get("t", 100_000), undefined);
    c.set("old", parsed(100), 100_000);
    assert.equal(c.length, 0, "an expired token is not cached");
  });

  it("keeps a token without exp for ten minutes only", () => {
    const c = new TokenCache(10);
    c.set("t", parsed(), 0);
    assert.ok(c.get("t", 599_999));
    assert.equal(c.get("t", 600_000), undefined);
  });

  it("size 0 caches nothing", () => {
    const c = new TokenCache(0);
    c.set("t", parsed(), 0);
    assert.equal(c.get("t", 1), undefined);
  });
});
