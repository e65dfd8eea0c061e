// Timing of sub-microsecond calls. Reading the clock (process.hrtime.bigint) costs 50-100 ns,
// as much as the call being measured, so each sample times a batch of consecutive calls and
// keeps the per-call average. Percentiles are then over those averages: a rare slow call (a GC
// pause, a deoptimisation) is spread over its batch instead of standing out on its own.

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

export interface BatchOptions {
  /** How long to call before measuring, so the JIT has optimised the code being timed. */
  readonly warmupMs: number;
  readonly samples: number;
  /** Calls per sample; when absent, chosen from the warm-up so a sample lasts `sampleNs`. */
  readonly batch?: number;
  /** Target duration of one sample when `batch` is absent; default 250 µs. */
  readonly sampleNs?: number;
}

export interface BatchSamples {
  /** Per-call average of each sample, in nanoseconds, ascending. */
  readonly perCallNs: number[];
  readonly batch: number;
  /** Calls made inside timed samples (samples x batch). */
  readonly calls: number;
  /** Time spent inside timed samples, in nanoseconds. */
  readonly elapsedNs: number;
}

function warmUp(call: () => void, warmupMs: number): { calls: number; ns: number } {
  const start = process.hrtime.bigint();
  const until = start + BigInt(Math.round(warmupMs * 1e6));
  let calls = 0;
  let now: bigint;
  do {
    for (let i = 0; i < 64; i++) call();
    calls += 64;
    now = process.hrtime.bigint();
  } while (now < until);
  return { calls, ns: Number(now - start) };
}

export function sampleBatches(call: () => void, options: BatchOptions): BatchSamples {
  const warm = warmUp(call, options.warmupMs);
  const batch =
    options.batch ??
    Math.min(
      10_000,
      Math.max(1, Math.round((options.sampleNs ?? 250_000) / (warm.ns / warm.calls))),
    );
  const perCallNs: number[] = [];
  let elapsedNs = 0;
  for (let s = 0; s < options.samples; s++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) call();
    const ns = Number(process.hrtime.bigint() - t0);
    elapsedNs += ns;
    perCallNs.push(ns / batch);
  }
  perCallNs.sort((a, b) => a - b);
  return { perCallNs, batch, calls: batch * options.samples, elapsedNs };
}

// `gc` is a global only under --expose-gc; setting the flag at run time and reading the global
// from a new context gives the same function without asking for a command-line flag.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

/**
 * A full garbage collection, so a measurement does not pay for what an earlier phase (loading
 * thousands of policies) left behind: the figures describe a settled process, as a server is
 * once it has started.
 */
export function settleHeap(): void {
  collectGarbage();
}

/** Nearest-rank percentile (`p` in 0..1) of ascending values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank] as number;
}

/** `850 ns`, `1.23 µs`, `45.6 ms`, `12.3 s`. */
export function formatDuration(ns: number): string {
  if (!Number.isFinite(ns)) return "-";
  if (ns < 1_000) return `${ns.toFixed(0)} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(2)} µs`;
  if (ns < 1_000_000_000) return `${(ns / 1_000_000).toFixed(1)} ms`;
  return `${(ns / 1_000_000_000).toFixed(2)} s`;
}

/** `1,234,567`. */
export const formatCount = (n: number): string =>
  Math.round(n).toLocaleString("en-US", { maximumFractionDigits: 0 });
