// File-path manipulation with the semantics of Go's path/filepath on Unix, plus the
// "crosspath" encoding Cerbos layers on top so Windows drive (`C:\a`) and UNC (`\\host\share`)
// paths work too: they are encoded to slash form, processed, and decoded back. This is what
// Cerbos's basePath, dirPath, extPath, joinPath, relPath, volumeName and pathMatch use.

import { quote } from "../lib/strings.ts";

/** Go's filepath.Clean for '/'-separated paths. */
export function clean(path: string): string {
  if (path === "") return ".";
  const rooted = path.startsWith("/");
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
      continue;
    }
    out.push(part);
  }
  const body = out.join("/");
  if (rooted) return `/${body}`;
  return body === "" ? "." : body;
}

/** Go's filepath.Base. */
export function base(path: string): string {
  if (path === "") return ".";
  const trimmed = path.replace(/\/+$/, "");
  if (trimmed === "") return "/";
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** Go's filepath.Dir. */
export function dir(path: string): string {
  return clean(path.slice(0, path.lastIndexOf("/") + 1));
}

/** Go's filepath.Ext. */
export function ext(path: string): string {
  for (let i = path.length - 1; i >= 0 && path[i] !== "/"; i--) {
    if (path[i] === ".") return path.slice(i);
  }
  return "";
}

/** Go's filepath.Join: empty elements are skipped, the result is cleaned, "" when all are empty. */
export function join(elems: readonly string[]): string {
  const parts = elems.filter((e) => e !== "");
  return parts.length === 0 ? "" : clean(parts.join("/"));
}

/** Go's filepath.Rel; a string result or an error message. */
export function rel(basePath: string, targPath: string): { ok: string } | { error: string } {
  let b = clean(basePath);
  const t = clean(targPath);
  if (b === t) return { ok: "." };
  if (b === ".") b = "";
  const cant = { error: `Rel: can't make ${targPath} relative to ${basePath}` };
  if (b.startsWith("/") !== t.startsWith("/")) return cant;
  const bl = b.length;
  const tl = t.length;
  let b0 = 0;
  let bi = 0;
  let t0 = 0;
  let ti = 0;
  for (;;) {
    while (bi < bl && b[bi] !== "/") bi++;
    while (ti < tl && t[ti] !== "/") ti++;
    if (t.slice(t0, ti) !== b.slice(b0, bi)) break;
    if (bi < bl) bi++;
    if (ti < tl) ti++;
    b0 = bi;
    t0 = ti;
  }
  if (b.slice(b0, bi) === "..") return cant;
  if (b0 !== bl) {
    const seps = b.slice(b0).split("/").length - 1;
    let out = ".." + "/..".repeat(seps);
    if (t0 !== tl) out += `/${t.slice(t0)}`;
    return { ok: out };
  }
  return { ok: t.slice(t0) };
}

const BAD_PATTERN = "syntax error in pattern";

function scanChunk(pattern: readonly string[]): { star: boolean; chunk: string[]; rest: string[] } {
  let p = 0;
  let star = false;
  while (p < pattern.length && pattern[p] === "*") {
    p++;
    star = true;
  }
  let inRange = false;
  let i = p;
  scan: for (; i < pattern.length; i++) {
    switch (pattern[i]) {
      case "\\":
        if (i + 1 < pattern.length) i++;
        break;
      case "[":
        inRange = true;
        break;
      case "]":
        inRange = false;
        break;
      case "*":
        if (!inRange) break scan;
        break;
      default:
        break;
    }
  }
  return { star, chunk: pattern.slice(p, i), rest: pattern.slice(i) };
}

function getEsc(chunk: readonly string[], at: number): { r: string; next: number } | undefined {
  if (at >= chunk.length || chunk[at] === "-" || chunk[at] === "]") return undefined;
  let i = at;
  if (chunk[i] === "\\") {
    i++;
    if (i >= chunk.length) return undefined;
  }
  const r = chunk[i] as string;
  i++;
  if (i >= chunk.length) return undefined;
  return { r, next: i };
}

/** Go's matchChunk over code points: the rest of `s` on a match, or an error for a bad pattern. */
function matchChunk(
  chunk: readonly string[],
  s: readonly string[],
): { rest?: string[]; error?: string } {
  let failed = false;
  let c = 0;
  let si = 0;
  while (c < chunk.length) {
    if (!failed && si >= s.length) failed = true;
    const ch = chunk[c] as string;
    if (ch === "[") {
      const r = failed ? "" : (s[si++] as string);
      c++;
      let negated = false;
      if (chunk[c] === "^") {
        negated = true;
        c++;
      }
      let match = false;
      let nrange = 0;
      for (;;) {
        if (c < chunk.length && chunk[c] === "]" && nrange > 0) {
          c++;
          break;
        }
        const lo = getEsc(chunk, c);
        if (!lo) return { error: BAD_PATTERN };
        c = lo.next;
        let hi = lo.r;
        if (chunk[c] === "-") {
          const h = getEsc(chunk, c + 1);
          if (!h) return { error: BAD_PATTERN };
          hi = h.r;
          c = h.next;
        }
        const rc = r.codePointAt(0) ?? -1;
        if ((lo.r.codePointAt(0) as number) <= rc && rc <= (hi.codePointAt(0) as number))
          match = true;
        nrange++;
      }
      if (match === negated) failed = true;
    } else if (ch === "?") {
      if (!failed) {
        if (s[si] === "/") failed = true;
        si++;
      }
      c++;
    } else {
      if (ch === "\\") {
        c++;
        if (c >= chunk.length) return { error: BAD_PATTERN };
      }
      if (!failed) {
        if (chunk[c] !== s[si]) failed = true;
        si++;
      }
      c++;
    }
  }
  return failed ? {} : { rest: s.slice(si) };
}

/** Go's filepath.Match: true/false, or an error message for a malformed pattern. */
export function match(pattern: string, name: string): boolean | { error: string } {
  let pat = Array.from(pattern);
  let nm = Array.from(name);
  outer: while (pat.length > 0) {
    const { star, chunk, rest } = scanChunk(pat);
    pat = rest;
    if (star && chunk.length === 0) return !nm.includes("/");
    const m = matchChunk(chunk, nm);
    if (m.rest !== undefined && (m.rest.length === 0 || pat.length > 0)) {
      nm = m.rest;
      continue;
    }
    if (m.error) return { error: m.error };
    if (star) {
      for (let i = 0; i < nm.length && nm[i] !== "/"; i++) {
        const t = matchChunk(chunk, nm.slice(i + 1));
        if (t.rest !== undefined) {
          if (pat.length === 0 && t.rest.length > 0) continue;
          nm = t.rest;
          continue outer;
        }
        if (t.error) return { error: t.error };
      }
    }
    // Before answering false, the rest of the pattern must still be well formed.
    while (pat.length > 0) {
      const next = scanChunk(pat);
      pat = next.rest;
      const e = matchChunk(next.chunk, []);
      if (e.error) return { error: e.error };
    }
    return false;
  }
  return nm.length === 0;
}

type PathKind = "unix" | "drive" | "unc";

/** A path encoded to slash form: `C:\a` -> `/C:/a`, `\\host\share\a` -> `/host/share/a`, `a\b` -> `a/b`. */
interface Encoded {
  value: string;
  readonly kind: PathKind;
  readonly win32: boolean;
  readonly root: boolean;
}

function isUNC(p: string): boolean {
  return p.startsWith("\\\\");
}

function isDrive(p: string): boolean {
  return p.length > 1 && p[1] === ":" && /[a-zA-Z]/.test(p[0] as string);
}

const toSlash = (p: string): string => p.replaceAll("\\", "/");
const toBackslash = (p: string): string => p.replaceAll("/", "\\");

/**
 * Encodes a path; a drive path written with forward slashes (`C:/a`, `C:a`) is rejected, as
 * Cerbos rejects it ("unsupported Win32 path"), except the bare drive `C:`.
 */
export function encode(path: string): Encoded | { error: string } {
  const win32 = path.includes("\\");
  if (isUNC(path)) {
    return {
      kind: "unc",
      win32,
      root: path.slice(2).split("\\", 3).length === 2,
      value: clean(toSlash(path)),
    };
  }
  if (isDrive(path)) {
    if (!win32 && path.length > 2) return { error: "unsupported Win32 path" };
    return {
      kind: "drive",
      win32,
      root: path.length === 2 || path.length === 3,
      value: clean(toSlash(`\\${path}`)),
    };
  }
  if (win32) return { kind: "unix", win32, root: false, value: clean(toSlash(path)) };
  return { kind: "unix", win32, root: path === "/", value: clean(path) };
}

type Result<T> = { ok: T } | { error: string };

/** Encodes, wrapping a failure as "failed to encode <what> <path>: <reason>". */
function encodeAs(path: string, what: string): Encoded | { error: string } {
  const e = encode(path);
  return "error" in e ? { error: `failed to encode ${what} ${path}: ${e.error}` } : e;
}

export function decode(e: Encoded): string {
  if (e.kind === "unc") return `\\${toBackslash(e.value)}`;
  if (e.kind === "drive") return toBackslash(e.value).replace(/^\\/, "");
  if (e.win32) return toBackslash(e.value);
  return e.value;
}

export function crossBase(path: string): Result<string> {
  const e = encodeAs(path, "path");
  return "error" in e ? e : { ok: base(e.value) };
}

export function crossExt(path: string): Result<string> {
  const e = encodeAs(path, "path");
  return "error" in e ? e : { ok: ext(e.value) };
}

export function crossDir(path: string): Result<string> {
  const e = encodeAs(path, "path");
  if ("error" in e) return e;
  if (e.kind === "unix" && !e.win32) return { ok: decode({ ...e, value: dir(e.value) }) };
  if (e.root) return { ok: e.kind === "drive" ? `${decode(e)}\\` : decode(e) };
  return { ok: decode({ ...e, value: e.value.slice(0, Math.max(0, e.value.lastIndexOf("/"))) }) };
}

export function crossJoin(paths: readonly string[]): Result<string> {
  if (paths.length === 0) return { ok: "" };
  if (paths.length === 1) return { ok: paths[0] as string };
  const first = encodeAs(paths[0] as string, "first path");
  if ("error" in first) return first;
  let value = first.value;
  for (let i = 1; i < paths.length; i++) {
    const next = encodeAs(paths[i] as string, "path");
    if ("error" in next) return next;
    value = join([value, next.value]);
  }
  return { ok: decode({ ...first, value }) };
}

export function crossRel(basePath: string, targetPath: string): Result<string> {
  const b = encodeAs(basePath, "base path");
  if ("error" in b) return b;
  const t = encodeAs(targetPath, "target path");
  if ("error" in t) return t;
  const r = rel(b.value, t.value);
  if ("error" in r)
    return { error: `failed to determine relative path of ${targetPath}: ${r.error}` };
  if (r.ok === "." || r.ok === "..") return r;
  if (t.kind === "unc" && !r.ok.startsWith("\\")) return { ok: toBackslash(r.ok) };
  return { ok: decode({ ...t, value: r.ok }) };
}

export function crossMatch(path: string, pattern: string): Result<boolean> {
  const p = encodeAs(path, "path");
  if ("error" in p) return p;
  const pat = encodeAs(pattern, "pattern");
  if ("error" in pat) return pat;
  const r = match(pat.value, p.value);
  if (typeof r === "boolean") return { ok: r };
  return {
    error: `failed to match pattern ${quote(pattern) as string} on path ${quote(path) as string}: ${r.error}`,
  };
}

export function volumeName(path: string): string {
  if (isUNC(path)) {
    const subs = path.slice(2).split("\\");
    if (subs.length > 1 && subs[0] !== "" && subs[1] !== "") return `\\\\${subs[0]}\\${subs[1]}`;
    return "";
  }
  if (isDrive(path)) return path.slice(0, 2);
  return "";
}
