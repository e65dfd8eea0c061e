// Conformance: Cerbos's parser cases (testdata/parser/case_*.json with their `.input`): each
// YAML/JSON document must decode to the message Cerbos produces and report the same parse and
// validation errors, at the same line, column and path.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Diagnostic } from "../../src/kernel/diagnostic.ts";
import { PARSE_ERROR, parsePolicyDocuments } from "../../src/authz/policy/index.ts";
import { testdata } from "../support/reference.ts";

interface WantError {
  readonly kind: string;
  readonly position?: { readonly line: number; readonly column: number; readonly path?: string };
  readonly message: string;
}

interface ParserCase {
  readonly description: string;
  readonly want?: readonly { readonly message: unknown; readonly errors?: readonly WantError[] }[];
  readonly wantErrors?: readonly WantError[];
}

const asWant = (d: Diagnostic): WantError => ({
  kind: d.error === PARSE_ERROR ? "KIND_PARSE_ERROR" : "KIND_VALIDATION_ERROR",
  ...(d.position ? { position: d.position } : {}),
  message: d.description ?? d.error,
});

const order = (list: readonly WantError[]): WantError[] =>
  [...list].sort(
    (a, b) =>
      (a.position?.line ?? Infinity) - (b.position?.line ?? Infinity) ||
      (a.position?.column ?? 0) - (b.position?.column ?? 0) ||
      a.message.localeCompare(b.message),
  );

/**
 * Protobuf JSON leaves out fields holding their default value; the decoded model keeps what
 * the author wrote. Both sides drop empty strings, `false`, empty lists and empty objects.
 */
function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const n = normalize(x);
      if (n === "" || n === false) continue;
      if (Array.isArray(n) && n.length === 0) continue;
      if (n !== null && typeof n === "object" && !Array.isArray(n) && Object.keys(n).length === 0)
        continue;
      out[k] = n;
    }
    return out;
  }
  return v;
}

const dir = testdata("parser");

describe("parser conformance", () => {
  for (const f of readdirSync(dir)
    .filter((n) => /^case_\d+\.json$/u.test(n))
    .sort()) {
    const tc = JSON.parse(readFileSync(join(dir, f), "utf8")) as ParserCase;
    it(`${f}: ${tc.description}`, () => {
      const text = readFileSync(join(dir, `${f}.input`), "utf8");
      const { documents, diagnostics } = parsePolicyDocuments({ file: `${f}.input`, text });
      const all = [...diagnostics, ...documents.flatMap((d) => d.diagnostics)].map(asWant);
      assert.deepEqual(order(all), order(tc.wantErrors ?? []));
      const want = tc.want ?? [];
      assert.equal(documents.length, want.length, "number of documents");
      want.forEach((w, i) => {
        const got = documents[i];
        assert.ok(got);
        // Cerbos stops decoding a document at its first parse error and returns what it had
        // read; we read on to report every problem, so partial messages are not compared.
        if (got.diagnostics.length === 0)
          assert.deepEqual(normalize(got.message), normalize(w.message), `document ${i}`);
        assert.deepEqual(
          order(got.diagnostics.map(asWant)),
          order(w.errors ?? []),
          `errors of document ${i}`,
        );
      });
    });
  }
});
