import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cerbosEnvironment } from "./cerbos/environment.ts";
import { formatResidual } from "./residual-format.ts";
import {
  evaluatePartially,
  expandShorthands,
  isUnknown,
  plannerExpression,
  UNKNOWN,
  valueExpr,
  type PartialVariables,
} from "./residual.ts";
import { CelDuration, CelError, CelTimestamp, type CelValue } from "./value.ts";

const env = cerbosEnvironment().env;

const vars: PartialVariables = {
  known: new Map<string, CelValue>([
    ["P", { id: "u1", attr: { tag: "t", list: ["a", "b"], m: { k: 1, j: [1, 2] } } }],
    ["R.attr.x", { z: 1 }],
    ["R.attr.n", 1],
    ["R.attr.b", true],
    ["R.kind", "doc"],
  ]),
  unknowns: [
    { variable: "R", fields: [] },
    { variable: "request", fields: ["resource"] },
  ],
  ctx: { now: () => new CelTimestamp(1700000000, 0) },
};

function partial(source: string): { value: unknown; residual: string } {
  const e = plannerExpression(source);
  assert.ok(e, `parses: ${source}`);
  const { value, residual } = evaluatePartially(env, e, vars);
  return { value, residual: formatResidual(residual) };
}

function residualOf(source: string): string {
  const r = partial(source);
  assert.ok(isUnknown(r.value), `${source} is unknown, got ${String(r.value)}`);
  return r.residual;
}

describe("plannerExpression", () => {
  it("balances chains of && and || as cel-go's parser does", () => {
    const show = (s: string): string => formatResidual(plannerExpression(s)!);
    assert.equal(show("a && b && c"), "((a && b) && c)");
    assert.equal(show("a && b && c && d"), "((a && b) && (c && d))");
    assert.equal(show("a || b || c || d || e"), "(((a || b) || c) || (d || e))");
    assert.equal(show("a && (b && c)"), "(a && (b && c))");
  });

  it("is undefined for text that does not parse", () => {
    assert.equal(plannerExpression("a &&"), undefined);
  });

  it("writes the R and P shorthands out, except where a comprehension binds them", () => {
    const e = expandShorthands(plannerExpression("R.attr.a == P.id && [1].exists(R, R == 1)")!);
    assert.equal(
      formatResidual(e),
      "((request.resource.attr.a == request.principal.id) && compr(R, [1], false, @not_strictly_false(!@result), (@result || (R == 1)), @result))",
    );
  });
});

describe("valueExpr", () => {
  it("writes values as cel-go's pruner writes them", () => {
    assert.equal(formatResidual(valueExpr([1, "a", true, null])!), '[1, "a", true, null]');
    assert.equal(formatResidual(valueExpr(new CelDuration(3600, 0))!), 'duration("3600s")');
    assert.equal(
      formatResidual(valueExpr(new CelTimestamp(1577836800, 0))!),
      'timestamp("2020-01-01T00:00:00Z")',
    );
    assert.equal(formatResidual(valueExpr({ k: [1] })!), '{"k": [1]}');
  });
});

describe("evaluatePartially", () => {
  it("computes what is known", () => {
    assert.deepEqual(partial('P.attr.tag == "t"').value, true);
    assert.deepEqual(partial("R.attr.x.z == 1").value, true);
    assert.deepEqual(partial('R.kind == "doc"').value, true);
  });

  it("keeps unknown attributes and replaces known subtrees with literals", () => {
    assert.equal(residualOf('R.attr.status == "x"'), '(R.attr.status == "x")');
    assert.equal(residualOf("R.id == P.id"), '(R.id == "u1")');
    assert.equal(
      residualOf("R.attr.y in P.attr.list"),
      '(R.attr.y @in ["a", "b"])'.replace(" @in", " in"),
    );
    assert.equal(
      residualOf("request.resource.attr.y == P.attr.m"),
      '(request.resource.attr.y == {"k": 1, "j": [1, 2]})',
    );
    assert.equal(residualOf('R.attr.y == duration("1h")'), '(R.attr.y == duration("3600s"))');
    assert.equal(
      residualOf("R.attr.y == now()"),
      '(R.attr.y == timestamp("2023-11-14T22:13:20Z"))',
    );
  });

  it("drops known operands of && and || and folds absorbing ones", () => {
    assert.equal(residualOf('R.attr.y && P.attr.tag == "t"'), "R.attr.y");
    assert.equal(partial("R.attr.y == 1 || true").residual, "true");
    assert.equal(partial("R.attr.y == 1 && false").residual, "false");
    assert.equal(residualOf('R.kind == "doc" && R.attr.y'), "R.attr.y");
  });

  it("lets an unknown win over an error in && and ||, keeping the failing operand", () => {
    assert.equal(
      residualOf("P.attr.missing == 1 && R.attr.y"),
      `(({"tag": "t", "list": ["a", "b"], "m": {"k": 1, "j": [1, 2]}}.missing == 1) && R.attr.y)`,
    );
  });

  it("lets an error win over an unknown in calls and lists", () => {
    assert.ok(partial("R.attr.y == P.attr.nope").value instanceof CelError);
    assert.ok(partial("[R.attr.y, P.attr.nope] == R.attr.z").value instanceof CelError);
    assert.ok(partial('"abc".replace(R.attr.y, P.attr.nope) == "x"').value instanceof CelError);
  });

  it("evaluates every argument, even after an unknown one", () => {
    assert.equal(
      residualOf('"abc".replace(R.attr.y, P.attr.tag) == "x"'),
      '("abc".replace(R.attr.y, "t") == "x")',
    );
    assert.equal(
      residualOf('[R.attr.y, P.attr.tag] == ["a", "t"]'),
      '([R.attr.y, "t"] == ["a", "t"])',
    );
  });

  it("does not evaluate the branches of a conditional on an unknown", () => {
    assert.equal(
      residualOf('(R.attr.y == 1 ? P.attr.tag : "z") == "t"'),
      '(((R.attr.y == 1) ? P.attr.tag : "z") == "t")',
    );
    assert.equal(residualOf('R.attr.y == (P.attr.tag == "t" ? 1 : 2)'), "(R.attr.y == 1)");
  });

  it("prunes `in` over an empty list and `!` of a known value", () => {
    assert.equal(partial("R.attr.y in []").residual, "false");
    assert.equal(residualOf("!(R.attr.y == 1)"), "!(R.attr.y == 1)");
  });

  it("resolves known attributes by their qualified names, even under has()", () => {
    // cel-go resolves `R.attr.n` as a variable, so has() yields its value, not a boolean
    assert.equal(partial("has(R.attr.n)").value, 1);
    assert.equal(residualOf("has(R.attr.n) && R.attr.y"), "R.attr.y");
    assert.equal(partial("has(R.attr.b)").value, true);
    assert.equal(residualOf("has(R.attr.y)"), "has(R.attr.y)");
    assert.equal(partial('R.attr["x"] == 1').value, false);
  });

  it("reads intermediate values of a chain indexed by an unknown", () => {
    assert.equal(residualOf('P.attr.list[R.attr.i] == "a"'), '(["a", "b"][R.attr.i] == "a")');
  });

  it("keeps a comprehension over an unknown range whole", () => {
    assert.equal(
      residualOf("R.attr.tags.exists(t, t == P.attr.tag)"),
      "compr(t, R.attr.tags, false, @not_strictly_false(!@result), (@result || (t == P.attr.tag)), @result)",
    );
  });

  it("prunes only the range of a comprehension over a known range", () => {
    assert.equal(
      residualOf("P.attr.list.exists(x, x == R.attr.y) && R.attr.z"),
      '(compr(x, ["a", "b"], false, @not_strictly_false(!@result), (@result || (x == R.attr.y)), @result) && R.attr.z)',
    );
  });

  it("decides comprehensions whose outcome does not depend on the unknowns", () => {
    assert.equal(partial("[1, 2].exists(x, x == 2 || x == R.attr.y)").value, true);
    assert.equal(partial("P.attr.list.all(x, x.size() == 1)").value, true);
  });

  it("reports missing attributes and unknown identifiers as errors", () => {
    const v = partial("nothing == 1").value;
    assert.ok(v instanceof CelError);
    assert.equal(v.message, "no such attribute(s): nothing");
  });

  it("treats a variable unknown by pattern", () => {
    const withX: PartialVariables = {
      ...vars,
      unknowns: [...vars.unknowns, { variable: "x", fields: [] }],
    };
    const e = plannerExpression("x == P.attr.tag")!;
    const r = evaluatePartially(env, e, withX);
    assert.equal(r.value, UNKNOWN);
    assert.equal(formatResidual(r.residual), '(x == "t")');
  });
});
