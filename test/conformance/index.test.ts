// Conformance: Cerbos's index-building cases (testdata/index/*.yaml): missing imports, missing
// or disabled scope ancestors and duplicate definitions must be reported at the right file and
// position. Load failures (unparsable files, unknown fields, several documents) are the
// parser's and are checked by index-load.test.ts; here they are only tolerated.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import type { Diagnostic } from "../../src/kernel/diagnostic.ts";
import { compilePolicySet } from "../../src/authz/index.ts";
import { testdata } from "../support/reference.ts";

interface Position {
  readonly line: number;
  readonly column: number;
  readonly path?: string;
}

interface IndexCase {
  readonly files?: Readonly<Record<string, string>>;
  readonly wantErrList?: {
    readonly loadFailures?: readonly { readonly file: string }[];
    readonly missingImports?: readonly {
      readonly importingFile: string;
      readonly importKind: string;
      readonly importName: string;
      readonly position: Position;
    }[];
    readonly missingScopeDetails?: readonly {
      readonly missingPolicy: string;
      readonly descendants: readonly string[];
    }[];
    readonly duplicateDefs?: readonly {
      readonly file: string;
      readonly otherFile: string;
      readonly policy: string;
      readonly position?: Position;
    }[];
    readonly disabledDefs?: readonly {
      readonly file: string;
      readonly policy: string;
      readonly position?: Position;
    }[];
  };
}

const isPolicyFile = (f: string): boolean =>
  /\.(ya?ml|json)$/u.test(f) &&
  !/_test\.(ya?ml|json)$/u.test(f) &&
  !f.split("/").some((seg) => seg.startsWith(".") || seg === "testdata" || seg === "_schemas");

const samePos = (d: Diagnostic, p: Position | undefined): boolean =>
  p === undefined || (d.position?.line === p.line && d.position.column === p.column);

const dir = testdata("index");

describe("index conformance", () => {
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith(".yaml"))
    .sort()) {
    const tc = parse(readFileSync(join(dir, f), "utf8")) as IndexCase;
    it(f, () => {
      const files = Object.entries(tc.files ?? {});
      const policies = files
        .filter(([name]) => isPolicyFile(name))
        .map(([file, text]) => ({ file, text }));
      const schemas = files
        .filter(([name]) => name.startsWith("_schemas/"))
        .map(([name, text]) => ({ ref: `cerbos:///${name.slice("_schemas/".length)}`, text }));
      const { diagnostics } = compilePolicySet({ policies, schemas });
      const want = tc.wantErrList ?? {};
      const loadFailureFiles = new Set((want.loadFailures ?? []).map((l) => l.file));
      const accounted = new Set<Diagnostic>();
      const expect = (what: string, pred: (d: Diagnostic) => boolean): void => {
        const found = diagnostics.filter(pred);
        assert.ok(
          found.length > 0,
          `${what} not reported; got ${JSON.stringify(diagnostics, null, 1)}`,
        );
        for (const d of found) accounted.add(d);
      };
      for (const m of want.missingImports ?? []) {
        expect(
          `missing ${m.importKind} import ${m.importName}`,
          (d) =>
            d.file === m.importingFile &&
            d.error === "import not found" &&
            samePos(d, m.position) &&
            (d.description ?? "").includes(m.importName),
        );
      }
      for (const m of want.missingScopeDetails ?? []) {
        expect(
          `missing scope ${m.missingPolicy}`,
          (d) =>
            d.error === "missing policy definition" &&
            d.description === `Missing ancestor policy "${m.missingPolicy}"`,
        );
      }
      for (const m of want.duplicateDefs ?? []) {
        expect(
          `duplicate ${m.policy}`,
          (d) =>
            d.file === m.file &&
            d.error === "duplicate definition" &&
            samePos(d, m.position) &&
            (d.description ?? "").includes(m.policy) &&
            (d.description ?? "").includes(m.otherFile),
        );
      }
      for (const m of want.disabledDefs ?? []) {
        expect(
          `disabled ${m.policy}`,
          (d) =>
            d.file === m.file &&
            d.error === "disabled policy" &&
            d.description === m.policy &&
            samePos(d, m.position),
        );
      }
      // No other index-level problem may be reported. (Compile-stage problems, such as the
      // unsupported `script` conditions some of these fixtures contain, are not the index's.)
      const INDEX_ERRORS = new Set([
        "import not found",
        "missing policy definition",
        "duplicate definition",
        "disabled policy",
      ]);
      const rest = diagnostics.filter(
        (d) => INDEX_ERRORS.has(d.error) && !accounted.has(d) && !loadFailureFiles.has(d.file),
      );
      assert.deepEqual(rest, []);
    });
  }
});
