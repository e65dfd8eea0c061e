// encoders extension: every case was run through `cerbos repl` (Cerbos 0.55) and the table records what
// it answered ({ value }, an evaluation { error }, or { rejected } at compile time).

import { celCases } from "../../../../test/support/cel-cases.ts";

celCases("encoders extension", [
  ['base64.encode(b"\\xff\\xfe")', { value: "//4=" }],
  ['base64.encode(b"")', { value: "" }],
  ['base64.encode(b"a")', { value: "YQ==" }],
  ['base64.decode("aGVsbG8")', { value: "aGVsbG8=" }],
  ['base64.decode("aGVsbG8=x")', { error: "illegal base64 data at input byte 7" }],
  ['base64.decode("!!")', { error: "illegal base64 data at input byte 0" }],
  ['base64.decode("")', { value: "" }],
  ['base64.decode("_-8=")', { error: "illegal base64 data at input byte 0" }],
  ['base64.decode("aGk=\\n")', { value: "aGk=" }],
  ['base64.decode("a")', { error: "illegal base64 data at input byte 0" }],
  ['base64.decode("ab=")', { error: "illegal base64 data at input byte 2" }],
  ['base64.decode("ab==")', { value: "aQ==" }],
  ['base64.decode("abc=")', { value: "abc=" }],
  ['base64.decode("ab=c")', { error: "illegal base64 data at input byte 2" }],
  ['base64.decode("a\\nb\\rc=")', { value: "abc=" }],
  ['base64.decode("abcd====")', { error: "illegal base64 data at input byte 4" }],
  ['base64.decode("=")', { error: "illegal base64 data at input byte 0" }],
  ['base64.decode("ab==\\n\\n")', { value: "aQ==" }],
  ['base64.decode("ab== ")', { error: "illegal base64 data at input byte 2" }],
]);
