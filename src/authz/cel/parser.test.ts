import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Expr } from "./ast.ts";
import { parseCel } from "./parser.ts";

function parse(src: string): Expr {
  const r = parseCel(src);
  if (r.expr === undefined) throw new Error(r.issues.map((i) => i.message).join("; "));
  return r.expr;
}

/** A compact rendering of the tree for assertions. */
function show(e: Expr): string {
  switch (e.kind) {
    case "literal":
      return typeof e.value === "bigint" ? `${e.value}` : JSON.stringify(e.value);
    case "ident":
      return e.name;
    case "select":
      return `${e.testOnly ? "has:" : ""}${show(e.operand)}${e.optional ? ".?" : "."}${e.field}`;
    case "call":
      return `${e.target === undefined ? "" : `${show(e.target)}.`}${e.fn}(${e.args.map(show).join(", ")})`;
    case "list":
      return `[${e.elements.map((x, i) => (e.optionalIndices.includes(i) ? "?" : "") + show(x)).join(", ")}]`;
    case "map":
      return `{${e.entries.map((x) => `${x.optional ? "?" : ""}${show(x.key)}: ${show(x.value)}`).join(", ")}}`;
    case "struct":
      return `${e.typeName}{${e.fields.map((f) => `${f.optional ? "?" : ""}${f.name}: ${show(f.value)}`).join(", ")}}`;
    case "comprehension":
      return `comp(${e.iterVar}${e.iterVar2 === undefined ? "" : `, ${e.iterVar2}`} in ${show(e.iterRange)}; ${e.accuVar} = ${show(e.accuInit)}; while ${show(e.loopCondition)}; ${show(e.loopStep)}; ${show(e.result)})`;
  }
}

function issue(src: string): { message: string; offset: number } {
  const r = parseCel(src);
  assert.equal(r.expr, undefined, `${src} should not parse`);
  return r.issues[0]!;
}

describe("parser", () => {
  test("precedence and associativity", () => {
    assert.equal(
      show(parse("a || b && c == d + e * f")),
      "_||_(a, _&&_(b, _==_(c, _+_(d, _*_(e, f)))))",
    );
    assert.equal(show(parse("a - b - c")), "_-_(_-_(a, b), c)");
    assert.equal(show(parse("a ? b : c ? d : e")), "_?_:_(a, b, _?_:_(c, d, e))");
    assert.equal(show(parse("x in y && !z")), "_&&_(@in(x, y), !_(z))");
  });
  test("unary operators and negative literals", () => {
    assert.equal(show(parse("-1")), "-1");
    assert.equal(show(parse("-9223372036854775808")), "-9223372036854775808");
    assert.equal(show(parse("--a")), "a");
    assert.equal(show(parse("-a")), "-_(a)");
    assert.equal(show(parse("!!a")), "a");
    assert.equal(show(parse("4--4")), "_-_(4, -4)");
  });
  test("literals", () => {
    assert.equal(show(parse("0x1F")), "31");
    assert.equal(show(parse("1.5e3")), "1500");
    assert.equal(show(parse("'a\\n' + \"b\"")), '_+_("a\\n", "b")');
    assert.equal(show(parse("null")), "null");
  });
  test("optional syntax", () => {
    assert.equal(show(parse("a.?b")), "a.?b");
    assert.equal(show(parse("a[?b]")), "_[?_](a, b)");
    assert.equal(show(parse("[?a, b]")), "[?a, b]");
    assert.equal(show(parse("{?'k': v}")), '{?"k": v}');
    assert.equal(show(parse("T{?f: v}")), "T{?f: v}");
    assert.equal(show(parse("a ? b : c")), "_?_:_(a, b, c)");
    assert.equal(show(parse("a.?b ? [?c] : {?d: e}")), "_?_:_(a.?b, [?c], {?d: e})");
  });
  test("quoted field names", () => {
    assert.equal(show(parse("a.`content-type`")), "a.content-type");
    assert.equal(show(parse("has(a.`b.c`)")), "has:a.b.c");
  });
  test("member calls and qualified names", () => {
    assert.equal(show(parse("a.b.c(1)")), "a.b.c(1)");
    assert.equal(show(parse("math.greatest(1, 2)")), "math.greatest(1, 2)");
    assert.equal(show(parse(".x")), ".x");
  });
  test("comments and whitespace", () => {
    assert.equal(show(parse("a // comment\n + b")), "_+_(a, b)");
  });
  test("macros expand to comprehensions", () => {
    assert.equal(show(parse("has(a.b)")), "has:a.b");
    assert.equal(
      show(parse("l.all(x, x > 0)")),
      "comp(x in l; @result = true; while @not_strictly_false(@result); _&&_(@result, _>_(x, 0)); @result)",
    );
    assert.equal(
      show(parse("l.map(x, x * 2)")),
      "comp(x in l; @result = []; while true; @listAppend(@result, _*_(x, 2)); @result)",
    );
    assert.equal(
      show(parse("cel.bind(v, 1, v + 1)")),
      "comp(#unused in []; v = 1; while false; v; _+_(v, 1))",
    );
    assert.equal(
      show(parse("m.transformMap(k, v, v)")),
      "comp(k, v in m; @result = {}; while true; @mapInsert(@result, k, v); @result)",
    );
    assert.equal(show(parse("l.exists(i, v, v == i)")).startsWith("comp(i, v in l;"), true);
    assert.equal(
      show(parse("o.optMap(v, v + 1)")),
      "_?_:_(o.hasValue(), optional.of(comp(#unused in []; v = o.value(); while false; v; _+_(v, 1))), optional.none())",
    );
    // Not macros: wrong arity stays a call.
    assert.equal(show(parse("l.all(x)")), "l.all(x)");
  });
  test("macro errors", () => {
    assert.deepEqual(issue("[].all(i.j, k, true)"), {
      message: "argument must be a simple name",
      offset: 8,
    });
    assert.deepEqual(issue("[].all(i, i, true)"), {
      message: "duplicate variable name: i",
      offset: 10,
    });
    assert.deepEqual(issue("cel.bind(1, 2, 3)"), {
      message: "cel.bind() variable names must be simple identifiers",
      offset: 9,
    });
    assert.equal(issue("has(a)").message, "invalid argument to has() macro");
  });
  test("syntax errors carry the offset of the offending token", () => {
    assert.equal(issue("1 +").offset, 3);
    assert.match(issue("1 +").message, /^Syntax error: mismatched input '<EOF>'/);
    assert.equal(issue("a.true").offset, 2);
    assert.equal(issue("'abc").message, "unterminated string literal");
    assert.equal(issue("if").message, "Syntax error: reserved identifier: if");
    assert.equal(issue("9223372036854775808").message, "invalid int literal");
    assert.equal(issue("b'\\u00e9'").message, "unable to unescape string");
    assert.equal(issue("a #").message, "Syntax error: token recognition error at: '#'");
  });
  test("ANTLR's wording for common mistakes, as Cerbos prints it", () => {
    assert.deepEqual(issue("P.id P.id"), {
      message: "Syntax error: mismatched input 'P' expecting <EOF>",
      offset: 5,
    });
    assert.deepEqual(issue("1 2"), {
      message: "Syntax error: extraneous input '2' expecting <EOF>",
      offset: 2,
    });
    assert.deepEqual(issue("P."), {
      message: "Syntax error: no viable alternative at input '.'",
      offset: 2,
    });
    assert.deepEqual(issue("a..b"), {
      message: "Syntax error: no viable alternative at input '..'",
      offset: 2,
    });
    assert.deepEqual(issue("a === 1"), {
      message: "Syntax error: token recognition error at: '= '",
      offset: 4,
    });
    assert.deepEqual(issue("a &&& b"), {
      message: "Syntax error: token recognition error at: '& '",
      offset: 4,
    });
    assert.deepEqual(issue('{"a" 1}'), { message: "Syntax error: missing ':' at '1'", offset: 5 });
    assert.deepEqual(issue("a ? b"), {
      message: "Syntax error: mismatched input '<EOF>' expecting ':'",
      offset: 5,
    });
    assert.match(issue("1 +* 2").message, /^Syntax error: extraneous input '\*' expecting \{'\['/);
    assert.equal(issue("1.2.3").message, "Syntax error: extraneous input '.3' expecting <EOF>");
  });
});
