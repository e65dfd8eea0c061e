// Policy output values in their JSON form: what Cerbos 0.55 put in an output entry (`val`, or
// `error` when the value has no google.protobuf.Value form) for each expression, observed
// through a running cerbos server.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CelError, CelTimestamp, compileExpression, toJsonValue } from "../index.ts";
import { cerbosBindings, cerbosEnvironment } from "./index.ts";

const bindings = cerbosBindings({
  principal: { id: "p", roles: [] },
  resource: { kind: "k", id: "r" },
});

function output(expr: string): { val: unknown } | { error: string } {
  const { expression, issues } = compileExpression(cerbosEnvironment(), expr);
  assert.ok(expression, issues.map((i) => i.message).join("; "));
  const v = expression.evaluate(bindings, { now: () => new CelTimestamp(0, 0) });
  if (v instanceof CelError) return { error: v.message };
  const j = toJsonValue(v);
  return j instanceof CelError ? { error: j.message } : { val: j };
}

const CASES: readonly [string, { val: unknown } | { error: string }][] = [
  ["type(1)", { error: "type conversion not supported for 'type'" }],
  ["int", { error: "type conversion not supported for 'type'" }],
  ['{"a": type(1)}', { error: "type conversion not supported for 'type'" }],
  ["{1: 2}", { error: "unsupported type conversion from 'int' to string" }],
  ['{"a": {1: 1}}', { error: "unsupported type conversion from 'int' to string" }],
  ["{1u: 1}", { error: "unsupported type conversion from 'uint' to string" }],
  ["{true: 1}", { error: "type conversion error from bool to 'string'" }],
  ["{1.5: 1}", { error: "type conversion error from Double to 'string'" }],
  ["optional.of(1)", { val: 1 }],
  ['{"a": optional.of(1)}', { val: { a: 1 } }],
  ["optional.none()", { error: "optional.none() dereference" }],
  ["[optional.none()]", { error: "optional.none() dereference" }],
  [
    'hierarchy("a.b")',
    { error: "unsupported native conversion from hierarchy to '*structpb.Value'" },
  ],
  ['ip("1.2.3.4")', { error: "unsupported type conversion to '*structpb.Value'" }],
  ['[cidr("1.2.3.0/24")]', { error: "unsupported type conversion to '*structpb.Value'" }],
  [
    'spiffeID("spiffe://a/b")',
    { error: "unsupported native conversion from SPIFFEID to '*structpb.Value'" },
  ],
  [
    "spiffeMatchAny()",
    { error: "unsupported native conversion from SPIFFEMatcher to '*structpb.Value'" },
  ],
  [
    'spiffeTrustDomain("spiffe://a")',
    { error: "unsupported native conversion from SPIFFETrustDomain to '*structpb.Value'" },
  ],
  ['duration("-90061.000000001s")', { val: "-90061.000000001s" }],
  ['timestamp("2024-01-01T00:00:00.1200Z")', { val: "2024-01-01T00:00:00.12Z" }],
  ['b"hi"', { val: "aGk=" }],
  ["1u", { val: 1 }],
  ["null", { val: null }],
];

describe("output values", () => {
  for (const [expr, want] of CASES) test(expr, () => assert.deepEqual(output(expr), want));
});
