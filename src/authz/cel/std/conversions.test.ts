import assert from "node:assert/strict";
import { test } from "node:test";
import { CelDuration, compileExpression, createEnvironment, T } from "../index.ts";
import { durationToString } from "./conversions.ts";

test("string(duration) prints the seconds as a float64, as cel-go does", () => {
  // cerbos repl: string(duration("-6325070632.851248742s")) is "-6325070632.851249s".
  assert.equal(durationToString(new CelDuration(-6325070632, -851248742)), "-6325070632.851249s");
  assert.equal(durationToString(new CelDuration(3600, 945499750)), "3600.94549975s");
  assert.equal(durationToString(new CelDuration(-3600, -1)), "-3600.000000001s");
  assert.equal(durationToString(new CelDuration(0, 0)), "0s");
  assert.equal(durationToString(new CelDuration(0, 1)), "0.000000001s");
  assert.equal(durationToString(new CelDuration(0, -150)), "-0.00000015s");
  assert.equal(durationToString(new CelDuration(86400, 0)), "86400s");
});

test("int(duration) is the duration in nanoseconds, as in cel-go", () => {
  // cerbos repl: int(duration("5s")) is 5000000000.
  const env = createEnvironment({ variables: { d: T.dyn } });
  const compiled = compileExpression(env, 'int(duration("5s")) + int(d)');
  assert.ok(compiled.expression);
  assert.equal(compiled.expression.evaluate({ d: new CelDuration(-1, -500) }), 3_999_999_500n);
});
