// Asking a server (the real Cerbos, or Gatehouse) for plans: many `POST /api/plan/resources` calls, a few at a time so a
// shared machine stays usable, each answer kept with its HTTP status.

import type { PdpServer } from "../support/cerbos-server.ts";
import { cerbosPlanBody, type PlanCase } from "./plan-workload.ts";

export interface PlanHttpAnswer {
  readonly status: number;
  /** The JSON body, or `{ raw }` when it did not parse. */
  readonly body: Record<string, unknown>;
}

const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);

/** Runs `work` over `items` with at most `concurrency` calls in flight; results in input order. */
export async function mapPooled<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await work(items[i] as T, i);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker),
  );
  return out;
}

export async function askPlan(server: PdpServer, c: PlanCase): Promise<PlanHttpAnswer> {
  const res = await server.request("POST", "/api/plan/resources", cerbosPlanBody(c));
  const body = isObj(res.json) ? res.json : { raw: res.text };
  if (res.status >= 500) {
    // the HTTP answer hides the cause; the server's log names it
    const cause = await loggedError(server, c.id);
    if (cause !== undefined) return { status: res.status, body: { ...body, cause } };
  }
  return { status: res.status, body };
}

/** The `error` of the log line the server wrote about a request id (waits up to ~0.5 s). */
async function loggedError(server: PdpServer, requestId: string): Promise<string | undefined> {
  const marker = `"request_id":${JSON.stringify(requestId)}`;
  for (let i = 0; i < 10; i++) {
    for (const line of server.log().split("\n")) {
      if (!line.includes(marker)) continue;
      try {
        const entry = JSON.parse(line) as unknown;
        if (isObj(entry) && typeof entry["error"] === "string") return entry["error"];
      } catch {
        // a line cut by the log's size limit
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}

export function askPlanAll(
  server: PdpServer,
  cases: readonly PlanCase[],
  concurrency: number,
): Promise<PlanHttpAnswer[]> {
  return mapPooled(cases, concurrency, (c) => askPlan(server, c));
}
