// Metrics across a cluster of worker processes, with prom-client's AggregatorRegistry: the
// primary asks every worker for its registry over the cluster IPC channel and sums them
// (gauges marked `max`, such as the policy count, take the largest).
//
// Wiring in main/ (with server/cluster-metrics.ts carrying scrapes from a worker to the
// primary):
//   primary:  const agg = createClusterMetricsAggregator();
//             createClusterMetricsPrimary(agg.aggregate);
//   worker:   const metrics = createPrometheusMetrics();
//             serveClusterMetrics(metrics);           // before the first scrape can arrive
//             // GET /_cerbos/metrics -> requestClusterMetrics() instead of metrics.text()
// A single-process server skips both and answers scrapes with metrics.text().

import { AggregatorRegistry } from "prom-client";
import type { MetricsText, PrometheusMetrics } from "./prometheus-metrics.ts";

/** In the primary: the whole cluster's metrics text. */
export function createClusterMetricsAggregator(): { aggregate(): Promise<MetricsText> } {
  const aggregator = new AggregatorRegistry();
  return {
    async aggregate() {
      const body = await aggregator.clusterMetrics();
      return { contentType: aggregator.contentType, body };
    },
  };
}

/** In a worker: answer the primary's aggregation requests with this worker's registry. */
export function serveClusterMetrics(metrics: PrometheusMetrics): void {
  AggregatorRegistry.setRegistries([metrics.registry]);
  // constructing one installs prom-client's worker-side IPC listener
  new AggregatorRegistry();
}
