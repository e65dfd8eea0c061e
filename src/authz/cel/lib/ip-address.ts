// IP addresses and prefixes with the semantics of Go's net/netip, which cel-go's network
// library and Cerbos's inIPAddrRange are built on: strict parsing (no leading zeros in IPv4
// octets, at most one `::`), RFC 5952 formatting, and Go's exact error messages. Hand-written
// rather than ipaddr.js because ipaddr.js accepts forms Go rejects (octal and short IPv4).

import { quote } from "./strings.ts";

/** An address: 4 bytes for IPv4, 16 for IPv6 (IPv4-mapped IPv6 stays 16 bytes, as in netip). */
export interface Addr {
  readonly bytes: Uint8Array;
  readonly zone: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function addrError(input: string, msg: string, at?: string): Parsed<Addr> {
  const where = at ? ` (at ${quote(at) as string})` : "";
  return { ok: false, error: `ParseAddr(${quote(input) as string}): ${msg}${where}` };
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

/** Parses the IPv4 dotted quad in[off:end] into `fields`; an error message on failure. */
function parseIPv4Fields(
  input: string,
  off: number,
  end: number,
  fields: Uint8Array,
  at: number,
): Parsed<Addr> | undefined {
  const s = input.slice(off, end);
  let val = 0;
  let pos = 0;
  let digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (isDigit(c)) {
      if (digits === 1 && val === 0)
        return addrError(input, "IPv4 field has octet with leading zero");
      val = val * 10 + (c.charCodeAt(0) - 48);
      digits++;
      if (val > 255) return addrError(input, "IPv4 field has value >255");
    } else if (c === ".") {
      if (i === 0 || i === s.length - 1 || s[i - 1] === ".") {
        return addrError(input, "IPv4 field must have at least one digit", s.slice(i));
      }
      if (pos === 3) return addrError(input, "IPv4 address too long");
      fields[at + pos] = val;
      pos++;
      val = 0;
      digits = 0;
    } else {
      return addrError(input, "unexpected character", s.slice(i));
    }
  }
  if (pos < 3) return addrError(input, "IPv4 address too short");
  fields[at + 3] = val;
  return undefined;
}

function parseIPv4(input: string): Parsed<Addr> {
  const bytes = new Uint8Array(4);
  const err = parseIPv4Fields(input, 0, input.length, bytes, 0);
  return err ?? { ok: true, value: { bytes, zone: "" } };
}

function hexValue(c: string): number {
  if (c >= "0" && c <= "9") return c.charCodeAt(0) - 48;
  if (c >= "a" && c <= "f") return c.charCodeAt(0) - 87;
  if (c >= "A" && c <= "F") return c.charCodeAt(0) - 55;
  return -1;
}

function parseIPv6(input: string): Parsed<Addr> {
  let s = input;
  let zone = "";
  const pct = s.indexOf("%");
  if (pct !== -1) {
    zone = s.slice(pct + 1);
    s = s.slice(0, pct);
    if (zone === "") return addrError(input, "zone must be a non-empty string");
  }
  const ip = new Uint8Array(16);
  let ellipsis = -1;
  if (s.length >= 2 && s[0] === ":" && s[1] === ":") {
    ellipsis = 0;
    s = s.slice(2);
    if (s.length === 0) return { ok: true, value: { bytes: ip, zone } };
  }
  let i = 0;
  while (i < 16) {
    let off = 0;
    let acc = 0;
    for (; off < s.length; off++) {
      const h = hexValue(s[off] as string);
      if (h < 0) break;
      acc = acc * 16 + h;
      if (off > 3) return addrError(input, "each group must have 4 or less digits", s);
      if (acc > 0xffff) return addrError(input, "IPv6 field has value >=2^16", s);
    }
    if (off === 0)
      return addrError(input, "each colon-separated field must have at least one digit", s);
    if (off < s.length && s[off] === ".") {
      if (ellipsis < 0 && i !== 12) {
        return addrError(
          input,
          "embedded IPv4 address must replace the final 2 fields of the address",
          s,
        );
      }
      if (i + 4 > 16) {
        return addrError(
          input,
          "too many hex fields to fit an embedded IPv4 at the end of the address",
          s,
        );
      }
      let end = input.length;
      if (zone.length > 0) end -= zone.length + 1;
      const err = parseIPv4Fields(input, end - s.length, end, ip, i);
      if (err) return err;
      s = "";
      i += 4;
      break;
    }
    ip[i] = acc >> 8;
    ip[i + 1] = acc & 0xff;
    i += 2;
    s = s.slice(off);
    if (s.length === 0) break;
    if (s[0] !== ":") return addrError(input, "unexpected character, want colon", s);
    if (s.length === 1) return addrError(input, "colon must be followed by more characters", s);
    s = s.slice(1);
    if (s[0] === ":") {
      if (ellipsis >= 0) return addrError(input, "multiple :: in address", s);
      ellipsis = i;
      s = s.slice(1);
      if (s.length === 0) break;
    }
  }
  if (s.length !== 0) return addrError(input, "trailing garbage after address", s);
  if (i < 16) {
    if (ellipsis < 0) return addrError(input, "address string too short");
    const n = 16 - i;
    for (let j = i - 1; j >= ellipsis; j--) ip[j + n] = ip[j] as number;
    ip.fill(0, ellipsis, ellipsis + n);
  } else if (ellipsis >= 0) {
    return addrError(input, "the :: must expand to at least one field of zeros");
  }
  return { ok: true, value: { bytes: ip, zone } };
}

/** Go's netip.ParseAddr. */
export function parseAddr(s: string): Parsed<Addr> {
  for (const c of s) {
    if (c === ".") return parseIPv4(s);
    if (c === ":") return parseIPv6(s);
    if (c === "%") return addrError(s, "missing IPv6 address");
  }
  return addrError(s, "unable to parse IP");
}

export function is4(a: Addr): boolean {
  return a.bytes.length === 4;
}

/** An IPv6 address of the form ::ffff:a.b.c.d. */
export function is4In6(a: Addr): boolean {
  const b = a.bytes;
  if (b.length !== 16) return false;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** Go's Addr.String(): dotted quad, or RFC 5952 IPv6 (longest zero run of 2+ groups as `::`). */
export function formatAddr(a: Addr): string {
  const b = a.bytes;
  if (b.length === 4) return Array.from(b).join(".");
  const zone = a.zone ? `%${a.zone}` : "";
  if (is4In6(a)) return `::ffff:${Array.from(b.slice(12)).join(".")}${zone}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] as number) << 8) | (b[i + 1] as number));
  let zs = -1;
  let ze = -1;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i >= 2 && j - i > ze - zs) {
      zs = i;
      ze = j;
    }
  }
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (i === zs) {
      out += "::";
      i = ze;
      if (i >= 8) break;
    } else if (i > 0) out += ":";
    out += (groups[i] as number).toString(16);
  }
  return out + zone;
}

export function addrEquals(a: Addr, b: Addr): boolean {
  if (a.bytes.length !== b.bytes.length || a.zone !== b.zone) return false;
  for (let i = 0; i < a.bytes.length; i++) if (a.bytes[i] !== b.bytes[i]) return false;
  return true;
}

export function isUnspecified(a: Addr): boolean {
  return a.bytes.every((x) => x === 0);
}

export function isLoopback(a: Addr): boolean {
  if (is4(a)) return a.bytes[0] === 127;
  return a.bytes.every((x, i) => x === (i === 15 ? 1 : 0));
}

export function isMulticast(a: Addr): boolean {
  if (is4(a)) return ((a.bytes[0] as number) & 0xf0) === 0xe0;
  return a.bytes[0] === 0xff;
}

export function isLinkLocalUnicast(a: Addr): boolean {
  if (is4(a)) return a.bytes[0] === 169 && a.bytes[1] === 254;
  return a.bytes[0] === 0xfe && ((a.bytes[1] as number) & 0xc0) === 0x80;
}

export function isLinkLocalMulticast(a: Addr): boolean {
  if (is4(a)) return a.bytes[0] === 224 && a.bytes[1] === 0 && a.bytes[2] === 0;
  return a.bytes[0] === 0xff && ((a.bytes[1] as number) & 0x0f) === 0x02;
}

/** Go's Addr.IsGlobalUnicast: private ranges count as global; broadcast and unspecified do not. */
export function isGlobalUnicast(a: Addr): boolean {
  if (is4(a) && a.bytes.every((x) => x === 255)) return false;
  return !isUnspecified(a) && !isLoopback(a) && !isMulticast(a) && !isLinkLocalUnicast(a);
}

export interface Prefix {
  readonly addr: Addr;
  readonly bits: number;
}

function prefixError(input: string, msg: string): Parsed<Prefix> {
  return { ok: false, error: `netip.ParsePrefix(${quote(input) as string}): ${msg}` };
}

/** Go's netip.ParsePrefix: the address is kept as written (not masked). */
export function parsePrefix(s: string): Parsed<Prefix> {
  const slash = s.lastIndexOf("/");
  if (slash < 0) return prefixError(s, "no '/'");
  const addr = parseAddr(s.slice(0, slash));
  if (!addr.ok) return prefixError(s, addr.error);
  if (!is4(addr.value) && addr.value.zone !== "")
    return prefixError(s, "IPv6 zones cannot be present in a prefix");
  const bitsStr = s.slice(slash + 1);
  const bad = prefixError(s, `bad bits after slash: ${quote(bitsStr) as string}`);
  // Go refuses a sign or leading zeros ("08", "+8"), which strconv.Atoi alone would accept.
  if (!/^(0|[1-9][0-9]*)$/.test(bitsStr)) return bad;
  if (BigInt(bitsStr) > 0x7fffffffffffffffn) return bad; // strconv.Atoi overflows
  const bits = Number(bitsStr);
  if (bits > (is4(addr.value) ? 32 : 128)) return prefixError(s, "prefix length out of range");
  return { ok: true, value: { addr: addr.value, bits } };
}

/** True when the first `bits` bits of a and b agree. */
function samePrefixBits(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (a[i] !== b[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (((a[whole] as number) ^ (b[whole] as number)) & mask) === 0;
}

export function prefixContains(p: Prefix, a: Addr): boolean {
  if (a.zone !== "" || p.addr.bytes.length !== a.bytes.length) return false;
  return samePrefixBits(p.addr.bytes, a.bytes, p.bits);
}

export function prefixOverlaps(p: Prefix, o: Prefix): boolean {
  if (p.addr.bytes.length !== o.addr.bytes.length) return false;
  return samePrefixBits(p.addr.bytes, o.addr.bytes, Math.min(p.bits, o.bits));
}

export function maskAddr(a: Addr, bits: number): Addr {
  const out = new Uint8Array(a.bytes.length);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    out[i] = (a.bytes[i] as number) & ((0xff << (8 - keep)) & 0xff);
  }
  return { bytes: out, zone: "" };
}

export function formatPrefix(p: Prefix): string {
  return `${formatAddr(p.addr)}/${p.bits}`;
}

interface LegacyNetwork {
  readonly bytes: Uint8Array;
  readonly bits: number;
}

const legacyNetworks = new Map<string, LegacyNetwork | undefined>();

function to4(a: Addr): Uint8Array {
  return is4(a) ? a.bytes : is4In6(a) ? a.bytes.slice(12) : a.bytes;
}

/** Go's net.ParseCIDR reduced to what IPNet.Contains uses; undefined when invalid. Cached by text. */
function parseLegacyNetwork(cidrText: string): LegacyNetwork | undefined {
  if (legacyNetworks.has(cidrText)) return legacyNetworks.get(cidrText);
  let out: LegacyNetwork | undefined;
  const slash = cidrText.indexOf("/");
  const net = slash < 0 ? undefined : parseAddr(cidrText.slice(0, slash));
  const maskText = cidrText.slice(slash + 1);
  if (net?.ok && net.value.zone === "" && /^[0-9]+$/.test(maskText)) {
    const netLen = is4(net.value) ? 4 : 16;
    const n = Number(maskText);
    if (n <= 8 * netLen) {
      const bytes = to4(net.value);
      // A 16-byte mask on an IPv4(-mapped) network uses its last four bytes (networkNumberAndMask).
      out = { bytes, bits: netLen === 16 && bytes.length === 4 ? Math.max(0, n - 96) : n };
    }
  }
  if (legacyNetworks.size >= 1000) legacyNetworks.clear();
  legacyNetworks.set(cidrText, out);
  return out;
}

/**
 * Go's net.ParseIP + net.ParseCIDR + IPNet.Contains, as Cerbos's `inIPAddrRange` uses them:
 * IPv4-mapped IPv6 addresses count as IPv4, and the CIDR keeps the family it was written in.
 */
export function legacyInRange(ipText: string, cidrText: string): boolean | { error: string } {
  const ip = parseAddr(ipText);
  if (!ip.ok || ip.value.zone !== "") return { error: `invalid IP address: ${ipText}` };
  const net = parseLegacyNetwork(cidrText);
  if (net === undefined) return { error: `invalid CIDR address: ${cidrText}` };
  const ipBytes = to4(ip.value);
  if (ipBytes.length !== net.bytes.length) return false;
  return samePrefixBits(ipBytes, net.bytes, net.bits);
}
