// id and inIPAddrRange: every case was run through `cerbos repl` (Cerbos 0.55) and the table records what
// it answered ({ value }, an evaluation { error }, or { rejected } at compile time).

import { celCases } from "../../../../test/support/cel-cases.ts";

celCases("id and inIPAddrRange", [
  ['"192.168.0.5".inIPAddrRange("192.168.0.0/24")', { value: true }],
  ['"10.0.0.1".inIPAddrRange("x")', { error: "invalid CIDR address: x" }],
  ['"x".inIPAddrRange("10.0.0.0/8")', { error: "invalid IP address: x" }],
  ['"::ffff:10.0.0.1".inIPAddrRange("10.0.0.0/8")', { value: true }],
  ['"10.0.0.1".inIPAddrRange("::ffff:10.0.0.0/104")', { value: true }],
  ['"10.0.0.1".inIPAddrRange("10.0.0.0/08")', { value: true }],
  ['"10.0.0.1".inIPAddrRange("10.0.0.0/33")', { error: "invalid CIDR address: 10.0.0.0/33" }],
  ['"2001:0db8:0000:0000:0000:0000:1000:0000".inIPAddrRange("2001:db8::/48")', { value: true }],
  ['"::1".inIPAddrRange("10.0.0.0/8")', { value: false }],
  ['"010.0.0.1".inIPAddrRange("10.0.0.0/8")', { error: "invalid IP address: 010.0.0.1" }],
  ['"fe80::1%eth0".inIPAddrRange("fe80::/10")', { error: "invalid IP address: fe80::1%eth0" }],
  ["id(1)", { value: 1 }],
  ['id("x") == "x"', { value: true }],
  ['"192.168.0.5".inIPAddrRange("192.168.0.0/24")', { value: true }],
]);
