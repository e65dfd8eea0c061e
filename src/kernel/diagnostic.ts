// Diagnostics: problems found in policies, test suites or configuration, reported all at once
// with the place they come from. Parsing, validation and compilation return lists of these;
// they never throw for a user's mistake.

/** A place in a source file. Lines and columns count from 1. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
  /** JSONPath-like path into the document, Cerbos style: `$.resourcePolicy.rules[0].actions[1]`. */
  readonly path?: string;
}

export interface Diagnostic {
  /** File name relative to the policy repository root (or `<input>` for in-memory sources). */
  readonly file: string;
  /** Short, lowercase, stable description of the kind of problem (`invalid expression`). */
  readonly error: string;
  /** The specifics: the user's value in backticks, what was expected, a hint when there is one. */
  readonly description?: string;
  readonly position?: SourcePosition;
  /** The source line(s) at the position, for display. */
  readonly snippet?: string;
}

/** Sorts by file, then line, then column, and drops exact duplicates. */
export function normalizeDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const d of list) {
    const key = `${d.file}\u0000${d.position?.line ?? 0}\u0000${d.position?.column ?? 0}\u0000${d.error}\u0000${d.description ?? ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  out.sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      (a.position?.line ?? 0) - (b.position?.line ?? 0) ||
      (a.position?.column ?? 0) - (b.position?.column ?? 0),
  );
  return out;
}

/** Formats a diagnostic the way `cerbos compile` prints one: `file:line:col error (description)`. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.position ? `${d.file}:${d.position.line}:${d.position.column}` : d.file;
  return d.description ? `${where} ${d.error} (${d.description})` : `${where} ${d.error}`;
}
