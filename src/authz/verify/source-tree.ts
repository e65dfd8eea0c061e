// Test suites and fixture files as a positioned tree: every value remembers where it was
// written, so a decoding or validation problem can be reported at `line:column` the way Cerbos
// reports it. YAML anchors, aliases and `<<` merge keys are resolved here; JSON is read as YAML.

import { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments } from "yaml";
import type { Document, Node as YamlNode, Pair } from "yaml";
import type { JsonValue } from "../policy/model.ts";

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** The YAML kind names Cerbos uses in "expected X got Y" messages. */
export type ScalarKind = "String" | "Integer" | "Float" | "Bool" | "Null";

export type TreeNode = MapNode | SeqNode | ScalarNode;

export interface MapEntry {
  readonly key: string;
  readonly keyPos: Position;
  readonly value: TreeNode;
}

export interface MapNode {
  readonly kind: "Mapping";
  readonly entries: readonly MapEntry[];
  readonly pos: Position;
}

export interface SeqNode {
  readonly kind: "Sequence";
  readonly items: readonly TreeNode[];
  readonly pos: Position;
}

export interface ScalarNode {
  readonly kind: ScalarKind;
  readonly value: string | number | boolean | null;
  /** The text as written, for messages such as `invalid enum value "X"`. */
  readonly text: string;
  readonly pos: Position;
}

export type ReadResult =
  { readonly root: MapNode } | { readonly error: string; readonly pos?: Position };

const invalidDocument = "invalid document: contents are not valid YAML or JSON";

/** Reads one YAML or JSON document whose top level must be a mapping. */
export function readSourceTree(text: string): ReadResult {
  const lineCounter = new LineCounter();
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, {
      lineCounter,
      intAsBigInt: true,
      uniqueKeys: false,
      keepSourceTokens: true,
    }) as Document.Parsed[];
  } catch {
    return { error: invalidDocument, pos: { line: 1, column: 1 } };
  }
  if (!Array.isArray(docs)) return { error: invalidDocument, pos: { line: 1, column: 1 } };
  if (docs.length > 1) return { error: "more than one YAML document detected" };
  const doc = docs[0];
  const at = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  if (doc === undefined || doc.contents === null) {
    return { root: { kind: "Mapping", entries: [], pos: { line: 1, column: 1 } } };
  }
  if (doc.errors.length > 0 || !isMap(doc.contents)) {
    return { error: invalidDocument, pos: { line: 1, column: 1 } };
  }
  const builder = new TreeBuilder(doc, text, at);
  const root = builder.build(doc.contents);
  if (builder.duplicate) return builder.duplicate;
  return root.kind === "Mapping"
    ? { root }
    : { error: invalidDocument, pos: { line: 1, column: 1 } };
}

class TreeBuilder {
  duplicate: { error: string; pos: Position } | undefined;
  readonly #doc: Document.Parsed;
  readonly #text: string;
  readonly #at: (offset: number) => Position;
  readonly #resolving = new Set<YamlNode>();

  constructor(doc: Document.Parsed, text: string, at: (offset: number) => Position) {
    this.#doc = doc;
    this.#text = text;
    this.#at = at;
  }

  build(node: unknown): TreeNode {
    if (isAlias(node)) {
      const target = node.resolve(this.#doc);
      // A self-referencing alias cannot be expanded; treat it as null rather than loop.
      if (!target || this.#resolving.has(target))
        return this.#scalar(null, "Null", "", node.range?.[0] ?? 0);
      this.#resolving.add(target);
      try {
        return this.build(target);
      } finally {
        this.#resolving.delete(target);
      }
    }
    if (isMap(node)) {
      const entries: MapEntry[] = [];
      const merged: MapEntry[] = [];
      for (const pair of node.items) {
        const keyNode = pair.key;
        const key = isScalar(keyNode) ? scalarText(keyNode.value) : "";
        const keyOffset = (keyNode as YamlNode | null)?.range?.[0] ?? 0;
        if (key === "<<" && isScalar(keyNode) && keyNode.type === "PLAIN") {
          merged.push(...this.#mergeSources(pair.value));
          continue;
        }
        const previous = entries.find((e) => e.key === key);
        const keyPos = this.#at(keyOffset);
        if (previous && !this.duplicate) {
          this.duplicate = {
            error: `mapping key "${key}" already defined at [${previous.keyPos.line}:${previous.keyPos.column}]`,
            pos: keyPos,
          };
        }
        entries.push({ key, keyPos, value: this.#valueOf(pair) });
      }
      // Explicit keys win over merged ones, whatever their order (YAML merge key semantics).
      for (const m of merged) if (!entries.some((e) => e.key === m.key)) entries.push(m);
      return {
        kind: "Mapping",
        entries,
        pos: this.#mapPosition(node.flow === true, node.items, node.range?.[0] ?? 0),
      };
    }
    if (isSeq(node)) {
      return {
        kind: "Sequence",
        items: node.items.map((i) => this.build(i)),
        pos: this.#at(node.range?.[0] ?? 0),
      };
    }
    if (isScalar(node)) {
      const offset = node.range?.[0] ?? 0;
      const text = node.source ?? scalarText(node.value);
      const v = node.value;
      if (v === null || v === undefined) return this.#scalar(null, "Null", text, offset);
      if (typeof v === "bigint") return this.#scalar(Number(v), "Integer", text, offset);
      if (typeof v === "number") {
        return this.#scalar(
          v,
          Number.isInteger(v) && !/[.eE]/.test(text) ? "Integer" : "Float",
          text,
          offset,
        );
      }
      if (typeof v === "boolean") return this.#scalar(v, "Bool", text, offset);
      return this.#scalar(scalarText(v), "String", text, offset);
    }
    return this.#scalar(null, "Null", "", 0);
  }

  // An empty value (`key:` with nothing after it) sits just after the colon, as in Cerbos.
  #valueOf(pair: Pair): TreeNode {
    const built = this.build(pair.value);
    if (built.kind !== "Null" || built.text !== "") return built;
    const keyEnd = (pair.key as YamlNode | null)?.range?.[1];
    if (keyEnd === undefined) return built;
    const colon = this.#text.indexOf(":", keyEnd);
    if (colon < 0) return built;
    // goccy/go-yaml puts an empty value that ends the document one column further on.
    const atEnd = this.#text.slice(colon + 1).trim() === "";
    const after = this.#at(colon + 1);
    return { ...built, pos: atEnd ? { line: after.line, column: after.column + 1 } : after };
  }

  #mergeSources(value: unknown): MapEntry[] {
    const out: MapEntry[] = [];
    const sources = isSeq(value) ? value.items : [value];
    for (const s of sources) {
      const built = this.build(s);
      if (built.kind !== "Mapping") continue;
      for (const e of built.entries) if (!out.some((o) => o.key === e.key)) out.push(e);
    }
    return out;
  }

  // Cerbos (goccy/go-yaml) places a block mapping at the `:` of its first key; a flow mapping at `{`.
  #mapPosition(flow: boolean, items: readonly Pair[], start: number): Position {
    const first = items[0];
    if (flow || !first) return this.#at(start);
    const keyEnd = (first.key as YamlNode | null)?.range?.[1];
    if (keyEnd === undefined) return this.#at(start);
    const colon = this.#text.indexOf(":", keyEnd);
    return this.#at(colon >= 0 ? colon : start);
  }

  #scalar(
    value: string | number | boolean | null,
    kind: ScalarKind,
    text: string,
    offset: number,
  ): ScalarNode {
    return { kind, value, text, pos: this.#at(offset) };
  }
}

function scalarText(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === null || v === undefined) return "";
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return String(v);
  return "";
}

/** A node as plain JSON (attribute values, globals, output values). */
export function toJson(node: TreeNode): JsonValue {
  switch (node.kind) {
    case "Mapping": {
      const out: { [k: string]: JsonValue } = {};
      for (const e of node.entries) out[e.key] = toJson(e.value);
      return out;
    }
    case "Sequence":
      return node.items.map(toJson);
    default:
      return node.value;
  }
}
