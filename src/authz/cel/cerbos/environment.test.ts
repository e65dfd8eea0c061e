// The Cerbos environment: declared identifiers, message fields by both JSON and proto names,
// bindings with defaults, and the clock functions reading the evaluation context. Behaviour
// checked with `cerbos repl` (`:let request = {...}`) where noted.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  CelDuration,
  CelError,
  isCelError,
  CelTimestamp,
  compileExpression,
  mapKeys,
  toJsonValue,
  type CelMapValue,
  type CelResult,
  type CelValue,
  type EvalContext,
} from "../index.ts";
import {
  cerbosBindings,
  cerbosEnvironment,
  cerbosLibraries,
  type CerbosConditionInput,
} from "./environment.ts";

const input: CerbosConditionInput = {
  principal: { id: "john", roles: ["employee"], attr: { dept: "eng", n: 3 } },
  resource: {
    kind: "doc",
    id: "d1",
    attr: { owner: "john" },
    policyVersion: "default",
    scope: "a.b",
  },
  auxData: { jwt: { iss: "cerbos" }, jwts: { idp: { claims: { sub: "u1" } } } },
  variables: { isOwner: true },
  constants: { limit: 10 },
  globals: { env: "prod" },
  effectiveDerivedRoles: ["owner"],
};

const NOW = new CelTimestamp(1_619_103_920, 21_000_000); // 2021-04-22T15:05:20.021Z
const ctx: EvalContext = { now: () => NOW };

function run(expr: string, bindings = cerbosBindings(input)): CelResult {
  const { expression, issues } = compileExpression(cerbosEnvironment(), expr);
  assert.ok(expression, issues.map((i) => i.message).join("; "));
  return expression.evaluate(bindings, ctx);
}

describe("cerbos environment", () => {
  test("`x in []` is false even when reading x fails; a non-empty list lets the error through", () => {
    assert.equal(run("R.attr.missing in []"), false);
    assert.equal(run("!(R.attr.missing in [])"), true);
    assert.equal(run("[1].exists(x, R.attr.missing in [])"), false);
    assert.ok(isCelError(run("R.attr.missing in ['x']")));
    assert.ok(isCelError(run("R.attr.missing in {}")));
  });

  test("is built once", () => {
    assert.equal(cerbosEnvironment(), cerbosEnvironment());
    assert.ok(cerbosLibraries().length > 0);
  });

  const truths = [
    'request.principal.id == "john" && P.id == "john"',
    '"employee" in P.roles && R.kind == "doc" && R.id == "d1"',
    'P.attr.dept == "eng" && P.attr.n == 3 && R.attr.owner == P.id',
    // REPL: both the JSON and the proto field names work.
    'request.auxData.jwt.iss == "cerbos" && request.aux_data.jwt.iss == "cerbos"',
    'R.policyVersion == "default" && R.policy_version == "default" && R.scope == "a.b"',
    'request.auxData.jwts.idp.claims.sub == "u1"',
    // REPL: absent string fields read as "", and has() on them is false (proto3).
    'P.scope == "" && P.policyVersion == "" && !has(P.scope) && has(P.id)',
    "V.isOwner && variables.isOwner && C.limit == 10 && constants.limit == 10",
    'G.env == "prod" && globals.env == "prod"',
    '"owner" in runtime.effectiveDerivedRoles && size(runtime.effective_derived_roles) == 1',
    'now() == timestamp("2021-04-22T10:05:20.021-05:00")',
    'timestamp("2021-04-20T10:05:20.021-05:00").timeSince() == duration("48h")',
    'timeSince(timestamp("2021-04-22T15:05:19.021Z")) == duration("1s")',
  ];
  for (const expr of truths) test(expr, () => assert.equal(run(expr), true));

  test("a missing attribute is an error naming the key", () => {
    const v = run("P.attr.team == 'x'");
    assert.ok(v instanceof CelError);
    assert.equal(v.message, "no such key: team");
  });

  test("absent attr maps default to empty maps", () => {
    const bindings = cerbosBindings({
      principal: { id: "p", roles: [] },
      resource: { kind: "k", id: "r" },
    });
    assert.equal(
      run("size(P.attr) == 0 && size(R.attr) == 0 && size(request.auxData.jwt) == 0", bindings),
      true,
    );
    const v = run("P.attr.x", bindings);
    assert.ok(v instanceof CelError);
    assert.equal(v.message, "no such key: x");
  });

  test("undeclared identifiers and fields are compile errors", () => {
    assert.equal(compileExpression(cerbosEnvironment(), "foo == 1").expression, undefined);
    // REPL: `request.principal.foo` -> undefined field 'foo'
    const { issues } = compileExpression(cerbosEnvironment(), "request.principal.foo");
    assert.match(issues[0]?.message ?? "", /undefined field 'foo'/);
  });

  test("V, C and G are cerbos.Variables: fields read like map entries, map operations are rejected", () => {
    assert.equal(run("V.isOwner && variables.isOwner"), true);
    assert.equal(run("C.limit == 10.0 && G.env == 'prod'"), true);
    assert.equal(run("has(V.isOwner) && !has(V.nope)"), true);
    assert.equal(run("V.?nope.orValue(1) == 1"), true);
    const missing = run("G.nope");
    assert.ok(missing instanceof CelError);
    assert.equal(missing.message, "no such key: nope");
    // cerbos compile: each is `found no matching overload for ...` naming cerbos.Variables
    const rejected: [string, string][] = [
      [
        'V["isOwner"]',
        "found no matching overload for '_[_]' applied to '(cerbos.Variables, string)'",
      ],
      ["size(C) > 0", "found no matching overload for 'size' applied to '(cerbos.Variables)'"],
      [
        '"env" in G',
        "found no matching overload for '@in' applied to '(string, cerbos.Variables)'",
      ],
      [
        "V == {}",
        "found no matching overload for '_==_' applied to '(cerbos.Variables, map(dyn, dyn))'",
      ],
      [
        "V.exists(k, true)",
        "expression of type 'cerbos.Variables' cannot be range of a comprehension (must be list, map, or dynamic)",
      ],
    ];
    for (const [expr, message] of rejected) {
      const { issues } = compileExpression(cerbosEnvironment(), expr);
      assert.deepEqual(
        issues.map((i) => i.message),
        [message],
        expr,
      );
    }
  });

  test("field names that are Object.prototype members are ordinary names", () => {
    const withOddNames = cerbosBindings({
      ...input,
      constants: { constructor: 1, toString: "s" },
    });
    assert.equal(run("C.constructor == 1.0 && C.toString == 's'", withOddNames), true);
    const missing = run("V.constructor == 1.0");
    assert.ok(missing instanceof CelError);
    const { issues } = compileExpression(cerbosEnvironment(), "request.principal.constructor");
    assert.match(issues[0]?.message ?? "", /undefined field 'constructor'/);
  });

  test("timeSince saturates like Go's Time.Sub", () => {
    const v = run('timeSince(timestamp("0001-01-01T00:00:00Z"))');
    assert.ok(v instanceof CelDuration);
    assert.equal(v.seconds, 9_223_372_036);
  });
  test("proto-name aliases stay out of iteration and JSON", () => {
    const b = cerbosBindings(input);
    const keys = (v: CelValue | undefined): unknown[] => mapKeys(v as CelMapValue);
    assert.deepEqual(keys(b["request"]), ["principal", "resource", "auxData"]);
    assert.deepEqual(keys(b["P"]), ["id", "roles", "attr", "policyVersion", "scope"]);
    assert.deepEqual(toJsonValue(b["R"] as CelValue), {
      kind: "doc",
      id: "d1",
      attr: { owner: "john" },
      policyVersion: "default",
      scope: "a.b",
    });
    assert.deepEqual(keys(b["runtime"]), ["effectiveDerivedRoles"]);
    assert.equal(
      run("size(request.principal.attr) == 2 && R.policy_version == R.policyVersion"),
      true,
    );
  });
});
