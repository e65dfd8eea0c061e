// HTTP benchmark: Gatehouse and the real Cerbos on the same config and policies (examples/policies)
// answer the same CheckResources request under Debian's `wrk`: throughput at 32 connections
// (`wrk -t2 -c32 -d10s`) and p50/p99 latency at one connection (`wrk -t1 -c1 -d10s --latency`).
// One server runs at a time, each after a warm-up, so they never compete for the cores.
// Run: npm run bench:http   (GATEHOUSE_BENCH_SECONDS=N shortens or lengthens each run)

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import {
  cerbosUnavailableReason,
  startCerbosServer,
  type PdpServer,
  type PdpServerOptions,
} from "../test/support/cerbos-server.ts";
import {
  gatehouseUnavailableReason,
  startGatehouseServer,
} from "../test/support/gatehouse-server.ts";
import { repoRoot } from "../test/support/reference.ts";

const seconds = Number(process.env["GATEHOUSE_BENCH_SECONDS"] ?? 10);

/** The example policies' own test fixtures as one request: an owner and a locked document. */
const request = {
  requestId: "bench",
  principal: { id: "alice", roles: ["user"], attr: { department: "sales" } },
  resources: [
    {
      resource: {
        kind: "document",
        id: "plan",
        attr: { owner: "alice", department: "sales", public: false, locked: false },
      },
      actions: ["view", "edit", "delete"],
    },
    {
      resource: {
        kind: "document",
        id: "archive",
        attr: { owner: "alice", department: "sales", public: false, locked: true },
      },
      actions: ["view", "edit", "delete"],
    },
  ],
};

interface Figures {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

function wrkAvailable(): boolean {
  return spawnSync("sh", ["-c", "command -v wrk"], { encoding: "utf8" }).status === 0;
}

const toMs = (value: string, unit: string): number =>
  Number(value) * (unit === "us" ? 0.001 : unit === "s" ? 1000 : unit === "m" ? 60_000 : 1);

function wrk(args: string[], script: string, url: string): string {
  const r = spawnSync("wrk", [...args, "-s", script, url], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`wrk failed (exit ${String(r.status)}): ${r.stderr}`);
  const bad = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout);
  if (bad) throw new Error(`${bad[1]} requests failed under wrk:\n${r.stdout}`);
  if (/Socket errors/.test(r.stdout)) process.stderr.write(`note: ${r.stdout}\n`);
  return r.stdout;
}

async function measure(server: PdpServer, script: string): Promise<Figures> {
  const url = `${server.httpUrl}/api/check/resources`;
  const check = await server.request("POST", "/api/check/resources", request);
  if (check.status !== 200) throw new Error(`${server.name} refused the request: ${check.text}`);
  // warm-up: JIT, connection pools, caches
  wrk(["-t2", "-c32", `-d${Math.max(2, Math.ceil(seconds / 3))}s`], script, url);
  const load = wrk(["-t2", "-c32", `-d${seconds}s`], script, url);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(load)?.[1] ?? Number.NaN);
  const single = wrk(["-t1", "-c1", `-d${seconds}s`, "--latency"], script, url);
  const pct = (p: string): number => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s|m)`).exec(single);
    return m ? toMs(m[1]!, m[2]!) : Number.NaN;
  };
  return { rps, p50Ms: pct("50"), p99Ms: pct("99") };
}

async function run(
  name: string,
  start: (o: PdpServerOptions) => Promise<PdpServer>,
  opts: PdpServerOptions,
  script: string,
): Promise<Figures> {
  process.stderr.write(`${name}: starting and measuring (${seconds}s per run)...\n`);
  const server = await start(opts);
  try {
    return await measure(server, script);
  } finally {
    await server.stop();
  }
}

async function main(): Promise<number> {
  if (!wrkAvailable()) {
    process.stderr.write(
      "wrk is not installed: install it (Debian/Ubuntu: `sudo apt-get install wrk`, macOS: `brew install wrk`) and run again\n",
    );
    return 1;
  }
  const cerbosMissing = cerbosUnavailableReason();
  if (cerbosMissing) {
    process.stderr.write(`cerbos: not available (${cerbosMissing})\n`);
    return 1;
  }
  const work = mkdtempSync(join(tmpdir(), "gatehouse-bench-"));
  try {
    const script = join(work, "post.lua");
    writeFileSync(
      script,
      `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = ${JSON.stringify(JSON.stringify(request))}\n`,
    );
    // one config file for both; Gatehouse's extension section is ignored by Cerbos
    const configFile = join(work, "config.yaml");
    writeFileSync(
      configFile,
      stringify({
        server: { httpListenAddr: "127.0.0.1:0", grpcListenAddr: "127.0.0.1:0" },
        storage: {
          driver: "disk",
          disk: { directory: join(repoRoot, "examples/policies"), watchForChanges: false },
        },
        audit: { enabled: false },
      }),
    );
    const opts: PdpServerOptions = { configFile };
    const cerbos = await run("cerbos", startCerbosServer, opts, script);
    let gatehouseMissing = gatehouseUnavailableReason();
    let gatehouse: Figures | undefined;
    if (!gatehouseMissing) {
      try {
        gatehouse = await run("gatehouse", startGatehouseServer, opts, script);
      } catch (e) {
        gatehouseMissing = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, " ").trim();
      }
    }

    const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : "-");
    const rows = [
      ["", "throughput (req/s, 32 conn)", "p50 (ms, 1 conn)", "p99 (ms, 1 conn)"],
      ["cerbos", fmt(cerbos.rps), fmt(cerbos.p50Ms, 3), fmt(cerbos.p99Ms, 3)],
    ];
    if (gatehouse) {
      rows.push([
        "gatehouse",
        fmt(gatehouse.rps),
        fmt(gatehouse.p50Ms, 3),
        fmt(gatehouse.p99Ms, 3),
      ]);
      rows.push([
        "gatehouse / cerbos",
        `${fmt(gatehouse.rps / cerbos.rps, 2)}x`,
        `${fmt(gatehouse.p50Ms / cerbos.p50Ms, 2)}x`,
        `${fmt(gatehouse.p99Ms / cerbos.p99Ms, 2)}x`,
      ]);
    }
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    const line = (r: string[]): string =>
      r
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
        .join("  ");
    process.stdout.write(
      `\nCheckResources over HTTP, examples/policies, 2 resources x 3 actions, ${seconds}s per run\n`,
    );
    for (const r of rows) process.stdout.write(`${line(r)}\n`);
    if (!gatehouse) process.stdout.write(`gatehouse: not available (${gatehouseMissing})\n`);
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();
