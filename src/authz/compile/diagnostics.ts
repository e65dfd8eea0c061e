// Collects compile diagnostics with the file, line, column and Cerbos-style path of the
// offending part of a policy, so authors see every problem at once.

import type { Diagnostic, SourcePosition } from "../../kernel/diagnostic.ts";
import type { ParsedPolicy } from "../policy/index.ts";

export class DiagnosticSink {
  readonly list: Diagnostic[] = [];

  /** A problem at `path` inside a parsed policy (Cerbos points at a field's key). */
  at(parsed: ParsedPolicy, path: string, error: string, description?: string): void {
    this.#push(parsed, path, parsed.positionOf(path), error, description);
  }

  /** A problem with the value at `path`, such as a variable's expression (Cerbos points at the value). */
  atValue(parsed: ParsedPolicy, path: string, error: string, description?: string): void {
    this.#push(parsed, path, parsed.valuePositionOf(path), error, description);
  }

  #push(
    parsed: ParsedPolicy,
    path: string,
    pos: SourcePosition | undefined,
    error: string,
    description: string | undefined,
  ): void {
    const position: SourcePosition | undefined = pos
      ? { line: pos.line, column: pos.column, path }
      : undefined;
    const snippet = position ? parsed.snippetAt(position) : undefined;
    this.list.push({
      file: parsed.file,
      error,
      ...(description !== undefined ? { description } : {}),
      ...(position ? { position } : {}),
      ...(snippet !== undefined ? { snippet } : {}),
    });
  }

  /** A problem of a whole file (no position). */
  file(file: string, error: string, description?: string): void {
    this.list.push({ file, error, ...(description !== undefined ? { description } : {}) });
  }

  /** A problem with an explicit position. */
  positioned(
    file: string,
    error: string,
    description: string,
    position: SourcePosition | undefined,
  ): void {
    this.list.push({ file, error, description, ...(position ? { position } : {}) });
  }
}

/** `file:line:col` of the value at a path, as Cerbos quotes definitions in messages. */
export function locate(parsed: ParsedPolicy, path: string): string {
  const pos = parsed.valuePositionOf(path);
  return pos ? `${parsed.file}:${pos.line}:${pos.column}` : parsed.file;
}

/** A map key inside a Cerbos path: `.key`, or `.'a.b'` when the key has dots. */
export function keyPath(base: string, key: string): string {
  return key.includes(".") ? `${base}.'${key}'` : `${base}.${key}`;
}

/** `a`, `a and b`, `a, b, and c`: Cerbos's list rendering in messages. */
export function joinList(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? "";
  if (items.length === 2) return `${items[0]} and ${items[1]}`;
  return `${items.slice(0, -1).join(", ")}, and ${items[items.length - 1]}`;
}
