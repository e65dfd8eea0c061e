// /_cerbos/metrics in a cluster: any worker may receive the scrape, but the numbers live in
// every worker. The worker asks the primary over the cluster's IPC channel; the primary
// gathers every worker's registry (through the metrics adapter) and answers.

import cluster from "node:cluster";

export interface MetricsText {
  readonly contentType: string;
  readonly body: string;
}

const requestType = "gatehouse:metrics-request";
const replyType = "gatehouse:metrics-reply";

interface MetricsRequest {
  readonly type: typeof requestType;
  readonly id: number;
}

interface MetricsReply {
  readonly type: typeof replyType;
  readonly id: number;
  readonly text?: MetricsText;
  readonly error?: string;
}

const isRequest = (m: unknown): m is MetricsRequest =>
  typeof m === "object" && m !== null && (m as { type?: unknown }).type === requestType;
const isReply = (m: unknown): m is MetricsReply =>
  typeof m === "object" && m !== null && (m as { type?: unknown }).type === replyType;

/** In the primary: answer workers' metrics requests with the aggregated text. */
export function createClusterMetricsPrimary(aggregate: () => Promise<MetricsText>): {
  close(): void;
} {
  const onMessage = (worker: { send(m: unknown): boolean }, m: unknown): void => {
    if (!isRequest(m)) return;
    aggregate().then(
      (text) => void worker.send({ type: replyType, id: m.id, text } satisfies MetricsReply),
      (e: unknown) =>
        void worker.send({
          type: replyType,
          id: m.id,
          error: e instanceof Error ? e.message : String(e),
        } satisfies MetricsReply),
    );
  };
  cluster.on("message", onMessage);
  return { close: () => void cluster.off("message", onMessage) };
}

let nextId = 1;
const pending = new Map<number, { resolve(t: MetricsText): void; reject(e: Error): void }>();
let listening = false;

/** In a worker: the whole cluster's metrics, via the primary. */
export function requestClusterMetrics(): Promise<MetricsText> {
  if (!listening) {
    listening = true;
    process.on("message", (m: unknown) => {
      if (!isReply(m)) return;
      const waiter = pending.get(m.id);
      if (!waiter) return;
      pending.delete(m.id);
      if (m.text) waiter.resolve(m.text);
      else waiter.reject(new Error(m.error ?? "no metrics from the primary"));
    });
  }
  return new Promise((resolve, reject) => {
    const id = nextId++;
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error("the primary did not answer the metrics request"));
    }, 5_000);
    timer.unref();
    pending.set(id, {
      resolve: (t) => (clearTimeout(timer), resolve(t)),
      reject: (e) => (clearTimeout(timer), reject(e)),
    });
    process.send?.({ type: requestType, id } satisfies MetricsRequest);
  });
}
