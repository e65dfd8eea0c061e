// The Metrics interface in Prometheus form, for GET /_cerbos/metrics. This folder is the only
// place that imports prom-client. Names follow Cerbos's where Cerbos has the same measurement
// (cerbos_dev_engine_*, cerbos_dev_store_last_successful_refresh, and the OpenTelemetry-style
// http_server_request_duration_seconds / rpc_server_call_duration_seconds); the rest are
// gatehouse_*. Each instance has its own registry, so tests and several servers in one process
// do not collide.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Metrics, Protocol } from "../../kernel/metrics.ts";

export interface MetricsText {
  readonly contentType: string;
  readonly body: string;
}

export interface PrometheusMetrics extends Metrics {
  /** The exposition text for a scrape. */
  text(): Promise<MetricsText>;
  /** @internal the registry, for cluster aggregation in this folder. */
  readonly registry: Registry;
}

/** Cerbos's buckets for its millisecond engine histograms. */
const cerbosMsBuckets = [
  0.01, 0.05, 0.1, 0.3, 0.6, 0.8, 1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 30, 40, 50, 65, 80, 100,
  130, 160, 200, 250, 300, 400, 500, 650, 800, 1000, 2000, 5000, 10000, 20000, 50000, 100000,
];
const batchBuckets = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 16, 18, 20, 25, 30, 35, 40, 45, 50];
/** OpenTelemetry's default seconds buckets, as Cerbos's HTTP and gRPC histograms use. */
const secondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

const grpcCodeNames = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
];

export interface PrometheusMetricsOptions {
  /** Add prom-client's process metrics (CPU, memory, event loop lag, GC). Default true. */
  readonly processMetrics?: boolean;
}

export function createPrometheusMetrics(options: PrometheusMetricsOptions = {}): PrometheusMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  const httpDuration = new Histogram({
    name: "http_server_request_duration_seconds",
    help: "Duration of HTTP server requests.",
    labelNames: ["http_route", "http_response_status_code", "network_protocol_name"] as const,
    buckets: secondsBuckets,
    registers,
  });
  const rpcDuration = new Histogram({
    name: "rpc_server_call_duration_seconds",
    help: "Measures the duration of an incoming Remote Procedure Call (RPC).",
    labelNames: ["rpc_method", "rpc_response_status_code", "rpc_system_name"] as const,
    buckets: secondsBuckets,
    registers,
  });
  const requests = new Counter({
    name: "gatehouse_requests_total",
    help: "API calls by protocol, method (RPC name or HTTP route) and status.",
    labelNames: ["protocol", "method", "status"] as const,
    registers,
  });
  const checkLatency = new Histogram({
    name: "cerbos_dev_engine_check_latency_milliseconds",
    help: "Time to match a request against a policy and provide a decision",
    labelNames: ["status"] as const,
    buckets: cerbosMsBuckets,
    registers,
  });
  const planLatency = new Histogram({
    name: "cerbos_dev_engine_plan_latency_milliseconds",
    help: "Time to produce a query plan",
    labelNames: ["status"] as const,
    buckets: cerbosMsBuckets,
    registers,
  });
  const batchSize = new Histogram({
    name: "cerbos_dev_engine_check_batch_size",
    help: "Batch size distribution of check requests",
    buckets: batchBuckets,
    registers,
  });
  const decisions = new Counter({
    name: "gatehouse_decisions_total",
    help: "Decisions per action, by effect.",
    labelNames: ["effect"] as const,
    registers,
  });
  const reloads = new Counter({
    name: "gatehouse_policy_reloads_total",
    help: "Policy loads and reloads, by status (success, failure).",
    labelNames: ["status"] as const,
    registers,
  });
  const reloadDuration = new Histogram({
    name: "gatehouse_policy_reload_duration_seconds",
    help: "Time to read and compile the policy folder.",
    labelNames: ["status"] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  // every worker loads the same folder: across a cluster the largest value is the right one
  const policies = new Gauge({
    name: "gatehouse_policies",
    help: "Policies in the serving policy set.",
    aggregator: "max",
    registers,
  });
  const lastRefresh = new Gauge({
    name: "cerbos_dev_store_last_successful_refresh",
    help: "The last time the store was successfully refreshed manually or automatically",
    labelNames: ["driver"] as const,
    aggregator: "max",
    registers,
  });
  const tokenFailures = new Counter({
    name: "gatehouse_token_failures_total",
    help: "auxData tokens refused, by reason.",
    labelNames: ["reason"] as const,
    registers,
  });

  return {
    registry,
    observeRequest(protocol: Protocol, method: string, status: number, seconds: number) {
      requests.inc({ protocol, method, status: String(status) });
      if (protocol === "http") {
        httpDuration.observe(
          {
            http_route: method,
            http_response_status_code: String(status),
            network_protocol_name: "http",
          },
          seconds,
        );
      } else {
        rpcDuration.observe(
          {
            rpc_method: method,
            rpc_response_status_code: grpcCodeNames[status] ?? String(status),
            rpc_system_name: "grpc",
          },
          seconds,
        );
      }
    },
    observeCheck(resources, seconds) {
      checkLatency.observe({ status: "success" }, seconds * 1000);
      batchSize.observe(resources);
    },
    countDecision(effect) {
      decisions.inc({ effect });
    },
    observePlan(seconds) {
      planLatency.observe({ status: "success" }, seconds * 1000);
    },
    observeReload(ok, count, seconds) {
      const status = ok ? "success" : "failure";
      reloads.inc({ status });
      reloadDuration.observe({ status }, seconds);
      policies.set(count);
      // Cerbos reports this one in epoch milliseconds
      if (ok) lastRefresh.set({ driver: "disk" }, Date.now());
    },
    countTokenFailure(reason) {
      tokenFailures.inc({ reason });
    },
    async text() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
