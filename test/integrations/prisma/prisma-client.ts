// A Prisma client for the @cerbos/orm-prisma integration test, generated at test time from
// schema.prisma into `.tmp/orm-prisma-PID/` (git-ignored) rather than committed: generated code is
// large, tied to the exact Prisma version, and takes `prisma generate` about three seconds.
//
// Nothing is downloaded. Prisma 7 generates with WebAssembly and queries through a driver
// adapter (@prisma/adapter-pg) with a WebAssembly query compiler, all shipped in the npm
// packages. The only native piece is the schema engine (migrations, `db push`), which
// `@prisma/engines`' postinstall script would fetch from binaries.prisma.sh (package.json's
// allowScripts denies that script) and which the CLI also tries to fetch when it starts. The
// test creates its tables with plain SQL and points PRISMA_SCHEMA_ENGINE_BINARY at a stub that
// refuses to run, which stops the CLI looking for the real binary; `generate` never runs it.

import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { PrismaPg } from "@prisma/adapter-pg";
import { repoRoot } from "../../support/reference.ts";

/** A Prisma `where` input, as @cerbos/orm-prisma builds it. */
export type PrismaWhere = Record<string, unknown>;

interface ModelDelegate<Row> {
  findMany(args?: {
    where?: PrismaWhere;
    orderBy?: Record<string, "asc" | "desc">;
  }): Promise<Row[]>;
}

/** The part of the generated client the test uses: it compares rows by id. */
export interface TestPrismaClient {
  readonly leaveRequest: ModelDelegate<{ readonly id: string }>;
  readonly document: ModelDelegate<{ readonly id: string }>;
  $disconnect(): Promise<void>;
}

type PrismaClientClass = new (options: { adapter: PrismaPg }) => TestPrismaClient;

const schemaFile = join(dirname(fileURLToPath(import.meta.url)), "schema.prisma");

export interface GeneratedClient {
  /** The generated client's entry file. */
  readonly clientFile: string;
  /** Deletes the generated files. */
  remove(): void;
}

/**
 * Runs `prisma generate` on a copy of schema.prisma in a directory of this process's own, outside
 * node_modules (Node does not strip types there).
 */
export function generatePrismaClient(): GeneratedClient {
  const workDir = join(repoRoot, ".tmp", `orm-prisma-${process.pid}`);
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  copyFileSync(schemaFile, join(workDir, "schema.prisma"));
  const stub = join(workDir, "no-schema-engine");
  writeFileSync(
    stub,
    '#!/bin/sh\necho "the Prisma schema engine is not installed: create tables with SQL" >&2\nexit 1\n',
  );
  chmodSync(stub, 0o755);
  const cli = fileURLToPath(import.meta.resolve("prisma/build/index.js"));
  const run = spawnSync(
    process.execPath,
    [cli, "generate", "--schema", join(workDir, "schema.prisma")],
    {
      cwd: workDir,
      encoding: "utf8",
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: stub,
        // No update check, no telemetry.
        CHECKPOINT_DISABLE: "1",
        PRISMA_HIDE_UPDATE_MESSAGE: "1",
      },
    },
  );
  const remove = (): void => rmSync(workDir, { recursive: true, force: true });
  if (run.status !== 0) {
    remove();
    throw new Error(`prisma generate failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
  }
  return { clientFile: join(workDir, "client", "client.ts"), remove };
}

/** Loads a generated client and connects it to `schema` of the PostgreSQL database at `url`. */
export async function connectPrismaClient(
  clientFile: string,
  url: string,
  schema: string,
): Promise<TestPrismaClient> {
  const generated = (await import(pathToFileURL(clientFile).href)) as {
    PrismaClient: PrismaClientClass;
  };
  return new generated.PrismaClient({
    adapter: new PrismaPg({ connectionString: url }, { schema }),
  });
}
