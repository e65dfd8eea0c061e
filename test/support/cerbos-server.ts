// Runs a policy decision point as a child process on loopback: the real Cerbos 0.55 binary (the
// oracle) here, Gatehouse in gatehouse-server.ts, both through `launchPdp`, so a test can run the
// same cases against either. Decision and access logs go to a file, so the engine-level answer
// (including evaluation errors, which the HTTP API never returns) can be read back by call id.
// Tests must always `stop()` a server; stopping kills the whole process group.

import {
  fromBinary,
  fromJson,
  toBinary,
  toJson,
  type DescMethodUnary,
  type JsonValue as ProtoJson,
} from "@bufbuild/protobuf";
import { Client, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
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

export interface PdpServerOptions {
  /** The policy directory (disk driver). Optional when `configFile` names one. */
  readonly policyDir?: string;
  /** Extra configuration merged over the defaults, e.g. `{ engine: { globals: {...} } }`. */
  readonly config?: Readonly<Record<string, unknown>>;
  /**
   * A config file used as it is (instead of the generated one): the listen addresses, the audit
   * file and, when `policyDir` is given, the policy directory are overridden with `--set`.
   */
  readonly configFile?: string;
  /** More `--set=key=value` overrides, e.g. `server.requestLimits.maxActionsPerResource=5`. */
  readonly sets?: readonly string[];
  /** Extra environment variables (for `${VAR:default}` in the config). */
  readonly env?: Readonly<Record<string, string>>;
  /** Milliseconds to wait for `/_cerbos/health`. */
  readonly startTimeoutMs?: number;
  /** `--log-level`; default `error`, so `log()` holds only what went wrong. */
  readonly logLevel?: "debug" | "info" | "warn" | "error";
}

export type CerbosServerOptions = PdpServerOptions;

/** A raw HTTP answer: the body as text and, when it parses, as JSON. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json?: unknown;
}

/** The HTTP answer plus, when found, the engine outputs the server recorded in its decision log. */
export interface CheckResourcesAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  /** `checkResources.outputs` of the decision log entry: engine-level CheckOutput objects. */
  readonly decisionOutputs?: readonly Record<string, unknown>[];
}

/** A gRPC answer: the status code (0 is OK), its message, and the response in protojson form. */
export interface GrpcAnswer {
  readonly code: number;
  readonly details: string;
  readonly json?: ProtoJson;
}

/** What a test needs from a running PDP, whichever implementation it is. */
export interface PdpServer {
  /** `cerbos` or `gatehouse`. */
  readonly name: string;
  /** `http://127.0.0.1:PORT`. */
  readonly httpUrl: string;
  /** Same as `httpUrl`. */
  readonly baseUrl: string;
  /** `127.0.0.1:PORT`, for @grpc/grpc-js. */
  readonly grpcAddr: string;
  /** The config file the server was started with. */
  readonly configFile: string;
  /** The audit file (decision and access log entries, JSON lines). */
  readonly auditFile: string;
  request(
    method: string,
    path: string,
    body?: string | Uint8Array | object,
    headers?: Readonly<Record<string, string>>,
  ): Promise<HttpAnswer>;
  checkResources(body: unknown): Promise<CheckResourcesAnswer>;
  /**
   * Calls a unary gRPC method (a descriptor from the generated `@cerbos/api` package) with a
   * request given in protojson form, over plaintext HTTP/2 to `grpcAddr`.
   */
  grpc(
    method: DescMethodUnary,
    input: ProtoJson,
    metadata?: Readonly<Record<string, string>>,
  ): Promise<GrpcAnswer>;
  /** Every audit entry written so far (lines still being written are left out). */
  auditEntries(): Record<string, unknown>[];
  /** Polls the audit file for the decision entry of a call id (undefined after ~2 s). */
  decisionEntry(callId: string): Promise<Record<string, unknown> | undefined>;
  /** What the process wrote to stdout/stderr (the last 8 KiB), for failure messages. */
  log(): string;
  /** True once the process has exited (on its own or by `stop`). */
  exited(): boolean;
  stop(): Promise<void>;
}

export type CerbosServer = PdpServer;

export async function freePort(): Promise<number> {
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

const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);

export function deepMerge(
  base: Record<string, unknown>,
  over: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isObj(b) && isObj(v) ? deepMerge(b, v) : v;
  }
  return out;
}

/** One unary gRPC call; a request the message schema cannot hold rejects before anything is sent. */
export async function grpcUnary(
  client: Client,
  method: DescMethodUnary,
  input: ProtoJson,
  metadata: Readonly<Record<string, string>> = {},
): Promise<GrpcAnswer> {
  const request = fromJson(method.input, input);
  const md = new Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  return new Promise((resolveAnswer) => {
    client.makeUnaryRequest(
      `/${method.parent.typeName}/${method.name}`,
      (m: typeof request) => Buffer.from(toBinary(method.input, m)),
      (b: Buffer) => fromBinary(method.output, b),
      request,
      md,
      { deadline: Date.now() + 10_000 },
      (err: ServiceError | null, res) => {
        if (err) resolveAnswer({ code: err.code, details: err.details });
        else if (res === undefined) resolveAnswer({ code: 2, details: "no response" });
        else resolveAnswer({ code: 0, details: "", json: toJson(method.output, res) });
      },
    );
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// Process groups still alive and their work folders, cleaned up if the test process exits
// without stopping them (a failed assertion before `finally`, a crash): no server may outlive
// its test.
const liveGroups = new Set<number>();
const liveWorkDirs = new Set<string>();
process.once("exit", () => {
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  for (const dir of liveWorkDirs) rmSync(dir, { recursive: true, force: true });
});

/** How to start one implementation: its command line, and the config it needs besides the listeners. */
export interface PdpLauncher {
  readonly name: string;
  readonly command: string;
  /** Arguments before `--config=FILE` and the `--set` overrides. */
  readonly args: readonly string[];
  /** Config merged under `opts.config` in a generated config file. */
  readonly defaults?: Readonly<Record<string, unknown>>;
  readonly env?: Readonly<Record<string, string>>;
}

/** Starts a PDP and resolves once it reports SERVING; rejects (after killing it) if it never does. */
export async function launchPdp(launcher: PdpLauncher, opts: PdpServerOptions): Promise<PdpServer> {
  const work = mkdtempSync(join(tmpdir(), `gatehouse-${launcher.name}-`));
  liveWorkDirs.add(work);
  const auditFile = join(work, "audit.log");
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  const httpAddr = `127.0.0.1:${httpPort}`;
  const grpcAddr = `127.0.0.1:${grpcPort}`;
  const sets: string[] = [];
  let configFile: string;
  if (opts.configFile !== undefined) {
    configFile = opts.configFile;
    sets.push(
      `server.httpListenAddr=${httpAddr}`,
      `server.grpcListenAddr=${grpcAddr}`,
      `audit.file.path=${auditFile}`,
    );
    if (opts.policyDir !== undefined) sets.push(`storage.disk.directory=${opts.policyDir}`);
  } else {
    const config = deepMerge(
      deepMerge(
        {
          server: { httpListenAddr: httpAddr, grpcListenAddr: grpcAddr },
          storage: {
            driver: "disk",
            disk: { directory: opts.policyDir ?? join(work, "policies"), watchForChanges: false },
          },
          audit: {
            enabled: true,
            accessLogsEnabled: false,
            decisionLogsEnabled: true,
            backend: "file",
            file: { path: auditFile },
          },
        },
        launcher.defaults ?? {},
      ),
      opts.config ?? {},
    );
    configFile = join(work, "config.yaml");
    writeFileSync(configFile, stringify(config));
  }
  sets.push(...(opts.sets ?? []));

  let output = "";
  const child: ChildProcess = spawn(
    launcher.command,
    [
      ...launcher.args,
      `--log-level=${opts.logLevel ?? "error"}`,
      `--config=${configFile}`,
      ...sets.map((s) => `--set=${s}`),
    ],
    {
      cwd: repoRoot,
      env: { ...process.env, ...launcher.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
      // its own process group, so `stop` reaches worker processes too
      detached: true,
    },
  );
  const pid = child.pid;
  if (pid !== undefined) liveGroups.add(pid);
  child.stdout?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-65536)));
  child.stderr?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-65536)));
  let exited = false;
  const exitPromise = new Promise<void>((r) =>
    child.once("exit", () => {
      exited = true;
      r();
    }),
  );
  const killGroup = (signal: NodeJS.Signals): void => {
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is gone
    }
  };

  const httpUrl = `http://${httpAddr}`;
  let grpcClient: Client | undefined;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    grpcClient?.close();
    if (!exited) {
      killGroup("SIGTERM");
      const timer = setTimeout(() => killGroup("SIGKILL"), 5000);
      await exitPromise;
      clearTimeout(timer);
    }
    // workers that outlived the primary
    killGroup("SIGKILL");
    if (pid !== undefined) liveGroups.delete(pid);
    rmSync(work, { recursive: true, force: true });
    liveWorkDirs.delete(work);
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`${launcher.name} exited before serving:\n${output}`);
    }
    try {
      const res = await fetch(`${httpUrl}/_cerbos/health`);
      const body = (await res.json()) as { status?: string };
      // a port taken by someone else between freePort() and the bind would answer too, and
      // make the server exit: give it a moment to do so before trusting the answer
      if (body.status === "SERVING") {
        await sleep(30);
        if (!exited) break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${launcher.name} did not become healthy in time:\n${output}`);
    }
    await sleep(50);
  }

  const auditEntries = (): Record<string, unknown>[] => {
    if (!existsSync(auditFile)) return [];
    const out: Record<string, unknown>[] = [];
    for (const line of readFileSync(auditFile, "utf8").split("\n")) {
      if (line.trim() === "") continue;
      try {
        const entry = JSON.parse(line) as unknown;
        if (isObj(entry)) out.push(entry);
      } catch {
        // the last line is still being written
      }
    }
    return out;
  };

  /** The decision log is appended asynchronously after the response, so poll for the call id. */
  const decisionEntry = async (callId: string): Promise<Record<string, unknown> | undefined> => {
    for (let i = 0; i < 100; i++) {
      const entry = auditEntries().find(
        (e) => e["callId"] === callId && ("checkResources" in e || "planResources" in e),
      );
      if (entry) return entry;
      await sleep(20);
    }
    return undefined;
  };

  const request = async (
    method: string,
    path: string,
    body?: string | Uint8Array | object,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<HttpAnswer> => {
    const payload: string | Blob | undefined =
      body === undefined
        ? undefined
        : typeof body === "string"
          ? body
          : body instanceof Uint8Array
            ? new Blob([Buffer.from(body)])
            : JSON.stringify(body);
    const res = await fetch(`${httpUrl}${path}`, {
      method,
      headers: {
        ...(payload !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      ...(payload !== undefined ? { body: payload } : {}),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text) as unknown;
    } catch {
      json = undefined;
    }
    return {
      status: res.status,
      headers: res.headers,
      text,
      ...(json !== undefined ? { json } : {}),
    };
  };

  return {
    name: launcher.name,
    httpUrl,
    baseUrl: httpUrl,
    grpcAddr,
    configFile,
    auditFile,
    log: () => output.slice(-8192),
    exited: () => exited,
    stop,
    request,
    auditEntries,
    decisionEntry,
    grpc(method, input, metadata) {
      grpcClient ??= new Client(grpcAddr, credentials.createInsecure());
      return grpcUnary(grpcClient, method, input, metadata);
    },
    async checkResources(body) {
      const res = await request("POST", "/api/check/resources", body as object);
      const json = isObj(res.json) ? res.json : { raw: res.text };
      const callId = json["cerbosCallId"];
      const entry = typeof callId === "string" ? await decisionEntry(callId) : undefined;
      const decisionOutputs = entry
        ? (((entry["checkResources"] as Record<string, unknown> | undefined)?.["outputs"] as
            Record<string, unknown>[] | undefined) ?? [])
        : undefined;
      return { status: res.status, body: json, ...(decisionOutputs ? { decisionOutputs } : {}) };
    },
  };
}

export const cerbosLauncher: PdpLauncher = {
  name: "cerbos",
  command: cerbosBinary,
  args: ["server"],
  defaults: { telemetry: { disabled: true } },
  // also when a given config file does not disable telemetry
  env: { CERBOS_NO_TELEMETRY: "1" },
};

/** Starts the real Cerbos. */
export async function startCerbosServer(opts: PdpServerOptions): Promise<CerbosServer> {
  return launchPdp(cerbosLauncher, opts);
}

/** Runs `cerbos compile --skip-tests DIR`: exit code and output (exit 3 means compile errors). */
export function compileWithCerbos(dir: string): { status: number; output: string } {
  const r = spawnSync(cerbosBinary, ["compile", "--skip-tests", "--output=json", dir], {
    encoding: "utf8",
  });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}
