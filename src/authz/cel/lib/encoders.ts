// cel-go's encoders extension: base64.encode(bytes) and base64.decode(string). Decoding
// follows Go: standard alphabet, padded input first, then unpadded; CR and LF are skipped;
// a failure names the offending byte offset as Go's "illegal base64 data at input byte N".

import type { CelLibrary } from "../library.ts";
import { T } from "../types.ts";
import { CelError, type CelResult, type CelValue } from "../value.ts";
import { noSuchOverload } from "./value-ops.ts";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DECODE = new Map<string, number>(Array.from(ALPHABET, (c, i) => [c, i] as [string, number]));

export function base64Encode(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i] as number;
    const b1 = bytes[i + 1];
    const b2 = bytes[i + 2];
    const n = (b0 << 16) | ((b1 ?? 0) << 8) | (b2 ?? 0);
    out += ALPHABET[(n >> 18) & 63];
    out += ALPHABET[(n >> 12) & 63];
    out += b1 === undefined ? "=" : ALPHABET[(n >> 6) & 63];
    out += b2 === undefined ? "=" : ALPHABET[n & 63];
  }
  return out;
}

/**
 * Go's base64 decoding loop: quanta of four symbols, CR/LF skipped anywhere, `=` padding only
 * when `padded` (StdEncoding) and only as a final "xy==" or "xyz=". Returns the bytes, or the
 * offset Go's CorruptInputError would report.
 */
function decode(s: string, padded: boolean): Uint8Array | number {
  const out: number[] = [];
  let si = 0;
  for (;;) {
    const q: number[] = [];
    let dlen = 4;
    for (let j = 0; j < 4; j++) {
      if (si === s.length) {
        if (j === 0) return Uint8Array.from(out);
        if (j === 1 || padded) return si - j;
        dlen = j;
        break;
      }
      const c = s[si] as string;
      si++;
      const v = DECODE.get(c);
      if (v !== undefined) {
        q.push(v);
        continue;
      }
      if (c === "\n" || c === "\r") {
        j--;
        continue;
      }
      if (!padded || c !== "=") return si - 1;
      // Padding: "xy" needs "==", "xyz" needs "=", nothing may follow but newlines.
      if (j < 2) return si - 1;
      if (j === 2) {
        while (si < s.length && (s[si] === "\n" || s[si] === "\r")) si++;
        if (si === s.length) return s.length;
        if (s[si] !== "=") return si - 1;
        si++;
      }
      while (si < s.length && (s[si] === "\n" || s[si] === "\r")) si++;
      if (si < s.length) return si;
      dlen = j;
      break;
    }
    const [a = 0, b = 0, c = 0, d = 0] = q;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out.push((n >> 16) & 255);
    if (dlen >= 3) out.push((n >> 8) & 255);
    if (dlen === 4) out.push(n & 255);
    if (dlen < 4) return Uint8Array.from(out);
  }
}

export function base64Decode(s: string): Uint8Array | CelError {
  const std = decode(s, true);
  if (std instanceof Uint8Array) return std;
  const raw = decode(s, false);
  if (raw instanceof Uint8Array) return raw;
  return new CelError(`illegal base64 data at input byte ${raw}`);
}

export const encodersLibrary: CelLibrary = {
  name: "cel.lib.ext.encoders",
  functions: [
    {
      name: "base64.encode",
      overloads: [
        {
          id: "base64_encode_bytes",
          params: [T.bytes],
          result: T.string,
          impl: (b: CelValue): CelResult =>
            b instanceof Uint8Array ? base64Encode(b) : noSuchOverload(),
        },
      ],
    },
    {
      name: "base64.decode",
      overloads: [
        {
          id: "base64_decode_string",
          params: [T.string],
          result: T.bytes,
          impl: (s: CelValue): CelResult =>
            typeof s === "string" ? base64Decode(s) : noSuchOverload(),
        },
      ],
    },
  ],
};
