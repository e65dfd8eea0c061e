// cel-go's strings extension as Cerbos 0.55 enables it (latest version): charAt, indexOf,
// lastIndexOf, lowerAscii, upperAscii, replace, split, substring, trim, join, reverse,
// format and strings.quote. Strings are indexed by code point, as in cel-go; every edge
// case below was checked against the cerbos 0.55 REPL (see strings.test.ts).

import type { CelLibrary, Overload } from "../library.ts";
import { T, type CelType } from "../types.ts";
import { CelError, type CelResult, type CelValue } from "../value.ts";
import { formatCelValue } from "../format.ts";
import { formatString } from "./string-format.ts";
import { codePoints, noSuchOverload } from "./value-ops.ts";

function indexOutOfRange(i: bigint | number): CelError {
  return new CelError(`index out of range: ${i}`);
}

function charAt(s: CelValue, i: CelValue): CelResult {
  if (typeof s !== "string" || typeof i !== "bigint") return noSuchOverload();
  const cps = codePoints(s);
  if (i < 0n || i > BigInt(cps.length)) return indexOutOfRange(i);
  return cps[Number(i)] ?? "";
}

function startsAt(hay: readonly string[], needle: readonly string[], at: number): boolean {
  for (let j = 0; j < needle.length; j++) if (hay[at + j] !== needle[j]) return false;
  return true;
}

function indexOf(s: CelValue, sub: CelValue, offset: CelValue = 0n): CelResult {
  if (typeof s !== "string" || typeof sub !== "string" || typeof offset !== "bigint")
    return noSuchOverload();
  if (offset < 0n) return indexOutOfRange(offset);
  const hay = codePoints(s);
  const needle = codePoints(sub);
  const len = BigInt(hay.length);
  if (needle.length === 0) return offset < len ? offset : len;
  if (offset >= len) return -1n;
  for (let i = Number(offset); i + needle.length <= hay.length; i++) {
    if (startsAt(hay, needle, i)) return BigInt(i);
  }
  return -1n;
}

function lastIndexOf(s: CelValue, sub: CelValue, offset?: CelValue): CelResult {
  if (typeof s !== "string" || typeof sub !== "string") return noSuchOverload();
  if (offset !== undefined && typeof offset !== "bigint") return noSuchOverload();
  const hay = codePoints(s);
  const needle = codePoints(sub);
  const len = BigInt(hay.length);
  const off = offset ?? len;
  if (off < 0n) return indexOutOfRange(off);
  if (needle.length === 0) return off < len ? off : len;
  // With an explicit offset at or past the end cel-go reports no match (REPL: "abc".lastIndexOf("c", 3) == -1).
  if (offset !== undefined && off >= len) return -1n;
  let start = Math.min(Number(off), hay.length - needle.length);
  for (; start >= 0; start--) if (startsAt(hay, needle, start)) return BigInt(start);
  return -1n;
}

function asciiCase(s: CelValue, upper: boolean): CelResult {
  if (typeof s !== "string") return noSuchOverload();
  // Only ASCII letters change; toLowerCase/toUpperCase would touch every script.
  return s.replace(upper ? /[a-z]+/g : /[A-Z]+/g, (m) =>
    upper ? m.toUpperCase() : m.toLowerCase(),
  );
}

/** Go's strings.Replace over code points: an empty `old` matches before each code point and at the end. */
function replace(s: CelValue, from: CelValue, to: CelValue, limit: CelValue = -1n): CelResult {
  if (
    typeof s !== "string" ||
    typeof from !== "string" ||
    typeof to !== "string" ||
    typeof limit !== "bigint"
  ) {
    return noSuchOverload();
  }
  let n = limit < 0n ? Infinity : Number(limit);
  if (n === 0 || (from === to && from !== "")) return s;
  if (from === "") {
    const cps = codePoints(s);
    let out = "";
    for (let i = 0; i <= cps.length; i++) {
      if (n > 0) {
        out += to;
        n--;
      }
      out += cps[i] ?? "";
    }
    return out;
  }
  let out = "";
  let pos = 0;
  while (n > 0) {
    const at = s.indexOf(from, pos);
    if (at < 0) break;
    out += s.slice(pos, at) + to;
    pos = at + from.length;
    n--;
  }
  return out + s.slice(pos);
}

/** Go's strings.SplitN: n == 0 gives [], n < 0 all parts, an empty separator splits code points. */
function split(s: CelValue, sep: CelValue, limit: CelValue = -1n): CelResult {
  if (typeof s !== "string" || typeof sep !== "string" || typeof limit !== "bigint")
    return noSuchOverload();
  if (limit === 0n) return [];
  const n = limit < 0n ? Infinity : Number(limit);
  if (sep === "") {
    const cps = codePoints(s);
    if (cps.length <= n) return cps;
    return [...cps.slice(0, n - 1), cps.slice(n - 1).join("")];
  }
  const parts: string[] = [];
  let pos = 0;
  while (parts.length < n - 1) {
    const at = s.indexOf(sep, pos);
    if (at < 0) break;
    parts.push(s.slice(pos, at));
    pos = at + sep.length;
  }
  parts.push(s.slice(pos));
  return parts;
}

function substring(s: CelValue, start: CelValue, end?: CelValue): CelResult {
  if (typeof s !== "string" || typeof start !== "bigint") return noSuchOverload();
  if (end !== undefined && typeof end !== "bigint") return noSuchOverload();
  const cps = codePoints(s);
  const len = BigInt(cps.length);
  const stop = end ?? len;
  // With an end, cel-go checks the range's order before its bounds (REPL: "".substring(4, -1)).
  if (end !== undefined && start > stop) {
    return new CelError(`invalid substring range. start: ${start}, end: ${stop}`);
  }
  if (start < 0n || start > len) return indexOutOfRange(start);
  if (stop > len) return indexOutOfRange(stop);
  return cps.slice(Number(start), Number(stop)).join("");
}

// Go's unicode.IsSpace, which strings.TrimSpace uses (JS trim() differs on U+0085 and U+FEFF).
const GO_SPACE =
  "[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const TRIM = new RegExp(`^${GO_SPACE}+|${GO_SPACE}+$`, "g");

function trim(s: CelValue): CelResult {
  if (typeof s !== "string") return noSuchOverload();
  return s.replace(TRIM, "");
}

function join(list: CelValue, sep?: CelValue): CelResult {
  if (!Array.isArray(list) || (sep !== undefined && typeof sep !== "string")) {
    return noSuchOverload();
  }
  const parts: string[] = [];
  for (const v of list as readonly CelValue[]) {
    if (typeof v !== "string") {
      // cel-go's run-time guard on list(string) looks at the first element only; a later
      // misfit reaches the join itself
      if (parts.length === 0) {
        return new CelError(`no such overload: join(list${sep === undefined ? "" : ", string"})`);
      }
      return new CelError(`join: invalid input: ${formatCelValue(v)}`);
    }
    parts.push(v);
  }
  return parts.join(sep ?? "");
}

function reverse(s: CelValue): CelResult {
  if (typeof s !== "string") return noSuchOverload();
  return codePoints(s).reverse().join("");
}

/**
 * strings.quote: backslash escapes for the C-style control characters, quote and backslash;
 * everything else verbatim (REPL: `strings.quote("\x01\u200b")` keeps both characters raw).
 */
function celQuote(s: CelValue): CelResult {
  if (typeof s !== "string") return noSuchOverload();
  const escapes: Readonly<Record<string, string>> = {
    "\x07": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
  };
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    out += escapes[ch] ?? (cp >= 0xd800 && cp <= 0xdfff ? "\ufffd" : ch);
  }
  return out + '"';
}

/** Go's strconv.Quote (`%q` in Go error messages): ASCII escapes, printable Unicode kept. */
export function quote(s: CelValue): CelResult {
  if (typeof s !== "string") return noSuchOverload();
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case "\\":
        out += "\\\\";
        continue;
      case "\x07":
        out += "\\a";
        continue;
      case "\b":
        out += "\\b";
        continue;
      case "\f":
        out += "\\f";
        continue;
      case "\n":
        out += "\\n";
        continue;
      case "\r":
        out += "\\r";
        continue;
      case "\t":
        out += "\\t";
        continue;
      case "\v":
        out += "\\v";
        continue;
      default:
        break;
    }
    if (cp >= 0xd800 && cp <= 0xdfff) out += "\ufffd";
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, "0")}`;
    else if (
      /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u.test(ch) ||
      (/\p{Zs}/u.test(ch) && cp !== 0x20)
    ) {
      out +=
        cp > 0xffff
          ? `\\U${cp.toString(16).padStart(8, "0")}`
          : `\\u${cp.toString(16).padStart(4, "0")}`;
    } else out += ch;
  }
  return out + '"';
}

const S = T.string;
const I = T.int;

function overload(
  id: string,
  receiver: CelType | undefined,
  params: Overload["params"],
  result: Overload["result"],
  impl: Overload["impl"],
): Overload {
  return receiver === undefined
    ? { id, params, result, impl }
    : { id, receiver, params, result, impl };
}

export const stringsLibrary: CelLibrary = {
  name: "cel.lib.ext.strings",
  functions: [
    { name: "charAt", overloads: [overload("string_char_at_int", S, [I], S, charAt)] },
    {
      name: "indexOf",
      overloads: [
        overload("string_index_of_string", S, [S], I, (s, sub) => indexOf(s, sub)),
        overload("string_index_of_string_int", S, [S, I], I, indexOf),
      ],
    },
    {
      name: "lastIndexOf",
      overloads: [
        overload("string_last_index_of_string", S, [S], I, (s, sub) => lastIndexOf(s, sub)),
        overload("string_last_index_of_string_int", S, [S, I], I, lastIndexOf),
      ],
    },
    {
      name: "lowerAscii",
      overloads: [overload("string_lower_ascii", S, [], S, (s) => asciiCase(s, false))],
    },
    {
      name: "upperAscii",
      overloads: [overload("string_upper_ascii", S, [], S, (s) => asciiCase(s, true))],
    },
    {
      name: "replace",
      overloads: [
        overload("string_replace_string_string", S, [S, S], S, (s, a, b) => replace(s, a, b)),
        overload("string_replace_string_string_int", S, [S, S, I], S, replace),
      ],
    },
    {
      name: "split",
      overloads: [
        overload("string_split_string", S, [S], T.list(S), (s, sep) => split(s, sep)),
        overload("string_split_string_int", S, [S, I], T.list(S), split),
      ],
    },
    {
      name: "substring",
      overloads: [
        overload("string_substring_int", S, [I], S, (s, a) => substring(s, a)),
        overload("string_substring_int_int", S, [I, I], S, substring),
      ],
    },
    { name: "trim", overloads: [overload("string_trim", S, [], S, trim)] },
    {
      name: "join",
      overloads: [
        overload("list_join", T.list(S), [], S, (l) => join(l)),
        overload("list_join_string", T.list(S), [S], S, join),
      ],
    },
    { name: "reverse", overloads: [overload("string_reverse", S, [], S, reverse)] },
    {
      name: "format",
      overloads: [overload("string_format_list", S, [T.list(T.dyn)], S, formatString)],
    },
    { name: "strings.quote", overloads: [overload("strings_quote", undefined, [S], S, celQuote)] },
  ],
};
