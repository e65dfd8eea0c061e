// Where Cerbos's reference conformance data lives: `../shared/reference/cerbos` beside the
// repository, or GATEHOUSE_CERBOS_REFERENCE. Tests read it in place; nothing is copied.

import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export const referenceRoot = resolve(
  process.env["GATEHOUSE_CERBOS_REFERENCE"] ?? resolve(repoRoot, "../shared/reference/cerbos"),
);

if (!existsSync(referenceRoot)) {
  throw new Error(
    `cerbos reference data not found at ${referenceRoot}: place shared/ beside the repository or set GATEHOUSE_CERBOS_REFERENCE`,
  );
}

export const testdata = (...parts: string[]): string =>
  resolve(referenceRoot, "testdata", ...parts);
