// Reads YAML or JSON text (JSON is read as YAML) into documents whose nodes keep their offsets,
// and translates YAML syntax errors into the messages Cerbos (goccy/go-yaml) prints, so authors
// see the same words and positions with either tool.

import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  Scalar,
  type Document,
  type Node,
  type YAMLError,
} from "yaml";

/** A problem at a place in the text, before any path is known. */
export interface TextProblem {
  readonly offset: number;
  readonly message: string;
}

/** A document and the anchors earlier documents of the stream defined, which it may use. */
export interface YamlDocument {
  readonly doc: Document.Parsed;
  readonly outerAnchors: ReadonlyMap<string, Node>;
}

export interface YamlSource {
  readonly text: string;
  readonly lines: LineCounter;
  /** Documents that have content (empty and comment-only documents are dropped). */
  readonly documents: readonly YamlDocument[];
  /** Syntax errors anywhere in the text; when present the documents must not be used. */
  readonly syntaxErrors: readonly TextProblem[];
}

/** How goccy/go-yaml names a node's type in "expected X got Y" messages. */
export type NodeKind =
  | "Mapping"
  | "Sequence"
  | "String"
  | "Literal"
  | "Integer"
  | "Float"
  | "Infinity"
  | "Nan"
  | "Bool"
  | "Null";

export function readYaml(text: string): YamlSource {
  const lines = new LineCounter();
  // YAML 1.2 core schema, as goccy/go-yaml reads it: `yes`/`no` are strings, not booleans.
  const parsed = parseAllDocuments(text, {
    lineCounter: lines,
    schema: "core",
    uniqueKeys: true,
    merge: false,
  });
  const all: Document.Parsed[] = Array.isArray(parsed) ? parsed : [];
  // goccy/go-yaml stops at the first syntax error; Cerbos's own check for quoted strings
  // followed by more text reports every occurrence.
  const translated = all.flatMap((doc) => doc.errors.map((err) => translateError(text, doc, err)));
  const quoteErrors = translated.filter((e) => e.message === quoteMessage);
  const first = translated[0];
  const syntaxErrors: TextProblem[] = quoteErrors.length > 0 ? quoteErrors : first ? [first] : [];
  // goccy/go-yaml lets a document use anchors of earlier documents in the same stream.
  const documents: YamlDocument[] = [];
  let anchors = new Map<string, Node>();
  for (const doc of all) {
    if (doc.contents !== null && !isEmptyScalar(doc.contents))
      documents.push({ doc, outerAnchors: anchors });
    anchors = new Map(anchors);
    walk(doc.contents, (n) => {
      if (n.anchor) anchors.set(n.anchor, n);
    });
  }
  return { text, lines, documents, syntaxErrors };
}

function isEmptyScalar(node: Node): boolean {
  return isScalar(node) && node.value === null && (node.source ?? "") === "" && !node.tag;
}

/** Follows aliases to the node they name. */
export function resolveNode(ydoc: YamlDocument, node: unknown): Node | undefined {
  let n = node;
  for (let guard = 0; isAlias(n) && guard < 64; guard++)
    n = n.resolve(ydoc.doc) ?? ydoc.outerAnchors.get(n.source);
  return isMap(n) || isSeq(n) || isScalar(n) ? n : undefined;
}

export function nodeKind(node: Node): NodeKind {
  if (isMap(node)) return "Mapping";
  if (isSeq(node)) return "Sequence";
  const s = node as Scalar;
  if (s.type === Scalar.BLOCK_LITERAL || s.type === Scalar.BLOCK_FOLDED) return "Literal";
  if (s.type === Scalar.QUOTE_DOUBLE || s.type === Scalar.QUOTE_SINGLE) return "String";
  const v = s.value;
  if (v === null || v === undefined) return "Null";
  if (typeof v === "boolean") return "Bool";
  if (typeof v === "number" || typeof v === "bigint") {
    if (typeof v === "number" && Number.isNaN(v)) return "Nan";
    if (typeof v === "number" && !Number.isFinite(v)) return "Infinity";
    const source = s.source ?? String(v);
    // goccy/go-yaml reads a number with an exponent but no fraction (`1e3`) as a string.
    if (/^[-+]?[0-9]+[eE]/u.test(source)) return "String";
    const integer = /^[-+]?(?:[0-9][0-9_]*|0o[0-7]+|0x[0-9a-fA-F]+|0b[01]+)$/u;
    return integer.test(source) ? "Integer" : "Float";
  }
  // goccy/go-yaml reads `1_000` as an integer; the YAML 1.2 core schema as a string.
  if (s.type === Scalar.PLAIN && typeof v === "string" && /^[-+]?[0-9][0-9_]*$/u.test(v))
    return "Integer";
  return "String";
}

/**
 * Where goccy/go-yaml places a node: a block mapping at its first `:`, an empty value just
 * after the `:` before it, anything else at its start.
 */
export function nodeOffset(text: string, node: Node): number {
  const start = node.range?.[0] ?? 0;
  if (isScalar(node) && node.value === null && (node.source ?? "") === "") {
    const colon = text.lastIndexOf(":", start);
    if (colon >= 0 && text.slice(colon + 1, start).trim() === "") return colon + 1;
  }
  if (isMap(node) && !node.flow) {
    const first = node.items[0];
    const keyEnd =
      isPair(first) && first.key && typeof first.key === "object" && "range" in first.key
        ? ((first.key as Node).range?.[1] ?? start)
        : start;
    const colon = text.indexOf(":", keyEnd);
    if (colon >= 0) return colon;
  }
  return start;
}

const quoteMessage =
  "invalid YAML string: use a literal or folded block for strings containing quotes";

function translateError(text: string, doc: Document.Parsed, err: YAMLError): TextProblem {
  const at = err.pos[0];
  const first = err.message.split("\n")[0] ?? err.message;
  switch (err.code) {
    case "MISSING_CHAR": {
      const quote = /closing (["'])quote/u.exec(first)?.[1];
      if (quote !== undefined) {
        const start = lastQuotedScalarStart(doc, at) ?? text.lastIndexOf(quote, at);
        const kind = quote === '"' ? "double" : "single";
        return {
          offset: Math.max(start, 0),
          message: `could not find end character of ${kind}-quoted text`,
        };
      }
      return { offset: at, message: "non-map value is specified" };
    }
    case "MULTILINE_IMPLICIT_KEY":
      return { offset: at, message: "non-map value is specified" };
    case "BLOCK_AS_IMPLICIT_KEY":
      return { offset: at, message: "mapping value is not allowed in this context" };
    case "TAB_AS_INDENT":
      return { offset: at, message: "found character '\t' that cannot start any token" };
    case "BAD_INDENT": {
      // An unclosed flow collection: goccy points at its opening bracket.
      const flow = /^Flow (sequence|mapping)/u.exec(first);
      if (flow) {
        const [open, close] = flow[1] === "sequence" ? ["[", "]"] : ["{", "}"];
        const start = text.lastIndexOf(open, at);
        return { offset: Math.max(start, 0), message: `${flow[1]} end token '${close}' not found` };
      }
      return { offset: at, message: "non-map value is specified" };
    }
    case "UNEXPECTED_TOKEN": {
      // `expr: "a" in b`: a quoted scalar followed by more text on the same line.
      const start = lastQuotedScalarStart(doc, at);
      if (start !== undefined && !text.slice(start, at).includes("\n"))
        return { offset: start, message: quoteMessage };
      return { offset: at, message: stripPosition(first) };
    }
    case "DUPLICATE_KEY":
      return duplicateKey(text, doc, at) ?? { offset: at, message: stripPosition(first) };
    default:
      return { offset: at, message: stripPosition(first) };
  }
}

function stripPosition(message: string): string {
  const m = message.replace(/ at line \d+, column \d+:?$/u, "");
  return m.charAt(0).toLowerCase() + m.slice(1);
}

/** Start offset of the last quoted scalar that starts before `offset`. */
function lastQuotedScalarStart(doc: Document.Parsed, offset: number): number | undefined {
  let best: number | undefined;
  walk(doc.contents, (n) => {
    if (!isScalar(n) || (n.type !== Scalar.QUOTE_DOUBLE && n.type !== Scalar.QUOTE_SINGLE)) return;
    const s = n.range?.[0];
    if (s !== undefined && s < offset && (best === undefined || s > best)) best = s;
  });
  return best;
}

function duplicateKey(text: string, doc: Document.Parsed, offset: number): TextProblem | undefined {
  let found: TextProblem | undefined;
  walk(doc.contents, (n) => {
    if (found || !isMap(n)) return;
    const seen = new Map<string, number>();
    for (const pair of n.items) {
      const key = pair.key;
      if (!isScalar(key) || !key.range) continue;
      const name = String(key.value);
      const prev = seen.get(name);
      if (prev !== undefined && key.range[0] <= offset && offset <= key.range[2]) {
        const p = lineCol(text, prev);
        found = {
          offset: key.range[0],
          message: `mapping key "${name}" already defined at [${p.line}:${p.column}]`,
        };
        return;
      }
      if (prev === undefined) seen.set(name, key.range[0]);
    }
  });
  return found;
}

function walk(node: unknown, visit: (n: Node) => void): void {
  if (isMap(node)) {
    visit(node);
    for (const p of node.items) {
      walk(p.key, visit);
      walk(p.value, visit);
    }
  } else if (isSeq(node)) {
    visit(node);
    for (const item of node.items) walk(item, visit);
  } else if (isScalar(node)) {
    visit(node);
  }
}

/**
 * 1-based line and column of an offset, where goccy/go-yaml reports it: an empty value that
 * ends the document (`key:` and nothing after) sits one column past its colon, where goccy
 * places the `null` it makes up.
 */
export function sourcePosition(
  source: Pick<YamlSource, "text" | "lines">,
  offset: number,
): { line: number; column: number } {
  const p = source.lines.linePos(offset);
  const atEnd =
    offset > 0 &&
    source.text.charCodeAt(offset - 1) === 58 /* : */ &&
    source.text.slice(offset).trim() === "";
  return { line: p.line, column: atEnd ? p.col + 1 : p.col };
}

/** 1-based line and column of an offset. */
export function lineCol(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
