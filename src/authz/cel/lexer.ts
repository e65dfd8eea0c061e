// Splits CEL source text into tokens, decoding literals (numbers, strings, bytes) the way
// cel-go's grammar does. Errors are returned as tokens of kind "error" so the parser can
// report them with their position.

import { CelUint } from "./value.ts";

export type TokenKind =
  | "int"
  | "uint"
  | "double"
  | "string"
  | "bytes"
  | "ident"
  /** A backquoted field name: `a.\`content-type\``. */
  | "quoted"
  | "punct"
  | "eof"
  | "error";

export interface Token {
  readonly kind: TokenKind;
  /** For punctuation and identifiers the text; for errors the message. */
  readonly text: string;
  readonly offset: number;
  readonly end: number;
  readonly value?: bigint | CelUint | number | string | Uint8Array;
}

const PUNCTS = [
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "<",
  ">",
  "!",
  "+",
  "-",
  "*",
  "/",
  "%",
  "?",
  ":",
  ".",
  ",",
  "[",
  "]",
  "(",
  ")",
  "{",
  "}",
];

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}
function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}
function isIdentStart(c: string | undefined): boolean {
  return c !== undefined && (c === "_" || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z"));
}
function isIdentPart(c: string | undefined): boolean {
  return isIdentStart(c) || isDigit(c);
}

const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f") {
      i++;
      continue;
    }
    if (c === "/" && src[i + 1] === "/") {
      while (i < n && src[i] !== "\n") i++;
      continue;
    }
    const start = i;
    // String and bytes literals with optional r/b prefixes in any order.
    let j = i;
    let raw = false;
    let bytes = false;
    while (j < n && j - i < 2) {
      const p = src[j]!;
      if ((p === "r" || p === "R") && !raw) raw = true;
      else if ((p === "b" || p === "B") && !bytes) bytes = true;
      else break;
      j++;
    }
    if (src[j] === '"' || src[j] === "'") {
      const tok = lexString(src, start, j, raw, bytes);
      tokens.push(tok);
      if (tok.kind === "error") return tokens;
      i = tok.end;
      continue;
    }
    if (isDigit(c) || (c === "." && isDigit(src[i + 1]))) {
      const tok = lexNumber(src, i);
      tokens.push(tok);
      if (tok.kind === "error") return tokens;
      i = tok.end;
      continue;
    }
    if (c === "`") {
      j = src.indexOf("`", i + 1);
      const name = j < 0 ? "" : src.slice(i + 1, j);
      if (j < 0 || !/^[_a-zA-Z0-9.\-/ ]+$/.test(name)) {
        tokens.push({ kind: "error", text: "invalid quoted identifier", offset: i, end: i + 1 });
        return tokens;
      }
      tokens.push({ kind: "quoted", text: name, offset: i, end: j + 1 });
      i = j + 1;
      continue;
    }
    if (isIdentStart(c)) {
      j = i + 1;
      while (j < n && isIdentPart(src[j])) j++;
      tokens.push({ kind: "ident", text: src.slice(i, j), offset: i, end: j });
      i = j;
      continue;
    }
    const p = PUNCTS.find((q) => src.startsWith(q, i));
    if (p === undefined) {
      // ANTLR reports the characters it consumed: a lone `=`, `&` or `|` plus the next one.
      const seen = "=&|".includes(c) && i + 1 < n ? src.slice(i, i + 2) : c;
      tokens.push({
        kind: "error",
        text: `token recognition error at: '${seen}'`,
        offset: i,
        end: i + 1,
      });
      return tokens;
    }
    tokens.push({ kind: "punct", text: p, offset: i, end: i + p.length });
    i += p.length;
  }
  tokens.push({ kind: "eof", text: "<EOF>", offset: n, end: n });
  return tokens;
}

function lexNumber(src: string, start: number): Token {
  let i = start;
  const n = src.length;
  if (src[i] === "0" && (src[i + 1] === "x" || src[i + 1] === "X") && isHex(src[i + 2])) {
    i += 2;
    while (i < n && isHex(src[i])) i++;
    const v = BigInt(src.slice(start, i));
    return intToken(src, start, i, v);
  }
  while (isDigit(src[i])) i++;
  let isDouble = false;
  if (src[i] === "." && isDigit(src[i + 1])) {
    isDouble = true;
    i++;
    while (isDigit(src[i])) i++;
  }
  if (src[i] === "e" || src[i] === "E") {
    let k = i + 1;
    if (src[k] === "+" || src[k] === "-") k++;
    if (isDigit(src[k])) {
      isDouble = true;
      while (isDigit(src[k])) k++;
      i = k;
    }
  }
  if (isDouble) {
    if (!Number.isFinite(Number(src.slice(start, i))))
      return { kind: "error", text: "invalid double literal", offset: start, end: i };
    return {
      kind: "double",
      text: src.slice(start, i),
      offset: start,
      end: i,
      value: Number(src.slice(start, i)),
    };
  }
  return intToken(src, start, i, BigInt(src.slice(start, i)));
}

function intToken(src: string, start: number, end: number, v: bigint): Token {
  if (src[end] === "u" || src[end] === "U") {
    if (v > UINT64_MAX)
      return { kind: "error", text: "invalid uint literal", offset: start, end: end + 1 };
    return {
      kind: "uint",
      text: src.slice(start, end + 1),
      offset: start,
      end: end + 1,
      value: new CelUint(v),
    };
  }
  // The magnitude may be 2^63 when a minus sign precedes it; the parser checks the range.
  if (v > INT64_MAX + 1n) return { kind: "error", text: "invalid int literal", offset: start, end };
  return { kind: "int", text: src.slice(start, end), offset: start, end, value: v };
}

const SIMPLE_ESCAPES: Record<string, number> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  "\\": 92,
  "'": 39,
  '"': 34,
  "`": 96,
  "?": 63,
};

function lexString(
  src: string,
  start: number,
  quotePos: number,
  raw: boolean,
  bytes: boolean,
): Token {
  const q = src[quotePos]!;
  const triple = src.startsWith(q + q + q, quotePos);
  const delim = triple ? q + q + q : q;
  let i = quotePos + delim.length;
  const n = src.length;
  // Collect code points (for strings) or bytes (for bytes literals).
  const out: number[] = [];
  const enc = new TextEncoder();
  const pushCodePoint = (cp: number): void => {
    if (bytes) {
      for (const b of enc.encode(String.fromCodePoint(cp))) out.push(b);
    } else out.push(cp);
  };
  const err = (msg: string, at: number): Token => ({
    kind: "error",
    text: msg,
    offset: at,
    end: at + 1,
  });
  for (;;) {
    if (i >= n) return err("unterminated string literal", start);
    if (src.startsWith(delim, i)) {
      i += delim.length;
      break;
    }
    const c = src[i]!;
    if (!triple && (c === "\n" || c === "\r")) return err("unterminated string literal", start);
    if (c === "\\" && !raw) {
      const e = src[i + 1];
      if (e === undefined) return err("unterminated string literal", start);
      const simple = SIMPLE_ESCAPES[e];
      if (simple !== undefined) {
        out.push(simple);
        i += 2;
        continue;
      }
      if (e === "x" || e === "X" || e === "u" || e === "U") {
        const len = e === "x" || e === "X" ? 2 : e === "u" ? 4 : 8;
        const hex = src.slice(i + 2, i + 2 + len);
        if (hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex))
          return err("invalid escape sequence", i);
        if (bytes && len !== 2) return err("unable to unescape string", start);
        const v = parseInt(hex, 16);
        if (len === 2 && bytes) out.push(v);
        else {
          if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000))
            return err("invalid unicode code point", i);
          if (len !== 2 && bytes) pushCodePoint(v);
          else out.push(v);
        }
        i += 2 + len;
        continue;
      }
      if (e >= "0" && e <= "3") {
        const oct = src.slice(i + 1, i + 4);
        if (!/^[0-3][0-7][0-7]$/.test(oct)) return err("invalid escape sequence", i);
        out.push(parseInt(oct, 8));
        i += 4;
        continue;
      }
      return err("invalid escape sequence", i);
    }
    // Raw text: keep code points intact (including surrogate pairs), normalize CRLF like cel-go.
    const cp = src.codePointAt(i)!;
    if (c === "\r" && src[i + 1] === "\n") {
      pushCodePoint(10);
      i += 2;
      continue;
    }
    pushCodePoint(cp);
    i += cp > 0xffff ? 2 : 1;
  }
  if (bytes) {
    return {
      kind: "bytes",
      text: src.slice(start, i),
      offset: start,
      end: i,
      value: new Uint8Array(out),
    };
  }
  let s = "";
  for (const cp of out) s += String.fromCodePoint(cp);
  return { kind: "string", text: src.slice(start, i), offset: start, end: i, value: s };
}
