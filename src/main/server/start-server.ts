// The composition root of the PDP server: configuration in, running listeners out. It builds
// every part (logger, metrics, token verifier, policy reloader, audit log, PDP service, HTTP
// and gRPC listeners) and is the only place that knows how they fit together.

import { readFile } from "node:fs/promises";
import type { EngineOptions } from "../../authz/index.ts";
import { createAuditLog } from "../../audit/index.ts";
import { createAuxDataVerifier, principalFromClaims } from "../../auxdata/index.ts";
import type { Logger } from "../../kernel/logger.ts";
import { createPdpService, createPolicyReloader } from "../../pdp/index.ts";
import type { ServerInfo } from "../../pdp/types.ts";
import { createGrpcServer } from "../../protocols/grpc/index.ts";
import { createHttpServer } from "../../protocols/http/index.ts";
import type { GatehouseConfig } from "../config/types.ts";
import { createPrometheusMetrics, serveClusterMetrics } from "../metrics/index.ts";

export interface RunningServer {
  readonly httpAddress: string;
  readonly grpcAddress: string;
  /** Stops accepting, lets in-flight calls finish for up to `graceMs`, flushes the audit log. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  readonly logger: Logger;
  readonly serverInfo: ServerInfo;
  /** In a cluster worker: where /_cerbos/metrics gets the whole cluster's metrics from. */
  readonly clusterMetricsText?: () => Promise<{ contentType: string; body: string }>;
}

export function engineOptions(config: GatehouseConfig): EngineOptions {
  return {
    defaultPolicyVersion: config.engine.defaultPolicyVersion,
    defaultScope: config.engine.defaultScope,
    lenientScopeSearch: config.engine.lenientScopeSearch,
    globals: config.engine.globals,
    strictEvaluation: config.engine.strictEvaluation,
    schemaEnforcement: config.schema.enforcement,
  };
}

async function readTls(
  tls: GatehouseConfig["server"]["tls"],
): Promise<{ cert: Buffer; key: Buffer; ca?: Buffer } | undefined> {
  if (!tls) return undefined;
  const [cert, key, ca] = await Promise.all([
    readFile(tls.cert),
    readFile(tls.key),
    tls.caCert === undefined ? undefined : readFile(tls.caCert),
  ]);
  return ca === undefined ? { cert, key } : { cert, key, ca };
}

export async function startServer(
  config: GatehouseConfig,
  options: StartOptions,
): Promise<RunningServer> {
  const { logger } = options;
  const metrics = createPrometheusMetrics();
  if (options.clusterMetricsText) serveClusterMetrics(metrics);
  const tls = await readTls(config.server.tls);

  const verifier = await createAuxDataVerifier(config.auxData.jwt, config.gatehouse.jwt.keySets, {
    logger: logger.child({ component: "auxdata" }),
    metrics,
  });
  const policies = await createPolicyReloader({
    directory: config.storage.directory,
    watch: config.storage.watchForChanges,
    engine: engineOptions(config),
    logger: logger.child({ component: "store" }),
    metrics,
  });
  const audit = createAuditLog(config.audit, {
    logger: logger.child({ component: "audit" }),
    policySource: { directory: config.storage.directory },
  });
  const pdp = createPdpService({
    policies,
    verifier,
    principalFromToken: config.gatehouse.principalFromToken,
    principalFromClaims,
    ...(config.audit.enabled && config.audit.decisionLogsEnabled ? { decisionLog: audit } : {}),
    metrics,
    logger: logger.child({ component: "pdp" }),
    serverInfo: options.serverInfo,
  });

  const decode = {
    maxActionsPerResource: config.server.requestLimits.maxActionsPerResource,
    maxResourcesPerRequest: config.server.requestLimits.maxResourcesPerRequest,
    principalOptional: config.gatehouse.principalFromToken.enabled,
  };
  const accessLogOn = config.audit.enabled && config.audit.accessLogsEnabled;
  const http = createHttpServer({
    pdp,
    decode,
    logger: logger.child({ component: "http" }),
    metrics,
    ...(config.server.metricsEnabled
      ? { metricsText: options.clusterMetricsText ?? (() => metrics.text()) }
      : {}),
    ...(accessLogOn ? { onAccess: (entry) => audit.recordAccess(entry) } : {}),
    cors: config.server.cors,
    ...(tls ? { tls } : {}),
    maxBodyBytes: config.server.maxRequestBodyBytes,
  });
  const grpc = createGrpcServer({
    pdp,
    decode,
    logger: logger.child({ component: "grpc" }),
    metrics,
    ...(tls ? { tls } : {}),
    maxMessageBytes: config.server.maxRequestBodyBytes,
    ...(accessLogOn ? { onAccess: (record) => audit.recordAccess(record) } : {}),
  });

  let httpAddress: string;
  let grpcAddress: string;
  try {
    httpAddress = await http.listen(config.server.httpListenAddr);
    grpcAddress = await grpc.listen(config.server.grpcListenAddr);
  } catch (e) {
    await Promise.allSettled([http.shutdown(0), grpc.shutdown(0)]);
    await policies.close();
    verifier.close();
    await audit.close();
    throw e;
  }
  logger.info("listening", { http: httpAddress, grpc: grpcAddress });

  let stopping: Promise<void> | undefined;
  return {
    httpAddress,
    grpcAddress,
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        await Promise.allSettled([http.shutdown(graceMs), grpc.shutdown(graceMs)]);
        await policies.close();
        verifier.close();
        await audit.close();
      })();
      return stopping;
    },
  };
}
