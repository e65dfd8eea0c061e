// Library functions called with dynamically typed arguments (request attributes are dyn), so
// overloads are chosen at run time. Every case was run through `cerbos repl` (Cerbos 0.55).

import { celCases } from "../../../../test/support/cel-cases.ts";

celCases("functions on dyn arguments", [
  ['dyn("marketing").charAt(1)', { value: "a" }],
  ['dyn("marketing").indexOf(dyn("k"))', { value: 3 }],
  ['dyn("a,b").split(",")', { value: ["a", "b"] }],
  ['dyn(["a","b"]).join(dyn("-"))', { value: "a-b" }],
  ['dyn("abc").reverse()', { value: "cba" }],
  ["dyn([1,2]).reverse()", { value: [2, 1] }],
  ['dyn("x").upperAscii()', { value: "X" }],
  ["dyn(1).charAt(0)", { error: "no such overload: charAt(int, int)" }],
  ['dyn("abc").substring(dyn(1))', { value: "bc" }],
  ["dyn([3,1,2]).sort()", { value: [1, 2, 3] }],
  ['dyn(["b","a"]).sort()', { value: ["a", "b"] }],
  ['dyn([1, "a"]).distinct()', { value: [1, "a"] }],
  ["dyn([1,2,3]).slice(0, 2)", { value: [1, 2] }],
  ["dyn([[1],[2]]).flatten()", { value: [1, 2] }],
  ["dyn([1,2]).first()", { value: 1 }],
  ["dyn([]).last() == optional.none()", { value: true }],
  ["math.greatest(dyn(1), dyn(2.5))", { value: 2.5 }],
  ["math.least(dyn([3, 1u]))", { value: 1 }],
  ["math.abs(dyn(-1))", { value: 1 }],
  ['math.abs(dyn("x"))', { error: "no such overload: math.abs(string)" }],
  ["math.sqrt(dyn(9))", { value: 3 }],
  ["math.bitAnd(dyn(1), dyn(3u))", { error: "no such overload: math.bitAnd(int, uint)" }],
  ["sets.contains(dyn([1]), dyn([1.0]))", { value: true }],
  ['base64.encode(dyn(b"x"))', { value: "eA==" }],
  ['base64.decode(dyn("eA=="))', { value: "eA==" }],
  ['regex.extract(dyn("abc"), dyn("b"))', { value: "b" }],
  ['isIP(dyn("1.2.3.4"))', { value: true }],
  ['ip(dyn("1.2.3.4")).family()', { value: 4 }],
  ['cidr(dyn("10.0.0.0/8")).containsIP(dyn("10.1.1.1"))', { value: true }],
  ['cidr(dyn("10.0.0.0/8")).containsIP(ip("10.1.1.1"))', { value: true }],
  ['cidr(dyn("10.0.0.0/8")).containsCIDR(dyn("10.1.0.0/16"))', { value: true }],
  ['dyn(ip("1.2.3.4")) == dyn(ip("1.2.3.4"))', { value: true }],
  ['dyn(cidr("1.2.3.0/24")) == dyn(ip("1.2.3.0"))', { value: false }],
  ['hierarchy(dyn("a.b")).size()', { value: 2 }],
  ['hierarchy(dyn(["a","b"])).ancestorOf(hierarchy("a.b.c"))', { value: true }],
  ['intersect(dyn(["a","b"]), dyn(["b"]))', { value: ["b"] }],
  ['dyn(["a","b"]).except(["b"])', { value: ["a"] }],
  ['hasIntersection(dyn(["a"]), dyn([]))', { value: false }],
  ['dyn(["a"]).isSubset(dyn(["a","b"]))', { value: true }],
  ['intersect(dyn("a"), dyn(["a"]))', { error: "no such overload: intersect(string, list)" }],
  ['dyn("a").intersect(["a"])', { error: "no such overload: intersect(string, list)" }],
  ['"10.0.0.1".inIPAddrRange(dyn("10.0.0.0/8"))', { value: true }],
  ['dyn("10.0.0.1").inIPAddrRange("10.0.0.0/8")', { value: true }],
  ['basePath(dyn("/a/b"))', { value: "b" }],
  ['joinPath(dyn(["a", "b"]))', { value: "a/b" }],
  [
    'joinPath(dyn(["a", 1]))',
    {
      error:
        "failed to convert list to string slice: unsupported type conversion from 'int' to string",
    },
  ],
  ['pathMatchAnyOf(dyn("/a"), dyn(["/*"]))', { value: true }],
  [
    'pathMatchAnyOf("/a", dyn(["/*", 1]))',
    {
      error:
        "failed to convert list to string slice: unsupported type conversion from 'int' to string",
    },
  ],
  ['spiffeID(dyn("spiffe://a/b")).path()', { value: "/b" }],
  ['spiffeMatchOneOf(dyn(["spiffe://a/b"])).matchesID(dyn("spiffe://a/b"))', { value: true }],
  ['json.encode(dyn({"a": [1, 2.5]}))', { value: '{"a":[1,2.5]}' }],
  ['"%s-%d".format(dyn(["a", 1]))', { value: "a-1" }],
  ['dyn("%s").format(["a"])', { value: "a" }],
  ['strings.quote(dyn("a"))', { value: '"a"' }],
  ["lists.range(dyn(2))", { value: [0, 1] }],
  ["id(dyn([1])) == [1]", { value: true }],
  ['dyn(hierarchy("a.b")) == dyn(hierarchy("a.b"))', { value: true }],
  ['type(dyn(hierarchy("a"))) == cerbos.lib.hierarchy', { value: true }],
  ['type(ip("1.2.3.4")) == net.IP', { value: true }],
  ['type(cidr("1.2.3.4/32")) == net.CIDR', { value: true }],
  ["type(spiffeMatchAny()) == cerbos.lib.spiffeMatcher", { value: true }],
]);

// cel-go's run-time type guards name the function and the argument types (receiver first);
// functions declared without guards, and methods of Cerbos's own types, word it otherwise.
celCases("no such overload at run time", [
  ["dyn(1).lowerAscii()", { error: "no such overload: lowerAscii(int)" }],
  ['"abc".charAt(dyn("x"))', { error: "no such overload: charAt(string, string)" }],
  ['dyn(1).replace("a", "b")', { error: "no such overload: replace(int, string, string)" }],
  ["dyn(1).slice(0, 1)", { error: "no such overload: slice(int, int, int)" }],
  ["dyn(1).flatten()", { error: "no such overload: int.flatten()" }],
  ['dyn("x").sort()', { error: "no such overload" }],
  ['dyn(1).contains("a")', { error: "no such overload" }],
  // a literal pattern is precompiled as Cerbos's optimized policy programs do, which answers a
  // non-string subject plainly (the unoptimized REPL says `no such overload: matches`)
  ['dyn(1).matches("a")', { error: "no such overload" }],
  ['dyn(1).matches(dyn("a"))', { error: "no such overload: matches" }],
  ['dyn("a").matches(dyn(1))', { error: "no such overload" }],
  ["!dyn(1)", { error: "no such overload" }],
  [
    'hasIntersection(dyn(["a"]), dyn("a"))',
    { error: "no such overload: hasIntersection(list, string)" },
  ],
  ["has_intersection(dyn(1), [1])", { error: "no such overload: has_intersection(int, list)" }],
  [
    'cidr("1.2.3.0/24").containsIP(dyn(1))',
    { error: "no such overload: containsIP(net.CIDR, int)" },
  ],
  ["lists.range(dyn(1.5))", { error: "no such overload: lists.range(double)" }],
  ["spiffeTrustDomain(dyn(1))", { error: "no such overload: spiffeTrustDomain(int)" }],
  ['dyn(1).ancestorOf(hierarchy("a"))', { error: "no such overload: ancestorOf" }],
  ['hierarchy("a").ancestorOf(dyn(1))', { error: "no such overload" }],
  ["dyn(1).path()", { error: "no such overload: path" }],
  ["dyn(1).timeSince()", { error: "no such overload" }],
  ['math.greatest(dyn("a"))', { error: "no such overload: math.@max(string)" }],
  ['math.greatest(dyn(1), dyn("a"))', { error: "no such overload: math.@max(int, string)" }],
  ['math.least(dyn(["a"]))', { error: "no such overload: math.@min(list)" }],
  ['math.least(dyn([1, "a"]))', { error: "no such overload: math.@min" }],
  ["dyn([1]).join()", { error: "no such overload: join(list)" }],
  ['dyn([1, "a"]).join(",")', { error: "no such overload: join(list, string)" }],
  ['dyn(["a", 1]).join(",")', { error: "join: invalid input: 1" }],
]);

// Cerbos declares the global forms of its list-set functions non-strict: a failed argument
// (a missing attribute) reaches the implementation, which answers a plain `no such overload`;
// the member forms are strict and pass the argument's error on.
celCases("non-strict list-set functions", [
  ['intersect(R.attr.tags, ["a"])', { error: "no such overload" }],
  ['hasIntersection(["a"], R.attr.tags)', { error: "no such overload" }],
  ['except(R.attr.tags, ["a"])', { error: "no such overload" }],
  ["isSubset(R.attr.a, R.attr.b)", { error: "no such overload" }],
  ['R.attr.tags.intersect(["a"])', { error: "no such key: tags" }],
  ['["a"].hasIntersection(R.attr.tags)', { error: "no such key: tags" }],
  // a non-list that is not an error fails the guard, which passes on the first error
  ["intersect(dyn(1), R.attr.tags)", { error: "no such key: tags" }],
  ['intersect(R.attr.tags, ["a"]) == []', { error: "no such overload" }],
  ['intersect(["a", "b"], dyn(["b"]))', { value: ["b"] }],
]);
