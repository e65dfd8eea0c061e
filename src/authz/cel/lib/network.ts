// cel-go's network extension (new in Cerbos 0.55): the opaque types net.IP and net.CIDR,
// ip(), cidr(), isIP(), isCIDR(), ip.isCanonical(), the IP predicates, CIDR containment,
// masking, prefix length, and string() conversions. IPv4-mapped IPv6 addresses and zones are
// rejected, as cel-go does.

import type { CelLibrary } from "../library.ts";
import { T } from "../types.ts";
import { CelError, type CelOpaqueValue, type CelResult, type CelValue } from "../value.ts";
import {
  addrEquals,
  formatAddr,
  formatPrefix,
  is4,
  is4In6,
  isGlobalUnicast,
  isLinkLocalMulticast,
  isLinkLocalUnicast,
  isLoopback,
  isUnspecified,
  maskAddr,
  parseAddr,
  parsePrefix,
  prefixContains,
  prefixOverlaps,
  type Addr,
  type Prefix,
} from "./ip-address.ts";
import { quote } from "./strings.ts";
import { noSuchOverload } from "./value-ops.ts";

export class CelIP implements CelOpaqueValue {
  readonly celTypeName = "net.IP";
  readonly addr: Addr;
  constructor(addr: Addr) {
    this.addr = addr;
  }
  celEquals(other: CelOpaqueValue): boolean {
    return other instanceof CelIP && addrEquals(this.addr, other.addr);
  }
  toString(): string {
    return formatAddr(this.addr);
  }
}

export class CelCIDR implements CelOpaqueValue {
  readonly celTypeName = "net.CIDR";
  readonly prefix: Prefix;
  constructor(prefix: Prefix) {
    this.prefix = prefix;
  }
  celEquals(other: CelOpaqueValue): boolean {
    return (
      other instanceof CelCIDR &&
      other.prefix.bits === this.prefix.bits &&
      addrEquals(this.prefix.addr, other.prefix.addr)
    );
  }
  toString(): string {
    return formatPrefix(this.prefix);
  }
}

function parseIP(s: string): Addr | CelError {
  const r = parseAddr(s);
  if (r.ok && r.value.zone === "" && !is4In6(r.value)) return r.value;
  const q = quote(s) as string;
  if (!r.ok) {
    return new CelError(`IP Address ${q} parse error during conversion from string: ${r.error}`);
  }
  if (r.value.zone !== "") return new CelError(`IP address ${q} with zone value is not allowed`);
  return new CelError(`IPv4-mapped IPv6 address ${q} is not allowed`);
}

/** Parsed CIDRs by text: policies compare request IPs against a few literal ranges. */
const cidrCache = new Map<string, Prefix | CelError>();

function parseCIDR(s: string): Prefix | CelError {
  const hit = cidrCache.get(s);
  if (hit !== undefined) return hit;
  const r = parsePrefix(s);
  let out: Prefix | CelError;
  if (!r.ok) {
    out = new CelError(
      `CIDR ${quote(s) as string} parse error during conversion from string: ${r.error}`,
    );
  } else if (is4In6(r.value.addr)) {
    out = new CelError(`IPv4-mapped IPv6 address ${quote(s) as string} is not allowed`);
  } else out = r.value;
  if (cidrCache.size >= 1000) cidrCache.clear();
  cidrCache.set(s, out);
  return out;
}

function ip(s: CelValue): CelResult {
  if (typeof s !== "string") return noSuchOverload();
  const a = parseIP(s);
  return a instanceof CelError ? a : new CelIP(a);
}

function cidr(s: CelValue): CelResult {
  if (typeof s !== "string") return noSuchOverload();
  const p = parseCIDR(s);
  return p instanceof CelError ? p : new CelCIDR(p);
}

function ipPredicate(f: (a: Addr) => boolean): (v: CelValue) => CelResult {
  return (v) => (v instanceof CelIP ? f(v.addr) : noSuchOverload());
}

function containsIP(c: CelValue, x: CelValue): CelResult {
  if (!(c instanceof CelCIDR)) return noSuchOverload();
  let addr: Addr;
  if (x instanceof CelIP) addr = x.addr;
  else if (typeof x === "string") {
    const a = parseIP(x);
    if (a instanceof CelError) return a;
    addr = a;
  } else return noSuchOverload();
  return prefixContains(c.prefix, addr);
}

function containsCIDR(c: CelValue, x: CelValue): CelResult {
  if (!(c instanceof CelCIDR)) return noSuchOverload();
  let child: Prefix;
  if (x instanceof CelCIDR) child = x.prefix;
  else if (typeof x === "string") {
    const p = parseCIDR(x);
    if (p instanceof CelError) return p;
    child = p;
  } else return noSuchOverload();
  return prefixOverlaps(c.prefix, child) && c.prefix.bits <= child.bits;
}

const IP_T = T.opaque("net.IP");
const CIDR_T = T.opaque("net.CIDR");
const S = T.string;
const B = T.bool;

function ipMethod(name: string, id: string, f: (a: Addr) => boolean) {
  return { name, overloads: [{ id, receiver: IP_T, params: [], result: B, impl: ipPredicate(f) }] };
}

export const networkLibrary: CelLibrary = {
  name: "cel.lib.ext.network",
  // Field-less messages name the opaque types, so `type(x) == net.IP` resolves.
  messages: [
    { name: "net.IP", fields: {} },
    { name: "net.CIDR", fields: {} },
  ],
  functions: [
    {
      name: "isIP",
      overloads: [
        {
          id: "is_ip",
          params: [S],
          result: B,
          impl: (s) =>
            typeof s === "string" ? !(parseIP(s) instanceof CelError) : noSuchOverload(),
        },
      ],
    },
    {
      name: "isCIDR",
      overloads: [
        {
          id: "is_cidr",
          params: [S],
          result: B,
          impl: (s) =>
            typeof s === "string" ? !(parseCIDR(s) instanceof CelError) : noSuchOverload(),
        },
      ],
    },
    {
      name: "ip",
      overloads: [
        { id: "string_to_ip", params: [S], result: IP_T, impl: ip },
        {
          id: "cidr_ip",
          receiver: CIDR_T,
          params: [],
          result: IP_T,
          impl: (c) => (c instanceof CelCIDR ? new CelIP(c.prefix.addr) : noSuchOverload()),
        },
      ],
    },
    {
      name: "cidr",
      overloads: [{ id: "string_to_cidr", params: [S], result: CIDR_T, impl: cidr }],
    },
    {
      name: "family",
      overloads: [
        {
          id: "ip_family",
          receiver: IP_T,
          params: [],
          result: T.int,
          impl: (v) => (v instanceof CelIP ? (is4(v.addr) ? 4n : 6n) : noSuchOverload()),
        },
      ],
    },
    {
      name: "ip.isCanonical",
      overloads: [
        {
          id: "ip_is_canonical",
          params: [S],
          result: B,
          impl: (s) => {
            if (typeof s !== "string") return noSuchOverload();
            const a = parseIP(s);
            return a instanceof CelError ? a : formatAddr(a) === s;
          },
        },
      ],
    },
    ipMethod("isLoopback", "ip_is_loopback", isLoopback),
    ipMethod("isGlobalUnicast", "ip_is_global_unicast", isGlobalUnicast),
    ipMethod("isUnspecified", "ip_is_unspecified", isUnspecified),
    ipMethod("isLinkLocalMulticast", "ip_is_link_local_multicast", isLinkLocalMulticast),
    ipMethod("isLinkLocalUnicast", "ip_is_link_local_unicast", isLinkLocalUnicast),
    {
      name: "containsIP",
      overloads: [
        { id: "cidr_contains_ip", receiver: CIDR_T, params: [IP_T], result: B, impl: containsIP },
        {
          id: "cidr_contains_ip_string",
          receiver: CIDR_T,
          params: [S],
          result: B,
          impl: containsIP,
        },
      ],
    },
    {
      name: "containsCIDR",
      overloads: [
        {
          id: "cidr_contains_cidr",
          receiver: CIDR_T,
          params: [CIDR_T],
          result: B,
          impl: containsCIDR,
        },
        {
          id: "cidr_contains_cidr_string",
          receiver: CIDR_T,
          params: [S],
          result: B,
          impl: containsCIDR,
        },
      ],
    },
    {
      name: "masked",
      overloads: [
        {
          id: "cidr_masked",
          receiver: CIDR_T,
          params: [],
          result: CIDR_T,
          impl: (c) =>
            c instanceof CelCIDR
              ? new CelCIDR({ addr: maskAddr(c.prefix.addr, c.prefix.bits), bits: c.prefix.bits })
              : noSuchOverload(),
        },
      ],
    },
    {
      name: "isMask",
      overloads: [
        {
          id: "cidr_is_mask",
          receiver: CIDR_T,
          params: [],
          result: B,
          // REPL: cidr("192.168.0.0/24").isMask() is true, cidr("192.168.0.1/24").isMask() false.
          impl: (c) =>
            c instanceof CelCIDR
              ? addrEquals(maskAddr(c.prefix.addr, c.prefix.bits), c.prefix.addr)
              : noSuchOverload(),
        },
      ],
    },
    {
      name: "prefixLength",
      overloads: [
        {
          id: "cidr_prefix_length",
          receiver: CIDR_T,
          params: [],
          result: T.int,
          impl: (c) => (c instanceof CelCIDR ? BigInt(c.prefix.bits) : noSuchOverload()),
        },
      ],
    },
    {
      // Conversions to string, added to the standard `string` function's overloads.
      name: "string",
      overloads: [
        {
          id: "ip_to_string",
          params: [IP_T],
          result: S,
          impl: (v) => (v instanceof CelIP ? formatAddr(v.addr) : noSuchOverload()),
        },
        {
          id: "cidr_to_string",
          params: [CIDR_T],
          result: S,
          impl: (v) => (v instanceof CelCIDR ? formatPrefix(v.prefix) : noSuchOverload()),
        },
      ],
    },
  ],
};
