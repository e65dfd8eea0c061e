// Reads a policy repository folder the way Cerbos's disk store does: policies are the
// `.yaml`/`.yml`/`.json` files outside hidden paths, `testdata` folders and `_schemas`; schemas
// are the `.json` files under `_schemas` at the root; `*_test.*` files are test suites and each
// `testdata` folder holds shared test fixtures. Only reads: parsing is the caller's.

import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { PolicySource } from "../../authz/policy/index.ts";
import type { SchemaSource } from "../../authz/schema/index.ts";
import type { Diagnostic } from "../../kernel/diagnostic.ts";

export interface TestFixtures {
  /** The `testdata` folder, relative to the repository root (`resource_policies/testdata`). */
  readonly dir: string;
  readonly principals?: PolicySource;
  readonly resources?: PolicySource;
  readonly auxData?: PolicySource;
}

export interface PolicyRepository {
  policies: PolicySource[];
  schemas: SchemaSource[];
  testSuites: PolicySource[];
  testFixtures: TestFixtures[];
  /** Problems with where files sit (a `_schemas` folder below the root), as Cerbos reports them. */
  diagnostics: Diagnostic[];
}

export const SCHEMAS_DIR = "_schemas";
export const TESTDATA_DIR = "testdata";

const policyFile = /\.(ya?ml|json)$/iu;
const testSuiteFile = /_test\.(ya?ml|json)$/iu;
type FixtureKind = "principals" | "resources" | "auxData";

/**
 * Fixture file base names, matched case-sensitively as Cerbos does (the extension is not).
 * Cerbos looks for the aux data names in this order: `auxdata` wins over `auxData`, which wins
 * over `aux_data`; among extensions the first file in name order wins.
 */
const fixtureNames: ReadonlyMap<string, { kind: FixtureKind; rank: number }> = new Map([
  ["principals", { kind: "principals", rank: 0 }],
  ["resources", { kind: "resources", rank: 0 }],
  ["auxdata", { kind: "auxData", rank: 0 }],
  ["auxData", { kind: "auxData", rank: 1 }],
  ["aux_data", { kind: "auxData", rank: 2 }],
]);

const isHidden = (name: string): boolean => name.startsWith(".");

/** Every file under `root` (relative, `/`-separated), skipping hidden files and folders. */
async function listFiles(root: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(rel ? join(root, rel) : root, { withFileTypes: true });
  for (const e of entries) {
    if (isHidden(e.name)) continue;
    const path = rel ? `${rel}/${e.name}` : e.name;
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      const s = await stat(join(root, path)).catch(() => undefined);
      isDir = s?.isDirectory() ?? false;
      isFile = s?.isFile() ?? false;
    }
    if (isDir) out.push(...(await listFiles(root, path)));
    else if (isFile) out.push(path);
  }
  return out;
}

export async function readPolicyRepository(root: string): Promise<PolicyRepository> {
  const files = (await listFiles(root)).sort();
  const read = async (file: string): Promise<PolicySource> => ({
    file,
    text: await readFile(join(root, file), "utf8"),
  });

  const repo: PolicyRepository = {
    policies: [],
    schemas: [],
    testSuites: [],
    testFixtures: [],
    diagnostics: [],
  };
  const fixtures = new Map<string, { -readonly [K in keyof TestFixtures]: TestFixtures[K] }>();
  /** The rank of the file chosen so far for `<dir>:<kind>`. */
  const fixtureRanks = new Map<string, number>();
  const misplacedSchemaDirs = new Set<string>();

  for (const file of files) {
    const segments = file.split("/");
    const dirs = segments.slice(0, -1);
    const name = segments[segments.length - 1] ?? "";
    if (dirs[0] === SCHEMAS_DIR) {
      if (/\.json$/iu.test(name)) {
        const { text } = await read(file);
        repo.schemas.push({ ref: `cerbos:///${segments.slice(1).join("/")}`, text });
      }
      continue;
    }
    const schemasAt = dirs.indexOf(SCHEMAS_DIR);
    if (schemasAt > 0) misplacedSchemaDirs.add(dirs.slice(0, schemasAt + 1).join("/"));
    if (!policyFile.test(name)) continue;

    const testdataAt = dirs.indexOf(TESTDATA_DIR);
    if (testdataAt >= 0) {
      // Fixtures live directly in a `testdata` folder: principals, resources, auxdata.
      if (testdataAt === dirs.length - 1) {
        const fixture = fixtureNames.get(name.replace(policyFile, ""));
        if (fixture) {
          const { kind, rank } = fixture;
          const dir = dirs.join("/");
          const entry = fixtures.get(dir) ?? { dir };
          if (rank < (fixtureRanks.get(`${dir}:${kind}`) ?? Infinity)) {
            entry[kind] = await read(file);
            fixtureRanks.set(`${dir}:${kind}`, rank);
          }
          fixtures.set(dir, entry);
        }
      }
      continue;
    }
    if (schemasAt > 0) continue;
    if (testSuiteFile.test(name)) repo.testSuites.push(await read(file));
    else repo.policies.push(await read(file));
  }

  repo.testFixtures = [...fixtures.values()];
  for (const dir of misplacedSchemaDirs) {
    repo.diagnostics.push({
      file: dir,
      error: "load failure",
      description: "_schemas directory must be under the root of the storage directory",
    });
  }
  return repo;
}
