// Every core: with `gatehouse.workers: 2`, two worker processes accept on the same ports, a
// metrics scrape (answered by whichever worker gets it) counts the calls of both, and SIGTERM
// stops the whole cluster cleanly.

import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { repoRoot } from "../support/reference.ts";
import {
  gatehouseUnavailableReason,
  startGatehouseServer,
  type GatehouseServer,
} from "../support/gatehouse-server.ts";

const unavailable = gatehouseUnavailableReason();

/** A request on a connection of its own, so that the cluster spreads them over the workers. */
function freshConnectionGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false, headers: { connection: "close" } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

function counter(metrics: string, name: string, labels: string): number {
  let total = 0;
  for (const line of metrics.split("\n")) {
    if (line.startsWith(`${name}{`) && line.includes(labels))
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

describe("a cluster of workers", { skip: unavailable }, () => {
  let server: GatehouseServer;
  before(async () => {
    server = await startGatehouseServer({
      policyDir: join(repoRoot, "examples/policies"),
      config: { gatehouse: { workers: 2 } },
      logLevel: "info",
    });
  });
  after(() => server?.stop());

  test("both workers serve and a scrape counts the calls of both", async () => {
    // Health answers SERVING as soon as the first worker listens; wait for the second.
    const deadline = Date.now() + 30_000;
    while (!/"all workers serving"/.test(server.log()) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const calls = 20;
    for (let i = 0; i < calls; i++)
      assert.equal(await freshConnectionGet(`${server.httpUrl}/api/server_info`), 200);
    const metrics = await server.request("GET", "/_cerbos/metrics");
    assert.equal(metrics.status, 200);
    // Scrapes themselves are counted too; server_info calls are exactly the ones above.
    assert.equal(
      counter(metrics.text, "gatehouse_requests_total", 'method="/api/server_info"'),
      calls,
      metrics.text
        .split("\n")
        .filter((l) => l.startsWith("gatehouse_requests_total"))
        .join("\n"),
    );
    const log = server.log();
    assert.match(log, /"all workers serving","workers":2/);
    assert.equal((log.match(/"msg":"listening"/g) ?? []).length, 2, log);
  });

  test("SIGTERM stops every worker and the primary", async () => {
    await server.stop();
    assert.ok(server.exited());
    assert.match(server.log(), /"msg":"shutting down"/);
    assert.doesNotMatch(server.log(), /worker exited; starting a new one|failed to start/);
  });
});
