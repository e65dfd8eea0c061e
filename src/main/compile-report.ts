// Prints policy compilation problems like `cerbos compile`. Repository-level problems (what
// Cerbos calls lint errors: disabled policies, missing scopes, duplicates, missing imports,
// scope permission conflicts) come first under their own headers as `file:line:col message`;
// the rest under "Compilation errors" as `file:line:col description <error>`; each followed by
// its source snippet. `-o json` gives `{"compileErrors":{"errors":[...]}}` with Cerbos's fields.

import { PARSE_ERROR, POLICY_ERROR, VALIDATION_ERROR } from "../authz/policy/index.ts";
import type { Diagnostic } from "../kernel/diagnostic.ts";
import type { Style } from "./terminal-style.ts";

/**
 * Cerbos's sections for repository-level problems, in its order, keyed by the error kinds the
 * parser, store and compiler use; `json` is the group's key under `lintErrors`.
 */
const lintSections: readonly { kinds: readonly string[]; header: string; json: string }[] = [
  { kinds: ["disabled policy"], header: "Disabled policies", json: "disabled_defs" },
  { kinds: ["missing policy definition"], header: "Missing scopes", json: "missing_scopes" },
  { kinds: ["duplicate definition"], header: "Duplicate definitions", json: "duplicate_defs" },
  { kinds: ["import not found"], header: "Missing imports", json: "missing_imports" },
  {
    // Files Cerbos's index could not load: unreadable or invalid documents, policies it
    // rejects before compiling (duplicate rule names, several documents), misplaced folders.
    kinds: [PARSE_ERROR, VALIDATION_ERROR, POLICY_ERROR, "load failure"],
    header: "Load failures",
    json: "load_failures",
  },
  {
    kinds: ["scope permission conflict"],
    header: "Scope permission conflicts",
    json: "scope_permissions_conflicts",
  },
];

const lintKinds: ReadonlySet<string> = new Set(lintSections.flatMap((s) => s.kinds));

/** ErrorDetails.kind of a load failure, which Cerbos's JSON output includes when known. */
const errorKinds: Readonly<Record<string, number>> = { [PARSE_ERROR]: 1, [VALIDATION_ERROR]: 2 };

/**
 * The problems of one section in the order Cerbos walks the repository (a folder's entries by
 * name), keeping each file's own order.
 */
function sectionGroup(lint: readonly Diagnostic[], kinds: readonly string[]): Diagnostic[] {
  const group = lint.filter((d) => kinds.includes(d.error));
  const segments = (d: Diagnostic): string[] => d.file.split("/");
  return group.sort((a, b) => {
    const x = segments(a);
    const y = segments(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++)
      if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
    return x.length - y.length;
  });
}

const where = (d: Diagnostic): string =>
  d.position ? `${d.file}:${d.position.line}:${d.position.column}` : d.file;

/**
 * Like Cerbos, repository-level problems stop the build before policies are compiled, so when
 * there are any, only they are shown.
 */
export function formatCompileErrors(
  diagnostics: readonly Diagnostic[],
  format: "tree" | "list" | "json",
  style: Style,
): string {
  const lint = diagnostics.filter((d) => lintKinds.has(d.error));
  if (format === "json")
    return `${goJson(lint.length > 0 ? lintJson(lint) : compileJson(diagnostics))}\n`;
  const lines: string[] = [];
  if (lint.length > 0) {
    for (const section of lintSections) {
      const group = sectionGroup(lint, section.kinds);
      if (group.length === 0) continue;
      lines.push(style.header(section.header));
      for (const d of group) {
        lines.push(`${style.position(where(d))} ${style.errorMsg(d.description ?? d.error)}`);
        if (d.snippet) lines.push(d.snippet, "");
      }
      lines.push("");
    }
    return `${lines.join("\n")}\n`;
  }
  lines.push(style.header("Compilation errors"));
  for (const d of diagnostics) {
    lines.push(
      `${style.position(where(d))} ${style.errorMsg(d.description ?? d.error)} <${d.error}>`,
    );
    if (d.snippet) lines.push(d.snippet);
    lines.push("");
  }
  return `${lines.join("\n")}\n`;
}

/** JSON as Go's encoding/json writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped. */
function goJson(value: object): string {
  return JSON.stringify(value, null, 2).replace(
    /[<>&\u2028\u2029]/gu,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function compileJson(diagnostics: readonly Diagnostic[]): object {
  const errors = diagnostics.map((d) => ({
    file: d.file,
    error: d.error,
    ...(d.description !== undefined ? { description: d.description } : {}),
    ...(d.position ? { position: d.position } : {}),
    ...(d.snippet !== undefined ? { context: d.snippet } : {}),
  }));
  return { compileErrors: { errors } };
}

function lintJson(lint: readonly Diagnostic[]): object {
  const out: Record<string, object[]> = {};
  for (const section of lintSections) {
    const group = sectionGroup(lint, section.kinds);
    if (group.length === 0) continue;
    out[section.json] = group.map((d) => {
      const message = d.description ?? d.error;
      const kind = errorKinds[d.error];
      const details = {
        ...(kind !== undefined && section.json === "load_failures" ? { kind } : {}),
        ...(d.position ? { position: d.position } : {}),
        message,
        ...(d.snippet !== undefined ? { context: d.snippet } : {}),
      };
      return section.json === "load_failures"
        ? { file: d.file, error: message, error_details: details }
        : { file: d.file, desc: message, ...details };
    });
  }
  return { lintErrors: out };
}
