// The configuration as a tree of maps, lists and scalars that remember where each value came
// from (file:line:col, or the `--set` argument), so every later check can point at the problem.
// Reading follows Cerbos, which decodes its config with go-yaml v2: plain scalars are resolved
// with YAML 1.1 rules (`yes`/`on` are booleans, `017` is octal, `1_000` is 1000), and
// environment references are expanded before the value is typed, so `${PORT:3592}` is a number
// and `${FLAG:true}` a boolean.

import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import type { Diagnostic } from "../../kernel/diagnostic.ts";
import { interpolate } from "./interpolate.ts";

/** Where a value came from: a file position, or a `--set` argument (no position). */
export interface Place {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

export type Scalar = string | number | boolean | null;

export type ConfigNode =
  | {
      readonly kind: "map";
      readonly place: Place;
      readonly entries: Map<string, { readonly keyPlace: Place; readonly value: ConfigNode }>;
    }
  | { readonly kind: "list"; readonly place: Place; readonly items: ConfigNode[] }
  | { readonly kind: "scalar"; readonly place: Place; readonly value: Scalar };

export type MapNode = Extract<ConfigNode, { kind: "map" }>;

export type Env = Readonly<Record<string, string | undefined>>;

export function diagnosticAt(
  place: Place,
  error: string,
  description: string,
  path?: string,
): Diagnostic {
  return place.line === undefined
    ? { file: place.file, error, description }
    : {
        file: place.file,
        error,
        description,
        position: {
          line: place.line,
          column: place.column ?? 1,
          ...(path === undefined ? {} : { path }),
        },
      };
}

const nulls = new Set(["", "~", "null", "Null", "NULL"]);
const trues = new Set(["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"]);
const falses = new Set([
  "n",
  "N",
  "no",
  "No",
  "NO",
  "off",
  "Off",
  "OFF",
  "false",
  "False",
  "FALSE",
]);
const intSyntax = /^[-+]?(0[bB][01]+|0[oO]?[0-7]+|0[xX][0-9a-fA-F]+|0|[1-9][0-9]*)$/;
const floatSyntax = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** What go-yaml v2 makes of a plain (unquoted) scalar. */
export function resolvePlainScalar(text: string): Scalar {
  if (nulls.has(text)) return null;
  if (trues.has(text)) return true;
  if (falses.has(text)) return false;
  const plain = text.replaceAll("_", "");
  if (intSyntax.test(plain)) {
    const sign = plain.startsWith("-") ? -1 : 1;
    const digits = plain.replace(/^[-+]/, "");
    const lower = digits.toLowerCase();
    if (lower.startsWith("0x")) return sign * Number.parseInt(digits.slice(2), 16);
    if (lower.startsWith("0b")) return sign * Number.parseInt(digits.slice(2), 2);
    if (lower.startsWith("0o")) return sign * Number.parseInt(digits.slice(2), 8);
    if (digits.length > 1 && digits.startsWith("0")) return sign * Number.parseInt(digits, 8);
    return sign * Number.parseInt(digits, 10);
  }
  if (floatSyntax.test(plain)) return Number.parseFloat(plain);
  if (/^[-+]?\.(inf|Inf|INF)$/.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  if (/^\.(nan|NaN|NAN)$/.test(text)) return Number.NaN;
  return text;
}

/**
 * Whether go-yaml would write this string without quotes. Cerbos re-serialises the YAML before
 * expanding references, so a reference in such a value is typed after expansion (even when the
 * author quoted it), while one in a value that needs quotes stays a string.
 */
function writtenPlain(value: string): boolean {
  if (value === "" || value !== value.trim() || /[\n\r\t]/.test(value)) return false;
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(value)) return false;
  if (value.includes(": ") || value.includes(" #") || value.endsWith(":")) return false;
  return typeof resolvePlainScalar(value) === "string";
}

interface ReadResult {
  readonly root: ConfigNode | undefined;
  readonly diagnostics: Diagnostic[];
}

/** Reads a YAML configuration file's text into a tree, expanding environment references. */
export function readConfigText(text: string, file: string, env: Env): ReadResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    schema: "failsafe",
    lineCounter: lines,
    uniqueKeys: true,
    prettyErrors: false,
  });
  const diagnostics: Diagnostic[] = [];
  const placeOf = (offset: number): Place => {
    const { line, col } = lines.linePos(offset);
    return { file, line, column: col };
  };
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      diagnostics.push(
        diagnosticAt(placeOf(e.pos[0]), "invalid YAML", e.message.split("\n")[0] ?? e.message),
      );
    }
    return { root: undefined, diagnostics };
  }
  const convert = (node: unknown, path: string): ConfigNode => {
    const resolved = isAlias(node) ? node.resolve(doc) : node;
    const n = resolved as Node | null | undefined;
    const offset = n?.range?.[0] ?? 0;
    const place = placeOf(offset);
    if (isMap(n)) {
      const entries: MapNode["entries"] = new Map();
      for (const pair of n.items) {
        const keyNode = pair.key as Node | null;
        const keyText = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
        const keyPlace = placeOf(keyNode?.range?.[0] ?? offset);
        const childPath = `${path}.${keyText}`;
        entries.set(keyText, { keyPlace, value: convert(pair.value, childPath) });
      }
      return { kind: "map", place, entries };
    }
    if (isSeq(n)) {
      return {
        kind: "list",
        place,
        items: n.items.map((item, i) => convert(item, `${path}[${i}]`)),
      };
    }
    if (isScalar(n)) {
      const raw = scalarText(n.value);
      const isPlain = n.type === "PLAIN";
      return scalarNode(raw, isPlain, place, path, env, diagnostics);
    }
    // An empty value (`key:`) is null, as in YAML.
    return { kind: "scalar", place, value: null };
  };
  if (doc.contents === null) return { root: undefined, diagnostics };
  return { root: convert(doc.contents, "$"), diagnostics };
}

/**
 * A scalar from the file or a `--set` argument: references expanded, then typed. A value go-yaml
 * would write plainly is read again as YAML after expansion (so a variable may even hold a flow
 * map such as `{"a": 1}`); other values stay strings.
 */
export function scalarNode(
  raw: string,
  isPlain: boolean,
  place: Place,
  path: string,
  env: Env,
  diagnostics: Diagnostic[],
): ConfigNode {
  const expanded = interpolate(raw, env);
  if (!expanded.ok) {
    diagnostics.push(diagnosticAt(place, "undefined environment variable", expanded.message, path));
    return { kind: "scalar", place, value: null };
  }
  if (!expanded.changed) {
    return { kind: "scalar", place, value: isPlain ? resolvePlainScalar(raw) : raw };
  }
  if (!writtenPlain(raw)) return { kind: "scalar", place, value: expanded.text };
  return reparse(expanded.text, place);
}

/** An expanded value read as YAML; every node gets the place of the reference. */
function reparse(text: string, place: Place): ConfigNode {
  const doc = parseDocument(text, { schema: "failsafe", prettyErrors: false });
  if (doc.errors.length > 0 || doc.contents === null) {
    return { kind: "scalar", place, value: doc.contents === null ? null : text };
  }
  const convert = (node: unknown): ConfigNode => {
    if (isMap(node)) {
      const entries: MapNode["entries"] = new Map();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        entries.set(key, { keyPlace: place, value: convert(pair.value) });
      }
      return { kind: "map", place, entries };
    }
    if (isSeq(node)) return { kind: "list", place, items: node.items.map(convert) };
    if (isScalar(node)) {
      const raw = scalarText(node.value);
      return {
        kind: "scalar",
        place,
        value: node.type === "PLAIN" ? resolvePlainScalar(raw) : raw,
      };
    }
    return { kind: "scalar", place, value: null };
  };
  return convert(doc.contents);
}

/** The text of a failsafe-schema scalar (always a string, or nothing for an empty value). */
function scalarText(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** Layers `over` onto `base` as Cerbos merges its sources: maps merge key by key, anything else replaces. */
export function mergeTrees(
  base: ConfigNode | undefined,
  over: ConfigNode | undefined,
): ConfigNode | undefined {
  if (base === undefined) return over;
  if (over === undefined) return base;
  if (over.kind === "scalar" && over.value === null) return base;
  if (base.kind !== "map" || over.kind !== "map") return over;
  const entries: MapNode["entries"] = new Map(base.entries);
  for (const [key, entry] of over.entries) {
    const existing = entries.get(key);
    const value = existing === undefined ? entry.value : mergeTrees(existing.value, entry.value);
    entries.set(key, { keyPlace: entry.keyPlace, value: value ?? entry.value });
  }
  return { kind: "map", place: base.place, entries };
}

/** The plain JSON-like value of a subtree (for free-form sections such as `engine.globals`). */
export function plainValue(node: ConfigNode): unknown {
  switch (node.kind) {
    case "scalar":
      return node.value;
    case "list":
      return node.items.map(plainValue);
    case "map": {
      const out: Record<string, unknown> = {};
      for (const [key, entry] of node.entries) out[key] = plainValue(entry.value);
      return out;
    }
  }
}
