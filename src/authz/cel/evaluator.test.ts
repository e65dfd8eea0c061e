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
  type CelMapLike,
  type CelResult,
  type CelType,
  type CelValue,
} from "./index.ts";

function run(
  src: string,
  bindings: Record<string, CelValue> = {},
  variables: Record<string, CelType> = {},
): CelResult {
  const vars: Record<string, CelType> = { ...variables };
  for (const k of Object.keys(bindings)) vars[k] ??= T.dyn;
  const { expression, issues } = compileExpression(createEnvironment({ variables: vars }), src);
  if (expression === undefined)
    throw new Error(`compile failed: ${issues.map((i) => i.message).join("; ")}`);
  return expression.evaluate(bindings);
}

function expectValue(src: string, expected: CelValue, bindings?: Record<string, CelValue>): void {
  const r = run(src, bindings);
  assert.equal(formatCelValue(r), formatCelValue(expected), src);
}

function expectError(src: string, message: string, bindings?: Record<string, CelValue>): void {
  const r = run(src, bindings);
  assert.ok(r instanceof CelError, `${src} should fail, got ${formatCelValue(r)}`);
  assert.equal(r.message, message, src);
}

describe("integer arithmetic", () => {
  test("overflow is an error, as in cel-go", () => {
    expectError("9223372036854775807 + 1", "integer overflow");
    expectError("-9223372036854775808 - 1", "integer overflow");
    expectError("-(-9223372036854775807 - 1)", "integer overflow");
    expectError("(-9223372036854775807 - 1) / -1", "integer overflow");
    expectError("(-9223372036854775807 - 1) % -1", "integer overflow");
    expectError("1u - 2u", "unsigned integer overflow");
    expectError("18446744073709551615u + 1u", "unsigned integer overflow");
    expectValue("-9223372036854775808", -(1n << 63n));
  });
  test("division and modulus by zero", () => {
    expectError("1 / 0", "division by zero");
    expectError("1 % 0", "modulus by zero");
    expectError("1u / 0u", "division by zero");
    expectValue("1.0 / 0.0", Infinity);
  });
  test("truncating division and sign of modulus follow Go", () => {
    expectValue("-7 / 2", -3n);
    expectValue("-5 % 3", -2n);
    expectValue("5 % -3", 2n);
  });
});

describe("numeric comparison and equality", () => {
  test("cross-type comparisons compare values", () => {
    expectValue("1 < 1.5", true);
    expectValue("2u > 1", true);
    expectValue("1.0 <= 1", true);
    expectValue("dyn(9223372036854775807) < 9223372036854775808.0", false);
  });
  test("heterogeneous equality at run time", () => {
    expectValue("dyn(1) == 1.0", true);
    expectValue("dyn(1u) == 1", true);
    expectValue("dyn(1) == 'a'", false);
    expectValue("[1, 2] == [1, dyn(2.0)]", true);
    expectValue("{'a': 1} == {'a': dyn(1u)}", true);
    expectValue("double('NaN') == double('NaN')", false);
  });
  test("a call the checker pinned still tests its arguments at run time", () => {
    // dyn + list(int) checks as list(int), whatever the dyn list holds (cerbos repl agrees on
    // each answer below).
    expectError("(dyn([true]) + [100]).exists(v, v < 1.0)", "no such overload");
    expectError("(dyn([true]) + [100])[0] + 1", "no such overload: _+_");
    expectValue("(dyn(['a']) + [100])[0] == 1", false);
    expectError("tags.exists(t, t > 1)", "no such overload", { tags: ["a"] });
  });

  test("static type mismatch is a compile error", () => {
    const { issues } = compileExpression(createEnvironment({ variables: {} }), "1 == 1.0");
    assert.deepEqual(issues, [
      {
        message: "found no matching overload for '_==_' applied to '(int, double)'",
        line: 1,
        column: 3,
      },
    ]);
  });
});

describe("logical operators", () => {
  test("errors are absorbed commutatively", () => {
    expectValue("false && (1 / 0 > 0)", false);
    expectValue("(1 / 0 > 0) && false", false);
    expectValue("(1 / 0 > 0) || true", true);
    expectValue("true || (1 / 0 > 0)", true);
    expectError("true && (1 / 0 > 0)", "division by zero");
    expectError("(1 / 0 > 0) || false", "division by zero");
  });
  test("non-boolean operands are no such overload", () => {
    expectError("dyn(1) && true", "no such overload");
    expectValue("dyn(1) && false", false);
    expectError("dyn(1) ? 1 : 2", "no such overload");
  });
});

describe("maps and lists", () => {
  test("missing keys and indexes", () => {
    expectError("{'a': 1}.b", "no such key: b");
    expectError("{'a': 1}['b']", "no such key: b");
    expectError("[1, 2][2]", "index out of bounds: 2");
    expectError("[1, 2][-1]", "index out of bounds: -1");
    expectError("dyn([1])[dyn(1.5)]", "unsupported index value 1.5 in list");
    expectError("dyn([1])[dyn('a')]", "unsupported index type 'string' in list");
    expectError("dyn([1]).a", "unsupported index type 'string' in list");
  });
  test("numeric keys unify across int, uint and double", () => {
    expectValue("{1: 'a'}[dyn(1u)]", "a");
    expectValue("{1u: 'a'}[dyn(1)]", "a");
    expectValue("{1: 'a'}[dyn(1.0)]", "a");
    expectValue("[1, 2][dyn(1.0)]", 2n);
    expectValue("[1, 2][dyn(1u)]", 2n);
    expectValue("dyn(1u) in {1: 2}", true);
    expectValue("dyn(1.0) in [1, 2]", true);
  });
  test("has() on maps", () => {
    expectValue("has({'a': 1}.a)", true);
    expectValue("has({'a': 1}.b)", false);
    expectValue("has(m.a.b)", true, { m: { a: { b: null } } });
    expectError("has(m.x.b)", "no such key: x", { m: { a: {} } });
  });
  test("JSON objects are maps, JSON numbers are doubles", () => {
    const b = { r: { attr: { n: 3, tags: ["x", "y"], nested: { k: true } } } };
    expectValue("r.attr.n == 3", true, b);
    expectValue("r.attr.n + 1.0", 4, b);
    expectValue("'y' in r.attr.tags", true, b);
    expectValue("r.attr.nested.k", true, b);
    expectValue("r.attr.size()", 3n, b);
    expectError("r.attr.missing", "no such key: missing", b);
  });
  test("property names of Object.prototype are not found on JSON objects", () => {
    expectError("m.toString", "no such key: toString", { m: {} });
    expectError("m.constructor", "no such key: constructor", { m: {} });
    expectValue("m.constructor", "x", { m: { constructor: "x" } });
    expectValue("has(m.__proto__)", false, { m: {} });
  });
});

describe("missing names and keys", () => {
  test("fail with the same message on every evaluation, after successes too", () => {
    const env = createEnvironment({ variables: { x: T.dyn, m: T.dyn } });
    const compile = (src: string) => {
      const { expression } = compileExpression(env, src);
      assert.ok(expression, src);
      return expression;
    };
    const messages = (src: string, runs: Record<string, CelValue>[]): (string | CelValue)[] => {
      const e = compile(src);
      return runs.map((b) => {
        const r = e.evaluate(b);
        return r instanceof CelError ? r.message : r;
      });
    };
    assert.deepEqual(messages("x", [{ x: 1n }, {}, {}]), [
      1n,
      "no such attribute(s): x",
      "no such attribute(s): x",
    ]);
    const map = new Map<string, CelValue>([["b", 2n]]);
    for (const src of ["m.a", "m.toString"]) {
      const field = src.slice(2);
      assert.deepEqual(messages(src, [{ m: { [field]: 1n } }, { m: {} }, { m: map }]), [
        1n,
        `no such key: ${field}`,
        `no such key: ${field}`,
      ]);
    }
  });
});

describe("lazy CelMapLike maps", () => {
  const calls: string[] = [];
  const lazy: CelMapLike = {
    celMapLike: true,
    get(key: string) {
      calls.push(key);
      if (key === "bad") return new CelError("variable failed");
      return key === "a" ? 1n : key === "b" ? "two" : key === "bad" ? undefined : undefined;
    },
    has: (key: string) => key === "a" || key === "b" || key === "bad",
    keys: () => ["a", "b", "bad"],
    size: 3,
  };
  test("select, index, has, in, size", () => {
    expectValue("V.a + 1", 2n, { V: lazy });
    expectValue("V['b']", "two", { V: lazy });
    expectValue("has(V.a)", true, { V: lazy });
    expectValue("has(V.z)", false, { V: lazy });
    expectValue("'b' in V", true, { V: lazy });
    expectValue("size(V)", 3n, { V: lazy });
    expectError("V.z", "no such key: z", { V: lazy });
    expectError("V.bad", "variable failed", { V: lazy });
  });
  test("iteration and equality", () => {
    expectValue("V.exists(k, k == 'b')", true, { V: lazy });
    expectValue("V.filter(k, k != 'bad').size()", 2n, { V: lazy });
    expectValue("V == {'a': 1, 'b': 'two'}", false, { V: lazy });
  });
  test("only the keys read are computed", () => {
    calls.length = 0;
    run("V.a == 1", { V: lazy });
    assert.deepEqual(calls, ["a"]);
  });
});

describe("comprehensions", () => {
  test("standard macros", () => {
    expectValue("[1, 2, 3].all(x, x > 0)", true);
    expectValue("[1, 2, 3].exists(x, x > 2)", true);
    expectValue("[1, 2, 3].exists_one(x, x > 1)", false);
    expectValue("[1, 2, 3].existsOne(x, x > 2)", true);
    expectValue("[1, 2, 3].map(x, x * 2)", [2n, 4n, 6n]);
    expectValue("[1, 2, 3].map(x, x > 1, x * 2)", [4n, 6n]);
    expectValue("[1, 2, 3].filter(x, x % 2 == 1)", [1n, 3n]);
    expectValue("{'a': 1, 'b': 2}.map(k, k)", ["a", "b"]);
  });
  test("errors inside all/exists are absorbed when the result is decided", () => {
    expectValue("[0, 1].exists(x, 1 / x > 0)", true);
    expectValue("[1, 0].all(x, 1 / x < 0)", false);
    expectError("[0, 1].all(x, 1 / x > 0)", "division by zero");
  });
  test("two-variable forms", () => {
    expectValue("[1, 2, 3].all(i, v, i < v)", true);
    expectValue("[10, 20].exists(i, v, i == 1 && v == 20)", true);
    expectValue("{'a': 1, 'b': 2}.exists_one(k, v, v == 2)", true);
    expectValue("[1, 2].transformList(i, v, i + v)", [1n, 3n]);
    expectValue("[1, 2, 3].transformList(i, v, v > 1, v * 10)", [20n, 30n]);
    expectValue("{'a': 1}.transformMap(k, v, v + 1)", new Map([["a", 2n]]));
    expectValue("{'a': 1, 'b': 2}.transformMap(k, v, v > 1, v)", new Map([["b", 2n]]));
    expectValue("{'a': 1}.transformMapEntry(k, v, {v: k})", new Map([[1n, "a"]]));
    expectError("[1, 2].transformMapEntry(i, v, {'a': v})", "insert failed: key a already exists");
  });
  test("iterating a non-collection", () => {
    expectError("dyn(1).exists(x, true)", "got 'types.Int', expected iterable type");
  });
  test("nested comprehensions see their own variables", () => {
    expectValue("[[1, 2], [3]].map(l, l.map(x, x + l.size()))", [[3n, 4n], [4n]]);
    expectValue("[1, 2].all(x, [1, 2].exists(y, x == y))", true);
  });
});

describe("cel.bind", () => {
  test("binds a value for the body", () => {
    expectValue("cel.bind(x, 2, x * x)", 4n);
    expectValue("cel.bind(a, 1, cel.bind(b, a + 1, a + b))", 3n);
  });
  test("an unused failing binding does not fail", () => {
    expectValue("cel.bind(x, 1 / 0, 1)", 1n);
    expectError("cel.bind(x, 1 / 0, x)", "division by zero");
  });
  test("shadows outer variables", () => {
    expectValue("cel.bind(x, 'inner', x)", "inner", { x: "outer" });
  });
});

describe("map literals with double keys (cel-go accepts them at run time)", () => {
  test("a double key stays a double, found by the same double", () => {
    expectValue("{x: 1}[2.0]", 1n, { x: 2 });
    expectError("{x: 1}[2]", "no such key: 2", { x: 2 });
    expectValue("{x: 1, 2: 2}[2]", 2n, { x: 2 });
    expectValue("{x: 1, 2: 2}[2.0]", 1n, { x: 2 });
    expectValue("{x: 1, 2: 2}.size()", 2n, { x: 2 });
    expectValue("{x: 1} == {2: 1}", true, { x: 2 });
    expectValue("{2: 1} == {x: 1}", false, { x: 2 });
    expectValue("2 in {x: 1}", false, { x: 2 });
    expectValue("{x: 1}.exists(k, type(k) == double)", true, { x: 2 });
    expectValue("{x: 1}[1.5]", 1n, { x: 1.5 });
  });
  test("JSON numbers as keys of transformed maps", () => {
    expectValue("l.transformMapEntry(i, v, {v: i}) == {1: 0, 2: 1, 3: 2}", true, { l: [1, 2, 3] });
    expectValue("{x: 1}.transformMap(k, v, v)[2.0]", 1n, { x: 2 });
  });
});

describe("timestamps keep the UTC offset they were written with (cerbos repl)", () => {
  const ts = 'timestamp("2024-01-01T00:00:00+05:30")';
  test("formatting keeps the offset", () => {
    expectValue(`string(${ts})`, "2024-01-01T00:00:00+05:30");
    expectValue('string(timestamp("2024-01-01T00:00:00.5-08:00"))', "2024-01-01T00:00:00.5-08:00");
    expectValue('string(timestamp("2024-01-01T00:00:00+00:00"))', "2024-01-01T00:00:00Z");
    expectValue('string(timestamp("2024-01-01T00:00:00-00:00"))', "2024-01-01T00:00:00Z");
    expectValue(`string(timestamp(${ts}))`, "2024-01-01T00:00:00+05:30");
    expectValue(`string(${ts}).size()`, 25n);
  });
  test("arithmetic keeps it", () => {
    expectValue(`string(${ts} + duration("1h"))`, "2024-01-01T01:00:00+05:30");
    expectValue(`string(duration("1h") + ${ts})`, "2024-01-01T01:00:00+05:30");
    expectValue(`string(${ts} - duration("1h"))`, "2023-12-31T23:00:00+05:30");
  });
  test("comparisons and getters use the instant in UTC", () => {
    expectValue(`${ts} == timestamp("2023-12-31T18:30:00Z")`, true);
    expectValue(`${ts}.getHours()`, 18n);
    expectValue(`${ts}.getDayOfMonth()`, 30n);
    expectValue(`int(${ts})`, 1704047400n);
  });
});

describe("optionals", () => {
  test("optional selection and indexing", () => {
    expectValue("{'a': 1}.?a", new CelOptional(1n));
    expectValue("{'a': 1}.?b", CelOptional.none);
    expectValue("{'a': {'b': 1}}.?a.b", new CelOptional(1n));
    expectValue("{'a': {'b': 1}}.?x.b", CelOptional.none);
    expectValue("[1, 2][?1]", new CelOptional(2n));
    expectValue("[1, 2][?5]", CelOptional.none);
    expectValue("{'a': 1}[?'a'].orValue(0)", 1n);
    expectValue("m.?a.?b.orValue('none')", "none", { m: { a: {} } });
  });
  test("optional access on values that are neither map nor list is none (cerbos repl)", () => {
    expectValue("m.?nested.?a.?b.orValue(0)", 0n, { m: { nested: 1 } });
    expectValue("m.?nested.?a.?b.orValue(0)", 0n, { m: { nested: { a: 1 } } });
    expectValue("dyn({'a': 1}).?a.?b.hasValue()", false);
    expectValue("dyn('s').?a", CelOptional.none);
    expectValue("dyn(null).?a", CelOptional.none);
    expectValue("dyn(1)[?'a']", CelOptional.none);
    expectValue("dyn('s')[?0]", CelOptional.none);
    expectError("m.?nested.?a.?b.orValue(0)", "unsupported index type 'string' in list", {
      m: { nested: [1] },
    });
    expectError("dyn({'a': [1]}).?a.?b", "unsupported index type 'string' in list");
  });
  test("functions", () => {
    expectValue("optional.of(1).value()", 1n);
    expectError("optional.none().value()", "optional.none() dereference");
    expectValue("optional.none().hasValue()", false);
    expectValue("optional.none().orValue(5)", 5n);
    expectValue("optional.none().or(optional.of(2))", new CelOptional(2n));
    expectValue("optional.of(1).or(optional.of(2))", new CelOptional(1n));
    expectValue("optional.ofNonZeroValue(0)", CelOptional.none);
    expectValue("optional.ofNonZeroValue('x')", new CelOptional("x"));
    expectValue("optional.of(1).optMap(x, x + 1)", new CelOptional(2n));
    expectValue("optional.none().optMap(x, x + 1)", CelOptional.none);
    expectValue("optional.of(1).optFlatMap(x, optional.none())", CelOptional.none);
  });
  test("optional list elements and map entries", () => {
    expectValue("[?optional.of(1), ?optional.none(), 3]", [1n, 3n]);
    expectValue("{?'a': optional.of(1), ?'b': optional.none()}", { a: 1n });
  });
});

describe("types and conversions", () => {
  test("type values", () => {
    expectValue("type(1) == int", true);
    expectValue("type(1u) == uint", true);
    expectValue("type('a') == string", true);
    expectValue("type(null) == null_type", true);
    expectValue("type([]) == list", true);
    expectValue("type({}) == map", true);
    expectValue("type(duration('1s')) == google.protobuf.Duration", true);
    expectValue("type(int)", new CelTypeValue("type"));
    expectValue("type(optional.none()) == optional_type", true);
    expectValue("type(dyn(1)) == int", true);
  });
  test("int, uint, double", () => {
    expectValue("int('-123')", -123n);
    expectError("int(' 1')", "type conversion error from 'string' to 'int'");
    expectValue("int(-1.9)", -1n);
    expectError("int(1e19)", "integer overflow");
    expectError("uint(-1)", "unsigned integer overflow");
    expectError("uint('18446744073709551616')", "type conversion error from 'string' to 'uint'");
    expectValue("uint(1.5)", new CelUint(1n));
    expectValue("double('1e3')", 1000);
    expectValue("double(1u)", 1);
    expectValue("int(timestamp('2020-01-01T10:00:00Z'))", 1577872800n);
  });
  test("string, bytes, bool", () => {
    expectValue("string(1.5)", "1.5");
    expectValue("string(1e20)", "1e+20");
    expectValue("string(1234567.0)", "1.234567e+06");
    expectValue("string(123456.0)", "123456");
    expectValue("string(0.00001)", "1e-05");
    expectValue("string(-0.0)", "-0");
    expectValue("string(1.0 / 0.0)", "+Inf");
    expectValue("string(b'abc')", "abc");
    expectError("string(b'\\xff')", "invalid UTF-8 in bytes, cannot convert to string");
    expectValue("bytes('é')", new Uint8Array([0xc3, 0xa9]));
    expectValue("bool('t')", true);
    expectError("bool('yes')", "type conversion error from 'string' to 'bool'");
    expectValue("string(duration('-1m1ms'))", "-60.001s");
    expectValue("string(timestamp('2020-01-01T10:00:00.120Z'))", "2020-01-01T10:00:00.12Z");
  });
});

describe("strings", () => {
  test("sizes count code points", () => {
    expectValue("size('héllo😀')", 6n);
    expectValue("'😀'.size()", 1n);
    expectValue("size(b'abc')", 3n);
  });
  test("contains, startsWith, endsWith", () => {
    expectValue("'hello'.contains('ell')", true);
    expectValue("'hello'.startsWith('he')", true);
    expectValue("'hello'.endsWith('lo')", true);
  });
  test("string ordering is by code point", () => {
    expectValue("'a' < 'b'", true);
    expectValue("'\\uffff' < '😀'", true);
  });
  test("literals", () => {
    expectValue("'\\x41\\101\\u0041'", "AAA");
    expectValue("r'\\n'", "\\n");
    expectValue("'''a\nb'''", "a\nb");
    expectValue("b'\\xff'", new Uint8Array([255]));
  });
});

describe("regular expressions (RE2)", () => {
  test("matches finds a match anywhere", () => {
    expectValue("'hello'.matches('l+')", true);
    expectValue("matches('hello', '^h.*o$')", true);
    expectValue("'x'.matches('(?i)X')", true);
    expectValue("'abc'.matches('^b')", false);
  });
  test("RE2 syntax, not JavaScript's", () => {
    // Backreferences and lookahead are not RE2.
    expectError(
      "'aa'.matches(dyn('(a)\\\\1'))",
      "error parsing regexp: invalid escape sequence: `\\1`",
    );
    expectError(
      "'aa'.matches(dyn('a(?=a)'))",
      "error parsing regexp: invalid or unsupported Perl syntax: `(?=`",
    );
    expectValue("'\\u00e9'.matches('^\\\\p{L}$')", true);
  });
});

describe("timestamps and durations", () => {
  const ts = "timestamp('2020-03-15T10:20:30.123Z')";
  test("getters in UTC", () => {
    expectValue(`${ts}.getFullYear()`, 2020n);
    expectValue(`${ts}.getMonth()`, 2n);
    expectValue(`${ts}.getDate()`, 15n);
    expectValue(`${ts}.getDayOfMonth()`, 14n);
    expectValue(`${ts}.getDayOfWeek()`, 0n);
    expectValue(`${ts}.getDayOfYear()`, 74n);
    expectValue(`${ts}.getHours()`, 10n);
    expectValue(`${ts}.getMinutes()`, 20n);
    expectValue(`${ts}.getSeconds()`, 30n);
    expectValue(`${ts}.getMilliseconds()`, 123n);
  });
  test("getters in time zones", () => {
    const t = "timestamp('2020-03-15T02:20:30Z')";
    expectValue(`${t}.getHours('America/New_York')`, 22n);
    expectValue(`${t}.getDate('America/Los_Angeles')`, 14n);
    expectValue(`${t}.getDayOfWeek('Asia/Kolkata')`, 0n);
    expectValue(`${t}.getHours('-08:00')`, 18n);
    expectValue(`${t}.getHours('05:30')`, 7n);
    expectValue("timestamp('2020-12-31T23:20:30Z').getFullYear('+05:30')", 2021n);
    expectValue("timestamp('2020-12-31T23:20:30Z').getDayOfYear('+05:30')", 0n);
    expectError(`${t}.getHours('Nowhere/Zone')`, "unknown time zone Nowhere/Zone");
  });
  test("arithmetic", () => {
    expectValue(
      "timestamp('2020-01-01T00:00:00Z') + duration('1h')",
      new CelTimestamp(1577840400, 0),
    );
    expectValue(
      "timestamp('2020-01-02T00:00:00Z') - timestamp('2020-01-01T00:00:00Z')",
      new CelDuration(86400, 0),
    );
    expectValue("duration('1h') - duration('90m')", new CelDuration(-1800, 0));
    expectError("timestamp('9999-12-31T23:59:59Z') + duration('1s')", "timestamp overflow");
    expectError(
      "timestamp('2020-01-01T00:00:00Z') - timestamp('0001-01-01T00:00:00Z')",
      "integer overflow",
    );
    expectValue(
      "timestamp('2020-01-01T00:00:00Z') == timestamp('2020-01-01T01:00:00+01:00')",
      true,
    );
  });
  test("durations", () => {
    expectValue("duration('1h30m15.5s')", new CelDuration(5415, 500_000_000));
    expectValue("duration('-1.5s')", new CelDuration(-1, -500_000_000));
    expectValue("duration('90m').getHours()", 1n);
    expectValue("duration('1.5s').getMilliseconds()", 1500n);
    expectValue("duration('1us') + duration('1ns')", new CelDuration(0, 1001));
  });
});

describe("messages", () => {
  const env = createEnvironment({
    variables: { p: T.message("test.Principal") },
    messages: [
      {
        name: "test.Principal",
        fields: { id: T.string, roles: T.list(T.string), attr: T.map(T.string, T.dyn), n: T.int },
      },
    ],
  });
  const evalWith = (src: string, p: CelValue): CelResult => {
    const { expression, issues } = compileExpression(env, src);
    if (expression === undefined) throw new Error(issues.map((i) => i.message).join("; "));
    return expression.evaluate({ p });
  };
  test("missing fields read as defaults", () => {
    assert.equal(evalWith("p.id", {}), "");
    assert.equal(evalWith("p.n", {}), 0n);
    assert.deepEqual(evalWith("p.roles", {}), []);
    assert.equal(evalWith("p.roles.size()", { roles: ["a"] }), 1n);
  });
  test("has() tests for a non-default value", () => {
    assert.equal(evalWith("has(p.id)", { id: "x" }), true);
    assert.equal(evalWith("has(p.id)", { id: "" }), false);
    assert.equal(evalWith("has(p.attr)", {}), false);
  });
  test("optional selection of a field tests presence", () => {
    assert.deepEqual(evalWith("p.?id", { id: "x" }), new CelOptional("x"));
    assert.equal(evalWith("p.?id", { id: "" }), CelOptional.none);
    assert.equal(evalWith("p.?roles.orValue(['none'])[0]", {}), "none");
  });
  test("undefined fields are compile errors", () => {
    assert.deepEqual(compileExpression(env, "p.nope").issues, [
      { message: "undefined field 'nope'", line: 1, column: 2 },
    ]);
  });
});

describe("no such overload wording follows cel-go's dispatch", () => {
  test("operators name themselves when the left operand lacks the operator's trait", () => {
    expectError("dyn({}) + dyn({})", "no such overload: _+_");
    expectError("dyn(null) - dyn(1)", "no such overload: _-_");
    expectError("dyn(1.5) % dyn(2.0)", "no such overload: _%_");
    expectError("dyn(null) < dyn(1)", "no such overload: _<_");
    expectError("dyn([1]) > dyn(1)", "no such overload: _>_");
    expectError("size(dyn(1))", "no such overload: size");
  });
  test("otherwise the error is plain", () => {
    expectError("dyn('a') + 1", "no such overload");
    expectError("dyn('a') * dyn(2)", "no such overload");
    expectError("dyn(true) < dyn(1)", "no such overload");
    expectError("-dyn('a')", "no such overload");
    expectError("dyn(1).contains('a')", "no such overload");
    expectError("dyn('a') in dyn(1)", "no such overload");
  });
  test("conversions and timestamp accessors name the argument types", () => {
    expectError("string(dyn(null))", "no such overload: string(null_type)");
    expectError("int(dyn([]))", "no such overload: int(list)");
    expectError("timestamp(dyn(1.5))", "no such overload: timestamp(double)");
    expectError("dyn(1).getHours()", "no such overload: getHours(int)");
  });
});

describe("Go parsing rules", () => {
  test("time zone names are case-sensitive; empty and Local mean UTC", () => {
    const t = "timestamp('2024-06-01T00:00:00Z')";
    expectError(`${t}.getHours('utc')`, "unknown time zone utc");
    expectValue(`${t}.getHours('')`, 0n);
    expectValue(`${t}.getHours('Local')`, 0n);
  });
  test("number parsing", () => {
    expectValue("double('1_0')", 10);
    expectError("double('1e400')", "type conversion error from 'string' to 'double'");
    expectError("int('9223372036854775808')", "type conversion error from 'string' to 'int'");
    expectValue("int('-9223372036854775808')", -(1n << 63n));
  });
  test("timestamps with more than nine fractional digits are truncated", () => {
    expectValue(
      "timestamp('2024-06-01T00:00:00.123456789123Z')",
      new CelTimestamp(1717200000, 123456789),
    );
  });
});

describe("constant folding", () => {
  test("closed subtrees are evaluated once; errors stay errors", () => {
    expectValue("[1, 2, 3].map(x, x * 2)[1] + 0", 4n);
    expectError("1 / 0 + x", "division by zero", { x: 1n });
    // Accumulators of macros are never shared between evaluations.
    const { expression } = compileExpression(
      createEnvironment({ variables: { l: T.dyn } }),
      "l.map(x, x)",
    );
    assert.deepEqual(expression!.evaluate({ l: [1n] }), [1n]);
    assert.deepEqual(expression!.evaluate({ l: [2n] }), [2n]);
  });
});

describe("string concatenation chains", () => {
  const s = T.string;
  test("join their parts in order, literals and variables alike", () => {
    assert.equal(run('"a" + x + "b" + "c" + y', { x: "X", y: "Y" }, { x: s, y: s }), "aXbcY");
    assert.equal(run('x + (y + "-") + x', { x: "1", y: "2" }, { x: s, y: s }), "12-1");
    assert.equal(run('"" + x + ""', { x: "" }, { x: s }), "");
  });

  test("answer a value of the wrong type at run time as the nested calls do", () => {
    // Declared strings bound to something else: the first misfit decides, left to right.
    const r = run('"a" + x + y', { x: 1n, y: "b" }, { x: s, y: s });
    assert.ok(r instanceof CelError);
    assert.equal(r.message, "no such overload");
    const missing = run('"a" + x + m.k', { x: "X", m: {} }, { x: s, m: T.map(T.string, T.string) });
    assert.ok(missing instanceof CelError);
    assert.equal(missing.message, "no such key: k");
  });
});
