// Prometheus metrics: the adapter behind the Metrics interface, and cluster aggregation.

export type {
  MetricsText,
  PrometheusMetrics,
  PrometheusMetricsOptions,
} from "./prometheus-metrics.ts";
export { createPrometheusMetrics } from "./prometheus-metrics.ts";
export { createClusterMetricsAggregator, serveClusterMetrics } from "./cluster-aggregation.ts";
