// json.encode: every case was run through `cerbos repl` (Cerbos 0.55) and the table records what
// it answered ({ value }, an evaluation { error }, or { rejected } at compile time).

import { celCases } from "../../../../test/support/cel-cases.ts";

celCases("json.encode", [
  [
    'json.encode({"b": 1, "a": [1.5, "x", null, true]})',
    { value: '{"a":[1.5,"x",null,true],"b":1}' },
  ],
  ["json.encode(1.0)", { value: "1" }],
  ["json.encode(1u)", { value: "1" }],
  ['json.encode(b"hi")', { value: '"aGk="' }],
  ['json.encode(duration("1.5s"))', { value: '"1.5s"' }],
  ['json.encode(timestamp("2021-01-01T00:00:00.25Z"))', { value: '"2021-01-01T00:00:00.25Z"' }],
  ["json.encode({1: 2})", { error: "unsupported type conversion from 'int' to string" }],
  [
    'json.encode("a<b>&\\u2028\\n\\x01\\x7f")',
    { value: '"a\\u003cb\\u003e\\u0026\\u2028\\n\\u0001"' },
  ],
  ["json.encode(9007199254740993)", { value: '"9007199254740993"' }],
  ["json.encode(9007199254740991)", { value: "9007199254740991" }],
  ["json.encode(-9007199254740993)", { value: '"-9007199254740993"' }],
  ["json.encode(18446744073709551615u)", { value: '"18446744073709551615"' }],
  ["json.encode(1e100)", { value: "1e+100" }],
  [
    'json.encode(double("NaN"))',
    { error: "proto:\u00a0google.protobuf.Value.number_value: invalid NaN value" },
  ],
  [
    'json.encode(double("Inf"))',
    { error: "proto:\u00a0google.protobuf.Value.number_value: invalid +Inf value" },
  ],
  ["json.encode(optional.of(1))", { value: "1" }],
  ["json.encode(optional.none())", { error: "optional.none() dereference" }],
  ["json.encode([optional.none()])", { error: "optional.none() dereference" }],
  ['json.encode(ip("1.2.3.4"))', { error: "unsupported type conversion to '*structpb.Value'" }],
  [
    'json.encode(hierarchy("a.b"))',
    { error: "unsupported native conversion from hierarchy to '*structpb.Value'" },
  ],
  ["json.encode(type(1))", { error: "type conversion not supported for 'type'" }],
  ["json.encode(0.1)", { value: "0.1" }],
  ["json.encode(-0.0)", { value: "-0" }],
  ["json.encode(1e21)", { value: "1e+21" }],
  ["json.encode(1e-7)", { value: "1e-7" }],
  ["json.encode(0.000001)", { value: "0.000001" }],
  ["json.encode(123456789012345678901234.0)", { value: "1.2345678901234569e+23" }],
  ['json.encode({"z":1,"a":{"y":2,"b":3}})', { value: '{"a":{"b":3,"y":2},"z":1}' }],
  ["json.encode({true: 1})", { error: "type conversion error from bool to 'string'" }],
  ["json.encode({1u: 1})", { error: "unsupported type conversion from 'uint' to string" }],
  ['json.encode("é😀")', { value: '"é😀"' }],
  [
    'json.encode(spiffeID("spiffe://a/b"))',
    { error: "unsupported native conversion from SPIFFEID to '*structpb.Value'" },
  ],
]);
