// SPIFFE functions: every case was run through `cerbos repl` (Cerbos 0.55) and the table records what
// it answered ({ value }, an evaluation { error }, or { rejected } at compile time).

import { celCases } from "../../../../test/support/cel-cases.ts";

celCases("SPIFFE functions", [
  ['spiffeID("spiffe://example.org/a/b").path()', { value: "/a/b" }],
  ['spiffeID("spiffe://example.org/a/b").trustDomain().name()', { value: "example.org" }],
  [
    'spiffeID("spiffe://example.org/a/b").trustDomain().id() == "spiffe://example.org"',
    { value: true },
  ],
  [
    'spiffeID("http://x").path()',
    { error: "failed to parse SPIFFE ID: scheme is missing or invalid" },
  ],
  ['spiffeID("spiffe://").path()', { error: "failed to parse SPIFFE ID: trust domain is missing" }],
  [
    'spiffeID("spiffe://EX.org").path()',
    {
      error:
        "failed to parse SPIFFE ID: trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores",
    },
  ],
  [
    'spiffeID("spiffe://ex.org/").path()',
    { error: "failed to parse SPIFFE ID: path cannot have a trailing slash" },
  ],
  [
    'spiffeID("spiffe://ex.org//a").path()',
    { error: "failed to parse SPIFFE ID: path cannot contain empty segments" },
  ],
  [
    'spiffeID("spiffe://ex.org/./a").path()',
    { error: "failed to parse SPIFFE ID: path cannot contain dot segments" },
  ],
  [
    'spiffeID("spiffe://ex.org/../a").path()',
    { error: "failed to parse SPIFFE ID: path cannot contain dot segments" },
  ],
  [
    'spiffeID("spiffe://ex.org/a b").path()',
    {
      error:
        "failed to parse SPIFFE ID: path segment characters are limited to letters, numbers, dots, dashes, and underscores",
    },
  ],
  ['spiffeID("spiffe://ex.org").path()', { value: "" }],
  ['spiffeTrustDomain("ex.org").name()', { value: "ex.org" }],
  ['spiffeTrustDomain("spiffe://ex.org/a").name()', { value: "ex.org" }],
  [
    'spiffeTrustDomain("EX").name()',
    {
      error:
        "failed to parse SPIFFE trust domain: trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores",
    },
  ],
  [
    'spiffeTrustDomain("").name()',
    { error: "failed to parse SPIFFE trust domain: trust domain is missing" },
  ],
  [
    'spiffeTrustDomain("spiffe://ex.org/a/").name()',
    { error: "failed to parse SPIFFE trust domain: path cannot have a trailing slash" },
  ],
  ['spiffeMatchAny().matchesID("spiffe://a/b")', { value: true }],
  ['spiffeMatchExact("spiffe://a/b").matchesID(spiffeID("spiffe://a/b"))', { value: true }],
  ['spiffeMatchExact(spiffeID("spiffe://a/b")).matchesID("spiffe://a/c")', { value: false }],
  ['spiffeMatchOneOf(["spiffe://a/b", "spiffe://a/c"]).matchesID("spiffe://a/c")', { value: true }],
  ['spiffeMatchOneOf([spiffeID("spiffe://a/b")]).matchesID("spiffe://a/b")', { value: true }],
  ['spiffeMatchOneOf(dyn(["bad"])).matchesID("spiffe://a/b")', { error: "no such overload" }],
  ['spiffeMatchTrustDomain("a").matchesID("spiffe://a/c")', { value: true }],
  ['spiffeMatchTrustDomain(spiffeTrustDomain("b")).matchesID("spiffe://a/c")', { value: false }],
  [
    'spiffeMatchTrustDomain("a").matchesID("bad")',
    { error: "invalid SPIFFE ID: scheme is missing or invalid" },
  ],
  ['spiffeID("spiffe://a/b").isMemberOf(spiffeTrustDomain("a"))', { value: true }],
  ['spiffeID("spiffe://a/b") == spiffeID("spiffe://a/b")', { value: true }],
  ['type(spiffeID("spiffe://a/b")) == cerbos.lib.spiffeID', { value: true }],
  ['spiffeTrustDomain("a") == spiffeTrustDomain("a")', { value: true }],
  [
    'spiffeID("SPIFFE://a/b").path()',
    { error: "failed to parse SPIFFE ID: scheme is missing or invalid" },
  ],
  [
    'spiffeID("spiffe://a/b?x").path()',
    {
      error:
        "failed to parse SPIFFE ID: path segment characters are limited to letters, numbers, dots, dashes, and underscores",
    },
  ],
  [
    'spiffeID("spiffe://a:80/b").path()',
    {
      error:
        "failed to parse SPIFFE ID: trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores",
    },
  ],
  ["spiffeMatchAny() == spiffeMatchAny()", { value: false }],
  ['spiffeID("spiffe://a/b-c_d.e").path()', { value: "/b-c_d.e" }],
]);
