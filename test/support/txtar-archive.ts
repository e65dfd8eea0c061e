// Reads txtar archives (Go's golang.org/x/tools/txtar), the format of Cerbos's multi-file test
// cases: `-- path --` lines start files; text before the first marker is a comment.

/** File path -> content, in archive order. */
export function parseTxtar(text: string): Map<string, string> {
  const files = new Map<string, string>();
  let current: string | undefined;
  let body: string[] = [];
  const flush = (): void => {
    if (current !== undefined) files.set(current, body.length > 0 ? `${body.join("\n")}\n` : "");
  };
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  for (const line of lines) {
    const m = /^-- (.+) --$/u.exec(line);
    if (m) {
      flush();
      current = m[1]!.trim();
      body = [];
    } else if (current !== undefined) body.push(line);
  }
  flush();
  return files;
}
