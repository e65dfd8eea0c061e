// Differential test: for expressions @bufbuild/cel's own interpreter supports, Gatehouse's
// evaluator must produce the same value, or both must fail. Expressions are generated over
// ints, doubles, strings, bools, lists and maps with fast-check.

import assert from "node:assert/strict";
import { test } from "node:test";
import { run as bufRun } from "@bufbuild/cel";
import fc from "fast-check";
import { fromBuf } from "./differential-generators.ts";
import { celEquals } from "./equality.ts";
import {
  CelError,
  compileExpression,
  createEnvironment,
  formatCelValue,
  type CelResult,
  type CelValue,
} from "./index.ts";
import { runtimeTypeName } from "./maps.ts";

function same(a: CelResult, b: CelResult): boolean {
  if (a instanceof CelError || b instanceof CelError)
    return a instanceof CelError && b instanceof CelError;
  if (typeof a === "number" && typeof b === "number" && Number.isNaN(a) && Number.isNaN(b))
    return true;
  if (runtimeTypeName(a) !== runtimeTypeName(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => same(x as CelValue, b[i] as CelValue));
  return celEquals(a, b);
}

const { int, dbl, str, bool, list } = fc.letrec<{
  int: string;
  dbl: string;
  str: string;
  bool: string;
  list: string;
}>((tie) => ({
  int: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom("0", "1", "-1", "2", "7", "-13", "9223372036854775807", "4611686018427387904"),
    fc
      .tuple(tie("int"), fc.constantFrom("+", "-", "*", "/", "%"), tie("int"))
      .map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie("int").map((a) => `-(${a})`),
    tie("str").map((s) => `size(${s})`),
    tie("list").map((l) => `size(${l})`),
    fc.tuple(tie("bool"), tie("int"), tie("int")).map(([c, a, b]) => `(${c} ? ${a} : ${b})`),
    fc.tuple(tie("list"), tie("int")).map(([l, i]) => `${l}[${i}]`),
    fc.tuple(tie("int")).map(([a]) => `{'k': ${a}}['k']`),
  ),
  dbl: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom("0.0", "1.5", "-2.25", "1e10", "0.1"),
    fc
      .tuple(tie("dbl"), fc.constantFrom("+", "-", "*", "/"), tie("dbl"))
      .map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie("int").map((a) => `double(${a})`),
  ),
  str: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom("''", "'a'", "'bc'", "'héllo'", "'😀'"),
    fc.tuple(tie("str"), tie("str")).map(([a, b]) => `(${a} + ${b})`),
    tie("int").map((a) => `string(${a})`),
  ),
  bool: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom("true", "false"),
    fc
      .tuple(tie("int"), fc.constantFrom("<", "<=", ">", ">=", "==", "!="), tie("int"))
      .map(([a, op, b]) => `(${a} ${op} ${b})`),
    fc
      .tuple(tie("dbl"), fc.constantFrom("<", "<=", ">", ">=", "==", "!="), tie("dbl"))
      .map(([a, op, b]) => `(${a} ${op} ${b})`),
    fc
      .tuple(tie("str"), fc.constantFrom("<", "==", "!="), tie("str"))
      .map(([a, op, b]) => `(${a} ${op} ${b})`),
    fc
      .tuple(tie("bool"), fc.constantFrom("&&", "||"), tie("bool"))
      .map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie("bool").map((a) => `!(${a})`),
    fc
      .tuple(tie("str"), fc.constantFrom("contains", "startsWith", "endsWith"), tie("str"))
      .map(([a, f, b]) => `${a}.${f}(${b})`),
    fc.tuple(tie("int"), tie("list")).map(([a, l]) => `(${a} in ${l})`),
    fc.tuple(tie("list"), tie("int")).map(([l, a]) => `${l}.exists(x, x > ${a})`),
    fc.tuple(tie("list"), tie("int")).map(([l, a]) => `${l}.all(x, x / ${a} > 0)`),
    fc.tuple(tie("list"), tie("list")).map(([a, b]) => `(${a} == ${b})`),
  ),
  list: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom("[]", "[1, 2, 3]", "[0]"),
    fc.array(tie("int"), { maxLength: 3 }).map((xs) => `[${xs.join(", ")}]`),
    fc.tuple(tie("list"), tie("list")).map(([a, b]) => `(${a} + ${b})`),
    tie("list").map((l) => `${l}.map(x, x * 2)`),
    tie("list").map((l) => `${l}.filter(x, x % 2 == 0)`),
  ),
}));

const env = createEnvironment({ variables: {} });

test("agrees with @bufbuild/cel's interpreter", () => {
  let compared = 0;
  fc.assert(
    fc.property(fc.oneof(int, dbl, str, bool, list), (src) => {
      const { expression } = compileExpression(env, src);
      if (expression === undefined) return true;
      const ours = expression.evaluate({});
      const theirs = fromBuf(bufRun(src));
      compared++;
      assert.ok(
        same(ours, theirs),
        `${src}: ours ${formatCelValue(ours)}, @bufbuild/cel ${formatCelValue(theirs)}`,
      );
      return true;
    }),
    { numRuns: 1500, seed: 16776 },
  );
  assert.ok(compared > 1000, `only ${compared} expressions compared`);
});
