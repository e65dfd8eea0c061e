// Glob patterns as Cerbos matches actions, roles and resource kinds (gobwas/glob with `:` as
// the separator): `*` spans anything but `:`, `**` spans anything, `?` one non-separator
// character, `[a-z]`/`[!x]` classes, `{a,b}` alternatives and `\` escapes. A lone `*` means
// `**` for backward compatibility, so `*` matches `view:public` while `view:*` does not match
// `view:a:b`. Patterns come from policies and are compiled once at load.

export type GlobMatcher = (value: string) => boolean;

const GLOB_META = /[*?[{\\]/;

/** True when the text has glob syntax; such keys go to the glob side of an index. */
export function isGlob(pattern: string): boolean {
  return GLOB_META.test(pattern);
}

/** Compiles a pattern to a matcher; an invalid pattern matches nothing, as in Cerbos. */
export function compileGlob(pattern: string): GlobMatcher {
  if (pattern === "*" || pattern === "**") return () => true;
  if (!isGlob(pattern)) return (value) => value === pattern;
  const source = globToRegExpSource(pattern);
  if (source === undefined) return () => false;
  // The regular expression is built from the policy author's pattern only; request values are
  // merely tested against it, and the translation emits no nested quantifiers.
  const re = new RegExp(`^${source}$`, "su");
  return (value) => re.test(value);
}

const cache = new Map<string, GlobMatcher>();

/** Cached variant for the few places that match ad hoc (compile-time checks). */
export function matchesGlob(pattern: string, value: string): boolean {
  let m = cache.get(pattern);
  if (m === undefined) {
    m = compileGlob(pattern);
    cache.set(pattern, m);
  }
  return m(value);
}

function escapeRe(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? `\\${ch}` : ch;
}

function globToRegExpSource(pattern: string): string | undefined {
  let out = "";
  let i = 0;
  let braceDepth = 0;
  const chars = [...pattern];
  while (i < chars.length) {
    const ch = chars[i] as string;
    switch (ch) {
      case "*":
        if (chars[i + 1] === "*") {
          out += ".*";
          while (chars[i + 1] === "*") i++;
        } else {
          out += "[^:]*";
        }
        break;
      case "?":
        out += "[^:]";
        break;
      case "\\": {
        const next = chars[i + 1];
        if (next === undefined) return undefined;
        out += escapeRe(next);
        i++;
        break;
      }
      case "[": {
        const close = chars.indexOf("]", i + 1);
        if (close < 0) return undefined;
        let body = chars.slice(i + 1, close);
        let negate = false;
        if (body[0] === "!") {
          negate = true;
          body = body.slice(1);
        }
        if (body.length === 0) return undefined;
        const cls = body.map((c) => (c === "-" ? "-" : escapeRe(c))).join("");
        out += negate ? `[^:${cls}]` : `[${cls}]`;
        i = close;
        break;
      }
      case "{":
        braceDepth++;
        out += "(?:";
        break;
      case "}":
        if (braceDepth === 0) return undefined;
        braceDepth--;
        out += ")";
        break;
      case ",":
        out += braceDepth > 0 ? "|" : ",";
        break;
      default:
        out += escapeRe(ch);
    }
    i++;
  }
  return braceDepth === 0 ? out : undefined;
}
