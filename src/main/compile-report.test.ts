import { test } from "node:test";
import assert from "node:assert/strict";
import { formatCompileErrors } from "./compile-report.ts";
import { createStyle } from "./terminal-style.ts";

const plain = createStyle(false);
const unknownRole = {
  file: "p.yaml",
  error: "unknown derived role",
  description: 'Derived role "foo" is not defined in any imports',
  position: { line: 8, column: 22, path: "$.resourcePolicy.rules[0].derivedRoles[0]" },
  snippet: ">  8 |       derivedRoles: [foo]",
};

test("compile errors print as `file:line:col description <error>` with the snippet", () => {
  assert.equal(
    formatCompileErrors([unknownRole], "tree", plain),
    'Compilation errors\np.yaml:8:22 Derived role "foo" is not defined in any imports <unknown derived role>\n>  8 |       derivedRoles: [foo]\n\n',
  );
});

test("repository-level problems get Cerbos's section headers", () => {
  const out = formatCompileErrors(
    [
      {
        file: "p.yaml",
        error: "import not found",
        description: 'cannot find derived roles "nope" imported by resource.doc.vdefault',
        position: { line: 5, column: 24 },
      },
    ],
    "list",
    plain,
  );
  assert.equal(
    out,
    'Missing imports\np.yaml:5:24 cannot find derived roles "nope" imported by resource.doc.vdefault\n\n',
  );
});

test("json output uses Cerbos's field names", () => {
  assert.deepEqual(JSON.parse(formatCompileErrors([unknownRole], "json", plain)), {
    compileErrors: {
      errors: [
        {
          file: "p.yaml",
          error: "unknown derived role",
          description: 'Derived role "foo" is not defined in any imports',
          position: { line: 8, column: 22, path: "$.resourcePolicy.rules[0].derivedRoles[0]" },
          context: ">  8 |       derivedRoles: [foo]",
        },
      ],
    },
  });
});

test("repository-level problems stop the build: only they are shown, as Cerbos's lint errors", () => {
  const load = {
    file: "q.yaml",
    error: "parse error",
    description: 'unknown field "bogus"',
    position: { line: 5, column: 3 },
  };
  assert.equal(
    formatCompileErrors([load, unknownRole], "tree", plain),
    'Load failures\nq.yaml:5:3 unknown field "bogus"\n\n',
  );
  assert.deepEqual(JSON.parse(formatCompileErrors([load], "json", plain)), {
    lintErrors: {
      load_failures: [
        {
          file: "q.yaml",
          error: 'unknown field "bogus"',
          // ErrorDetails.kind 1 is KIND_PARSE_ERROR, as `cerbos compile -o json` prints it.
          error_details: {
            kind: 1,
            position: { line: 5, column: 3 },
            message: 'unknown field "bogus"',
          },
        },
      ],
    },
  });
});

test("load failures include rejected policies and are listed in repository order", () => {
  const rejected = {
    file: "p/two.yaml",
    error: "invalid policy",
    description: "more than one YAML document detected",
  };
  const misplaced = {
    file: "a/_schemas",
    error: "load failure",
    description: "_schemas directory must be under the root of the storage directory",
  };
  const unreadable = {
    file: "0bad.yaml",
    error: "parse error",
    description: "invalid document: contents are not valid YAML or JSON",
    position: { line: 1, column: 1, path: "$" },
  };
  assert.equal(
    formatCompileErrors([misplaced, rejected, unreadable, unknownRole], "list", plain),
    [
      "Load failures",
      "0bad.yaml:1:1 invalid document: contents are not valid YAML or JSON",
      "a/_schemas _schemas directory must be under the root of the storage directory",
      "p/two.yaml more than one YAML document detected",
      "",
      "",
    ].join("\n"),
  );
  const json = JSON.parse(formatCompileErrors([rejected, unreadable], "json", plain)) as {
    lintErrors: { load_failures: { file: string; error_details: { kind?: number } }[] };
  };
  assert.deepEqual(
    json.lintErrors.load_failures.map((f) => [f.file, f.error_details.kind]),
    [
      ["0bad.yaml", 1],
      ["p/two.yaml", undefined],
    ],
  );
});
