import assert from "node:assert/strict";
import { test } from "node:test";
import { newCallId } from "./call-id.ts";

test("call ids are ULIDs: 26 Crockford base32 characters, time first, unique", () => {
  const at = Date.UTC(2026, 10, 23, 12, 0, 0);
  const ids = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const id = newCallId(at);
    assert.match(id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
    ids.add(id);
  }
  assert.equal(ids.size, 1000);
  // The first ten characters encode the milliseconds, so ids sort by time.
  const decoded = [...newCallId(at).slice(0, 10)].reduce(
    (n, c) => n * 32 + "0123456789ABCDEFGHJKMNPQRSTVWXYZ".indexOf(c),
    0,
  );
  assert.equal(decoded, at);
  assert.ok(newCallId(at) < newCallId(at + 1));
});
