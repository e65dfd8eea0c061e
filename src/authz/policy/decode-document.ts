// Decodes YAML or JSON documents against a message shape, the way Cerbos's parser turns YAML
// into protobuf (policies, test suites and fixtures alike): unknown fields and wrong types are
// parse errors at the offending node, scalars are coerced where protobuf JSON would accept them,
// merge keys (`<<: *anchor`) are expanded, and the offset of every field, item and map entry is
// indexed by its Cerbos-style path.

import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Node,
  type Scalar,
  type YAMLMap,
} from "yaml";
import type { FieldShape, FieldType, MessageShape } from "./policy-shape.ts";
import { parseTimestamp } from "./timestamp.ts";
import {
  nodeKind,
  nodeOffset,
  readYaml,
  resolveNode,
  sourcePosition,
  type TextProblem,
  type YamlDocument,
} from "./yaml-source.ts";

/** Offsets of a path's key (for map entries and fields) and value. */
export interface PathOffsets {
  readonly key?: number;
  readonly value: number;
  /** Whether the value is a scalar (Cerbos points at a scalar value, but at a collection's key). */
  readonly scalar: boolean;
}

export interface DecodeProblem {
  readonly offset: number;
  readonly path: string;
  readonly message: string;
}

export interface DecodedDocument {
  readonly value: Record<string, unknown>;
  readonly offsets: ReadonlyMap<string, PathOffsets>;
  readonly problems: readonly DecodeProblem[];
}

/**
 * The offsets of every path of a document. A policy keeps this index for as long as it may be
 * reported on, and a whole repository is held at once while it compiles, so it stays small: the
 * paths in a list and three numbers each, with no hash table until lookups are many (a policy
 * asks for a handful of positions, a test suite for one per field).
 */
class PathOffsetTable implements ReadonlyMap<string, PathOffsets> {
  /** Paths in the order they were set; a path set again holds its last offsets. */
  #paths: string[] = [];
  /** `key` (-1 when none), `value`, `scalar` (0 or 1) of each entry of `#paths`. */
  #data: number[] | Int32Array = [];
  #index: Map<string, number> | undefined;
  #scans = 0;

  set(path: string, offsets: PathOffsets): void {
    (this.#data as number[]).push(offsets.key ?? -1, offsets.value, offsets.scalar ? 1 : 0);
    this.#paths.push(path);
    this.#index?.set(path, this.#paths.length - 1);
  }

  /** Called once decoding is done: both lists move to arrays of exactly their size. */
  seal(): this {
    if (Array.isArray(this.#data)) this.#data = Int32Array.from(this.#data);
    this.#paths = this.#paths.slice();
    return this;
  }

  /** Position of a path's entry in `#paths`, or -1. */
  #find(path: string): number {
    if (this.#index === undefined && ++this.#scans > 16) this.#buildIndex();
    if (this.#index) return this.#index.get(path) ?? -1;
    return this.#paths.lastIndexOf(path);
  }

  #buildIndex(): Map<string, number> {
    const index = new Map<string, number>();
    this.#paths.forEach((p, i) => index.set(p, i));
    this.#index = index;
    return index;
  }

  get size(): number {
    return (this.#index ?? this.#buildIndex()).size;
  }

  has(path: string): boolean {
    return this.#find(path) >= 0;
  }

  get(path: string): PathOffsets | undefined {
    const i = this.#find(path);
    return i < 0 ? undefined : this.#at(i * 3);
  }

  #at(at: number): PathOffsets {
    const key = this.#data[at] ?? -1;
    const value = this.#data[at + 1] ?? 0;
    const scalar = this.#data[at + 2] === 1;
    return key >= 0 ? { key, value, scalar } : { value, scalar };
  }

  /** The whole index as a Map: for iteration, which nothing does on a hot path. */
  #toMap(): Map<string, PathOffsets> {
    const out = new Map<string, PathOffsets>();
    this.#paths.forEach((p, i) => out.set(p, this.#at(i * 3)));
    return out;
  }

  entries(): MapIterator<[string, PathOffsets]> {
    return this.#toMap().entries();
  }

  keys(): MapIterator<string> {
    return this.#toMap().keys();
  }

  values(): MapIterator<PathOffsets> {
    return this.#toMap().values();
  }

  [Symbol.iterator](): MapIterator<[string, PathOffsets]> {
    return this.entries();
  }

  forEach(
    fn: (value: PathOffsets, key: string, map: ReadonlyMap<string, PathOffsets>) => void,
    thisArg?: unknown,
  ): void {
    for (const [path, offsets] of this.#toMap()) fn.call(thisArg, offsets, path, this);
  }
}

/** A whole YAML or JSON text, each of its documents decoded against one shape. */
export interface DecodedText {
  /** Syntax errors anywhere in the text; when there are any, `documents` is empty. */
  readonly syntaxErrors: readonly TextProblem[];
  /** The documents that have content (empty and comment-only ones are dropped). */
  readonly documents: readonly DecodedDocument[];
  /** 1-based line and column of an offset, as Cerbos reports it. */
  position(offset: number): { line: number; column: number };
}

export function decodeText(text: string, shape: MessageShape): DecodedText {
  const yaml = readYaml(text);
  const syntax = yaml.syntaxErrors.length > 0;
  // Positions are asked for long after decoding (diagnostics of the compiler): keep the text and
  // its line starts only, not the YAML documents, which weigh some twenty times the text.
  const lines = { text, lines: yaml.lines };
  return {
    syntaxErrors: yaml.syntaxErrors,
    documents: syntax ? [] : yaml.documents.map((doc) => decodeDocument(doc, text, shape)),
    position: (offset) => sourcePosition(lines, offset),
  };
}

// Each path is kept (see PathOffsetTable) as its parent's path joined to one segment: a single
// rope node over the parent's, where a template literal with text around its parts would add
// two or three.
const fieldSegments = new Map<string, string>();

/** `.name`: the path segment of a message field; shapes have few names, each made once. */
function fieldSegment(name: string): string {
  let seg = fieldSegments.get(name);
  if (seg === undefined) {
    seg = `.${name}`;
    fieldSegments.set(name, seg);
  }
  return seg;
}

/** `[i]`: the path segment of a list item. */
function itemSegment(i: number): string {
  return `[${i}]`;
}

/** `.key`, or `.'a.b'` when the key has dots: Cerbos's path segment for a map key. */
export function keySegment(key: string): string {
  return key.includes(".") ? `.'${key}'` : `.${key}`;
}

function decodeDocument(doc: YamlDocument, text: string, shape: MessageShape): DecodedDocument {
  const d = new Decoder(doc, text);
  const root = resolveNode(doc, doc.doc.contents);
  const start = root?.range?.[0] ?? doc.doc.contents?.range?.[0] ?? 0;
  d.offsets.set("$", { value: start, scalar: false });
  if (!root || !isMap(root)) {
    d.problems.push({ offset: start, path: "$", message: invalidDocument });
    return { value: {}, offsets: d.offsets.seal(), problems: d.problems };
  }
  const value = d.message(root, shape, "$");
  return { value: value ?? {}, offsets: d.offsets.seal(), problems: d.problems };
}

const invalidDocument = "invalid document: contents are not valid YAML or JSON";

interface Entry {
  readonly key: string;
  readonly keyNode: Node;
  readonly value: Node | undefined;
}

class Decoder {
  readonly offsets = new PathOffsetTable();
  readonly problems: DecodeProblem[] = [];
  readonly #doc: YamlDocument;
  readonly #text: string;

  constructor(doc: YamlDocument, text: string) {
    this.#doc = doc;
    this.#text = text;
  }

  problem(node: Node, path: string, message: string): void {
    this.problems.push({ offset: this.#offset(node), path, message });
  }

  #offset(node: Node): number {
    return nodeOffset(this.#text, node);
  }

  /** The entries of a mapping with merge keys expanded; explicit keys win over merged ones. */
  entries(map: YAMLMap, depth = 0): Entry[] {
    const explicit: Entry[] = [];
    const merged: Entry[] = [];
    for (const pair of map.items) {
      if (!isPair(pair)) continue;
      const keyNode = resolveNode(this.#doc, pair.key);
      if (!keyNode || !isScalar(keyNode)) continue;
      const key = scalarText(keyNode);
      const value = this.resolveValue(pair.value);
      if (key === "<<" && keyNode.type === "PLAIN" && depth < 32) {
        const sources =
          value && isSeq(value) ? value.items.map((i) => resolveNode(this.#doc, i)) : [value];
        for (const s of sources) if (s && isMap(s)) merged.push(...this.entries(s, depth + 1));
        continue;
      }
      explicit.push({ key, keyNode, value });
    }
    const seen = new Set(explicit.map((e) => e.key));
    const out = [...explicit];
    for (const e of merged) {
      if (seen.has(e.key)) continue;
      seen.add(e.key);
      out.push(e);
    }
    return out;
  }

  /** Resolves aliases; an alias to no anchor stays, for `field` and `value` to report. */
  resolveValue(node: unknown): Node | undefined {
    return resolveNode(this.#doc, node) ?? (isAlias(node) ? node : undefined);
  }

  /** Reports an alias whose anchor does not exist; true when `node` is one. */
  dangling(node: Node, path: string): boolean {
    if (!isAlias(node)) return false;
    this.problem(node, path, `unknown anchor "${node.source}"`);
    return true;
  }

  entryOffsets(path: string, e: Entry): void {
    const key = e.keyNode.range?.[0] ?? 0;
    const value = e.value ? this.#offset(e.value) : (e.keyNode.range?.[1] ?? key);
    this.offsets.set(path, { key, value, scalar: e.value === undefined || isScalar(e.value) });
  }

  message(node: Node, shape: MessageShape, path: string): Record<string, unknown> | undefined {
    if (!isMap(node)) {
      this.problem(node, path, `expected object got ${nodeKind(node)}`);
      return undefined;
    }
    const out: Record<string, unknown> = {};
    for (const e of this.entries(node)) {
      const field = findField(shape, e.key);
      if (!field) {
        const p = `${path}${keySegment(e.key)}`;
        this.problems.push({
          offset: e.keyNode.range?.[0] ?? 0,
          path: p,
          message: `unknown field "${e.key}"`,
        });
        continue;
      }
      const p = path + fieldSegment(field.name);
      const valueNode = e.value;
      this.entryOffsets(p, e);
      if (!valueNode) continue;
      const v = this.field(valueNode, field.type, p);
      if (v !== undefined) out[field.name] = v;
    }
    return out;
  }

  field(node: Node, type: FieldType, path: string): unknown {
    if (this.dangling(node, path)) return undefined;
    switch (type.t) {
      case "string":
        return this.string(node, path);
      case "bool": {
        const kind = nodeKind(node);
        if (kind !== "Bool") {
          this.problem(node, path, `expected boolean value got ${kind}`);
          return undefined;
        }
        return (node as Scalar).value;
      }
      case "uint64":
        return this.uint64(node, path);
      case "enum":
        return this.enumValue(node, type.values, path);
      case "value":
        return this.value(node, path);
      case "timestamp":
        return this.timestamp(node, path);
      case "message":
        return this.message(node, type.shape(), path);
      case "list": {
        if (!isSeq(node)) {
          this.problem(node, path, `expected sequence got ${nodeKind(node)}`);
          return undefined;
        }
        const out: unknown[] = [];
        node.items.forEach((item, i) => {
          const p = path + itemSegment(i);
          const n = this.resolveValue(item);
          if (!n) return;
          this.offsets.set(p, { value: this.#offset(n), scalar: isScalar(n) });
          const v = this.field(n, type.of, p);
          if (v !== undefined) out.push(v);
        });
        return out;
      }
      case "map": {
        if (!isMap(node)) {
          this.problem(node, path, `expected map got ${nodeKind(node)}`);
          return undefined;
        }
        const out: Record<string, unknown> = {};
        for (const e of this.entries(node)) {
          const p = `${path}${keySegment(e.key)}`;
          this.entryOffsets(p, e);
          const v = e.value ? this.field(e.value, type.of, p) : type.of.t === "value" ? null : "";
          // A map entry always has a value: null stands for the enum's zero value.
          if (v === undefined && type.of.t === "enum" && e.value && nodeKind(e.value) === "Null") {
            out[e.key] = type.of.values[0];
            continue;
          }
          if (v !== undefined) out[e.key] = v;
        }
        return out;
      }
    }
  }

  string(node: Node, path: string): string | undefined {
    const kind = nodeKind(node);
    switch (kind) {
      case "String":
      case "Literal":
        return this.text(node as Scalar);
      case "Integer":
      case "Bool":
        // protobuf JSON would refuse these, but Cerbos's YAML reader takes the text as written
        // (less a leading `+`).
        return ((node as Scalar).source ?? String((node as Scalar).value)).replace(/^\+/u, "");
      case "Null":
        return "";
      default:
        this.problem(node, path, `expected string value got ${kind}`);
        return undefined;
    }
  }

  uint64(node: Node, path: string): string | undefined {
    const kind = nodeKind(node);
    const raw = isScalar(node) ? String(node.value) : "";
    if (kind === "Integer" || (kind === "String" && /^-?\d+$/u.test(raw))) {
      if (raw.startsWith("-")) {
        this.problem(node, path, `unexpected negative value ${raw}`);
        return undefined;
      }
      return raw;
    }
    if (kind === "Null") return undefined;
    this.problem(node, path, `expected integer value got ${kind}`);
    return undefined;
  }

  enumValue(node: Node, values: readonly string[], path: string): string | number | undefined {
    const kind = nodeKind(node);
    if (kind === "Null") return undefined;
    if (kind === "String") {
      const name = String((node as Scalar).value);
      // The shape's own string, so that thousands of policies share one copy.
      const known = values.find((v) => v === name);
      if (known !== undefined) return known;
      this.problem(node, path, `invalid enum value "${name}"`);
      return undefined;
    }
    if (kind === "Integer") {
      const n = Number((node as Scalar).value);
      return values[n] ?? n;
    }
    this.problem(node, path, "invalid enum value");
    return undefined;
  }

  /** google.protobuf.Timestamp, written as an RFC 3339 string. */
  timestamp(node: Node, path: string): number | undefined {
    const kind = nodeKind(node);
    if (kind !== "String") {
      this.problem(node, path, `expected string got ${kind}`);
      return undefined;
    }
    const parsed = parseTimestamp(String((node as Scalar).value));
    if ("error" in parsed) {
      this.problem(node, path, parsed.error);
      return undefined;
    }
    return parsed.millis;
  }

  /** google.protobuf.Value: any JSON value, except that infinities and NaN have no JSON form. */
  value(node: Node, path: string): unknown {
    if (this.dangling(node, path)) return undefined;
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const e of this.entries(node)) {
        const p = `${path}${keySegment(e.key)}`;
        this.entryOffsets(p, e);
        const v = e.value ? this.value(e.value, p) : null;
        if (v !== undefined) out[e.key] = v;
      }
      return out;
    }
    if (isSeq(node)) {
      const out: unknown[] = [];
      node.items.forEach((item, i) => {
        const p = path + itemSegment(i);
        const n = this.resolveValue(item);
        if (!n) {
          out.push(null);
          return;
        }
        this.offsets.set(p, { value: this.#offset(n), scalar: isScalar(n) });
        const v = this.value(n, p);
        out.push(v === undefined ? null : v);
      });
      return out;
    }
    const s = node as Scalar;
    const v = s.value;
    if (v === null || v === undefined) return null;
    // Where goccy/go-yaml and the YAML 1.2 core schema disagree (`1e3`, `1_000`), goccy decides.
    const kind = nodeKind(node);
    if (typeof v === "number" && kind === "String") return this.text(s);
    if (typeof v === "string" && kind === "Integer") return Number(v.replace(/_/gu, ""));
    if (typeof v === "number") {
      if (Number.isNaN(v)) {
        this.problem(node, path, "unexpected Nan");
        return undefined;
      }
      if (!Number.isFinite(v)) {
        this.problem(node, path, v > 0 ? "unexpected Infinity" : "unexpected -Infinity");
        return undefined;
      }
      return v;
    }
    if (typeof v === "bigint") return Number(v);
    if (typeof v === "string") return this.text(s);
    if (typeof v === "boolean") return v;
    return s.source ?? "";
  }

  /**
   * A string scalar's value. A block scalar that runs to the end of a file without a final
   * newline has no line break to keep, but the yaml library adds one; goccy/go-yaml does not.
   */
  text(s: Scalar): string {
    // A plain scalar that the core schema reads as a number but goccy as text (`1e3`).
    const v = typeof s.value === "string" ? s.value : (s.source ?? String(s.value));
    const end = s.range?.[1] ?? 0;
    const block = s.type === "BLOCK_LITERAL" || s.type === "BLOCK_FOLDED";
    if (block && v.endsWith("\n") && end >= this.#text.length && !/\r?\n$/u.test(this.#text)) {
      const header = /^[|>][^\n]*/u.exec(this.#text.slice(s.range?.[0] ?? 0))?.[0] ?? "";
      if (!header.includes("+")) return detached(v.slice(0, -1));
    }
    return detached(v);
  }
}

/**
 * A copy of a string that does not share the file's text. V8 represents a substring of 13
 * characters or more as a view of the string it was cut from, so a condition kept in a compiled
 * policy would keep its whole file's text alive for the life of the policy set.
 */
function detached(s: string): string {
  return s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as string);
}

function findField(shape: MessageShape, key: string): FieldShape | undefined {
  return shape.fields.find((f) => f.name === key || f.protoName === key);
}

function scalarText(s: Scalar): string {
  const v = s.value;
  if (v === null || v === undefined) return s.source ?? "";
  return typeof v === "string" ? v : (s.source ?? JSON.stringify(v));
}
