// Parses one policy file (YAML or JSON) into the policy model and validates it the way Cerbos
// does: syntax errors, unknown fields and wrong types are parse errors; broken `buf.validate`
// constraints are validation errors. Each comes with line, column, Cerbos-style path and the
// surrounding source. A policy is returned only when its file has no problem at all.

import type { Diagnostic, SourcePosition } from "../../kernel/diagnostic.ts";
import { decodeText, type DecodedDocument, type PathOffsets } from "./decode-document.ts";
import type { Policy } from "./model.ts";
import { policyShape, type MessageShape } from "./policy-shape.ts";
import { renderSnippet, sourceLines } from "./source-snippet.ts";
import { checkPolicy } from "./policy-checks.ts";
import { validateMessage } from "./validate-policy.ts";

export interface PolicySource {
  /** Path relative to the repository root, with `/` separators. */
  readonly file: string;
  readonly text: string;
}

export interface ParsedPolicy {
  readonly file: string;
  readonly policy: Policy;
  /**
   * Position of a Cerbos-style path such as `$.resourcePolicy.rules[0].actions[1]`: the key of
   * a field or map entry, the value of a list item. Undefined for paths not in the source.
   */
  positionOf(path: string): SourcePosition | undefined;
  /**
   * Where Cerbos points for the value at a path: a scalar value itself (`a: V.x` at `V.x`); for a
   * collection, the same place as `positionOf`.
   */
  valuePositionOf(path: string): SourcePosition | undefined;
  /** The source lines around a position, for display. */
  snippetAt(pos: SourcePosition): string | undefined;
}

/** Cerbos's two kinds of load failure (ErrorDetails.kind), used as `Diagnostic.error`. */
export const PARSE_ERROR = "parse error";
export const VALIDATION_ERROR = "validation error";
/** Problems Cerbos finds in a well-formed policy before indexing it (duplicate rule names...). */
export const POLICY_ERROR = "invalid policy";

export interface ParseOptions {
  /**
   * Reject resource rules without `roles` or `derivedRoles` as a load failure, as Cerbos's
   * index does (`rule #3 does not specify any roles or derived roles to match`). Off by
   * default: the compiler reports the same problem in the words of Cerbos's compiler tests.
   */
  readonly requireRuleRoles?: boolean;
  /** The message shape documents are read against; the policy shape unless testing. */
  readonly shape?: MessageShape;
}

/** One YAML document of a file, decoded: the message (possibly partial) and its problems. */
export interface DecodedPolicyDocument {
  readonly message: Record<string, unknown>;
  readonly parsed: ParsedPolicy;
  readonly diagnostics: Diagnostic[];
}

export function parsePolicy(
  src: PolicySource,
  options: ParseOptions = {},
): {
  policy?: ParsedPolicy;
  diagnostics: Diagnostic[];
} {
  const result = parsePolicyDocuments(src, options);
  if (result.diagnostics.length > 0) return { diagnostics: result.diagnostics };
  if (result.documents.length > 1) {
    return {
      diagnostics: [
        {
          file: src.file,
          error: POLICY_ERROR,
          description: "more than one YAML document detected",
        },
      ],
    };
  }
  const only = result.documents[0];
  // An empty or comment-only file holds no policy, and Cerbos does not complain about it.
  if (!only) return { diagnostics: [] };
  if (only.diagnostics.length > 0) return { diagnostics: only.diagnostics };
  return { policy: only.parsed, diagnostics: [] };
}

/**
 * Every document of a file, as Cerbos's parser reads a multi-document stream. `diagnostics`
 * holds syntax errors, which spoil the whole file (then `documents` is empty).
 */
export function parsePolicyDocuments(
  src: PolicySource,
  options: ParseOptions = {},
): { documents: DecodedPolicyDocument[]; diagnostics: Diagnostic[] } {
  const shape = options.shape ?? policyShape;
  const read = decodeText(src.text, shape);
  // Split into lines only to show a snippet, which most files never need.
  let split: readonly string[] | undefined;
  const lines = (): readonly string[] => (split ??= sourceLines(src.text));
  const at = (offset: number, path?: string): SourcePosition => {
    const p = read.position(offset);
    return { line: p.line, column: p.column, ...(path !== undefined ? { path } : {}) };
  };
  /** `caret` is where the snippet points, when that differs from the reported position. */
  const diag = (
    error: string,
    description: string,
    position: SourcePosition | undefined,
    caret: SourcePosition | undefined = position,
  ): Diagnostic => {
    const snippet = caret ? renderSnippet(lines(), caret.line, caret.column) : undefined;
    return {
      file: src.file,
      error,
      description,
      ...(position ? { position } : {}),
      ...(snippet !== undefined ? { snippet } : {}),
    };
  };
  if (read.syntaxErrors.length > 0) {
    return {
      documents: [],
      diagnostics: read.syntaxErrors.map((e) => diag(PARSE_ERROR, e.message, at(e.offset))),
    };
  }
  const documents = read.documents.map((decoded) =>
    checkOne(src.file, decoded, shape, options, lines, at, diag),
  );
  return { documents, diagnostics: [] };
}

/** Validates a decoded document and runs Cerbos's policy checks on it. */
function checkOne(
  file: string,
  decoded: DecodedDocument,
  shape: MessageShape,
  options: ParseOptions,
  lines: () => readonly string[],
  at: (offset: number, path?: string) => SourcePosition,
  diag: (
    error: string,
    description: string,
    position: SourcePosition | undefined,
    caret?: SourcePosition,
  ) => Diagnostic,
): DecodedPolicyDocument {
  const policy = decoded.value as unknown as Policy;
  const parsed = new PositionedPolicy(file, policy, decoded.offsets, lines, at);
  // Cerbos reports a field's problems at its key but points the snippet at its value.
  const valueAt = (path: string): SourcePosition | undefined => {
    const o = decoded.offsets.get(path);
    return o ? at(o.value) : undefined;
  };
  const diagnostics = decoded.problems.map((p) =>
    diag(PARSE_ERROR, p.message, at(p.offset, p.path)),
  );
  // Cerbos validates only what decoded cleanly; a half-read document would add noise.
  if (diagnostics.length === 0) {
    for (const v of validateMessage(decoded.value, shape, "$")) {
      diagnostics.push(
        diag(VALIDATION_ERROR, v.message, parsed.positionOf(v.path), valueAt(v.path)),
      );
    }
  }
  if (diagnostics.length === 0 && shape === policyShape) {
    const checks = { requireRuleRoles: options.requireRuleRoles === true };
    for (const p of checkPolicy(parsed.policy, (path) => parsed.positionOf(path), checks)) {
      diagnostics.push(diag(POLICY_ERROR, p.message, parsed.positionOf(p.path), valueAt(p.path)));
    }
  }
  // Cerbos lists a document's problems by position, those without one last.
  const line = (d: Diagnostic): number => d.position?.line ?? Number.MAX_SAFE_INTEGER;
  diagnostics.sort(
    (a, b) => line(a) - line(b) || (a.position?.column ?? 0) - (b.position?.column ?? 0),
  );
  return { message: decoded.value, parsed, diagnostics };
}

/**
 * The compiler keeps every parsed policy of a repository until the whole set is compiled, so
 * this holds no more than positions need: the path index and the position function (which
 * keeps the text and its line starts, not the YAML documents).
 */
class PositionedPolicy implements ParsedPolicy {
  readonly file: string;
  readonly policy: Policy;
  readonly #offsets: ReadonlyMap<string, PathOffsets>;
  readonly #lines: () => readonly string[];
  readonly #at: (offset: number, path?: string) => SourcePosition;

  constructor(
    file: string,
    policy: Policy,
    offsets: ReadonlyMap<string, PathOffsets>,
    lines: () => readonly string[],
    at: (offset: number, path?: string) => SourcePosition,
  ) {
    this.file = file;
    this.policy = policy;
    this.#offsets = offsets;
    this.#lines = lines;
    this.#at = at;
  }

  positionOf(path: string): SourcePosition | undefined {
    const o = this.#offsets.get(path);
    return o ? this.#at(o.key ?? o.value, path) : undefined;
  }

  valuePositionOf(path: string): SourcePosition | undefined {
    const o = this.#offsets.get(path);
    return o ? this.#at(o.scalar ? o.value : (o.key ?? o.value), path) : undefined;
  }

  snippetAt(pos: SourcePosition): string | undefined {
    return renderSnippet(this.#lines(), pos.line, pos.column);
  }
}
