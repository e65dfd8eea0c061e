import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDuration } from "./duration.ts";

test("Go durations become seconds", () => {
  assert.equal(parseDuration("1h"), 3600);
  assert.equal(parseDuration("2s"), 2);
  assert.equal(parseDuration("500ms"), 0.5);
  assert.equal(parseDuration("1h30m"), 5400);
  assert.equal(parseDuration("1.5s"), 1.5);
  assert.ok(Math.abs(Number(parseDuration("10us")) - 1e-5) < 1e-12);
  assert.equal(parseDuration("0"), 0);
  assert.equal(parseDuration(0), 0);
  assert.equal(parseDuration("-1s"), -1);
});

test("numbers without units and unknown units are refused with a hint", () => {
  assert.match(String(parseDuration(5)), /has no unit; write a duration such as `5s`/);
  assert.match(String(parseDuration("5")), /is not a duration/);
  assert.match(String(parseDuration("5d")), /`d` in `5d` is not a duration unit/);
  assert.match(String(parseDuration("soon")), /is not a duration/);
});
