// Writes wire-only copies of the vendored protos: upstream/ -> wire/.
//
// Cerbos's protos import annotation-only protos (google/api/annotations, http, field_behavior,
// visibility; buf/validate/validate; protoc-gen-openapiv2/options/*) that live in the Buf
// Schema Registry. They carry HTTP routes, OpenAPI text and validation rules as custom options;
// none of them changes a message's wire format or its JSON mapping. Removing those imports and
// every custom option (`option (x) = ...;` statements and `(x) = ...` entries of field option
// lists) lets `buf generate` run offline from files in this repository, and keeps the
// generated code free of three registries' worth of option descriptors. Standard options
// (`deprecated`, `json_name`, `go_package`, ...) stay. Request validation is done by hand in
// src/protocols/cerbos-api with Cerbos's messages, so dropping the validate rules loses nothing.
//
// Run: node proto/strip-annotations.ts   (npm run generate:proto runs it before buf generate)
// Importing it only gives `stripAnnotations`; a test checks that wire/ is up to date.

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const upstream = join(here, "upstream");
const wire = join(here, "wire");

const annotationImports = [
  "google/api/annotations.proto",
  "google/api/http.proto",
  "google/api/field_behavior.proto",
  "google/api/visibility.proto",
  "buf/validate/validate.proto",
];
const annotationImportPrefixes = ["protoc-gen-openapiv2/options/"];

type TokenKind = "space" | "comment" | "string" | "word" | "punct";
interface Token {
  readonly kind: TokenKind;
  readonly text: string;
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    let j = i + 1;
    let kind: TokenKind;
    if (/\s/.test(c)) {
      while (j < src.length && /\s/.test(src[j]!)) j++;
      kind = "space";
    } else if (c === "/" && src[i + 1] === "/") {
      while (j < src.length && src[j] !== "\n") j++;
      kind = "comment";
    } else if (c === "/" && src[i + 1] === "*") {
      j = src.indexOf("*/", i + 2);
      if (j < 0) throw new Error(`unterminated comment at offset ${i}`);
      j += 2;
      kind = "comment";
    } else if (c === '"' || c === "'") {
      while (j < src.length && src[j] !== c) j += src[j] === "\\" ? 2 : 1;
      if (j >= src.length) throw new Error(`unterminated string at offset ${i}`);
      j++;
      kind = "string";
    } else if (/[\w.]/.test(c)) {
      while (j < src.length && /[\w.]/.test(src[j]!)) j++;
      kind = "word";
    } else {
      kind = "punct";
    }
    tokens.push({ kind, text: src.slice(i, j) });
    i = j;
  }
  return tokens;
}

const significant = (t: Token): boolean => t.kind !== "space" && t.kind !== "comment";

function nextSignificant(tokens: readonly Token[], from: number): number {
  let i = from;
  while (i < tokens.length && !significant(tokens[i]!)) i++;
  return i;
}

/** Index just past the `;` that ends the statement starting at `from`, skipping nested braces. */
function statementEnd(tokens: readonly Token[], from: number): number {
  let depth = 0;
  for (let i = from; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== "punct") continue;
    if (t.text === "{" || t.text === "[" || t.text === "(") depth++;
    else if (t.text === "}" || t.text === "]" || t.text === ")") depth--;
    else if (t.text === ";" && depth === 0) return i + 1;
  }
  throw new Error("statement without `;`");
}

// Removed text becomes this marker; lines left holding only markers and blanks are dropped.
const removed = "\u0000";

/** `[a = 1, (x).y = {...}]` -> `[a = 1]`, or nothing when every entry was a custom option. */
function stripFieldOptions(tokens: readonly Token[], open: number): { text: string; end: number } {
  const entries: Token[][] = [[]];
  let depth = 0;
  let i = open + 1;
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === "punct") {
      if (t.text === "]" && depth === 0) break;
      if (t.text === "{" || t.text === "[" || t.text === "(") depth++;
      else if (t.text === "}" || t.text === "]" || t.text === ")") depth--;
      else if (t.text === "," && depth === 0) {
        entries.push([]);
        continue;
      }
    }
    entries[entries.length - 1]!.push(t);
  }
  const kept = entries
    .filter((e) => {
      const first = e.find(significant);
      return first !== undefined && first.text !== "(";
    })
    .map((e) =>
      e
        .map((t) => t.text)
        .join("")
        .trim(),
    );
  return { text: kept.length === 0 ? removed : `[${kept.join(", ")}]`, end: i + 1 };
}

export function stripAnnotations(src: string): string {
  const tokens = tokenize(src);
  let out = "";
  let statementStart = true;
  for (let i = 0; i < tokens.length;) {
    const t = tokens[i]!;
    if (!significant(t)) {
      out += t.text;
      i++;
      continue;
    }
    if (statementStart && t.text === "import") {
      const path = tokens[nextSignificant(tokens, i + 1)]!;
      const file = path.text.slice(1, -1);
      if (
        annotationImports.includes(file) ||
        annotationImportPrefixes.some((p) => file.startsWith(p))
      ) {
        out += removed;
        i = statementEnd(tokens, i);
        continue;
      }
    }
    if (statementStart && t.text === "option") {
      if (tokens[nextSignificant(tokens, i + 1)]!.text === "(") {
        out += removed;
        i = statementEnd(tokens, i);
        continue;
      }
    }
    if (t.text === "[") {
      // Field lists `[...]` and enum value lists; custom option values never reach here
      // because whole `option (...)` statements are skipped above.
      const { text, end } = stripFieldOptions(tokens, i);
      out = text === removed ? out.replace(/[ \t]+$/, "") + removed : out + text;
      i = end;
      statementStart = false;
      continue;
    }
    out += t.text;
    statementStart = t.text === ";" || t.text === "{" || t.text === "}";
    i++;
  }
  return out
    .split("\n")
    .filter((line) => !(line.includes(removed) && line.replaceAll(removed, "").trim() === ""))
    .map((line) => line.replaceAll(removed, ""))
    .join("\n");
}

export const protoDirs = { upstream, wire };

export function wireHeader(file: string): string {
  return (
    `// Generated by proto/strip-annotations.ts from proto/upstream/${file}: annotation-only\n` +
    `// imports and custom options removed. Do not edit; edit the upstream copy and rerun.\n\n`
  );
}

export function protoFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".proto"))
    .sort();
}

function main(): void {
  rmSync(wire, { recursive: true, force: true });
  for (const file of protoFiles(upstream)) {
    const src = readFileSync(join(upstream, file), "utf8");
    const target = join(wire, file);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, wireHeader(file) + stripAnnotations(src));
  }
  process.stdout.write(`wrote ${relative(process.cwd(), wire)}\n`);
}

if (import.meta.main) main();
