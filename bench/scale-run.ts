// The large-set half of the in-process benchmark, run by bench/check.bench.ts as a separate
// process so it starts from the same fresh JIT state as the small-set measurements: loads a
// policy folder with `loadPolicies` (timed, `runs` times), then measures the README example
// and the engine cases on it, in the same order as the main process does on the small sets.
// Prints one JSON object (ScaleReport) on stdout; progress goes to stderr.
// Run: node bench/scale-run.ts DIR [RUNS]

import { loadPolicies } from "../src/index.ts";
import type { CheckResult } from "../src/index.ts";
import {
  engineOptions,
  measureEngineCases,
  measureReadme,
  now,
  readmeInput,
  type Check,
  type Figures,
} from "./decision-workloads.ts";

export interface ScaleReport {
  /** Nanoseconds of each `loadPolicies(dir)` run, in order. */
  readonly loadNs: number[];
  /** The README example's answer on the large set, to compare with the small set's. */
  readonly readmeResult: CheckResult | undefined;
  readonly readme: Figures;
  readonly cases: Figures;
}

async function run(dir: string, runs: number): Promise<ScaleReport> {
  const loadNs: number[] = [];
  let first: Check | undefined;
  for (let r = 0; r < runs; r++) {
    process.stderr.write(`loading ${dir} (run ${r + 1} of ${runs})...\n`);
    const t0 = process.hrtime.bigint();
    const pdp = await loadPolicies(dir, engineOptions);
    loadNs.push(Number(process.hrtime.bigint() - t0));
    first ??= (inputs) => pdp.check(inputs, { now });
  }
  if (!first) throw new RangeError(`runs must be at least 1, got \`${runs}\``);
  const check = first;
  const readmeResult = check([readmeInput])[0];
  process.stderr.write("README example on the large set: measuring...\n");
  const readme = measureReadme(check);
  process.stderr.write("engine cases on the large set: measuring...\n");
  const cases = measureEngineCases(check);
  return { loadNs, readmeResult, readme, cases };
}

const [dir, runs = "1"] = process.argv.slice(2);
if (!dir) {
  process.stderr.write("usage: node bench/scale-run.ts DIR [RUNS]\n");
  process.exitCode = 2;
} else {
  process.stdout.write(`${JSON.stringify(await run(dir, Number(runs)))}\n`);
}
