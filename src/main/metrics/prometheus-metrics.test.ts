import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { createPrometheusMetrics } from "./prometheus-metrics.ts";

describe("createPrometheusMetrics", () => {
  it("exposes what the server records under Cerbos's names where they exist", async () => {
    const m = createPrometheusMetrics();
    m.observeRequest("http", "/api/check/resources", 200, 0.002);
    m.observeRequest("grpc", "cerbos.svc.v1.CerbosService/CheckResources", 3, 0.001);
    m.observeCheck(2, 0.0005);
    m.countDecision("EFFECT_ALLOW");
    m.countDecision("EFFECT_ALLOW");
    m.countDecision("EFFECT_DENY");
    m.observeReload(true, 12, 0.05);
    m.observeReload(false, 12, 0.01);
    m.countTokenFailure("expired");
    const { contentType, body } = await m.text();
    assert.match(contentType, /^text\/plain/u);
    const expected = [
      'http_server_request_duration_seconds_count{http_route="/api/check/resources",http_response_status_code="200",network_protocol_name="http"} 1',
      'rpc_server_call_duration_seconds_count{rpc_method="cerbos.svc.v1.CerbosService/CheckResources",rpc_response_status_code="INVALID_ARGUMENT",rpc_system_name="grpc"} 1',
      'gatehouse_requests_total{protocol="http",method="/api/check/resources",status="200"} 1',
      'cerbos_dev_engine_check_latency_milliseconds_bucket{le="0.6",status="success"} 1',
      "cerbos_dev_engine_check_batch_size_sum 2",
      'gatehouse_decisions_total{effect="EFFECT_ALLOW"} 2',
      'gatehouse_decisions_total{effect="EFFECT_DENY"} 1',
      'gatehouse_policy_reloads_total{status="success"} 1',
      'gatehouse_policy_reloads_total{status="failure"} 1',
      "gatehouse_policies 12",
      'gatehouse_token_failures_total{reason="expired"} 1',
    ];
    for (const line of expected) assert.ok(body.includes(line), `missing: ${line}`);
    assert.match(body, /^cerbos_dev_store_last_successful_refresh\{driver="disk"\} \d{13}$/mu);
    assert.match(body, /^process_cpu_user_seconds_total /mu);
  });

  it("keeps instances apart", async () => {
    const a = createPrometheusMetrics({ processMetrics: false });
    const b = createPrometheusMetrics({ processMetrics: false });
    a.countDecision("EFFECT_DENY");
    assert.match((await a.text()).body, /gatehouse_decisions_total\{effect="EFFECT_DENY"\} 1/u);
    assert.doesNotMatch((await b.text()).body, /gatehouse_decisions_total\{/u);
  });
});

describe("cluster aggregation", () => {
  it("sums workers' counters and takes the largest policy count", () => {
    const dir = mkdtempSync(join(tmpdir(), "gatehouse-cluster-metrics-"));
    try {
      const url = (f: string) => pathToFileURL(join(import.meta.dirname, f)).href;
      const script = join(dir, "cluster.ts");
      writeFileSync(
        script,
        `
import cluster from "node:cluster";
import { createPrometheusMetrics } from ${JSON.stringify(url("prometheus-metrics.ts"))};
import { createClusterMetricsAggregator, serveClusterMetrics } from ${JSON.stringify(url("cluster-aggregation.ts"))};
if (cluster.isPrimary) {
  const agg = createClusterMetricsAggregator();
  let ready = 0;
  for (let i = 0; i < 2; i++) cluster.fork().on("message", async (m) => {
    if (m !== "ready" || ++ready < 2) return;
    process.stdout.write((await agg.aggregate()).body);
    for (const w of Object.values(cluster.workers ?? {})) w?.kill();
  });
} else {
  const metrics = createPrometheusMetrics({ processMetrics: false });
  serveClusterMetrics(metrics);
  metrics.countDecision("EFFECT_ALLOW");
  metrics.observeReload(true, 3 + (cluster.worker?.id ?? 0), 0.01);
  process.send?.("ready");
}
`,
      );
      const r = spawnSync(process.execPath, [script], { encoding: "utf8", timeout: 20_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /gatehouse_decisions_total\{effect="EFFECT_ALLOW"\} 2/u);
      assert.match(r.stdout, /gatehouse_policy_reloads_total\{status="success"\} 2/u);
      assert.match(r.stdout, /^gatehouse_policies 5$/mu);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
