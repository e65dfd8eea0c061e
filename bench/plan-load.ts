// A small closed-loop HTTP load generator for the PlanResources benchmark: C keep-alive
// connections, each sending the next request body as soon as the previous answer arrives, for a
// fixed time. Every call's latency is kept, so p50/p99 are over single calls. It runs in the
// benchmark's own process, on the same machine as the server: the figures include its cost and
// are for comparing two servers measured the same way, not for absolute capacity.

import { Agent, request } from "node:http";

export interface LoadFigures {
  readonly connections: number;
  readonly seconds: number;
  readonly requests: number;
  /** Answers that were not 200. */
  readonly failures: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

function send(agent: Agent, url: URL, body: Buffer | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: body === undefined ? "GET" : "POST",
        agent,
        headers:
          body === undefined
            ? {}
            : { "content-type": "application/json", "content-length": body.length },
      },
      (res) => {
        res.on("data", () => undefined);
        res.on("end", () => resolve(res.statusCode ?? 0));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const nearestRank = (sorted: Float64Array, p: number): number =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ??
      Number.NaN);

/**
 * Sends `bodies` round-robin to `url` (POST) over `connections` connections for `seconds`; with
 * no bodies, GETs `url`.
 */
export async function runLoad(
  url: string,
  bodies: readonly string[],
  connections: number,
  seconds: number,
): Promise<LoadFigures> {
  const target = new URL(url);
  const payloads = bodies.map((b) => Buffer.from(b));
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const start = process.hrtime.bigint();
  const until = start + BigInt(Math.round(seconds * 1e9));
  const loop = async (): Promise<void> => {
    while (process.hrtime.bigint() < until) {
      const body = payloads.length === 0 ? undefined : payloads[next++ % payloads.length];
      const t0 = process.hrtime.bigint();
      const status = await send(agent, target, body);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (status !== 200) failures++;
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, loop));
  } finally {
    agent.destroy();
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const sorted = Float64Array.from(latencies).sort();
  return {
    connections,
    seconds: elapsed,
    requests: latencies.length,
    failures,
    rps: latencies.length / elapsed,
    p50Ms: nearestRank(sorted, 0.5),
    p99Ms: nearestRank(sorted, 0.99),
  };
}
