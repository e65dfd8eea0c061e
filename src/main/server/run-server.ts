// `gatehouse server`: load the configuration, then serve it on every core. With more than one
// worker, the primary process only supervises: node:cluster shares the listening sockets, so
// every worker accepts on the same ports; each worker loads, watches and compiles the policies
// on its own (the PDP is stateless, so workers never need to agree on anything). The primary
// also answers /_cerbos/metrics requests for the whole cluster.

import cluster from "node:cluster";
import { availableParallelism } from "node:os";
import { formatDiagnostic } from "../../kernel/diagnostic.ts";
import { createLogger, type Logger } from "../../kernel/logger.ts";
import type { CliIo } from "../cli-io.ts";
import { exitCodes } from "../cli-io.ts";
import { loadConfig } from "../config/index.ts";
import type { GatehouseConfig } from "../config/types.ts";
import { version } from "../version.ts";
import { createClusterMetricsAggregator } from "../metrics/index.ts";
import { createClusterMetricsPrimary, requestClusterMetrics } from "./cluster-metrics.ts";
import type { ServerArgs } from "./server-args.ts";
import { startServer, type RunningServer } from "./start-server.ts";

/** How long in-flight calls may take to finish after SIGTERM. */
const shutdownGraceMs = 10_000;

/** Worker -> primary. */
interface WorkerMessage {
  readonly type: "ready" | "failed";
  readonly message?: string;
}

/** Primary -> worker. */
const shutdownMessage = "gatehouse:shutdown";

export async function runServer(args: ServerArgs, io: CliIo): Promise<number> {
  let config: GatehouseConfig;
  try {
    const loaded = loadConfig({
      ...(args.config === undefined ? {} : { file: args.config }),
      sets: args.sets,
      env: io.env,
      cwd: process.cwd(),
    });
    config = loaded.config;
    const logger = makeLogger(config, args, io);
    if (cluster.isPrimary) for (const w of loaded.warnings) logger.warn(formatDiagnostic(w));
  } catch (e) {
    // A configuration error's message lists every problem, one `file:line:col` per line.
    return io.fail(e instanceof Error ? e.message : String(e), exitCodes.failure);
  }
  const logger = makeLogger(config, args, io);
  const workers = config.gatehouse.workers > 0 ? config.gatehouse.workers : availableParallelism();

  if (cluster.isWorker) return runWorker(config, logger.child({ worker: cluster.worker?.id }));
  if (workers === 1) return runSingle(config, logger);
  return runPrimary(workers, logger);
}

function makeLogger(config: GatehouseConfig, args: ServerArgs, io: CliIo): Logger {
  return createLogger({
    level: args.logLevel ?? config.gatehouse.log.level,
    write: (line) => io.err(line),
  });
}

const serverInfo = () => ({
  version: version(),
  commit: process.env["GATEHOUSE_COMMIT"] ?? "",
  buildDate: process.env["GATEHOUSE_BUILD_DATE"] ?? "",
});

/** Resolves on the first SIGTERM or SIGINT. */
function shutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
}

async function runSingle(config: GatehouseConfig, logger: Logger): Promise<number> {
  let server: RunningServer;
  try {
    server = await startServer(config, { logger, serverInfo: serverInfo() });
  } catch (e) {
    logger.error("cannot start", { error: e });
    return exitCodes.failure;
  }
  const signal = await shutdownSignal();
  logger.info("shutting down", { signal });
  await server.stop(shutdownGraceMs);
  return exitCodes.ok;
}

async function runWorker(config: GatehouseConfig, logger: Logger): Promise<number> {
  const send = (m: WorkerMessage): void => void process.send?.(m);
  let server: RunningServer;
  try {
    server = await startServer(config, {
      logger,
      serverInfo: serverInfo(),
      clusterMetricsText: requestClusterMetrics,
    });
  } catch (e) {
    logger.error("cannot start", { error: e });
    send({ type: "failed", message: e instanceof Error ? e.message : String(e) });
    return exitCodes.failure;
  }
  send({ type: "ready" });
  // The primary relays SIGTERM as a message (cluster's own disconnect would wait for every
  // keep-alive client to leave); a signal sent straight to a worker works too.
  await Promise.race([
    shutdownSignal(),
    new Promise<void>((resolve) =>
      process.on("message", (m: unknown) => {
        if (m === shutdownMessage) resolve();
      }),
    ),
  ]);
  await server.stop(shutdownGraceMs);
  process.disconnect?.();
  return exitCodes.ok;
}

async function runPrimary(workers: number, logger: Logger): Promise<number> {
  const aggregator = createClusterMetricsAggregator();
  const metricsPrimary = createClusterMetricsPrimary(() => aggregator.aggregate());
  let stopping = false;
  let started = 0;
  let failedAtStart = false;
  const live = new Set<number>();

  const exited = new Promise<void>((resolveAll) => {
    const fork = (): void => {
      const worker = cluster.fork();
      live.add(worker.id);
      let ready = false;
      worker.on("message", (m: WorkerMessage) => {
        if (m.type === "ready") {
          ready = true;
          started++;
          if (started === workers) logger.info("all workers serving", { workers });
        } else if (m.type === "failed") {
          failedAtStart = true;
        }
      });
      worker.on("exit", (code, signal) => {
        live.delete(worker.id);
        if (!stopping && (!ready || failedAtStart)) {
          // A worker that cannot start will not start on retry either: stop them all.
          logger.error("worker failed to start; stopping", { worker: worker.id, code, signal });
          failedAtStart = true;
          stopAll();
        } else if (!stopping) {
          logger.warn("worker exited; starting a new one", { worker: worker.id, code, signal });
          fork();
        }
        if (live.size === 0) resolveAll();
      });
    };
    for (let i = 0; i < workers; i++) fork();
  });

  const stopAll = (): void => {
    if (stopping) return;
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (worker?.isConnected()) worker.send(shutdownMessage);
    }
    // A worker stuck past the grace period is killed.
    setTimeout(() => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill("SIGKILL");
    }, shutdownGraceMs + 2_000).unref();
  };

  void shutdownSignal().then((signal) => {
    logger.info("shutting down", { signal });
    stopAll();
  });
  await exited;
  metricsPrimary.close();
  return failedAtStart ? exitCodes.failure : exitCodes.ok;
}
