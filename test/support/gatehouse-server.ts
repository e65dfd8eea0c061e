// Runs Gatehouse (`bin/gatehouse.js server`) as a child process on loopback, exactly as
// cerbos-server.ts runs the real Cerbos, and names both as test targets: an end-to-end test runs
// the same cases against every target that is available here.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  cerbosUnavailableReason,
  launchPdp,
  startCerbosServer,
  type PdpLauncher,
  type PdpServer,
  type PdpServerOptions,
} from "./cerbos-server.ts";
import { repoRoot } from "./reference.ts";

export type { PdpServer, PdpServerOptions } from "./cerbos-server.ts";
export type GatehouseServer = PdpServer;

const nodeBinary = join(repoRoot, "node_modules/.bin/node");
const gatehouseBin = join(repoRoot, "bin/gatehouse.js");

export const gatehouseLauncher: PdpLauncher = {
  name: "gatehouse",
  command: nodeBinary,
  args: [gatehouseBin, "server"],
  // one process: tests start many servers side by side
  defaults: { gatehouse: { workers: 1 } },
};

let serverCommandReason: string | undefined | null = null;

/** Why `gatehouse server` cannot run here (yet), or undefined when it can. */
export function gatehouseUnavailableReason(): string | undefined {
  if (serverCommandReason !== null) return serverCommandReason;
  if (!existsSync(nodeBinary)) serverCommandReason = `node 24 not found at ${nodeBinary}`;
  else {
    const r = spawnSync(nodeBinary, [gatehouseBin, "server", "--help"], {
      encoding: "utf8",
      timeout: 20_000,
    });
    serverCommandReason =
      r.status === 0
        ? undefined
        : `\`gatehouse server --help\` failed (exit ${String(r.status)}): ${`${r.stdout}${r.stderr}`.trim().slice(0, 300)}`;
  }
  return serverCommandReason;
}

/** Starts Gatehouse and resolves once it reports SERVING; rejects (after killing it) if it never does. */
export async function startGatehouseServer(opts: PdpServerOptions): Promise<GatehouseServer> {
  return launchPdp(gatehouseLauncher, opts);
}

/** One implementation a test can run its cases against. */
export interface ServerTarget {
  readonly name: "cerbos" | "gatehouse";
  /** Why it cannot run here, or undefined. */
  readonly unavailable: string | undefined;
  start(opts: PdpServerOptions): Promise<PdpServer>;
}

/**
 * The targets to test. GATEHOUSE_E2E_TARGETS=cerbos,gatehouse (the default) narrows the list;
 * an unavailable target stays in the list so the test can report it as skipped with its reason.
 */
export function serverTargets(): ServerTarget[] {
  const wanted = (process.env["GATEHOUSE_E2E_TARGETS"] ?? "cerbos,gatehouse")
    .split(",")
    .map((s) => s.trim());
  const all: ServerTarget[] = [
    { name: "cerbos", unavailable: cerbosUnavailableReason(), start: startCerbosServer },
    {
      name: "gatehouse",
      get unavailable() {
        return gatehouseUnavailableReason();
      },
      start: startGatehouseServer,
    },
  ];
  return all.filter((t) => wanted.includes(t.name));
}
