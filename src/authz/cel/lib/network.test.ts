// network extension: every case was run through `cerbos repl` (Cerbos 0.55) and the table records what
// it answered ({ value }, an evaluation { error }, or { rejected } at compile time).

import { celCases } from "../../../../test/support/cel-cases.ts";

celCases("network extension", [
  ['string(ip("::1"))', { value: "::1" }],
  ['string(cidr("10.0.0.1/8"))', { value: "10.0.0.1/8" }],
  ['type(ip("1.2.3.4")) == net.IP', { value: true }],
  ['ip("1.2.3.4") == ip("1.2.3.4")', { value: true }],
  ['ip("1.2.3.4") != ip("1.2.3.5")', { value: true }],
  ['string(cidr("10.1.2.3/8").ip())', { value: "10.1.2.3" }],
  ['string(cidr("10.1.2.3/8").masked())', { value: "10.0.0.0/8" }],
  ['cidr("192.168.0.0/24").isMask()', { value: true }],
  ['cidr("192.168.0.1/24").isMask()', { value: false }],
  ['cidr("10.0.0.0/7").isMask()', { value: true }],
  [
    'dyn(ip("1.2.3"))',
    {
      rejected:
        'invalid ip argument: IP Address "1.2.3" parse error during conversion from string: ParseAddr("1.2.3"): IPv4 address too short',
    },
  ],
  [
    'dyn(ip("1.2.3.256"))',
    {
      rejected:
        'invalid ip argument: IP Address "1.2.3.256" parse error during conversion from string: ParseAddr("1.2.3.256"): IPv4 field has value >255',
    },
  ],
  [
    'dyn(ip("01.2.3.4"))',
    {
      rejected:
        'invalid ip argument: IP Address "01.2.3.4" parse error during conversion from string: ParseAddr("01.2.3.4"): IPv4 field has octet with leading zero',
    },
  ],
  [
    'dyn(ip("::ffff:1.2.3.4"))',
    { rejected: 'invalid ip argument: IPv4-mapped IPv6 address "::ffff:1.2.3.4" is not allowed' },
  ],
  [
    'dyn(ip(""))',
    {
      rejected:
        'invalid ip argument: IP Address "" parse error during conversion from string: ParseAddr(""): unable to parse IP',
    },
  ],
  [
    'dyn(ip("abc"))',
    {
      rejected:
        'invalid ip argument: IP Address "abc" parse error during conversion from string: ParseAddr("abc"): unable to parse IP',
    },
  ],
  [
    'dyn(ip("1:2:3:4:5:6:7:8:9"))',
    {
      rejected:
        'invalid ip argument: IP Address "1:2:3:4:5:6:7:8:9" parse error during conversion from string: ParseAddr("1:2:3:4:5:6:7:8:9"): trailing garbage after address (at "9")',
    },
  ],
  [
    'dyn(ip("1::2::3"))',
    {
      rejected:
        'invalid ip argument: IP Address "1::2::3" parse error during conversion from string: ParseAddr("1::2::3"): multiple :: in address (at ":3")',
    },
  ],
  [
    'dyn(ip("12345::"))',
    {
      rejected:
        'invalid ip argument: IP Address "12345::" parse error during conversion from string: ParseAddr("12345::"): each group must have 4 or less digits (at "12345::")',
    },
  ],
  [
    'dyn(ip("1.2.3.4.5"))',
    {
      rejected:
        'invalid ip argument: IP Address "1.2.3.4.5" parse error during conversion from string: ParseAddr("1.2.3.4.5"): IPv4 address too long',
    },
  ],
  [
    'dyn(ip("1..2.3"))',
    {
      rejected:
        'invalid ip argument: IP Address "1..2.3" parse error during conversion from string: ParseAddr("1..2.3"): IPv4 field must have at least one digit (at ".2.3")',
    },
  ],
  [
    'dyn(ip("1.2.3.4x"))',
    {
      rejected:
        'invalid ip argument: IP Address "1.2.3.4x" parse error during conversion from string: ParseAddr("1.2.3.4x"): unexpected character (at "x")',
    },
  ],
  [
    'dyn(ip(":1"))',
    {
      rejected:
        'invalid ip argument: IP Address ":1" parse error during conversion from string: ParseAddr(":1"): each colon-separated field must have at least one digit (at ":1")',
    },
  ],
  [
    'dyn(ip("1:"))',
    {
      rejected:
        'invalid ip argument: IP Address "1:" parse error during conversion from string: ParseAddr("1:"): colon must be followed by more characters (at ":")',
    },
  ],
  [
    'dyn(ip("1:2:3:4:5:6:7"))',
    {
      rejected:
        'invalid ip argument: IP Address "1:2:3:4:5:6:7" parse error during conversion from string: ParseAddr("1:2:3:4:5:6:7"): address string too short',
    },
  ],
  [
    'dyn(ip("1:2:3:4:5:6:7:8::"))',
    {
      rejected:
        'invalid ip argument: IP Address "1:2:3:4:5:6:7:8::" parse error during conversion from string: ParseAddr("1:2:3:4:5:6:7:8::"): the :: must expand to at least one field of zeros',
    },
  ],
  [
    'dyn(ip("::1.2.3"))',
    {
      rejected:
        'invalid ip argument: IP Address "::1.2.3" parse error during conversion from string: ParseAddr("::1.2.3"): IPv4 address too short',
    },
  ],
  [
    'dyn(ip("1:2:3:4:5:6:7:1.2.3.4"))',
    {
      rejected:
        'invalid ip argument: IP Address "1:2:3:4:5:6:7:1.2.3.4" parse error during conversion from string: ParseAddr("1:2:3:4:5:6:7:1.2.3.4"): embedded IPv4 address must replace the final 2 fields of the address (at "1.2.3.4")',
    },
  ],
  ['dyn(ip("1:2:3:4:5:6:1.2.3.4"))', { value: "1:2:3:4:5:6:102:304" }],
  [
    'dyn(ip("fffff::"))',
    {
      rejected:
        'invalid ip argument: IP Address "fffff::" parse error during conversion from string: ParseAddr("fffff::"): each group must have 4 or less digits (at "fffff::")',
    },
  ],
  [
    'dyn(ip("g::"))',
    {
      rejected:
        'invalid ip argument: IP Address "g::" parse error during conversion from string: ParseAddr("g::"): each colon-separated field must have at least one digit (at "g::")',
    },
  ],
  [
    'dyn(ip("%eth0"))',
    {
      // The REPL runs the message through a format string once more, mangling `%e` into `%!e(MISSING)`.
      rejected:
        'invalid ip argument: IP Address "%eth0" parse error during conversion from string: ParseAddr("%eth0"): missing IPv6 address',
    },
  ],
  [
    'dyn(ip("fe80::1%"))',
    {
      // As above: the REPL's message reads `"fe80::1%!"(MISSING)`.
      rejected:
        'invalid ip argument: IP Address "fe80::1%" parse error during conversion from string: ParseAddr("fe80::1%"): zone must be a non-empty string',
    },
  ],
  ['string(ip("::1.2.3.4"))', { value: "::102:304" }],
  ['string(ip("2001:DB8:0:0:1:0:0:1"))', { value: "2001:db8::1:0:0:1" }],
  ['string(ip("2001:db8:0:0:0:0:2:1"))', { value: "2001:db8::2:1" }],
  ['string(ip("2001:0:0:1:0:0:0:1"))', { value: "2001:0:0:1::1" }],
  ['string(ip("1:0:0:0:0:0:0:0"))', { value: "1::" }],
  ['string(ip("0:0:0:0:0:0:0:0"))', { value: "::" }],
  ['string(ip("1:2:3:4:5:6:7:0"))', { value: "1:2:3:4:5:6:7:0" }],
  [
    'dyn(cidr("10.0.0.0"))',
    {
      rejected:
        'invalid cidr argument: CIDR "10.0.0.0" parse error during conversion from string: netip.ParsePrefix("10.0.0.0"): no \'/\'',
    },
  ],
  [
    'dyn(cidr("10.0.0.0/33"))',
    {
      rejected:
        'invalid cidr argument: CIDR "10.0.0.0/33" parse error during conversion from string: netip.ParsePrefix("10.0.0.0/33"): prefix length out of range',
    },
  ],
  [
    'dyn(cidr("10.0.0.0/08"))',
    {
      rejected:
        'invalid cidr argument: CIDR "10.0.0.0/08" parse error during conversion from string: netip.ParsePrefix("10.0.0.0/08"): bad bits after slash: "08"',
    },
  ],
  [
    'dyn(cidr("x/8"))',
    {
      rejected:
        'invalid cidr argument: CIDR "x/8" parse error during conversion from string: netip.ParsePrefix("x/8"): ParseAddr("x"): unable to parse IP',
    },
  ],
  [
    'dyn(cidr("10.0.0.0/+8"))',
    {
      rejected:
        'invalid cidr argument: CIDR "10.0.0.0/+8" parse error during conversion from string: netip.ParsePrefix("10.0.0.0/+8"): bad bits after slash: "+8"',
    },
  ],
  [
    'dyn(cidr("10.0.0.0/"))',
    {
      rejected:
        'invalid cidr argument: CIDR "10.0.0.0/" parse error during conversion from string: netip.ParsePrefix("10.0.0.0/"): bad bits after slash: ""',
    },
  ],
  [
    'dyn(cidr("::ffff:1.2.3.4/96"))',
    {
      rejected:
        'invalid cidr argument: IPv4-mapped IPv6 address "::ffff:1.2.3.4/96" is not allowed',
    },
  ],
  [
    'dyn(cidr("::/129"))',
    {
      rejected:
        'invalid cidr argument: CIDR "::/129" parse error during conversion from string: netip.ParsePrefix("::/129"): prefix length out of range',
    },
  ],
  ['string(cidr("::/0"))', { value: "::/0" }],
  ['cidr("10.0.0.0/8").containsIP("::1")', { value: false }],
  ['cidr("::/0").containsCIDR("10.0.0.0/8")', { value: false }],
  ['cidr("10.0.0.0/8").containsCIDR("10.1.0.0/16")', { value: true }],
  ['cidr("10.1.0.0/16").containsCIDR("10.0.0.0/8")', { value: false }],
  ['cidr("10.0.0.0/8").containsCIDR(cidr("10.0.0.0/8"))', { value: true }],
  [
    'cidr("10.0.0.0/8").containsIP("x")',
    {
      error:
        'IP Address "x" parse error during conversion from string: ParseAddr("x"): unable to parse IP',
    },
  ],
  ['ip.isCanonical("2001:db8::1")', { value: true }],
  ['ip.isCanonical("2001:DB8::1")', { value: false }],
  ['ip.isCanonical("2001:db8:0:0:0:0:0:1")', { value: false }],
  [
    'ip.isCanonical("1.2.3")',
    {
      error:
        'IP Address "1.2.3" parse error during conversion from string: ParseAddr("1.2.3"): IPv4 address too short',
    },
  ],
  ['ip.isCanonical("127.0.0.1")', { value: true }],
  ['ip("255.255.255.255").isGlobalUnicast()', { value: false }],
  ['ip("10.0.0.1").isGlobalUnicast()', { value: true }],
  ['ip("fc00::1").isGlobalUnicast()', { value: true }],
  ['ip("ff02::1").isLinkLocalMulticast()', { value: true }],
  ['ip("224.0.0.1").isLinkLocalMulticast()', { value: true }],
  ['ip("224.0.1.1").isLinkLocalMulticast()', { value: false }],
  ['ip("169.254.1.1").isLinkLocalUnicast()', { value: true }],
  ['ip("fe80::1").isLinkLocalUnicast()', { value: true }],
  ['ip("febf::1").isLinkLocalUnicast()', { value: true }],
  ['ip("fec0::1").isLinkLocalUnicast()', { value: false }],
  ['ip("127.1.2.3").isLoopback()', { value: true }],
  ['ip("::1").isLoopback()', { value: true }],
  ['ip("0.0.0.0").isUnspecified()', { value: true }],
  ['ip("::").isUnspecified()', { value: true }],
  ['ip("::").isGlobalUnicast()', { value: false }],
  ['ip("1.2.3.4").family()', { value: 4 }],
  ['ip("::1").family()', { value: 6 }],
  ['isIP("1.2.3.4%x")', { value: false }],
  ['isIP("::1")', { value: true }],
  ['isCIDR("::1/128")', { value: true }],
  ['isCIDR("1.2.3.4")', { value: false }],
  ['cidr("1.2.3.4/24") == cidr("1.2.3.0/24")', { value: false }],
  ['cidr("1.2.3.4/24").prefixLength()', { value: 24 }],
  [
    'cidr("10.0.0.0/99999999999999999999").prefixLength()',
    {
      rejected:
        'invalid cidr argument: CIDR "10.0.0.0/99999999999999999999" parse error during conversion from string: netip.ParsePrefix("10.0.0.0/99999999999999999999"): bad bits after slash: "99999999999999999999"',
    },
  ],
  [
    'cidr("10.0.0.0/999").prefixLength()',
    {
      rejected:
        'invalid cidr argument: CIDR "10.0.0.0/999" parse error during conversion from string: netip.ParsePrefix("10.0.0.0/999"): prefix length out of range',
    },
  ],
  ['cidr("10.0.0.0/8").containsCIDR("10.0.0.0/7")', { value: false }],
  ['cidr("10.0.0.0/8").containsIP(ip("10.255.255.255"))', { value: true }],
  ['cidr("10.0.0.0/0").containsIP("1.1.1.1")', { value: true }],
  ['cidr("2001:db8::/32").containsIP("2001:db8:ffff::1")', { value: true }],
  ['cidr("2001:db8::/33").containsIP("2001:db8:8000::1")', { value: false }],
  ['string(cidr("2001:db8::1/32").masked())', { value: "2001:db8::/32" }],
  ['cidr("1.2.3.4/32").isMask()', { value: true }],
]);
