import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { cerbosEnvironment } from "./cerbos/index.ts";
import {
  CelError,
  CelOptional,
  compileExpression,
  createEnvironment,
  T,
  type CelValue,
  type KnownValues,
} from "./index.ts";

const compile = (src: string, known?: KnownValues) => {
  const { expression, issues } = compileExpression(cerbosEnvironment(), src, {
    ...(known ? { known } : {}),
  });
  assert.deepEqual(issues, []);
  assert.ok(expression);
  return expression;
};

const constants = new Map<string, CelValue>([
  ["C.minLevel", 3],
  ["constants.minLevel", 3],
  ["C.tags", ["a", "b"]],
  ["C.zero", 0n],
]);

/** The bindings the engine passes, as a host map that fails for fields it lacks. */
const resource = (attr: Record<string, CelValue>): Record<string, CelValue> => ({
  R: { kind: "doc", id: "1", attr },
});

describe("known values", () => {
  test("a closed subtree over known fields folds to its value", () => {
    const e = compile("C.minLevel * 2.0", constants);
    assert.equal(e.constant, 6);
    // No bindings at all: nothing is read at run time.
    assert.equal(e.evaluate({}), 6);
    assert.deepEqual(e.runtimeReferences, []);
    assert.deepEqual(e.references, [["C", "minLevel"]]);
  });

  test("the rest of the expression still reads the bindings", () => {
    const e = compile("R.attr.level > C.minLevel * 2.0", constants);
    assert.equal(e.constant, undefined);
    assert.equal(e.evaluate(resource({ level: 7 })), true);
    assert.equal(e.evaluate(resource({ level: 5 })), false);
    assert.deepEqual(e.runtimeReferences, [["R", "attr", "level"]]);
  });

  test("both names of the constants, presence tests and optional selection", () => {
    assert.equal(compile("constants.minLevel == C.minLevel", constants).constant, true);
    assert.equal(compile("has(C.tags) && 'b' in C.tags", constants).constant, true);
    const opt = compile("C.?tags", constants).constant;
    assert.ok(opt instanceof CelOptional);
    assert.deepEqual(opt.value, ["a", "b"]);
    assert.equal(compile("C.?tags.orValue([]).size()", constants).constant, 2n);
  });

  test("an error folds to the error the run-time evaluation gives", () => {
    const folded = compile("1 / C.zero", constants);
    const atRuntime = compile("1 / C.zero").evaluate({ C: { zero: 0n } });
    assert.ok(folded.constant instanceof CelError);
    assert.ok(atRuntime instanceof CelError);
    assert.equal(folded.constant.message, atRuntime.message);
  });

  test("names not known are read at run time, with the usual error when missing", () => {
    const e = compile("C.other + C.minLevel", constants);
    assert.equal(e.constant, undefined);
    assert.deepEqual(e.runtimeReferences, [["C", "other"]]);
    const missing = e.evaluate({ C: {} });
    const plain = compile("C.other + C.minLevel").evaluate({ C: {} });
    assert.ok(missing instanceof CelError && plain instanceof CelError);
    assert.equal(missing.message, plain.message);
    assert.equal(e.evaluate({ C: { other: 1 } }), 4);
  });

  test("the variable as a whole is still read from the bindings", () => {
    const e = compile('dyn(C)["minLevel"]', constants);
    assert.equal(e.constant, undefined);
    assert.deepEqual(e.runtimeReferences, [["C"]]);
    assert.equal(e.evaluate({ C: { minLevel: 9 } }), 9);
  });

  test("a comprehension variable of the same name shadows the known value", () => {
    const e = compile('cel.bind(C, {"minLevel": 1.0}, C.minLevel)', constants);
    assert.equal(e.evaluate({}), 1);
  });

  test("expressions that read the clock or the request do not fold", () => {
    const e = compile("timestamp(C.start) < now()", new Map([["C.start", "2020-01-01T00:00:00Z"]]));
    assert.equal(e.constant, undefined);
    assert.equal(compile("G.x + C.minLevel", constants).constant, undefined);
    assert.equal(compile("size(runtime.effectiveDerivedRoles) > 0").constant, undefined);
  });

  test("expressions without known values report literals as constants", () => {
    assert.equal(compile("1 + 2").constant, 3n);
    assert.equal(compile("R.id").constant, undefined);
    assert.equal(Object.hasOwn(compile("R.id"), "constant"), false);
  });

  test("on a map-typed variable, indexing with a literal key reads the known value too", () => {
    const env = createEnvironment({ variables: { M: T.map(T.string, T.dyn) } });
    const known = new Map<string, CelValue>([["M.a", 2n]]);
    const index = compileExpression(env, 'M["a"] + 1', { known }).expression;
    assert.equal(index?.constant, 3n);
    assert.deepEqual(index?.runtimeReferences, []);
    const optional = compileExpression(env, 'M[?"a"].orValue(0) + M[?"b"].orValue(0)', {
      known,
    }).expression;
    assert.equal(optional?.constant, undefined);
    assert.deepEqual(optional?.runtimeReferences, [["M", "b"]]);
    assert.equal(optional?.evaluate({ M: { b: 5n } }), 7n);
  });
});
