// cel-go's regex extension: regex.replace (all or the first N matches, `\1` group references),
// regex.extract (an optional of the match or its single capture group) and regex.extractAll.
// Patterns are RE2 (re2js, with Go's match iteration and Go's error messages); never JS RegExp.

import type { RE2JS } from "re2js";
import { compileRegex } from "../regex.ts";
import type { CelLibrary } from "../library.ts";
import { T } from "../types.ts";
import { CelError, CelOptional, type CelResult, type CelValue } from "../value.ts";
import { quote } from "./strings.ts";
import { noSuchOverload } from "./value-ops.ts";

/** Compiles an RE2 pattern (cached by the core); a syntax error comes back as a CelError worded as Go words it. */
export function compileRe2(pattern: string): RE2JS | CelError {
  const r = compileRegex(pattern);
  return typeof r === "string" ? new CelError(r) : r;
}

/** Go's FindAllStringSubmatchIndex: [start, end, g1start, g1end, ...] per match, -1 for unset groups. */
function allMatches(re: RE2JS, s: string, n: number): number[][] {
  return (re.re2Input.findAllSubmatchIndex(s, n) as number[][] | null) ?? [];
}

function expandReplacement(
  repl: string,
  s: string,
  m: readonly number[],
  groups: number,
): string | CelError {
  let out = "";
  for (let i = 0; i < repl.length; i++) {
    const ch = repl[i] as string;
    if (ch !== "\\") {
      out += ch;
      continue;
    }
    const next = repl[i + 1];
    if (next === "\\") {
      out += "\\";
      i++;
      continue;
    }
    if (next === undefined || next < "0" || next > "9") {
      return new CelError(
        `invalid replacement string: '${repl}' \\ must be followed by a digit or \\`,
      );
    }
    const g = Number(next);
    i++;
    if (g > groups) {
      return new CelError(
        `replacement string references group ${g} but regex has only ${groups} group(s)`,
      );
    }
    const start = m[2 * g] as number;
    const end = m[2 * g + 1] as number;
    if (start >= 0 && end >= 0) out += s.slice(start, end);
  }
  return out;
}

function replace(s: CelValue, pattern: CelValue, repl: CelValue, count: CelValue = -1n): CelResult {
  if (
    typeof s !== "string" ||
    typeof pattern !== "string" ||
    typeof repl !== "string" ||
    typeof count !== "bigint"
  ) {
    return noSuchOverload();
  }
  if (count === 0n) return s;
  const re = compileRe2(pattern);
  if (re instanceof CelError) return re;
  const matches = allMatches(re, s, count < 0n ? -1 : Number(count));
  const groups = re.groupCount();
  let out = "";
  let last = 0;
  for (const m of matches) {
    const start = m[0] as number;
    const end = m[1] as number;
    const expanded = expandReplacement(repl, s, m, groups);
    if (expanded instanceof CelError) return expanded;
    out += s.slice(last, start) + expanded;
    last = end;
  }
  return out + s.slice(last);
}

function checkGroups(re: RE2JS, pattern: string): CelError | undefined {
  if (re.groupCount() > 1) {
    return new CelError(
      `regular expression has more than one capturing group: ${quote(pattern) as string}`,
    );
  }
  return undefined;
}

/** The text a match contributes: its single capture group, else the whole match; undefined when the group is unset. */
function captured(s: string, m: readonly number[], groups: number): string | undefined {
  const [start, end] =
    groups === 1 ? [m[2] as number, m[3] as number] : [m[0] as number, m[1] as number];
  return start < 0 ? undefined : s.slice(start, end);
}

function extract(s: CelValue, pattern: CelValue): CelResult {
  if (typeof s !== "string" || typeof pattern !== "string") return noSuchOverload();
  const re = compileRe2(pattern);
  if (re instanceof CelError) return re;
  const bad = checkGroups(re, pattern);
  if (bad) return bad;
  const m = allMatches(re, s, 1)[0];
  if (m === undefined) return CelOptional.none;
  const text = captured(s, m, re.groupCount());
  return text === undefined ? CelOptional.none : new CelOptional(text);
}

function extractAll(s: CelValue, pattern: CelValue): CelResult {
  if (typeof s !== "string" || typeof pattern !== "string") return noSuchOverload();
  const re = compileRe2(pattern);
  if (re instanceof CelError) return re;
  const bad = checkGroups(re, pattern);
  if (bad) return bad;
  const groups = re.groupCount();
  const out: string[] = [];
  for (const m of allMatches(re, s, -1)) {
    const text = captured(s, m, groups);
    if (text !== undefined) out.push(text);
  }
  return out;
}

const S = T.string;

export const regexLibrary: CelLibrary = {
  name: "cel.lib.ext.regex",
  functions: [
    {
      name: "regex.replace",
      overloads: [
        {
          id: "regex_replace_string_string_string",
          params: [S, S, S],
          result: S,
          impl: (a, b, c) => replace(a, b, c),
        },
        {
          id: "regex_replace_string_string_string_int",
          params: [S, S, S, T.int],
          result: S,
          impl: replace,
        },
      ],
    },
    {
      name: "regex.extract",
      overloads: [
        { id: "regex_extract_string_string", params: [S, S], result: T.optional(S), impl: extract },
      ],
    },
    {
      name: "regex.extractAll",
      overloads: [
        {
          id: "regex_extractAll_string_string",
          params: [S, S],
          result: T.list(S),
          impl: extractAll,
        },
      ],
    },
  ],
};
