// The two decision workloads of the in-process benchmark, shared by its main process (small
// policy sets) and its scale process (the large set): the README's example request, and
// Cerbos's engine conformance inputs (testdata/engine). Each returns plain, JSON-safe figures.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import type { CheckInput, CheckResult, EngineOptions } from "../src/index.ts";
import { testdata } from "../test/support/reference.ts";
import { percentile, sampleBatches, settleHeap, type BatchSamples } from "./batch-timing.ts";

export type Check = (inputs: readonly CheckInput[]) => CheckResult[];

/** A fixed clock, so conditions that read the time decide the same way on every run. */
export const now = (): number => 1_700_000_000_000;

/** The engine cases read `globals.environment`; every set in the benchmark gets the same. */
export const engineOptions: EngineOptions = { globals: { environment: "test" } };

/** The README's worked example: one resource, three actions, a derived role, an any-of rule. */
export const readmeInput: CheckInput = {
  principal: { id: "alice", roles: ["user"], attr: { department: "sales" } },
  resource: {
    kind: "document",
    id: "archive",
    attr: { owner: "bob", department: "sales", public: false, locked: true },
  },
  actions: ["view", "edit", "delete"],
};

/** The README's answer, so a benchmark of a wrong engine does not pass unnoticed. */
export function readmeMismatch(result: CheckResult | undefined): string | undefined {
  const expected = { view: "EFFECT_ALLOW", edit: "EFFECT_DENY", delete: "EFFECT_DENY" };
  const effects = Object.fromEntries(
    Object.entries(result?.actions ?? {}).map(([action, e]) => [action, e.effect]),
  );
  const same = Object.entries(expected).every(([a, e]) => effects[a] === e);
  return same && Object.keys(effects).length === 3
    ? undefined
    : `expected ${JSON.stringify(expected)}, got ${JSON.stringify(effects)}`;
}

export interface Figures {
  /** Per-check nanoseconds: median and 99th percentile of the samples' per-call averages. */
  readonly p50: number;
  readonly p99: number;
  /** Actions decided per second of timed calls. */
  readonly decisionsPerSecond: number;
  readonly samples: number;
  /** Calls per sample: one number, or `lo-hi` when it varied by input. */
  readonly batch: string;
  /** The p50 of each round on its own, for workloads measured in rounds. */
  readonly roundP50s?: readonly number[];
}

function figuresOf(runs: readonly { samples: BatchSamples; actions: number }[]): Figures {
  const all = runs.flatMap((r) => r.samples.perCallNs).sort((a, b) => a - b);
  const decisions = runs.reduce((n, r) => n + r.samples.calls * r.actions, 0);
  const elapsed = runs.reduce((n, r) => n + r.samples.elapsedNs, 0);
  const batches = runs.map((r) => r.samples.batch);
  const [lo, hi] = [Math.min(...batches), Math.max(...batches)];
  return {
    p50: percentile(all, 0.5),
    p99: percentile(all, 0.99),
    decisionsPerSecond: (decisions / elapsed) * 1e9,
    samples: all.length,
    batch: lo === hi ? lo.toLocaleString("en-US") : `${lo}-${hi}`,
  };
}

// Results go somewhere observable, so the JIT cannot drop a call as dead code.
let _sink: unknown;

/**
 * Five rounds, each a full GC, a second of warm-up and 400 samples of 1,000 calls; the samples
 * of all rounds pooled. The speed of the same code in the same process can change from one
 * full GC to the next (rounds of one process measured about 0.8 µs, then 1.2 µs, then 0.8 µs
 * again), so one round alone can land on either side; pooled rounds give the usual figure as
 * the p50 and the slow side in the p99.
 */
export function measureReadme(check: Check): Figures {
  const inputs = [readmeInput];
  const rounds: { samples: BatchSamples; actions: number }[] = [];
  for (let round = 0; round < 5; round++) {
    settleHeap();
    const samples = sampleBatches(
      () => {
        _sink = check(inputs);
      },
      { warmupMs: 1_000, samples: 400, batch: 1_000 },
    );
    rounds.push({ samples, actions: readmeInput.actions.length });
  }
  const roundP50s = rounds.map((r) =>
    percentile(
      [...r.samples.perCallNs].sort((a, b) => a - b),
      0.5,
    ),
  );
  return { ...figuresOf(rounds), roundP50s };
}

export function engineCaseInputs(): CheckInput[] {
  const inputs: CheckInput[] = [];
  const caseDir = testdata("engine");
  for (const f of readdirSync(caseDir)
    .filter((n) => n.endsWith(".yaml"))
    .sort()) {
    const tc = parse(readFileSync(join(caseDir, f), "utf8")) as { inputs: CheckInput[] };
    inputs.push(...tc.inputs);
  }
  return inputs;
}

/**
 * Every input sampled on its own (100 samples of about 250 µs each), the samples of all inputs
 * pooled, so the percentiles are over inputs as much as over time.
 */
export function measureEngineCases(check: Check): Figures {
  const inputs = engineCaseInputs();
  settleHeap();
  // One pass over every input first, so the code they share is optimised before any input's
  // own short warm-up decides its batch size.
  sampleBatches(
    () => {
      for (const input of inputs) _sink = check([input]);
    },
    { warmupMs: 1_000, samples: 0, batch: 1 },
  );
  const runs = inputs.map((input) => {
    const batch = [input];
    const samples = sampleBatches(
      () => {
        _sink = check(batch);
      },
      { warmupMs: 10, samples: 100 },
    );
    return { samples, actions: input.actions.length };
  });
  return figuresOf(runs);
}
