// Conformance: the load failures of Cerbos's index cases (testdata/index/*.yaml): files that
// cannot be read as a policy (bad syntax, unknown fields, several documents, broken
// constraints, duplicate rule names) must fail with Cerbos's message, kind and position, and
// every other policy file must load. Index-level checks are in index.test.ts.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { PARSE_ERROR, parsePolicy, VALIDATION_ERROR } from "../../src/authz/policy/index.ts";
import type { Diagnostic } from "../../src/kernel/diagnostic.ts";
import { testdata } from "../support/reference.ts";

interface LoadFailure {
  readonly file: string;
  readonly error: string;
  readonly errorDetails?: {
    readonly kind?: string;
    readonly message?: string;
    readonly position?: { readonly line: number; readonly column: number; readonly path?: string };
  };
}

interface IndexCase {
  readonly files?: Readonly<Record<string, string>>;
  readonly wantErrList?: { readonly loadFailures?: readonly LoadFailure[] };
}

/** Load failures that come from where a file sits, not from its content: the disk store's. */
const STORE_FAILURES = new Set([
  "_schemas directory must be under the root of the storage directory",
]);

const isPolicyFile = (f: string): boolean =>
  /\.(ya?ml|json)$/u.test(f) &&
  !/_test\.(ya?ml|json)$/u.test(f) &&
  !f.split("/").some((seg) => seg.startsWith(".") || seg === "testdata" || seg === "_schemas");

const kindOf = (d: Diagnostic): string | undefined =>
  d.error === PARSE_ERROR
    ? "KIND_PARSE_ERROR"
    : d.error === VALIDATION_ERROR
      ? "KIND_VALIDATION_ERROR"
      : undefined;

const asFailure = (d: Diagnostic): LoadFailure => {
  const kind = kindOf(d);
  const message = d.description ?? d.error;
  return {
    file: d.file,
    error: message,
    errorDetails: {
      ...(kind ? { kind } : {}),
      message,
      ...(d.position ? { position: d.position } : {}),
    },
  };
};

const sortKey = (f: LoadFailure): string =>
  `${f.file}\u0000${String(f.errorDetails?.position?.line ?? 0).padStart(6, "0")}\u0000${String(f.errorDetails?.position?.column ?? 0).padStart(6, "0")}\u0000${f.error}`;
const sorted = (list: readonly LoadFailure[]): LoadFailure[] =>
  [...list].sort((a, b) => sortKey(a).localeCompare(sortKey(b)));

const dir = testdata("index");

describe("index load failures", () => {
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith(".yaml"))
    .sort()) {
    const tc = parse(readFileSync(join(dir, f), "utf8")) as IndexCase;
    it(f, () => {
      const got: LoadFailure[] = [];
      for (const [file, text] of Object.entries(tc.files ?? {})) {
        if (!isPolicyFile(file)) continue;
        got.push(
          ...parsePolicy({ file, text }, { requireRuleRoles: true }).diagnostics.map(asFailure),
        );
      }
      const want = (tc.wantErrList?.loadFailures ?? []).filter((w) => !STORE_FAILURES.has(w.error));
      assert.deepEqual(sorted(got), sorted(want));
    });
  }
});
