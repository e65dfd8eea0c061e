import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Expr } from "../cel/ast.ts";
import {
  CelDuration,
  CelOptional,
  CelTimestamp,
  CelTypeValue,
  CelUint,
  type CelValue,
} from "../cel/index.ts";
import { parseCel } from "../cel/parser.ts";
import type { JsonValue } from "../policy/model.ts";
import {
  FilterBuildError,
  expandAbbreviation,
  filterToString,
  mergeWithAnd,
  normaliseFilter,
  toFilter,
  tryToFilter,
} from "./filter.ts";
import { FALSE_NODE, TRUE_NODE, type PlanNode } from "./plan-node.ts";
import type { PlanFilter, PlanOperand } from "./types.ts";

function parse(src: string): Expr {
  const r = parseCel(src);
  assert.ok(r.expr, `parse ${src}: ${JSON.stringify(r.issues)}`);
  return r.expr;
}

/** The expression with every identifier `KNOWN` replaced by a literal holding `value`. */
function withKnown(e: Expr, value: CelValue): Expr {
  const r = (x: Expr): Expr => withKnown(x, value);
  switch (e.kind) {
    case "ident":
      return e.name === "KNOWN" ? { kind: "literal", id: e.id, offset: e.offset, value } : e;
    case "literal":
      return e;
    case "select":
      return { ...e, operand: r(e.operand) };
    case "call":
      return { ...e, target: e.target && r(e.target), args: e.args.map(r) };
    case "list":
      return { ...e, elements: e.elements.map(r) };
    case "map":
      return { ...e, entries: e.entries.map((x) => ({ ...x, key: r(x.key), value: r(x.value) })) };
    case "struct":
      return { ...e, fields: e.fields.map((f) => ({ ...f, value: r(f.value) })) };
    case "comprehension":
      return {
        ...e,
        iterRange: r(e.iterRange),
        accuInit: r(e.accuInit),
        loopCondition: r(e.loopCondition),
        loopStep: r(e.loopStep),
        result: r(e.result),
      };
  }
}

const node = (src: string, known?: CelValue): PlanNode => ({
  kind: "expr",
  expr: known === undefined ? parse(src) : withKnown(parse(src), known),
});

/** The filterDebug of a residual expression. */
const debug = (src: string, known?: CelValue): string => filterToString(toFilter(node(src, known)));

const conditional = (condition: PlanOperand): PlanFilter => ({
  kind: "KIND_CONDITIONAL",
  condition,
});

describe("toFilter: constants", () => {
  it("turns true and false into the unconditional kinds", () => {
    assert.deepEqual(toFilter(TRUE_NODE), { kind: "KIND_ALWAYS_ALLOWED" });
    assert.deepEqual(toFilter(FALSE_NODE), { kind: "KIND_ALWAYS_DENIED" });
    assert.equal(filterToString(toFilter(TRUE_NODE)), "(true)");
    assert.equal(filterToString(toFilter(FALSE_NODE)), "(false)");
  });

  it("folds constant operands of the logical nodes", () => {
    const a = node("R.attr.a == 1");
    assert.deepEqual(toFilter({ kind: "and", nodes: [TRUE_NODE, FALSE_NODE, a] }), {
      kind: "KIND_ALWAYS_DENIED",
    });
    assert.deepEqual(toFilter({ kind: "or", nodes: [FALSE_NODE, TRUE_NODE, a] }), {
      kind: "KIND_ALWAYS_ALLOWED",
    });
    assert.equal(
      filterToString(toFilter({ kind: "and", nodes: [TRUE_NODE, a] })),
      "(eq request.resource.attr.a 1)",
    );
    assert.equal(
      filterToString(toFilter({ kind: "or", nodes: [FALSE_NODE, a] })),
      "(eq request.resource.attr.a 1)",
    );
    assert.deepEqual(toFilter({ kind: "not", nodes: [FALSE_NODE] }), {
      kind: "KIND_ALWAYS_ALLOWED",
    });
    assert.deepEqual(toFilter({ kind: "not", nodes: [TRUE_NODE] }), {
      kind: "KIND_ALWAYS_DENIED",
    });
  });

  it("treats empty logical nodes as Cerbos does", () => {
    assert.equal(toFilter({ kind: "and", nodes: [] }).kind, "KIND_ALWAYS_ALLOWED");
    assert.equal(toFilter({ kind: "or", nodes: [] }).kind, "KIND_ALWAYS_DENIED");
    assert.equal(toFilter({ kind: "not", nodes: [] }).kind, "KIND_ALWAYS_ALLOWED");
  });

  it("folds the constants CEL operators leave in a residual", () => {
    assert.equal(debug("R.attr.a in [] || R.attr.b"), "request.resource.attr.b");
    assert.equal(debug("!(R.attr.a in [])"), "(true)");
    assert.equal(debug("has(R.attr.z) && R.attr.a == 1"), "(eq request.resource.attr.a 1)");
    assert.equal(debug("has(R.attr.z)"), "(true)");
  });
});

describe("toFilter: operators and variables", () => {
  it("names CEL operators as Cerbos does", () => {
    const cases: [string, string][] = [
      ["R.attr.a == 1", "(eq request.resource.attr.a 1)"],
      ["R.attr.a != 1", "(ne request.resource.attr.a 1)"],
      ["R.attr.a > 1", "(gt request.resource.attr.a 1)"],
      ["R.attr.a >= 1", "(ge request.resource.attr.a 1)"],
      ["R.attr.a < 1", "(lt request.resource.attr.a 1)"],
      ["R.attr.a <= 1", "(le request.resource.attr.a 1)"],
      ["R.attr.a in R.attr.b", "(in request.resource.attr.a request.resource.attr.b)"],
      [
        "(R.attr.x + 1) * 2 - R.attr.y / 4 % 5 >= 0",
        "(ge (sub (mult (add request.resource.attr.x 1) 2) (mod (div request.resource.attr.y 4) 5)) 0)",
      ],
      ["R.attr.a[0] == 1", "(eq (index request.resource.attr.a 0) 1)"],
      ["(R.attr.a ? 1 : 2) == 1", "(eq (if request.resource.attr.a 1 2) 1)"],
      [
        "!(R.attr.a && R.attr.b) || R.attr.c",
        "(or (not (and request.resource.attr.a request.resource.attr.b)) request.resource.attr.c)",
      ],
      ["-R.attr.x == 1", "(eq (-_ request.resource.attr.x) 1)"],
    ];
    for (const [src, want] of cases) assert.equal(debug(src), want, src);
  });

  it("keeps function names, the target first", () => {
    assert.equal(debug('R.attr.s.startsWith("ab")'), '(startsWith request.resource.attr.s "ab")');
    assert.equal(
      debug('hasIntersection(R.attr.t, ["a", "b"])'),
      '(hasIntersection request.resource.attr.t ["a","b"])',
    );
    assert.equal(
      debug('R.attr.s.split(",").size() == 2'),
      '(eq (size (split request.resource.attr.s ",")) 2)',
    );
    assert.equal(debug("int(R.attr.x) == 1"), "(eq (int request.resource.attr.x) 1)");
  });

  it("names namespaced functions in full, and math macros by their internal functions", () => {
    assert.equal(
      debug('strings.quote(R.attr.s) == "a"'),
      '(eq (strings.quote request.resource.attr.s) "a")',
    );
    assert.equal(
      debug("math.greatest(R.attr.a, 1) == 1"),
      "(eq (math.@max request.resource.attr.a 1) 1)",
    );
    assert.equal(
      debug("math.least([R.attr.a, 1]) == 1"),
      "(eq (math.@min (list request.resource.attr.a 1)) 1)",
    );
  });

  it("leaves member calls on variables that only look like namespaces", () => {
    assert.equal(
      debug("R.attr.l.exists(math, math.size() > 1)"),
      "(exists request.resource.attr.l (lambda (gt (size math) 1) math))",
    );
  });

  it("spells select chains on identifiers as dotted variables, abbreviations expanded", () => {
    const f = toFilter(
      node("R.attr.a.b.c == P.attr.d && V.x == C.y && G.z && R.id == request.principal.id"),
    );
    assert.equal(
      filterToString(f),
      "(and (and (and (eq request.resource.attr.a.b.c request.principal.attr.d) (eq variables.x constants.y)) globals.z) (eq request.resource.id request.principal.id))",
    );
    assert.equal(debug("R == 1"), "(eq request.resource 1)");
  });

  it("reads fields of other expressions with get-field", () => {
    assert.equal(
      debug('R.attr.list[0].name.first == "a"'),
      '(eq (get-field (get-field (index request.resource.attr.list 0) name) first) "a")',
    );
    assert.deepEqual(
      toFilter(node('R.attr.e["f"].g == 1')),
      conditional({
        expression: {
          operator: "eq",
          operands: [
            {
              expression: {
                operator: "get-field",
                operands: [
                  {
                    expression: {
                      operator: "index",
                      operands: [{ variable: "request.resource.attr.e" }, { value: "f" }],
                    },
                  },
                  { variable: "g" },
                ],
              },
            },
            { value: 1 },
          ],
        },
      }),
    );
  });

  it("expands abbreviations in the first segment only", () => {
    assert.equal(expandAbbreviation("R.attr.x"), "request.resource.attr.x");
    assert.equal(expandAbbreviation("P"), "request.principal");
    assert.equal(expandAbbreviation("Rx.attr"), "Rx.attr");
    assert.equal(expandAbbreviation("x.R.attr"), "x.R.attr");
  });
});

describe("toFilter: values", () => {
  it("writes constants as google.protobuf.Value holds them", () => {
    const f = toFilter(
      node(
        '[R.attr.a, R.attr.b, R.attr.c, R.attr.d, R.attr.e, R.attr.f] == [1, 2u, 1.5, "s", null, b"abc"]',
      ),
    );
    assert.deepEqual(
      f,
      conditional({
        expression: {
          operator: "eq",
          operands: [
            {
              expression: {
                operator: "list",
                operands: ["a", "b", "c", "d", "e", "f"].map((x) => ({
                  variable: `request.resource.attr.${x}`,
                })),
              },
            },
            { value: [1, 2, 1.5, "s", null, "YWJj"] },
          ],
        },
      }),
    );
    assert.equal(
      debug("R.attr.x == 18446744073709551615u"),
      "(eq request.resource.attr.x 18446744073709552000)",
    );
    assert.equal(
      debug("R.attr.x == 9007199254740993"),
      "(eq request.resource.attr.x 9007199254740992)",
    );
    assert.equal(debug('R.attr.x == b"abc"'), '(eq request.resource.attr.x "YWJj")');
    assert.deepEqual(
      toFilter(node("R.attr.x == 2u")),
      conditional(eq("request.resource.attr.x", 2)),
    );
  });

  it("writes a list of constants as one value, other lists with the list operator", () => {
    assert.deepEqual(
      toFilter(node('R.attr.x in [1, "a", true, null, 1.5]')),
      conditional({
        expression: {
          operator: "in",
          operands: [{ variable: "request.resource.attr.x" }, { value: [1, "a", true, null, 1.5] }],
        },
      }),
    );
    assert.equal(
      debug('[R.attr.a, [R.attr.b], [1, 2], {"x": [1, R.attr.c]}] == []'),
      '(eq (list request.resource.attr.a (list request.resource.attr.b) [1,2] (struct (set-field "x" (list 1 request.resource.attr.c)))) [])',
    );
  });

  it("writes maps with the struct operator, keys as written", () => {
    assert.equal(
      debug('R.attr.m == {"b": R.attr.q, "a": 1}'),
      '(eq request.resource.attr.m (struct (set-field "b" request.resource.attr.q) (set-field "a" 1)))',
    );
    assert.equal(
      debug('R.attr.x == {1: "a", 2u: "b", true: "c"}'),
      '(eq request.resource.attr.x (struct (set-field 1 "a") (set-field 2 "b") (set-field true "c")))',
    );
    assert.deepEqual(
      toFilter(node("R.attr.x == {}")),
      conditional({
        expression: {
          operator: "eq",
          operands: [
            { variable: "request.resource.attr.x" },
            { expression: { operator: "struct", operands: [] } },
          ],
        },
      }),
    );
    assert.equal(debug("R.attr.x == {}"), "(eq request.resource.attr.x (struct ))");
  });

  it("tests membership in a map by its keys, in Cerbos's order", () => {
    assert.equal(
      debug('R.attr.x in {"zz": 1, "b": R.attr.q, "a b": 2, "a": 3, "10": 4, "9": 5}'),
      '(in request.resource.attr.x ["10","9","a b","a","b","zz"])',
    );
    assert.equal(
      debug('R.attr.x in {10: 1, 9: R.attr.q, true: 3, "s": 4, 1u: 5, -3: 6}'),
      '(in request.resource.attr.x [true,-3,10,9,"s",1])',
    );
    assert.equal(
      debug('R.attr.x in {R.attr.k: 1, "a": 2}'),
      '(in request.resource.attr.x (list "a" request.resource.attr.k))',
    );
    // one key: an equality; no keys: false
    assert.equal(debug('R.attr.x in {"k": R.attr.v}'), '(eq request.resource.attr.x "k")');
    assert.equal(debug("R.attr.x in {}"), "(false)");
  });

  it("writes known values the residual evaluator left in literals", () => {
    assert.equal(
      debug("R.attr.x == KNOWN", [1n, "a", true, null, 1.5]),
      '(eq request.resource.attr.x [1,"a",true,null,1.5])',
    );
    assert.equal(
      debug("R.attr.x == KNOWN", [[1n, 2n], { a: 1 }]),
      '(eq request.resource.attr.x (list [1,2] (struct (set-field "a" 1))))',
    );
    // known maps: entries in key order (Cerbos's is Go's random map order)
    assert.equal(
      debug("R.attr.x == KNOWN", { b: 1, a: { x: [1, 2] } }),
      '(eq request.resource.attr.x (struct (set-field "a" (struct (set-field "x" [1,2]))) (set-field "b" 1)))',
    );
    assert.equal(
      debug("R.attr.x in KNOWN", { zz: 1, b: 2, "a b": 3, a: 4, "10": 5, "9": 6, é: 7, B: 8 }),
      '(in request.resource.attr.x ["10","9","B","a b","a","b","zz","é"])',
    );
    assert.equal(debug("R.attr.x in KNOWN", { z: 1 }), '(eq request.resource.attr.x "z")');
    assert.equal(debug("R.attr.x in KNOWN", {}), "(false)");
    assert.equal(debug("R.attr.x in KNOWN", [5]), "(eq request.resource.attr.x 5)");
    assert.equal(debug("R.attr.x in KNOWN", "abc"), '(eq request.resource.attr.x "abc")');
    assert.equal(
      debug(
        "R.attr.x in KNOWN",
        new Map<bigint, CelValue>([
          [2n, "b"],
          [1n, "a"],
        ]),
      ),
      "(in request.resource.attr.x [1,2])",
    );
  });

  it("writes timestamps, durations and types as cel-go's residuals spell them", () => {
    assert.equal(
      debug("R.attr.x < KNOWN", new CelTimestamp(1609459200, 100_000_000)),
      '(lt request.resource.attr.x (timestamp "2021-01-01T00:00:00.1Z"))',
    );
    assert.equal(
      debug("R.attr.x < KNOWN", new CelTimestamp(1609439400, 0, 330)),
      '(lt request.resource.attr.x (timestamp "2021-01-01T00:00:00+05:30"))',
    );
    assert.equal(
      debug("R.attr.x < KNOWN", new CelDuration(5400, 500_000_000)),
      '(lt request.resource.attr.x (duration "5400.5s"))',
    );
    assert.deepEqual(
      toFilter(node("R.attr.x < KNOWN", new CelDuration(1, 0))),
      conditional({
        expression: {
          operator: "lt",
          operands: [
            { variable: "request.resource.attr.x" },
            { expression: { operator: "duration", operands: [{ value: "1s" }] } },
          ],
        },
      }),
    );
    assert.equal(
      debug("type(R.attr.y) == KNOWN", new CelTypeValue("int")),
      "(eq (type request.resource.attr.y) int)",
    );
    assert.equal(
      debug("R.attr.x == KNOWN", new CelOptional(1n)),
      "(eq request.resource.attr.x (optional.of 1))",
    );
    assert.equal(debug("R.attr.x == KNOWN", new CelUint(3n)), "(eq request.resource.attr.x 3)");
    assert.equal(
      debug("R.attr.x == KNOWN", new Uint8Array([0xff, 0])),
      '(eq request.resource.attr.x "/wA=")',
    );
  });
});

describe("toFilter: comprehensions", () => {
  it("names the macros", () => {
    const cases: [string, string][] = [
      ['R.attr.t.exists(t, t == "a")', '(exists request.resource.attr.t (lambda (eq t "a") t))'],
      ['R.attr.t.all(t, t == "a")', '(all request.resource.attr.t (lambda (eq t "a") t))'],
      [
        'R.attr.t.exists_one(t, t == "a")',
        '(exists_one request.resource.attr.t (lambda (eq t "a") t))',
      ],
      [
        'R.attr.t.filter(t, t == "a").size() > 0',
        '(gt (size (filter request.resource.attr.t (lambda (eq t "a") t))) 0)',
      ],
      [
        'R.attr.t.map(t, t + "a").size() > 0',
        '(gt (size (map request.resource.attr.t (lambda (add t "a") t))) 0)',
      ],
      ["R.attr.l.map(x, 1) == [1]", "(eq (map request.resource.attr.l (lambda 1 x)) [1])"],
      // Cerbos's reading of a filtering map: transformList when the value is a call
      [
        "R.attr.l.map(x, x > 1, x * 2) == [1]",
        "(eq (transformList request.resource.attr.l (lambda (gt x 1) (mult x 2) x)) [1])",
      ],
      [
        "R.attr.l.map(x, x > 1, x.name) == [1]",
        "(eq (filter request.resource.attr.l (lambda (gt x 1) x)) [1])",
      ],
      ["R.attr.m.all(k, v, v > 0)", "(all request.resource.attr.m (lambda (gt v 0) k v))"],
      ["R.attr.m.exists(k, v, v > 0)", "(exists request.resource.attr.m (lambda (gt v 0) k v))"],
      [
        "R.attr.m.existsOne(k, v, v > 0)",
        "(exists_one request.resource.attr.m (lambda (gt v 0) k v))",
      ],
      [
        "R.attr.m.transformList(k, v, v + 1).size() > 0",
        "(gt (size (transformList request.resource.attr.m (lambda (add v 1) k v))) 0)",
      ],
      [
        "R.attr.m.transformList(k, v, v > 0, v + 1).size() > 0",
        "(gt (size (transformList request.resource.attr.m (lambda (gt v 0) (add v 1) k v))) 0)",
      ],
      [
        "R.attr.m.transformMap(k, v, v + 1).size() > 0",
        "(gt (size (transformMap request.resource.attr.m (lambda (add v 1) k v))) 0)",
      ],
      [
        "R.attr.m.transformMap(k, v, v > 0, v + 1).size() > 0",
        "(gt (size (transformMap request.resource.attr.m (lambda (gt v 0) (add v 1) k v))) 0)",
      ],
      [
        "R.attr.m.transformMapEntry(k, v, {k: v}).size() > 0",
        "(gt (size (transformMapEntry request.resource.attr.m (lambda (struct (set-field k v)) k v))) 0)",
      ],
      [
        "R.attr.m.transformMapEntry(k, v, v > 0, {v: k}).size() > 0",
        "(gt (size (transformMapEntry request.resource.attr.m (lambda (gt v 0) (struct (set-field v k)) k v))) 0)",
      ],
      [
        "R.attr.l.sortBy(x, x.n)[0] == 1",
        "(eq (index (sortBy request.resource.attr.l (lambda x.n x)) 0) 1)",
      ],
      [
        "R.attr.t.exists(t, R.attr.y.exists(u, u == t))",
        "(exists request.resource.attr.t (lambda (exists request.resource.attr.y (lambda (eq u t) u)) t))",
      ],
    ];
    for (const [src, want] of cases) assert.equal(debug(src), want, src);
  });

  it("writes the lambda as Cerbos's JSON has it", () => {
    assert.deepEqual(
      toFilter(node('R.attr.tags.exists(t, t == "a")')),
      conditional({
        expression: {
          operator: "exists",
          operands: [
            { variable: "request.resource.attr.tags" },
            {
              expression: {
                operator: "lambda",
                operands: [
                  { expression: { operator: "eq", operands: [{ variable: "t" }, { value: "a" }] } },
                  { variable: "t" },
                ],
              },
            },
          ],
        },
      }),
    );
  });

  it("ranges over the keys of a map, except in the transforms", () => {
    assert.equal(
      debug('{"b": R.attr.q, "a": 1}.all(k, k == R.attr.z)'),
      '(all ["a","b"] (lambda (eq k request.resource.attr.z) k))',
    );
    assert.equal(
      debug('{"b": R.attr.q, "a": 1}.transformList(k, v, k == R.attr.z)'),
      '(transformList (struct (set-field "b" request.resource.attr.q) (set-field "a" 1)) (lambda (eq k request.resource.attr.z) k v))',
    );
    assert.equal(
      debug("KNOWN.exists(k, k == R.attr.z)", { b: 1, a: 2 }),
      '(exists ["a","b"] (lambda (eq k request.resource.attr.z) k))',
    );
    assert.equal(
      debug('R.attr.l.exists(x, x in {"a": 1, "b": R.attr.q})'),
      '(exists request.resource.attr.l (lambda (in x ["a","b"]) x))',
    );
  });

  it("spells out abbreviated iteration variables too, as Cerbos does", () => {
    assert.equal(
      debug("R.attr.l.exists(P, P.attr == 1)"),
      "(exists request.resource.attr.l (lambda (eq request.principal.attr 1) request.principal))",
    );
  });
});

describe("toFilter: what Cerbos cannot express", () => {
  it("reports optional list elements and map entries", () => {
    const r = tryToFilter(node("[?R.attr.o, 1] == [1]"));
    assert.deepEqual(r, { ok: false, error: "optional not supported: optional list element" });
    assert.equal(tryToFilter(node('R.attr.m == {?"a": R.attr.o}')).ok, false);
    assert.throws(() => toFilter(node("[?R.attr.o, 1] == [1]")), FilterBuildError);
  });

  it("reports comprehensions of no known shape", () => {
    const r = tryToFilter(node("cel.bind(x, R.attr.a, x + 1) == 2"));
    assert.deepEqual(r, { ok: false, error: "expected sortBy comprehension" });
  });

  it("reports values that have no literal form", () => {
    const opaque = { celTypeName: "net.IP", celEquals: () => false };
    assert.equal(tryToFilter(node("R.attr.x == KNOWN", opaque)).ok, false);
  });
});

describe("normalisation", () => {
  it("drops repeated operands of and/or, compared as Cerbos compares them", () => {
    assert.equal(
      debug("R.attr.a == 1 || request.resource.attr.a == 1"),
      "(eq request.resource.attr.a 1)",
    );
    assert.equal(debug("(R.attr.a in [1]) || R.attr.a == 1"), "(eq request.resource.attr.a 1)");
    // Cerbos compares the `and` it rewrote, not the operand it became
    assert.equal(
      debug("(has(R.attr.z) && R.attr.a == 1) || R.attr.a == 1"),
      "(or (eq request.resource.attr.a 1) (eq request.resource.attr.a 1))",
    );
    assert.equal(
      debug("R.attr.a == 1 || R.attr.a == 1 || R.attr.b == 2"),
      "(or (eq request.resource.attr.a 1) (eq request.resource.attr.b 2))",
    );
  });

  it("leaves what Cerbos 0.55 leaves: nesting, contradictions, tautologies", () => {
    assert.equal(
      debug("R.attr.a && (R.attr.b && R.attr.c)"),
      "(and request.resource.attr.a (and request.resource.attr.b request.resource.attr.c))",
    );
    assert.equal(
      debug("R.attr.a == 1 && R.attr.a == 2"),
      "(and (eq request.resource.attr.a 1) (eq request.resource.attr.a 2))",
    );
    assert.equal(
      debug("R.attr.a == 1 || R.attr.a != 1"),
      "(or (eq request.resource.attr.a 1) (ne request.resource.attr.a 1))",
    );
    assert.equal(debug("!(!R.attr.a)"), "(not (not request.resource.attr.a))");
  });

  it("normalises a given filter without changing it", () => {
    const input = {
      kind: "KIND_CONDITIONAL" as const,
      condition: {
        expression: {
          operator: "and",
          operands: [
            { value: true },
            {
              expression: {
                operator: "in",
                operands: [{ variable: "R.attr.a" }, { value: ["x"] }],
              },
            },
          ],
        },
      },
    };
    const before = JSON.stringify(input);
    assert.deepEqual(normaliseFilter(input), conditional(eq("request.resource.attr.a", "x")));
    assert.equal(JSON.stringify(input), before);
    assert.deepEqual(normaliseFilter({ kind: "KIND_CONDITIONAL" }), {
      kind: "KIND_ALWAYS_ALLOWED",
    });
    assert.deepEqual(normaliseFilter({ kind: "KIND_ALWAYS_DENIED" }), {
      kind: "KIND_ALWAYS_DENIED",
    });
  });
});

describe("filterToString", () => {
  const str = (value: JsonValue): string => filterToString(conditional({ value }));

  it("writes numbers as Go does", () => {
    assert.equal(str(1e21), "1e+21");
    assert.equal(str(1e20), "100000000000000000000");
    assert.equal(str(1e-7), "1e-7");
    assert.equal(str(0.000001), "0.000001");
    assert.equal(str(-0), "-0");
    assert.equal(str(123456789.12345679), "123456789.12345679");
    assert.equal(str(0.1 + 0.2), "0.30000000000000004");
    assert.equal(str(Number.NaN), "<ERROR>");
  });

  it("writes strings and objects as compact protobuf JSON", () => {
    assert.equal(str('a"b\\c\n\u0001é<>&'), '"a\\"b\\\\c\\n\\u0001é<>&"');
    assert.equal(
      str({ b: 1, a: [true, null], "10": "x", B: {} }),
      '{"10":"x","B":{},"a":[true,null],"b":1}',
    );
  });

  it("writes expressions in prefix notation", () => {
    assert.equal(
      filterToString(
        conditional({
          expression: {
            operator: "or",
            operands: [
              {
                expression: {
                  operator: "gt",
                  operands: [
                    { value: 3 },
                    {
                      expression: {
                        operator: "sum",
                        operands: [{ variable: "request.principal.attr.n" }, { value: 1 }],
                      },
                    },
                  ],
                },
              },
              { expression: { operator: "struct", operands: [] } },
            ],
          },
        }),
      ),
      "(or (gt 3 (sum request.principal.attr.n 1)) (struct ))",
    );
  });
});

describe("mergeWithAnd", () => {
  const a = toFilter(node("R.attr.a == 1"));
  const b = toFilter(node('R.attr.b == "x" && R.attr.c'));
  const allowed: PlanFilter = { kind: "KIND_ALWAYS_ALLOWED" };
  const denied: PlanFilter = { kind: "KIND_ALWAYS_DENIED" };

  it("is allowed when every action is", () => {
    assert.deepEqual(mergeWithAnd([]), { filter: allowed, filterDebug: "(true)" });
    assert.deepEqual(mergeWithAnd([allowed, allowed]), { filter: allowed, filterDebug: "(true)" });
  });

  it("is denied when any action is", () => {
    assert.deepEqual(mergeWithAnd([a, denied, b]), { filter: denied, filterDebug: "(false)" });
  });

  it("is the one condition left", () => {
    assert.deepEqual(mergeWithAnd([allowed, a, a]), {
      filter: a,
      filterDebug: "(eq request.resource.attr.a 1)",
    });
  });

  it("ANDs distinct conditions in the order of their debug strings, without simplifying", () => {
    const m = mergeWithAnd([b, allowed, a, b]);
    assert.equal(
      m.filterDebug,
      '(and (and (eq request.resource.attr.b "x") request.resource.attr.c) (eq request.resource.attr.a 1))',
    );
    assert.equal(m.filter.kind, "KIND_CONDITIONAL");
  });
});

function eq(variable: string, value: JsonValue): PlanOperand {
  return { expression: { operator: "eq", operands: [{ variable }, { value }] } };
}
