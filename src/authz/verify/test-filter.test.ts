import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CompiledSelection,
  globToRegExp,
  mergeTestFilters,
  parseTestFilter,
  skipReasons,
} from "./test-filter.ts";
import type { TestFilter, TestIdentity } from "./test-filter.ts";

const parsed = (spec: string): TestFilter => {
  const r = parseTestFilter(spec);
  assert.ok("filter" in r, spec);
  return r.filter;
};

test("filters parse like Cerbos's, spaces and empty segments tolerated", () => {
  assert.deepEqual(parsed("  test = album* ; principal = alice , bob  ;;Action=view"), {
    suite: [],
    test: ["album*"],
    principal: ["alice", "bob"],
    resource: [],
    action: ["view"],
  });
  assert.deepEqual(parseTestFilter("test="), {
    error: "filter must contain at least one glob pattern in at least one dimension",
  });
  assert.deepEqual(parseTestFilter("foo=bar"), {
    error:
      'unknown filter dimension "foo": valid dimensions are suite, test, principal, resource, action',
  });
  assert.deepEqual(parseTestFilter("test"), {
    error: "invalid filter dimension format \"test\": expected 'dimension=glob1,glob2'",
  });
  assert.deepEqual(
    mergeTestFilters([parsed("principal=a"), parsed("principal=b;action=x")])?.principal,
    ["a", "b"],
  );
});

test("globs: `*` stays within a `:` segment (checked against cerbos compile)", () => {
  assert.equal(globToRegExp("view*").test("view:public"), false);
  assert.equal(globToRegExp("view:*").test("view:public"), true);
  assert.equal(globToRegExp("b?v").test("bev"), true);
  assert.equal(globToRegExp("*stale*").test("stale_pending_leave_request"), true);
  assert.equal(globToRegExp("v[io]ew:public").test("view:public"), true);
  assert.equal(globToRegExp("{a,b}c").test("bc"), true);
  assert.equal(globToRegExp("a.b").test("axb"), false);
});

const identity: TestIdentity = {
  suite: "TestSuite",
  table: "TestAlbum",
  principalKey: "alice",
  resourceKey: "my_album",
  principal: { id: "alice", roles: ["user"] },
  resource: { id: "a1", kind: "album", scope: "acme" },
  actions: ["view", "edit"],
  options: undefined,
  skip: false,
  skipReason: undefined,
};

test("skip reasons in Cerbos's order", () => {
  const sel = (s: Parameters<typeof CompiledSelection.compile>[0]): CompiledSelection => {
    const r = CompiledSelection.compile(s);
    assert.ok("selection" in r);
    return r.selection;
  };
  assert.equal(sel({}).skipReason(identity), undefined);
  assert.equal(
    sel({ filter: parsed("suite=Other") }).skipReason(identity),
    skipReasons.filterSuite,
  );
  assert.equal(sel({ filter: parsed("test=Test*") }).skipReason(identity), undefined);
  assert.equal(sel({ filter: parsed("test=Other") }).skipReason(identity), skipReasons.filterTest);
  assert.equal(
    sel({ filter: parsed("principal=bob") }).skipReason(identity),
    skipReasons.filterPrincipal,
  );
  assert.equal(sel({ filter: parsed("resource=*_album") }).skipReason(identity), undefined);
  assert.equal(
    sel({ filter: parsed("action=admin*") }).skipReason(identity),
    skipReasons.filterAction,
  );
  assert.deepEqual(sel({ filter: parsed("action=edit") }).partitionActions(identity.actions), {
    run: ["edit"],
    skipped: ["view"],
  });
  assert.equal(sel({ includedTestNamesRegexp: "TestAlbum" }).skipReason(identity), undefined);
  assert.equal(sel({ includedTestNamesRegexp: "^Nope" }).skipReason(identity), skipReasons.name);
  assert.equal(
    sel({ excludedResourcePolicyFqns: ["cerbos.resource.album.vdefault/acme"] }).skipReason(
      identity,
    ),
    skipReasons.resource,
  );
  assert.equal(
    sel({ excludedPrincipalPolicyFqns: ["cerbos.principal.alice.v1"] }).skipReason({
      ...identity,
      options: { defaultPolicyVersion: "1" },
    }),
    skipReasons.principal,
  );
  // A test table marked `skip` in a suite keeps its own reason (suite data, not a skipped test).
  assert.equal(sel({}).skipReason({ ...identity, skip: true, skipReason: "later" }), "later");
});
