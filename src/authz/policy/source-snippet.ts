// Renders the source lines around a position the way `cerbos compile` shows them: up to three
// lines before, the line itself marked with `>`, a caret under the column, and the lines after.
// goccy/go-yaml prints tokens, not lines: a blank line shows only inside a token's text, which
// happens after a plain scalar (it carries the line breaks and indentation that follow it).

const pad = (n: number): string => String(n).padStart(2, " ");

/** Splits text into lines; a final newline does not start another line. */
export function sourceLines(text: string): string[] {
  const lines = text.split(/\r?\n/u);
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

export function renderSnippet(
  lines: readonly string[],
  line: number,
  column: number,
): string | undefined {
  if (line < 1 || line > lines.length) return undefined;
  const blank = (n: number): boolean => (lines[n - 1] ?? "").trim() === "";
  /** Whether blank line `n` is part of a plain scalar's text, starting no earlier than `from`. */
  const carried = (n: number, from: number): boolean => {
    let p = n - 1;
    while (p >= from && blank(p)) p--;
    return p >= from && endsWithPlainScalar(lines[p - 1] ?? "");
  };
  const first = Math.max(line - 3, 1);
  const before: string[] = [];
  for (let n = first; n < line; n++) {
    if (blank(n) && !carried(n, first)) continue;
    before.push(`  ${pad(n)} | ${lines[n - 1] ?? ""}`);
  }
  before.push(`> ${pad(line)} | ${lines[line - 1] ?? ""}`);
  const caret = `${" ".repeat(`  ${pad(line)} | `.length + column - 1)}^`;
  const after: string[] = [];
  const last = Math.min(line + 3, lines.length);
  for (let n = line + 1; n <= last; n++) {
    if (blank(n) && !carried(n, line)) continue;
    after.push(`  ${pad(n)} | ${lines[n - 1] ?? ""}`);
  }
  // A plain scalar ending the last shown tokens carries what follows up to the next token:
  // blank lines and the next line's indentation show as a partial line.
  let shown = last;
  while (shown > line && (lines[shown - 1] ?? "").trim() === "") shown--;
  if (shown > line && endsWithPlainScalar(lines[shown - 1] ?? "")) {
    let next = shown + 1;
    while (next <= lines.length && (lines[next - 1] ?? "").trim() === "") next++;
    for (let n = last + 1; n < next; n++) after.push(`  ${pad(n)} | `);
    // At the end of the file only a block scalar's final line break is left to print.
    if (next <= lines.length)
      after.push(`  ${pad(next)} | ${/^\s*/u.exec(lines[next - 1] ?? "")?.[0] ?? ""}`);
    else if (inBlockScalar(lines, shown - 1)) after.push(`  ${pad(next)} | `);
  }
  return `${before.join("\n")}\n${caret}\n${after.join("\n")}`;
}

function endsWithPlainScalar(line: string): boolean {
  const t = line.trimEnd();
  return t !== "" && !/[:[\]{},"'|>-]$/u.test(t) && !/(^|\s)#/u.test(t);
}

const indentOf = (line: string): number => /^\s*/u.exec(line)?.[0].length ?? 0;

/** Whether line `index` (0-based) is content of a `|` or `>` block scalar. */
function inBlockScalar(lines: readonly string[], index: number): boolean {
  const own = indentOf(lines[index] ?? "");
  for (let i = index - 1; i >= 0; i--) {
    const l = lines[i] ?? "";
    if (l.trim() === "" || indentOf(l) >= own) continue;
    return /[|>][-+]?\d*\s*$/u.test(l);
  }
  return false;
}
