import { test } from "node:test";
import assert from "node:assert/strict";
import { formatDiagnostic, normalizeDiagnostics } from "./diagnostic.ts";

test("diagnostics are sorted by file and position, duplicates dropped", () => {
  const a = { file: "b.yaml", error: "x", position: { line: 2, column: 1 } };
  const b = { file: "a.yaml", error: "y", position: { line: 9, column: 3 } };
  const c = { file: "b.yaml", error: "z", position: { line: 1, column: 7 } };
  assert.deepEqual(normalizeDiagnostics([a, b, c, a]), [b, c, a]);
});

test("a diagnostic prints as file:line:col error (description)", () => {
  assert.equal(
    formatDiagnostic({
      file: "p.yaml",
      error: "invalid expression",
      description: "bad `x`",
      position: { line: 3, column: 5 },
    }),
    "p.yaml:3:5 invalid expression (bad `x`)",
  );
});
