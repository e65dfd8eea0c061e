import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  CelDuration,
  CelError,
  CelOptional,
  CelTimestamp,
  CelTypeValue,
  CelUint,
  compileExpression,
  createEnvironment,
  formatCelValue,
  T,
  toJsonValue,
  type CelLibrary,
  type CelValue,
  type EvalContext,
} from "./index.ts";

const env = createEnvironment({
  variables: { R: T.dyn, P: T.dyn, V: T.dyn, variables: T.dyn, n: T.int },
});

function issues(src: string, e = env): { message: string; line: number; column: number }[] {
  return [...compileExpression(e, src).issues];
}

describe("compileExpression issues", () => {
  test("cel-go wording and 1-based positions", () => {
    assert.deepEqual(issues('"a" + 1'), [
      {
        message: "found no matching overload for '_+_' applied to '(string, int)'",
        line: 1,
        column: 5,
      },
    ]);
    assert.deepEqual(issues("size(1)"), [
      { message: "found no matching overload for 'size' applied to '(int)'", line: 1, column: 5 },
    ]);
    assert.deepEqual(issues('"a".contains(1)'), [
      {
        message: "found no matching overload for 'contains' applied to 'string.(int)'",
        line: 1,
        column: 13,
      },
    ]);
    assert.deepEqual(issues("foo"), [
      { message: "undeclared reference to 'foo' (in container '')", line: 1, column: 1 },
    ]);
    assert.deepEqual(issues("1.a"), [
      { message: "type 'int' does not support field selection", line: 1, column: 2 },
    ]);
    assert.deepEqual(issues("1 && true"), [
      { message: "expected type 'bool' but found 'int'", line: 1, column: 1 },
    ]);
    assert.deepEqual(issues("true ? 1 : 'a'"), [
      {
        message: "found no matching overload for '_?_:_' applied to '(bool, int, string)'",
        line: 1,
        column: 6,
      },
    ]);
    assert.deepEqual(issues("1.exists(x, true)"), [
      {
        message:
          "expression of type 'int' cannot be range of a comprehension (must be list, map, or dynamic)",
        line: 1,
        column: 1,
      },
    ]);
    assert.deepEqual(issues("[1][1.0]"), [
      {
        message: "found no matching overload for '_[_]' applied to '(list(int), double)'",
        line: 1,
        column: 4,
      },
    ]);
    assert.deepEqual(issues("null == 1"), [
      {
        message: "found no matching overload for '_==_' applied to '(null, int)'",
        line: 1,
        column: 6,
      },
    ]);
    assert.deepEqual(issues("duration('1h') * 2"), [
      {
        message: "found no matching overload for '_*_' applied to '(duration, int)'",
        line: 1,
        column: 16,
      },
    ]);
  });
  test("every issue is reported, in source order", () => {
    assert.deepEqual(
      issues("foo.bar(1)").map((i) => i.message),
      [
        "undeclared reference to 'foo' (in container '')",
        "undeclared reference to 'bar' (in container '')",
      ],
    );
  });
  test("literal arguments are validated at compile time", () => {
    assert.deepEqual(issues('duration("bad")'), [
      { message: "invalid duration argument", line: 1, column: 10 },
    ]);
    assert.deepEqual(issues('timestamp("x")'), [
      { message: "invalid timestamp argument", line: 1, column: 11 },
    ]);
    assert.deepEqual(issues('"a".matches("[")'), [
      { message: "invalid matches argument", line: 1, column: 13 },
    ]);
    assert.deepEqual(issues('dyn("a").matches("[")'), [
      { message: "invalid matches argument", line: 1, column: 18 },
    ]);
  });
  test("positions on later lines and after non-ASCII text", () => {
    assert.deepEqual(issues('R.x == "é" &&\n  foo'), [
      { message: "undeclared reference to 'foo' (in container '')", line: 2, column: 3 },
    ]);
  });
});

describe("references", () => {
  const refs = (src: string): readonly (readonly string[])[] =>
    compileExpression(env, src).expression!.references;
  test("select chains rooted at declared variables", () => {
    assert.deepEqual(refs('R.attr.owner == P.id && "admin" in P.roles'), [
      ["R", "attr", "owner"],
      ["P", "id"],
      ["P", "roles"],
    ]);
    assert.deepEqual(refs("V.x.y + V.x.y"), [["V", "x", "y"]]);
    assert.deepEqual(refs('variables["x"].y'), [["variables", "x", "y"]]);
    assert.deepEqual(refs("has(R.attr.a)"), [["R", "attr", "a"]]);
    assert.deepEqual(refs("R.attr[n]"), [["R", "attr"], ["n"]]);
  });
  test("comprehension variables are not references", () => {
    assert.deepEqual(refs("R.attr.tags.exists(t, t.name == P.id)"), [
      ["R", "attr", "tags"],
      ["P", "id"],
    ]);
    assert.deepEqual(refs("cel.bind(R, 1, R + n)"), [["n"]]);
  });
});

describe("result types", () => {
  const typeOf = (src: string): string =>
    JSON.stringify(compileExpression(env, src).expression!.resultType);
  test("inferred from literals and overloads", () => {
    assert.equal(typeOf("1 + 2"), JSON.stringify(T.int));
    assert.equal(typeOf("R.x"), JSON.stringify(T.dyn));
    assert.equal(typeOf("[1, 2].map(x, x * 2)"), JSON.stringify(T.list(T.int)));
    assert.equal(typeOf("R.x == 1"), JSON.stringify(T.bool));
  });
});

describe("libraries", () => {
  const greet: CelLibrary = {
    name: "test",
    functions: [
      {
        name: "greet",
        overloads: [
          {
            id: "greet_string",
            params: [T.string],
            result: T.string,
            impl: (s) => `hello ${s as string}`,
          },
          {
            id: "string_greet",
            receiver: T.string,
            params: [],
            result: T.string,
            impl: (s) => `hi ${s as string}`,
          },
        ],
      },
      {
        name: "test.ns",
        overloads: [{ id: "test_ns", params: [], result: T.int, impl: () => 7n }],
      },
      {
        name: "clock",
        overloads: [
          {
            id: "clock",
            params: [],
            result: T.timestamp,
            usesContext: true,
            impl: ((ctx: EvalContext) => ctx.now()) as unknown as (...a: CelValue[]) => CelValue,
          },
        ],
      },
    ],
  };
  const libEnv = createEnvironment({ variables: { x: T.dyn }, libraries: [greet] });
  const evaluate = (
    src: string,
    b: Record<string, CelValue> = {},
    ctx?: EvalContext,
  ): CelValue | CelError => {
    const { expression, issues: found } = compileExpression(libEnv, src);
    if (expression === undefined) throw new Error(found.map((i) => i.message).join("; "));
    return expression.evaluate(b, ctx);
  };
  test("global, member and namespaced functions", () => {
    assert.equal(evaluate("greet('bob')"), "hello bob");
    assert.equal(evaluate("'bob'.greet()"), "hi bob");
    assert.equal(evaluate("test.ns()"), 7n);
  });
  test("run-time dispatch on dyn arguments", () => {
    assert.equal(evaluate("greet(x)", { x: "ann" }), "hello ann");
    assert.deepEqual(evaluate("greet(x)", { x: 1n }), new CelError("no such overload: greet(int)"));
  });
  test("contextual functions receive the context", () => {
    const now = new CelTimestamp(100, 0);
    assert.equal(evaluate("clock()", {}, { now: () => now }), now);
  });
});

describe("toJsonValue", () => {
  test("converts every JSON-representable value", () => {
    assert.equal(toJsonValue(1n), 1);
    assert.equal(toJsonValue(new CelUint(2n)), 2);
    assert.equal(toJsonValue(1.5), 1.5);
    assert.equal(toJsonValue(new Uint8Array([104, 105])), "aGk=");
    assert.equal(toJsonValue(new CelTimestamp(1577836800, 500_000_000)), "2020-01-01T00:00:00.5Z");
    assert.equal(toJsonValue(new CelDuration(1, 500_000_000)), "1.5s");
    assert.equal(toJsonValue(new CelOptional(1n)), 1);
    assert.deepEqual(toJsonValue(new Map<string, CelValue>([["a", [1n, "b"]]])), { a: [1, "b"] });
  });
  // the errors Cerbos 0.55 reports as output errors for values with no JSON form
  const conversionError = (v: CelValue): string | undefined => {
    const j = toJsonValue(v);
    return j instanceof CelError ? j.message : undefined;
  };
  test("types and optional.none() are errors", () => {
    assert.equal(
      conversionError(new CelTypeValue("int")),
      "type conversion not supported for 'type'",
    );
    assert.equal(
      conversionError([new CelTypeValue("int")]),
      "type conversion not supported for 'type'",
    );
    assert.equal(conversionError(CelOptional.none), "optional.none() dereference");
    assert.equal(conversionError({ a: CelOptional.none }), "optional.none() dereference");
  });
  test("maps with non-string keys are errors", () => {
    const m = (k: CelValue): CelValue => new Map([[k, "a"]]) as unknown as CelValue;
    assert.equal(conversionError(m(1n)), "unsupported type conversion from 'int' to string");
    assert.equal(
      conversionError(m(new CelUint(1n))),
      "unsupported type conversion from 'uint' to string",
    );
    assert.equal(conversionError(m(true)), "type conversion error from bool to 'string'");
    assert.equal(conversionError(m(1.5)), "type conversion error from Double to 'string'");
  });
});

describe("formatCelValue", () => {
  test("renders REPL-style text", () => {
    assert.equal(
      formatCelValue([1n, new CelUint(2n), 1.5, "a", null, true]),
      '[1, 2u, 1.5, "a", null, true]',
    );
    assert.equal(formatCelValue({ a: new Uint8Array([0]) }), '{"a": b"\\x00"}');
    assert.equal(formatCelValue(new CelOptional(1n)), "optional.of(1)");
    assert.equal(formatCelValue(new CelError("boom")), 'error("boom")');
  });
});

describe("evaluate", () => {
  test("never throws for user errors", () => {
    const { expression } = compileExpression(env, "R.a.b.c");
    assert.deepEqual(expression!.evaluate({ R: {} }), new CelError("no such key: a"));
    assert.deepEqual(expression!.evaluate({}), new CelError("no such attribute(s): R"));
  });
});
