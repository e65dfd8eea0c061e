// Runs the real Cerbos 0.55 binary as an oracle: a server on loopback over a policy directory,
// with decision logs written to a file so the engine-level answer (including evaluation errors,
// which the HTTP API never returns) can be read back by call id. Tests must always `stop()` it.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { repoRoot } from "./reference.ts";

export const cerbosBinary = join(
  repoRoot,
  "node_modules/@cerbos/cerbos-linux-x64/cerbos-linux-x64",
);

/** Why the oracle cannot run here, or undefined when it can. */
export function cerbosUnavailableReason(): string | undefined {
  if (process.platform !== "linux" || process.arch !== "x64")
    return `cerbos binary is linux-x64 only (this is ${process.platform}-${process.arch})`;
  if (!existsSync(cerbosBinary)) return `cerbos binary not found at ${cerbosBinary}`;
  return undefined;
}

export interface CerbosServerOptions {
  /** The policy directory Cerbos loads (disk driver, no watching). */
  readonly policyDir: string;
  /** Extra configuration merged over the defaults, e.g. `{ engine: { globals: {...} } }`. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Milliseconds to wait for `/_cerbos/health`. */
  readonly startTimeoutMs?: number;
}

/** The HTTP answer plus, when found, the engine outputs Cerbos recorded in its decision log. */
export interface CheckResourcesAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  /** `checkResources.outputs` of the decision log entry: engine-level CheckOutput objects. */
  readonly decisionOutputs?: readonly Record<string, unknown>[];
}

export interface CerbosServer {
  readonly baseUrl: string;
  checkResources(body: unknown): Promise<CheckResourcesAnswer>;
  /** What the process wrote to stdout/stderr (the last 8 KiB), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

function deepMerge(
  base: Record<string, unknown>,
  over: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    const isObj = (x: unknown): x is Record<string, unknown> =>
      typeof x === "object" && x !== null && !Array.isArray(x);
    out[k] = isObj(b) && isObj(v) ? deepMerge(b, v) : v;
  }
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts Cerbos and resolves once it reports SERVING; rejects (after killing it) if it never does. */
export async function startCerbosServer(opts: CerbosServerOptions): Promise<CerbosServer> {
  const work = mkdtempSync(join(tmpdir(), "gatehouse-cerbos-"));
  const decisionLog = join(work, "decisions.log");
  const httpPort = await freePort();
  const config = deepMerge(
    {
      // gRPC on a socket in the work dir: one TCP port fewer to race other test files for
      server: {
        httpListenAddr: `127.0.0.1:${httpPort}`,
        grpcListenAddr: `unix:${join(work, "grpc.sock")}`,
      },
      storage: { driver: "disk", disk: { directory: opts.policyDir, watchForChanges: false } },
      audit: {
        enabled: true,
        accessLogsEnabled: false,
        decisionLogsEnabled: true,
        backend: "file",
        file: { path: decisionLog },
      },
      telemetry: { disabled: true },
    },
    opts.config ?? {},
  );
  const configFile = join(work, "config.yaml");
  writeFileSync(configFile, stringify(config));

  let output = "";
  const child: ChildProcess = spawn(
    cerbosBinary,
    ["server", `--config=${configFile}`, "--log-level=error"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-65536)));
  child.stderr?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-65536)));
  let exited = false;
  const exitPromise = new Promise<void>((r) => child.once("exit", () => ((exited = true), r())));

  const baseUrl = `http://127.0.0.1:${httpPort}`;
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exitPromise;
      clearTimeout(timer);
    }
    rmSync(work, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 20_000);
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`cerbos exited before serving:\n${output}`);
    }
    try {
      const res = await fetch(`${baseUrl}/_cerbos/health`);
      const body = (await res.json()) as { status?: string };
      // a port taken by someone else between freePort() and Cerbos's bind would answer too, and
      // make Cerbos exit: give it a moment to do so before trusting the answer
      if (body.status === "SERVING") {
        await sleep(30);
        if (!exited) break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`cerbos did not become healthy in time:\n${output}`);
    }
    await sleep(50);
  }

  /** The decision log is appended asynchronously after the response, so poll for the call id. */
  const readDecision = async (
    callId: string,
  ): Promise<readonly Record<string, unknown>[] | undefined> => {
    for (let i = 0; i < 100; i++) {
      if (existsSync(decisionLog)) {
        for (const line of readFileSync(decisionLog, "utf8").split("\n")) {
          if (!line.includes(callId)) continue;
          let entry: { callId?: string; checkResources?: { outputs?: Record<string, unknown>[] } };
          try {
            entry = JSON.parse(line) as typeof entry;
          } catch {
            break; // the line is still being written: read the file again
          }
          if (entry.callId === callId) return entry.checkResources?.outputs ?? [];
        }
      }
      await sleep(20);
    }
    return undefined;
  };

  return {
    baseUrl,
    log: () => output.slice(-8192),
    stop,
    async checkResources(body) {
      const res = await fetch(`${baseUrl}/api/check/resources`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as Record<string, unknown>;
      const callId = json["cerbosCallId"];
      const decisionOutputs = typeof callId === "string" ? await readDecision(callId) : undefined;
      return { status: res.status, body: json, ...(decisionOutputs ? { decisionOutputs } : {}) };
    },
  };
}

/** Runs `cerbos compile --skip-tests DIR`: exit code and output (exit 3 means compile errors). */
export function compileWithCerbos(dir: string): { status: number; output: string } {
  const r = spawnSync(cerbosBinary, ["compile", "--skip-tests", "--output=json", dir], {
    encoding: "utf8",
  });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}
